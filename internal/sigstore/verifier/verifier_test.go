package verifier_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
	"github.com/firebreak-dev/firebreak/internal/sigstore/verifier"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

func load(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	provSHA512 = "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"
	dsseSHA512 = "bbfd372fc9beeb777fe35d05bb10c0c70a9733d366a75fed7dd18866c7391de3ee7e88ba74dd47abf3e15c845e547fcf0e5c3da80854c751554224d3a6d4e55f"
	exSHA512   = "76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751"
)

// flip changes one bit of the base64 field at path in a bundle.
func flip(t *testing.T, b []byte, get func(m map[string]any) (map[string]any, string)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	obj, key := get(m)
	raw, err := base64.StdEncoding.DecodeString(obj[key].(string))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1
	obj[key] = base64.StdEncoding.EncodeToString(raw)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dsseSig(m map[string]any) (map[string]any, string) {
	return m["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any), "sig"
}

func TestPublicGoodBundles(t *testing.T) {
	pg := load(t, sigstoretest.PublicGood(t))
	scaf := load(t, sigstoretest.Scaffolding(t))
	prov := load(t, sigstoretest.Data(t, sigstoretest.ProvenanceBundle))
	dsse := load(t, sigstoretest.Data(t, "bundles/dsse.sigstore.json"))
	ex := load(t, sigstoretest.Example(t, "bundle-provenance.json"))
	other := load(t, sigstoretest.Data(t, "bundles/othername.sigstore.json"))
	vpg, err := verifier.New(pg)
	if err != nil {
		t.Fatal(err)
	}
	vsc, err := verifier.New(scaf)
	if err != nil {
		t.Fatal(err)
	}
	d := func(h string) *sigstore.Digest { return &sigstore.Digest{Algorithm: "sha512", Hex: h} }
	id := sigstore.Policy{Identity: sigstoretest.ProvenanceIdentity, Issuer: sigstoretest.ProvenanceIssuer}
	cases := []struct {
		name   string
		v      *verifier.Verifier
		req    sigstore.Request
		ok     bool
		reason string
	}{
		{"provenance, its artifact, its signer", vpg, sigstore.Request{Kind: "bundle", Bundle: prov, Digest: d(provSHA512), Policy: id}, true, ""},
		{"provenance, own digest, any signer", vpg, sigstore.Request{Kind: "bundle", Bundle: prov}, true, ""},
		{"provenance, identity regexp", vpg, sigstore.Request{Kind: "bundle", Bundle: prov, Policy: sigstore.Policy{IdentityRegexp: `^https://github\.com/sigstore/`, Issuer: sigstoretest.ProvenanceIssuer}}, true, ""},
		{"example provenance", vpg, sigstore.Request{Kind: "bundle", Bundle: ex, Digest: d(exSHA512)}, true, ""},
		{"dsse", vpg, sigstore.Request{Kind: "bundle", Bundle: dsse, Digest: d(dsseSHA512)}, true, ""},
		{"othername on scaffolding", vsc, sigstore.Request{Kind: "bundle", Bundle: other}, true, ""},
		{"provenance against scaffolding", vsc, sigstore.Request{Kind: "bundle", Bundle: prov}, false, "transparency log"},
		{"othername against public good", vpg, sigstore.Request{Kind: "bundle", Bundle: other}, false, ""},
		{"another digest", vpg, sigstore.Request{Kind: "bundle", Bundle: prov, Digest: d(dsseSHA512)}, false, "digest"},
		{"another identity", vpg, sigstore.Request{Kind: "bundle", Bundle: prov, Policy: sigstore.Policy{Identity: "https://github.com/evil/evil/.github/workflows/x.yml@refs/heads/main", Issuer: sigstoretest.ProvenanceIssuer}}, false, "evil"},
		{"another issuer", vpg, sigstore.Request{Kind: "bundle", Bundle: prov, Policy: sigstore.Policy{Identity: sigstoretest.ProvenanceIdentity, Issuer: "https://accounts.google.com"}}, false, "accounts.google.com"},
		{"flipped signature bit", vpg, sigstore.Request{Kind: "bundle", Bundle: flip(t, prov, dsseSig)}, false, ""},
		{"flipped signed entry timestamp", vpg, sigstore.Request{Kind: "bundle", Bundle: flip(t, prov, func(m map[string]any) (map[string]any, string) {
			return m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)["inclusionPromise"].(map[string]any), "signedEntryTimestamp"
		})}, false, ""},
		{"not JSON", vpg, sigstore.Request{Kind: "bundle", Bundle: []byte("{")}, false, "not a valid Sigstore bundle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.v.Verify(&c.req)
			if res.Verified != c.ok {
				t.Fatalf("verified = %v, want %v (problem %q)", res.Verified, c.ok, res.Problem)
			}
			if !c.ok && (res.Problem == "" || !strings.Contains(res.Problem, c.reason)) {
				t.Fatalf("problem %q does not say %q", res.Problem, c.reason)
			}
		})
	}
	res := vpg.Verify(&sigstore.Request{Kind: "bundle", Bundle: prov})
	if res.Identity != sigstoretest.ProvenanceIdentity || res.Issuer != sigstoretest.ProvenanceIssuer || res.IntegratedTime.IsZero() ||
		len(res.Subjects) != 1 || res.Subjects[0].Name != "pkg:npm/sigstore@2.0.0" || res.Subjects[0].Digests[0].Hex != provSHA512 || !res.Keyless || res.BoundTo != "own digest" {
		t.Fatalf("description: %+v", res)
	}
	// Who claims to have signed is read even when verification fails.
	bad := vsc.Verify(&sigstore.Request{Kind: "bundle", Bundle: prov})
	if bad.Verified || bad.Identity != sigstoretest.ProvenanceIdentity || bad.IntegratedTime.IsZero() {
		t.Fatalf("failed verification lost the claim: %+v", bad)
	}
}

func TestNewRefusesRootsWithoutKeylessMaterial(t *testing.T) {
	for _, in := range []string{`{`, `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`} {
		if _, err := verifier.New([]byte(in)); err == nil {
			t.Errorf("%s: loaded", in)
		}
	}
}

func TestWasmKeyless(t *testing.T) {
	ca := sigstoretest.NewCA(t)
	other := sigstoretest.NewCA(t)
	v, err := verifier.New(ca.Root)
	if err != nil {
		t.Fatal(err)
	}
	const who, iss = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	req := func(mod []byte) *sigstore.Request {
		t.Helper()
		inf, err := wasmsig.Describe(mod)
		if err != nil || inf.Keyless == nil {
			t.Fatalf("describe: %v %+v", err, inf)
		}
		return sigstore.WasmRequest(inf.Keyless)
	}
	base := sigstoretest.Module("a")
	cases := []struct {
		name   string
		mod    []byte
		pol    sigstore.Policy
		ok     bool
		reason string
	}{
		{"chain to the root", ca.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss}), sigstore.Policy{}, true, ""},
		{"chain to the root, identity and issuer", ca.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss}), sigstore.Policy{Identity: who, Issuer: iss}, true, ""},
		{"email identity", ca.SignModule(t, base, sigstoretest.Signing{Identity: "release@example.com", Issuer: "https://accounts.google.com"}), sigstore.Policy{Identity: "release@example.com", Issuer: "https://accounts.google.com"}, true, ""},
		{"another identity expected", ca.SignModule(t, base, sigstoretest.Signing{Identity: "evil@attacker", Issuer: iss}), sigstore.Policy{Identity: who, Issuer: iss}, false, "evil@attacker"},
		{"self-signed leaf", ca.SignModule(t, base, sigstoretest.Signing{Identity: "evil@attacker", Issuer: iss, SelfSigned: true}), sigstore.Policy{}, false, "certificate"},
		{"another CA and log", other.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss}), sigstore.Policy{}, false, ""},
		{"integrated time after the certificate expired", ca.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss,
			CertFrom: sigstoretest.Base.Add(-time.Hour), CertTo: sigstoretest.Base.Add(-50 * time.Minute)}), sigstore.Policy{}, false, ""},
		{"integrated time outside the CA", ca.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss, When: sigstoretest.Base.AddDate(2, 0, 0)}), sigstore.Policy{}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := req(c.mod)
			r.Policy = c.pol
			res := v.Verify(r)
			if res.Verified != c.ok {
				t.Fatalf("verified = %v, want %v (problem %q)", res.Verified, c.ok, res.Problem)
			}
			if !c.ok && !strings.Contains(res.Problem, c.reason) {
				t.Fatalf("problem %q does not say %q", res.Problem, c.reason)
			}
			if res.Identity == "" || res.IntegratedTime.IsZero() || res.LogIndex == 0 {
				t.Fatalf("description lost: %+v", res)
			}
		})
	}
	// Tampering with what the section holds.
	good := req(ca.SignModule(t, base, sigstoretest.Signing{Identity: who, Issuer: iss}))
	tamper := map[string]func(w *sigstore.WasmKeyless){
		"signature bit": func(w *sigstore.WasmKeyless) { w.Signature[5] ^= 1 },
		"module hash":   func(w *sigstore.WasmKeyless) { w.ModuleHash[0] ^= 1 },
		"log index":     func(w *sigstore.WasmKeyless) { w.LogIndex++ },
		"integrated time": func(w *sigstore.WasmKeyless) {
			w.IntegratedTime = sigstoretest.Base.Add(time.Minute).Format(time.RFC3339)
		},
		"signed entry timestamp": func(w *sigstore.WasmKeyless) { w.SignedEntryTimestamp = "AAAA" },
		"log id":                 func(w *sigstore.WasmKeyless) { w.LogID = strings.Repeat("ab", 32) },
		"no certificate":         func(w *sigstore.WasmKeyless) { w.CertsPEM = nil },
		"short signature":        func(w *sigstore.WasmKeyless) { w.Signature = w.Signature[:10] },
		"body not base64":        func(w *sigstore.WasmKeyless) { w.Body = "%%%" },
		"inclusion proof junk":   func(w *sigstore.WasmKeyless) { w.InclusionProof = []byte("{") },
	}
	for name, f := range tamper {
		t.Run("tampered "+name, func(t *testing.T) {
			w := *good.Wasm
			w.Signature = append([]byte{}, w.Signature...)
			w.ModuleHash = append([]byte{}, w.ModuleHash...)
			f(&w)
			r := *good
			r.Wasm = &w
			if res := v.Verify(&r); res.Verified || res.Problem == "" {
				t.Fatalf("verified: %+v", res)
			}
		})
	}
}

// TestTimeIsTheVerifiedEntrys: a log entry from a log the root does not
// know, prepended with an old time, is skipped by sigstore-go; the
// signature's time must come from the entry that verified, not the first.
func TestTimeIsTheVerifiedEntrys(t *testing.T) {
	v, err := verifier.New(load(t, sigstoretest.PublicGood(t)))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(load(t, sigstoretest.Data(t, sigstoretest.ProvenanceBundle)), &m)
	vm := m["verificationMaterial"].(map[string]any)
	entries := vm["tlogEntries"].([]any)
	fake := map[string]any{}
	for k, val := range entries[0].(map[string]any) {
		fake[k] = val
	}
	fake["logId"] = map[string]any{"keyId": base64.StdEncoding.EncodeToString([]byte("a log nobody trusts, 32 bytes..."))}
	fake["integratedTime"] = "1500000000"
	fake["logIndex"] = "1"
	vm["tlogEntries"] = append([]any{fake}, entries...)
	b, _ := json.Marshal(m)
	res := v.Verify(&sigstore.Request{Kind: "bundle", Bundle: b})
	if !res.Verified || !res.TimeVerified || res.IntegratedTime.Year() != 2023 || res.LogIndex != 31821305 {
		t.Fatalf("time from the unverified entry: %+v", res)
	}
	// Unverified, a signature's time is a claim.
	bad := v.Verify(&sigstore.Request{Kind: "bundle", Bundle: flip(t, b, dsseSig)})
	if bad.Verified || bad.TimeVerified {
		t.Fatalf("claimed time taken as verified: %+v", bad)
	}
}

// TestServeSurvivesHostileInput: a result that cannot be written (a time
// JSON cannot carry) and a statement with 60,000 subjects neither end the
// process nor make a line too long to read.
func TestServeSurvivesHostileInput(t *testing.T) {
	prov := load(t, sigstoretest.Data(t, sigstoretest.ProvenanceBundle))
	var m map[string]any
	json.Unmarshal(prov, &m)
	m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)["integratedTime"] = "99999999999999999"
	farFuture, _ := json.Marshal(m)
	json.Unmarshal(prov, &m)
	env := m["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	var st map[string]any
	json.Unmarshal(payload, &st)
	var subs []any
	for i := 0; i < 60000; i++ {
		subs = append(subs, map[string]any{"name": fmt.Sprintf("n%07d", i), "digest": map[string]any{"sha256": fmt.Sprintf("%064x", i)}})
	}
	st["subject"] = subs
	payload, _ = json.Marshal(st)
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	many, _ := json.Marshal(m)

	var in bytes.Buffer
	line := func(v any) { b, _ := json.Marshal(v); in.Write(append(b, '\n')) }
	line(sigstore.Init{TrustedRoot: load(t, sigstoretest.PublicGood(t))})
	line(sigstore.Request{Kind: "bundle", Bundle: farFuture})
	line(sigstore.Request{Kind: "bundle", Bundle: many})
	line(sigstore.Request{Kind: "bundle", Bundle: prov})
	var out bytes.Buffer
	if err := verifier.Serve(&in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 { // hello, init reply, three results
		t.Fatalf("%d lines: %.300s", len(lines), out.String())
	}
	var r1, r2, r3 sigstore.Result
	json.Unmarshal([]byte(lines[2]), &r1)
	json.Unmarshal([]byte(lines[3]), &r2)
	json.Unmarshal([]byte(lines[4]), &r3)
	if r1.Verified || r2.Verified || !r3.Verified {
		t.Fatalf("results: %+v / %+v / %+v", r1, r2.Problem, r3)
	}
	if len(r2.Subjects) != 1000 || len(lines[3]) > 1<<20 {
		t.Fatalf("subjects: %d, line %d bytes", len(r2.Subjects), len(lines[3]))
	}
}
