package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/internal/ghsim/ghcontract"
)

// drillEnv holds the sandbox simulator's traffic to the API description
// when ../shared has it.
func drillEnv(t *testing.T) (*env, *ghcontract.Checker) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the drill sandbox needs it")
	}
	e := newEnv(t)
	var chk *ghcontract.Checker
	spec := filepath.Join("..", "..", "..", "shared", "github", "openapi-subset.json")
	if _, err := os.Stat(spec); err == nil {
		if chk, err = ghcontract.Load(spec); err != nil {
			t.Fatal(err)
		}
		drillWrap = func(h http.Handler) http.Handler { return chk.Wrap(h) }
	} else {
		t.Logf("%s absent: the simulator's traffic is not checked against the API description", spec)
	}
	t.Cleanup(func() { drillWrap = nil })
	return e, chk
}

func report(t *testing.T, out string) drill.Report {
	t.Helper()
	var r drill.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("drill --json: %v\n%s", err, out)
	}
	return r
}

func stepOf(r drill.Report, id string) drill.StepReport {
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	return drill.StepReport{}
}

// TestDrillsPassEndToEnd runs both drills with --yes, as CI would, and
// then the history shows the runbook's criterion met.
func TestDrillsPassEndToEnd(t *testing.T) {
	e, chk := drillEnv(t)
	_, openssl := exec.LookPath("openssl")
	for _, kind := range []string{"rotation", "rollback"} {
		keep := filepath.Join(t.TempDir(), "sandbox")
		out, errs, code := e.run("drill", kind, "--yes", "--json", "--keep", keep)
		if code != 0 {
			t.Fatalf("drill %s: exit %d\n%s\n%s", kind, code, errs, out)
		}
		r := report(t, out)
		if !r.Passed || r.Schema != drill.ReportSchema || r.Kind != drill.Kind(kind) || len(r.Sandbox) == 0 || r.StoppedAt != "" {
			t.Fatalf("drill %s report: %+v", kind, r)
		}
		for _, s := range r.Steps {
			if s.State != "done" || len(s.Checks) == 0 {
				t.Errorf("%s step %s: %s with %d checks", kind, s.ID, s.State, len(s.Checks))
			}
		}
		ext := "external-client"
		if kind == "rollback" {
			ext = "verify-independently"
		}
		for _, c := range stepOf(r, ext).Checks {
			if c.Skipped != (openssl != nil) {
				t.Errorf("openssl check %+v (openssl installed: %v)", c, openssl == nil)
			}
		}
		// The report is in the incident's exports too, and it is the same.
		files, _ := filepath.Glob(filepath.Join(e.home, "incidents", r.Incident, "exports", "drill-report-*.json"))
		if len(files) != 1 {
			t.Fatalf("exports: %v", files)
		}
		b, _ := os.ReadFile(files[0])
		if saved := report(t, string(b)); saved.Passed != r.Passed || len(saved.Steps) != len(r.Steps) {
			t.Error("the saved report differs from stdout")
		}
		if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
			t.Errorf("report mode %v", fi.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(keep, "repo", ".git")); err != nil {
			t.Errorf("--keep did not keep the sandbox: %v", err)
		}
		// The journal holds no key material, whatever the drill handled.
		for _, j := range mustGlob(t, filepath.Join(e.home, "incidents", r.Incident, "journal", "*.jsonl")) {
			b, _ := os.ReadFile(j)
			if strings.Contains(string(b), "PRIVATE KEY") {
				t.Errorf("%s holds key material", j)
			}
		}
		if kind == "rotation" && r.Acceptance.Met {
			t.Error("the criterion is met after one drill")
		}
		if kind == "rollback" && !r.Acceptance.Met {
			t.Errorf("after both drills the criterion is not met: %+v", r.Acceptance)
		}
	}
	out := e.ok("drill", "history", "--json")
	var h struct {
		Drills     []drill.HistoryRow
		Acceptance drill.Acceptance
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Drills) != 2 || h.Drills[0].Result != "passed" || h.Drills[1].Result != "passed" || !h.Acceptance.Met {
		t.Fatalf("history: %s", out)
	}
	if text := e.ok("drill", "history"); !strings.Contains(text, "rotation  PASSED") || !strings.Contains(text, ": MET") {
		t.Fatalf("history:\n%s", text)
	}
	// A reported drill is closed: it no longer sits open above real
	// incidents (incident list shows open ones only).
	if list := e.ok("incident", "list"); strings.Contains(list, "drill") {
		t.Fatalf("reported drills still open:\n%s", list)
	}
	// Drills never count in the metrics.
	var m struct {
		Incidents      int `json:"incidents"`
		DrillsExcluded int `json:"drills_excluded"`
	}
	if err := json.Unmarshal([]byte(e.ok("metrics", "--json")), &m); err != nil || m.Incidents != 0 || m.DrillsExcluded != 2 {
		t.Errorf("metrics: %+v %v", m, err)
	}
	contractOK(t, chk)
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m
}

// TestSabotagedDrillsFail: a sandbox with a fault makes the right check
// fail with a clear message and a non-zero exit, and stops before the steps
// that depend on it.
func TestSabotagedDrillsFail(t *testing.T) {
	e, chk := drillEnv(t)
	for _, tc := range []struct {
		kind, sabotage, failedStep, wantCheck, notRun string
	}{
		{"rotation", "stale-pin", "check-consistency", "skills/drill-suite/advisories/feed-signing-public.pem", "remove-old-secret"},
		{"rollback", "stuck-workflow", "resume-workflows", "403", "record-window"},
	} {
		out, errs, code := e.run("drill", tc.kind, "--yes", "--json", "--sabotage", tc.sabotage)
		if code != 1 || !strings.Contains(errs, "firebreak: error: the "+tc.kind+" drill did not pass: stopped at step "+tc.failedStep) {
			t.Fatalf("%s: exit %d, stderr %s", tc.sabotage, code, errs)
		}
		r := report(t, out)
		if r.Passed || r.StoppedAt != tc.failedStep || r.Sabotage != tc.sabotage {
			t.Fatalf("%s: %+v", tc.sabotage, r)
		}
		s := stepOf(r, tc.failedStep)
		text := s.Error
		for _, c := range s.Checks {
			if !c.OK {
				text += " " + c.What + " " + c.Detail
			}
		}
		if s.State != "failed" || !strings.Contains(text, tc.wantCheck) {
			t.Errorf("%s: step %s is %s: %s", tc.sabotage, tc.failedStep, s.State, text)
		}
		if st := stepOf(r, tc.notRun).State; st != "pending" {
			t.Errorf("%s: %s ran (%s) after the failure", tc.sabotage, tc.notRun, st)
		}
	}
	// Text output says the same to a person.
	out, _, code := e.run("drill", "rotation", "--yes", "--sabotage", "stale-pin")
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "FAIL  ") || !strings.Contains(out, "Stopped at step 3.1 check-consistency: it failed.") {
		t.Fatalf("text report (exit %d):\n%s", code, out)
	}
	if h := e.ok("drill", "history"); !strings.Contains(h, "FAILED (sabotage stale-pin)") || !strings.Contains(h, "NOT MET yet") {
		t.Fatalf("history after failures:\n%s", h)
	}
	contractOK(t, chk)
}

func TestDrillBadInput(t *testing.T) {
	e, _ := drillEnv(t)
	e.fail(2, "", "drill")
	e.fail(1, `no drill "revocation"`, "drill", "revocation", "--yes")
	e.fail(1, "this is not a terminal", "drill", "rotation")
	e.fail(1, "is for the rotation drill", "drill", "rollback", "--yes", "--sabotage", "stale-pin")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep-me"), []byte("x"), 0o600)
	e.fail(1, "is not empty", "drill", "rotation", "--yes", "--keep", dir)
}

// TestDrillInTheAccessibleConsole works a rollback drill as plain lines:
// each step run by number, the destructive ones confirmed with their word.
func TestDrillInTheAccessibleConsole(t *testing.T) {
	e, chk := drillEnv(t)
	script := strings.Join([]string{
		"run 1.1", "pause",
		"run 2.1",
		"run 2.2", "restore",
		"run 2.3", "replace",
		"run 2.4", "replace",
		"run 2.5", "run 2.6", "run 2.7", "run 2.8",
		"run 3.1", "resume",
		"run 3.2",
		"quit",
	}, "\n") + "\n"
	a := e.app(nil, nil)
	var out, errb strings.Builder
	a.stdout, a.stderr, a.stdin = &out, &errb, strings.NewReader(script)
	code := a.run([]string{"--accessible", "drill", "rollback"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	got := out.String()
	for _, want := range []string{"accessible mode", "Type pause to go ahead", "first bad commit", "Type restore to go ahead",
		"step 3.2 record-window: done", "Drill rollback", "PASSED", "Acceptance criterion"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("%s\n%s", got, errb.String())
	}
	contractOK(t, chk)
}
