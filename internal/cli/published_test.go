package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

	// In an incident, the record keeps the URLs and what they returned.
	id := e.open()
	e.ok(append(args, "--fingerprint", fp, "--incident", id)...)
	sum := sha256.Sum256(feed)
	tl := e.ok("timeline", id, "--json")
	if !strings.Contains(tl, `"published.verify"`) || !strings.Contains(tl, hex.EncodeToString(sum[:])) || !strings.Contains(tl, srv.URL+"/advisories/feed.json") {
		t.Fatalf("record lacks the URL or the SHA-256: %.2000s", tl)
	}
}
