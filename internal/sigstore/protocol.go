package sigstore

import "time"

// The verifier runs in its own process (cmd/firebreak-sigstore): linking
// sigstore-go into firebreak would make every start four times slower
// (its dependencies initialise about 25 ms of package state). The two
// speak JSON lines over the helper's stdin and stdout: the helper writes a
// Hello, the client sends an Init with the trusted root's bytes and reads
// an InitReply, then sends Requests and reads one Result for each, in
// order.

// Protocol is the version both sides must speak.
const Protocol = 1

// Hello is the helper's first line.
type Hello struct {
	Protocol   int    `json:"protocol"`
	SigstoreGo string `json:"sigstore_go"`
}

// Init carries the trusted root, read and hashed by the client, so the
// helper verifies against exactly the bytes that were pinned.
type Init struct {
	TrustedRoot []byte `json:"trusted_root"`
}

// InitReply says whether the helper could load the trusted root.
type InitReply struct {
	Error string `json:"error,omitempty"`
}

// Request is one signature to verify.
type Request struct {
	Kind   string       `json:"kind"` // "bundle" or "wasm"
	Bundle []byte       `json:"bundle,omitempty"`
	Wasm   *WasmKeyless `json:"wasm,omitempty"`
	// Digest binds the signature to an artifact. Nil: the signature is
	// checked against the digest it names (an audit without the
	// artifact), and the result says so.
	Digest *Digest `json:"digest,omitempty"`
	// Artifact is an artifact file's digests in several algorithms; the
	// verifier uses the one the signature names.
	Artifact []Digest `json:"artifact,omitempty"`
	Policy   Policy   `json:"policy"`
}

// Policy is the identity a signature must carry; empty accepts any (an
// audit, which compares identities with the expected signers itself).
type Policy struct {
	Identity       string `json:"identity,omitempty"`
	IdentityRegexp string `json:"identity_regexp,omitempty"`
	Issuer         string `json:"issuer,omitempty"`
	IssuerRegexp   string `json:"issuer_regexp,omitempty"`
}

// Digest is an artifact digest: algorithm (sha256, sha384, sha512) and hex.
type Digest struct {
	Algorithm string `json:"algorithm"`
	Hex       string `json:"hex"`
}

func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }

// WasmKeyless is what a wsc keyless signature section holds.
type WasmKeyless struct {
	Signature  []byte   `json:"signature"` // P-256 r||s
	CertsPEM   []string `json:"certs_pem"`
	ModuleHash []byte   `json:"module_hash"`
	// The Rekor entry as wsc stores it.
	LogIndex             uint64 `json:"log_index"`
	Body                 string `json:"body"` // base64
	LogID                string `json:"log_id"`
	SignedEntryTimestamp string `json:"signed_entry_timestamp"` // base64
	IntegratedTime       string `json:"integrated_time"`        // RFC 3339
	InclusionProof       []byte `json:"inclusion_proof,omitempty"`
}

// Result is the outcome of one Request. The identity, issuer and log entry
// are read from the signature even when it does not verify, so an audit
// can say who claims to have signed.
type Result struct {
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
	// What the signature covers: a message digest or the subjects of a
	// DSSE statement.
	Digests   []Digest  `json:"digests,omitempty"`
	Subjects  []Subject `json:"subjects,omitempty"`
	MediaType string    `json:"media_type,omitempty"`
	Keyless   bool      `json:"keyless"`
	Identity  string    `json:"identity,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	// The transparency-log entry: the first one whose signed entry
	// timestamp verifies when the signature verifies; otherwise the first
	// one, as claimed.
	LogIndex       int64     `json:"log_index,omitempty"`
	LogID          string    `json:"log_id,omitempty"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
	// TimeVerified: IntegratedTime is a timestamp the verifier checked
	// (never true when the signature does not verify: a claimed time).
	TimeVerified bool `json:"time_verified"`
	// Timestamps the verifier checked (integrated times, RFC 3161).
	Timestamps []time.Time `json:"timestamps,omitempty"`
	// BoundTo says what the signature was checked against: "artifact"
	// (the digest of the file or the one given) or "own digest".
	BoundTo        string   `json:"bound_to,omitempty"`
	ArtifactDigest string   `json:"artifact_digest,omitempty"`
	Notes          []string `json:"notes,omitempty"`
}

// Subject is one subject of an in-toto statement.
type Subject struct {
	Name    string   `json:"name"`
	Digests []Digest `json:"digests"`
}
