package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// libraryModel browses the playbooks: what each is for (summary and
// indicators), the facts it asks for, and its phases and steps with their
// deadlines, roles and actions, so a responder can choose before opening.
type libraryModel struct {
	st     styles.Styles
	nav    keys.Nav
	lib    *playbooks.Library
	cursor int
	scroll int
	w, h   int
	// rotationDue is the signing key's rotation date the incidents last
	// measured (key.age), and in which incident; now is when read.
	rotationDue time.Time
	rotationBy  string
	now         time.Time
}

// setRotation keeps the latest rotation date the incidents measured: the
// current key's (an older key's comes earlier).
func (l *libraryModel) setRotation(rows []app.Summary, now time.Time) {
	l.rotationDue, l.rotationBy, l.now = time.Time{}, "", now
	for _, r := range rows {
		if r.RotationDue.After(l.rotationDue) {
			l.rotationDue, l.rotationBy = r.RotationDue, r.ID
		}
	}
}

// keyAge says when the signing key's rotation is due, for a playbook that
// checks it (ROTATION's check-key-age).
func (l libraryModel) keyAge(p *playbooks.Playbook) []string {
	checks := false
	for _, s := range p.Steps() {
		checks = checks || s.Action != nil && s.Action.Name == actions.NameKeyAge
	}
	if !checks {
		return nil
	}
	out := []string{"", l.st.Header.Render("Signing key age")}
	switch {
	case l.rotationDue.IsZero():
		out = append(out, "not measured yet: run ROTATION's check-key-age step")
	case l.now.Before(l.rotationDue):
		out = append(out, fmt.Sprintf("rotation due on %s (%s left)", l.rotationDue.Format("2006-01-02"), incident.FormatSpan(l.rotationDue.Sub(l.now))))
	default:
		out = append(out, l.st.Bad.Render(fmt.Sprintf("ROTATION DUE since %s (%s ago)", l.rotationDue.Format("2006-01-02"), incident.FormatSpan(l.now.Sub(l.rotationDue)))))
	}
	if !l.rotationDue.IsZero() {
		out = append(out, l.st.Muted.Render("as measured in "+clean(l.rotationBy)))
	}
	return out
}

func newLibrary(st styles.Styles, lib *playbooks.Library) libraryModel {
	return libraryModel{st: st, nav: keys.NewNav(), lib: lib}
}

func (l *libraryModel) setSize(w, h int) { l.w, l.h = w, h }

func (l libraryModel) all() []*playbooks.Playbook {
	if l.lib == nil {
		return nil
	}
	return l.lib.All()
}

func (l libraryModel) update(msg tea.Msg) (libraryModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return l, nil
	}
	switch {
	case key.Matches(km, l.nav.Up):
		l.cursor, l.scroll = max(l.cursor-1, 0), 0
	case key.Matches(km, l.nav.Down):
		l.cursor, l.scroll = min(l.cursor+1, max(len(l.all())-1, 0)), 0
	case key.Matches(km, l.nav.PageDown):
		n := len(l.detailOf())
		l.scroll = pageScroll(l.scroll, pageStep(n, l.scroll, l.h-1), n, l.h-1)
	case key.Matches(km, l.nav.PageUp):
		n := len(l.detailOf())
		l.scroll = pageScroll(l.scroll, -pageStep(n, l.scroll, l.h-1), n, l.h-1)
	}
	return l, nil
}

func (l libraryModel) detail(p *playbooks.Playbook, w int) []string {
	out := []string{l.st.Header.Render(fmt.Sprintf("%s %s — %s, default %s", p.ID, clean(p.Title), p.Kind, p.Severity.Both()))}
	out = append(out, wrap(p.Summary, w)...)
	out = append(out, l.keyAge(p)...)
	if len(p.Indicators) > 0 {
		out = append(out, "", l.st.Header.Render("Indicators"))
		for _, in := range p.Indicators {
			out = append(out, "• "+clean(in))
		}
	}
	if len(p.Inputs) > 0 {
		out = append(out, "", l.st.Header.Render("Facts it asks for"))
		for _, in := range p.Inputs {
			req := "optional"
			if in.Required {
				req = "required"
			}
			out = append(out, fmt.Sprintf("%s (%s, %s): %s", in.Name, in.Type, req, clean(in.Title)))
		}
	}
	for _, ph := range p.Phases {
		head := clean(ph.Title)
		if ph.Deadline > 0 {
			head += " — within " + playbooks.FormatDuration(ph.Deadline)
		}
		out = append(out, "", l.st.Header.Render(head))
		for _, s := range ph.Steps {
			line := fmt.Sprintf("%-4s %s", s.Number, clean(s.Title))
			if s.Action != nil {
				line += "  [" + s.Action.Name + "]"
			}
			out = append(out, line, l.st.Muted.Render("     "+clean(s.RACI.String())))
		}
	}
	if p.Source != "" {
		out = append(out, "", l.st.Muted.Render("Source: "+clean(p.Source)))
	}
	return out
}

func (l libraryModel) widths() (left, right int) {
	left = min(max(l.w/4, 20), 32)
	return left, max(l.w-left-3, 20)
}

// detailOf is the selected playbook's detail, as the view lays it out.
func (l libraryModel) detailOf() []string {
	ps := l.all()
	if len(ps) == 0 {
		return nil
	}
	_, rightW := l.widths()
	return l.detail(ps[min(l.cursor, len(ps)-1)], rightW)
}

func (l libraryModel) view() string {
	var b strings.Builder
	b.WriteString(l.st.Title.Render("Playbook library") + "\n")
	ps := l.all()
	if len(ps) == 0 {
		return b.String() + l.st.Muted.Render("No playbooks loaded.")
	}
	leftW, rightW := l.widths()
	var left []string
	for i, p := range ps {
		line := truncate(fmt.Sprintf("  %-10s %s", p.ID, p.Severity.SEV()), leftW)
		if i == l.cursor {
			line = l.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), leftW))
		}
		left = append(left, line)
	}
	h := max(l.h-1, 1)
	right := page(l.detail(ps[min(l.cursor, len(ps)-1)], rightW), l.scroll, h, l.st.Muted.Render)
	panes(&b, scrollList(left, l.cursor, h, l.st.Muted.Render), right, leftW, rightW, h, l.st.Border.Render(" │ "))
	return b.String()
}

func (l libraryModel) shortHelp() []key.Binding {
	return []key.Binding{l.nav.Up, l.nav.Down, l.nav.PageDown}
}
