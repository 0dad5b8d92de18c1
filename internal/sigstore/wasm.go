package sigstore

import (
	"context"

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

// Verdict is what a keyless module's signature is worth.
type Verdict struct {
	// Status is "verified", "untrusted" (it does not verify against the
	// trusted root: never trust it) or "not verified" (no trusted root).
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	RootSHA256 string `json:"trusted_root_sha256,omitempty"`
	Identity   string `json:"identity,omitempty"`
	Issuer     string `json:"issuer,omitempty"`
}

// The statuses of a Verdict.
const (
	StatusVerified    = "verified"
	StatusUntrusted   = "untrusted"
	StatusNotVerified = "not verified"
)

// VerifyModule verifies a described module's keyless signature: the
// verifier's checks (chain, log entry, signature over the module hash,
// and the signer when pol names one) with this side's folded in — the
// module hashes to the signed module hash, and the P-256 signature
// verifies with the leaf. A time is only as good as the signature.
func VerifyModule(v Checker, inf *wasmsig.Info, pol Policy) (Result, error) {
	req := WasmRequest(inf.Keyless)
	req.Policy = pol
	res, err := v.Verify(req)
	if err != nil {
		return res, err
	}
	if c := inf.KeylessOK; c != nil {
		if !c.ModuleHashOK {
			res.Verified = false
			res.Problem = joinProblems("the module does not hash to the signed module hash (changed after signing)", res.Problem)
		}
		if !c.SignatureOK && res.Verified {
			res.Verified = false
			res.Problem = joinProblems(c.Problem, res.Problem)
		}
	}
	res.TimeVerified = res.TimeVerified && res.Verified
	return res, nil
}

// CheckModule judges a described module's keyless signature against a
// trusted root (nil: "not verified: no trusted root", never a leaf-only
// check passed off as verification).
func CheckModule(ctx context.Context, inf *wasmsig.Info, root *Root, notify func(string)) (*Verdict, error) {
	k := inf.Keyless
	if k == nil {
		return nil, nil
	}
	v := &Verdict{Identity: k.Identity, Issuer: k.OIDCIssuer}
	if root == nil {
		v.Status, v.Reason = StatusNotVerified, NoRoot
		return v, nil
	}
	v.RootSHA256 = root.SHA256
	sv, err := Start(ctx, root, notify)
	if err != nil {
		return nil, err
	}
	defer sv.Close()
	res, err := VerifyModule(sv, inf, Policy{})
	if err != nil {
		return nil, err
	}
	if res.Identity != "" {
		v.Identity, v.Issuer = res.Identity, res.Issuer
	}
	v.Status = StatusVerified
	if !res.Verified {
		v.Status, v.Reason = StatusUntrusted, res.Problem
	}
	return v, nil
}
