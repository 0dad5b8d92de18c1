package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

var t0 = time.Date(2026, 11, 22, 3, 10, 0, 0, time.UTC)

// env is a test workspace with a clock that moves only when told to, so
// outputs do not depend on how often the code reads the time.
type env struct {
	t    *testing.T
	home string
	mu   sync.Mutex
	cur  time.Time
	vars map[string]string
}

func newEnv(t *testing.T) *env {
	return &env{t: t, home: filepath.Join(t.TempDir(), "home"), cur: t0, vars: map[string]string{"FIREBREAK_ACTOR": "alice"}}
}

func (e *env) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur
}

// advance moves the clock.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cur = e.cur.Add(d)
}

// app is firebreak in-process over the env's workspace, clock and
// variables, never prompting.
func (e *env) app(stdout, stderr io.Writer) *invocation {
	return &invocation{ctx: context.Background(), stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv: func(k string) string {
			if k == "FIREBREAK_HOME" {
				return e.home
			}
			return e.vars[k]
		}, now: e.now, noTTY: true, ghSleep: func(context.Context, time.Duration) error { return nil }}
}

// run runs firebreak in-process and returns stdout, stderr and the exit code.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := e.app(&out, &errb).run(args)
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errs, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("firebreak %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fail runs a command that must fail with code and an error mentioning want.
func (e *env) fail(code int, want string, args ...string) string {
	e.t.Helper()
	out, errs, got := e.run(args...)
	if got != code || !strings.Contains(errs, want) {
		e.t.Fatalf("firebreak %s: exit %d (want %d)\nstderr %q does not mention %q\nstdout: %s", strings.Join(args, " "), got, code, errs, want, out)
	}
	if !strings.HasPrefix(errs, "firebreak: error: ") {
		e.t.Fatalf("stderr does not start with the error voice: %q", errs)
	}
	return errs
}

func (e *env) open(extra ...string) string {
	e.t.Helper()
	out := e.ok(append([]string{"incident", "open", "--playbook", "INC-1", "--title", "Prod key leaked", "--json"}, extra...)...)
	var v struct{ ID string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" {
		e.t.Fatalf("open --json: %v: %s", err, out)
	}
	return v.ID
}

// snapshot returns every file under the workspace and its content.
func (e *env) snapshot() map[string]string {
	m := map[string]string{}
	filepath.Walk(e.home, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func TestUsage(t *testing.T) {
	e := newEnv(t)
	out := e.ok("help")
	if !strings.Contains(out, "incident open --playbook ID --title TEXT") {
		t.Fatal("help lacks the command list")
	}
	if out := e.ok("step", "--help"); !strings.Contains(out, "Usage: firebreak step ID STEP") || !strings.Contains(out, "--reason") {
		t.Fatalf("step --help: %s", out)
	}
	errs := e.fail(2, `unknown command "incidnet open"`, "incidnet", "open")
	if !strings.Contains(errs, "firebreak: hint: ") {
		t.Fatalf("no hint: %s", errs)
	}
	e.fail(2, "wrong number of arguments", "incident", "show")
	e.fail(2, "flag provided but not defined: -frobnicate", "incident", "list", "--frobnicate")
	e.fail(2, "--playbook and --title are required", "incident", "open", "--title", "x")
	e.fail(2, "flag --title needs a value", "incident", "open", "--title")
	// No command: the incident list and the usage, not a failure.
	if out := e.ok(); !strings.Contains(out, "No incidents in") || !strings.Contains(out, "Usage:") {
		t.Fatalf("bare firebreak: %s", out)
	}
}

func TestIncidentLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.open("--fact", "key_path=/keys/prod.sec", "--detected", "-40m", "--compromised", "2026-11-21 23:00")
	if id != "2026-11-22-inc1-prod-key-leaked" {
		t.Fatalf("id %q", id)
	}
	e.ok("fact", id, "key_id=4BB9E28DF31C5283810A3E32", "module_dir=/srv/modules")
	e.advance(40 * time.Minute)
	e.ok("step", id, "1.1", "start")
	if out := e.ok("step", id, "isolate-key", "done", "--reason", "moved to the vault"); !strings.Contains(out, "[x] 1.1 isolate-key: done") {
		t.Fatalf("step done: %q", out)
	}
	e.fail(1, "a reason is required to skip step notify-stakeholders", "step", id, "notify-stakeholders", "skip")
	e.fail(1, "step isolate-key is done: cannot start it", "step", id, "isolate-key", "start")
	e.ok("step", id, "notify-stakeholders", "skip", "--reason", "handled by the security team's own process")
	e.ok("note", id, "key", "found", "in", "commit", "abc123", "--step", "identify-scope")
	e.ok("milestone", id, "contained")
	e.ok("severity", id, "SEV-2", "--reason", "only test modules were signed")
	e.ok("--actor", "bob", "note", id, "second responder here")

	var show incidentView
	if err := json.Unmarshal([]byte(e.ok("incident", "show", id, "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if show.CurrentSeverity != "High" || show.CurrentSEV != "SEV-2" || show.Severity.String() != "Critical" {
		t.Fatalf("severity: %+v", show)
	}
	if show.Facts["key_id"] != "4bb9e28df31c5283810a3e32" || len(show.MissingFacts) != 0 {
		t.Fatalf("facts: %+v missing %v", show.Facts, show.MissingFacts)
	}
	if show.Steps[0].State != "done" || show.Steps[0].By != "alice" || show.Steps[2].State != "skipped" {
		t.Fatalf("steps: %+v", show.Steps[:3])
	}
	if s := show.Metrics[1].Seconds; s == nil || *s != 80*60 || !show.Metrics[1].Met {
		t.Fatalf("time to contain: %+v", show.Metrics[1])
	}
	if strings.Join(show.Actors, ",") != "alice,bob" {
		t.Fatalf("actors %v", show.Actors)
	}

	var tl []struct{ Kind, Summary, Actor string }
	json.Unmarshal([]byte(e.ok("timeline", id, "--json")), &tl)
	if len(tl) < 10 || tl[0].Kind != "milestone" || !strings.Contains(tl[0].Summary, "compromised") {
		t.Fatalf("timeline starts with %+v", tl[:1])
	}
	if out := e.ok("timeline", id, "--by", "bob"); strings.Count(out, "\n") != 1 || !strings.Contains(out, "second responder") {
		t.Fatalf("filter by actor: %q", out)
	}
	if out := e.ok("timeline", id, "--kind", "step", "--step", "1.1"); strings.Count(out, "\n") != 2 {
		t.Fatalf("filter by kind and step: %q", out)
	}
	if out := e.ok("timeline", "verify", id); !strings.HasPrefix(out, "OK "+id+": ") {
		t.Fatalf("verify: %q", out)
	}

	// Export in every format; each is recorded.
	for _, f := range []string{"md", "json", "html"} {
		path := filepath.Join(t.TempDir(), "record."+f)
		if out := e.ok("export", id, "--format", f, "-o", path); strings.TrimSpace(out) != path {
			t.Fatalf("export printed %q", out)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		date := "2026-11-22 03:10:"
		if f == "json" {
			date = "2026-11-22T03:10:"
		}
		for _, want := range []string{"Prod key leaked", date, "time to contain", "second responder here", "moved to the vault"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s export lacks %q", f, want)
			}
		}
		if f == "json" {
			var rec struct {
				Schema  string
				Journal struct {
					Intact bool
					Files  []struct {
						HeadID string `json:"head_id"`
					}
				}
				Timeline []json.RawMessage
			}
			if err := json.Unmarshal(b, &rec); err != nil || rec.Schema != "firebreak.export/v1" || !rec.Journal.Intact || len(rec.Journal.Files) != 2 || len(rec.Journal.Files[0].HeadID) != 64 {
				t.Fatalf("json export: %v %+v", err, rec)
			}
		}
		if f == "html" && (!strings.HasPrefix(body, "<!DOCTYPE html>") || strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://")) {
			t.Fatal("html export is not a self-contained page")
		}
	}
	// Default location: the incident's exports directory.
	out := strings.TrimSpace(e.ok("export", id))
	if filepath.Dir(out) != filepath.Join(e.home, "incidents", id, "exports") || !strings.HasSuffix(out, ".md") {
		t.Fatalf("default export path %q", out)
	}
	if out := e.ok("timeline", id, "--kind", "export.made"); strings.Count(out, "\n") != 4 {
		t.Fatalf("export.made events: %q", out)
	}

	e.ok("incident", "close", id, "--reason", "recovered")
	if out := e.ok("incident", "list"); strings.Contains(out, id) {
		t.Fatal("closed incident listed without --all")
	}
	if out := e.ok("incident", "list", "--all"); !strings.Contains(out, id) || !strings.Contains(out, "CLOSED") {
		t.Fatalf("list --all: %s", out)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	before := e.snapshot()
	badYAML := t.TempDir()
	os.WriteFile(filepath.Join(badYAML, "broken.yaml"), []byte("id: X-1\nphases: [\n"), 0o600)
	for _, tc := range []struct {
		code int
		want string
		args []string
	}{
		{1, `no incident "nope"`, []string{"step", "nope", "1.1", "start"}},
		{1, `playbook INC-1 has no step "9.9"`, []string{"step", id, "9.9", "start"}},
		{2, `unknown step verb "finish"`, []string{"step", id, "1.1", "finish"}},
		{2, `--at: cannot read time "yesterday"`, []string{"note", id, "x", "--at", "yesterday"}},
		{2, `--at: time "2026-11-23 09:00" is in the future`, []string{"milestone", id, "detected", "--at", "2026-11-23 09:00"}},
		{1, `unknown milestone "done"`, []string{"milestone", id, "done"}},
		{2, `unknown severity "urgent"`, []string{"severity", id, "urgent", "--reason", "x"}},
		{1, "a reason is required to change severity", []string{"severity", id, "low"}},
		{1, "severity is already Critical / SEV-1", []string{"severity", id, "sev-1", "--reason", "x"}},
		{1, `fact colour: INC-1 has no input "colour"`, []string{"fact", id, "colour=red"}},
		{1, "looks like it contains a PEM private key", []string{"note", id, "-----BEGIN PRIVATE KEY----- MC4CAQAwBQYDK2VwBCIEI"}},
		{1, "looks like it contains a GitHub token", []string{"note", id, "token", "ghp_" + strings.Repeat("a", 36)}},
		{1, "broken.yaml:2:1: YAML:", []string{"--playbooks", badYAML, "playbooks", "list"}},
		{1, `no playbook "INC-9"`, []string{"incident", "open", "--playbook", "INC-9", "--title", "x"}},
		{2, `unknown export format "pdf"`, []string{"export", id, "--format", "pdf"}},
		{1, "not a key in a supported form", []string{"timeline", "seal", id, "--key", filepath.Join(badYAML, "broken.yaml")}},
	} {
		errs := e.fail(tc.code, tc.want, tc.args...)
		if n := strings.Count(errs, "firebreak: error:"); n != 1 {
			t.Errorf("%v: %d error lines, want one:\n%s", tc.args, n, errs)
		}
	}
	after := e.snapshot()
	if len(after) != len(before) {
		t.Fatalf("files changed: %d -> %d", len(before), len(after))
	}
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}
}

func TestUnwritableHome(t *testing.T) {
	e := newEnv(t)
	if os.Geteuid() == 0 {
		// Root ignores directory modes; /proc refuses new directories to
		// everyone.
		if _, err := os.Stat("/proc/self"); err != nil {
			t.Skip("running as root without /proc")
		}
		e.home = "/proc/self/firebreak-home"
	} else {
		os.MkdirAll(e.home, 0o500)
	}
	errs := e.fail(1, "open incident: workspace "+e.home, "incident", "open", "--playbook", "INC-1", "--title", "x")
	if strings.Count(errs, "\n") > 2 {
		t.Fatalf("not a short error: %s", errs)
	}
}

func TestHomeIsAFile(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(e.home, []byte("x"), 0o600)
	errs := e.fail(1, "workspace", "incident", "open", "--playbook", "INC-1", "--title", "x")
	if !strings.Contains(errs, e.home) {
		t.Fatalf("error does not name the home: %s", errs)
	}
}

func TestVerifyRepairSeal(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	e.ok("note", id, "one")
	e.ok("note", id, "two")
	path := filepath.Join(e.home, "incidents", id, "journal", "alice.jsonl")
	orig, _ := os.ReadFile(path)

	// Tampering: exit 1 naming file, seq and what differs.
	os.WriteFile(path, bytes.Replace(orig, []byte(`"one"`), []byte(`"0ne"`), 1), 0o600)
	out, _, code := e.run("timeline", "verify", id)
	if code != 1 || !strings.Contains(out, "FAIL alice.jsonl:2: seq 2: content hash") {
		t.Fatalf("tampered verify: exit %d: %s", code, out)
	}
	var rep struct {
		Intact   bool
		Problems []struct{ Kind string }
	}
	out, _, code = e.run("timeline", "verify", id, "--json")
	json.Unmarshal([]byte(out), &rep)
	if code != 1 || rep.Intact || rep.Problems[0].Kind != "content hash" {
		t.Fatalf("verify --json: %d %s", code, out)
	}

	// A torn tail: verify fails and says how to repair; appends refuse.
	os.WriteFile(path, append(append([]byte{}, orig...), `{"seq":4,"id":"ab`...), 0o600)
	out, _, code = e.run("timeline", "verify", id)
	if code != 1 || !strings.Contains(out, "torn final line at byte offset "+itoa(len(orig))) || !strings.Contains(out, "timeline repair") {
		t.Fatalf("torn verify: %d %s", code, out)
	}
	e.fail(1, "torn final line", "note", id, "three")
	if out := e.ok("timeline", "repair", id); !strings.Contains(out, "alice.jsonl.torn") {
		t.Fatalf("repair: %s", out)
	}
	e.ok("timeline", "verify", id)
	if out := e.ok("timeline", id, "--kind", "journal.repaired"); !strings.Contains(out, "set aside") {
		t.Fatalf("repair not recorded: %s", out)
	}

	// Seal with a responder key, verify with its public half.
	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	dir := t.TempDir()
	privPEM, _ := signing.MarshalPrivateKeyPEM(priv)
	pubPEM, _ := signing.MarshalPublicKeyPEM(pub)
	os.WriteFile(filepath.Join(dir, "k.pem"), privPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "p.pem"), pubPEM, 0o600)
	e.fail(1, "no signed checkpoints", "timeline", "verify", id, "--pubkey", filepath.Join(dir, "p.pem"))
	e.ok("timeline", "seal", id, "--key", filepath.Join(dir, "k.pem"))
	if out := e.ok("timeline", "verify", id, "--pubkey", filepath.Join(dir, "p.pem")); !strings.Contains(out, "1 seal(s) verified") {
		t.Fatalf("seal verify: %s", out)
	}
	_, other, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{4}, 64)))
	otherPEM, _ := signing.MarshalPublicKeyPEM(other.Public().(ed25519.PublicKey))
	os.WriteFile(filepath.Join(dir, "o.pem"), otherPEM, 0o600)
	out, _, code = e.run("timeline", "verify", id, "--pubkey", filepath.Join(dir, "o.pem"))
	if code != 1 || !strings.Contains(out, "not by the given key") {
		t.Fatalf("wrong key: %d %s", code, out)
	}
}

// TestNoSecretsInTheRecord drives every writing command, tries to slip key
// material and tokens in, and then scans every file of the workspace.
func TestNoSecretsInTheRecord(t *testing.T) {
	e := newEnv(t)
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{5}, 64)))
	privPEM, _ := signing.MarshalPrivateKeyPEM(priv)
	keyPath := filepath.Join(t.TempDir(), "responder.pem")
	os.WriteFile(keyPath, privPEM, 0o600)
	token := "ghp_" + strings.Repeat("Z", 36)
	id := e.open("--fact", "key_path="+keyPath)
	e.run("note", id, string(privPEM))
	e.run("note", id, "token "+token)
	e.run("fact", id, "key_id="+token)
	e.run("step", id, "1.1", "skip", "--reason", token)
	e.run("severity", id, "high", "--reason", string(privPEM))
	e.run("incident", "close", id, "--reason", "github_pat_"+strings.Repeat("q", 30))
	e.ok("step", id, "1.1", "done")
	e.ok("milestone", id, "contained")
	e.ok("timeline", "seal", id, "--key", keyPath)
	for _, f := range []string{"md", "json", "html"} {
		e.ok("export", id, "--format", f)
	}
	seed := priv.Seed()
	for path, content := range e.snapshot() {
		if what := redact.Find([]byte(content)); what != "" {
			t.Errorf("%s contains %s", path, what)
		}
		if strings.Contains(content, "Z"+strings.Repeat("Z", 20)) || bytes.Contains([]byte(content), seed) || strings.Contains(content, string(privPEM[30:70])) {
			t.Errorf("%s contains secret material", path)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPlaybooksValidateChecksActions(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(t.TempDir(), "x.yaml")
	os.WriteFile(p, []byte(`id: X-1
version: "1"
title: X
kind: procedure
severity: low
inputs: [{name: key_path, type: file, title: K}]
phases:
  - id: one
    title: One
    steps:
      - id: a
        title: A
        raci: {responsible: R, accountable: R}
        action: {name: key.shred, args: {path: "${key_path}"}}
      - id: b
        title: B
        raci: {responsible: R, accountable: R}
        action: {name: key.isolate, args: {where: "${key_path}"}}
`), 0o600)
	out, _, code := e.run("playbooks", "validate", p)
	if code != 1 || !strings.Contains(out, `x.yaml:14:24: step "a": unknown action "key.shred"`) || !strings.Contains(out, `step "b": action key.isolate needs argument "path"`) || !strings.Contains(out, `has no argument "where"`) {
		t.Fatalf("%d %s", code, out)
	}
	if out := e.ok("playbooks", "validate", filepath.Join("..", "..", "playbooks", "inc-1.yaml")); !strings.Contains(out, "ok: INC-1") {
		t.Fatalf("INC-1: %s", out)
	}
}
