// Package sigstore is firebreak's side of offline Sigstore verification:
// trusted roots (read, hashed, compared), the discovery of bundles and
// keyless-signed modules, audits against an incident window and expected
// or blocked signers, and the client of the verifier process.
//
// The verification itself is sigstore-go's, in cmd/firebreak-sigstore
// (package verifier), so that firebreak does not pay sigstore-go's start-up
// on every command; this package never imports sigstore-go.
package sigstore
