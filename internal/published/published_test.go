package published

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

// site is a published ClawSec site: files by path, mutable per test.
type site struct {
	files map[string][]byte
	pub   ed25519.PublicKey
	priv  ed25519.PrivateKey
}

func newSite(t *testing.T) *site {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := &site{files: map[string][]byte{}, pub: pub, priv: priv}
	feed := []byte(`{"version":"1.1.0","updated":"2026-12-01T00:00:00Z","advisories":[{"id":"CLAW-2026-0001","severity":"high","affected":["skill@1.0.0"]}]}`)
	pem, _ := signing.MarshalPublicKeyPEM(pub)
	s.files["/advisories/feed.json"] = feed
	s.files["/advisories/feed.json.sig"] = signing.SignDetached(priv, feed)
	s.files["/advisories/feed-signing-public.pem"] = pem
	s.manifest()
	return s
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func (s *site) manifest() {
	man := fmt.Sprintf(`{"schema_version":"1","algorithm":"sha256","files":{"advisories/feed.json":{"sha256":"%s"},"advisories/feed.json.sig":{"sha256":"%s"},"advisories/feed-signing-public.pem":"%s"}}`,
		sum(s.files["/advisories/feed.json"]), sum(s.files["/advisories/feed.json.sig"]), sum(s.files["/advisories/feed-signing-public.pem"]))
	s.files["/checksums.json"] = []byte(man)
	s.files["/checksums.sig"] = signing.SignDetached(s.priv, []byte(man))
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/moved" {
		http.Redirect(w, r, "/advisories/feed.json", http.StatusFound)
		return
	}
	if r.URL.Path == "/elsewhere" {
		http.Redirect(w, r, "https://example.com/feed.json", http.StatusFound)
		return
	}
	b, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func target(base string, s *site) Target {
	return Target{Feed: base + "/advisories/feed.json", PubKey: base + "/advisories/feed-signing-public.pem", Fingerprint: signing.Fingerprint(s.pub),
		Checksums: base + "/checksums.json", ChecksumsSig: base + "/checksums.sig"}
}

func TestVerifyPublished(t *testing.T) {
	s := newSite(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := &Client{}
	ctx := context.Background()
	rep, err := c.Verify(ctx, target(srv.URL, s))
	if err != nil || !rep.OK || rep.Advisories != 1 || rep.Feed.SHA256 != sum(s.files["/advisories/feed.json"]) || len(rep.Checks) != 7 {
		t.Fatalf("good site: %v %+v", err, rep)
	}
	// Each file fetched is recorded as itself.
	if rep.Checksums.SHA256 != sum(s.files["/checksums.json"]) || rep.ChecksumsSig.SHA256 != sum(s.files["/checksums.sig"]) || rep.Checksums.URL == rep.ChecksumsSig.URL {
		t.Fatalf("manifest recorded as %+v and %+v", rep.Checksums, rep.ChecksumsSig)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name   string
		mutate func(s *site, t *Target)
		want   string
	}{
		{"another pin", func(s *site, t *Target) { t.Fingerprint = signing.Fingerprint(other) }, "fingerprint is the pinned"},
		{"feed changed after signing", func(s *site, t *Target) {
			s.files["/advisories/feed.json"] = append(append([]byte{}, s.files["/advisories/feed.json"]...), ' ')
		}, "feed's signature"},
		{"invalid feed, validly signed", func(s *site, t *Target) {
			s.files["/advisories/feed.json"] = []byte(`{"version":"1","advisories":[{"id":"x","severity":"high"}]}`)
			s.files["/advisories/feed.json.sig"] = signing.SignDetached(s.priv, s.files["/advisories/feed.json"])
			s.manifest()
		}, "valid advisory feed"},
		{"stale manifest", func(s *site, t *Target) {
			s.files["/advisories/feed.json"] = []byte(`{"version":"2","advisories":[]}`)
			s.files["/advisories/feed.json.sig"] = signing.SignDetached(s.priv, s.files["/advisories/feed.json"])
		}, "is the SHA-256 of what was fetched"},
		{"manifest signed by another key", func(s *site, t *Target) {
			_, p, _ := ed25519.GenerateKey(rand.Reader)
			s.files["/checksums.sig"] = signing.SignDetached(p, s.files["/checksums.json"])
		}, "manifest's signature"},
		{"manifest lacks the signature entry", func(s *site, t *Target) {
			man := fmt.Sprintf(`{"files":{"advisories/feed.json":"%s"}}`, sum(s.files["/advisories/feed.json"]))
			s.files["/checksums.json"] = []byte(man)
			s.files["/checksums.sig"] = signing.SignDetached(s.priv, []byte(man))
		}, "lists feed.json.sig"},
		{"a private key published", func(s *site, t *Target) {
			pem, _ := signing.MarshalPrivateKeyPEM(s.priv)
			s.files["/advisories/feed-signing-public.pem"] = pem
		}, "PRIVATE key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			srv := httptest.NewServer(s)
			defer srv.Close()
			tg := target(srv.URL, s)
			tc.mutate(s, &tg)
			rep, err := c.Verify(ctx, tg)
			if err != nil || rep.OK {
				t.Fatalf("verified: %v %+v", err, rep)
			}
			var failed []string
			for _, ch := range rep.Checks {
				if !ch.OK {
					failed = append(failed, ch.What+" "+ch.Detail)
				}
			}
			if !strings.Contains(strings.Join(failed, "; "), tc.want) {
				t.Fatalf("failed checks %q do not say %q", failed, tc.want)
			}
			for _, ch := range rep.Checks {
				if strings.Contains(ch.Detail, "PRIVATE KEY-----") {
					t.Fatal("key material in the report")
				}
			}
		})
	}
}

func TestFetchRules(t *testing.T) {
	s := newSite(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := &Client{}
	ctx := context.Background()
	tg := target(srv.URL, s)
	// A 404 names the URL.
	tg.Sig = srv.URL + "/advisories/missing.sig"
	if _, err := c.Verify(ctx, tg); err == nil || !strings.Contains(err.Error(), "/advisories/missing.sig: HTTP 404") {
		t.Fatalf("404: %v", err)
	}
	// A redirect within the host is followed; to another host, refused.
	tg = target(srv.URL, s)
	tg.Feed, tg.Sig = srv.URL+"/moved", srv.URL+"/advisories/feed.json.sig"
	tg.Checksums, tg.ChecksumsSig = "", ""
	if rep, err := c.Verify(ctx, tg); err != nil || !rep.OK || rep.Feed.Final == "" {
		t.Fatalf("same-host redirect: %v %+v", err, rep)
	}
	tg.Feed = srv.URL + "/elsewhere"
	if _, err := c.Verify(ctx, tg); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("cross-host redirect: %v", err)
	}
	// Plain HTTP to anything but loopback is refused before connecting.
	for _, u := range []string{"http://example.com/feed.json", "ftp://example.com/feed.json", "file:///etc/passwd"} {
		tg.Feed = u
		if _, err := c.Verify(ctx, tg); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
	// Too big.
	s.files["/big"] = make([]byte, MaxSmall+1)
	tg = target(srv.URL, s)
	tg.Sig = srv.URL + "/big"
	var fe *FetchError
	if _, err := c.Verify(ctx, tg); !errors.As(err, &fe) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("too big: %v", err)
	}
	// A pinned local copy of the key works as the key.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pinned.pem"), s.files["/advisories/feed-signing-public.pem"], 0o644)
	tg = target(srv.URL, s)
	tg.PubKey = filepath.Join(dir, "pinned.pem")
	tg.Checksums, tg.ChecksumsSig = "", ""
	if rep, err := c.Verify(ctx, tg); err != nil || !rep.OK {
		t.Fatalf("local key: %v %+v", err, rep)
	}
	// Over TLS with the server's certificate trusted.
	tls := httptest.NewTLSServer(s)
	defer tls.Close()
	hc := tls.Client()
	hc.CheckRedirect = NewHTTPClient().CheckRedirect
	if rep, err := (&Client{HTTP: hc}).Verify(ctx, target(tls.URL, s)); err != nil || !rep.OK {
		t.Fatalf("https: %v %+v", err, rep)
	}
}

func TestValidFeed(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"version":"1","advisories":[]}`:                                          true,
		`{"version":"1","advisories":[{"id":"a","severity":"h","affected":[]}]}`:   true,
		`{"version":" ","advisories":[]}`:                                          false,
		`{"advisories":[]}`:                                                        false,
		`{"version":"1"}`:                                                          false,
		`{"version":"1","advisories":[{"id":"a","severity":"h","affected":[""]}]}`: false,
		`{"version":"1","advisories":[{"id":"a","severity":"h","affected":[1]}]}`:  false,
		`{"version":"1","advisories":[1]}`:                                         false,
		`[]`:                                                                       false,
	} {
		if _, err := validFeed([]byte(in)); (err == nil) != ok {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func FuzzValidFeed(f *testing.F) {
	f.Add([]byte(`{"version":"1","advisories":[{"id":"a","severity":"h","affected":["x"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := validFeed(b)
		if err == nil && n < 0 {
			t.Fatal("negative count")
		}
	})
}
