package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/firebreak-dev/firebreak/playbooks"
)

// These flows run the console in a real Bubble Tea program (teatest), with
// its own clock ticks and journal watch, and check what reached the
// terminal and the journal.

func waitFor(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
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
