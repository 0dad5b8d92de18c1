// Package keys holds the console's key bindings. Each screen's KeyMap
// doubles as its help: the short help in the footer and the full help on ?.
package keys

import "github.com/charmbracelet/bubbles/key"

// Global are the keys every screen has.
type Global struct {
	Quit, ForceQuit, Help, Back, Cancel key.Binding
}

// NewGlobal returns the global keys.
func NewGlobal() Global {
	return Global{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// Nav are the movement keys (arrows and vim).
type Nav struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Open, Filter, New, Drill, Library key.Binding
	// Sync shares the home through git (firebreak sync), in the
	// background; on the incident list and in the runner.
	Sync key.Binding
}

// NewNav returns the movement keys.
func NewNav() Nav {
	return Nav{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		New:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new")),
		Drill:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "sandbox drill")),
		Library:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "playbooks")),
		Sync:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sync")),
	}
}

// Runner are the incident runner's keys.
type Runner struct {
	GoAhead, CancelAction, Dismiss                                                                           key.Binding // while an action runs in the console
	Record, CancelField                                                                                      key.Binding // while a reason, note or fact is typed
	Run, RunTerminal, Start, Done, Skip, Fail, Note, Milestone, Severity, Timeline, Evidence, Comms, Refresh key.Binding
	Facts, ReopenStep, CloseIncident, CodeScroll                                                             key.Binding
	Approve, Status, Mine                                                                                    key.Binding
}

// NewRunner returns the runner's keys.
func NewRunner() Runner {
	return Runner{
		Record:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "record")),
		CancelField:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel, record nothing")),
		GoAhead:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go ahead")),
		CancelAction:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel the action")),
		Dismiss:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "dismiss")),
		Run:           key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "run action")),
		RunTerminal:   key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "run on the terminal")),
		Start:         key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
		Done:          key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "done")),
		Skip:          key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "skip")),
		Fail:          key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fail")),
		Note:          key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "note")),
		Milestone:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "milestone")),
		Severity:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "severity")),
		Timeline:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "timeline")),
		Evidence:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "evidence")),
		Comms:         key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "comms")),
		Refresh:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Facts:         key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "facts")),
		ReopenStep:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "reopen step")),
		CloseIncident: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "close/reopen incident")),
		CodeScroll:    key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "scroll code sideways")),
		Approve:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "approve step")),
		Status:        key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "status update")),
		Mine:          key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "next of my steps")),
	}
}
