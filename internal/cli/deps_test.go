package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestINC4EndToEnd works a dependency CVE from assessment to notification:
// the check names the affected pin and records the advisory's facts; the
// fix is verified by the same check; the release's checksums are signed;
// the disclosure and the draft GitHub advisory are filled from the facts.
func TestINC4EndToEnd(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("wsc/wsc")
	work := t.TempDir()
	gomod := filepath.Join(work, "go.mod")
	os.WriteFile(gomod, []byte("module example.com/wsc-tools\n\ngo 1.22\n\nrequire golang.org/x/crypto v0.30.0\n"), 0o644)
	advisories, _ := filepath.Abs(filepath.Join("..", "deps", "testdata"))
	e.ok("key", "generate", "--out", filepath.Join(work, "release"))
	bin := filepath.Join(work, "wsc-tools-1.2.1.tar.gz")
	os.WriteFile(bin, []byte("release bytes"), 0o644)
	id := e.openPlaybook("INC-4", "x/crypto ssh authorization bypass",
		"lockfiles="+gomod, "advisories="+advisories, "release_files="+bin,
		"checksums_out="+filepath.Join(work, "checksums.json"), "release_key="+filepath.Join(work, "release.pem"), "repo=wsc/wsc")

	// Assessment: affected, and the advisory's facts recorded.
	out, _, code := e.run("run", id, "check-affected", "--yes")
	if code != 0 || !strings.Contains(out, "AFFECTED: 1 finding(s); Go golang.org/x/crypto v0.30.0") {
		t.Fatalf("check-affected: %d %s", code, out)
	}
	var show struct{ Facts map[string]string }
	json.Unmarshal([]byte(e.ok("incident", "show", id, "--json")), &show)
	for k, want := range map[string]string{"deps_affected": "yes", "advisory_id": "GO-2024-3321", "cve_id": "CVE-2024-45337", "ghsa_id": "GHSA-v778-237x-gjrc",
		"ecosystem": "Go", "package": "golang.org/x/crypto", "version_in_use": "v0.30.0", "affected_versions": ">= 0, < 0.31.0", "fixed_version": "0.31.0"} {
		if show.Facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, show.Facts[k], want)
		}
	}
	e.ok("severity", id, "High", "--reason", "the ssh server code path is reachable")
	e.ok("step", id, "severity-assessment", "done")

	// The fix: refused while still affected, passes after the update.
	e.fail(1, "no pinned version is affected any longer", "run", id, "verify-fix", "--yes")
	e.ok("step", id, "verify-fix", "reopen", "--reason", "the update was not in yet")
	os.WriteFile(gomod, []byte("module example.com/wsc-tools\n\ngo 1.22\n\nrequire golang.org/x/crypto v0.31.0\n"), 0o644)
	e.ok("step", id, "update-dependency", "done")
	e.ok("run", id, "verify-fix", "--yes")

	// Release: the checksums manifest, signed.
	e.ok("run", id, "release-patch", "--yes")
	if _, err := os.Stat(filepath.Join(work, "checksums.json")); err != nil {
		t.Fatalf("checksums: %v", err)
	}
	if out := e.ok("checksums", "verify", filepath.Join(work, "checksums.json"), "--sig", filepath.Join(work, "checksums.sig"), "--pubkey", filepath.Join(work, "release.pub.pem")); !strings.Contains(out, "OK") {
		t.Fatalf("checksums verify: %s", out)
	}

	// Notify: the disclosure filled from the facts; people give the rest.
	out, errs, code := e.run("run", id, "notify-users", "--yes")
	if code == 0 || !strings.Contains(errs, "impact") {
		t.Fatalf("notify-users without the people's fields: %d %s %s", code, out, errs)
	}
	msg := e.ok("comms", "render", id, "vulnerability-disclosure", "-o", "-", "--set", "impact=authorization bypass in the ssh server",
		"--set", "workaround=disable public key auth", "--set", "credit=the Go security team", "--set", "reported_at=2024-12-11",
		"--set", "fixed_at=2024-12-12", "--set", "disclosed_at=2024-12-13")
	for _, want := range []string{"CVE: CVE-2024-45337", "Package: golang.org/x/crypto", "Affected Versions: >= 0, < 0.31.0", "Fixed Version: 0.31.0", "Misuse of connection.serverAuthenticate"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("disclosure lacks %q:\n%s", want, msg)
		}
	}
	e.ok("step", id, "notify-users", "done")

	// The draft advisory, filled from the facts.
	e.ok("run", id, "publish-advisory", "--yes")
	adv := s.Advisories("wsc/wsc")
	if len(adv) != 1 {
		t.Fatalf("advisories: %v", adv)
	}
	b, _ := json.Marshal(adv[0])
	for _, want := range []string{`"cve_id":"CVE-2024-45337"`, `"ecosystem":"go"`, `"name":"golang.org/x/crypto"`, `"vulnerable_version_range":"\u003c 0.31.0"`, `"patched_versions":"0.31.0"`, `"severity":"high"`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("advisory lacks %s: %s", want, b)
		}
	}
	contractOK(t, chk)
	e.ok("timeline", "verify", id)
}

func TestDepsCheckCommand(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	advisories, _ := filepath.Abs(filepath.Join("..", "deps", "testdata"))
	lock := filepath.Join(dir, "Cargo.lock")
	os.WriteFile(lock, []byte("[[package]]\nname = \"ed25519-dalek\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"), 0o644)
	out, _, code := e.run("deps", "check", lock, "--advisory", advisories)
	if code != 1 || !strings.Contains(out, "AFFECTED  crates.io ed25519-dalek 1.0.1 in "+lock) || !strings.Contains(out, "RUSTSEC-2022-0093 (GHSA-w5vr-6qhr-36cc)") || !strings.Contains(out, "first fixed 2.0.0") {
		t.Fatalf("affected: %d %s", code, out)
	}
	var rep struct {
		Findings []struct{ Package, Advisory, Fixed string }
	}
	out, _, code = e.run("deps", "check", lock, "--advisory", advisories, "--json")
	json.Unmarshal([]byte(out), &rep)
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Fixed != "2.0.0" {
		t.Fatalf("json: %d %s", code, out)
	}
	os.WriteFile(lock, []byte("[[package]]\nname = \"ed25519-dalek\"\nversion = \"2.1.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"), 0o644)
	if out := e.ok("deps", "check", lock, "--advisory", advisories); !strings.Contains(out, "not affected: 0 finding(s)") {
		t.Fatalf("not affected: %s", out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"id\": 7\n}"), 0o644)
	e.fail(2, "bad.json:2:", "deps", "check", lock, "--advisory", bad)
	e.fail(2, "--advisory is required", "deps", "check", lock)
	e.fail(2, "is not a lockfile firebreak reads", "deps", "check", bad, "--advisory", advisories)
}
