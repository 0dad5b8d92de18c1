package tui

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// TestHomeFollowsTheWorkspace: an incident opened from the command line
// while the list is shown appears on the next tick (a stat of each
// journal, no sleep), and the cursor stays on the incident it was on
// although the new one sorts above it.
func TestHomeFollowsTheWorkspace(t *testing.T) {
	f := newFixture(t)
	f.open("INC-4", "libwasm CVE-2026-1234")
	f.now = t0.Add(time.Minute)
	f.open("INC-2", "malicious module")
	m := f.model(80, 24)
	m = drive(t, m, down) // on INC-4 (SEV-3, below INC-2's SEV-2)
	if !strings.Contains(selectedLine(m.View()), "libwasm") {
		t.Fatalf("cursor not on libwasm:\n%s", m.View())
	}
	f.open("INC-1", "key leaked") // SEV-1: sorts first
	m = drive(t, m, tickMsg(f.now))
	v := m.View()
	if !strings.Contains(v, "Incidents (3)") || !strings.Contains(v, "key leaked") {
		t.Fatalf("the incident opened elsewhere did not appear:\n%s", v)
	}
	if !strings.Contains(selectedLine(v), "libwasm") {
		t.Fatalf("the cursor moved off libwasm:\n%s", v)
	}
	// Nothing changed: the tick reloads nothing (the stamp is the same).
	before := m.home.rows
	m = drive(t, m, tickMsg(f.now))
	if &m.home.rows[0] != &before[0] {
		t.Fatal("an unchanged workspace was reloaded")
	}
	// A step closed elsewhere shows too.
	inc, err := f.ws.Load(m.home.rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := inc.Step(t.Context(), "alice", "1.1", "skip", "not needed", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, tickMsg(f.now))
	if !strings.Contains(m.View(), "1/12") {
		t.Fatalf("a step closed elsewhere does not show:\n%s", m.View())
	}
}

func selectedLine(v string) string {
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, "> ") {
			return l
		}
	}
	return ""
}

// TestHomeShowsTitlesAndUrgency: at 80 columns a title of 33 characters
// is shown whole, the
// selected incident's full id is under the list, the most urgent comes
// first (real before drill, severity), and a filter that matches nothing
// says so and how to clear it.
func TestHomeShowsTitlesAndUrgency(t *testing.T) {
	f := newFixture(t)
	f.open("INC-4", "CVE in the wasm runtime (signing)")
	f.now = t0.Add(time.Minute)
	f.open("INC-1", "Release key leaked in CI logs")
	m := f.model(80, 24)
	v := m.View()
	sel := selectedLine(v)
	if !strings.Contains(sel, "SEV-1") || !strings.Contains(sel, "Release key leaked in CI logs") {
		t.Fatalf("first row is not the SEV-1 incident with its whole title: %q\n%s", sel, v)
	}
	if !strings.Contains(v, "CVE in the wasm runtime (signing)") {
		t.Fatalf("the second title is cut short:\n%s", v)
	}
	if !strings.Contains(v, "Critical / SEV-1 · response: immediate\nid 2026-11-22-inc1-release-key-leaked-in-ci-logs") {
		t.Fatalf("the selected id is not shown in full:\n%s", v)
	}
	m = drive(t, m, typed("/zzz")...)
	m = drive(t, m, enter)
	if v := m.View(); !strings.Contains(v, `No incident matches "zzz" (of 2). esc clears the filter.`) {
		t.Fatalf("empty filter result:\n%s", v)
	}
	m = drive(t, m, esc)
	if v := m.View(); !strings.Contains(v, "Incidents (2)") {
		t.Fatalf("esc did not clear the filter:\n%s", v)
	}
}

// TestClosedIncidentLooksClosed: the status bar says CLOSED and since
// when (not "response due"), and step keys say how to reopen instead of
// acting.
func TestClosedIncidentLooksClosed(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	if err := inc.Close(t.Context(), "alice", "over", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m := f.model(80, 24)
	m = drive(t, m, enter)
	v := m.View()
	if first := strings.Split(v, "\n")[0]; !strings.HasPrefix(first, " CLOSED 2026-11-22 03:00Z") || strings.Contains(first, "response") {
		t.Fatalf("status bar of a closed incident: %q", first)
	}
	for _, k := range "sdxfa" {
		m = drive(t, m, typed(string(k))...)
		if m.runner.prompt != promptNone || m.runner.act.state != actIdle {
			t.Fatalf("%c acted on a closed incident", k)
		}
	}
	if v := m.View(); !strings.Contains(v, "steps no longer change; C") || !strings.Contains(v, "reopens it, with a reason") {
		t.Fatalf("no way to reopen shown:\n%s", v)
	}
	// C reopens it, with a reason; then steps change again.
	f.now = t0.Add(time.Minute)
	m = drive(t, m, typed("C")...)
	if m.runner.prompt != promptReopenIncident {
		t.Fatalf("C: prompt %v\n%s", m.runner.prompt, m.View())
	}
	m = drive(t, m, typed("second copy found")...)
	m = drive(t, m, enter)
	if st, _ := inc.State(); st.Closed {
		t.Fatalf("C did not reopen the incident: %v\n%s", m.err, m.View())
	}
	m = drive(t, m, typed("s")...)
	if st, _ := inc.State(); st.Steps["isolate-key"].State != "started" {
		t.Fatalf("s after reopening: %v", st.Steps["isolate-key"].State)
	}
	// o reopens a step (with a reason); a milestone can be back-dated.
	m = drive(t, m, typed("d")...)
	m = drive(t, m, typed("o")...)
	m = drive(t, m, typed("key found again")...)
	m = drive(t, m, enter)
	m = drive(t, m, typed("m")...)
	m = drive(t, m, typed("detected -2h")...)
	m = drive(t, m, enter)
	st, _ := inc.State()
	if st.Steps["isolate-key"].State != "pending" || len(st.Steps["isolate-key"].History) != 3 || !st.Milestones["detected"].At.Equal(f.now.Add(-2*time.Hour)) {
		t.Fatalf("reopen step / back-dated milestone: %v %v (err %v)", st.Steps["isolate-key"].State, st.Milestones["detected"], m.err)
	}
	// C closes it again.
	m = drive(t, m, typed("C")...)
	m = drive(t, m, typed("over again")...)
	m = drive(t, m, enter)
	if st, _ := inc.State(); !st.Closed {
		t.Fatal("C did not close the incident")
	}
}

// TestBrokenJournalShowsEverywhere: a journal whose chain does not verify
// is named in the status bar of every screen of the incident, not only on
// the timeline.
func TestBrokenJournalShowsEverywhere(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	inc.Note(t.Context(), "alice", "a note", "", time.Time{})
	path := inc.Journal.Path("alice")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "a note", "A NOTE", 1)), 0o600)
	m := f.model(80, 24)
	m = drive(t, m, enter)
	for _, k := range []string{"", "t", "e", "c"} {
		m = drive(t, m, typed(k)...)
		if first := strings.Split(m.View(), "\n")[0]; !strings.HasPrefix(first, " JOURNAL DOES NOT VERIFY") {
			t.Fatalf("screen %v: status bar %q\n%s", m.screen, first, m.View())
		}
		if k != "" {
			m = drive(t, m, esc) // back to the incident
		}
	}
	for m.screen != screenHome {
		m = drive(t, m, esc)
	}
	if first := strings.Split(m.View(), "\n")[0]; strings.Contains(first, "JOURNAL") {
		t.Fatalf("home shows an incident's status: %q", first)
	}
}

// TestDrillKeyOffersOnlySandboxDrills: D lists the sandbox drills (never
// a real playbook, whose "drill" would ask for the real key), and starts
// the chosen one as firebreak drill does; esc gives up.
func TestDrillKeyOffersOnlySandboxDrills(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := f.model(80, 24)
	m.opts.Library = lib
	m.home.titles = map[drill.Kind]string{drill.Rotation: "rotation title", drill.Rollback: "rollback title"}
	m = drive(t, m, typed("D")...)
	v := m.View()
	checkFrame(t, v, 80, 24)
	if !strings.Contains(v, "Start a sandbox drill") || !strings.Contains(v, "DRILL-ROTATION") || !strings.Contains(v, "DRILL-ROLLBACK") || strings.Contains(v, "INC-1 ") {
		t.Fatalf("drill chooser:\n%s", v)
	}
	m = drive(t, m, esc)
	if strings.Contains(m.View(), "Start a sandbox drill") || m.screen != screenHome {
		t.Fatalf("esc did not close the chooser:\n%s", m.View())
	}
	// Without the binary to run (a test, an embedding) it says how.
	m = drive(t, m, typed("D2")...)
	if m.err == nil || !strings.Contains(m.err.Error(), "firebreak drill rollback") {
		t.Fatalf("err %v", m.err)
	}
	// With it, the console hands the terminal to firebreak drill KIND.
	m.err = nil
	m.opts.Executable = "/bin/true"
	next, cmd := m.Update(drillMsg{kind: drill.Rotation})
	if cmd == nil || next.(Model).err != nil {
		t.Fatal("no command to run the drill")
	}
	m = drive(t, next.(Model), drillDoneMsg{kind: "rotation", err: errors.New("exit status 1")})
	if m.err == nil || !strings.Contains(m.err.Error(), "rotation drill did not pass") {
		t.Fatalf("a failed drill: %v", m.err)
	}
}

// TestFactsScreenCorrectsAFact: F lists every fact with MISSING for a
// required one left unset; enter edits one, prefilled; a value the checks
// refuse is not recorded and says why; a good one is recorded and shown.
func TestFactsScreenCorrectsAFact(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m = drive(t, m, enter)
	m = drive(t, m, typed("F")...)
	v := m.View()
	checkFrame(t, v, 80, 24)
	if m.screen != screenFacts || !strings.Contains(v, "key_path") || !strings.Contains(v, "/example/key_path") {
		t.Fatalf("facts screen:\n%s", v)
	}
	// key_id is hex: move to it and type something that is not.
	for i, in := range inc.Playbook.Inputs {
		if in.Name == "key_id" {
			for range i {
				m = drive(t, m, down)
			}
		}
	}
	m = drive(t, m, enter)
	m = drive(t, m, typed("not-hex")...)
	m = drive(t, m, enter)
	if v := m.View(); !strings.Contains(v, "not recorded: fact key_id") || !m.facts.editing {
		t.Fatalf("a refused value:\n%s", v)
	}
	m = drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlU}) // clear the field
	m = drive(t, m, typed("4BB9E28DF31C")...)
	m = drive(t, m, enter)
	st, _ := inc.State()
	if st.Facts["key_id"] != "4bb9e28df31c" {
		t.Fatalf("key_id = %q", st.Facts["key_id"])
	}
	if v := m.View(); !strings.Contains(v, "recorded key_id") || !strings.Contains(v, "4bb9e28df31c") {
		t.Fatalf("after recording:\n%s", v)
	}
	m = drive(t, m, esc)
	if m.screen != screenRunner {
		t.Fatalf("esc went to %v", m.screen)
	}
}

// TestDrillConsoleAsksBeforeQuitting: in the console of a sandbox drill,
// q ends the drill (and reports it), so it asks first; any other key goes
// on, q again quits.
func TestDrillConsoleAsksBeforeQuitting(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m.opts.Drill = true
	m = drive(t, m, typed("q")...)
	if m.err == errQuit || !strings.Contains(m.View(), "q again ends the drill (then its report)") {
		t.Fatalf("q quit a drill without asking:\n%s", m.View())
	}
	m = drive(t, m, down)
	if m.quitAsked || m.err == errQuit {
		t.Fatal("another key did not go on")
	}
	m = drive(t, m, typed("q")...)
	m = drive(t, m, typed("q")...)
	if m.err != errQuit {
		t.Fatal("q q did not end the drill")
	}
}

// TestHomeShowsAFailedStep: an incident with a failed step says so on the
// list (it read "open" before).
func TestHomeShowsAFailedStep(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	if _, _, err := inc.Step(t.Context(), "alice", "1.1", "fail", "disk full", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m := f.model(80, 24)
	if sel := selectedLine(m.View()); !strings.Contains(sel, "1 FAILED") {
		t.Fatalf("home row: %q", sel)
	}
}

// TestIdleWatchReadsNothing: the incident screen's once-a-second watch
// reloads only when a journal file's size or time changed (a stat of the
// directory), so an idle console reads nothing; a write elsewhere shows.
func TestIdleWatchReadsNothing(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := f.model(80, 24)
	m = drive(t, m, enter)
	id, dir := inc.Header.ID, inc.Journal.Dir()
	before := &m.runner.events[0]
	m = drive(t, m, journalMsg{id: id, stamp: journalStamp(dir)})
	if &m.runner.events[0] != before {
		t.Fatal("an unchanged journal was read again")
	}
	if err := inc.Note(t.Context(), "alice", "written elsewhere", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	n := len(m.runner.events)
	m = drive(t, m, journalMsg{id: id, stamp: journalStamp(dir)})
	if len(m.runner.events) != n+1 {
		t.Fatalf("a note written elsewhere did not show: %d events, want %d", len(m.runner.events), n+1)
	}
}

// TestClosedIncidentShowsNoCountdown: a closed incident's steps show their
// deadline without "left" or OVERDUE, and the help offers what still
// applies (C reopen, n note, t timeline, F facts), not s and d.
func TestClosedIncidentShowsNoCountdown(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	inc.Close(t.Context(), "alice", "over", time.Time{})
	m := f.model(80, 24)
	m = drive(t, m, enter)
	v := m.View()
	if strings.Contains(v, " left)") || strings.Contains(v, "s start") || !strings.Contains(v, "C close/reopen") {
		t.Fatalf("closed incident screen:\n%s", v)
	}
}
