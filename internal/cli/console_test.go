package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/tui"
)

func consoleWait(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(ansi.Strip(string(b)), want) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// TestConsoleRunsAGitHubStepAgainstTheSimulator drives the real console
// (teatest) with the CLI's own step builder: the SIGNING playbook's first
// step pauses the signing workflow in the contract-checked simulator, after
// the plan was shown and the typed confirmation given; then the feed is
// re-signed with a generated key, a message is written, and it quits.
func TestConsoleRunsAGitHubStepAgainstTheSimulator(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e, s, chk := ghEnv(t)
	s.AddRepo("org/clawsec")
	wf := s.AddWorkflow("org/clawsec", "deploy-pages.yml", []byte("name: Deploy\njobs:\n  d:\n    env:\n      K: ${{ secrets.CLAWSEC_SIGNING_PRIVATE_KEY }}\n"))
	ci := s.AddWorkflow("org/clawsec", "ci.yml", []byte("name: CI\n"))
	dir := t.TempDir()
	e.ok("key", "generate", "--out", filepath.Join(dir, "new"))
	feed := filepath.Join(dir, "feed.json")
	os.WriteFile(feed, []byte(`{"advisories":[]}`), 0o644)
	id := strings.TrimSpace(e.ok("incident", "open", "--playbook", "SIGNING", "--title", "key leaked in logs", "--fact", "repo=org/clawsec",
		"--fact", "feed="+feed, "--fact", "new_key="+filepath.Join(dir, "new.pem")))

	a := e.app(io.Discard, io.Discard)
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	lib, err := a.library()
	if err != nil {
		t.Fatal(err)
	}
	m := tui.New(context.Background(), tui.Options{Workspace: a.ws, Library: lib, Actor: "bob", NoColor: true, Now: e.now, Session: a.consoleSession()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 36))
	consoleWait(t, tm, id)
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	consoleWait(t, tm, "Pause signing/publish workflows (pause-signing-workflows)")
	tm.Type("a")
	consoleWait(t, tm, "Type pause and press enter")
	if got := s.WorkflowState("org/clawsec", wf); got != "active" {
		t.Fatalf("paused before confirmation: %s", got)
	}
	tm.Type("pause")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	consoleWait(t, tm, "Step 1.1 is now DONE")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("jjjjjjjj")
	consoleWait(t, tm, "Re-sign artifacts (re-sign-artifacts)")
	tm.Type("a")
	consoleWait(t, tm, "enter or y: go ahead")
	tm.Type("y")
	consoleWait(t, tm, "Step 4.1 is now DONE")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("c")
	// The screen's title comes before its templates are loaded: wait for
	// a loaded template, or w may land on an empty list.
	consoleWait(t, tm, "incident-advisory")
	tm.Type("w")
	consoleWait(t, tm, "wrote comms/")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	if got := s.WorkflowState("org/clawsec", wf); got != "disabled_manually" {
		t.Errorf("signing workflow is %s, want disabled_manually", got)
	}
	if got := s.WorkflowState("org/clawsec", ci); got != "active" {
		t.Errorf("ci workflow is %s: only signing workflows are paused", got)
	}
	show := e.ok("incident", "show", id)
	if !strings.Contains(show, "[x] 1.1") {
		t.Errorf("step not done in the record:\n%s", show)
	}
	e.ok("verify", feed, "--sig", feed+".sig", "--pubkey", filepath.Join(dir, "new.pub.pem"))
	if written, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "comms", "*.txt")); len(written) != 1 {
		t.Errorf("comms written: %v", written)
	}
	// The CLI sees what the console did, and resume re-enables exactly it.
	e.ok("run", id, "resume-workflows", "--yes")
	if got := s.WorkflowState("org/clawsec", wf); got != "active" {
		t.Errorf("after resume: %s", got)
	}
	contractOK(t, chk)
}

// TestConsoleStepActionNeverPrompts: the console's builder reports what it
// lacks instead of asking on the terminal the console owns.
func TestConsoleStepActionNeverPrompts(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("correct horse\n"), 0o600)
	e.ok("key", "generate", "--out", filepath.Join(dir, "enc"), "--encrypt", "--passphrase-file", pass)
	b, err := os.ReadFile(filepath.Join(dir, "enc.pem"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "next.sec"), b, 0o600)
	id := strings.TrimSpace(e.ok("incident", "open", "--playbook", "INC-1", "--title", "t", "--fact", "key_path="+filepath.Join(dir, "enc.pem"),
		"--fact", "key_id=00112233445566778899aabb", "--fact", "new_key_name="+filepath.Join(dir, "next")))
	a := e.app(io.Discard, io.Discard)
	a.noTTY = false // as on a terminal: the builder must still not prompt
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	inc, err := a.load(id)
	if err != nil {
		t.Fatal(err)
	}
	// identify-scope needs the module directory, which is not known.
	_, err = a.stepAction(t.Context(), inc, "identify-scope")
	var mf *actions.MissingFactsError
	if !errors.As(err, &mf) || strings.Join(mf.Names, ",") != "module_dir" {
		t.Fatalf("identify-scope: %v", err)
	}
	// Re-signing with an encrypted key needs its passphrase: the builder
	// says so rather than opening /dev/tty.
	e.ok("run", id, "identify-scope", "--set", "module_dir="+dir, "--yes")
	_, err = a.stepAction(t.Context(), inc, "resign-modules")
	if !errors.Is(err, signing.ErrEncrypted) {
		t.Fatalf("resign-modules with an encrypted key: %v", err)
	}
	if _, err := a.stepAction(t.Context(), inc, "no-such-step"); err == nil || !strings.Contains(err.Error(), "no-such-step") {
		t.Fatalf("unknown step: %v", err)
	}
}

// stepAction builds a step's action the way the console does.
func (a *invocation) stepAction(ctx context.Context, inc *incident.Incident, step string) (actions.Action, error) {
	return a.consoleSession().StepAction(ctx, inc, step)
}
