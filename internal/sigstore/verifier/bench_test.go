package verifier_test

import (
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
	"github.com/firebreak-dev/firebreak/internal/sigstore/verifier"
)

// BenchmarkVerifyBundle: one public-good provenance bundle, verified
// offline in process (what the verifier process does per request).
func BenchmarkVerifyBundle(b *testing.B) {
	v, err := verifier.New(load(b, sigstoretest.PublicGood(b)))
	if err != nil {
		b.Fatal(err)
	}
	req := &sigstore.Request{Kind: "bundle", Bundle: load(b, sigstoretest.Data(b, sigstoretest.ProvenanceBundle))}
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(req); !res.Verified {
			b.Fatal(res.Problem)
		}
	}
}
