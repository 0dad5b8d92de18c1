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
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func init() { PBKDF2Iterations = 2048 } // keep tests fast; openssl's own default

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func fixedKey(b byte) ed25519.PrivateKey {
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{b}, 64)))
	return priv
}

func passOf(s string) Passphrase { return func() ([]byte, error) { return []byte(s), nil } }

// TestEveryFormReadsTheSameKey writes one key in every supported form and
// reads each back.
func TestEveryFormReadsTheSameKey(t *testing.T) {
	priv := fixedKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	privPEM, _ := MarshalPrivateKeyPEM(priv)
	pubPEM, _ := MarshalPublicKeyPEM(pub)
	encPEM, err := MarshalEncryptedPrivateKeyPEM(priv, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	sshBlock, err := ssh.MarshalPrivateKey(priv, "responder")
	if err != nil {
		t.Fatal(err)
	}
	sshEnc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "responder", []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	for _, tc := range []struct {
		name    string
		content []byte
		pass    Passphrase
		form    string
		private bool
	}{
		{"pkcs8 pem", privPEM, nil, FormPKCS8PEM, true},
		{"encrypted pkcs8 pem", encPEM, passOf("correct horse"), FormPKCS8PEMEnc, true},
		{"spki pem", pubPEM, nil, FormSPKIPEM, false},
		{"pkcs8 der", privDER, nil, FormPKCS8DER, true},
		{"spki der", pubDER, nil, FormSPKIDER, false},
		{"wsc secret", MarshalWscSecret(priv), nil, FormWscSecret, true},
		{"wsc public", MarshalWscPublic(pub), nil, FormWscPublic, false},
		{"openssh private", pem.EncodeToMemory(sshBlock), nil, FormOpenSSHPriv, true},
		{"openssh private encrypted", pem.EncodeToMemory(sshEnc), passOf("pw"), FormOpenSSHPriv, true},
		{"openssh public", ssh.MarshalAuthorizedKey(sshPub), nil, FormOpenSSHPub, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := LoadKey(writeFile(t, "key", tc.content), tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			if k.Form != tc.form || !k.Public.Equal(pub) || (k.Private != nil) != tc.private || (tc.private && !k.Private.Equal(priv)) {
				t.Fatalf("got form %s private %v", k.Form, k.Private != nil)
			}
		})
	}
	if got := MarshalWscSecret(priv); len(got) != 65 || got[0] != 0x81 {
		t.Fatalf("wsc secret layout: % x", got[:2])
	}
	if got := MarshalWscPublic(pub); len(got) != 33 || got[0] != 0x01 {
		t.Fatalf("wsc public layout: % x", got[:2])
	}
}

func TestBadKeys(t *testing.T) {
	priv := fixedKey(2)
	privPEM, _ := MarshalPrivateKeyPEM(priv)
	pubPEM, _ := MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	encPEM, _ := MarshalEncryptedPrivateKeyPEM(priv, []byte("right"))
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	corrupt := MarshalWscSecret(priv)
	corrupt[64] ^= 1
	rsaSSH, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	for _, tc := range []struct {
		name    string
		content []byte
		pass    Passphrase
		want    string
	}{
		{"not a key", []byte("hello world"), nil, "not a key in a supported form"},
		{"truncated PEM", privPEM[:60], nil, "malformed or truncated PEM"},
		{"garbage PKCS#8", pemOf("PRIVATE KEY", []byte{1, 2, 3}), nil, "malformed PKCS#8"},
		{"RSA PKCS#8", pemOf("PRIVATE KEY", rsaDER), nil, "is an RSA key, not Ed25519"},
		{"RSA PKCS#1", pemOf("RSA PRIVATE KEY", []byte{1}), nil, "is an RSA key"},
		{"EC public", pemOf("PUBLIC KEY", ecPubDER), nil, "ECDSA P-256 key, not Ed25519"},
		{"RSA ssh line", ssh.MarshalAuthorizedKey(rsaSSH), nil, "SSH ssh-rsa key, not Ed25519"},
		{"certificate", pemOf("CERTIFICATE", []byte{1}), nil, "certificate"},
		{"33 bytes, wrong tag", append([]byte{0x02}, make([]byte, 32)...), nil, "33-byte file that is not a wsc key"},
		{"65 bytes, wrong tag", append([]byte{0x80}, make([]byte, 64)...), nil, "65-byte file that is not a wsc key"},
		{"corrupt wsc secret", corrupt, nil, "public half does not match"},
		{"encrypted, no passphrase", encPEM, nil, "no passphrase was given"},
		{"encrypted, wrong passphrase", encPEM, passOf("wrong"), "passphrase does not decrypt"},
		{"encrypted, garbage", pemOf("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}), passOf("x"), "malformed encrypted PKCS#8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "key.pem", tc.content)
			_, err := LoadKey(p, tc.pass)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want it to name %s and say %q", err, p, tc.want)
			}
			if strings.Contains(err.Error(), "MC4CAQ") {
				t.Fatal("error carries key material")
			}
		})
	}
	if _, err := LoadKey(writeFile(t, "e.pem", encPEM), nil); !errors.Is(err, ErrEncrypted) {
		t.Fatalf("not ErrEncrypted: %v", err)
	}
	if _, err := LoadKey(writeFile(t, "e.pem", encPEM), passOf("nope")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("not ErrPassphrase: %v", err)
	}
	if _, err := LoadPrivateKey(writeFile(t, "p.pem", pubPEM), nil); err == nil || !strings.Contains(err.Error(), "a private key is needed") {
		t.Fatalf("public as private: %v", err)
	}
	if _, err := LoadKey(writeFile(t, "empty", nil), nil); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Fatalf("empty: %v", err)
	}
	if _, err := LoadKey(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: %v", err)
	}
	if _, err := LoadKey(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

func TestKeyID(t *testing.T) {
	// §5.3 of the wsc reference: pk 79b5562e…049664 has key id 5a64496e13b2692d0cee20b2.
	pk, _ := hex.DecodeString("79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664")
	if got := hex.EncodeToString(WscKeyID(pk)); got != "5a64496e13b2692d0cee20b2" {
		t.Fatalf("key id %s", got)
	}
}

func shared(t *testing.T, parts ...string) string {
	p := filepath.Join(append([]string{"..", "..", "..", "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("../shared is absent (%s): skipping the cross-check against real ClawSec data", p)
	}
	return p
}

func TestClawSecProductionFeed(t *testing.T) {
	dir := shared(t, "vectors", "clawsec")
	pub, err := LoadPublicKey(filepath.Join(dir, "feed-signing-public.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const pin = "711424e4535f84093fefb024cd1ca4ec87439e53907b305b79a631d5befba9c8"
	if Fingerprint(pub) != pin {
		t.Fatalf("fingerprint %s", Fingerprint(pub))
	}
	feed, _ := os.ReadFile(filepath.Join(dir, "feed.json"))
	sig, _ := os.ReadFile(filepath.Join(dir, "feed.json.sig"))
	if _, err := VerifyDetached(pub, feed, sig, pin); err != nil {
		t.Fatalf("production feed: %v", err)
	}
	hist, _ := filepath.Glob(filepath.Join(dir, "history-*"))
	if len(hist) == 0 {
		t.Fatal("no history pair")
	}
	oldFeed, _ := os.ReadFile(filepath.Join(hist[0], "feed.json"))
	oldSig, _ := os.ReadFile(filepath.Join(hist[0], "feed.json.sig"))
	if _, err := VerifyDetached(pub, oldFeed, oldSig, pin); err != nil {
		t.Fatalf("older pair: %v", err)
	}
	for name, tc := range map[string][2][]byte{
		"feed with the other signature": {feed, oldSig},
		"older feed, newer signature":   {oldFeed, sig},
		"one extra newline":             {append(append([]byte{}, feed...), '\n'), sig},
	} {
		if _, err := VerifyDetached(pub, tc[0], tc[1], pin); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := VerifyDetached(pub, feed, sig, strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "does not match the pinned") {
		t.Errorf("wrong pin: %v", err)
	}
	// What consumers accept: trailing newline, JSON wrapper, URL-safe unpadded.
	url := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(string(sig)), "=")
	for _, s := range []string{string(sig) + "\n", `{"signature": "` + string(sig) + `"}`, url, " " + string(sig[:40]) + "\n" + string(sig[40:])} {
		if _, err := VerifyDetached(pub, feed, []byte(s), pin); err != nil {
			t.Errorf("form %q: %v", s[:12], err)
		}
	}
}

func TestParseSignature(t *testing.T) {
	good := base64Of(bytes.Repeat([]byte{7}, 64))
	for _, tc := range []struct {
		in, want string
	}{
		{"", "empty"},
		{"  \n", "empty"},
		{"{not json", "not valid JSON"},
		{`{"sig": "x"}`, `no string field "signature"`},
		{good[:40], "is 30 bytes"},
		{base64Of(make([]byte, 128)), "is 128 bytes"},
		{good[:20] + "!" + good[21:], `character '!' at position 20`},
	} {
		if _, err := ParseSignature([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
	if s, err := ParseSignature([]byte(good + "\n")); err != nil || len(s) != 64 {
		t.Fatalf("good: %v", err)
	}
}

func base64Of(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestSignDetachedMatchesOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	run(t, openssl, "genpkey", "-algorithm", "Ed25519", "-out", key)
	priv, err := LoadPrivateKey(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(dir, "feed.json")
	os.WriteFile(feed, []byte(`{"advisories":[]}`+"\n"), 0o600)
	// The ClawSec action: openssl pkeyutl -sign -rawin | openssl base64 -A
	rawSig := run(t, openssl, "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", feed)
	data, _ := os.ReadFile(feed)
	ours := SignDetached(priv, data)
	if string(ours) != base64Of(rawSig) || len(ours) != 88 {
		t.Fatalf("signature differs from openssl's:\n%s\n%s", ours, base64Of(rawSig))
	}
	// openssl verifies ours.
	sigBin := filepath.Join(dir, "sig.bin")
	dec, _ := ParseSignature(ours)
	os.WriteFile(sigBin, dec, 0o600)
	pubPath := filepath.Join(dir, "p.pem")
	pubPEM, _ := MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	os.WriteFile(pubPath, pubPEM, 0o600)
	run(t, openssl, "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pubPath, "-in", feed, "-sigfile", sigBin)
}

func TestOpenSSLKeyInterop(t *testing.T) {
	openssl := needOpenSSL(t)
	dir := t.TempDir()
	// openssl -> firebreak, plain and encrypted.
	plain := filepath.Join(dir, "plain.pem")
	run(t, openssl, "genpkey", "-algorithm", "Ed25519", "-out", plain)
	enc := filepath.Join(dir, "enc.pem")
	run(t, openssl, "genpkey", "-algorithm", "Ed25519", "-aes256", "-pass", "pass:s3cret", "-out", enc)
	scr := filepath.Join(dir, "scrypt.pem")
	run(t, openssl, "pkcs8", "-topk8", "-scrypt", "-in", plain, "-passout", "pass:s3cret", "-out", scr)
	for _, c := range []struct {
		path string
		pass Passphrase
	}{{plain, nil}, {enc, passOf("s3cret")}, {scr, passOf("s3cret")}} {
		k, err := LoadKey(c.path, c.pass)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		der := run(t, openssl, "pkey", "-in", c.path, "-passin", "pass:s3cret", "-pubout", "-outform", "DER")
		sum := sha256.Sum256(der)
		if k.Fingerprint() != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: fingerprint %s, openssl %x", c.path, k.Fingerprint(), sum)
		}
	}
	// firebreak -> openssl: every form openssl knows.
	priv := fixedKey(9)
	pubPEM, _ := MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	privPEM, _ := MarshalPrivateKeyPEM(priv)
	encPEM, _ := MarshalEncryptedPrivateKeyPEM(priv, []byte("pa ss"))
	passFile := writeFile(t, "pass.txt", []byte("pa ss\n"))
	run(t, openssl, "pkey", "-pubin", "-in", writeFile(t, "p.pem", pubPEM), "-noout")
	run(t, openssl, "pkey", "-in", writeFile(t, "k.pem", privPEM), "-noout")
	out := run(t, openssl, "pkey", "-in", writeFile(t, "e.pem", encPEM), "-passin", "file:"+passFile, "-pubout")
	if string(out) != string(pubPEM) {
		t.Fatalf("openssl derives %s from our encrypted key, want %s", out, pubPEM)
	}
}

func needOpenSSL(t *testing.T) string {
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	if out, err := exec.Command(p, "genpkey", "-algorithm", "Ed25519", "-out", filepath.Join(t.TempDir(), "probe.pem")).CombinedOutput(); err != nil {
		t.Skipf("openssl without Ed25519: %s", out)
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return out
}

// FuzzParseKey: any bytes give a key or a *KeyError-bearing error, never a
// panic; a parsed key's public half is 32 bytes and its private half, when
// present, matches it.
func FuzzParseKey(f *testing.F) {
	priv := fixedKey(3)
	pub := priv.Public().(ed25519.PublicKey)
	privPEM, _ := MarshalPrivateKeyPEM(priv)
	pubPEM, _ := MarshalPublicKeyPEM(pub)
	encPEM, _ := MarshalEncryptedPrivateKeyPEM(priv, []byte("x"))
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sshPub, _ := ssh.NewPublicKey(pub)
	for _, s := range [][]byte{privPEM, pubPEM, encPEM, der, MarshalWscSecret(priv), MarshalWscPublic(pub), ssh.MarshalAuthorizedKey(sshPub), []byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b, "fuzz", passOf("x"))
		if err != nil {
			return
		}
		if len(k.Public) != ed25519.PublicKeySize {
			t.Fatalf("public key of %d bytes", len(k.Public))
		}
		if k.Private != nil && !bytes.Equal(k.Private[32:], k.Public) {
			t.Fatal("private and public halves differ")
		}
	})
}

// FuzzParseSignature: never panics; an accepted signature is 64 bytes.
func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{base64Of(make([]byte, 64)), `{"signature":"` + base64Of(make([]byte, 64)) + `"}`, "", "{", "====", "AA-_"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := ParseSignature(b); err == nil && len(s) != 64 {
			t.Fatalf("accepted %d bytes", len(s))
		}
	})
}

// FuzzParseManifest: never panics; an accepted manifest has entries that are
// all 64 lowercase hex digits.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		`{"algorithm":"sha256","files":{"a":"` + strings.Repeat("a", 64) + `"}}`,
		`{"files":{"a":{"sha256":"` + strings.Repeat("B", 64) + `","size":1}}}`,
		`{"files":{}}`, `[]`, `{"algorithm":"md5","files":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pm, err := ParseManifest(b)
		if err != nil {
			return
		}
		for k, v := range pm.Entries {
			if !hex64.MatchString(v) {
				t.Fatalf("entry %q = %q", k, v)
			}
		}
	})
}
