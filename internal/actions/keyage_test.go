package actions

import (
	"context"
	"os/exec"

	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/gitrepo"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

func TestKeyAge(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pubPEM, _ := signing.MarshalPublicKeyPEM(pub)
	encPEM, _ := signing.MarshalEncryptedPrivateKeyPEM(priv, []byte("pw"))
	pubPath, encPath := filepath.Join(dir, "k.pub.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(pubPath, pubPEM, 0o644)
	os.WriteFile(encPath, encPEM, 0o600)
	fileTime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(pubPath, fileTime, fileTime)
	os.Chtimes(encPath, fileTime, fileTime)
	now := func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) } // 59 days after the file time
	for _, tc := range []struct {
		name    string
		k       KeyAge
		due, fp bool
		err     string
	}{
		{"file time, within 90 days", KeyAge{Path: pubPath}, false, true, ""},
		{"file time, a 30-day cadence", KeyAge{Path: pubPath, MaxAge: 30 * 24 * time.Hour}, true, true, ""},
		{"given since, overdue", KeyAge{Path: pubPath, Since: now().Add(-91 * 24 * time.Hour)}, true, true, ""},
		{"encrypted private key: timed without a fingerprint", KeyAge{Path: encPath}, false, false, ""},
		{"a directory", KeyAge{Path: dir}, false, false, "not a regular file"},
		{"missing", KeyAge{Path: filepath.Join(dir, "none")}, false, false, "no such file"},
		{"in the future", KeyAge{Path: pubPath, Since: now().Add(time.Hour)}, false, false, "in the future"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.k
			k.Now = now
			res, err := k.Execute(t.Context(), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := res.Data.(KeyAgeResult)
			if r.Due != tc.due || (r.Fingerprint != "") != tc.fp {
				t.Fatalf("%+v", r)
			}
			v, _ := k.Verify(t.Context(), res)
			if v.OK() == tc.due {
				t.Fatalf("verification ok %v for due %v: %+v", v.OK(), tc.due, v.Checks)
			}
		})
	}
	if _, err := signing.LoadPublicKey(encPath, nil); !errors.Is(err, signing.ErrEncrypted) {
		t.Fatalf("the encrypted key loads without a passphrase: %v", err)
	}
}

// TestKeyAgeFromGit: the key is dated by the commit that introduced it,
// followed by fingerprint through reformatting, not by the file's time.
func TestKeyAgeFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	repo, err := gitrepo.Init(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	keyA, _, _ := ed25519.GenerateKey(rand.Reader)
	keyB, _, _ := ed25519.GenerateKey(rand.Reader)
	pemA, _ := signing.MarshalPublicKeyPEM(keyA)
	pemB, _ := signing.MarshalPublicKeyPEM(keyB)
	path := filepath.Join(dir, "advisories", "feed-signing-public.pem")
	os.MkdirAll(filepath.Dir(path), 0o755)
	commit := func(b []byte, at time.Time, msg string) string {
		t.Helper()
		os.WriteFile(path, b, 0o644)
		h, err := repo.CommitAll(ctx, msg, at)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	commit(pemA, day(0), "first key")
	introB := commit(pemB, day(10), "rotate to key B")
	commit(append(append([]byte{}, pemB...), '\n'), day(40), "reformat the key file") // same key, other bytes
	now := func() time.Time { return day(105) }                                       // key B is 95 days old
	k := &KeyAge{Path: path, Repo: repo, Now: now}
	if _, err := k.Execute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if k.res.Commit != introB || !k.res.Since.Equal(day(10)) || !k.res.Due || !strings.Contains(k.res.SinceFrom, "rotate to key B") {
		t.Fatalf("dated %+v", k.res)
	}
	// A key not committed yet cannot be dated from git.
	os.WriteFile(path, pemA, 0o644)
	if _, err := (&KeyAge{Path: path, Repo: repo, Now: now}).Execute(ctx, nil); err == nil || !strings.Contains(err.Error(), "not the one committed") {
		t.Fatalf("uncommitted key: %v", err)
	}
	// Rotated back to A: A's introduction is that commit, not the first.
	backToA := commit(pemA, day(95), "back to key A")
	k = &KeyAge{Path: path, Repo: repo, Now: now}
	if _, err := k.Execute(ctx, nil); err != nil || k.res.Commit != backToA || k.res.Due {
		t.Fatalf("back to A: %v %+v", err, k.res)
	}
	if _, err := (&KeyAge{Path: filepath.Join(t.TempDir(), "x.pem"), Repo: repo, Now: now}).Execute(ctx, nil); err == nil {
		t.Fatal("a key outside the repository was dated")
	}
}
