package sigstore

import (
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// WasmRequest asks the verifier to check a wsc keyless signature: the
// certificate chain against the trusted root's CAs at the Rekor integrated
// time, the entry against the log's key, and the P-256 signature over the
// module hash. That the module hashes to that module hash is checked by
// wasmsig.VerifyKeyless, on this side.
func WasmRequest(k *wasmsig.Keyless) *Request {
	return &Request{Kind: "wasm", Digest: &Digest{Algorithm: "sha256", Hex: hexOf(k.ModuleHash)}, Wasm: &WasmKeyless{
		Signature: k.Signature, CertsPEM: k.CertsPEM, ModuleHash: k.ModuleHash,
		LogIndex: k.Rekor.LogIndex, Body: k.Rekor.Body, LogID: k.Rekor.LogID,
		SignedEntryTimestamp: k.Rekor.SignedEntryTimestamp, IntegratedTime: k.Rekor.IntegratedTime,
		InclusionProof: k.Rekor.InclusionProof,
	}}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
