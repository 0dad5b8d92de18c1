package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

func TestPublishedVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	feed := []byte(`{"version":"1","advisories":[{"id":"A-1","severity":"high","affected":["s@1"]}]}`)
	pem, _ := signing.MarshalPublicKeyPEM(pub)
	files := map[string][]byte{"/advisories/feed.json": feed, "/advisories/feed.json.sig": signing.SignDetached(priv, feed), "/advisories/feed-signing-public.pem": pem}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	e := newEnv(t)
	fp := signing.Fingerprint(pub)
	args := []string{"published", "verify", "--feed", srv.URL + "/advisories/feed.json", "--pubkey", srv.URL + "/advisories/feed-signing-public.pem"}
	out := e.ok(append(args, "--fingerprint", fp)...)
	if !strings.Contains(out, "verifies") || !strings.Contains(out, "ok   the public key's fingerprint is the pinned") {
		t.Fatalf("verify: %s", out)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if out, _, code := e.run(append(args, "--fingerprint", signing.Fingerprint(other))...); code != 1 || !strings.Contains(out, "FAIL the public key's fingerprint is the pinned") {
		t.Fatalf("another pin: %d %s", code, out)
	}
	e.fail(1, "/advisories/nope.sig: HTTP 404", append(args, "--sig", srv.URL+"/advisories/nope.sig")...)
	e.fail(1, "plain HTTP is refused", "published", "verify", "--feed", "http://example.com/feed.json", "--pubkey", srv.URL+"/k")
	e.fail(2, "--feed and --pubkey are required", "published", "verify", "--feed", srv.URL)
	// A key fetched from the same site, unpinned, vouches for nothing.
	if out, _, code := e.run(args...); code != 1 || !strings.Contains(out, "no pin given") {
		t.Fatalf("unpinned: %d %s", code, out)
	}
	// --json prints the report.
	js := e.ok(append(args, "--fingerprint", fp, "--json")...)
	if !strings.Contains(js, `"ok": true`) || !strings.Contains(js, `"fingerprint": "`+fp+`"`) {
		t.Fatalf("json: %s", js)
	}

	// In an incident, the record keeps the URLs and what they returned.
	id := e.open()
	e.ok(append(args, "--fingerprint", fp, "--incident", id)...)
	sum := sha256.Sum256(feed)
	tl := e.ok("timeline", id, "--json")
	if !strings.Contains(tl, `"published.verify"`) || !strings.Contains(tl, hex.EncodeToString(sum[:])) || !strings.Contains(tl, srv.URL+"/advisories/feed.json") {
		t.Fatalf("record lacks the URL or the SHA-256: %.2000s", tl)
	}
}

// TestKeyAgeFromTheRepository: the key is dated by the commit that
// introduced it, and incident show warns once its rotation is due.
func TestKeyAgeFromTheRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := newEnv(t)
	dir := t.TempDir()
	repo, err := gitrepo.Init(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pem, _ := signing.MarshalPublicKeyPEM(pub)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem, 0o644)
	if _, err := repo.CommitAll(context.Background(), "add the signing key", e.now().AddDate(0, 0, -120)); err != nil {
		t.Fatal(err)
	}
	id := e.open()
	out, _, code := e.run("key", "age", "key.pem", "--repo", dir, "--incident", id)
	if code != 1 || !strings.Contains(out, "(add the signing key)") || !strings.Contains(out, "ROTATION DUE") {
		t.Fatalf("key age: %d %s", code, out)
	}
	if show := e.ok("incident", "show", id); !strings.Contains(show, "WARNING   the signing key's rotation was due on") {
		t.Fatalf("show: %s", show)
	}
	e.fail(2, "not both", "key", "age", "key.pem", "--repo", dir, "--since", "-1d")
	// A relative --repo, and a path leaving it.
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, dir)
	if out, _, _ := e.run("key", "age", "key.pem", "--repo", rel); !strings.Contains(out, "(add the signing key)") {
		t.Fatalf("relative repo: %s", out)
	}
	// A path that names a file from where firebreak runs is that file.
	if out, _, _ := e.run("key", "age", filepath.Join(rel, "key.pem"), "--repo", rel); !strings.Contains(out, "(add the signing key)") {
		t.Fatalf("cwd-relative path: %s", out)
	}
	os.WriteFile(filepath.Join(filepath.Dir(dir), "k.pem"), pem, 0o644)
	e.fail(1, "not inside the repository", "key", "age", "../k.pem", "--repo", rel)
}
