// Package serve lets a test binary be firebreak's Sigstore verifier
// process: TestMain calls ServeIfAsked, a test calls UseSelf.
package serve

import (
	"os"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/verifier"
)

// serveEnv is set by sigstore.Start in the verifier's environment.
const serveEnv = "FIREBREAK_SIGSTORE_SERVE"

// ServeIfAsked makes a test binary the verifier when it was started as
// one; call it first in TestMain.
func ServeIfAsked() {
	if os.Getenv(serveEnv) == "1" && len(os.Args) == 2 && os.Args[1] == "serve" {
		os.Exit(verifier.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
}

// UseSelf points firebreak at this test binary as its verifier (its
// TestMain must call ServeIfAsked).
func UseSelf(t testing.TB) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(sigstore.EnvHelper, exe)
}
