package tui

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/playbooks"
)

func TestActionExecRunsThenWaitsForEnter(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tc := range []struct {
		script, wantOut, wantStatus string
		code                        int
	}{
		{"echo plan: isolate; read answer; echo got $answer", "got isolate", "finished", 0},
		{"echo refused >&2; exit 3", "", "exited with status 3", 3},
	} {
		var out, errOut bytes.Buffer
		e := &actionExec{exe: sh, args: []string{"-c", tc.script}}
		e.SetStdin(strings.NewReader("isolate\n\n"))
		e.SetStdout(&out)
		e.SetStderr(&errOut)
		err := e.Run()
		var xe *exec.ExitError
		switch {
		case tc.code == 0 && err != nil:
			t.Errorf("%q: %v", tc.script, err)
		case tc.code != 0 && (!errors.As(err, &xe) || xe.ExitCode() != tc.code):
			t.Errorf("%q: err %v, want exit %d", tc.script, err, tc.code)
		}
		if !strings.Contains(out.String(), tc.wantOut) || !strings.Contains(out.String(), "firebreak run "+tc.wantStatus+". Press enter") {
			t.Errorf("%q: output %q", tc.script, out.String())
		}
	}
	// A binary that is not there is an error, and still waits for enter.
	var out bytes.Buffer
	e := &actionExec{exe: "/nonexistent/firebreak"}
	e.SetStdin(strings.NewReader("\n"))
	e.SetStdout(&out)
	e.SetStderr(&out)
	if err := e.Run(); err == nil || !strings.Contains(out.String(), "could not start") {
		t.Errorf("missing binary: err %v, output %q", err, out.String())
	}
}

func TestRunKey(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(120, 40), enter)

	// No binary: say how to do it from the command line.
	m = drive(t, m, typed("a")...)
	if !strings.Contains(m.View(), "use: firebreak run "+inc.Header.ID+" isolate-key") {
		t.Fatalf("a without a binary:\n%s", m.View())
	}
	// A step with no action is done by hand.
	m.runner.exe = "/usr/bin/firebreak"
	for i, s := range inc.Playbook.Steps() {
		if s.Action == nil {
			m.runner.cursor = i
			break
		}
	}
	m = drive(t, m, typed("a")...)
	if !strings.Contains(m.View(), "is done by hand") {
		t.Fatalf("a on a manual step:\n%s", m.View())
	}
	// On a step with an action it hands the terminal to firebreak run.
	m.runner.cursor = 0
	_, cmd := m.Update(typed("a")[0])
	if cmd == nil {
		t.Fatal("a on isolate-key returned no command")
	}
	// When the action fails, the console says so and reloads.
	f.now = t0.Add(time.Minute)
	if _, _, err := inc.Step(t.Context(), "bob", "isolate-key", playbooks.VerbFail, "action key.isolate failed: no such file", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, actionDoneMsg{id: inc.Header.ID, step: "isolate-key", err: errors.New("exit status 1")})
	if v := m.View(); !strings.Contains(v, "did not complete") || !strings.Contains(v, "State: FAILED by bob") {
		t.Fatalf("after a failed action:\n%s", v)
	}
	// A failed step can be run again; a done one is not.
	m = drive(t, m, esc)
	if _, cmd := m.Update(typed("a")[0]); cmd == nil {
		t.Fatal("a on a failed step should run the action again")
	}
	if _, _, err := inc.Step(t.Context(), "bob", "isolate-key", playbooks.VerbDone, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, typed("r")...)
	m = drive(t, m, typed("a")...)
	if !strings.Contains(m.View(), "is done; o reopens it") {
		t.Fatalf("a on a done step:\n%s", m.View())
	}
}
