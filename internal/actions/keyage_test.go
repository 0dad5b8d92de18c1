package actions

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
