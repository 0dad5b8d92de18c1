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
		"ecosystem": "Go", "package": "golang.org/x/crypto", "version_in_use": "v0.30.0", "affected_versions": "< v0.31.0", "patched_versions": "v0.31.0", "fixed_version": "v0.31.0", "lockfiles": gomod,
		"update_command": "go get golang.org/x/crypto@v0.31.0 && go mod tidy", "reach_command": "govulncheck ./... && go mod why -m golang.org/x/crypto"} {
		if show.Facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, show.Facts[k], want)
		}
	}
	// A check by hand beside the incident is recorded, but keeps the facts.
	other := filepath.Join(work, "other", "go.mod")
	os.MkdirAll(filepath.Dir(other), 0o755)
	os.WriteFile(other, []byte("module example.com/other\n\ngo 1.22\n\nrequire golang.org/x/crypto v0.29.0\n"), 0o644)
	if out, _, code := e.run("deps", "check", other, "--advisory", advisories, "--incident", id, "--yes"); code != 1 || !strings.Contains(out, "v0.29.0") {
		t.Fatalf("ad-hoc check: %d %s", code, out)
	}
	json.Unmarshal([]byte(e.ok("incident", "show", id, "--json")), &show)
	if show.Facts["version_in_use"] != "v0.30.0" || show.Facts["lockfiles"] != gomod {
		t.Fatalf("an ad-hoc check rewrote the facts: %v", show.Facts)
	}
	e.ok("severity", id, "High", "--reason", "the ssh server code path is reachable")
	e.ok("step", id, "severity-assessment", "done")

	// The fix: refused while still affected, passes after the update.
	e.fail(1, "no pinned version is affected any longer", "run", id, "verify-fix", "--yes")
	e.ok("step", id, "verify-fix", "reopen", "--reason", "the update was not in yet")
	os.WriteFile(gomod, []byte("module example.com/wsc-tools\n\ngo 1.22\n\nrequire golang.org/x/crypto v0.31.0\n"), 0o644)
	e.ok("step", id, "update-dependency", "done")
	e.ok("run", id, "verify-fix", "--yes")
	json.Unmarshal([]byte(e.ok("incident", "show", id, "--json")), &show)
	if show.Facts["deps_affected"] != "no" || show.Facts["advisory_id"] != "GO-2024-3321" {
		t.Fatalf("after the fix: %v", show.Facts)
	}

	// Release: the checksums manifest, signed.
	e.ok("run", id, "release-patch", "--yes")
	if _, err := os.Stat(filepath.Join(work, "checksums.json")); err != nil {
		t.Fatalf("checksums: %v", err)
	}
	if out := e.ok("checksums", "verify", filepath.Join(work, "checksums.json"), "--sig", filepath.Join(work, "checksums.sig"), "--pubkey", filepath.Join(work, "release.pub.pem")); !strings.Contains(out, "OK") {
		t.Fatalf("checksums verify: %s", out)
	}

	// Notify: the disclosure filled from the facts; people give the rest,
	// as facts, and run renders it.
	out, errs, code := e.run("run", id, "notify-users", "--yes")
	if code == 0 || !strings.Contains(errs, "impact") {
		t.Fatalf("notify-users without the people's fields: %d %s %s", code, out, errs)
	}
	e.ok("fact", id, "impact=authorization bypass in the ssh server", "workaround=disable public key auth", "credit=the Go security team",
		"reported_at=2024-12-11", "fixed_at=2024-12-12", "disclosed_at=2024-12-13")
	e.ok("run", id, "notify-users", "--yes")
	rendered, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "comms", "vulnerability-disclosure-*.txt"))
	if len(rendered) != 1 {
		t.Fatalf("rendered: %v", rendered)
	}
	b, _ := os.ReadFile(rendered[0])
	msg := string(b)
	for _, want := range []string{"CVE: CVE-2024-45337", "Package: golang.org/x/crypto", "Affected Versions: < v0.31.0", "Fixed Version: v0.31.0", "Misuse of connection.serverAuthenticate", "Credit:\nthe Go security team"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("disclosure lacks %q:\n%s", want, msg)
		}
	}

	// The draft advisory, filled from the facts.
	e.ok("run", id, "publish-advisory", "--yes")
	adv := s.Advisories("wsc/wsc")
	if len(adv) != 1 {
		t.Fatalf("advisories: %v", adv)
	}
	b, _ = json.Marshal(adv[0])
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

// TestDepsCheckHostileInputs: an advisory is input from outside. Its text
// reaches facts only as one plain line, never with a secret; a broken
// advisory in a directory leaves the check without an answer, named;
// relative paths are recorded absolute.
func TestDepsCheckHostileInputs(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	lock := filepath.Join(dir, "Cargo.lock")
	os.WriteFile(lock, []byte("[[package]]\nname = \"wsc\"\nversion = \"0.4.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"), 0o644)
	db := filepath.Join(dir, "db")
	os.MkdirAll(db, 0o755)
	token := "ghp_" + strings.Repeat("A1b2", 9)
	os.WriteFile(filepath.Join(db, "evil.json"), []byte(`{"id":"EVIL-1","aliases":["CVE-2026-0001","GHSA-xxxx-not-real","x\u202ey"],
	  "summary":"bad \u001b[31mred\u001b[0m\u202e; leaked `+token+`",
	  "affected":[{"package":{"ecosystem":"crates.io","name":"wsc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.5.0"}]}]}]}`), 0o644)

	// Relative paths, as typed in a project folder: recorded absolute.
	t.Chdir(dir)
	id := e.openPlaybook("INC-4", "hostile advisory", "lockfiles=Cargo.lock", "advisories=db")
	out, _, code := e.run("run", id, "check-affected", "--yes")
	if code != 0 || !strings.Contains(out, "AFFECTED") {
		t.Fatalf("check-affected: %d %s", code, out)
	}
	var show struct{ Facts map[string]string }
	json.Unmarshal([]byte(e.ok("incident", "show", id, "--json")), &show)
	f := show.Facts
	if f["lockfiles"] != lock || f["advisories"] != db {
		t.Errorf("paths: %q %q", f["lockfiles"], f["advisories"])
	}
	if f["advisory_id"] != "EVIL-1" || f["advisory_aliases"] != "CVE-2026-0001, GHSA-xxxx-not-real" || strings.ContainsAny(f["description"], "\x1b\u202e") || !strings.Contains(f["description"], `\x1b[31mred`) ||
		strings.Contains(f["description"], token) || f["ghsa_id"] != "" || f["cve_id"] != "CVE-2026-0001" {
		t.Errorf("facts from a hostile advisory: %q", f)
	}
	e.ok("timeline", "verify", id)

	// One broken file among the advisories: the rest is read, and
	// "not affected" is no answer (exit 2), with the file named.
	os.WriteFile(filepath.Join(db, "evil.json"), []byte("{\n\"id\": 7}"), 0o644)
	os.WriteFile(filepath.Join(db, "ok.json"), []byte(`{"id":"OK-1","affected":[{"package":{"ecosystem":"crates.io","name":"other"},"versions":["1.0.0"]}]}`), 0o644)
	out, errs, code := e.run("deps", "check", lock, "--advisory", db)
	if code != 2 || !strings.Contains(out, "UNREAD    "+filepath.Join(db, "evil.json")+":2:") || !strings.Contains(out, "NO ANSWER") || !strings.Contains(errs, "1 advisory file(s) could not be read") {
		t.Fatalf("unread: %d\n%s\n%s", code, out, errs)
	}
	if _, _, code := e.run("deps", "check", lock, "--advisory", db, "--json"); code != 2 {
		t.Errorf("--json with an unread advisory: exit %d", code)
	}
	// The fix's check does not pass on a partial read.
	e.fail(1, "every advisory read", "run", id, "verify-fix", "--yes")
	// With --incident too, no answer is exit 2.
	if _, _, code := e.run("deps", "check", lock, "--advisory", db, "--incident", id, "--yes"); code != 2 {
		t.Errorf("--incident with an unread advisory: exit %d", code)
	}
	// A missing lockfile's hint is about the path; an unknown one's about
	// the names read.
	if _, errs, _ = e.run("deps", "check", "nope/Cargo.lock", "--advisory", db); !strings.Contains(errs, "hint: check the path") {
		t.Errorf("hint: %s", errs)
	}
	if _, errs, _ = e.run("deps", "check", filepath.Join(db, "ok.json"), "--advisory", db); !strings.Contains(errs, "hint: lockfiles are read by their names") {
		t.Errorf("hint: %s", errs)
	}
	// The step names a lockfile that is not there before it runs.
	e.ok("fact", id, "lockfiles=nope/go.mod")
	e.ok("step", id, "check-affected", "reopen", "--reason", "another lockfile")
	e.fail(1, "correct the fact lockfiles", "run", id, "check-affected", "--yes")
}
