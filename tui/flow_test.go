package tui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/firebreak-dev/firebreak/playbooks"
)

// These flows run the console in a real Bubble Tea program (teatest), with
// its own clock ticks and journal watch, and check what reached the
// terminal and the journal.

func waitFor(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(ansi.Strip(string(b)), want) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func TestFlowWorkAStepThenQuit(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key on a public gist")
	m := New(context.Background(), Options{Workspace: f.ws, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(110, 32))

	waitFor(t, tm, "inc1-key-on-a-public-gist")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Isolate the key (isolate-key)")
	tm.Type("s")
	waitFor(t, tm, "STARTED by bob")
	tm.Type("n")
	tm.Type("moved it; q is just a letter here")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Type("t")
	waitFor(t, tm, "q is just a letter here")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	fm := tm.FinalModel(t).(Model)
	if fm.screen != screenTimeline {
		t.Errorf("final screen %v, want timeline", fm.screen)
	}
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	if ss := st.Steps[inc.Playbook.Steps()[0].ID]; ss.State != playbooks.Started || ss.Actor != "bob" {
		t.Errorf("step 1: %+v, want started by bob", ss)
	}
}

func TestFlowSeesAnotherRespondersChange(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key on a public gist")
	m := New(context.Background(), Options{Workspace: f.ws, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(110, 32))
	waitFor(t, tm, "inc1-key-on-a-public-gist")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "State: PENDING")

	// carol, from the command line, while bob has the console open.
	if _, _, err := inc.Step(context.Background(), "carol", "isolate-key", playbooks.VerbDone, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "DONE by carol") // the one-second journal watch
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	out, _ := io.ReadAll(tm.FinalOutput(t))
	if strings.Contains(string(out), "ERROR") {
		t.Errorf("the flow showed an error:\n%s", out)
	}
}

func TestFlowOpenAnIncidentFromTheWizard(t *testing.T) {
	f := newFixture(t)
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("INC-1")
	m := New(context.Background(), Options{Workspace: f.ws, Library: lib, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(110, 40))
	enter := func() { tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) }

	// huh moves focus in a command, so each key waits for the field it
	// is meant for.
	field := func(title string) { waitFor(t, tm, "┃ "+title) }

	waitFor(t, tm, "n opens one")
	tm.Type("n")
	waitFor(t, tm, "which playbook?")
	enter() // INC-1 is first
	field("Title")
	enter() // an empty title is refused where it is typed
	waitFor(t, tm, "the title is empty")
	tm.Type("Key in a public gist")
	enter()
	field("Severity")
	enter() // the playbook's
	field("Compromised private key file (key_path)")
	tm.Type("/keys/prod.sec")
	enter()
	field("Key id of the compromised key (key_id)")
	tm.Type("zz")
	enter()
	waitFor(t, tm, `"zz" is not hex`)
	tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	enter()
	for _, in := range p.Inputs[2:] {
		field(in.Title)
		enter()
	}
	field("Detected at")
	enter()
	field("Compromise estimated at")
	tm.Type("-40m")
	enter()
	waitFor(t, tm, "Isolate the key (isolate-key)")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	ids, err := f.ws.IDs()
	if err != nil || len(ids) != 1 {
		t.Fatalf("incidents %v %v", ids, err)
	}
	inc, err := f.ws.Load(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	if inc.Header.Title != "Key in a public gist" || inc.Header.CreatedBy != "bob" || st.Facts["key_path"] != "/keys/prod.sec" {
		t.Fatalf("header %+v facts %v", inc.Header, st.Facts)
	}
	if _, ok := st.Facts["key_id"]; ok {
		t.Errorf("the cleared key_id was recorded: %q", st.Facts["key_id"])
	}
	if c := st.Milestones["compromised"]; !c.At.Equal(t0.Add(-40 * time.Minute)) {
		t.Errorf("compromised at %v, want 40m before %v", c.At, t0)
	}
}

func TestWizardEscCancels(t *testing.T) {
	f := newFixture(t)
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(context.Background(), Options{Workspace: f.ws, Library: lib, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	next, _ = next.Update(newMsg{drill: true})
	if got := next.(Model).screen; got != screenNew {
		t.Fatalf("screen %v, want the wizard", got)
	}
	if v := next.View(); !strings.Contains(v, "Start a drill") {
		t.Fatalf("drill wizard:\n%s", v)
	}
	next, _ = next.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if next.(Model).screen != screenNew {
		t.Fatal("q in the wizard left it")
	}
	next, _ = next.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if got := next.(Model).screen; got != screenHome {
		t.Fatalf("esc: screen %v, want home", got)
	}
	if ids, _ := f.ws.IDs(); len(ids) != 0 {
		t.Fatalf("cancelled wizard created %v", ids)
	}
	// Without a library the keys explain themselves.
	m.opts.Library = nil
	next, _ = m.Update(newMsg{})
	if next.(Model).err == nil {
		t.Fatal("no library: no error")
	}
}
