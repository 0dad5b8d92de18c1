package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// timelineModel shows the merged journal. It renders only the lines on
// screen, so 10,000 events draw as fast as 20.
type timelineModel struct {
	st        styles.Styles
	nav       keys.Nav
	events    []journal.Event
	shown     []int // indexes into events that pass the filter
	top       int
	filter    textinput.Model
	filtering bool
	w, h      int
	chain     string            // journal verification status
	cursor    int               // index into shown of the selected event
	open      bool              // enter: the selected event in full
	scroll    int               // of the open event
	steps     map[string]string // step number → id, so step:2.2 finds it
	show      key.Binding
}

func newTimeline(st styles.Styles) timelineModel {
	ti := newInput("/ ", "kind:action actor:bob step:isolate-key or any text (all must match)")
	return timelineModel{st: st, nav: keys.NewNav(), filter: ti, show: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "whole event"))}
}

func (t *timelineModel) setSize(w, h int) { t.w, t.h = w, h }

func (t *timelineModel) set(evs []journal.Event, chain string) {
	follow := t.cursor >= len(t.shown)-1 // on the newest: stay on the newest
	t.events, t.chain = evs, chain
	t.apply()
	// Open at the newest event and follow the end, as a log does.
	if follow || t.cursor >= len(t.shown) {
		t.cursor = max(len(t.shown)-1, 0)
	}
	t.top = max(len(t.shown)-t.rows(), 0)
	t.top = clampTop(t.top, 0, len(t.shown), t.rows())
	t.keepCursor()
}

// setSteps gives the playbook's step numbers, for step:2.2.
func (t *timelineModel) setSteps(numbers map[string]string) { t.steps = numbers }

// keepCursor scrolls so the selected event is on screen.
func (t *timelineModel) keepCursor() {
	rows := t.rows()
	if t.cursor < t.top {
		t.top = t.cursor
	}
	if t.cursor >= t.top+rows {
		t.top = t.cursor - rows + 1
	}
	t.top = max(t.top, 0)
}

func (t *timelineModel) apply() {
	f := parseFilter(t.filter.Value())
	f.numbers = t.steps
	t.shown = t.shown[:0]
	for i := range t.events {
		if f.match(&t.events[i]) {
			t.shown = append(t.shown, i)
		}
	}
	t.top = min(t.top, max(len(t.shown)-t.rows(), 0))
	t.cursor = min(t.cursor, max(len(t.shown)-1, 0))
}

// eventFilter is the timeline's filter: every term must match. A term
// kind:X, actor:X or step:X matches that field (a prefix of the kind, so
// kind:action finds action.done and action.failed; the actor and step
// exactly); any other term is looked for in the kind, actor, step and
// summary. Case does not matter.
type eventFilter struct {
	kinds, actors, steps []string
	text                 []string
	numbers              map[string]string // step number → id
}

func parseFilter(q string) eventFilter {
	var f eventFilter
	for _, w := range strings.Fields(strings.ToLower(q)) {
		field, v, ok := strings.Cut(w, ":")
		switch {
		case ok && v != "" && field == "kind":
			f.kinds = append(f.kinds, v)
		case ok && v != "" && (field == "actor" || field == "by"):
			f.actors = append(f.actors, v)
		case ok && v != "" && field == "step":
			f.steps = append(f.steps, v)
		default:
			f.text = append(f.text, w)
		}
	}
	return f
}

func (f eventFilter) match(e *journal.Event) bool {
	anyOf := func(vals []string, ok func(string) bool) bool {
		if len(vals) == 0 {
			return true
		}
		for _, v := range vals {
			if ok(v) {
				return true
			}
		}
		return false
	}
	kind, actor, step := strings.ToLower(e.Kind), strings.ToLower(e.Actor), strings.ToLower(e.Step)
	if !anyOf(f.kinds, func(v string) bool { return strings.HasPrefix(kind, v) }) ||
		!anyOf(f.actors, func(v string) bool { return actor == v }) ||
		!anyOf(f.steps, func(v string) bool { return step == v || (f.numbers[v] != "" && step == strings.ToLower(f.numbers[v])) }) {
		return false
	}
	if len(f.text) == 0 {
		return true
	}
	hay := kind + " " + actor + " " + step + " " + strings.ToLower(e.Summary)
	for _, w := range f.text {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func (t timelineModel) rows() int {
	n := t.h - 2
	if t.filtering || t.filter.Value() != "" {
		n--
	}
	return max(n, 1)
}

func (t timelineModel) update(msg tea.Msg) (timelineModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return t, nil
	}
	if t.filtering {
		switch km.Type {
		case tea.KeyEnter:
			t.filtering = false
			t.filter.Blur()
			return t, nil
		case tea.KeyEsc:
			t.filtering = false
			t.filter.Blur()
			t.filter.SetValue("")
			t.apply()
			return t, nil
		}
		var cmd tea.Cmd
		t.filter, cmd = t.filter.Update(msg)
		t.apply()
		return t, cmd
	}
	if t.open {
		switch {
		case km.Type == tea.KeyEsc || km.Type == tea.KeyEnter:
			t.open = false
		case key.Matches(km, t.nav.Down), key.Matches(km, t.nav.PageDown):
			t.scroll = pageScroll(t.scroll, pageStep(len(t.detail()), t.scroll, t.h-1), len(t.detail()), t.h-1)
		case key.Matches(km, t.nav.Up), key.Matches(km, t.nav.PageUp):
			t.scroll = pageScroll(t.scroll, -pageStep(len(t.detail()), t.scroll, t.h-1), len(t.detail()), t.h-1)
		}
		return t, nil
	}
	switch {
	case km.Type == tea.KeyEsc && t.filter.Value() != "":
		t.filter.SetValue("")
		t.apply()
		t.cursor = max(len(t.shown)-1, 0)
	case key.Matches(km, t.nav.Up):
		t.cursor = max(t.cursor-1, 0)
	case key.Matches(km, t.nav.Down):
		t.cursor = min(t.cursor+1, max(len(t.shown)-1, 0))
	case key.Matches(km, t.nav.PageUp):
		t.cursor = max(t.cursor-t.rows(), 0)
	case key.Matches(km, t.nav.PageDown):
		t.cursor = min(t.cursor+t.rows(), max(len(t.shown)-1, 0))
	case key.Matches(km, t.nav.Top):
		t.cursor = 0
	case key.Matches(km, t.nav.Bottom):
		t.cursor = max(len(t.shown)-1, 0)
	case km.Type == tea.KeyEnter:
		if t.cursor < len(t.shown) {
			t.open, t.scroll = true, 0
		}
	case key.Matches(km, t.nav.Filter):
		t.filtering = true
		return t, t.filter.Focus()
	}
	t.keepCursor()
	return t, nil
}

// detail is the selected event in full: every field, the summary and the
// data wrapped, nothing cut.
func (t timelineModel) detail() []string {
	if t.cursor >= len(t.shown) {
		return nil
	}
	e := &t.events[t.shown[t.cursor]]
	w := max(t.w, 20)
	out := []string{
		t.st.Header.Render(fmt.Sprintf("%s — %s", e.Kind, clean(e.Actor))),
		"at      " + e.At.UTC().Format("2006-01-02 15:04:05.000Z") + " (when it happened, as given)",
		"logged  " + e.Logged.UTC().Format("2006-01-02 15:04:05.000Z") + " (when it was written)",
		fmt.Sprintf("seq     %d of %s.jsonl", e.Seq, clean(e.Actor)),
		"id      " + e.ID,
	}
	if e.Step != "" {
		out = append(out, "step    "+clean(e.Step))
	}
	out = append(out, "")
	out = append(out, wrap(clean(e.Summary), w)...)
	if data := strings.TrimSpace(string(e.Data)); data != "" && data != "{}" {
		out = append(out, "", "data:")
		var b bytes.Buffer
		if json.Indent(&b, e.Data, "  ", "  ") == nil {
			data = "  " + b.String()
		}
		// wrap shows control bytes escaped and keeps each line's indent
		// (clean would fold it away).
		out = append(out, wrap(data, w)...)
	}
	return out
}

func (t timelineModel) view() string {
	var b strings.Builder
	b.WriteString(t.st.Title.Render(fmt.Sprintf("Timeline: %d of %d events (UTC)", len(t.shown), len(t.events))) + "\n")
	chain := truncate(clean(t.chain), t.w)
	if !strings.HasPrefix(t.chain, "journal verified") {
		chain = t.st.Bad.Render(chain)
	}
	b.WriteString(chain + "\n")
	if t.filtering || t.filter.Value() != "" {
		b.WriteString(t.filter.View() + "\n")
	}
	if t.open {
		var b2 strings.Builder
		for _, l := range page(t.detail(), t.scroll, t.h-1, t.st.Muted.Render) {
			b2.WriteString(truncate(l, t.w) + "\n")
		}
		b2.WriteString(t.st.Muted.Render("esc or enter: back to the timeline") + "\n")
		return b2.String()
	}
	if len(t.shown) == 0 && len(t.events) > 0 {
		b.WriteString(t.st.Muted.Render(truncate(fmt.Sprintf("No event matches %q. Terms: kind:K actor:A step:ID-or-number, or any text; esc clears the filter.", clean(t.filter.Value())), t.w)) + "\n")
		return b.String()
	}
	end := min(t.top+t.rows(), len(t.shown))
	for n, i := range t.shown[t.top:end] {
		e := &t.events[i]
		step := ""
		if e.Step != "" {
			step = " [" + clean(e.Step) + "]"
		}
		line := fmt.Sprintf("  %s  %-10s %-17s %s%s", e.At.UTC().Format("2006-01-02 15:04:05Z"), truncate(clean(e.Actor), 10), e.Kind, clean(e.Summary), step)
		line = truncate(line, t.w)
		if t.top+n == t.cursor {
			line = t.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), t.w))
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func (t timelineModel) shortHelp() []key.Binding {
	if t.open {
		return []key.Binding{t.nav.Down, t.nav.Up, t.show}
	}
	return []key.Binding{t.nav.Up, t.nav.Down, t.show, t.nav.Filter}
}

func (t timelineModel) fullHelp() []key.Binding {
	if t.open {
		return t.shortHelp()
	}
	return []key.Binding{t.nav.Up, t.nav.Down, t.nav.PageDown, t.nav.PageUp, t.nav.Top, t.nav.Bottom, t.show, t.nav.Filter}
}
