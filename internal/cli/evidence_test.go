package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

func init() { signing.PBKDF2Iterations = 2048 }

func TestQuarantineFromTheCommandLine(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad module.wasm")
	os.WriteFile(bad, []byte("\x00asm\x01"), 0o644)

	// Not a terminal and no --yes: refused, nothing moves.
	errs := e.fail(1, "not confirmed", "evidence", "quarantine", id, bad)
	if !strings.Contains(errs, "--yes") {
		t.Fatalf("no hint about --yes: %s", errs)
	}
	out := e.ok("evidence", "quarantine", id, bad, "--dry-run")
	if !strings.Contains(out, "dry run: nothing was changed") || !strings.Contains(out, "move "+bad) {
		t.Fatalf("dry run: %s", out)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatal("dry run moved the file")
	}
	out = e.ok("evidence", "quarantine", id, bad, "--yes", "--step", "identify-scope")
	if !strings.Contains(out, "ok   re-hash bad module.wasm") || !strings.Contains(out, "ok   original "+bad+" — removed") {
		t.Fatalf("quarantine: %s", out)
	}
	if out := e.ok("evidence", "verify", id); !strings.HasPrefix(out, "OK "+id+": 1 evidence file(s)") {
		t.Fatalf("verify: %s", out)
	}
	if out := e.ok("timeline", id, "--step", "identify-scope"); !strings.Contains(out, "evidence.added") || !strings.Contains(out, "action.done") {
		t.Fatalf("not recorded: %s", out)
	}
	// Tampering is named.
	ev := filepath.Join(e.home, "incidents", id, "evidence")
	os.Chmod(filepath.Join(ev, "bad module.wasm"), 0o600)
	os.WriteFile(filepath.Join(ev, "bad module.wasm"), []byte("clean"), 0o600)
	out, errs, code := e.run("evidence", "verify", id)
	if code != 1 || !strings.Contains(out, "FAIL evidence/bad module.wasm: hash mismatch") || !strings.Contains(errs, "does not verify: 1 problem") {
		t.Fatalf("tampered: %d %s %s", code, out, errs)
	}
}

func TestEvidenceRefusals(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tree"), 0o700)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	ev := filepath.Join(e.home, "incidents", id, "evidence")
	os.WriteFile(filepath.Join(ev, "x"), []byte("x"), 0o400)
	os.Symlink(filepath.Join(ev, "x"), filepath.Join(dir, "into"))
	before := e.snapshot()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "tree"), "is a directory (use --recursive"},
		{fifo, "is not a regular file or symlink (it is a named pipe)"},
		{"/dev/null", "(it is a character device)"},
		{filepath.Join(dir, "into"), "symlink pointing into the evidence directory"},
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{filepath.Join(ev, "x"), "already inside the evidence directory"},
	} {
		e.fail(1, tc.want, "evidence", "quarantine", id, tc.path, "--yes")
	}
	after := e.snapshot()
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}
}

func TestHashMatchesSha256sum(t *testing.T) {
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum not installed")
	}
	e := newEnv(t)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"a", "with space", "new\nline", `back\slash`, "empty"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, bytes.Repeat([]byte{byte(i)}, i*1000), 0o600)
		paths = append(paths, p)
	}
	want, err := exec.Command(sum, paths...).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := e.ok(append([]string{"hash"}, paths...)...); got != string(want) {
		t.Fatalf("firebreak hash:\n%s\nsha256sum:\n%s", got, want)
	}
	// A missing file: the others are still printed, exit 1.
	out, errs, code := e.run("hash", paths[0], filepath.Join(dir, "nope"))
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(errs, "no such file") {
		t.Fatalf("missing: %d %q %q", code, out, errs)
	}
}

func TestKeysSignaturesChecksums(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("hunter2 hunter2\n"), 0o600)
	prefix := filepath.Join(dir, "new-signing-key")
	var gen struct{ Fingerprint, KeyID string }
	out := e.ok("key", "generate", "--out", prefix, "--passphrase-file", pass, "--incident", id, "--json")
	json.Unmarshal([]byte(out), &struct {
		Fingerprint *string `json:"fingerprint"`
		KeyID       *string `json:"key_id"`
	}{&gen.Fingerprint, &gen.KeyID})
	if len(gen.Fingerprint) != 64 || len(gen.KeyID) != 24 {
		t.Fatalf("generate: %s", out)
	}
	e.fail(1, "already exists", "key", "generate", "--out", prefix)
	// An encrypted key without a passphrase, off a terminal: a clear error.
	e.fail(1, "no passphrase was given", "key", "fingerprint", prefix+".pem")
	if out := e.ok("key", "fingerprint", prefix+".pem", "--passphrase-file", pass); !strings.HasPrefix(out, gen.Fingerprint) {
		t.Fatalf("fingerprint: %s", out)
	}
	feed := filepath.Join(dir, "feed.json")
	os.WriteFile(feed, []byte(`{"advisories":[]}`), 0o644)
	e.ok("sign", feed, "--key", prefix+".pem", "--passphrase-file", pass)
	sig, _ := os.ReadFile(feed + ".sig")
	if len(sig) != 88 || sig[87] == '\n' {
		t.Fatalf("signature file: %q", sig)
	}
	if out := e.ok("verify", feed, "--pubkey", prefix+".pub.pem", "--fingerprint", gen.Fingerprint); !strings.HasPrefix(out, "OK ") {
		t.Fatalf("verify: %s", out)
	}
	e.fail(1, "does not match the pinned", "verify", feed, "--pubkey", prefix+".pub.pem", "--fingerprint", strings.Repeat("ab", 32))
	os.WriteFile(feed, []byte(`{"advisories":[]}`+"\n"), 0o644)
	e.fail(1, "does not verify", "verify", feed, "--pubkey", prefix+".pub.pem")
	e.ok("sign", feed, "--key", prefix+".pem", "--passphrase-file", pass, "--yes") // replaces: needs --yes

	// Checksums: make, verify, tamper.
	e.ok("checksums", "make", feed, feed+".sig", "-o", filepath.Join(dir, "checksums.json"), "--sign", prefix+".pem", "--passphrase-file", pass)
	if out := e.ok("checksums", "verify", filepath.Join(dir, "checksums.json"), "--sig", filepath.Join(dir, "checksums.sig"), "--pubkey", prefix+".pub.pem"); !strings.Contains(out, "signature OK") {
		t.Fatalf("checksums verify: %s", out)
	}
	os.WriteFile(feed, []byte(`{"advisories":[1]}`), 0o644)
	out, _, code := e.run("checksums", "verify", filepath.Join(dir, "checksums.json"))
	if code != 1 || !strings.Contains(out, "feed.json: FAILED — sha256 mismatch") {
		t.Fatalf("tampered checksums: %d %s", code, out)
	}
	escape := filepath.Join(dir, "escape.json")
	os.WriteFile(escape, []byte(`{"files":{"../../etc/passwd":"`+strings.Repeat("a", 64)+`"}}`), 0o644)
	if out, _, code := e.run("checksums", "verify", escape); code != 1 || !strings.Contains(out, "refused: the entry points outside") {
		t.Fatalf("path escape: %d %s", code, out)
	}

	// Consistency: a doc with the key inline and its fingerprint pinned.
	pubPEM, _ := os.ReadFile(prefix + ".pub.pem")
	doc := filepath.Join(dir, "SKILL.md")
	os.WriteFile(doc, []byte("Install:\n\n```\n"+string(pubPEM)+"```\nRELEASE_PUBKEY_SHA256=\""+gen.Fingerprint+"\"\n"), 0o644)
	if out := e.ok("key", "check-consistency", "--pin", gen.Fingerprint, prefix+".pub.pem", doc); !strings.Contains(out, "All 3 key references are consistent") {
		t.Fatalf("consistency: %s", out)
	}
	fabricated := filepath.Join(dir, "OLD.md")
	os.WriteFile(fabricated, []byte("fingerprint: "+strings.Repeat("35866e1b", 8)+"\n"), 0o644)
	out, _, code = e.run("key", "check-consistency", "--pin", gen.Fingerprint, fabricated)
	if code != 1 || !strings.Contains(out, "FAIL") {
		t.Fatalf("fabricated fingerprint passed: %s", out)
	}
	empty := filepath.Join(dir, "README.md")
	os.WriteFile(empty, []byte("no keys here\n"), 0o644)
	e.fail(1, "do not match", "key", "check-consistency", "--pin", gen.Fingerprint, empty)

	// Isolate the key into the incident; the journal gets hashes and the
	// fingerprint, never the key.
	out = e.ok("key", "isolate", id, prefix+".pem", "--yes", "--passphrase-file", pass)
	if !strings.Contains(out, gen.Fingerprint) {
		t.Fatalf("isolate: %s", out)
	}
	stored := filepath.Join(e.home, "incidents", id, "keys", "new-signing-key.pem")
	if fi, err := os.Stat(stored); err != nil || fi.Mode().Perm() != 0 {
		t.Fatalf("isolated key: %v %v", err, fi)
	}
	if out := e.ok("evidence", "verify", id); !strings.Contains(out, "1 isolated key(s)") {
		t.Fatalf("evidence verify: %s", out)
	}
	jdir := filepath.Join(e.home, "incidents", id, "journal")
	ents, _ := os.ReadDir(jdir)
	for _, ent := range ents {
		b, _ := os.ReadFile(filepath.Join(jdir, ent.Name()))
		if what := redact.Find(b); what != "" || bytes.Contains(b, []byte("hunter2")) || bytes.Contains(b, []byte("ENCRYPTED PRIVATE KEY")) {
			t.Fatalf("%s holds secret material (%s)", ent.Name(), what)
		}
		if !bytes.Contains(b, []byte(gen.Fingerprint)) {
			t.Fatalf("%s does not record the fingerprint", ent.Name())
		}
	}
}

func TestBadKeysAndSignatures(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "feed.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pubPEM, _ := signing.MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	pub := filepath.Join(dir, "pub.pem")
	os.WriteFile(pub, pubPEM, 0o644)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	sig := string(signing.SignDetached(priv, []byte("{}")))
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"malformed or truncated PEM", []string{"key", "fingerprint", w("trunc.pem", pubPEM[:50])}},
		{"is an RSA key, not Ed25519", []string{"key", "fingerprint", w("rsa.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}))}},
		{"33-byte file that is not a wsc key", []string{"key", "fingerprint", w("k.pub", append([]byte{9}, make([]byte, 32)...))}},
		{"empty file", []string{"key", "fingerprint", w("zero", nil)}},
		{"not a regular file", []string{"key", "fingerprint", dir}},
		{"the signature is 48 bytes", []string{"verify", file, "--sig", w("short.sig", []byte(sig[:64])), "--pubkey", pub}},
		{"not base64: character '*'", []string{"verify", file, "--sig", w("alpha.sig", []byte("*"+sig[1:])), "--pubkey", pub}},
		{"signature: open", []string{"verify", file, "--sig", filepath.Join(dir, "nope.sig"), "--pubkey", pub}},
		{"is a public key", []string{"sign", file, "--key", pub}},
	} {
		e.fail(1, tc.want, tc.args...)
	}
}

// A key isolated to an offline directory is still the incident's evidence:
// evidence list shows it and evidence verify re-hashes it.
func TestKeyIsolatedOfflineIsListedAndVerified(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "leaked")
	e.ok("key", "generate", "--out", prefix)
	offline := filepath.Join(dir, "offline")
	if err := os.Mkdir(offline, 0o700); err != nil {
		t.Fatal(err)
	}
	e.ok("key", "isolate", id, prefix+".pem", "--to", offline, "--yes")
	if out := e.ok("evidence", "list", id); !strings.Contains(out, "key "+filepath.Join(offline, "leaked.pem")) {
		t.Fatalf("evidence list does not show the offline key:\n%s", out)
	}
	if out := e.ok("evidence", "verify", id); !strings.Contains(out, "1 isolated key(s) in 2 key store(s)") {
		t.Fatalf("evidence verify: %s", out)
	}
	// Replace the isolated key: verify must notice, wherever it lives.
	stored := filepath.Join(offline, "leaked.pem")
	os.Chmod(stored, 0o600)
	if err := os.WriteFile(stored, []byte("not the key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := e.run("evidence", "verify", id)
	if code != 1 || !strings.Contains(errs, "does not verify") || !strings.Contains(out, "FAIL offline/leaked.pem") {
		t.Fatalf("the tampered offline key is not named: exit %d\n%s%s", code, out, errs)
	}
}
