package wasmsig

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

// keylessModule builds what `wsc sign --keyless` writes: the module hash
// over header and sections, a P-256 r||s signature over it, a PEM chain and
// the Rekor entry, in a first "signature" section.
func keylessModule(t *testing.T) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	uri, _ := url.Parse("https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main")
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sigstore-intermediate"},
		Issuer: pkix.Name{CommonName: "sigstore"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * time.Minute),
		URIs: []*url.URL{uri}, EmailAddresses: []string{"release@example.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	unsigned := unhex(t, unsignedHex)
	mh := sha256.Sum256(unsigned) // header and canonical sections
	r, s, _ := ecdsa.Sign(rand.Reader, key, mh[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	rekor, _ := json.Marshal(map[string]any{"uuid": "24296fb24b8ad77a", "log_index": 538771042, "body": "e30=", "log_id": "c0d23d6a", "inclusion_proof": []int{1, 2}, "signed_entry_timestamp": "AA==", "integrated_time": "2026-11-01T17:53:21Z"})
	data := []byte{0x02, 0x02}
	data = appendSlice(data, sig)
	data = append(data, 1)
	data = appendSlice(data, certPEM)
	data = appendSlice(data, rekor)
	data = appendSlice(data, mh[:])
	sec := CustomSection(SignatureSection, data)
	m, _ := Parse(unsigned)
	return m.Write(&sec)
}

func TestKeyless(t *testing.T) {
	mod := keylessModule(t)
	inf, err := Describe(mod)
	if err != nil {
		t.Fatal(err)
	}
	k := inf.Keyless
	if inf.Signature != "keyless" || k == nil || k.Rekor.LogIndex != 538771042 || k.Rekor.UUID != "24296fb24b8ad77a" || k.Rekor.IntegratedTime != "2026-11-01T17:53:21Z" {
		t.Fatalf("keyless: %+v", inf)
	}
	if len(k.Certs) != 1 || !strings.Contains(k.Certs[0].Subject, "sigstore-intermediate") || len(k.Certs[0].SANs) != 2 {
		t.Fatalf("certs: %+v", k.Certs)
	}
	if !inf.KeylessOK.ModuleHashOK || !inf.KeylessOK.SignatureOK || !inf.Sections[1].Signed {
		t.Fatalf("check: %+v", inf.KeylessOK)
	}
	// Tampered code: wsc would not notice; firebreak does.
	bad := append([]byte{}, mod...)
	bad[len(bad)-2] ^= 1
	inf, _ = Describe(bad)
	if inf.KeylessOK.ModuleHashOK || !strings.Contains(inf.KeylessOK.Problem, "does not hash to the stored module hash") {
		t.Fatalf("tampered: %+v", inf.KeylessOK)
	}
	// Ed25519 verification and signing refuse a keyless section.
	if _, err := Verify(mod, key1(t).Public().(ed25519.PublicKey), VerifyOptions{}); err == nil {
		t.Fatal("verified a keyless module with an Ed25519 key")
	}
	if _, _, err := Sign(mod, key1(t), SignOptions{}); err == nil || !strings.Contains(err.Error(), "keyless") {
		t.Fatalf("sign: %v", err)
	}
	// Truncated keyless data: an error with an offset.
	m, _ := Parse(mod)
	if _, err := ParseKeyless(m.Sections[0].Data[:40], 100); err == nil || !strings.Contains(err.Error(), "at byte") {
		t.Fatalf("truncated: %v", err)
	}
}
