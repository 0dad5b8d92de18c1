package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// newIncidentModel is the new-incident wizard: first the playbook (its
// indicators help choose), then the title, severity on both scales, the
// facts the playbook asks for and the optional milestone times, each
// checked as it is typed by the same validation `incident open` uses.
type newIncidentModel struct {
	lib    *playbooks.Library
	now    func() time.Time
	theme  *huh.Theme
	width  int
	height int
	drill  bool

	form  *huh.Form
	stage int // 0: choose the playbook; 1: the details
	pb    *playbooks.Playbook
	// a holds the answers: the form's fields point into it, so it lives
	// on the heap and survives Bubble Tea copying the model.
	a *answers
}

type answers struct {
	pbID, title, detected, comprom string
	sev                            severity.Level
	facts                          map[string]*string
}

func newNewIncident(lib *playbooks.Library, now func() time.Time, noColor bool, width, height int, drill bool) (newIncidentModel, tea.Cmd) {
	n := newIncidentModel{lib: lib, now: now, theme: huh.ThemeCharm(), width: width, height: height, drill: drill, a: &answers{}}
	if noColor {
		n.theme = huh.ThemeBase()
	}
	var opts []huh.Option[string]
	for _, p := range lib.All() {
		if p.Kind == playbooks.KindDrill {
			continue
		}
		opts = append(opts, huh.NewOption(fmt.Sprintf("%-10s %s (%s)", p.ID, clean(p.Title), p.Severity.Both()), p.ID))
	}
	what := "Open an incident: which playbook?"
	if drill {
		what = "Start a drill (recorded as a drill, same code): which playbook?"
	}
	sel := huh.NewSelect[string]().Title(what).Options(opts...).Value(&n.a.pbID).Height(len(opts)+10).
		DescriptionFunc(func() string { return n.indicators(n.a.pbID) }, &n.a.pbID)
	n.form = n.wrap(huh.NewForm(huh.NewGroup(sel)))
	return n, n.form.Init()
}

func (n *newIncidentModel) wrap(f *huh.Form) *huh.Form {
	return f.WithTheme(n.theme).WithWidth(min(max(n.width-2, 40), 100)).WithHeight(max(n.height-1, 10)).WithShowHelp(true)
}

// indicators describes when a playbook applies.
func (n *newIncidentModel) indicators(id string) string {
	p, ok := n.lib.Get(id)
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString(clean(p.Summary))
	for _, in := range p.Indicators {
		b.WriteString("\n• " + clean(in))
	}
	return b.String()
}

func (n *newIncidentModel) details() tea.Cmd {
	p, _ := n.lib.Get(n.a.pbID)
	n.pb, n.a.sev, n.stage = p, p.Severity, 1
	n.a.facts = map[string]*string{}
	var sevOpts []huh.Option[severity.Level]
	for _, l := range severity.Levels {
		sevOpts = append(sevOpts, huh.NewOption(fmt.Sprintf("%s — response %s: %s", l.Both(), l.ResponseText(), l.Description()), l))
	}
	fields := []huh.Field{
		huh.NewInput().Title("Title").Description("one line: what happened").Value(&n.a.title).CharLimit(200).Validate(incident.CheckTitle),
		huh.NewSelect[severity.Level]().Title("Severity").Options(sevOpts...).Value(&n.a.sev),
	}
	for _, in := range p.Inputs {
		if in.Recorded {
			continue // an action records it: not asked here
		}
		v := new(string)
		if in.Default != "" {
			*v = in.Default
		}
		n.a.facts[in.Name] = v
		name, required := in.Name, in.Required
		title := clean(in.Title) + " (" + in.Name + ")"
		if !required {
			title += " — optional"
		}
		fields = append(fields, huh.NewInput().Title(title).Description(clean(in.Description)).Value(v).
			Validate(func(s string) error { return n.checkFact(name, s, required) }))
	}
	fields = append(fields,
		huh.NewInput().Title("Detected at — optional").Description("e.g. -40m, -2h, 2026-11-22 01:10 (UTC)").Value(&n.a.detected).Validate(n.checkTime),
		huh.NewInput().Title("Compromise estimated at — optional").Description("when the key or module was first exposed").Value(&n.a.comprom).Validate(n.checkTime),
	)
	n.form = n.wrap(huh.NewForm(huh.NewGroup(fields...).Title(p.ID + " " + clean(p.Title))))
	return n.form.Init()
}

func (n *newIncidentModel) checkFact(name, v string, required bool) error {
	if strings.TrimSpace(v) == "" {
		if required {
			return errors.New("required")
		}
		return nil
	}
	_, err := incident.CheckFacts(n.pb, map[string]string{name: v}, n.now())
	return err
}

func (n *newIncidentModel) checkTime(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	_, err := incident.ParseTime(s, n.now())
	return err
}

// openOptions gathers the answers.
func (n *newIncidentModel) openOptions(actor string) (incident.OpenOptions, error) {
	o := incident.OpenOptions{Playbook: n.pb, Title: n.a.title, Severity: n.a.sev, Drill: n.drill, Actor: actor, Facts: map[string]string{}}
	for k, v := range n.a.facts {
		if strings.TrimSpace(*v) != "" {
			o.Facts[k] = *v
		}
	}
	var err error
	if strings.TrimSpace(n.a.detected) != "" {
		if o.DetectedAt, err = incident.ParseTime(n.a.detected, n.now()); err != nil {
			return o, err
		}
	}
	if strings.TrimSpace(n.a.comprom) != "" {
		if o.CompromisedAt, err = incident.ParseTime(n.a.comprom, n.now()); err != nil {
			return o, err
		}
	}
	return o, nil
}

// update returns done when the wizard ended: cmd then opens the incident
// (or is nil when the responder cancelled).
func (n newIncidentModel) update(msg tea.Msg, ctx context.Context, ws *incident.Workspace, actor string) (newIncidentModel, tea.Cmd, bool) {
	if km, ok := msg.(tea.KeyMsg); ok && km.Type == tea.KeyEsc {
		return n, nil, true
	}
	fm, cmd := n.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		n.form = f
	}
	switch n.form.State {
	case huh.StateAborted:
		return n, nil, true
	case huh.StateCompleted:
		if n.stage == 0 {
			return n, n.details(), false
		}
		o, err := n.openOptions(actor)
		return n, func() tea.Msg {
			if err != nil {
				return changedMsg{err: err}
			}
			inc, err := ws.Open(ctx, o)
			if err != nil {
				return changedMsg{err: err}
			}
			return openMsg{id: inc.Header.ID}
		}, true
	}
	return n, cmd, false
}

func (n newIncidentModel) view() string { return n.form.View() }
