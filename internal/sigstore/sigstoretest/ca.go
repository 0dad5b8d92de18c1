package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// CA is a Sigstore of its own for tests: a Fulcio-like certificate
// authority, a Rekor-like log key, and the trusted root naming both.
type CA struct {
	Root     []byte // trusted_root.json
	caKey    *ecdsa.PrivateKey
	caCert   *x509.Certificate
	logKey   *ecdsa.PrivateKey
	logID    []byte
	serial   int64
	logIndex uint64
}

// Base is the time the test CA's material is made around.
var Base = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// NewCA makes a certificate authority and a log key, valid a year either
// side of Base, and the trusted root that lists them.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca := &CA{}
	ca.caKey = mustKey(t)
	ca.logKey = mustKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"firebreak test"}, CommonName: "test-fulcio"},
		NotBefore: Base.AddDate(-1, 0, 0), NotAfter: Base.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.caKey.PublicKey, ca.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if ca.caCert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&ca.logKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(spki)
	ca.logID = id[:]
	ca.Root = RootJSON(der, spki, ca.logID, Base.AddDate(-1, 0, 0))
	return ca
}

// RootJSON writes a trusted root with one CA certificate and one log key.
func RootJSON(caDER, logSPKI, logID []byte, start time.Time) []byte {
	b64 := base64.StdEncoding.EncodeToString
	root := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs": []any{map[string]any{
			"baseUrl": "https://rekor.test", "hashAlgorithm": "SHA2_256",
			"publicKey": map[string]any{"rawBytes": b64(logSPKI), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": map[string]any{"start": start.Format(time.RFC3339)}},
			"logId":     map[string]any{"keyId": b64(logID)},
		}},
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": "firebreak test", "commonName": "test-fulcio"},
			"uri":       "https://fulcio.test",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": b64(caDER)}}},
			"validFor":  map[string]any{"start": start.Format(time.RFC3339)},
		}},
		"ctlogs":               []any{},
		"timestampAuthorities": []any{},
	}
	out, _ := json.MarshalIndent(root, "", "  ")
	return out
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Signing is how a test module is signed.
type Signing struct {
	Identity string    // a URI or an email address
	Issuer   string    // the OIDC issuer
	When     time.Time // the log's integrated time; zero: Base
	// SelfSigned: the leaf signs itself instead of coming from the CA.
	SelfSigned bool
	// CertFrom, CertTo: the leaf's validity; zero: When-1m to When+10m.
	CertFrom, CertTo time.Time
}

// SignModule signs an unsigned module as `wsc sign --keyless` does: a
// P-256 signature over the SHA-256 of the module, a certificate for the
// identity, a Rekor hashedrekord entry with a signed entry timestamp, all
// in a first custom section named "signature".
func (ca *CA) SignModule(t testing.TB, unsigned []byte, s Signing) []byte {
	t.Helper()
	if s.When.IsZero() {
		s.When = Base
	}
	if s.CertFrom.IsZero() {
		s.CertFrom = s.When.Add(-time.Minute)
	}
	if s.CertTo.IsZero() {
		s.CertTo = s.When.Add(10 * time.Minute)
	}
	m, err := wasmsig.Parse(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write(m.Header)
	for i := range m.Sections {
		h.Write(wasmsig.AppendSection(nil, &m.Sections[i]))
	}
	mh := h.Sum(nil)
	leafKey := mustKey(t)
	ca.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(100 + ca.serial), NotBefore: s.CertFrom, NotAfter: s.CertTo,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	if strings.Contains(s.Identity, "://") {
		u, err := url.Parse(s.Identity)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{s.Identity}
	}
	v2, err := asn1.MarshalWithParams(s.Issuer, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExtraExtensions = []pkix.Extension{{Id: oidIssuerV1, Value: []byte(s.Issuer)}, {Id: oidIssuerV2, Value: v2}}
	parent, signer := ca.caCert, ca.caKey
	if s.SelfSigned {
		tmpl.Subject = pkix.Name{CommonName: "sigstore-intermediate"}
		parent, signer = tmpl, leafKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &leafKey.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	r, sv, err := ecdsa.Sign(rand.Reader, leafKey, mh)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sv.FillBytes(raw[32:])
	sigDER, _ := asn1.Marshal(struct{ R, S *big.Int }{r, sv})
	body := fmt.Sprintf(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"%x"}},"signature":{"content":"%s","publicKey":{"content":"%s"}}}}`,
		mh, base64.StdEncoding.EncodeToString(sigDER), base64.StdEncoding.EncodeToString([]byte(leafPEM)))
	ca.logIndex++
	index := 538771000 + ca.logIndex
	b64body := base64.StdEncoding.EncodeToString([]byte(body))
	// The signed entry timestamp: the log's signature over the RFC 8785
	// canonical JSON of these four members (keys in this order).
	payload := fmt.Sprintf(`{"body":"%s","integratedTime":%d,"logID":"%x","logIndex":%d}`, b64body, s.When.Unix(), ca.logID, index)
	ph := sha256.Sum256([]byte(payload))
	set, err := ecdsa.SignASN1(rand.Reader, ca.logKey, ph[:])
	if err != nil {
		t.Fatal(err)
	}
	rekor, _ := json.Marshal(map[string]any{"uuid": fmt.Sprintf("%064x", index), "log_index": index, "body": b64body, "log_id": hex.EncodeToString(ca.logID),
		"inclusion_proof": nil, "signed_entry_timestamp": base64.StdEncoding.EncodeToString(set), "integrated_time": s.When.UTC().Format(time.RFC3339)})
	data := []byte{0x02, 0x02}
	data = appendSlice(data, raw)
	data = append(data, 1)
	data = appendSlice(data, []byte(leafPEM))
	data = appendSlice(data, rekor)
	data = appendSlice(data, mh)
	sec := wasmsig.CustomSection(wasmsig.SignatureSection, data)
	return m.Write(&sec)
}

func appendSlice(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// Module is a small valid unsigned module (a type, a function, its code,
// and a name so each differs).
func Module(name string) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = append(out, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00) // type: () -> ()
	out = append(out, 0x03, 0x02, 0x01, 0x00)             // func 0 of type 0
	out = append(out, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b) // code: empty body
	payload := appendSlice(nil, []byte("firebreak-test"))
	payload = append(payload, name...)
	out = append(out, 0x00)
	return appendSlice(out, payload)
}
