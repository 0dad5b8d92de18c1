package cli

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest/serve"
)

// The test binary is also the Sigstore verifier process when started as
// one (serve.UseSelf points firebreak at it).
func TestMain(m *testing.M) {
	serve.ServeIfAsked()
	os.Exit(m.Run())
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// openPlaybook opens an incident of a playbook with facts and returns its id.
func (e *env) openPlaybook(playbook, title string, facts ...string) string {
	e.t.Helper()
	args := []string{"incident", "open", "--playbook", playbook, "--title", title, "--json"}
	for _, f := range facts {
		args = append(args, "--fact", f)
	}
	var v struct{ ID string }
	if err := json.Unmarshal([]byte(e.ok(args...)), &v); err != nil || v.ID == "" {
		e.t.Fatalf("open %s: %v", playbook, err)
	}
	return v.ID
}

// flipSig flips a bit of a DSSE bundle's signature.
func flipSig(t *testing.T, path string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sig := m["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
	raw, _ := base64.StdEncoding.DecodeString(sig["sig"].(string))
	raw[3] ^= 0x10
	sig["sig"] = base64.StdEncoding.EncodeToString(raw)
	out, _ := json.Marshal(m)
	os.WriteFile(path, out, 0o644)
}

const provSHA512 = "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"

// TestINC3EndToEnd works an INC-3 incident over real public-good bundles:
// pin the pre-distributed root, audit the window against the expected
// signers, find a tampered bundle and an unexpected signer, refuse a
// different root until it is re-pinned with a reason, compare the roots,
// and render the notice from the audit.
func TestINC3EndToEnd(t *testing.T) {
	pg := sigstoretest.PublicGood(t)
	scaf := sigstoretest.Scaffolding(t)
	serve.UseSelf(t)
	e := newEnv(t)
	dir := t.TempDir()
	mods := filepath.Join(dir, "released")
	copyFile(t, sigstoretest.Data(t, sigstoretest.ProvenanceBundle), filepath.Join(mods, "npm", "sigstore-2.0.0.tgz.sigstore.json"))
	copyFile(t, sigstoretest.Data(t, "bundles/dsse.sigstore.json"), filepath.Join(mods, "slsa-provenance-0.0.7.tgz.sigstore.json"))
	os.WriteFile(filepath.Join(mods, "README.md"), []byte("not a bundle"), 0o644)
	signers := filepath.Join(dir, "signers.yaml")
	os.WriteFile(signers, []byte("- identity: "+sigstoretest.ProvenanceIdentity+"\n  issuer: "+sigstoretest.ProvenanceIssuer+"\n- identity: brian@dehamer.com\n"), 0o644)
	root := filepath.Join(dir, "trusted_root.json")
	copyFile(t, pg, root)

	id := e.openPlaybook("INC-3", "Fulcio issued rogue certificates",
		"trusted_root_file="+root, "module_dir="+mods, "expected_signers="+signers,
		"window_start=2022-11-01T00:00:00Z", "window_end=2023-12-31T00:00:00Z")

	out := e.ok("run", id, "switch-offline-verification", "--yes")
	if !strings.Contains(out, "pinned trusted root sha256 4364d7724c04cc912ce2a6c45ed2610e8d8d1c4dc857fb500292738d4d9c8d2c") {
		t.Fatalf("pin: %s", out)
	}
	pinned, err := os.ReadFile(filepath.Join(e.home, "incidents", id, "evidence", "trusted-root-4364d7724c04cc91.json"))
	if want, _ := os.ReadFile(pg); err != nil || string(pinned) != string(want) {
		t.Fatalf("the pinned copy is not the root: %v", err)
	}

	out = e.ok("run", id, "audit-recent-signatures", "--yes")
	if !strings.Contains(out, "audited 2 signature(s): 2 verified, 2 in the window, 0 failed") {
		t.Fatalf("audit: %s", out)
	}
	facts := e.ok("incident", "show", id)
	if !strings.Contains(facts, "brian@dehamer.com") || !strings.Contains(facts, "sigstore-2.0.0.tgz.sigstore.json (pkg:npm/sigstore@2.0.0) sha512:"+provSHA512) {
		t.Fatalf("facts: %s", facts)
	}

	// The same directory, now with a tampered bundle and a signer nobody
	// expects: the re-verification step fails and names both.
	copyFile(t, sigstoretest.Data(t, "bundles/dsse.sigstore.json"), filepath.Join(mods, "tampered.tgz.sigstore.json"))
	flipSig(t, filepath.Join(mods, "tampered.tgz.sigstore.json"))
	// A bundle from another Sigstore (the scaffolding instance) claims a
	// 2024 time, after the window: unverifiable, its claim places it
	// nowhere, and it fails.
	copyFile(t, sigstoretest.Data(t, "bundles/othername.sigstore.json"), filepath.Join(mods, "old", "othername.sigstore.json"))
	os.WriteFile(signers, []byte("- identity: "+sigstoretest.ProvenanceIdentity+"\n"), 0o644)
	out, errs, code := e.run("run", id, "reverify-modules", "--yes")
	if code != 1 || !strings.Contains(out+errs, "tampered.tgz.sigstore.json (slsa-provenance-0.0.7.tgz): does not verify") || !strings.Contains(out+errs, "signer not on the expected list (brian@dehamer.com)") {
		t.Fatalf("re-verify: %d\n%s\n%s", code, out, errs)
	}

	// Run again on the failed step, it fails again and stays failed.
	if _, errs, code := e.run("run", id, "reverify-modules", "--yes"); code != 1 || strings.Contains(errs, "cannot mark it failed") {
		t.Fatalf("re-run of a failed step: %d %s", code, errs)
	}

	// The standalone command says the same, exit 1.
	out, _, code = e.run("sigstore", "audit", mods, "--trusted-root", root, "--since", "2022-11-01T00:00:00Z", "--until", "2023-12-31T00:00:00Z", "--signers", signers)
	if code != 1 || !strings.Contains(out, "FAIL slsa-provenance-0.0.7.tgz  (") || !strings.Contains(out, "4 signature(s), 2 verified; 4 in the window") ||
		!strings.Contains(out, "claims 2024-07-12T19:06:29Z, log index 3 (unverified); counted inside the window") {
		t.Fatalf("sigstore audit: %d\n%s", code, out)
	}

	// A different root is refused, then pinned with a reason.
	e.fail(2, "is not the one this incident pinned", "sigstore", "pin", id, scaf)
	e.fail(1, "is not the one this incident pinned", "sigstore", "audit", mods, "--incident", id, "--trusted-root", scaf)
	e.ok("fact", id, "new_trusted_root="+scaf)
	e.fail(2, "firebreak sigstore pin "+id+" "+scaf+" --reason TEXT", "sigstore", "pin", id, scaf)
	out = e.ok("run", id, "update-certificate-pins", "--yes")
	if !strings.Contains(out, "removed: certificate authority https://fulcio.sigstore.dev") || !strings.Contains(out, "change(s), listed in trusted-root-diff-") ||
		!strings.Contains(out, "pinned trusted root sha256 503c669ede6b4416") {
		t.Fatalf("root diff: %s", out)
	}
	if out := e.ok("sigstore", "pin", id, scaf, "--reason", "again"); !strings.Contains(out, "already pinned") {
		t.Fatalf("pin again: %s", out)
	}
	out = e.ok("incident", "show", id)
	if !strings.Contains(out, "trusted_root_sha256") {
		t.Fatalf("show: %s", out)
	}

	// The notice comes from the last audit: names and digests, never a
	// local path.
	e.ok("fact", id, "remediation=Re-verify with the trust root above; reject the artifacts listed as failing.")
	e.ok("run", id, "notify-consumers", "--yes")
	notes, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "comms", "sigstore-notice-*.txt"))
	if len(notes) != 1 {
		t.Fatalf("notice: %v", notes)
	}
	text, _ := os.ReadFile(notes[0])
	for _, want := range []string{"2022-11-01T00:00:00Z to 2023-12-31T00:00:00Z", "tampered.tgz", "does not verify", "pkg:npm/sigstore@2.0.0 (signature sigstore-2.0.0.tgz.sigstore.json) sha512:" + provSHA512, "brian@dehamer.com"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), dir) {
		t.Errorf("notice carries a local path:\n%s", text)
	}
	e.ok("timeline", "verify", id)
	e.ok("evidence", "verify", id)
}

func TestSigstoreVerifyCommand(t *testing.T) {
	pg := sigstoretest.PublicGood(t)
	bundle := sigstoretest.Data(t, sigstoretest.ProvenanceBundle)
	serve.UseSelf(t)
	e := newEnv(t)
	out := e.ok("sigstore", "verify", bundle, "--trusted-root", pg, "--digest", "sha512:"+provSHA512,
		"--identity", sigstoretest.ProvenanceIdentity, "--issuer", sigstoretest.ProvenanceIssuer)
	if !strings.HasPrefix(out, "OK ") || !strings.Contains(out, "logged     2023-08-18T16:05:35Z, Rekor log index 31821305") {
		t.Fatalf("verify: %s", out)
	}
	for _, c := range [][]string{
		{"--digest", "sha512:" + strings.Repeat("0", 128)},
		{"--digest", "sha512:" + provSHA512, "--identity", "https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main", "--issuer", sigstoretest.ProvenanceIssuer},
		{"--digest", "sha512:" + provSHA512, "--identity-regexp", "^evil", "--issuer", sigstoretest.ProvenanceIssuer},
	} {
		if out, _, code := e.run(append([]string{"sigstore", "verify", bundle, "--trusted-root", pg}, c...)...); code != 1 || !strings.HasPrefix(out, "FAIL ") {
			t.Errorf("%v: exit %d: %s", c, code, out)
		}
	}
	// Against another root, in JSON.
	out, _, code := e.run("sigstore", "verify", bundle, "--trusted-root", sigstoretest.Scaffolding(t), "--digest", "sha512:"+provSHA512, "--json")
	var v struct{ Verified bool }
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Verified {
		t.Fatalf("scaffolding: %d %s", code, out)
	}
	e.fail(2, "--trusted-root is required", "sigstore", "verify", bundle, "--digest", "sha512:"+provSHA512)
	e.fail(2, "exactly one of --artifact", "sigstore", "verify", bundle, "--trusted-root", pg)
	e.fail(2, "ALG:HEX", "sigstore", "verify", bundle, "--trusted-root", pg, "--digest", "md5:abcd")
	e.fail(2, "--identity or --identity-regexp, not both", "sigstore", "verify", bundle, "--trusted-root", pg, "--digest", "sha512:"+provSHA512, "--identity", "a", "--identity-regexp", "b")
	e.fail(1, "not a trusted root", "sigstore", "verify", bundle, "--trusted-root", bundle, "--digest", "sha512:"+provSHA512)
	e.fail(2, "--identity needs --issuer", "sigstore", "verify", bundle, "--trusted-root", pg, "--digest", "sha512:"+provSHA512, "--identity", sigstoretest.ProvenanceIdentity)
	e.fail(2, "--identity-regexp: error parsing regexp", "sigstore", "verify", bundle, "--trusted-root", pg, "--digest", "sha512:"+provSHA512, "--identity-regexp", "(", "--issuer", "x")
	e.fail(2, "is before --since", "sigstore", "audit", bundle, "--trusted-root", pg, "--since", "2025-01-01T00:00:00Z", "--until", "2020-01-01T00:00:00Z")
	// A symlinked artifact named on the command line is followed.
	art := filepath.Join(t.TempDir(), "art")
	os.WriteFile(art, []byte("not the artifact"), 0o644)
	os.Symlink(art, art+".link")
	if out, _, code := e.run("sigstore", "verify", bundle, "--trusted-root", pg, "--artifact", art+".link"); code != 1 || strings.Contains(out, "symbolic link") || !strings.HasPrefix(out, "FAIL") {
		t.Fatalf("symlinked artifact: %d %s", code, out)
	}

	out = e.ok("sigstore", "root", "diff", pg, sigstoretest.Scaffolding(t))
	if !strings.Contains(out, "- certificate authority https://fulcio.sigstore.dev") || !strings.Contains(out, "+ transparency log") {
		t.Fatalf("root diff: %s", out)
	}
	if out := e.ok("sigstore", "root", "diff", pg, pg); !strings.Contains(out, "no change") {
		t.Fatalf("same root: %s", out)
	}
}

// TestKeylessModules: a self-signed "evil@attacker" certificate is
// untrusted, never "verifies"; a chain from the trusted root's CA
// verifies; without a root nothing is claimed.
func TestKeylessModules(t *testing.T) {
	serve.UseSelf(t)
	e := newEnv(t)
	dir := t.TempDir()
	ca := sigstoretest.NewCA(t)
	root := filepath.Join(dir, "trusted_root.json")
	os.WriteFile(root, ca.Root, 0o644)
	const who, iss = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	good := filepath.Join(dir, "good.wasm")
	evil := filepath.Join(dir, "evil.wasm")
	os.WriteFile(good, ca.SignModule(t, sigstoretest.Module("good"), sigstoretest.Signing{Identity: who, Issuer: iss}), 0o644)
	os.WriteFile(evil, ca.SignModule(t, sigstoretest.Module("evil"), sigstoretest.Signing{Identity: "evil@attacker", Issuer: iss, SelfSigned: true}), 0o644)

	out := e.ok("wasm", "show", evil)
	if !strings.Contains(out, "NOT VERIFIED: no trusted root") || strings.Contains(out, "verifies with the leaf") || !strings.Contains(out, "claims to be signed by evil@attacker") {
		t.Fatalf("show without a root: %s", out)
	}
	out = e.ok("wasm", "show", evil, "--trusted-root", root)
	if !strings.Contains(out, "Sigstore: UNTRUSTED") {
		t.Fatalf("show evil: %s", out)
	}
	out = e.ok("wasm", "show", good, "--trusted-root", root)
	if !strings.Contains(out, "Sigstore: VERIFIED against trusted root sha256") {
		t.Fatalf("show good: %s", out)
	}
	e.ok("wasm", "verify", good, "--trusted-root", root, "--identity", who, "--issuer", iss)
	if out, _, code := e.run("wasm", "verify", evil, "--trusted-root", root); code != 1 || !strings.HasPrefix(out, "FAIL") {
		t.Fatalf("verify evil: %d %s", code, out)
	}
	if out, _, code := e.run("wasm", "verify", good, "--trusted-root", root, "--identity", "someone@else", "--issuer", iss); code != 1 {
		t.Fatalf("verify good as someone else: %d %s", code, out)
	}
	e.ok("sigstore", "verify", good, "--trusted-root", root)
	// A module changed after signing.
	b, _ := os.ReadFile(good)
	b[len(b)-1] ^= 1
	changed := filepath.Join(dir, "changed.wasm")
	os.WriteFile(changed, b, 0o644)
	for _, cmd := range [][]string{{"wasm", "verify"}, {"sigstore", "verify"}} {
		if out, _, code := e.run(append(cmd, changed, "--trusted-root", root)...); code != 1 || !strings.Contains(out, "changed after signing") {
			t.Fatalf("%v changed: %d %s", cmd, code, out)
		}
	}
	if out := e.ok("wasm", "show", changed, "--trusted-root", root); !strings.Contains(out, "Sigstore: UNTRUSTED") || !strings.Contains(out, "changed after signing") {
		t.Fatalf("show changed: %s", out)
	}
	// The audit: the evil module fails, the good one passes.
	out, _, code := e.run("sigstore", "audit", dir, "--trusted-root", root)
	if code != 1 || !strings.Contains(out, "FAIL evil.wasm") || !strings.Contains(out, "ok   good.wasm") {
		t.Fatalf("audit: %d %s", code, out)
	}
}

// TestINC2Keyless: a malicious module signed keyless by a compromised
// identity. The signing record is read offline and verified against the
// pinned root, the identity is blocked, a later audit fails everything it
// signed, and the advisory names the signer by identity and Rekor entry.
func TestINC2Keyless(t *testing.T) {
	serve.UseSelf(t)
	e := newEnv(t)
	dir := t.TempDir()
	ca := sigstoretest.NewCA(t)
	root := filepath.Join(dir, "trusted_root.json")
	os.WriteFile(root, ca.Root, 0o644)
	const iss = "https://accounts.google.com"
	mods := filepath.Join(dir, "registry")
	os.MkdirAll(mods, 0o755)
	evil := filepath.Join(mods, "plugin.wasm")
	os.WriteFile(evil, ca.SignModule(t, sigstoretest.Module("evil"), sigstoretest.Signing{Identity: "dev@example.com", Issuer: iss}), 0o644)
	os.WriteFile(filepath.Join(mods, "older.wasm"), ca.SignModule(t, sigstoretest.Module("older"), sigstoretest.Signing{Identity: "dev@example.com", Issuer: iss, When: sigstoretest.Base.AddDate(0, -2, 0)}), 0o644)
	os.WriteFile(filepath.Join(mods, "other.wasm"), ca.SignModule(t, sigstoretest.Module("other"), sigstoretest.Signing{Identity: "release@example.com", Issuer: iss}), 0o644)

	id := e.openPlaybook("INC-2", "Malicious plugin", "module_path="+evil)
	e.ok("sigstore", "pin", id, root)
	e.ok("run", id, "quarantine-module", "--yes")
	e.ok("run", id, "extract-signature-info", "--yes")
	infos, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "evidence", "signature-info-*.json"))
	if len(infos) != 1 {
		t.Fatalf("signature info: %v", infos)
	}
	b, _ := os.ReadFile(infos[0])
	if !strings.Contains(string(b), `"status": "verified"`) || !strings.Contains(string(b), `"identity": "dev@example.com"`) {
		t.Fatalf("signature info lacks the verdict: %s", b)
	}
	out := e.ok("run", id, "check-rekor", "--yes")
	if !strings.Contains(out, "signed by dev@example.com (https://accounts.google.com), Rekor log index") || !strings.Contains(out, "verified against trusted root sha256") {
		t.Fatalf("check-rekor: %s", out)
	}
	show := e.ok("incident", "show", id)
	for _, want := range []string{"signing_identity", "dev@example.com", "rekor_log_index", "rekor_integrated_time"} {
		if !strings.Contains(show, want) {
			t.Fatalf("show lacks %s: %s", want, show)
		}
	}
	e.ok("run", id, "block-signing-identity", "--yes")
	// Every module the blocked identity signed fails the audit, inside the
	// window or not; the other signer's module passes.
	out, errs, code := e.run("sigstore", "audit", mods, "--incident", id, "--since", "-1d")
	if code != 1 || !strings.Contains(out+errs, "older.wasm: signed by a blocked identity") || strings.Contains(out+errs, "other.wasm: ") {
		t.Fatalf("audit after the block: %d\n%s\n%s", code, out, errs)
	}
	// One module at a time, in the incident: the block holds too.
	if out, _, code := e.run("wasm", "verify", filepath.Join(mods, "older.wasm"), "--incident", id); code != 1 || !strings.Contains(out, "blocked in incident "+id) {
		t.Fatalf("wasm verify after the block: %d %s", code, out)
	}
	if out := e.ok("wasm", "show", filepath.Join(mods, "older.wasm"), "--incident", id); !strings.Contains(out, "Sigstore: UNTRUSTED") || !strings.Contains(out, "blocked in incident") {
		t.Fatalf("wasm show after the block: %s", out)
	}
	e.ok("wasm", "verify", filepath.Join(mods, "other.wasm"), "--incident", id)
	e.fail(2, "give one kind", "wasm", "verify", filepath.Join(mods, "other.wasm"), "--incident", id, "--pubkey", root)
	e.fail(1, "control characters", "sigstore", "block", id, "--identity", "mallory@example.com\nx", "--reason", "r")
	e.fail(1, "not an email address or a URI", "sigstore", "block", id, "--identity", "foo bar", "--reason", "r")
	if show := e.ok("incident", "show", id); strings.Contains(show, "foo bar") {
		t.Fatalf("a refused block was recorded: %s", show)
	}
	e.ok("comms", "render", id, "malicious-module", "--set", "window_start=2026-11-20 11:00 UTC", "--set", "window_end=2026-11-20 13:00 UTC", "--set", "remediation=Remove it.")
	notes, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "comms", "malicious-module-*.txt"))
	if len(notes) != 1 {
		t.Fatalf("advisory: %v", notes)
	}
	text, _ := os.ReadFile(notes[0])
	if !strings.Contains(string(text), "Signed by: keyless certificate for dev@example.com (issuer https://accounts.google.com), Rekor log index") || strings.Contains(string(text), dir) {
		t.Fatalf("advisory:\n%s", text)
	}
	e.ok("timeline", "verify", id)
}

// TestFirstUsePins: the first Sigstore action given a root pins it; a
// later different root is refused, no root uses the pin, and a pinned copy
// changed on disk is refused.
func TestFirstUsePins(t *testing.T) {
	serve.UseSelf(t)
	e := newEnv(t)
	dir := t.TempDir()
	a, b := sigstoretest.NewCA(t), sigstoretest.NewCA(t)
	ra, rb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(ra, a.Root, 0o644)
	os.WriteFile(rb, b.Root, 0o644)
	mods := filepath.Join(dir, "m")
	os.MkdirAll(mods, 0o755)
	os.WriteFile(filepath.Join(mods, "x.wasm"), a.SignModule(t, sigstoretest.Module("x"), sigstoretest.Signing{Identity: "r@example.com", Issuer: "https://i"}), 0o644)
	id := e.open()
	out := e.ok("sigstore", "audit", mods, "--incident", id, "--trusted-root", ra)
	if !strings.Contains(out, "ok   the pinned copy") {
		t.Fatalf("first use did not pin: %s", out)
	}
	e.fail(1, "is not the one this incident pinned", "sigstore", "audit", mods, "--incident", id, "--trusted-root", rb)
	e.ok("sigstore", "audit", mods, "--incident", id)
	if out := e.ok("wasm", "show", filepath.Join(mods, "x.wasm"), "--incident", id); !strings.Contains(out, "Sigstore: VERIFIED") {
		t.Fatalf("wasm show --incident: %s", out)
	}
	// The pinned copy changed on disk (its mode is 0400; the attacker has
	// write access to the home): refused, whatever the command.
	copies, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "evidence", "trusted-root-*.json"))
	if len(copies) != 1 {
		t.Fatalf("copies: %v", copies)
	}
	os.Chmod(copies[0], 0o600)
	os.WriteFile(copies[0], b.Root, 0o600)
	e.fail(1, "the evidence was changed", "sigstore", "audit", mods, "--incident", id)
	e.fail(1, "the evidence was changed", "wasm", "verify", filepath.Join(mods, "x.wasm"), "--incident", id)
	os.WriteFile(copies[0], a.Root, 0o400)

	// The home moves: the pin is read from this incident's evidence by
	// name, never from the old path (another home's copy).
	moved := e.home + "-moved"
	if err := os.Rename(e.home, moved); err != nil {
		t.Fatal(err)
	}
	e.home = moved
	e.ok("sigstore", "audit", mods, "--incident", id)
}

// TestForgedSignerIsAClaim: INC-2's check-rekor on a module whose
// self-signed certificate names a legitimate identity fails and records
// the identity as a claim, so the block step does not block the
// legitimate signer on the forger's word.
func TestForgedSignerIsAClaim(t *testing.T) {
	serve.UseSelf(t)
	e := newEnv(t)
	dir := t.TempDir()
	ca := sigstoretest.NewCA(t)
	root := filepath.Join(dir, "trusted_root.json")
	os.WriteFile(root, ca.Root, 0o644)
	const legit = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
	mod := filepath.Join(dir, "mal.wasm")
	os.WriteFile(mod, ca.SignModule(t, sigstoretest.Module("m"), sigstoretest.Signing{Identity: legit, Issuer: "https://token.actions.githubusercontent.com", SelfSigned: true}), 0o644)
	id := e.openPlaybook("INC-2", "Forged", "module_path="+mod)
	e.ok("sigstore", "pin", id, root)
	e.ok("run", id, "quarantine-module", "--yes")
	out, errs, code := e.run("run", id, "check-rekor", "--yes")
	if code != 1 || !strings.Contains(out, "claims to be signed by "+legit) {
		t.Fatalf("check-rekor: %d\n%s\n%s", code, out, errs)
	}
	show := e.ok("incident", "show", id)
	if !strings.Contains(show, "claimed_signing_identity") || strings.Contains(show, "\n  signing_identity") {
		t.Fatalf("facts: %s", show)
	}
	e.fail(1, "signing_identity", "run", id, "block-signing-identity", "--yes")
}

// TestCheckRekorNeedsARoot: without a pinned root, INC-2's check-rekor
// reads a claim and fails, saying how to go on.
func TestCheckRekorNeedsARoot(t *testing.T) {
	serve.UseSelf(t)
	e := newEnv(t)
	ca := sigstoretest.NewCA(t)
	mod := filepath.Join(t.TempDir(), "m.wasm")
	os.WriteFile(mod, ca.SignModule(t, sigstoretest.Module("m"), sigstoretest.Signing{Identity: "dev@example.com", Issuer: "https://i"}), 0o644)
	id := e.openPlaybook("INC-2", "No root", "module_path="+mod)
	e.ok("run", id, "quarantine-module", "--yes")
	out, errs, code := e.run("run", id, "check-rekor", "--yes")
	if code != 1 || !strings.Contains(out+errs, "no trusted root is pinned to the incident: pin one (firebreak sigstore pin "+id) || !strings.Contains(out, "claims to be signed by dev@example.com") {
		t.Fatalf("check-rekor without a root: %d\n%s\n%s", code, out, errs)
	}
}
