package signing

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"strings"
	"testing"
)

// Keys of other algorithms used to say "is a *ecdh.PrivateKey key" (X25519)
// or "malformed PKCS#8" (Ed448). They are named now.
func TestOtherAlgorithmsAreNamed(t *testing.T) {
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	xder, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	xpub, _ := x509.MarshalPKIXPublicKey(x.PublicKey())
	ed448 := func(oid asn1.ObjectIdentifier) []byte {
		inner, _ := asn1.Marshal(make([]byte, 57))
		der, err := asn1.Marshal(struct {
			Version int
			Algo    pkix.AlgorithmIdentifier
			Key     []byte
		}{0, pkix.AlgorithmIdentifier{Algorithm: oid}, inner})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	for _, tc := range []struct {
		name, typ string
		der       []byte
		want      string
	}{
		{"X25519 private", "PRIVATE KEY", xder, "an X25519 key (for key agreement, not signing)"},
		{"X25519 public", "PUBLIC KEY", xpub, "an X25519 key (for key agreement, not signing)"},
		{"Ed448 private", "PRIVATE KEY", ed448(asn1.ObjectIdentifier{1, 3, 101, 113}), "an Ed448 key; firebreak signs and verifies with Ed25519 only"},
		{"X448 private", "PRIVATE KEY", ed448(asn1.ObjectIdentifier{1, 3, 101, 111}), "an X448 key"},
	} {
		b := pem.EncodeToMemory(&pem.Block{Type: tc.typ, Bytes: tc.der})
		_, err := ParseKey(b, "k.pem", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "*ecdh") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
