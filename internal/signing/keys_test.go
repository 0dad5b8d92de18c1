package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemOf(t *testing.T, typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoadKeys(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	privPEM, _ := MarshalPrivateKeyPEM(priv)
	pubPEM, _ := MarshalPublicKeyPEM(pub)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)

	got, err := LoadPrivateKey(writeFile(t, "k.pem", privPEM))
	if err != nil || !got.Equal(priv) {
		t.Fatalf("private: %v", err)
	}
	gp, err := LoadPublicKey(writeFile(t, "p.pem", pubPEM))
	if err != nil || !gp.Equal(pub) {
		t.Fatalf("public: %v", err)
	}
	gp, err = LoadPublicKey(writeFile(t, "k.pem", privPEM))
	if err != nil || !gp.Equal(pub) {
		t.Fatalf("public from private: %v", err)
	}

	for _, tc := range []struct {
		name    string
		content []byte
		public  bool
		want    string
	}{
		{"not PEM", []byte("hello"), false, "no PEM block"},
		{"truncated PEM", privPEM[:40], false, "no PEM block"},
		{"garbage body", pemOf(t, "PRIVATE KEY", []byte{1, 2, 3}), false, "malformed PKCS#8"},
		{"RSA", pemOf(t, "PRIVATE KEY", rsaDER), false, "is an RSA key, not Ed25519"},
		{"EC public", pemOf(t, "PUBLIC KEY", ecPubDER), true, "ECDSA P-256 key, not Ed25519"},
		{"public as private", pubPEM, false, "is a public key"},
		{"encrypted", pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1}), false, "encrypted PKCS#8"},
		{"other block", pemOf(t, "CERTIFICATE", []byte{1}), true, "not an SPKI public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "key.pem", tc.content)
			var err error
			if tc.public {
				_, err = LoadPublicKey(p)
			} else {
				_, err = LoadPrivateKey(p)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want it to name %s and say %q", err, p, tc.want)
			}
			if bytes.Contains([]byte(err.Error()), []byte("MC4CAQ")) {
				t.Fatal("error carries key material")
			}
		})
	}
	if _, err := LoadPrivateKey(writeFile(t, "e.pem", pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1}))); !errors.Is(err, ErrEncrypted) {
		t.Fatalf("encrypted key error does not match ErrEncrypted: %v", err)
	}
	if _, err := LoadPrivateKey(t.TempDir()); err == nil {
		t.Fatal("loaded a directory")
	}
}

func TestFingerprintMatchesClawSecVector(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "vectors", "clawsec", "feed-signing-public.pem")
	if _, err := os.Stat(p); err != nil {
		t.Skip("../shared is absent: skipping the cross-check against the ClawSec production key")
	}
	pub, err := LoadPublicKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := Fingerprint(pub); got != "711424e4535f84093fefb024cd1ca4ec87439e53907b305b79a631d5befba9c8" {
		t.Fatalf("fingerprint %s", got)
	}
}

func TestOpenSSLInterop(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	if out, err := exec.Command(openssl, "genpkey", "-algorithm", "Ed25519", "-out", key).CombinedOutput(); err != nil {
		t.Skipf("openssl without Ed25519: %s", out)
	}
	priv, err := LoadPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	der, err := exec.Command(openssl, "pkey", "-in", key, "-pubout", "-outform", "DER").Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if got := Fingerprint(priv.Public().(ed25519.PublicKey)); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("fingerprint %s, openssl %x", got, sum)
	}
	// A public key we write, openssl reads.
	pubPEM, _ := MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	pubPath := filepath.Join(dir, "p.pem")
	os.WriteFile(pubPath, pubPEM, 0o600)
	if out, err := exec.Command(openssl, "pkey", "-pubin", "-in", pubPath, "-noout").CombinedOutput(); err != nil {
		t.Fatalf("openssl rejects our SPKI PEM: %s", out)
	}
}

func TestContainsKeyMaterial(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	p, _ := MarshalPrivateKeyPEM(priv)
	if !ContainsKeyMaterial(p) || ContainsKeyMaterial([]byte("BEGIN nothing")) {
		t.Fatal("ContainsKeyMaterial is wrong")
	}
}
