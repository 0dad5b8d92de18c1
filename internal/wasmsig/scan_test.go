package wasmsig

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

func TestScanClassifies(t *testing.T) {
	dir := t.TempDir()
	unsigned := unhex(t, unsignedHex)
	target := key1(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	byKID, _, _ := Sign(unsigned, target, SignOptions{KeyID: true})
	noKID, _, _ := Sign(unsigned, target, SignOptions{})
	byOther, _, _ := Sign(unsigned, other, SignOptions{KeyID: true})
	both, _, _ := Sign(byOther, target, SignOptions{KeyID: true})
	stale := append(append([]byte{}, byKID...), 0, 2, 1, 'x') // a section added after signing
	w := func(rel string, b []byte) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	w("a/kid.wasm", byKID)
	w("a/nokid.wasm", noKID)
	w("b/other.wasm", byOther)
	w("b/both.WASM", both)
	w("b/stale.wasm", stale)
	w("c/unsigned.wasm", unsigned)
	w("c/junk.wasm", []byte("not wasm at all"))
	w("c/readme.txt", []byte("ignored"))
	os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "c", "loop.wasm")) // a link to a directory
	os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "linkdir"))
	files, bad := Walk([]string{dir})
	if len(bad) != 0 || len(files) != 7 {
		t.Fatalf("walk: %v %v", files, bad)
	}
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey
		want map[string]string
	}{
		{"by key id only", nil, map[string]string{"kid": StatusSignedByKey, "nokid": StatusOthers, "both": StatusSignedByKey}},
		{"with the public key", target.Public().(ed25519.PublicKey), map[string]string{"kid": StatusSignedByKey, "nokid": StatusSignedByKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &Scanner{KeyID: signing.WscKeyID(target.Public().(ed25519.PublicKey)), Pub: tc.pub}
			rs, err := sc.Scan(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]ScanResult{}
			for _, r := range rs {
				got[filepath.Base(r.Path)] = r
			}
			want := map[string]string{"other.wasm": StatusOthers, "unsigned.wasm": StatusUnsigned, "junk.wasm": StatusUnparseable, "stale.wasm": StatusSignedByKey}
			for k, v := range tc.want {
				if k == "both" {
					want["both.WASM"] = v
				} else {
					want[k+".wasm"] = v
				}
			}
			for k, v := range want {
				if got[k].Status != v {
					t.Errorf("%s: %s, want %s", k, got[k].Status, v)
				}
			}
			if r := got["stale.wasm"]; r.Valid {
				t.Error("stale module reported valid")
			}
			if r := got["kid.wasm"]; !r.Valid || r.MatchedBy != "key-id" || len(r.SHA256) != 64 {
				t.Errorf("kid: %+v", r)
			}
			if tc.pub != nil && got["nokid.wasm"].MatchedBy != "trial" {
				t.Errorf("nokid: %+v", got["nokid.wasm"])
			}
		})
	}
}

func TestDescribeMarksSignedSections(t *testing.T) {
	unsigned := unhex(t, unsignedHex)
	signed, _, _ := Sign(unsigned, key1(t), SignOptions{KeyID: true})
	inf, err := Describe(signed)
	if err != nil {
		t.Fatal(err)
	}
	if inf.Signature != "ed25519" || len(inf.Sets) != 1 || !inf.Sets[0].Current || inf.Sets[0].Records[0].KeyID != vecKeyID {
		t.Fatalf("%+v", inf)
	}
	if inf.Sections[0].Signed || !inf.Sections[1].Signed || !inf.Sections[len(inf.Sections)-1].Signed {
		t.Fatalf("signed marks: %+v", inf.Sections)
	}
	stale := append(append([]byte{}, signed...), 0, 2, 1, 'x')
	inf, _ = Describe(stale)
	if inf.Sets[0].Current || inf.Sections[1].Signed {
		t.Fatalf("stale module shown as signed: %+v", inf.Sets)
	}
}

// BenchmarkScan reads and classifies 200 signed 64 KiB modules.
func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	priv := key1(b)
	body := append(append([]byte{}, HeaderCore...), 0, 0x80, 0x80, 0x04, 3, 'p', 'a', 'd')
	body = append(body, make([]byte, 65536-4)...)
	signed, _, err := Sign(body, priv, SignOptions{KeyID: true})
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	for i := 0; i < 200; i++ {
		p := filepath.Join(dir, "m"+string(rune('a'+i%26))+string(rune('a'+i/26))+".wasm")
		os.WriteFile(p, signed, 0o644)
		files = append(files, p)
	}
	sc := &Scanner{KeyID: signing.WscKeyID(priv.Public().(ed25519.PublicKey))}
	b.SetBytes(int64(len(signed) * len(files)))
	for b.Loop() {
		rs, err := sc.Scan(context.Background(), files)
		if err != nil || Summary(rs)[StatusSignedByKey] != 200 {
			b.Fatal(err)
		}
	}
}
