package verifier_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest/serve"
)

// The test binary is also the verifier process (serve.UseSelf).
func TestMain(m *testing.M) {
	serve.ServeIfAsked()
	os.Exit(m.Run())
}

// TestAuditFiles: what an audit finds, skips and says, over hostile files.
func TestAuditFiles(t *testing.T) {
	serve.UseSelf(t)
	ca := sigstoretest.NewCA(t)
	root, err := sigstore.ParseRoot(ca.Root)
	if err != nil {
		t.Fatal(err)
	}
	root.Path = "generated"
	dir := t.TempDir()
	const iss = "https://token.actions.githubusercontent.com"
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/ok.wasm", ca.SignModule(t, sigstoretest.Module("ok"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss}))
	write("a/old.wasm", ca.SignModule(t, sigstoretest.Module("old"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss, When: sigstoretest.Base.AddDate(0, -3, 0)}))
	write("a/stranger.wasm", ca.SignModule(t, sigstoretest.Module("s"), sigstoretest.Signing{Identity: "stranger@example.com", Issuer: iss}))
	write("a/blocked-old.wasm", ca.SignModule(t, sigstoretest.Module("b"), sigstoretest.Signing{Identity: "mallory@example.com", Issuer: iss, When: sigstoretest.Base.AddDate(0, -3, 0)}))
	write("a/unsigned.wasm", sigstoretest.Module("u"))
	write("a/fake.wasm", []byte("not wasm"))
	write("a/junk.sigstore.json", []byte("{\"mediaType\": 1}"))
	write("a/\x1b[31mred.bundle", []byte("{}"))
	write("a/notes.txt", []byte("ignored"))
	garbled := ca.SignModule(t, sigstoretest.Module("g"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss})
	garbled[bytes.Index(garbled, []byte("signature"))+9+67] = 2 // the certificate count: the section no longer parses
	write("a/garbled.wasm", garbled)
	write("named/journal.jsonl", []byte(`{"seq":1}`+"\n"))
	// An old genuine signature on a module changed since: fails, wherever
	// its (now unproven) time falls.
	oldTampered := ca.SignModule(t, sigstoretest.Module("ot"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss, When: sigstoretest.Base.AddDate(0, -3, 0)})
	write("a/old-tampered.wasm", append(oldTampered, 0x00, 0x03, 0x01, 'x', 0x00))
	// Modules that must not leave the audit: a name in capitals, a
	// renamed one, a signature header nobody knows, trailing bytes.
	write("a/FORGED.WASM", ca.SignModule(t, sigstoretest.Module("F"), sigstoretest.Signing{Identity: "evil@attacker", Issuer: iss, SelfSigned: true}))
	write("a/renamed", ca.SignModule(t, sigstoretest.Module("R"), sigstoretest.Signing{Identity: "evil@attacker", Issuer: iss, SelfSigned: true}))
	hdr := ca.SignModule(t, sigstoretest.Module("H"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss})
	hdr[bytes.Index(hdr, []byte("signature"))+10] = 0x03 // keyless 02 02 -> 02 03
	write("a/hdr0203.wasm", hdr)
	write("a/trailing.wasm", append(ca.SignModule(t, sigstoretest.Module("T"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss}), 1, 2, 3))
	os.Symlink(filepath.Join(dir, "a", "ok.wasm"), filepath.Join(dir, "a", "link.wasm"))
	os.Mkdir(filepath.Join(dir, "a", "dir.wasm"), 0o755)

	v, err := sigstore.Start(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var found []sigstore.Finding
	sum, err := sigstore.Audit(context.Background(), sigstore.AuditOptions{
		Paths: []string{filepath.Join(dir, "a")}, Verifier: v,
		Window:  sigstore.Window{Since: sigstoretest.Base.AddDate(0, -1, 0)},
		Signers: []sigstore.Signer{{Identity: "release@example.com", Issuer: iss}},
		Blocked: []sigstore.Signer{{Identity: "mallory@example.com"}},
		Found:   func(f sigstore.Finding) error { found = append(found, f); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sigstore.Finding{}
	for _, f := range found {
		byName[filepath.Base(f.Path)] = f
	}
	check := func(name string, verified, inWindow, failed bool, signer string) {
		t.Helper()
		f, ok := byName[name]
		if !ok {
			t.Fatalf("%s not found: %v", name, byName)
		}
		if f.Verified != verified || f.InWindow != inWindow || f.Failed != failed || f.Signer != signer {
			t.Errorf("%s: %+v", name, f)
		}
	}
	check("ok.wasm", true, true, false, "expected")
	check("old.wasm", true, false, false, "expected")
	check("stranger.wasm", true, true, true, "unexpected")
	check("blocked-old.wasm", true, false, true, "blocked")
	check("junk.sigstore.json", false, true, true, "unexpected")
	check("garbled.wasm", false, true, true, "unexpected")
	check("old-tampered.wasm", false, true, true, "expected")
	check("FORGED.WASM", false, true, true, "unexpected")
	check("renamed", false, true, true, "unexpected")
	check("hdr0203.wasm", false, true, true, "unexpected")
	check("trailing.wasm", false, true, true, "unexpected")
	if f := byName["garbled.wasm"]; !strings.Contains(f.Problem, "undecodable keyless signature") {
		t.Errorf("garbled: %+v", f)
	}
	check("\x1b[31mred.bundle", false, true, true, "unexpected")
	if sum.Signatures != 12 || sum.Failed != 10 || sum.Blocked != 1 || sum.InWindow != 10 {
		t.Errorf("summary: %+v", sum)
	}
	skipped := map[string]string{}
	for _, s := range sum.Skipped {
		skipped[filepath.Base(s.Path)] = s.Reason
	}
	for name, want := range map[string]string{"link.wasm": "symbolic link", "fake.wasm": "not a WebAssembly module", "dir.wasm": ""} {
		if r, ok := skipped[name]; (want != "" && !strings.Contains(r, want)) || (want == "" && ok) {
			t.Errorf("skipped %s: %q (all: %v)", name, r, skipped)
		}
	}
	if _, ok := skipped["unsigned.wasm"]; ok {
		t.Error("a module without a keyless signature found by a walk is not worth a line")
	}

	// Named explicitly, an unsigned module is said to be one.
	sum, err = sigstore.Audit(context.Background(), sigstore.AuditOptions{Paths: []string{filepath.Join(dir, "a", "unsigned.wasm")}, Verifier: v})
	if err != nil || len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "no keyless signature") {
		t.Fatalf("explicit unsigned: %v %+v", err, sum)
	}
	// A file named on the command line that is no bundle (a journal) is
	// skipped with a reason, not a failing "signature"; a path given twice
	// is audited once.
	j := filepath.Join(dir, "named", "journal.jsonl")
	sum, err = sigstore.Audit(context.Background(), sigstore.AuditOptions{Paths: []string{j, j}, Verifier: v})
	if err != nil || sum.Signatures != 0 || len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "not a Sigstore bundle") {
		t.Fatalf("named journal: %v %+v", err, sum)
	}
	// A path that is not there is an error, not an empty audit.
	if _, err := sigstore.Audit(context.Background(), sigstore.AuditOptions{Paths: []string{filepath.Join(dir, "nope")}, Verifier: v}); err == nil {
		t.Fatal("missing path audited")
	}
	// Cancelled: stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sigstore.Audit(ctx, sigstore.AuditOptions{Paths: []string{filepath.Join(dir, "a")}, Verifier: v}); err == nil {
		t.Fatal("a cancelled audit went on")
	}
}

// TestVerifierProcessErrors: a helper that is not there, not the verifier,
// or a root it refuses is a clear error.
func TestVerifierProcessErrors(t *testing.T) {
	ca := sigstoretest.NewCA(t)
	root, _ := sigstore.ParseRoot(ca.Root)
	root.Path = "generated"
	t.Setenv(sigstore.EnvHelper, filepath.Join(t.TempDir(), "missing"))
	if _, err := sigstore.Start(context.Background(), root, nil); err == nil || !strings.Contains(err.Error(), "FIREBREAK_SIGSTORE") {
		t.Fatalf("missing helper: %v", err)
	}
	t.Setenv(sigstore.EnvHelper, "/bin/true")
	if _, err := sigstore.Start(context.Background(), root, nil); err == nil || !strings.Contains(err.Error(), "not the Sigstore verifier") {
		t.Fatalf("not a verifier: %v", err)
	}
	serve.UseSelf(t)
	bad := *root
	bad.Raw = []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)
	if _, err := sigstore.Start(context.Background(), &bad, nil); err == nil || !strings.Contains(err.Error(), "generated") {
		t.Fatalf("refused root: %v", err)
	}
}

// TestVerifierThatHangs: a program that says hello and then never answers
// does not keep firebreak waiting past its context, and a verifier that
// dies on an input gives that input a result and is started again.
func TestVerifierThatHangs(t *testing.T) {
	dir := t.TempDir()
	hang := filepath.Join(dir, "hang.sh")
	os.WriteFile(hang, []byte("#!/bin/sh\necho '{\"protocol\":1}'\nsleep 1000\n"), 0o755)
	t.Setenv(sigstore.EnvHelper, hang)
	ca := sigstoretest.NewCA(t)
	root, _ := sigstore.ParseRoot(ca.Root)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancelled once the client is waiting: no clock in the verdict.
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	if _, err := sigstore.Start(ctx, root, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("hung verifier: %v", err)
	}

	// Dies on the second request: that one gets a result saying so.
	dies := filepath.Join(dir, "dies.sh")
	os.WriteFile(dies, []byte("#!/bin/sh\necho '{\"protocol\":1}'\nread a\necho '{}'\nread b\nexit 3\n"), 0o755)
	t.Setenv(sigstore.EnvHelper, dies)
	v, err := sigstore.Start(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	res, err := v.Verify(&sigstore.Request{Kind: "bundle", Bundle: []byte("{}")})
	if err != nil || res.Verified || !strings.Contains(res.Problem, "started again") {
		t.Fatalf("died: %v %+v", err, res)
	}

	// Exits while a child of it holds its stdout: noticed by the exit,
	// not by a request timeout.
	forks := filepath.Join(dir, "forks.sh")
	os.WriteFile(forks, []byte("#!/bin/sh\necho '{\"protocol\":1}'\nread a\necho '{}'\nread b\nsleep 1000 &\nexit 0\n"), 0o755)
	t.Setenv(sigstore.EnvHelper, forks)
	v2, err := sigstore.Start(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	res, err = v2.Verify(&sigstore.Request{Kind: "bundle", Bundle: []byte("{}")})
	if err != nil || !strings.Contains(res.Problem, "exited") {
		t.Fatalf("exited with a child holding the pipe: %v %+v", err, res)
	}
}

// TestArtifactBesideABundle: an artifact beside its bundle is hashed and
// checked; one that is a link or not a regular file fails, never falls
// back to the digest the bundle names.
func TestArtifactBesideABundle(t *testing.T) {
	serve.UseSelf(t)
	root, err := sigstore.LoadRoot(sigstoretest.PublicGood(t))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(sigstoretest.Data(t, "bundles/dsse.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "evil.tgz"), []byte("MALICIOUS"), 0o644)
	for _, name := range []string{"plain", "linked", "fifo", "wrong"} {
		os.WriteFile(filepath.Join(dir, name+".tgz.sigstore.json"), bundle, 0o644)
	}
	os.Symlink("evil.tgz", filepath.Join(dir, "linked.tgz"))
	syscall.Mkfifo(filepath.Join(dir, "fifo.tgz"), 0o644)
	os.WriteFile(filepath.Join(dir, "wrong.tgz"), []byte("not what was signed"), 0o644)
	v, err := sigstore.Start(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	got := map[string]sigstore.Finding{}
	if _, err := sigstore.Audit(context.Background(), sigstore.AuditOptions{Paths: []string{dir}, Verifier: v,
		Found: func(f sigstore.Finding) error { got[filepath.Base(f.Path)] = f; return nil }}); err != nil {
		t.Fatal(err)
	}
	if f := got["plain.tgz.sigstore.json"]; !f.Verified || f.ArtifactFile != "" {
		t.Errorf("no artifact beside: %+v", f)
	}
	for name, want := range map[string]string{"linked.tgz.sigstore.json": "symbolic link", "fifo.tgz.sigstore.json": "not a regular file", "wrong.tgz.sigstore.json": "digest"} {
		if f := got[name]; f.Verified || !f.Failed || !strings.Contains(f.Problem, want) {
			t.Errorf("%s: %+v", name, f)
		}
	}
}
