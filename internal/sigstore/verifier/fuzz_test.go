package verifier_test

import (
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
	"github.com/firebreak-dev/firebreak/internal/sigstore/verifier"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// FuzzKeylessModule feeds mutated keyless-signed modules through the
// section parser and sigstore-go: nothing panics, and whenever sigstore-go
// says the signature verifies, firebreak's own P-256 check over the module
// hash agrees.
func FuzzKeylessModule(f *testing.F) {
	ca := sigstoretest.NewCA(f)
	v, err := verifier.New(ca.Root)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.SignModule(f, sigstoretest.Module("a"), sigstoretest.Signing{Identity: "release@example.com", Issuer: "https://accounts.google.com"}))
	f.Add(ca.SignModule(f, sigstoretest.Module("b"), sigstoretest.Signing{Identity: "evil@attacker", Issuer: "https://x", SelfSigned: true}))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x0a\x09signature\x02\x02"))
	f.Fuzz(func(t *testing.T, mod []byte) {
		inf, err := wasmsig.Describe(mod)
		if err != nil || inf.Keyless == nil {
			return
		}
		res := v.Verify(sigstore.WasmRequest(inf.Keyless))
		if strings.HasPrefix(res.Problem, "the verifier failed on this input") {
			t.Fatalf("panic inside the verifier: %s", res.Problem)
		}
		if res.Verified && (inf.KeylessOK == nil || !inf.KeylessOK.SignatureOK) {
			t.Fatalf("sigstore-go verified what the P-256 check refuses: %+v", inf.KeylessOK)
		}
	})
}
