package sigstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
)

// FuzzDiscovery writes one file under a candidate name and audits its
// directory with a describe-only verifier: every file is a finding, a
// skip with a reason, or (a module without a keyless signature, any other
// name) nothing; the JSON report stays valid whatever the bytes.
func FuzzDiscovery(f *testing.F) {
	ca := sigstoretest.NewCA(f)
	f.Add(uint8(0), ca.SignModule(f, sigstoretest.Module("a"), sigstoretest.Signing{Identity: "release@example.com", Issuer: "https://accounts.google.com"}))
	f.Add(uint8(1), []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{}}`))
	f.Add(uint8(2), []byte("{"))
	f.Add(uint8(3), []byte("\x00asm\x01\x00\x00\x00"))
	f.Add(uint8(4), []byte{})
	names := []string{"m.wasm", "x.sigstore.json", "x.sigstore", "x.bundle", "readme.txt"}
	v := roundTrip{}
	dir := f.TempDir() // one directory, one file at a time: a TempDir per input is most of the time
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		name := names[int(which)%len(names)]
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		var sb strings.Builder
		rep := sigstore.NewReportWriter(&sb)
		n := 0
		sum, err := sigstore.Audit(context.Background(), sigstore.AuditOptions{Paths: []string{dir}, Verifier: v,
			Found: func(fd sigstore.Finding) error {
				n++
				if fd.Verified {
					t.Errorf("verified without a trusted root: %+v", fd)
				}
				return rep.Finding(fd)
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Close(sum); err != nil {
			t.Fatal(err)
		}
		if !json.Valid([]byte(sb.String())) {
			t.Fatalf("report is not JSON: %s", sb.String())
		}
		module := strings.HasPrefix(string(content), "\x00asm")
		if name == "readme.txt" && !module && (n != 0 || len(sum.Skipped) != 0) {
			t.Fatalf("a file that is no candidate was looked at: %+v", sum)
		}
		if name != "readme.txt" && !module && n+len(sum.Skipped) != 1 {
			t.Fatalf("%s: %d findings, %d skipped", name, n, len(sum.Skipped))
		}
	})
}

// roundTrip stands in for the verifier process: it sends each request
// through the protocol's JSON, as the process would receive it, and
// verifies nothing.
type roundTrip struct{}

func (roundTrip) Verify(req *sigstore.Request) (sigstore.Result, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return sigstore.Result{}, err
	}
	var back sigstore.Request
	if err := json.Unmarshal(b, &back); err != nil {
		return sigstore.Result{}, err
	}
	if back.Kind != "bundle" && back.Kind != "wasm" {
		return sigstore.Result{}, fmt.Errorf("request kind %q", back.Kind)
	}
	if back.Kind == "wasm" && (back.Wasm == nil || len(back.Wasm.ModuleHash) != 32 || back.Digest == nil) {
		return sigstore.Result{}, fmt.Errorf("wasm request without its module hash: %+v", back)
	}
	return sigstore.Result{Problem: sigstore.NoRoot}, nil
}
