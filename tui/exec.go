package tui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"
)

// actionExec runs `firebreak run ID STEP` on the terminal, the console
// suspended: the action's plan, its confirmation (typed, for destructive
// ones), any missing facts, progress and verification are the CLI's own,
// so the console and the command line are one code path. When the command
// ends it waits for enter, so the responder can read the result before the
// console comes back.
type actionExec struct {
	exe  string   // the firebreak binary
	args []string // global flags, then run ID STEP
	name string   // the command, for the closing line (default "run")

	stdin          io.Reader
	stdout, stderr io.Writer
}

var _ tea.ExecCommand = (*actionExec)(nil)

func (e *actionExec) SetStdin(r io.Reader)  { e.stdin = r }
func (e *actionExec) SetStdout(w io.Writer) { e.stdout = w }
func (e *actionExec) SetStderr(w io.Writer) { e.stderr = w }

// Run runs the command and then waits for enter. The error is the
// command's: an exit status when the action was refused or failed.
func (e *actionExec) Run() error {
	cmd := exec.Command(e.exe, e.args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	err := cmd.Start()
	if err == nil {
		execChild.Store(cmd.Process)
		err = cmd.Wait()
		execChild.Store(nil)
	}
	status := "finished"
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		status = fmt.Sprintf("exited with status %d", xe.ExitCode())
	} else if err != nil {
		status = "could not start: " + err.Error()
	}
	name := e.name
	if name == "" {
		name = "run"
	}
	fmt.Fprintf(e.stdout, "\n── firebreak %s %s. Press enter to return to the console. ", name, status)
	if e.stdin != nil {
		bufio.NewReader(e.stdin).ReadString('\n')
	}
	return err
}

// execChild is the firebreak the console handed the terminal to, while it
// runs: a signal the console catches (a closed terminal sends SIGHUP to
// the console alone, the session's leader) is passed on to it, so a drill
// or an action run there stops, records and cleans up as it would have on
// its own terminal.
var execChild atomic.Pointer[os.Process]

// actionDoneMsg reports the end of a step's action.
type actionDoneMsg struct {
	id, step string
	err      error
}

func runActionCmd(exe, home, actor, id, step string) tea.Cmd {
	e := &actionExec{exe: exe, args: []string{"--home", home, "--actor", actor, "run", id, step}}
	return tea.Exec(e, func(err error) tea.Msg { return actionDoneMsg{id: id, step: step, err: err} })
}

// drillDoneMsg reports the end of a drill run from the console.
type drillDoneMsg struct {
	kind string
	err  error
}

// runDrillCmd runs `firebreak drill KIND` on the terminal, the console
// suspended: the drill's own sandbox, console and report, exactly as from
// the command line; enter comes back.
func runDrillCmd(exe, home, actor, kind string) tea.Cmd {
	e := &actionExec{exe: exe, args: []string{"--home", home, "--actor", actor, "drill", kind}, name: "drill " + kind}
	return tea.Exec(e, func(err error) tea.Msg { return drillDoneMsg{kind: kind, err: err} })
}
