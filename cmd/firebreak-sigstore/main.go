// Command firebreak-sigstore is firebreak's Sigstore verifier: it verifies
// bundles and wsc keyless signatures offline with sigstore-go. firebreak
// starts it when a command needs it; it is a separate program so that
// sigstore-go's start-up cost is paid only then.
package main

import (
	"os"

	"github.com/firebreak-dev/firebreak/internal/sigstore/verifier"
)

func main() { os.Exit(verifier.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
