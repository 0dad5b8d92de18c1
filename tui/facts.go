package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// factsModel lists the incident's facts — every input of its playbook,
// with its value or MISSING — and edits one with the same checks as
// firebreak fact: a wrong value typed for an action is corrected here.
type factsModel struct {
	st      styles.Styles
	nav     keys.Nav
	edit    key.Binding
	inc     *incident.Incident
	facts   map[string]string
	cursor  int
	editing bool
	input   textinput.Model
	message string
	absent  []string // "name: path" of file and directory facts that do not exist
	w, h    int
}

// factRecordedMsg reports a fact recorded from the facts screen.
type factRecordedMsg struct {
	name string
	err  error
}

func newFacts(st styles.Styles) factsModel {
	return factsModel{st: st, nav: keys.NewNav(), input: newInput("", ""),
		edit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit"))}
}

func (f *factsModel) setSize(w, h int) { f.w, f.h = w, h }

// set shows the incident's current facts.
func (f *factsModel) set(inc *incident.Incident, facts map[string]string) {
	if f.inc == nil || inc == nil || f.inc.Header.ID != inc.Header.ID {
		f.cursor, f.editing, f.message = 0, false, ""
	}
	f.inc, f.facts = inc, facts
}

func (f factsModel) update(msg tea.Msg, ctx context.Context, actor string) (factsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case factRecordedMsg:
		if msg.err != nil {
			f.message = "not recorded: " + msg.err.Error()
			f.editing = true
			return f, f.input.Focus()
		}
		f.message = "recorded " + msg.name
		return f, nil
	case tea.KeyMsg:
		if f.inc == nil {
			return f, nil
		}
		ins := f.inc.Playbook.Inputs
		if f.editing {
			switch msg.Type {
			case tea.KeyEsc:
				f.editing, f.message = false, "nothing recorded"
				f.input.Blur()
				return f, nil
			case tea.KeyEnter:
				f.editing = false
				f.input.Blur()
				name, value, inc := ins[f.cursor].Name, strings.TrimSpace(f.input.Value()), f.inc
				if value == "" {
					f.message = "nothing entered: nothing recorded"
					return f, nil
				}
				return f, func() tea.Msg {
					err := inc.SetFact(ctx, actor, name, value, time.Time{})
					return factRecordedMsg{name: name, err: err}
				}
			}
			var cmd tea.Cmd
			f.input, cmd = f.input.Update(msg)
			return f, cmd
		}
		switch {
		case key.Matches(msg, f.nav.Up):
			f.cursor = max(f.cursor-1, 0)
		case key.Matches(msg, f.nav.Down):
			f.cursor = min(f.cursor+1, max(len(ins)-1, 0))
		case key.Matches(msg, f.edit):
			if len(ins) == 0 {
				return f, nil
			}
			in := ins[f.cursor]
			f.editing, f.message = true, ""
			f.input.Prompt = in.Name + " = "
			f.input.SetValue(oneLineFact(in.Type, f.facts[in.Name]))
			f.input.CursorEnd()
			return f, f.input.Focus()
		}
	}
	return f, nil
}

// oneLineFact is a fact as one line: a list of paths comma-separated (as
// it may be typed back), anything else as it is.
func oneLineFact(typ, v string) string {
	if typ == playbooks.TypePaths {
		return strings.ReplaceAll(v, "\n", ", ")
	}
	return v
}

func (f factsModel) view() string {
	if f.inc == nil {
		return f.st.Muted.Render("No incident open.")
	}
	var b strings.Builder
	b.WriteString(f.st.Title.Render("Facts — "+clean(f.inc.Header.ID)) + "\n")
	b.WriteString(f.st.Muted.Render(truncate("What the steps' actions are built from. enter edits one (checked as firebreak fact checks it; the change is a journal event).", f.w)) + "\n")
	ins := f.inc.Playbook.Inputs
	missing := map[string]bool{}
	for _, n := range incident.MissingFacts(f.inc.Playbook, f.facts) {
		missing[n] = true
	}
	nameW := 8
	for _, in := range ins {
		nameW = max(nameW, min(len(in.Name), 24))
	}
	rows := make([]string, 0, len(ins))
	for i, in := range ins {
		v, ok := f.facts[in.Name]
		val := clean(oneLineFact(in.Type, v))
		switch {
		case missing[in.Name]:
			val = "MISSING (required)"
		case !ok:
			val = "— (not set)"
		case slices.ContainsFunc(f.absent, func(a string) bool { return strings.HasPrefix(a, in.Name+": ") }):
			val += " (DOES NOT EXIST)"
		}
		line := fmt.Sprintf("  %-*s %-6s %s", nameW, truncate(in.Name, nameW), in.Type, val)
		line = truncate(line, f.w)
		if i == f.cursor {
			line = f.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), f.w))
		} else if missing[in.Name] {
			line = f.st.Bad.Render(line)
		}
		rows = append(rows, line)
	}
	used := 2
	detail := []string{}
	if f.cursor < len(ins) {
		in := ins[f.cursor]
		detail = append(detail, "", truncate(clean(in.Title), f.w))
		if in.Description != "" {
			detail = append(detail, wrap(clean(in.Description), f.w)...)
		}
	}
	foot := []string{}
	if f.message != "" {
		foot = append(foot, wrap(clean(f.message), f.w)...)
	}
	if f.editing {
		foot = append(foot, truncate(f.input.View(), f.w))
	}
	room := max(f.h-used-len(detail)-len(foot), 1)
	for _, l := range scrollList(rows, f.cursor, room, f.st.Muted.Render) {
		b.WriteString(l + "\n")
	}
	for _, l := range append(detail, foot...) {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func (f factsModel) shortHelp() []key.Binding {
	if f.editing {
		return []key.Binding{keys.NewRunner().Record, keys.NewRunner().CancelField}
	}
	return []key.Binding{f.edit}
}
