package wasmsig

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
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
			sc := &Scanner{KeyID: signing.WscKeyID(target.Public().(ed25519.PublicKey)), Pub: tc.pub, FileHash: true}
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
			if r := got["kid.wasm"]; !r.Valid || r.MatchedBy != "key-id" || r.SHA256 != hex.EncodeToString(sha256Of(byKID)) {
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

// TestWriteScanCorpus writes bench/scan.sh's corpus into
// $FIREBREAK_BENCH_WASM_DIR: 10,000 modules of 1 KiB to 1 MiB (log-uniform),
// 30% signed by the target key, 20% by it and another, 30% by another key
// only, 20% unsigned. The target key id goes to key-id.txt beside it.
func TestWriteScanCorpus(t *testing.T) {
	dir := os.Getenv("FIREBREAK_BENCH_WASM_DIR")
	if dir == "" {
		t.Skip("FIREBREAK_BENCH_WASM_DIR not set: only bench/scan.sh uses this")
	}
	target := key1(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 10000; i++ {
		size := int(math.Exp(rng.Float64()*math.Log(1024)) * 1024)
		pad := make([]byte, size)
		rng.Read(pad)
		mod := unhex(t, unsignedHex)
		sec := CustomSection("payload", pad)
		mod = AppendSection(mod, &sec)
		var err error
		switch p := rng.Intn(10); {
		case p < 3:
			mod, _, err = Sign(mod, target, SignOptions{KeyID: true})
		case p < 5:
			mod, _, err = Sign(mod, other, SignOptions{KeyID: true})
			if err == nil {
				mod, _, err = Sign(mod, target, SignOptions{KeyID: true})
			}
		case p < 8:
			mod, _, err = Sign(mod, other, SignOptions{KeyID: true})
		}
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, "modules", fmt.Sprintf("d%02d", i%50))
		os.MkdirAll(sub, 0o755)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("m%05d.wasm", i)), mod, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "key-id.txt"), []byte(hex.EncodeToString(signing.WscKeyID(target.Public().(ed25519.PublicKey)))), 0o644)
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestScanFileMatchesParse: the header walk finds exactly the problems the
// full parse finds, on broken modules.
func TestScanFileMatchesParse(t *testing.T) {
	dir := t.TempDir()
	unsigned := unhex(t, unsignedHex)
	signed, _, _ := Sign(unsigned, key1(t), SignOptions{KeyID: true})
	big := append(append([]byte{}, signed...), 0)
	big = append(big, appendLEB(nil, 200000)...)
	big = append(big, 4, 'b', 'u', 'l', 'k')
	big = append(big, make([]byte, 200000-5)...)
	for name, b := range map[string][]byte{
		"truncated":   signed[:len(signed)-3],
		"bad-utf8":    append(append([]byte{}, signed...), 0, 3, 2, 0xff, 0xfe),
		"past-end":    append(append([]byte{}, signed...), 1, 0x7f),
		"long-leb":    append(append([]byte{}, signed...), 1, 0x80, 0x80, 0x80, 0x80, 0x80),
		"ok":          signed,
		"ok-big":      big,
		"header-only": HeaderCore,
	} {
		p := filepath.Join(dir, name+".wasm")
		os.WriteFile(p, b, 0o644)
		_, perr := Parse(b)
		r := (&Scanner{KeyID: signing.WscKeyID(key1(t).Public().(ed25519.PublicKey))}).ScanFile(p)
		if (perr != nil) != (r.Status == StatusUnparseable) {
			t.Errorf("%s: parse %v, scan %s %s", name, perr, r.Status, r.Error)
		}
		if name == "ok-big" && (r.Valid || r.Status != StatusSignedByKey) {
			t.Errorf("ok-big: a section added after signing must make the signature stale: %+v", r)
		}
	}
}
