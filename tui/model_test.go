package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// updating reports -update: rewrite the golden View() files. The flag is
// defined by charmbracelet/x/exp/golden, which teatest brings in.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	// Golden files hold plain text: no colour, no bold, whatever terminal
	// runs the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// fixture is a workspace with a clock the test moves by hand.
type fixture struct {
	t   *testing.T
	ws  *incident.Workspace
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, now: t0}
	f.ws = &incident.Workspace{Home: filepath.Join(t.TempDir(), "home"), Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) open(id, title string) *incident.Incident {
	f.t.Helper()
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	p, ok := lib.Get(id)
	if !ok {
		f.t.Fatalf("no playbook %s", id)
	}
	facts := map[string]string{}
	for _, in := range p.Inputs {
		if in.Required {
			facts[in.Name] = "example-" + in.Name
			switch {
			case in.Name == "repo":
				facts[in.Name] = "example/signing"
			case in.Type == playbooks.TypeFile || in.Type == playbooks.TypeDir:
				facts[in.Name] = "/example/" + in.Name // recorded absolute: the golden views must not hold the test's directory
			}
		}
	}
	inc, err := f.ws.Open(context.Background(), incident.OpenOptions{Playbook: p, Title: title, Actor: "alice", Facts: facts})
	if err != nil {
		f.t.Fatal(err)
	}
	return inc
}

// model returns a console over the fixture that never sleeps: the clock
// and watch ticks are dropped, so every command a key returns can run at
// once.
func (f *fixture) model(w, h int) Model {
	m := New(context.Background(), Options{Workspace: f.ws, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.runner.act.tick = m.tick
	m.runner.tick = m.tick
	m = drive(f.t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return run(f.t, m, m.Init())
}

// drive sends messages in order, running every command they return to
// completion, as the Bubble Tea runtime would.
func drive(t *testing.T, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	for _, msg := range msgs {
		next, cmd := m.Update(msg)
		m = run(t, next.(Model), cmd)
	}
	return m
}

func run(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			m = run(t, m, c)
		}
	case tea.QuitMsg:
		m.err = errQuit
	default:
		m = drive(t, m, msg)
	}
	return m
}

type quitError struct{}

func (quitError) Error() string { return "quit" }

var errQuit = quitError{}

func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

var (
	enter = tea.KeyMsg{Type: tea.KeyEnter}
	esc   = tea.KeyMsg{Type: tea.KeyEsc}
	down  = tea.KeyMsg{Type: tea.KeyDown}
)

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("View() differs from %s (go test ./tui -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkFrame holds every frame to the terminal: exactly h lines, none
// wider than w, and no escape sequence that came from incident data.
func checkFrame(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, terminal is %d: %q", i+1, n, w, l)
		}
	}
	if strings.ContainsRune(view, '\x1b') {
		t.Errorf("frame contains an escape sequence: %q", view)
	}
}

func TestGoldenViews(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		f := newFixture(t)
		f.open("INC-1", "Release key leaked in CI logs")
		f.now = t0.Add(10 * time.Minute)
		f.open("INC-4", "libwasm CVE-2026-1234")
		f.now = t0.Add(45 * time.Minute)
		m := f.model(size.w, size.h)
		name := func(s string) string { return s + "-" + strconv.Itoa(size.w) + "x" + strconv.Itoa(size.h) }

		checkFrame(t, m.View(), size.w, size.h)
		golden(t, name("home"), m.View())

		m = drive(t, m, enter) // the most urgent first: INC-1, SEV-1, overdue
		checkFrame(t, m.View(), size.w, size.h)
		golden(t, name("runner"), m.View())

		m = drive(t, m, typed("s")...)
		m = drive(t, m, typed("t")...)
		checkFrame(t, m.View(), size.w, size.h)
		golden(t, name("timeline"), m.View())

		m = drive(t, m, typed("?")...)
		checkFrame(t, m.View(), size.w, size.h)
		golden(t, name("help"), m.View())
	}
}

func stepState(t *testing.T, f *fixture, id, step string) incident.StepStatus {
	t.Helper()
	inc, err := f.ws.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	return st.Steps[step]
}

func TestStartAndDoneGoThroughTheJournal(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := f.model(100, 30)
	m = drive(t, m, enter)
	if m.screen != screenRunner {
		t.Fatalf("enter on an incident: screen %v, want runner", m.screen)
	}
	first := inc.Playbook.Steps()[0].ID
	f.now = t0.Add(2 * time.Minute)
	m = drive(t, m, typed("s")...)
	if ss := stepState(t, f, inc.Header.ID, first); ss.State != playbooks.Started || ss.Actor != "bob" {
		t.Fatalf("after s: %+v, want started by bob", ss)
	}
	m = drive(t, m, typed("d")...)
	if ss := stepState(t, f, inc.Header.ID, first); ss.State != playbooks.Done {
		t.Fatalf("after d: %+v, want done", ss)
	}
	if m.err != nil {
		t.Fatalf("unexpected error %v", m.err)
	}
	// The chain the console wrote verifies like any other.
	loaded, _ := f.ws.Load(inc.Header.ID)
	if rep, err := loaded.Journal.Verify(context.Background(), journal.VerifyOptions{}); err != nil || !rep.Intact() {
		t.Fatalf("journal does not verify: %v %+v", err, rep)
	}
	// The view reflects it without a restart.
	if !strings.Contains(m.View(), "State: DONE by bob") {
		t.Errorf("runner does not show the done step:\n%s", m.View())
	}
}

func TestSkipAndFailNeedAReason(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	steps := inc.Playbook.Steps()
	m := drive(t, f.model(100, 30), enter)

	// Esc abandons the prompt; nothing is written.
	m = drive(t, m, typed("x")...)
	if !m.typing() {
		t.Fatal("x did not open the reason prompt")
	}
	m = drive(t, m, esc)
	if ss := stepState(t, f, inc.Header.ID, steps[0].ID); ss.State != playbooks.Pending {
		t.Fatalf("esc on the skip prompt changed the step: %+v", ss)
	}
	if m.screen != screenRunner {
		t.Fatal("esc on a prompt left the runner")
	}

	// An empty reason records nothing and says so.
	m = drive(t, m, typed("x")...)
	m = drive(t, m, enter)
	if ss := stepState(t, f, inc.Header.ID, steps[0].ID); ss.State != playbooks.Pending {
		t.Fatalf("empty reason skipped the step: %+v", ss)
	}
	if !strings.Contains(m.View(), "nothing recorded") {
		t.Errorf("no word about the empty reason:\n%s", m.View())
	}

	// A reason skips it; q typed into the reason is text, not quit.
	m = drive(t, m, typed("x")...)
	m = drive(t, m, typed("not our key, quarantined")...)
	if m.err == errQuit {
		t.Fatal("q in a text field quit the console")
	}
	m = drive(t, m, enter)
	ss := stepState(t, f, inc.Header.ID, steps[0].ID)
	if ss.State != playbooks.Skipped || ss.Reason != "not our key, quarantined" {
		t.Fatalf("skip: %+v", ss)
	}

	m = drive(t, m, down)
	m = drive(t, m, typed("f")...)
	m = drive(t, m, typed("API returned 403")...)
	m = drive(t, m, enter)
	if ss := stepState(t, f, inc.Header.ID, steps[1].ID); ss.State != playbooks.Failed || ss.Reason != "API returned 403" {
		t.Fatalf("fail: %+v", ss)
	}
}

func TestNoteIsJournaled(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(100, 30), enter)
	f.now = t0.Add(3 * time.Minute)
	m = drive(t, m, typed("n")...)
	m = drive(t, m, typed("called the release manager")...)
	m = drive(t, m, enter, typed("t")[0])
	loaded, _ := f.ws.Load(inc.Header.ID)
	evs, _, err := loaded.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != incident.KindNote || last.Actor != "bob" || !strings.Contains(last.Summary, "called the release manager") {
		t.Fatalf("last event %+v, want bob's note", last)
	}
	if !strings.Contains(m.View(), "called the release manager") {
		t.Errorf("timeline does not show the note:\n%s", m.View())
	}
}

func TestStepErrorIsShownAndDismissed(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := drive(t, f.model(100, 30), enter)
	m = drive(t, m, typed("d")...)
	m = drive(t, m, typed("d")...) // done twice: the incident refuses
	if m.err == nil {
		t.Fatal("marking a done step done again gave no error")
	}
	if !strings.Contains(m.View(), "ERROR:") {
		t.Fatalf("error not shown:\n%s", m.View())
	}
	m = drive(t, m, esc)
	if m.err != nil || m.screen != screenRunner {
		t.Fatalf("esc should dismiss the error and stay: err=%v screen=%v", m.err, m.screen)
	}
	m = drive(t, m, esc)
	if m.screen != screenHome {
		t.Fatalf("esc from the runner: screen %v, want home", m.screen)
	}
}

func TestHomeFilter(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Release key leaked")
	f.now = t0.Add(time.Minute)
	f.open("INC-4", "libwasm CVE")
	m := f.model(120, 24)
	m = drive(t, m, typed("/libwasm")...)
	if got := len(m.home.visible()); got != 1 {
		t.Fatalf("filter libwasm: %d rows, want 1", got)
	}
	m = drive(t, m, enter) // leave the field, keep the filter
	m = drive(t, m, enter) // open the one row
	if m.screen != screenRunner || m.runner.inc.Header.Playbook.ID != "INC-4" {
		t.Fatalf("opened %v", m.runner.inc)
	}
	m = drive(t, m, esc)
	m = drive(t, m, typed("/")...)
	m = drive(t, m, esc)
	if got := len(m.home.visible()); got != 2 {
		t.Fatalf("esc in the filter should clear it: %d rows", got)
	}
	m = drive(t, m, typed("q")...)
	if m.err != errQuit {
		t.Fatal("q on the home screen did not quit")
	}
}

func TestEscapeSequencesInIncidentDataAreNeutralized(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "evil \x1b]0;pwned\x07 \x1b[2J title")
	m := f.model(120, 30)
	checkFrame(t, m.View(), 120, 30)
	m = drive(t, m, enter, typed("n")[0])
	m = drive(t, m, typed("\x1b[31mred\u202e")...)
	m = drive(t, m, enter, typed("t")[0])
	checkFrame(t, m.View(), 120, 30)
	if !strings.Contains(m.View(), "title") {
		t.Errorf("title text lost:\n%s", m.View())
	}
	_ = inc
}

func TestUnreadableIncidentIsListedNotFatal(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	hdr := filepath.Join(inc.Dir, incident.HeaderFile)
	if err := os.Chmod(hdr, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hdr, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := f.model(120, 24)
	if m.err != nil {
		t.Fatalf("one broken incident broke the list: %v", m.err)
	}
	if !strings.Contains(m.View(), "UNREADABLE") {
		t.Fatalf("broken incident not flagged:\n%s", m.View())
	}
	m = drive(t, m, enter)
	if m.screen != screenHome {
		t.Fatal("enter opened an unreadable incident")
	}
}

func TestExternalWritesAreNoticed(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(100, 30), enter)
	stamp := m.runner.stamp
	// Another responder, through the CLI, finishes step 1.
	if _, _, err := inc.Step(context.Background(), "carol", inc.Playbook.Steps()[0].ID, playbooks.VerbDone, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, journalMsg{id: inc.Header.ID, stamp: journalStamp(inc.Journal.Dir())})
	if m.runner.stamp == stamp {
		t.Fatal("the watch did not reload after a journal write")
	}
	if !strings.Contains(m.View(), "State: DONE by carol") {
		t.Fatalf("carol's change is not on screen:\n%s", m.View())
	}
}

func TestTinyAndResizedTerminals(t *testing.T) {
	f := newFixture(t)
	f.open("INC-2", "Malicious module signed with our key")
	for _, size := range []struct{ w, h int }{{20, 5}, {40, 10}, {200, 60}} {
		m := f.model(size.w, size.h)
		checkFrame(t, m.View(), size.w, size.h)
		m = drive(t, m, enter)
		checkFrame(t, m.View(), size.w, size.h)
		m = drive(t, m, tea.WindowSizeMsg{Width: size.w + 7, Height: size.h + 3})
		checkFrame(t, m.View(), size.w+7, size.h+3)
		m = drive(t, m, typed("t")...)
		checkFrame(t, m.View(), size.w+7, size.h+3)
	}
}

func TestEmptyWorkspace(t *testing.T) {
	f := newFixture(t)
	m := f.model(100, 24)
	if !strings.Contains(m.View(), "No incidents") {
		t.Fatalf("empty workspace:\n%s", m.View())
	}
	m = drive(t, m, enter, down, typed("k")[0])
	if m.screen != screenHome || m.err != nil {
		t.Fatalf("keys on an empty list: screen %v err %v", m.screen, m.err)
	}
}

func TestTooSmallTerminalSaysSo(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(79, 24)
	if !strings.Contains(m.View(), "at least 80x24; this one is 79x24") {
		t.Fatalf("no size message at 79x24:\n%s", m.View())
	}
	m = drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(m.View(), "at least 80x24") || !strings.Contains(m.View(), "Incidents (1)") {
		t.Fatalf("80x24 should draw the console:\n%s", m.View())
	}
}

func TestMilestoneAndSeverityFromTheRunner(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(120, 40), enter)
	if !strings.Contains(m.View(), "TTC — (< 4 hours)") {
		t.Fatalf("metrics line before any milestone:\n%s", m.View())
	}
	f.now = t0.Add(10 * time.Minute)
	m = drive(t, m, typed("m")...)
	m = drive(t, m, typed("detected")...)
	m = drive(t, m, enter)
	f.now = t0.Add(70 * time.Minute)
	m = drive(t, m, typed("m")...)
	m = drive(t, m, typed("contained")...)
	m = drive(t, m, enter)
	if m.err != nil {
		t.Fatal(m.err)
	}
	if v := m.View(); !strings.Contains(v, "TTC 1h00m MET (< 4 hours)") || !strings.Contains(v, "TTR — 1d23h left") {
		t.Fatalf("metrics after detected+contained:\n%s", v)
	}

	// A milestone that does not exist is an error on screen, not a write.
	m = drive(t, m, typed("m")...)
	m = drive(t, m, typed("fixed")...)
	m = drive(t, m, enter)
	if m.err == nil || !strings.Contains(m.View(), `unknown milestone "fixed"`) {
		t.Fatalf("bad milestone: err %v\n%s", m.err, m.View())
	}
	m = drive(t, m, esc)

	m = drive(t, m, typed("v")...)
	m = drive(t, m, typed("SEV-2 scope limited to one repo")...)
	m = drive(t, m, enter)
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	if st.Severity.SEV() != "SEV-2" || len(st.SeverityHistory) != 2 || st.SeverityHistory[1].Reason != "scope limited to one repo" {
		t.Fatalf("severity %s history %+v", st.Severity.Both(), st.SeverityHistory)
	}
	if !strings.Contains(m.View(), "SEV-2") {
		t.Errorf("status bar does not show the new severity:\n%s", m.View())
	}
	// No reason: refused, with the reason why.
	m = drive(t, m, typed("v")...)
	m = drive(t, m, typed("SEV-1")...)
	m = drive(t, m, enter)
	if m.err == nil || !strings.Contains(m.err.Error(), "reason is required") {
		t.Fatalf("severity without a reason: %v", m.err)
	}
}

func TestTimelineShowsABrokenChain(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(120, 40), enter, typed("t")[0])
	if !strings.Contains(m.View(), "journal verified: 2 events, 1 hash chain intact") {
		t.Fatalf("intact chain not reported:\n%s", m.View())
	}
	// Someone edits a logged event by hand (not the opening one: that
	// would make the incident refuse to load, naming it).
	path := inc.Journal.Path("alice")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "= /example/key_path", "= /example/key_pat", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, typed("r")...) // r is the runner's; on the timeline, go back and reload
	m = drive(t, m, esc, typed("r")[0], typed("t")[0])
	if !strings.Contains(m.View(), "journal BROKEN") {
		t.Fatalf("tampered journal not reported:\n%s", m.View())
	}
}

func TestWatchRestartsWhenTheSameIncidentIsReopened(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	var ticks int
	m := f.model(100, 30)
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { ticks++; return nil }
	m = drive(t, m, enter)
	if m.watching != inc.Header.ID || ticks != 1 {
		t.Fatalf("open: watching %q, %d ticks", m.watching, ticks)
	}
	m = drive(t, m, esc)
	// The pending tick fires on the home screen: the watch ends.
	m = drive(t, m, journalMsg{id: inc.Header.ID, stamp: m.runner.stamp})
	if m.watching != "" {
		t.Fatalf("watch kept on the home screen: %q", m.watching)
	}
	m = drive(t, m, enter)
	if m.watching != inc.Header.ID || ticks != 2 {
		t.Fatalf("reopen: watching %q, %d ticks (want a new watch)", m.watching, ticks)
	}
}

func TestDrillBanner(t *testing.T) {
	f := newFixture(t)
	lib, _ := playbooks.Load(nil, playbooks.Options{})
	p, _ := lib.Get("INC-1")
	if _, err := f.ws.Open(t.Context(), incident.OpenOptions{Playbook: p, Title: "practice night", Actor: "alice", Drill: true,
		Facts: map[string]string{"key_path": "/k"}}); err != nil {
		t.Fatal(err)
	}
	m := drive(t, f.model(80, 24), enter)
	first := strings.SplitN(m.View(), "\n", 2)[0]
	if !strings.HasPrefix(first, " DRILL — practice, not counted in metrics") {
		t.Fatalf("status bar of a drill: %q", first)
	}
	f2 := newFixture(t)
	f2.open("INC-1", "the real thing")
	if v := drive(t, f2.model(80, 24), enter).View(); strings.Contains(v, "DRILL") {
		t.Fatalf("a real incident shows DRILL:\n%s", v)
	}
}

func TestOpenAtStart(t *testing.T) {
	f := newFixture(t)
	f.open("INC-4", "another")
	inc := f.open("INC-1", "the drill the CLI just built")
	m := New(context.Background(), Options{Workspace: f.ws, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }, Open: inc.Header.ID})
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.runner.tick, m.runner.act.tick = m.tick, m.tick
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = run(t, m, m.Init())
	if m.screen != screenRunner || m.runner.inc == nil || m.runner.inc.Header.ID != inc.Header.ID {
		t.Fatalf("screen %v, incident %v", m.screen, m.runner.inc)
	}
	if !strings.Contains(m.View(), "the drill the CLI just built") {
		t.Fatalf("view:\n%s", m.View())
	}
}
