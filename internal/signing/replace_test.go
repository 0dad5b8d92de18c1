package signing

import (
	"crypto/ed25519"
	"os"
	"strings"
	"testing"
)

func TestReplaceKeyReferences(t *testing.T) {
	oldK, newK, other := fixedKey(10), fixedKey(11), fixedKey(12)
	oldPub, newPub, otherPub := oldK.Public().(ed25519.PublicKey), newK.Public().(ed25519.PublicKey), other.Public().(ed25519.PublicKey)
	oldPEM, _ := MarshalPublicKeyPEM(oldPub)
	newPEM, _ := MarshalPublicKeyPEM(newPub)
	otherPEM, _ := MarshalPublicKeyPEM(otherPub)
	oldFP, newFP := Fingerprint(oldPub), Fingerprint(newPub)
	for _, tc := range []struct {
		name, in string
		n        int
		want     []string // in the output
		gone     []string // not in the output
	}{
		{"a key file", string(oldPEM), 1, []string{string(newPEM)}, []string{string(oldPEM)}},
		{"another key's file is left alone", string(otherPEM), 0, []string{string(otherPEM)}, nil},
		{"a doc with the PEM and the fingerprint", "Key:\n```\n" + string(oldPEM) + "```\nFingerprint: " + oldFP + "\n", 2,
			[]string{"Fingerprint: " + newFP, strings.TrimSpace(string(newPEM))}, []string{oldFP}},
		{"an upper-case fingerprint", "RELEASE_PUBKEY_SHA256=" + strings.ToUpper(oldFP), 1, []string{"RELEASE_PUBKEY_SHA256=" + newFP}, nil},
		{"another key's block in the same doc stays", string(otherPEM) + "\n" + string(oldPEM), 1, []string{string(otherPEM), strings.TrimSpace(string(newPEM))}, nil},
		{"a hex token that is not the fingerprint", "commit " + strings.Repeat("ab", 32), 0, []string{strings.Repeat("ab", 32)}, nil},
		{"an unreadable block is left for the guard to report", "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n", 0, []string{"!!!"}, nil},
		{"nothing", "just text\n", 0, []string{"just text"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, n, err := ReplaceKeyReferences([]byte(tc.in), oldPub, newPub)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.n {
				t.Errorf("replaced %d, want %d", n, tc.n)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(string(out), g) {
					t.Errorf("output still has %q", g)
				}
			}
			if CountKeyReferences(out, oldPub) != 0 {
				t.Error("references to the old key remain")
			}
			if tc.n > 0 && CountKeyReferences(out, newPub) < tc.n {
				t.Errorf("%d references to the new key, want %d", CountKeyReferences(out, newPub), tc.n)
			}
		})
	}
}

// FuzzReplaceKeyReferences: whatever the text, no reference to the old key
// survives, and replacing with the same key changes nothing.
func FuzzReplaceKeyReferences(f *testing.F) {
	oldPub, newPub := fixedKey(20).Public().(ed25519.PublicKey), fixedKey(21).Public().(ed25519.PublicKey)
	oldPEM, _ := MarshalPublicKeyPEM(oldPub)
	for _, s := range []string{string(oldPEM), "fp " + Fingerprint(oldPub), "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----", "", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _, err := ReplaceKeyReferences(b, oldPub, newPub)
		if err != nil {
			t.Fatal(err)
		}
		if n := CountKeyReferences(out, oldPub); n != 0 {
			t.Fatalf("%d references to the old key survive in %q", n, out)
		}
		same, _, _ := ReplaceKeyReferences(b, newPub, newPub)
		if CountKeyReferences(b, newPub) == 0 && string(same) != string(b) {
			t.Fatalf("replacing a key with itself changed a text without it: %q", b)
		}
	})
}

// TestConsistencyChecksEveryBlockOfAFile: a file whose first PEM block is
// the pinned key and whose second is stale fails the guard (it once read
// such a file as one key file and stopped at the first block).
func TestConsistencyChecksEveryBlockOfAFile(t *testing.T) {
	good, stale := fixedKey(30).Public().(ed25519.PublicKey), fixedKey(31).Public().(ed25519.PublicKey)
	gp, _ := MarshalPublicKeyPEM(good)
	sp, _ := MarshalPublicKeyPEM(stale)
	dir := t.TempDir()
	for name, text := range map[string]string{"two-blocks.pem": string(gp) + string(sp), "doc.md": "Key:\n" + string(sp) + "\n"} {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		found, err := CheckConsistency(Fingerprint(good), []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, f := range found {
			if !f.OK {
				bad++
			}
		}
		if bad != 1 {
			t.Errorf("%s: %d stale finding(s), want 1: %+v", name, bad, found)
		}
	}
	// A single-block key file is still a key file.
	path := dir + "/key.pem"
	os.WriteFile(path, gp, 0o644)
	found, _ := CheckConsistency(Fingerprint(good), []string{path}, nil)
	if len(found) != 1 || !found[0].OK || !strings.HasPrefix(found[0].What, "key file") {
		t.Errorf("single key file: %+v", found)
	}
}
