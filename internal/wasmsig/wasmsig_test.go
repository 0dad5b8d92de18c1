package wasmsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// key1 is §5.3's key: seed 01..20.
func key1(t testing.TB) ed25519.PrivateKey {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	return ed25519.NewKeyFromSeed(seed)
}

const (
	unsignedHex = "0061736d01000000 01040160000003020100070501016600000a040102000b"
	vecHash     = "b19bf6990641f87bea055b426f2eb5e68d9e6c2b98589c25915da96cd1387772"
	vecSig      = "a5a7572cd85e064af9b789cbe70552b1a27feb1616c5a5cc577a468b7d14b2be2e0f804738ac68ae70c4753ad8dffe8ab0d70eda5568aaf766bd613df83fc20f"
	vecKeyID    = "5a64496e13b2692d0cee20b2"
)

// TestVectors reproduces every vector of wsc-format.md §5.3 byte for byte.
func TestVectors(t *testing.T) {
	priv := key1(t)
	pub := priv.Public().(ed25519.PublicKey)
	if got := hex.EncodeToString(signing.MarshalWscSecret(priv)); got != "810102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664" {
		t.Fatalf("test.sec %s", got)
	}
	if got := hex.EncodeToString(signing.MarshalWscPublic(pub)); got != "0179b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664" {
		t.Fatalf("test.pub %s", got)
	}
	if got := hex.EncodeToString(signing.WscKeyID(pub)); got != vecKeyID {
		t.Fatalf("key id %s", got)
	}
	unsigned := unhex(t, unsignedHex)
	m, err := Parse(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	hs := m.SignedHashes()
	if len(hs) != 1 || hex.EncodeToString(hs[0][:]) != vecHash {
		t.Fatalf("hash %x", hs)
	}
	if got := hex.EncodeToString(Message(hs)); got != "7761736d736967010101"+vecHash {
		t.Fatalf("message %s", got)
	}
	if got := hex.EncodeToString(ed25519.Sign(priv, Message(hs))); got != vecSig {
		t.Fatalf("signature %s", got)
	}
	h := vecHash
	for _, tc := range []struct {
		name     string
		o        SignOptions
		size     int
		sectHead string
		payload  string
	}{
		{"signed_kidfalse_cctrue", SignOptions{}, 151, "0076097369676e6174757265", "01010101 67 01" + h + "01 44 00 01 40" + vecSig + "00"},
		{"signed_kidtrue_cctrue", SignOptions{KeyID: true}, 164, "008201097369676e6174757265", "01010101 73 01" + h + "01 50 0c" + vecKeyID + "01 40" + vecSig + "00"},
		{"signed_kidfalse_ccfalse", SignOptions{Layout: LayoutWasmsign2}, 150, "", "01010101 66 01" + h + "01 43 00 01 40" + vecSig},
		{"signed_kidtrue_ccfalse", SignOptions{KeyID: true, Layout: LayoutWasmsign2}, 163, "", "01010101 72 01" + h + "01 4f 0c" + vecKeyID + "01 40" + vecSig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, data, err := Sign(unsigned, priv, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != tc.size {
				t.Fatalf("size %d, want %d", len(out), tc.size)
			}
			if !bytes.Equal(data, unhex(t, tc.payload)) {
				t.Fatalf("payload\n got %x\nwant %x", data, unhex(t, tc.payload))
			}
			if tc.sectHead != "" && !bytes.HasPrefix(out[8:], unhex(t, tc.sectHead)) {
				t.Fatalf("section header % x", out[8:20])
			}
			if !bytes.HasSuffix(out, unsigned[8:]) {
				t.Fatal("the module's own sections changed")
			}
			for _, strict := range []bool{false, true} {
				r, err := Verify(out, pub, VerifyOptions{Strict: strict})
				if err != nil || r.ByKeyID != tc.o.KeyID {
					t.Fatalf("verify strict=%v: %v %+v", strict, err, r)
				}
			}
			// Parse and write back: the same bytes.
			sd, err := ParseSignatureData(data, 0)
			if err != nil || !bytes.Equal(sd.Bytes(), data) {
				t.Fatalf("round trip: %v", err)
			}
			// Detached: the payload alone verifies the unsigned module.
			if _, err := Verify(unsigned, pub, VerifyOptions{Detached: data}); err != nil {
				t.Fatalf("detached: %v", err)
			}
		})
	}
}

func TestMultipleSignersAndDuplicates(t *testing.T) {
	unsigned := unhex(t, unsignedHex)
	a, b := key1(t), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	one, _, err := Sign(unsigned, a, SignOptions{KeyID: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Sign(one, a, SignOptions{KeyID: true}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same key twice: %v", err)
	}
	two, _, err := Sign(one, b, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Parse(two)
	sd, _ := ParseSignatureData(m.Sections[0].Data, 0)
	if len(sd.Sets) != 1 || len(sd.Sets[0].Records) != 2 {
		t.Fatalf("want one set with two records: %+v", sd.Sets)
	}
	for _, k := range []ed25519.PrivateKey{a, b} {
		if _, err := Verify(two, k.Public().(ed25519.PublicKey), VerifyOptions{Strict: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Drop a (by key id): b stays, c is added.
	c := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	re, res, err := Resign(two, signing.WscKeyID(a.Public().(ed25519.PublicKey)), nil, c, SignOptions{KeyID: true})
	if err != nil || res.Dropped != 1 || res.Kept != 1 {
		t.Fatalf("resign: %v %+v", err, res)
	}
	if _, err := Verify(re, a.Public().(ed25519.PublicKey), VerifyOptions{}); !errors.Is(err, ErrNoValid) {
		t.Fatalf("dropped key still verifies: %v", err)
	}
	for _, k := range []ed25519.PrivateKey{b, c} {
		if _, err := Verify(re, k.Public().(ed25519.PublicKey), VerifyOptions{Strict: true}); err != nil {
			t.Fatalf("kept/new signer: %v", err)
		}
	}
	// Drop b, which has no key id: only its public key finds it.
	re2, res, err := Resign(re, signing.WscKeyID(b.Public().(ed25519.PublicKey)), b.Public().(ed25519.PublicKey), a, SignOptions{})
	if err != nil || res.Dropped != 1 || res.Kept != 1 {
		t.Fatalf("resign by pubkey: %v %+v", err, res)
	}
	if _, err := Verify(re2, b.Public().(ed25519.PublicKey), VerifyOptions{}); err == nil {
		t.Fatal("b still verifies")
	}
}

func TestTamperedModuleFails(t *testing.T) {
	priv := key1(t)
	out, _, _ := Sign(unhex(t, unsignedHex), priv, SignOptions{})
	bad := append([]byte{}, out...)
	bad[len(bad)-2] ^= 1
	if _, err := Verify(bad, priv.Public().(ed25519.PublicKey), VerifyOptions{}); !errors.Is(err, ErrNoValid) || !strings.Contains(err.Error(), "not what it signed") {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := Verify(unhex(t, unsignedHex), priv.Public().(ed25519.PublicKey), VerifyOptions{}); !errors.Is(err, ErrNoSignatures) {
		t.Fatalf("unsigned: %v", err)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	if _, err := Verify(out, other.Public().(ed25519.PublicKey), VerifyOptions{}); !errors.Is(err, ErrNoValid) {
		t.Fatalf("other key: %v", err)
	}
}

func TestBadModules(t *testing.T) {
	unsigned := unhex(t, unsignedHex)
	signed, _, _ := Sign(unsigned, key1(t), SignOptions{})
	sigLate := append(append([]byte{}, unsigned...), signed[8:8+signed[9]+2]...)
	manySets := []byte{1, 1, 1, 65}
	keyless := append([]byte{0, 6, 9}, []byte("signature")...)
	keyless = append(keyless[:1], append([]byte{byte(len("signature") + 1 + 4)}, append([]byte{9}, append([]byte("signature"), 2, 2, 0, 0)...)...)...)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"not wasm", []byte("PK\x03\x04 zip file here"), "not a WebAssembly module"},
		{"wrong version", append(append([]byte{}, unsigned[:4]...), 2, 0, 0, 0), "unsupported module version"},
		{"truncated", unsigned[:len(unsigned)-3], "says it is 4 bytes but only 1 remain"},
		{"size past end", append(append([]byte{}, HeaderCore...), 1, 0x7f, 1), "says it is 127 bytes"},
		{"5-byte LEB with continuation", append(append([]byte{}, HeaderCore...), 1, 0x80, 0x80, 0x80, 0x80, 0x80), "longer than 5 bytes"},
		{"section id >= 0x80", append(append([]byte{}, HeaderCore...), 0x81, 0), "not a 1-byte LEB128"},
		{"invalid UTF-8 name", append(append([]byte{}, HeaderCore...), 0, 3, 2, 0xff, 0xfe), "not valid UTF-8"},
		{"name past section", append(append([]byte{}, HeaderCore...), 0, 2, 9, 'a'), "name of 9 bytes runs past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.b)
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "at byte ") {
				t.Fatalf("err = %v, want %q with an offset", err, tc.want)
			}
		})
	}
	if _, err := ParseSignatureData(manySets, 100); err == nil || !strings.Contains(err.Error(), "65 signed-hash sets") || !strings.Contains(err.Error(), "at byte 103") {
		t.Fatalf("65 sets: %v", err)
	}
	// A signature section that is not first is not a signature.
	if _, err := Verify(sigLate, key1(t).Public().(ed25519.PublicKey), VerifyOptions{}); !errors.Is(err, ErrNoSignatures) {
		t.Fatalf("late section: %v", err)
	}
	// Signing a keyless module is refused.
	kl := append(append([]byte{}, HeaderCore...), keyless...)
	kl = append(kl, unsigned[8:]...)
	if _, _, err := Sign(kl, key1(t), SignOptions{}); err == nil || !strings.Contains(err.Error(), "keyless") {
		t.Fatalf("keyless: %v", err)
	}
}

func shared(t testing.TB, parts ...string) string {
	p := filepath.Join(append([]string{"..", "..", "..", "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("../shared is absent (%s): skipping the cross-check on real data", p)
	}
	return p
}

// TestRealModule signs the clang-built z.wasm: deterministic, verifies, and
// openssl verifies the signed message.
func TestRealModule(t *testing.T) {
	z, err := os.ReadFile(shared(t, "vectors", "wasm", "z.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(z); hex.EncodeToString(s[:]) != "2c9338af33e7c21da90ddb13858d2919e2cacc7c787cbec2420ea4006edb977a" {
		t.Fatalf("z.wasm is not the expected file")
	}
	m, err := Parse(z)
	if err != nil || len(m.Sections) != 19 || !m.Canonical() {
		t.Fatalf("parse: %v, %d sections, canonical %v", err, len(m.Sections), m.Canonical())
	}
	if !bytes.Equal(m.WriteAll(), z) {
		t.Fatal("z.wasm does not re-serialise to itself")
	}
	priv := key1(t)
	a, _, err := Sign(z, priv, SignOptions{KeyID: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Sign(z, priv, SignOptions{KeyID: true})
	if !bytes.Equal(a, b) {
		t.Fatal("signing is not deterministic")
	}
	if _, err := Verify(a, priv.Public().(ed25519.PublicKey), VerifyOptions{Strict: true}); err != nil {
		t.Fatal(err)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	msg := Message(m.SignedHashes())
	os.WriteFile(filepath.Join(dir, "msg"), msg, 0o600)
	os.WriteFile(filepath.Join(dir, "sig"), ed25519.Sign(priv, msg), 0o600)
	pubPEM, _ := signing.MarshalPublicKeyPEM(priv.Public().(ed25519.PublicKey))
	os.WriteFile(filepath.Join(dir, "pub.pem"), pubPEM, 0o600)
	out, err := exec.Command(openssl, "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", filepath.Join(dir, "pub.pem"),
		"-in", filepath.Join(dir, "msg"), "-sigfile", filepath.Join(dir, "sig")).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v %s", err, out)
	}
}

// FuzzParse: the walker never panics; a parsed module re-serialises and
// parses again to the same sections.
func FuzzParse(f *testing.F) {
	unsigned, _ := hex.DecodeString(strings.ReplaceAll(unsignedHex, " ", ""))
	f.Add(unsigned)
	signed, _, _ := Sign(unsigned, key1(f), SignOptions{KeyID: true})
	f.Add(signed)
	f.Add(append(append([]byte{}, HeaderCore...), 0, 0x80, 0x01, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error without an offset: %v", err)
			}
			return
		}
		again, err := Parse(m.WriteAll())
		if err != nil {
			t.Fatalf("re-serialised module does not parse: %v", err)
		}
		if len(again.Sections) != len(m.Sections) || !again.Canonical() {
			t.Fatal("round trip changed the sections")
		}
		for i := range m.Sections {
			if m.Sections[i].ID != again.Sections[i].ID || m.Sections[i].Name != again.Sections[i].Name {
				t.Fatal("round trip changed a section")
			}
		}
	})
}

// FuzzSignatureData: never panics; parse(write(x)) == x for what parses.
func FuzzSignatureData(f *testing.F) {
	unsigned, _ := hex.DecodeString(strings.ReplaceAll(unsignedHex, " ", ""))
	for _, o := range []SignOptions{{}, {KeyID: true}, {Layout: LayoutWasmsign2}} {
		_, data, _ := Sign(unsigned, key1(f), o)
		f.Add(data)
	}
	f.Add([]byte{1, 1, 1, 0})
	f.Add([]byte{2, 2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := ParseSignatureData(b, 0)
		if err != nil {
			return
		}
		w := sd.Bytes()
		sd2, err := ParseSignatureData(w, 0)
		if err != nil {
			t.Fatalf("written data does not parse: %v", err)
		}
		if !bytes.Equal(sd2.Bytes(), w) {
			t.Fatal("parse(write(x)) != x")
		}
	})
}

// TestDelimiters: a module split by a signature_delimiter gets one hash per
// part; the whole verifies, and so does a copy cut right after the
// delimiter (wsc's partial verification, by design).
func TestDelimiters(t *testing.T) {
	unsigned := unhex(t, unsignedHex)
	m, _ := Parse(unsigned)
	delim := CustomSection(DelimiterSection, bytes.Repeat([]byte{0xd1}, 16))
	tail := CustomSection("producers", []byte("firebreak test"))
	mod := append([]byte{}, m.Header...)
	for i := range m.Sections {
		mod = AppendSection(mod, &m.Sections[i])
	}
	mod = AppendSection(mod, &delim)
	cut := len(mod)
	mod = AppendSection(mod, &tail)
	mm, _ := Parse(mod)
	if hs := mm.SignedHashes(); len(hs) != 2 {
		t.Fatalf("%d hashes, want 2", len(hs))
	}
	priv := key1(t)
	signed, data, err := Sign(mod, priv, SignOptions{KeyID: true})
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if _, err := Verify(signed, pub, VerifyOptions{Strict: true}); err != nil {
		t.Fatal(err)
	}
	sigLen := len(signed) - len(mod)
	if _, err := Verify(signed[:sigLen+cut], pub, VerifyOptions{}); err != nil {
		t.Fatalf("prefix up to the delimiter: %v", err)
	}
	if sd, _ := ParseSignatureData(data, 0); len(sd.Sets[0].Hashes) != 2 {
		t.Fatalf("set hashes: %d", len(sd.Sets[0].Hashes))
	}
	late := CustomSection("late", nil)
	inf, _ := Describe(append(signed[:sigLen+cut:sigLen+cut], AppendSection(nil, &late)...))
	if !inf.Sections[len(inf.Sections)-2].Signed || inf.Sections[len(inf.Sections)-1].Signed {
		t.Fatalf("a section after the signed delimiter is shown as signed: %+v", inf.Sections)
	}
}
