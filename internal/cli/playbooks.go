package cli

import (
	"errors"
	"flag"
	"fmt"
	"sort"
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
	args:    "[--since TIME] [--by severity|playbook] [--json]",
	summary: "Response metrics over incidents, against the WSC targets: all of them, or those opened since TIME,\nas one set or by severity or playbook, to see trends. Drill incidents are never counted.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		since := fs.String("since", "", "count incidents opened from `TIME` on (-30d, 2026-11-01, RFC 3339)")
		by := fs.String("by", "", "group by `severity` or playbook")
		jsonFlag(a, fs)
		return func([]string) error {
			var from time.Time
			if *since != "" {
				t, err := parseSince(*since, a.now())
				if err != nil {
					return err
				}
				from = t
			}
			if *by != "" && *by != "severity" && *by != "playbook" {
				return usagef("--by severity or --by playbook", "cannot group by %q", *by)
			}
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
				if !from.IsZero() && inc.Header.Created.Before(from) {
					continue
				}
				st, err := inc.State()
				if err != nil {
					unreadable = append(unreadable, id)
					continue
				}
				states = append(states, st)
			}
			for _, id := range unreadable {
				fmt.Fprintf(a.stderr, "firebreak: warning: incident %s is unreadable and not counted\n", textutil.Clean(id, false))
			}
			groups := groupStates(states, *by)
			if a.json {
				type agg struct {
					incident.Aggregate
					MedianSeconds *int64 `json:"median_seconds,omitempty"`
					MaxSeconds    *int64 `json:"max_seconds,omitempty"`
				}
				type set struct {
					Group     string `json:"group,omitempty"`
					Incidents int    `json:"incidents"`
					Drills    int    `json:"drills_excluded"`
					Metrics   []agg  `json:"metrics"`
				}
				sets := []set{}
				for _, g := range groups {
					aggs, counted, drills := incident.AggregateMetrics(g.states)
					x := set{Group: g.name, Incidents: counted, Drills: drills, Metrics: []agg{}}
					for _, m := range aggs {
						y := agg{Aggregate: m}
						if m.Measured > 0 {
							med, mx := int64(m.Median/time.Second), int64(m.Max/time.Second)
							y.MedianSeconds, y.MaxSeconds = &med, &mx
						}
						x.Metrics = append(x.Metrics, y)
					}
					sets = append(sets, x)
				}
				out := struct {
					Since      *time.Time `json:"since,omitempty"`
					By         string     `json:"by,omitempty"`
					Unreadable int        `json:"unreadable"`
					set
					Groups []set `json:"groups,omitempty"`
				}{By: *by, Unreadable: len(unreadable)}
				if !from.IsZero() {
					out.Since = &from
				}
				if *by == "" {
					out.set = sets[0]
				} else {
					out.Groups = sets
					for _, s := range sets {
						out.Incidents += s.Incidents
						out.Drills += s.Drills
					}
					out.Metrics = []agg{}
				}
				return a.printJSON(out)
			}
			if !from.IsZero() {
				a.printf("Incidents opened since %s.\n", stampUTC(from))
			}
			for i, g := range groups {
				aggs, counted, drills := incident.AggregateMetrics(g.states)
				if i > 0 {
					a.printf("\n")
				}
				if g.name != "" {
					a.printf("%s: ", textutil.Line(g.name))
				}
				a.printf("%d incident(s) counted, %d drill(s) excluded\n\n", counted, drills)
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "METRIC\tTARGET\tMEASURED\tMET TARGET\tMEDIAN\tWORST\tDEFINITION")
				for _, m := range aggs {
					med, worst := "—", "—"
					if m.Measured > 0 {
						med, worst = incident.FormatSpan(m.Median), incident.FormatSpan(m.Max)
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\t%s\t%s\t%s\n", m.Name, m.TargetText, m.Measured, m.Met, m.Measured, med, worst, m.Definition)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if *by != "" && len(groups) == 0 {
				a.printf("No incidents.\n")
			}
			return nil
		}
	},
}

type stateGroup struct {
	name   string
	states []*incident.State
}

// groupStates groups incidents by severity (most severe first) or
// playbook (by id); one unnamed group when by is empty.
func groupStates(states []*incident.State, by string) []stateGroup {
	if by == "" {
		return []stateGroup{{states: states}}
	}
	idx := map[string]int{}
	var out []stateGroup
	key := func(st *incident.State) (string, string) {
		if by == "severity" {
			return fmt.Sprintf("%d", st.Severity), st.Severity.SEV() + " (" + st.Severity.String() + ")"
		}
		return st.Header.Playbook.ID, st.Header.Playbook.ID
	}
	keys := map[string]string{}
	for _, st := range states {
		k, name := key(st)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			keys[name] = k
			out = append(out, stateGroup{name: name})
		}
		out[i].states = append(out[i].states, st)
	}
	sort.Slice(out, func(i, j int) bool { return keys[out[i].name] < keys[out[j].name] })
	return out
}
