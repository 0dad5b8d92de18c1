package wasmsig

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// Keyless is wsc's keyless (Sigstore) signature section, format version 2.
type Keyless struct {
	Signature  []byte     `json:"signature"` // P-256 r||s, 64 bytes
	CertsPEM   []string   `json:"certs_pem"` // leaf first
	Rekor      RekorEntry `json:"rekor"`
	RekorRaw   []byte     `json:"-"`
	ModuleHash []byte     `json:"module_hash"`
	Certs      []CertInfo `json:"certs"`
	CertErrors []string   `json:"cert_errors,omitempty"`
	// Identity is the leaf's first SAN (email, then URI, then DNS, as wsc
	// reads it); OIDCIssuer its Fulcio issuer extension. Both are claims
	// until the chain is verified against a trusted root.
	Identity   string `json:"identity,omitempty"`
	OIDCIssuer string `json:"oidc_issuer,omitempty"`
}

var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// oidcIssuer reads the Fulcio issuer extension: 1.8 (a UTF8String), else
// the deprecated 1.1 (raw bytes).
func oidcIssuer(c *x509.Certificate) string {
	v1 := ""
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidIssuerV2):
			var s string
			if _, err := asn1.UnmarshalWithParams(e.Value, &s, "utf8"); err == nil {
				return s
			}
		case e.Id.Equal(oidIssuerV1):
			v1 = string(e.Value)
		}
	}
	return v1
}

// RekorEntry is the transparency-log entry wsc stores (snake_case fields).
type RekorEntry struct {
	UUID                 string `json:"uuid"`
	LogIndex             uint64 `json:"log_index"`
	Body                 string `json:"body"`
	LogID                string `json:"log_id"`
	SignedEntryTimestamp string `json:"signed_entry_timestamp"`
	IntegratedTime       string `json:"integrated_time"`
	// InclusionProof is the Rekor API's inclusion proof JSON, which wsc
	// stores as an array of byte values (null when it kept none).
	InclusionProof ByteArray `json:"inclusion_proof,omitempty"`
}

// ByteArray is bytes that serde wrote as a JSON array of numbers.
type ByteArray []byte

// UnmarshalJSON reads null or an array of numbers 0..255.
func (b *ByteArray) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var ns []int
	if err := json.Unmarshal(data, &ns); err != nil {
		return fmt.Errorf("inclusion_proof: not an array of byte values")
	}
	out := make([]byte, len(ns))
	for i, n := range ns {
		if n < 0 || n > 255 {
			return fmt.Errorf("inclusion_proof[%d] = %d is not a byte", i, n)
		}
		out[i] = byte(n)
	}
	*b = out
	return nil
}

// MarshalJSON writes the proof as the JSON it holds, for reading.
func (b ByteArray) MarshalJSON() ([]byte, error) {
	if len(b) == 0 {
		return []byte("null"), nil
	}
	if json.Valid(b) {
		return b, nil
	}
	return json.Marshal([]byte(b))
}

// CertInfo is what is shown of a certificate.
type CertInfo struct {
	Subject  string   `json:"subject"`
	Issuer   string   `json:"issuer"`
	SANs     []string `json:"sans,omitempty"`
	NotAfter string   `json:"not_after"`
}

// ParseKeyless reads a keyless section payload (after the name).
func ParseKeyless(data []byte, base int64) (*Keyless, error) {
	r := &reader{b: data, base: base}
	v, err := r.byte1()
	if err != nil {
		return nil, err
	}
	t, err := r.byte1()
	if err != nil {
		return nil, err
	}
	if v != 0x02 || t != 0x02 {
		return nil, &ParseError{base, fmt.Sprintf("keyless header %02x %02x is not 02 02", v, t)}
	}
	k := &Keyless{}
	if k.Signature, err = r.slice(); err != nil {
		return nil, err
	}
	n, err := r.byte1() // a raw byte, not LEB128
	if err != nil {
		return nil, err
	}
	for i := 0; i < int(n); i++ {
		c, err := r.slice()
		if err != nil {
			return nil, err
		}
		k.CertsPEM = append(k.CertsPEM, string(c))
	}
	if k.RekorRaw, err = r.slice(); err != nil {
		return nil, err
	}
	if k.ModuleHash, err = r.slice(); err != nil {
		return nil, err
	}
	if len(k.ModuleHash) != 32 {
		return nil, r.errf("module hash is %d bytes, not 32", len(k.ModuleHash))
	}
	if err := json.Unmarshal(k.RekorRaw, &k.Rekor); err != nil {
		k.CertErrors = append(k.CertErrors, "rekor entry: "+err.Error())
	}
	for i, p := range k.CertsPEM {
		c, err := parsePEMCert(p)
		if err != nil {
			k.CertErrors = append(k.CertErrors, fmt.Sprintf("certificate %d: %v", i, err))
			continue
		}
		info := CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotAfter: c.NotAfter.UTC().Format("2006-01-02T15:04:05Z")}
		info.SANs = append(info.SANs, c.EmailAddresses...)
		for _, u := range c.URIs {
			info.SANs = append(info.SANs, u.String())
		}
		info.SANs = append(info.SANs, c.DNSNames...)
		k.Certs = append(k.Certs, info)
		if i == 0 {
			if len(info.SANs) > 0 {
				k.Identity = info.SANs[0]
			}
			k.OIDCIssuer = oidcIssuer(c)
		}
	}
	return k, nil
}

func parsePEMCert(p string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// KeylessCheck is the outcome of VerifyKeyless.
type KeylessCheck struct {
	ModuleHashOK bool   `json:"module_hash_ok"`
	ComputedHash string `json:"computed_hash"`
	SignatureOK  bool   `json:"signature_ok"`
	Problem      string `json:"problem,omitempty"`
}

// VerifyKeyless checks what wsc skips: that the stored module hash is the
// SHA-256 of the header and the canonical sections after the signature
// section, and that the P-256 signature over it verifies with the leaf
// certificate's key. It does not check the chain to the Sigstore root or
// the Rekor SET.
func VerifyKeyless(m *Module, k *Keyless) KeylessCheck {
	h := sha256.New()
	h.Write(m.Header)
	var buf []byte
	for i := 1; i < len(m.Sections); i++ {
		buf = AppendSection(buf[:0], &m.Sections[i])
		h.Write(buf)
	}
	sum := h.Sum(nil)
	res := KeylessCheck{ComputedHash: fmt.Sprintf("%x", sum)}
	res.ModuleHashOK = string(sum) == string(k.ModuleHash)
	if !res.ModuleHashOK {
		res.Problem = "the module does not hash to the stored module hash"
	}
	if len(k.CertsPEM) == 0 {
		res.Problem = joinProblem(res.Problem, "no certificate")
		return res
	}
	leaf, err := parsePEMCert(k.CertsPEM[0])
	if err != nil {
		res.Problem = joinProblem(res.Problem, "leaf certificate: "+err.Error())
		return res
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || len(k.Signature) != 64 {
		res.Problem = joinProblem(res.Problem, "the leaf key is not ECDSA or the signature is not 64 bytes r||s")
		return res
	}
	rr, ss := new(big.Int).SetBytes(k.Signature[:32]), new(big.Int).SetBytes(k.Signature[32:])
	res.SignatureOK = ecdsa.Verify(pub, k.ModuleHash, rr, ss)
	if !res.SignatureOK {
		res.Problem = joinProblem(res.Problem, "the P-256 signature does not verify with the leaf certificate")
	}
	return res
}

func joinProblem(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
