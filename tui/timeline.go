package tui

import (
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
	chain     string // journal verification status
}

func newTimeline(st styles.Styles) timelineModel {
	ti := newInput("/ ", "kind:action actor:bob step:isolate-key or any text (all must match)")
	return timelineModel{st: st, nav: keys.NewNav(), filter: ti}
}

func (t *timelineModel) setSize(w, h int) { t.w, t.h = w, h }

func (t *timelineModel) set(evs []journal.Event, chain string) {
	t.events, t.chain = evs, chain
	t.apply()
	// Follow the end, as a log does.
	t.top = max(len(t.shown)-t.rows(), 0)
}

func (t *timelineModel) apply() {
	f := parseFilter(t.filter.Value())
	t.shown = t.shown[:0]
	for i := range t.events {
		if f.match(&t.events[i]) {
			t.shown = append(t.shown, i)
		}
	}
	t.top = min(t.top, max(len(t.shown)-t.rows(), 0))
}

// eventFilter is the timeline's filter: every term must match. A term
// kind:X, actor:X or step:X matches that field (a prefix of the kind, so
// kind:action finds action.done and action.failed; the actor and step
// exactly); any other term is looked for in the kind, actor, step and
// summary. Case does not matter.
type eventFilter struct {
	kinds, actors, steps []string
	text                 []string
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
		!anyOf(f.steps, func(v string) bool { return step == v }) {
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
	last := max(len(t.shown)-t.rows(), 0)
	switch {
	case key.Matches(km, t.nav.Up):
		t.top = clampTop(t.top, -1, len(t.shown), t.rows())
	case key.Matches(km, t.nav.Down):
		t.top = clampTop(t.top, 1, len(t.shown), t.rows())
	case key.Matches(km, t.nav.PageUp):
		t.top = clampTop(t.top, -t.rows(), len(t.shown), t.rows())
	case key.Matches(km, t.nav.PageDown):
		t.top = clampTop(t.top, t.rows(), len(t.shown), t.rows())
	case key.Matches(km, t.nav.Top):
		t.top = 0
	case key.Matches(km, t.nav.Bottom):
		t.top = last
	case key.Matches(km, t.nav.Filter):
		t.filtering = true
		return t, t.filter.Focus()
	}
	return t, nil
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
	end := min(t.top+t.rows(), len(t.shown))
	for _, i := range t.shown[t.top:end] {
		e := &t.events[i]
		step := ""
		if e.Step != "" {
			step = " [" + clean(e.Step) + "]"
		}
		line := fmt.Sprintf("%s  %-10s %-17s %s%s", e.At.UTC().Format("2006-01-02 15:04:05Z"), truncate(clean(e.Actor), 10), e.Kind, clean(e.Summary), step)
		b.WriteString(truncate(line, t.w) + "\n")
	}
	return b.String()
}

func (t timelineModel) shortHelp() []key.Binding {
	return []key.Binding{t.nav.Up, t.nav.Down, t.nav.PageDown, t.nav.Filter}
}
