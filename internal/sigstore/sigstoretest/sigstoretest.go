// Package sigstoretest gives tests the real Sigstore bundles and trusted
// roots that sigstore-go ships in its module (read from the module cache,
// never copied here), and a Sigstore of their own (a CA, a log key, a
// trusted root) to sign keyless modules with. It does not link sigstore-go
// (package serve does).
package sigstoretest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once   sync.Once
	modDir string
)

// ModuleDir is sigstore-go's module directory, or the test skips.
func ModuleDir(t testing.TB) string {
	once.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sigstore/sigstore-go").Output()
		if err == nil {
			modDir = strings.TrimSpace(string(out))
		}
	})
	if modDir == "" {
		t.Skip("SKIP: sigstore-go's module is not in the module cache (go list -m failed)")
	}
	if _, err := os.Stat(filepath.Join(modDir, "pkg", "testing", "data", "bundles")); err != nil {
		t.Skipf("SKIP: %s has no pkg/testing/data/bundles", modDir)
	}
	return modDir
}

// Data is a file of sigstore-go's test data (pkg/testing/data/...).
func Data(t testing.TB, rel string) string {
	return filepath.Join(ModuleDir(t), "pkg", "testing", "data", rel)
}

// Example is a file of sigstore-go's examples/.
func Example(t testing.TB, rel string) string {
	return filepath.Join(ModuleDir(t), "examples", rel)
}

// PublicGood is the public-good trusted root.
func PublicGood(t testing.TB) string { return Data(t, "trusted-roots/public-good.json") }

// Scaffolding is the scaffolding (test instance) trusted root.
func Scaffolding(t testing.TB) string { return Data(t, "trusted-roots/scaffolding.json") }

// ProvenanceBundle is sigstore-js 2.0.0's npm provenance bundle (DSSE,
// public-good), its subject and its signer.
const (
	ProvenanceBundle   = "bundles/sigstore.js@2.0.0-provenance.sigstore.json"
	ProvenanceIdentity = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	ProvenanceIssuer   = "https://token.actions.githubusercontent.com"
)
