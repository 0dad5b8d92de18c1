package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var cmdPlaybooksList = &command{
	name:    "playbooks list",
	args:    "[--json]",
	summary: "List the playbooks: shipped ones and those from --playbooks directories.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func([]string) error {
			lib, err := a.library()
			if err != nil {
				return err
			}
			if a.json {
				type row struct {
					ID         string   `json:"id"`
					Version    string   `json:"version"`
					Title      string   `json:"title"`
					Kind       string   `json:"kind"`
					Severity   string   `json:"severity"`
					SEV        string   `json:"sev"`
					Indicators []string `json:"indicators"`
					Steps      int      `json:"steps"`
					File       string   `json:"file"`
					Digest     string   `json:"digest"`
				}
				rows := []row{}
				for _, p := range lib.All() {
					rows = append(rows, row{p.ID, p.Version, p.Title, p.Kind, p.Severity.String(), p.Severity.SEV(), orEmpty(p.Indicators), len(p.Steps()), p.File, p.Digest})
				}
				return a.printJSON(rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSEVERITY\tSTEPS\tTITLE")
			for _, p := range lib.All() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.ID, p.Kind, p.Severity.Both(), len(p.Steps()), textutil.Line(p.Title))
			}
			return tw.Flush()
		}
	},
}

var cmdPlaybooksShow = &command{
	name:    "playbooks show",
	args:    "ID",
	summary: "Show a playbook: indicators, inputs, and every step with its RACI, deadline and guidance.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		return func(args []string) error {
			lib, err := a.library()
			if err != nil {
				return err
			}
			p, ok := lib.Get(args[0])
			if !ok {
				return withHint(fmt.Errorf("no playbook %q", args[0]), "playbooks: %s", strings.Join(lib.IDs(), ", "))
			}
			a.showPlaybook(p)
			return nil
		}
	},
}

func (a *invocation) showPlaybook(p *playbooks.Playbook) {
	l := textutil.Line
	a.printf("%s v%s — %s\n", p.ID, l(p.Version), l(p.Title))
	a.printf("kind %s, default severity %s (response %s)\n", p.Kind, p.Severity.Both(), p.Severity.ResponseText())
	if p.Source != "" {
		a.printf("source: %s\n", l(p.Source))
	}
	if p.Summary != "" {
		a.printf("\n%s\n", textutil.Clean(wrap(p.Summary, 90), true))
	}
	if len(p.Indicators) > 0 {
		a.printf("\nIndicators\n")
		for _, in := range p.Indicators {
			a.printf("  - %s\n", l(in))
		}
	}
	if len(p.Inputs) > 0 {
		a.printf("\nInputs (set with --fact NAME=VALUE or firebreak fact ID NAME=VALUE)\n")
		for _, in := range p.Inputs {
			req := ""
			if in.Required {
				req = ", required"
			}
			if in.Default != "" {
				req += ", default " + l(in.Default)
			}
			a.printf("  %-14s %s (%s%s)\n", in.Name, l(in.Title), in.Type, req)
		}
	}
	for _, ph := range p.Phases {
		dl := ""
		if ph.Deadline > 0 {
			dl = " — within " + playbooks.FormatDuration(ph.Deadline) + " of opening"
		}
		a.printf("\n== %s%s\n", l(ph.Title), dl)
		for _, s := range ph.Steps {
			a.printf("\n%s %s (%s)\n", s.Number, l(s.Title), s.ID)
			a.printf("   RACI: %s\n", l(s.RACI.String()))
			if s.Deadline > 0 {
				a.printf("   Deadline: %s after opening\n", playbooks.FormatDuration(s.Deadline))
			}
			if s.Action != nil {
				a.printf("   Action: %s\n", s.Action.Name)
			}
			if g := strings.TrimSpace(s.Guidance); g != "" {
				a.printf("\n")
				for _, line := range strings.Split(textutil.Clean(g, true), "\n") {
					a.printf("   %s\n", line)
				}
			}
			if len(s.Checklist) > 0 {
				a.printf("\n")
				for _, c := range s.Checklist {
					a.printf("   [ ] %s\n", l(c))
				}
			}
		}
	}
}

func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

var cmdPlaybooksValidate = &command{
	name:    "playbooks validate",
	args:    "FILE...",
	summary: "Check playbook files. Every problem is printed as file:line:col: message; exit 1 if any.",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		return func(args []string) error {
			bad := 0
			for _, path := range args {
				b, err := playbooks.ReadFile(path)
				if err != nil {
					fmt.Fprintf(a.stdout, "%s\n", textutil.Line(err.Error()))
					bad++
					continue
				}
				b, err = playbooks.ExpandIncludes(path, b)
				var p *playbooks.Playbook
				if err == nil {
					p, err = playbooks.Parse(path, b, playbooks.Options{Actions: app.CheckArgs})
				}
				var es playbooks.Errors
				if errors.As(err, &es) {
					for _, e := range es {
						fmt.Fprintf(a.stdout, "%s\n", textutil.Line(e.Error()))
					}
					bad++
					continue
				}
				if err != nil {
					return err
				}
				a.printf("%s: ok: %s v%s, %d phases, %d steps\n", textutil.Clean(path, false), p.ID, textutil.Line(p.Version), len(p.Phases), len(p.Steps()))
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d file(s) have problems", bad, len(args))
			}
			return nil
		}
	},
}

var cmdMetrics = &command{
	name:    "metrics",
	args:    "[--json]",
	summary: "Response metrics over all incidents, against the WSC targets. Drill incidents are never counted.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func([]string) error {
			ids, err := a.ws.IDs()
			if err != nil {
				return err
			}
			var states []*incident.State
			var unreadable []string
			for _, id := range ids {
				inc, err := a.ws.Load(id)
				if err != nil {
					unreadable = append(unreadable, id)
					continue
				}
				st, err := inc.State()
				if err != nil {
					unreadable = append(unreadable, id)
					continue
				}
				states = append(states, st)
			}
			aggs, counted, drills := incident.AggregateMetrics(states)
			for _, id := range unreadable {
				fmt.Fprintf(a.stderr, "firebreak: warning: incident %s is unreadable and not counted\n", textutil.Clean(id, false))
			}
			if a.json {
				type agg struct {
					incident.Aggregate
					MedianSeconds *int64 `json:"median_seconds,omitempty"`
					MaxSeconds    *int64 `json:"max_seconds,omitempty"`
				}
				out := struct {
					Incidents  int   `json:"incidents"`
					Drills     int   `json:"drills_excluded"`
					Unreadable int   `json:"unreadable"`
					Metrics    []agg `json:"metrics"`
				}{Incidents: counted, Drills: drills, Unreadable: len(unreadable), Metrics: []agg{}}
				for _, g := range aggs {
					x := agg{Aggregate: g}
					if g.Measured > 0 {
						m, mx := int64(g.Median/time.Second), int64(g.Max/time.Second)
						x.MedianSeconds, x.MaxSeconds = &m, &mx
					}
					out.Metrics = append(out.Metrics, x)
				}
				return a.printJSON(out)
			}
			a.printf("%d incident(s) counted, %d drill(s) excluded\n\n", counted, drills)
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "METRIC\tTARGET\tMEASURED\tMET TARGET\tMEDIAN\tWORST\tDEFINITION")
			for _, g := range aggs {
				med, worst := "—", "—"
				if g.Measured > 0 {
					med, worst = incident.FormatSpan(g.Median), incident.FormatSpan(g.Max)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\t%s\t%s\t%s\n", g.Name, g.TargetText, g.Measured, g.Met, g.Measured, med, worst, g.Definition)
			}
			return tw.Flush()
		}
	},
}
