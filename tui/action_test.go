package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// isolateBuilder builds INC-1's key.isolate the way the CLI does: the
// arguments from the facts (app.StepArgs), the key moved into the
// offline_dir the responder gives, which it insists on here so that the
// console's asking for facts is exercised.
func isolateBuilder(ctx context.Context, inc *incident.Incident, step string) (actions.Action, error) {
	s, _ := inc.Playbook.Step(step)
	st, err := inc.State()
	if err != nil {
		return nil, err
	}
	vals, err := app.StepArgs(s, st.Facts)
	if err != nil {
		return nil, err
	}
	if vals.Get("to") == "" {
		return nil, &actions.MissingFactsError{Step: step, Names: []string{"offline_dir"}}
	}
	return &actions.IsolateKey{Store: evidence.NewKeyStore(vals.Get("to")), Path: vals.Get("path"), Actor: "bob"}, nil
}

// keyIncident opens INC-1 over a freshly generated Ed25519 key file.
func keyIncident(t *testing.T, f *fixture) (*incident.Incident, string) {
	t.Helper()
	inc := f.open("INC-1", "Key leak")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, err := signing.MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "release.pem")
	if err := os.WriteFile(keyPath, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := inc.SetFact(t.Context(), "alice", "key_path", keyPath, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return inc, keyPath
}

// isolateReady is INC-1 over a generated key with offline_dir known, in a
// 120x40 console whose a builds isolateBuilder.
func isolateReady(t *testing.T, f *fixture) (*incident.Incident, string, Model) {
	t.Helper()
	inc, keyPath := keyIncident(t, f)
	if err := inc.SetFact(t.Context(), "alice", "offline_dir", t.TempDir(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	m := f.model(120, 40)
	m.runner.build = isolateBuilder
	return inc, keyPath, m
}

func kinds(t *testing.T, inc *incident.Incident) string {
	t.Helper()
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return strings.Join(out, " ")
}

func TestActionRunsInTheConsole(t *testing.T) {
	f := newFixture(t)
	inc, keyPath := keyIncident(t, f)
	m := f.model(120, 40)
	m.runner.build = isolateBuilder
	m = drive(t, m, enter)

	// a: the action needs offline_dir, so the console asks for it.
	m = drive(t, m, typed("a")...)
	v := m.View()
	if !strings.Contains(v, "offline_dir — Secure offline location for the key (needed by the action)\n> ") || !m.typing() {
		t.Fatalf("no fact prompt:\n%s", v)
	}
	// q is text in that field, and a bad value is refused with the reason.
	m = drive(t, m, typed("q")...)
	if m.err == errQuit {
		t.Fatal("q quit while typing a fact")
	}
	offline := filepath.Join(t.TempDir(), "offline")
	if err := os.Mkdir(offline, 0o700); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyBackspace})
	// A token pasted by mistake is refused, not recorded, and asked again.
	m = drive(t, m, typed("ghp_"+strings.Repeat("a1B2", 9))...)
	m = drive(t, m, enter)
	if v := m.View(); !strings.Contains(v, "not recorded:") || m.runner.prompt != promptFact || !m.typing() {
		t.Fatalf("a token as a fact:\n%s", v)
	}
	evs, _, _ := inc.Journal.Timeline()
	for _, e := range evs {
		if strings.Contains(string(e.Data)+e.Summary, "ghp_") {
			t.Fatalf("the token was recorded: %s", e.Summary)
		}
	}
	if v := m.View(); !strings.Contains(v, "enter record • esc cancel, record nothing") {
		t.Fatalf("the footer does not say what the field's keys do:\n%s", v)
	}
	m = drive(t, m, typed(offline)...)
	m = drive(t, m, enter)
	if strings.Contains(m.View(), "not recorded:") {
		t.Fatalf("the refusal outlived the value that was recorded:\n%s", m.View())
	}

	// The plan is shown; the action is destructive, so it wants the word.
	v = m.View()
	for _, want := range []string{"Plan:", "DESTRUCTIVE", "Type isolate", filepath.Base(keyPath)} {
		if !strings.Contains(v, want) {
			t.Fatalf("plan view lacks %q:\n%s", want, v)
		}
	}
	if m.runner.act.state != actConfirm {
		t.Fatalf("state %v, want confirm", m.runner.act.state)
	}
	// The wrong word does nothing; the key is still there.
	m = drive(t, m, typed("yes")...)
	m = drive(t, m, enter)
	if m.runner.act.state != actConfirm || !strings.Contains(m.View(), `"yes" is not isolate: nothing was changed`) {
		t.Fatalf("a wrong word went ahead:\n%s", m.View())
	}
	if _, err := os.Stat(keyPath); err != nil {
		t.Fatalf("key moved before confirmation: %v", err)
	}
	m = drive(t, m, typed("isolate")...)
	m = drive(t, m, enter)

	v = m.View()
	for _, want := range []string{"DONE", "Verification:", "ok", "Step 1.1 is now DONE", "State: DONE"} {
		if want == "State: DONE" {
			m = drive(t, m, esc) // dismiss: the step's detail is back
			v = m.View()
		}
		if !strings.Contains(v, want) {
			t.Fatalf("after the run, no %q:\n%s", want, v)
		}
	}
	if _, err := os.Lstat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the key is still at its old path: %v", err)
	}
	fi, err := os.Stat(filepath.Join(offline, "release.pem"))
	if err != nil || fi.Mode().Perm() != 0 {
		t.Fatalf("isolated key: %v %v", fi, err)
	}
	got := kinds(t, inc)
	for _, want := range []string{"fact.set", "action.done", "step.done"} {
		if !strings.Contains(got, want) {
			t.Fatalf("journal lacks %s: %s", want, got)
		}
	}
	if st := stepState(t, f, inc.Header.ID, "isolate-key"); st.State != playbooks.Done || st.Actor != "bob" {
		t.Fatalf("step: %+v", st)
	}
	if m.screen != screenRunner {
		t.Fatalf("esc after the result left the runner: %v", m.screen)
	}
}

func TestActionDeclinedChangesNothing(t *testing.T) {
	f := newFixture(t)
	inc, keyPath, m := isolateReady(t, f)
	m = drive(t, m, enter)
	m = drive(t, m, typed("a")...)
	if m.runner.act.state != actConfirm {
		t.Fatalf("state %v:\n%s", m.runner.act.state, m.View())
	}
	m = drive(t, m, esc)
	if v := m.View(); !strings.Contains(v, "NOT RUN") || !strings.Contains(v, "nothing was changed") {
		t.Fatalf("after esc:\n%s", v)
	}
	if _, err := os.Stat(keyPath); err != nil {
		t.Fatalf("declined, yet the key moved: %v", err)
	}
	if st := stepState(t, f, inc.Header.ID, "isolate-key"); st.State != playbooks.Pending {
		t.Fatalf("declined, yet step is %s", st.State)
	}
	if strings.Contains(kinds(t, inc), "action.") {
		t.Fatalf("declined, yet recorded: %s", kinds(t, inc))
	}
	// A plan that cannot be made changes nothing and says so.
	m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) {
		return &actions.ScanModules{Paths: []string{"/nope/modules"}}, nil
	}
	m = drive(t, m, typed("a")...)
	if v := m.View(); !strings.Contains(v, "NOT RUN: wasm.scan: stat /nope/modules") || strings.Contains(v, "FAILED") {
		t.Fatalf("a plan that cannot be made:\n%s", v)
	}
	// An encrypted key is handed to the terminal.
	m = drive(t, m, esc)
	m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) {
		return nil, signing.ErrEncrypted
	}
	m = drive(t, m, typed("a")...)
	if v := m.View(); !strings.Contains(v, "press A to run this step on the terminal") {
		t.Fatalf("encrypted key:\n%s", v)
	}
}

// slowAction reports progress, then works until it is cancelled.
type slowAction struct{ started chan struct{} }

func (s *slowAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: "test.slow", Summary: "hash a big file", Changes: []string{"nothing"}}, nil
}

func (s *slowAction) Execute(ctx context.Context, progress func(actions.Progress)) (*actions.Result, error) {
	progress(actions.Progress{Item: "big\x1b[2Jfile.bin", Done: 512, Total: 1024})
	close(s.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *slowAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	return nil, errors.New("not reached")
}

// startAsync runs a command's commands in goroutines, as the runtime does,
// and hands over what they return.
func startAsync(cmd tea.Cmd) <-chan tea.Msg {
	ch := make(chan tea.Msg, 8)
	var launch func(tea.Cmd)
	launch = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					launch(c)
				}
				return
			}
			if msg != nil {
				ch <- msg
			}
		}()
	}
	launch(cmd)
	return ch
}

func TestActionProgressAndCancel(t *testing.T) {
	for _, how := range []string{"esc", "ctrl+c", "q q", "hangup"} {
		t.Run(how, func(t *testing.T) {
			f := newFixture(t)
			inc := f.open("INC-1", "Key leak")
			slow := &slowAction{started: make(chan struct{})}
			m := f.model(120, 40)
			m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) { return slow, nil }
			m = drive(t, m, enter)
			m = drive(t, m, typed("a")...)
			if m.runner.act.state != actConfirm || !strings.Contains(m.View(), "enter or y: go ahead") {
				t.Fatalf("not asking:\n%s", m.View())
			}
			next, cmd := m.Update(typed("y")[0])
			m = next.(Model)
			msgs := startAsync(cmd)
			<-slow.started
			// The poll picks up the progress (the test delivers it).
			m = drive(t, m, actionProgressMsg{run: m.runner.act.run, p: *m.runner.act.latest.Load()})
			v := m.View()
			for _, want := range []string{"running", "50%", "512 B of 1.0 KiB", "esc cancels"} {
				if !strings.Contains(v, want) {
					t.Fatalf("running view lacks %q:\n%s", want, v)
				}
			}
			checkFrame(t, v, 120, 40)
			if !m.runner.act.busy() {
				t.Fatal("not busy while running")
			}
			// While it runs, step keys do nothing (a step failed by hand
			// beside the action's own done), and help lists only what works.
			for _, k := range "sdxfnmvecAr" {
				next, c := m.Update(typed(string(k))[0])
				m = next.(Model)
				if c != nil || m.runner.prompt != promptNone || m.screen != screenRunner {
					t.Fatalf("%c acted while the action ran", k)
				}
			}
			if !strings.Contains(m.View(), "an action is running (step 1.1): esc cancels it") {
				t.Fatalf("no word on the refused key:\n%s", m.View())
			}
			help := helpText(m.fullHelp())
			for _, bad := range []string{"fail", "done", "skip", "note", "timeline", "evidence", "esc back"} {
				if strings.Contains(help, bad) {
					t.Fatalf("help lists %q while the action runs: %s", bad, help)
				}
			}
			if strings.Count(help, "↑/k") != 1 {
				t.Fatalf("help lists ↑ %d times: %s", strings.Count(help, "↑/k"), help)
			}
			var cancelCmd tea.Cmd
			switch how {
			case "esc":
				next, cancelCmd = m.Update(esc)
			case "ctrl+c":
				next, cancelCmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
			case "hangup": // the terminal was closed
				next, cancelCmd = m.Update(signalMsg{syscall.SIGHUP})
			case "q q":
				next, _ = m.Update(typed("q")[0])
				if v := next.(Model).View(); !strings.Contains(v, "An action is running: q again cancels it") {
					t.Fatalf("q did not ask:\n%s", v)
				}
				next, cancelCmd = next.(Model).Update(typed("q")[0])
			}
			m = next.(Model)
			if cancelCmd != nil {
				t.Fatalf("%s returned a command while the run's wait was outstanding", how)
			}
			if !strings.Contains(m.View(), "CANCELLING") {
				t.Fatalf("no cancelling shown:\n%s", m.View())
			}
			var fin tea.Msg
			select {
			case fin = <-msgs:
			case <-time.After(10 * time.Second):
				t.Fatal("the cancelled run never reported")
			}
			if _, ok := fin.(actionFinishedMsg); !ok {
				t.Fatalf("got %T", fin)
			}
			next, cmd = m.Update(fin)
			m = next.(Model)
			quits := false
			if cmd != nil && how != "esc" {
				select {
				case msg := <-startAsync(cmd):
					_, quits = msg.(tea.QuitMsg)
				case <-time.After(5 * time.Second):
				}
			}
			if how != "esc" && !quits {
				t.Fatalf("%s: the console did not quit after the action stopped", how)
			}
			if how == "esc" {
				m = run(t, m, cmd)
				if v := m.View(); !strings.Contains(v, "CANCELLED") || !strings.Contains(v, "cancelled by bob") || strings.Contains(v, "context canceled") {
					t.Fatalf("after cancel:\n%s", v)
				}
			}
			// A cancelled run that had started is on the record, with who
			// stopped it; the step is not marked failed (nobody's action
			// failed: a person stopped it).
			got := kinds(t, inc)
			if !strings.Contains(got, "action.failed") || strings.Contains(got, "step.failed") {
				t.Fatalf("journal: %s", got)
			}
			evs, _, _ := inc.Journal.Timeline()
			if last := evs[len(evs)-1]; !strings.Contains(last.Summary, "cancelled by bob part way") && !strings.Contains(evs[len(evs)-2].Summary, "cancelled by bob part way") {
				t.Fatalf("the record does not say who cancelled: %q", last.Summary)
			}
		})
	}
}

func TestStepShowsThePlanItWouldExecute(t *testing.T) {
	f := newFixture(t)
	inc, keyPath, m := isolateReady(t, f)
	// The preview's pause, without the wait.
	m.runner.tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return fn(time.Time{}) }
	}
	m = drive(t, m, enter)
	v := m.View()
	if p := m.runner.preview; !strings.Contains(v, "Would: isolate key") || p == nil || p.plan == nil || !strings.Contains(p.plan.Summary, keyPath) {
		t.Fatalf("no dry-run plan on the step:\n%s", v)
	}
	if _, err := os.Stat(keyPath); err != nil {
		t.Fatalf("the preview changed something: %v", err)
	}
	// A step whose action cannot be planned says why.
	m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) {
		return nil, errors.New("module_dir /nope: no such directory")
	}
	m = drive(t, m, down)
	if v := m.View(); !strings.Contains(v, "Cannot run yet: module_dir /nope") {
		t.Fatalf("no reason on the next step:\n%s", v)
	}
	if strings.Contains(kinds(t, inc), "action.") {
		t.Fatalf("previews were recorded: %s", kinds(t, inc))
	}
}

// fixedPlan is an action whose plan does not depend on the machine.
type fixedPlan struct{ slowAction }

func (*fixedPlan) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: "gh.secret-delete", Summary: "delete secret CLAWSEC_SIGNING_PRIVATE_KEY from org/clawsec",
		Changes: []string{"DELETE /repos/org/clawsec/actions/secrets/CLAWSEC_SIGNING_PRIVATE_KEY"}, Destructive: true, Confirm: "CLAWSEC_SIGNING_PRIVATE_KEY"}, nil
}

func TestGoldenMoreViews(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		name := func(s string) string { return fmt.Sprintf("%s-%dx%d", s, size.w, size.h) }
		f := newFixture(t)
		f.open("INC-1", "Release key leaked in CI logs")
		f.now = t0.Add(5 * time.Minute)
		m := f.model(size.w, size.h)
		m.opts.Library = lib
		m.library = newLibrary(m.st, lib)
		m.library.setSize(size.w, m.bodyHeight())

		lv := drive(t, m, typed("p")...)
		checkFrame(t, lv.View(), size.w, size.h)
		golden(t, name("library"), lv.View())

		cv := drive(t, m, enter, typed("c")[0])
		checkFrame(t, cv.View(), size.w, size.h)
		golden(t, name("comms"), cv.View())

		m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) { return &fixedPlan{}, nil }
		av := drive(t, m, enter, typed("a")[0])
		checkFrame(t, av.View(), size.w, size.h)
		golden(t, name("action-confirm"), av.View())
		av = drive(t, av, esc)
		checkFrame(t, av.View(), size.w, size.h)
		golden(t, name("action-not-run"), av.View())
	}
}

// helpText is the keys and descriptions of a help listing, one string.
func helpText(groups [][]key.Binding) string {
	var b strings.Builder
	for _, g := range groups {
		for _, k := range g {
			b.WriteString(k.Help().Key + " " + k.Help().Desc + " · ")
		}
	}
	return b.String()
}

// longPlan is a destructive plan far longer than an 80×24 pane (a
// quarantine of many files with long paths).
type longPlan struct{ slowAction }

func (*longPlan) Plan(context.Context) (*actions.Plan, error) {
	p := &actions.Plan{Action: "evidence.quarantine", Summary: "quarantine 40 files", Destructive: true, Confirm: "quarantine"}
	for i := range 40 {
		p.Changes = append(p.Changes, fmt.Sprintf("move /srv/releases/2026/11/a-rather-long-directory-name/module-%02d.wasm into the evidence", i))
	}
	return p, nil
}

// TestConfirmationStaysOnScreen: at 80×24 a plan longer than the pane
// scrolls (pgdn, pgup) under a header while the question, the answer field
// and a wrong answer's error stay visible; the error does not follow into
// the next confirmation.
func TestConfirmationStaysOnScreen(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) { return &longPlan{}, nil }
	m = drive(t, m, enter)
	m = drive(t, m, typed("a")...)
	v := m.View()
	checkFrame(t, v, 80, 24)
	for _, want := range []string{"Type quarantine and press", "> ", "↓", "more (pgdn)", "module-00"} {
		if !strings.Contains(v, want) {
			t.Fatalf("confirmation view lacks %q:\n%s", want, v)
		}
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyPgDown})
	v = m.View()
	if strings.Contains(v, "module-00") || !strings.Contains(v, "more (pgup)") || !strings.Contains(v, "Type quarantine and press") {
		t.Fatalf("pgdn did not scroll the plan under the pinned question:\n%s", v)
	}
	for range 20 {
		m = drive(t, m, tea.KeyMsg{Type: tea.KeyPgDown})
	}
	if v = m.View(); !strings.Contains(v, "module-39") || !strings.Contains(v, "Type quarantine and press") {
		t.Fatalf("the end of the plan is not reachable:\n%s", v)
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyPgUp})
	m = drive(t, m, typed("resign")...)
	m = drive(t, m, enter)
	v = m.View()
	checkFrame(t, v, 80, 24)
	if m.runner.act.state != actConfirm || !strings.Contains(v, `"resign" is not quarantine: nothing`) || !strings.Contains(v, "Type quarantine and press") {
		t.Fatalf("a wrong word: state %v\n%s", m.runner.act.state, v)
	}
	// Cancel (NOT RUN), and ask again: the old error is gone.
	m = drive(t, m, esc)
	if m.runner.act.state != actFinished {
		t.Fatalf("after esc: state %v", m.runner.act.state)
	}
	m = drive(t, m, typed("a")...)
	if v := m.View(); m.runner.act.state != actConfirm || strings.Contains(v, "is not quarantine") {
		t.Fatalf("the last confirmation's error leaked into this one (state %v):\n%s", m.runner.act.state, v)
	}
}

// TestProgressSaysWhenItVerifies: sizes are human, and a copy at 100%
// says it is verifying rather than sitting silent on a full bar.
func TestProgressSaysWhenItVerifies(t *testing.T) {
	a := newAction(styles.New(true), true)
	a.state, a.step = actRunning, playbooks.Step{Number: "1.1", Title: "Quarantine", Action: &playbooks.Action{Name: "evidence.quarantine"}}
	a.prog = actions.Progress{Item: "huge.wasm", Done: 3_000_000_000, Total: 3_000_000_000}
	_, _, foot := a.parts(80, time.Now())
	text := strings.Join(foot, "\n")
	if !strings.Contains(text, "copied 2.8 GiB; verifying") || strings.Contains(text, "3000000000") {
		t.Fatalf("footer at 100%%:\n%s", text)
	}
}

// TestLongPreviewScrollsWithTheGuidance: at 80×24 a step whose preview
// plan is longer than the pane shows a "more" marker, and pgdn reaches the
// guidance and the checklist below it.
func TestLongPreviewScrollsWithTheGuidance(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m.runner.build = func(context.Context, *incident.Incident, string) (actions.Action, error) { return &longPlan{}, nil }
	m = drive(t, m, enter)
	m = drive(t, m, previewDueMsg{seq: m.runner.previewSeq})
	v := m.View()
	checkFrame(t, v, 80, 24)
	if !strings.Contains(v, "Would: quarantine 40 files") || !strings.Contains(v, "more (pgdn)") {
		t.Fatalf("long preview:\n%s", v)
	}
	for range 30 {
		m = drive(t, m, tea.KeyMsg{Type: tea.KeyPgDown})
	}
	if v := m.View(); !strings.Contains(v, "[ ] Permissions set to 000") || strings.Contains(v, "more (pgdn)") {
		t.Fatalf("the checklist at the end is not reachable:\n%s", v)
	}
}

// TestGuidanceCodeScrollsSideways: at 80×24 a command in the guidance is
// cut at the pane's edge, and → brings its end into view.
func TestGuidanceCodeScrollsSideways(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m = drive(t, m, enter)
	for m.runner.steps[m.runner.cursor].ID != "resign-modules" {
		m = drive(t, m, down)
	}
	for i := 0; i < 15 && !strings.Contains(m.View(), "wsc sign -k"); i++ {
		m = drive(t, m, tea.KeyMsg{Type: tea.KeyPgDown})
	}
	before := m.View()
	if !strings.Contains(before, "wsc sign -k") {
		t.Fatalf("no wsc sign line in the re-sign step's guidance:\n%s", before)
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyRight}, tea.KeyMsg{Type: tea.KeyRight})
	after := m.View()
	checkFrame(t, after, 80, 24)
	if strings.Contains(after, "wsc sign -k") || !strings.Contains(after, "    …") {
		t.Fatalf("→ did not scroll the code:\n%s", after)
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyLeft}, tea.KeyMsg{Type: tea.KeyLeft})
	if m.View() != before {
		t.Fatal("← did not come back")
	}
}
