// Package verifier is the Sigstore verifier process: it verifies bundles
// and wsc keyless module signatures offline against a trusted root with
// sigstore-go. Only cmd/firebreak-sigstore (and tests) link it; firebreak
// talks to it through internal/sigstore.
package verifier

import (
	"bufio"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime/debug"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
)

// maxLine bounds one request line: a bundle is at most sigstore.MaxBundle
// bytes, base64 in JSON.
const maxLine = sigstore.MaxBundle*4/3 + 1<<20

// maxSubjects bounds the DSSE subjects a result lists (a hostile
// statement may hold millions).
const maxSubjects = 1000

// Version is the sigstore-go version linked in.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/sigstore/sigstore-go" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// Serve speaks the protocol of internal/sigstore on r and w until r ends.
func Serve(r io.Reader, w io.Writer) error {
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 64<<10), maxLine)
	out := bufio.NewWriter(w)
	enc := json.NewEncoder(out)
	send := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		return out.Flush()
	}
	if err := send(sigstore.Hello{Protocol: sigstore.Protocol, SigstoreGo: Version()}); err != nil {
		return err
	}
	if !in.Scan() {
		return firstErr(in.Err(), io.ErrUnexpectedEOF)
	}
	var ini sigstore.Init
	if err := json.Unmarshal(in.Bytes(), &ini); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	v := &Verifier{} // no root: describe only
	if len(ini.TrustedRoot) > 0 {
		var err error
		if v, err = New(ini.TrustedRoot); err != nil {
			return send(sigstore.InitReply{Error: err.Error()})
		}
	}
	if err := send(sigstore.InitReply{}); err != nil {
		return err
	}
	for in.Scan() {
		var req sigstore.Request
		var res sigstore.Result
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			res = sigstore.Result{Problem: "unreadable request: " + err.Error()}
		} else {
			res = v.Verify(&req)
		}
		b, err := json.Marshal(res)
		if err != nil {
			// Whatever the input held, one request never ends the process.
			b, _ = json.Marshal(sigstore.Result{Problem: "the result could not be written: " + err.Error()})
		}
		if _, err := out.Write(append(b, '\n')); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Verifier verifies against one trusted root.
type Verifier struct {
	tr  *root.TrustedRoot
	sev *verify.Verifier
	sct bool
}

// New loads a trusted root (trusted_root.json).
func New(rootJSON []byte) (*Verifier, error) {
	tr, err := root.NewTrustedRootFromJSON(rootJSON)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, errors.New("trusted root: no certificate authority (Fulcio) in it")
	}
	if len(tr.RekorLogs()) == 0 {
		return nil, errors.New("trusted root: no transparency log (Rekor) in it")
	}
	v := &Verifier{tr: tr}
	// Offline: a transparency-log entry is required (its signed entry
	// timestamp or inclusion proof is checked against the log's key) and
	// the certificate is checked at a verified time, never the clock.
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if len(tr.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		v.sct = true
	}
	if v.sev, err = verify.NewVerifier(tr, opts...); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify verifies one request. It never panics on hostile input: a panic
// inside sigstore-go becomes the request's problem.
func (v *Verifier) Verify(req *sigstore.Request) (res sigstore.Result) {
	defer func() {
		if p := recover(); p != nil {
			res.Verified = false
			res.Problem = fmt.Sprintf("the verifier failed on this input: %v", p)
		}
	}()
	var b *bundle.Bundle
	var err error
	switch req.Kind {
	case "bundle":
		b = &bundle.Bundle{}
		err = b.UnmarshalJSON(req.Bundle)
	case "wasm":
		if req.Wasm == nil {
			return sigstore.Result{Problem: "wasm request without its signature"}
		}
		b, err = wasmBundle(req.Wasm)
	default:
		return sigstore.Result{Problem: fmt.Sprintf("unknown request kind %q", req.Kind)}
	}
	if err != nil {
		return sigstore.Result{Problem: "not a valid Sigstore bundle: " + err.Error()}
	}
	res = describe(b)
	if v.tr == nil {
		res.Problem = sigstore.NoRoot
		return res
	}
	if !v.sct {
		res.Notes = append(res.Notes, "certificate transparency not checked: the trusted root lists no CT log")
	}
	pol, err := v.policy(req, &res)
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	out, err := v.sev.Verify(b, pol)
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	res.Verified = true
	if out.Signature != nil && out.Signature.Certificate != nil {
		res.Identity = out.Signature.Certificate.SubjectAlternativeName
		res.Issuer = out.Signature.Certificate.Issuer
	}
	res.Timestamps = nil
	for _, ts := range out.VerifiedTimestamps {
		res.Timestamps = append(res.Timestamps, ts.Timestamp.UTC())
	}
	v.verifiedEntry(b, &res)
	return res
}

// verifiedEntry places a verified signature in time by a log entry whose
// signed entry timestamp verifies against the trusted root — never by the
// first entry, which may be one the verifier skipped (a log it does not
// know) carrying any time at all — or else by the earliest verified
// timestamp (RFC 3161).
func (v *Verifier) verifiedEntry(b *bundle.Bundle, res *sigstore.Result) {
	res.IntegratedTime, res.TimeVerified = time.Time{}, false
	entries, _ := b.TlogEntries()
	for _, e := range entries {
		if !e.HasInclusionPromise() || tlog.VerifySET(e, v.tr.RekorLogs()) != nil {
			continue
		}
		if t := e.IntegratedTime(); plausible(t) {
			res.IntegratedTime, res.TimeVerified = t.UTC(), true
			res.LogIndex, res.LogID = e.LogIndex(), hex.EncodeToString([]byte(e.LogKeyID()))
			return
		}
	}
	for _, t := range res.Timestamps {
		if plausible(t) && (!res.TimeVerified || t.Before(res.IntegratedTime)) {
			res.IntegratedTime, res.TimeVerified = t, true
		}
	}
	if !res.TimeVerified {
		res.Notes = append(res.Notes, "no log entry's signed timestamp verifies: the log index shown is as claimed")
	}
}

// plausible: a time JSON can carry (years 1 to 9999), and not zero.
func plausible(t time.Time) bool {
	return !t.IsZero() && t.Year() >= 1 && t.Year() <= 9999
}

// policy builds the artifact and identity policy of a request.
func (v *Verifier) policy(req *sigstore.Request, res *sigstore.Result) (verify.PolicyBuilder, error) {
	var art verify.ArtifactPolicyOption
	if req.Digest == nil && len(req.Artifact) > 0 {
		want := map[string]bool{}
		for _, d := range res.Digests {
			want[d.Algorithm] = true
		}
		for _, s := range res.Subjects {
			for _, d := range s.Digests {
				want[d.Algorithm] = true
			}
		}
		for _, d := range req.Artifact {
			if want[d.Algorithm] {
				req.Digest = &d
				break
			}
		}
		if req.Digest == nil {
			return verify.PolicyBuilder{}, fmt.Errorf("the signature names no digest the artifact was hashed with (%s)", algs(req.Artifact))
		}
	}
	if req.Digest != nil {
		res.ArtifactDigest = req.Digest.String()
		d, err := hex.DecodeString(req.Digest.Hex)
		if err != nil {
			return verify.PolicyBuilder{}, fmt.Errorf("digest %s: not hex", req.Digest)
		}
		art = verify.WithArtifactDigest(req.Digest.Algorithm, d)
		res.BoundTo = "artifact"
	} else {
		switch {
		case len(res.Digests) == 1:
			d, _ := hex.DecodeString(res.Digests[0].Hex)
			art = verify.WithArtifactDigest(res.Digests[0].Algorithm, d)
		case len(res.Subjects) > 0:
			var ds []verify.ArtifactDigest
			for _, s := range res.Subjects {
				for _, d := range s.Digests {
					b, _ := hex.DecodeString(d.Hex)
					ds = append(ds, verify.ArtifactDigest{Algorithm: d.Algorithm, Digest: b})
				}
			}
			art = verify.WithArtifactDigests(ds)
		default:
			art = verify.WithoutArtifactUnsafe()
		}
		res.BoundTo = "own digest"
	}
	p := req.Policy
	if p.Identity == "" && p.IdentityRegexp == "" && p.Issuer == "" && p.IssuerRegexp == "" {
		return verify.NewPolicy(art, verify.WithoutIdentitiesUnsafe()), nil
	}
	id, err := verify.NewShortCertificateIdentity(p.Issuer, p.IssuerRegexp, p.Identity, p.IdentityRegexp)
	if err != nil {
		return verify.PolicyBuilder{}, fmt.Errorf("identity policy: %w", err)
	}
	return verify.NewPolicy(art, verify.WithCertificateIdentity(id)), nil
}

// describe reads who claims to have signed what and when, before and
// whatever the verification says.
func describe(b *bundle.Bundle) sigstore.Result {
	var res sigstore.Result
	res.MediaType = b.GetMediaType()
	if vc, err := b.VerificationContent(); err == nil {
		if c := vc.Certificate(); c != nil {
			res.Keyless = true
			if s, err := certificate.SummarizeCertificate(c); err == nil {
				res.Identity, res.Issuer = s.SubjectAlternativeName, s.Issuer
			} else {
				res.Notes = append(res.Notes, "certificate: "+err.Error())
			}
		} else if pk := vc.PublicKey(); pk != nil {
			res.Notes = append(res.Notes, "signed with a public key (hint "+pk.Hint()+"), not keyless")
		}
	}
	if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
		e := entries[0]
		res.LogIndex = e.LogIndex()
		res.LogID = hex.EncodeToString([]byte(e.LogKeyID()))
		if t := e.IntegratedTime(); plausible(t) {
			res.IntegratedTime = t.UTC() // claimed, until verified
		} else if !t.IsZero() {
			res.Notes = append(res.Notes, "the log entry claims an impossible integrated time")
		}
	}
	if sc, err := b.SignatureContent(); err == nil {
		if m := sc.MessageSignatureContent(); m != nil {
			if alg := digestName(m.DigestAlgorithm()); alg != "" {
				res.Digests = append(res.Digests, sigstore.Digest{Algorithm: alg, Hex: hex.EncodeToString(m.Digest())})
			}
		} else if e := sc.EnvelopeContent(); e != nil {
			if st, err := e.Statement(); err == nil {
				for i, s := range st.GetSubject() {
					if i == maxSubjects {
						res.Notes = append(res.Notes, fmt.Sprintf("%d more subjects not listed", len(st.GetSubject())-i))
						break
					}
					sub := sigstore.Subject{Name: s.GetName()}
					for alg, h := range s.GetDigest() {
						sub.Digests = append(sub.Digests, sigstore.Digest{Algorithm: alg, Hex: h})
					}
					sortDigests(sub.Digests)
					res.Subjects = append(res.Subjects, sub)
				}
			}
		}
	}
	return res
}

func algs(ds []sigstore.Digest) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Algorithm)
	}
	return strings.Join(out, ", ")
}

func sortDigests(ds []sigstore.Digest) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Algorithm < ds[j-1].Algorithm; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// digestName turns a protobuf hash algorithm name into sigstore-go's.
func digestName(alg string) string {
	switch alg {
	case "SHA2_256":
		return "sha256"
	case "SHA2_384":
		return "sha384"
	case "SHA2_512":
		return "sha512"
	}
	return ""
}

// wasmBundle turns a wsc keyless section into a Sigstore bundle, so that
// sigstore-go checks it like any other: the Fulcio chain at the log's
// integrated time, the Rekor signed entry timestamp (and inclusion proof,
// when wsc kept one), that the log entry holds this signature and this
// certificate, and the P-256 signature over the module hash.
func wasmBundle(w *sigstore.WasmKeyless) (*bundle.Bundle, error) {
	if len(w.Signature) != 64 {
		return nil, fmt.Errorf("the signature is %d bytes, not a 64-byte P-256 r||s", len(w.Signature))
	}
	if len(w.ModuleHash) != 32 {
		return nil, fmt.Errorf("the module hash is %d bytes, not 32", len(w.ModuleHash))
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(w.Signature[:32]), new(big.Int).SetBytes(w.Signature[32:])})
	if err != nil {
		return nil, err
	}
	var certs []*protocommon.X509Certificate
	for i, p := range w.CertsPEM {
		blk, _ := pem.Decode([]byte(p))
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("certificate %d is not a PEM certificate", i)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		certs = append(certs, &protocommon.X509Certificate{RawBytes: blk.Bytes})
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate")
	}
	body, err := base64.StdEncoding.DecodeString(w.Body)
	if err != nil {
		return nil, fmt.Errorf("rekor entry body: %w", err)
	}
	logID, err := hex.DecodeString(w.LogID)
	if err != nil {
		return nil, fmt.Errorf("rekor log id %q: not hex", w.LogID)
	}
	set, err := base64.StdEncoding.DecodeString(w.SignedEntryTimestamp)
	if err != nil {
		return nil, fmt.Errorf("rekor signed entry timestamp: %w", err)
	}
	it, err := time.Parse(time.RFC3339, w.IntegratedTime)
	if err != nil {
		return nil, fmt.Errorf("rekor integrated time %q: %w", w.IntegratedTime, err)
	}
	if w.LogIndex > 1<<62 {
		return nil, fmt.Errorf("rekor log index %d is out of range", w.LogIndex)
	}
	tle := &protorekor.TransparencyLogEntry{
		LogIndex:          int64(w.LogIndex),
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"},
		IntegratedTime:    it.Unix(),
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
	}
	version := "0.1"
	if len(w.InclusionProof) > 0 {
		p, err := inclusionProof(w.InclusionProof)
		if err != nil {
			return nil, err
		}
		tle.InclusionProof = p
		version = "0.2"
	}
	mt, err := bundle.MediaTypeString(version)
	if err != nil {
		return nil, err
	}
	pb := &protobundle.Bundle{
		MediaType: mt,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{Certificates: certs}},
			TlogEntries: []*protorekor.TransparencyLogEntry{tle},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: w.ModuleHash},
			Signature:     der,
		}},
	}
	return bundle.NewBundle(pb)
}

// inclusionProof reads the Rekor API's inclusion proof that wsc keeps.
func inclusionProof(raw []byte) (*protorekor.InclusionProof, error) {
	var p struct {
		Checkpoint string   `json:"checkpoint"`
		Hashes     []string `json:"hashes"`
		LogIndex   int64    `json:"logIndex"`
		RootHash   string   `json:"rootHash"`
		TreeSize   int64    `json:"treeSize"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("rekor inclusion proof: %w", err)
	}
	out := &protorekor.InclusionProof{LogIndex: p.LogIndex, TreeSize: p.TreeSize, Checkpoint: &protorekor.Checkpoint{Envelope: p.Checkpoint}}
	var err error
	if out.RootHash, err = hex.DecodeString(p.RootHash); err != nil {
		return nil, fmt.Errorf("rekor inclusion proof root hash: %w", err)
	}
	for _, h := range p.Hashes {
		b, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil {
			return nil, fmt.Errorf("rekor inclusion proof hash: %w", err)
		}
		out.Hashes = append(out.Hashes, b)
	}
	return out, nil
}

// Main is the verifier program: `serve` speaks the protocol on stdin and
// stdout; `version` prints the sigstore-go version.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == "version" {
		fmt.Fprintf(stdout, "firebreak-sigstore protocol %d, sigstore-go %s\n", sigstore.Protocol, Version())
		return 0
	}
	if len(args) != 1 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: firebreak-sigstore serve|version (firebreak starts it; it is not run by hand)")
		return 2
	}
	if err := Serve(stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "firebreak-sigstore:", err)
		return 1
	}
	return 0
}
