package redact

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"-----BEGIN PRIVATE KEY-----\nMC4CAQ", "a PEM private key"},
		{"x -----BEGIN ENCRYPTED PRIVATE KEY----- y", "a PEM private key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"},
		{"token ghp_" + strings.Repeat("a", 36), "a GitHub token"},
		{"github_pat_" + strings.Repeat("B", 40), "a GitHub token"},
		{"AKIAABCDEFGHIJKLMNOP", "an AWS access key id"},
		{"-----BEGIN PUBLIC KEY-----", ""},
		{"key id 4bb9e28df31c5283810a3e32", ""},
		{"ghp_short", ""},
		{"glpat-" + strings.Repeat("x9_-", 5), "a GitLab token"},
		{"pip install git+https://deploy:s3cret@git.example.com/lib.git", "a password in a URL"},
		{"https://:tok@host/x", "a password in a URL"},
		{"https://user:p@ss@host/x", "a password in a URL"},
		{"https://user:@host/x", ""},
		{"https://github.com/wsc/wsc/security/advisories/GHSA-abcd", ""},
		{"git+ssh://git@github.com:org/repo.git", ""},
		{"https://deploy@git.example.com", ""},
		{"http://localhost:8080/path@v1", ""},
	} {
		if got := Find([]byte(tc.in)); got != tc.want {
			t.Errorf("Find(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	err := Check("note", []byte("ghp_"+strings.Repeat("z", 40)))
	if err == nil || strings.Contains(err.Error(), "zzzz") || !strings.Contains(err.Error(), "note looks like") {
		t.Fatalf("Check: %v", err)
	}
}

// The filter used to miss tokens inside words and the base64 body of an
// Ed25519 private key without its armour.
func TestFindInsideWordsAndUnarmoured(t *testing.T) {
	tok := "ghp_" + strings.Repeat("a1B2", 9)
	for _, in := range []string{
		"x" + tok,
		"GITHUB_TOKEN_" + tok,
		tok + "_suffix",
		"export GH=" + tok + ";",
		"MC4CAQAwBQYDK2VwBCIEIJ7a2c1W3zqf0oB0y0K3vHn3m6cR5xH8kYk0fVq6vV7Z",
		"MFECAQEwBQYDK2VwBCIEIJ7a2c1W3zqf0oB0y0K3vHn3m6cR5xH8kYk0fVq6vV7Z",
		"302E020100300506032B657004220420" + strings.Repeat("ab", 32),
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
		"xAKIAABCDEFGHIJKLMNOPx",
	} {
		if Find([]byte(in)) == "" {
			t.Errorf("missed a secret in %q", in)
		}
	}
	// Public material is not a secret.
	for _, in := range []string{
		"MCowBQYDK2VwAyEA" + strings.Repeat("A", 43) + "=", // an Ed25519 SPKI public key
		"fingerprint 711424e4535f84093fefb024cd1ca4ec87439e53907b305b79a631d5befba9c8",
		"ghp_ is the prefix of a personal access token",
	} {
		if got := Find([]byte(in)); got != "" {
			t.Errorf("%q: false positive %q", in, got)
		}
	}
}

func TestWriterScrubsAcrossWrites(t *testing.T) {
	tok := "ghp_" + strings.Repeat("Z", 40)
	var b strings.Builder
	w := NewWriter(&b)
	w.Write([]byte("line one\ntoken " + tok[:10]))
	w.Write([]byte(tok[10:] + " end\nlast"))
	w.Flush()
	if strings.Contains(b.String(), tok) || !strings.Contains(b.String(), "token [REDACTED: a GitHub token] end\nlast") {
		t.Fatalf("%q", b.String())
	}
}

func FuzzScrub(f *testing.F) {
	f.Add("ghp_"+strings.Repeat("a", 36), 3)
	f.Add("MC4CAQAwBQYDK2VwBCIEI"+strings.Repeat("A", 40), 7)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		out := Scrub([]byte(s))
		if Find(out) != "" {
			t.Fatalf("Scrub left a secret: %q", out)
		}
		if cut < 0 || cut > len(s) {
			return
		}
		var b strings.Builder
		w := NewWriter(&b)
		w.Write([]byte(s[:cut]))
		w.Write([]byte(s[cut:]))
		w.Flush()
		if !strings.Contains(s, "\n") && b.String() != string(out) {
			t.Fatalf("writer %q, scrub %q", b.String(), out)
		}
	})
}

// A line longer than the Writer holds is cut where no secret can continue.
func TestWriterCutsLongLinesOutsideTokens(t *testing.T) {
	tok := "ghp_" + strings.Repeat("Q", 40)
	filler := strings.Repeat("abc def ", maxHeld/8-2)
	in := filler + tok + " " + filler + tok
	var b strings.Builder
	w := NewWriter(&b)
	for i := 0; i < len(in); i += 4096 {
		w.Write([]byte(in[i:min(i+4096, len(in))]))
	}
	w.Flush()
	if strings.Contains(b.String(), tok) || strings.Count(b.String(), "[REDACTED: a GitHub token]") != 2 {
		t.Fatal("a token split across the cut survived")
	}
}

// TestFindReaderAcrossWindows: a secret is found wherever the 4 MiB
// windows fall, including astride their boundary.
func TestFindReaderAcrossWindows(t *testing.T) {
	secret := "ghp_" + strings.Repeat("A", 36)
	for _, at := range []int{0, 4<<20 - 10, 4 << 20, 9<<20 + 3} {
		b := append(bytes.Repeat([]byte("x"), at), secret...)
		b = append(b, bytes.Repeat([]byte("y"), 1000)...)
		what, err := FindReader(bytes.NewReader(b))
		if err != nil || what == "" {
			t.Fatalf("secret at %d: %q %v", at, what, err)
		}
	}
	if what, err := FindReader(bytes.NewReader(bytes.Repeat([]byte("ghp"), 3<<20))); err != nil || what != "" {
		t.Fatalf("clean stream: %q %v", what, err)
	}
}

// TestFindKeyForms: private keys in the forms they leak in — DER bodies
// without armour, and whole PEM files base64-encoded as CI secrets hold
// them — for RSA (PKCS#1, PKCS#8), EC (SEC1, PKCS#8) and Ed25519.
func TestFindKeyForms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	der := map[string][]byte{}
	der["rsa pkcs1"] = x509.MarshalPKCS1PrivateKey(rsaKey)
	der["rsa pkcs8"], _ = x509.MarshalPKCS8PrivateKey(rsaKey)
	der["ec sec1"], _ = x509.MarshalECPrivateKey(ec256)
	der["ec256 pkcs8"], _ = x509.MarshalPKCS8PrivateKey(ec256)
	der["ec384 pkcs8"], _ = x509.MarshalPKCS8PrivateKey(ec384)
	der["ed25519 pkcs8"], _ = x509.MarshalPKCS8PrivateKey(ed)
	for name, d := range der {
		body := base64.StdEncoding.EncodeToString(d)
		if Find([]byte("note: "+body[:64])) == "" {
			t.Errorf("%s: the start of its base64 DER is not found", name)
		}
		typ := "PRIVATE KEY"
		if name == "rsa pkcs1" {
			typ = "RSA PRIVATE KEY"
		}
		pemFile := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})
		if Find([]byte("K="+base64.StdEncoding.EncodeToString(pemFile))) == "" {
			t.Errorf("%s: its PEM file as base64 is not found", name)
		}
	}
	// Public keys and certificates are not secrets.
	pub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	for _, s := range []string{base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))} {
		if what := Find([]byte(s)); what != "" {
			t.Errorf("a public key taken for %s", what)
		}
	}
}
