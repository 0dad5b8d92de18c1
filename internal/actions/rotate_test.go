package actions

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

func genKey(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func runAll(t *testing.T, a Action) (*Outcome, error) {
	t.Helper()
	return (&Runner{Yes: true}).Run(context.Background(), a)
}

func TestUpdatePins(t *testing.T) {
	_, oldPub := genKey(t)
	_, newPub := genKey(t)
	oldPEM, _ := signing.MarshalPublicKeyPEM(oldPub)
	dir := t.TempDir()
	key := writeFile(t, filepath.Join(dir, "feed-signing-public.pem"), oldPEM)
	doc := writeFile(t, filepath.Join(dir, "SIGNING.md"), []byte("fingerprint: "+signing.Fingerprint(oldPub)+"\n\n"+string(oldPEM)))
	none := writeFile(t, filepath.Join(dir, "README.md"), []byte("nothing here\n"))
	u := &UpdatePins{Old: oldPub, New: newPub, Files: []string{key, doc, none}}
	p, err := u.Plan(context.Background())
	if err != nil || !p.Destructive || p.Confirm != "update" || !strings.Contains(p.Summary, "3 reference(s)") {
		t.Fatalf("plan %+v %v", p, err)
	}
	out, err := runAll(t, u)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Verification.OK() {
		t.Fatalf("verification %+v", out.Verification)
	}
	for _, f := range []string{key, doc} {
		b, _ := os.ReadFile(f)
		if signing.CountKeyReferences(b, oldPub) != 0 || signing.CountKeyReferences(b, newPub) == 0 {
			t.Errorf("%s: %s", f, b)
		}
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s lost its mode: %v", f, fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(none); string(b) != "nothing here\n" {
		t.Error("a file without the key was rewritten")
	}
	// A link is never written through.
	link := filepath.Join(dir, "link.pem")
	os.Symlink(key, link)
	if _, err := (&UpdatePins{Old: oldPub, New: newPub, Files: []string{link}}).Plan(context.Background()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("link: %v", err)
	}
	if _, err := (&UpdatePins{Old: oldPub, New: newPub, Files: []string{filepath.Join(dir, "missing")}}).Plan(context.Background()); err == nil {
		t.Error("a missing file was planned")
	}
}

func TestUseSecret(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, filepath.Join(dir, "sign.yml"), []byte("env:\n  K: ${{ secrets.SIGNING_KEY }}\n  L: ${{ secrets.SIGNING_KEY_OTHER }}\n"))
	ci := writeFile(t, filepath.Join(dir, "ci.yml"), []byte("name: CI\n"))
	u := &UseSecret{Files: []string{wf, ci}, From: "SIGNING_KEY", To: "SIGNING_KEY_V2"}
	out, err := runAll(t, u)
	if err != nil || !out.Verification.OK() {
		t.Fatalf("%v %+v", err, out)
	}
	b, _ := os.ReadFile(wf)
	if string(b) != "env:\n  K: ${{ secrets.SIGNING_KEY_V2 }}\n  L: ${{ secrets.SIGNING_KEY_OTHER }}\n" {
		t.Fatalf("rewritten: %s", b)
	}
	for _, tc := range []struct {
		u    *UseSecret
		want string
	}{
		{&UseSecret{Files: []string{ci}, From: "SIGNING_KEY", To: "X"}, "no workflow among 1 uses secrets.SIGNING_KEY"},
		{&UseSecret{Files: []string{wf}, From: "A B", To: "X"}, `secret name "A B" may hold only letters, digits and _`},
		{&UseSecret{Files: []string{wf}, From: "SIGNING_KEY", To: "GITHUB_X"}, "may not start with GITHUB_"},
		{&UseSecret{From: "A", To: "B"}, "no workflow files"},
	} {
		if _, err := tc.u.Plan(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want %q", err, tc.want)
		}
	}
}

func TestVerifySignaturesBothWays(t *testing.T) {
	priv, pub := genKey(t)
	_, oldPub := genKey(t)
	dir := t.TempDir()
	feed := writeFile(t, filepath.Join(dir, "feed.json"), []byte(`{"advisories":[]}`))
	writeFile(t, feed+".sig", signing.SignDetached(priv, []byte(`{"advisories":[]}`)))
	signed := []SignedFile{{File: feed, Sig: feed + ".sig"}}
	out, err := runAll(t, &VerifySignatures{Pub: pub, Signed: signed, ExpectValid: true})
	if err != nil || !out.Verification.OK() {
		t.Fatalf("the signing key: %v %+v", err, out.Verification)
	}
	out, err = runAll(t, &VerifySignatures{Pub: oldPub, Signed: signed})
	if err != nil || !out.Verification.OK() {
		t.Fatalf("the retired key should be rejected: %v %+v", err, out.Verification)
	}
	// The new key expected to fail does not pass; nor does a missing file
	// count as "rejected".
	_, err = runAll(t, &VerifySignatures{Pub: pub, Signed: signed})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "it still verifies") {
		t.Fatalf("still verifies: %v", err)
	}
	_, err = runAll(t, &VerifySignatures{Pub: oldPub, Signed: []SignedFile{{File: filepath.Join(dir, "gone.json"), Sig: filepath.Join(dir, "gone.json.sig")}}})
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "could not be checked") {
		t.Fatalf("missing file: %v", err)
	}
	// A manifest that verifies has its entries re-hashed.
	man := writeFile(t, filepath.Join(dir, "checksums.json"), []byte(`{"algorithm":"sha256","files":{"feed.json":"`+strings.Repeat("0", 64)+`"}}`))
	b, _ := os.ReadFile(man)
	writeFile(t, filepath.Join(dir, "checksums.sig"), signing.SignDetached(priv, b))
	_, err = runAll(t, &VerifySignatures{Pub: pub, Signed: []SignedFile{{File: man, Sig: filepath.Join(dir, "checksums.sig")}}, ExpectValid: true})
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "manifest says") {
		t.Fatalf("a manifest with a wrong hash passed: %v", err)
	}
}

func TestParseSignedFiles(t *testing.T) {
	got, err := ParseSignedFiles([]string{"a.json", "m.json m.sig"})
	if err != nil || len(got) != 2 || got[0].Sig != "a.json.sig" || got[1].Sig != "m.sig" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := ParseSignedFiles([]string{"a b c"}); err == nil {
		t.Error("three words accepted")
	}
}

func TestFingerprintAndOpenSSL(t *testing.T) {
	priv, pub := genKey(t)
	dir := t.TempDir()
	pubPEM, _ := signing.MarshalPublicKeyPEM(pub)
	pubPath := writeFile(t, filepath.Join(dir, "k.pub.pem"), pubPEM)
	out, err := runAll(t, &CheckFingerprint{PubPath: pubPath, Expect: signing.Fingerprint(pub), RecordAs: "pin"})
	if err != nil || !out.Verification.OK() || len(out.Result.Events) != 1 {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := runAll(t, &CheckFingerprint{PubPath: pubPath, Expect: strings.Repeat("0", 64)}); err == nil {
		t.Error("a wrong expected fingerprint passed")
	}
	feed := writeFile(t, filepath.Join(dir, "feed.json"), []byte("data"))
	writeFile(t, feed+".sig", signing.SignDetached(priv, []byte("data")))
	o := &VerifyOpenSSL{PubPath: pubPath, Signed: []SignedFile{{File: feed, Sig: feed + ".sig"}}, Scratch: dir}
	out, err = runAll(t, o)
	if err != nil {
		t.Fatal(err)
	}
	_, noOpenSSL := exec.LookPath("openssl")
	if c := out.Verification.Checks[0]; c.Skipped != (noOpenSSL != nil) || !c.OK {
		t.Fatalf("openssl check %+v", c)
	}
	if noOpenSSL == nil {
		// Tampered data: openssl says no.
		os.WriteFile(feed, []byte("date"), 0o644)
		if _, err := runAll(t, o); err == nil {
			t.Error("openssl accepted tampered data")
		}
	}
}

func TestFirstBadRestoreCommitWindow(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	priv, pub := genKey(t)
	otherPriv, _ := genKey(t)
	r, err := gitrepo.Init(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	version := func(text string, key ed25519.PrivateKey, at time.Time) string {
		writeFile(t, filepath.Join(r.Dir, "advisories", "feed.json"), []byte(text))
		writeFile(t, filepath.Join(r.Dir, "advisories", "feed.json.sig"), signing.SignDetached(key, []byte(text)))
		h, err := r.CommitAll(ctx, text, at)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	version("v1", priv, t0)
	good := version("v2", priv, t0.Add(24*time.Hour))
	bad := version("v3 tampered", otherPriv, t0.Add(48*time.Hour))
	version("v4 also bad", otherPriv, t0.Add(72*time.Hour))

	f := &FindFirstBad{Repo: r, File: "advisories/feed.json", Pub: pub}
	out, err := runAll(t, f)
	if err != nil || !out.Verification.OK() {
		t.Fatalf("%v %+v", err, out)
	}
	if f.good.Hash != good || f.bad.Hash != bad || !f.bad.At.Equal(t0.Add(48*time.Hour)) || len(out.Result.Events) != 3 {
		t.Fatalf("good %s bad %s events %d", f.good.Hash, f.bad.Hash, len(out.Result.Events))
	}
	// Restore the known-good version, then commit it.
	rs := &RestoreFiles{Repo: r, Commit: good, Paths: []string{"advisories/feed.json", "advisories/feed.json.sig"}}
	p, err := rs.Plan(ctx)
	if err != nil || !p.Destructive || p.Confirm != "restore" {
		t.Fatalf("plan %+v %v", p, err)
	}
	if out, err := runAll(t, rs); err != nil || !out.Verification.OK() {
		t.Fatalf("restore: %v %+v", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(r.Dir, "advisories", "feed.json")); string(b) != "v2" {
		t.Fatalf("restored %q", b)
	}
	if out, err := runAll(t, &CommitFiles{Repo: r, Message: "roll back"}); err != nil || !out.Verification.OK() {
		t.Fatalf("commit: %v %+v", err, out)
	}
	if _, err := (&CommitFiles{Repo: r, Message: "again"}).Plan(ctx); err == nil || !strings.Contains(err.Error(), "nothing to commit") {
		t.Errorf("empty commit: %v", err)
	}
	// No version verifies: there is no known good to go back to.
	_, stranger := genKey(t)
	if _, err := runAll(t, &FindFirstBad{Repo: r, File: "advisories/feed.json", Pub: stranger}); err == nil || !strings.Contains(err.Error(), "no committed version") {
		t.Errorf("no good version: %v", err)
	}
	for _, bad := range []RestoreFiles{{Repo: r, Commit: good, Paths: []string{"../etc/passwd"}}, {Repo: r, Commit: good, Paths: []string{"nope.txt"}}, {Repo: r, Paths: []string{"a"}}} {
		if _, err := bad.Plan(ctx); err == nil {
			t.Errorf("restore %+v planned", bad)
		}
	}
	now := t0.Add(96 * time.Hour)
	w := &RecordWindow{From: t0.Add(48 * time.Hour), Now: func() time.Time { return now }}
	out, err = runAll(t, w)
	if err != nil || !strings.Contains(out.Result.Summary, "2026-11-03 00:00Z to 2026-11-05 00:00Z (2d0h)") || len(out.Result.Events) != 3 {
		t.Fatalf("window: %v %+v", err, out.Result)
	}
	if _, err := runAll(t, &RecordWindow{From: now.Add(time.Hour), Now: func() time.Time { return now }}); err == nil {
		t.Error("a window from the future")
	}
}

// TestScanOfAPathThatVanishesFailsVerification: a path gone between the
// plan and the scan (or unreadable in the tree) makes the verification
// fail, so "0 modules affected" never passes for a scope it did not read.
func TestScanOfAPathThatVanishesFailsVerification(t *testing.T) {
	dir := t.TempDir()
	mods := filepath.Join(dir, "mods")
	os.Mkdir(mods, 0o755)
	scratch := filepath.Join(dir, "scratch")
	os.Mkdir(scratch, 0o700)
	s := &ScanModules{Paths: []string{mods}, KeyID: make([]byte, 12), Store: evidence.NewEvidenceStore(filepath.Join(dir, "ev")), Scratch: scratch, Actor: "t"}
	if _, err := (&ScanModules{Paths: []string{filepath.Join(dir, "nope")}}).Plan(context.Background()); err == nil {
		t.Fatal("a missing path was planned")
	}
	if _, err := s.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.Remove(mods) // gone after the plan (the runner plans again; this is the race it cannot see)
	res, err := s.Execute(context.Background(), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(context.Background(), res)
	if err != nil || v.OK() || !strings.Contains(fmt.Sprint(v.Failed()), "1 unreadable") {
		t.Fatalf("verification %+v %v", v, err)
	}
}
