package cli

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/severity"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var cmdIncidentOpen = &command{
	name:    "incident open",
	args:    "--playbook ID --title TEXT [--severity LEVEL] [--drill] [--fact NAME=VALUE]... [--detected TIME] [--compromised TIME] [--json]",
	summary: "Open a new incident following a playbook and print its id.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var o openArgs
		fs.StringVar(&o.playbook, "playbook", "", "playbook `ID` to follow (firebreak playbooks list)")
		fs.StringVar(&o.title, "title", "", "one-line `TEXT` saying what happened")
		fs.StringVar(&o.sev, "severity", "", "`LEVEL`: Critical, High, Medium, Low or SEV-1, SEV-2, SEV-3 (default: the playbook's)")
		fs.BoolVar(&o.drill, "drill", false, "this is a drill: flagged everywhere, never counted in metrics")
		fs.Var(&o.facts, "fact", "a playbook input, `NAME=VALUE` (repeatable)")
		fs.StringVar(&o.detected, "detected", "", "when the incident was detected (`TIME`)")
		fs.StringVar(&o.compromised, "compromised", "", "when the compromise happened, best estimate (`TIME`)")
		jsonFlag(a, fs)
		return func([]string) error { return a.openIncident(o) }
	},
}

type openArgs struct {
	playbook, title, sev, detected, compromised string
	drill                                       bool
	facts                                       multiFlag
}

func (a *invocation) openIncident(o openArgs) error {
	if o.playbook == "" || strings.TrimSpace(o.title) == "" {
		return usagef("firebreak incident open --playbook INC-1 --title \"Signing key leaked\"", "--playbook and --title are required")
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	p, ok := lib.Get(o.playbook)
	if !ok {
		return withHint(fmt.Errorf("no playbook %q", o.playbook), "playbooks: %s", strings.Join(lib.IDs(), ", "))
	}
	opts := incident.OpenOptions{Playbook: p, Title: o.title, Drill: o.drill, Actor: a.actor, Facts: map[string]string{}}
	if o.sev != "" {
		if opts.Severity, err = severity.Parse(o.sev); err != nil {
			return usagef("", "--severity: %v", err)
		}
	}
	for _, f := range o.facts {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return usagef("--fact key_path=/keys/prod.sec", "--fact %q is not NAME=VALUE", f)
		}
		opts.Facts[k] = v
	}
	if opts.DetectedAt, err = a.parseFlagTime("--detected", o.detected); err != nil {
		return err
	}
	if opts.CompromisedAt, err = a.parseFlagTime("--compromised", o.compromised); err != nil {
		return err
	}
	inc, err := a.ws.Open(a.ctx, opts)
	if err != nil {
		return err
	}
	st, err := inc.State()
	if err != nil {
		return err
	}
	missing := incident.MissingFacts(p, st.Facts)
	for _, m := range missing {
		fmt.Fprintf(a.stderr, "firebreak: note: %s needs fact %s: firebreak fact %s %s=VALUE\n", p.ID, m, inc.Header.ID, m)
	}
	for _, ap := range incident.AbsentPaths(p, st.Facts) {
		name, _, _ := strings.Cut(ap, ":")
		fmt.Fprintf(a.stderr, "firebreak: warning: %s does not exist (mistyped? firebreak fact %s %s=PATH corrects it)\n", textutil.Line(ap), inc.Header.ID, name)
	}
	if a.json {
		return a.printJSON(map[string]any{
			"id": inc.Header.ID, "dir": inc.Dir, "playbook": p.ID, "title": inc.Header.Title,
			"severity": st.Severity.String(), "sev": st.Severity.SEV(), "drill": inc.Header.Drill,
			"created": inc.Header.Created, "response_deadline": st.ResponseDeadline(), "missing_facts": orEmpty(missing),
		})
	}
	a.printf("%s\n", inc.Header.ID)
	return nil
}

func (a *invocation) parseFlagTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := incident.ParseTime(v, a.now())
	if err != nil {
		return time.Time{}, usagef("", "%s: %v", name, err)
	}
	return t, nil
}

// jsonFlag registers --json for a command that prints data.
func jsonFlag(a *invocation, fs *flag.FlagSet) {
	fs.BoolVar(&a.json, "json", false, "machine-readable output (docs/json.md)")
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var cmdIncidentList = &command{
	name:    "incident list",
	args:    "[--all] [--json]",
	summary: "List incidents, most urgent first: open before closed, real before drills, then severity,\nsteps overdue and the response deadline. Closed ones only with --all.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		all := fs.Bool("all", false, "include closed incidents")
		jsonFlag(a, fs)
		return func([]string) error { return a.listIncidents(*all) }
	},
}

func (a *invocation) summaries(all bool) ([]app.Summary, error) {
	return app.Summaries(a.ws, a.now(), all)
}

func (a *invocation) listIncidents(all bool) error {
	rows, err := a.summaries(all)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(rows)
	}
	if len(rows) == 0 {
		a.printf("No incidents in %s.\n", textutil.Clean(a.home, false))
		return nil
	}
	now := a.now()
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tPLAYBOOK\tSTEPS\tAGE\tSTATUS\tTITLE")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t?\t?\t?\t?\tUNREADABLE\t%s\n", textutil.Clean(r.ID, false), textutil.Line(r.Error))
			continue
		}
		status := strings.ToUpper(r.Status)
		if r.Drill {
			status += " (DRILL)"
		}
		if r.Overdue > 0 {
			status += fmt.Sprintf(", %d OVERDUE", r.Overdue)
		}
		fmt.Fprintf(tw, "%s\t%s / %s\t%s\t%d/%d\t%s\t%s\t%s\n", r.ID, r.Severity, r.SEV, r.Playbook,
			r.StepsClosed, r.StepsTotal, incident.FormatSpan(now.Sub(r.Created)), status, textutil.Line(r.Title))
	}
	return tw.Flush()
}

// incidentView is "incident show --json".
type incidentView struct {
	incident.Header
	Status           string                         `json:"status"`
	CurrentSeverity  string                         `json:"current_severity"`
	CurrentSEV       string                         `json:"current_sev"`
	Response         string                         `json:"response"`
	ResponseDeadline time.Time                      `json:"response_deadline"`
	SeverityHistory  []incident.SeverityChange      `json:"severity_history"`
	Facts            map[string]string              `json:"facts"`
	MissingFacts     []string                       `json:"missing_facts"`
	Steps            []stepView                     `json:"steps"`
	Milestones       map[string]time.Time           `json:"milestones"`
	Metrics          []export.MetricRecord          `json:"metrics"`
	Events           int                            `json:"events"`
	Actors           []string                       `json:"actors"`
	Torn             []string                       `json:"torn,omitempty"`
	Commander        incident.RoleHolder            `json:"commander"`
	Roles            map[string]incident.RoleHolder `json:"roles"`
	MySteps          []string                       `json:"my_steps"`
	StatusDue        *time.Time                     `json:"status_update_due,omitempty"`
	StatusOverdue    bool                           `json:"status_update_overdue"`
	Followups        []incident.Followup            `json:"followups"`
	LastSync         *time.Time                     `json:"last_sync,omitempty"`
	LastSyncError    string                         `json:"last_sync_error,omitempty"`
}

type stepView struct {
	Number   string          `json:"number"`
	ID       string          `json:"id"`
	Phase    string          `json:"phase"`
	Title    string          `json:"title"`
	State    playbooks.State `json:"state"`
	RACI     string          `json:"raci"`
	Deadline *time.Time      `json:"deadline,omitempty"`
	Overdue  bool            `json:"overdue"`
	By       string          `json:"by,omitempty"`
	At       *time.Time      `json:"at,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Action   string          `json:"action,omitempty"`
	Assignee string          `json:"assignee,omitempty"`
	// Approval is when and by whom the step needs approval; NeedsApproval
	// whether it still does at the current severity.
	Approval      string              `json:"approval,omitempty"`
	NeedsApproval bool                `json:"needs_approval"`
	Approvals     []incident.Approval `json:"approvals,omitempty"`
}

var cmdIncidentShow = &command{
	name:    "incident show",
	args:    "ID [--json]",
	summary: "Show an incident: severity and deadline, steps with state, milestones and metrics.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			st, err := inc.State()
			if err != nil {
				return err
			}
			v := a.view(inc, st)
			if a.json {
				return a.printJSON(v)
			}
			a.printIncident(inc, st, v)
			return nil
		}
	},
}

func (a *invocation) view(inc *incident.Incident, st *incident.State) incidentView {
	now := a.now()
	v := incidentView{
		Header: inc.Header, Status: "open", CurrentSeverity: st.Severity.String(), CurrentSEV: st.Severity.SEV(),
		Response: st.Severity.ResponseText(), ResponseDeadline: st.ResponseDeadline(), SeverityHistory: st.SeverityHistory,
		Facts: st.Facts, MissingFacts: orEmpty(incident.MissingFacts(inc.Playbook, st.Facts)),
		Milestones: map[string]time.Time{}, Events: st.Events, Actors: orEmpty(st.Actors),
	}
	if st.Closed {
		v.Status = "closed"
	}
	for _, s := range inc.Playbook.Steps() {
		ss := st.Steps[s.ID]
		sv := stepView{Number: s.Number, ID: s.ID, Phase: s.Phase, Title: s.Title, State: ss.State, RACI: s.RACI.String(),
			Overdue: st.Overdue(s, now), By: ss.Actor, Reason: ss.Reason}
		if d := st.StepDeadline(s); !d.IsZero() {
			sv.Deadline = &d
		}
		if !ss.At.IsZero() {
			t := ss.At
			sv.At = &t
		}
		if s.Action != nil {
			sv.Action = s.Action.Name
		}
		sv.Assignee, sv.Approvals = ss.Assignee, st.ValidApprovals(s)
		if s.Approval != nil {
			sv.Approval = s.Approval.Text()
			sv.NeedsApproval = st.NeedsApproval(s, a.actor) != nil && !ss.State.Closed()
		}
		v.Steps = append(v.Steps, sv)
	}
	v.Commander, v.Roles = st.Commander(), st.Roles
	v.MySteps = []string{}
	for _, s := range st.MySteps(inc.Playbook, a.actor) {
		v.MySteps = append(v.MySteps, s.ID)
	}
	if due, over := st.StatusDue(now); !due.IsZero() {
		v.StatusDue, v.StatusOverdue = &due, over
	}
	v.Followups = st.Followups
	if v.Followups == nil {
		v.Followups = []incident.Followup{}
	}
	if rep, ok := homesync.LastSync(a.home); ok {
		t := rep.At
		v.LastSync, v.LastSyncError = &t, rep.Error
	}
	for name, m := range st.Milestones {
		v.Milestones[name] = m.At
	}
	v.Metrics = export.MetricRecords(st)
	for _, t := range st.Torn {
		v.Torn = append(v.Torn, t.Error())
	}
	return v
}

func stampUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func (a *invocation) printIncident(inc *incident.Incident, st *incident.State, v incidentView) {
	now := a.now()
	h := inc.Header
	drill := ""
	if h.Drill {
		drill = "  [DRILL — excluded from metrics]"
	}
	a.printf("%s%s\n", h.ID, drill)
	a.printf("  %s\n", textutil.Line(h.Title))
	a.printf("  playbook  %s v%s — %s\n", h.Playbook.ID, textutil.Line(h.Playbook.Version), textutil.Line(inc.Playbook.Title))
	left := st.ResponseDeadline().Sub(now)
	due := "due " + stampUTC(st.ResponseDeadline())
	if st.Severity == severity.Critical {
		due = "immediate"
	} else if left < 0 {
		due += fmt.Sprintf(" (PASSED %s ago)", incident.FormatSpan(-left))
	} else {
		due += fmt.Sprintf(" (%s left)", incident.FormatSpan(left))
	}
	a.printf("  severity  %s — response %s\n", st.Severity.Both(), due)
	a.printf("  opened    %s by %s (%s ago)\n", stampUTC(h.Created), textutil.Line(h.CreatedBy), incident.FormatSpan(now.Sub(h.Created)))
	status := "open"
	if st.Closed {
		status = "closed at " + stampUTC(st.ClosedAt)
	}
	a.printf("  status    %s; %d events by %s\n", status, st.Events, strings.Join(st.Actors, ", "))
	a.printTeam(inc, st, v, now)
	for _, t := range v.Torn {
		a.printf("  WARNING   %s (firebreak timeline repair %s)\n", textutil.Line(t), h.ID)
	}
	if due, err := time.Parse(time.RFC3339, v.Facts[actions.FactRotationDue]); err == nil && !now.Before(due) {
		a.printf("  WARNING   the signing key's rotation was due on %s (%s ago): rotate it (playbook ROTATION)\n", due.Format("2006-01-02"), incident.FormatSpan(now.Sub(due)))
	}
	if len(v.Facts) > 0 || len(v.MissingFacts) > 0 {
		nameW := 14 // the facts' names in a column as wide as the longest
		for _, k := range slices.Concat(slices.Collect(maps.Keys(v.Facts)), v.MissingFacts) {
			nameW = max(nameW, len(textutil.Name(k)))
		}
		a.printf("\nFacts\n")
		for _, k := range slices.Sorted(maps.Keys(v.Facts)) {
			val := v.Facts[k]
			if in, ok := inc.Playbook.Input(k); ok && in.Type == playbooks.TypePaths {
				val = strings.ReplaceAll(val, "\n", ", ") // one path per line: shown as typed
			}
			a.printf("  %-*s %s\n", nameW, textutil.Name(k), textutil.Line(val))
		}
		for _, k := range v.MissingFacts {
			a.printf("  %-*s MISSING (required: firebreak fact %s %s=VALUE)\n", nameW, k, h.ID, k)
		}
	}
	a.printf("\nSteps\n")
	steps := inc.Playbook.Steps()
	idw, raciw := 0, 0
	for _, s := range steps {
		idw = max(idw, len(s.ID))
		raciw = max(raciw, len(textutil.Line(s.RACI.String())))
	}
	phase := ""
	for i, s := range steps {
		sv := v.Steps[i]
		if s.Phase != phase {
			phase = s.Phase
			for _, ph := range inc.Playbook.Phases {
				if ph.ID == phase {
					a.printf("  %s\n", textutil.Line(ph.Title))
				}
			}
		}
		due := ""
		if sv.Deadline != nil {
			due = "due " + sv.Deadline.UTC().Format("2006-01-02 15:04Z")
			if sv.Overdue {
				due += " OVERDUE"
			}
		}
		who := ""
		if sv.By != "" {
			who = string(sv.State) + " by " + textutil.Line(sv.By)
			if sv.At != nil {
				who += " " + sv.At.UTC().Format("2006-01-02 15:04Z")
			}
			if sv.Reason != "" {
				who += " — " + textutil.Line(sv.Reason)
			}
		}
		if sv.Assignee != "" {
			who = strings.TrimSpace("@" + textutil.Line(sv.Assignee) + " " + who)
		}
		switch {
		case sv.NeedsApproval:
			who += " [NEEDS APPROVAL]"
		case len(sv.Approvals) > 0:
			who += " [approved by " + textutil.Line(sv.Approvals[len(sv.Approvals)-1].Actor) + "]"
		}
		line := fmt.Sprintf("    %s %-4s %-*s  %-29s  %-*s  %s", sv.State.Icon(), sv.Number, idw, s.ID, due, raciw, textutil.Line(s.RACI.String()), who)
		a.printf("%s\n", strings.TrimRight(line, " "))
	}
	a.printf("  [ ] pending  [>] started  [x] done  [-] skipped  [!] failed\n")
	a.printf("\nMilestones\n")
	for _, name := range incident.Milestones {
		if m, ok := st.Milestones[name]; ok {
			a.printf("  %-12s %s by %s\n", name, stampUTC(m.At), textutil.Line(m.Actor))
		} else {
			a.printf("  %-12s —\n", name)
		}
	}
	a.printf("\nMetrics (WSC targets)\n")
	for _, m := range st.Metrics() {
		a.printf("  %-21s %-36s target %-13s %s\n", m.Name, m.Text(), m.TargetText, m.Definition)
	}
	if len(st.Followups) > 0 {
		a.printf("\nFollow-ups\n")
		for _, f := range st.Followups {
			a.printf("  %s\n", f.Line(now))
		}
	}
}

// printTeam prints who leads, who holds which role, the status-update
// reminder, this responder's steps and the last sync.
func (a *invocation) printTeam(inc *incident.Incident, st *incident.State, v incidentView, now time.Time) {
	c := st.Commander()
	a.printf("  commander %s (since %s)\n", textutil.Line(c.Person), stampUTC(c.At))
	if len(st.Roles) > 0 {
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(st.Roles)) {
			if r != incident.RoleCommander {
				parts = append(parts, textutil.Line(r)+" "+textutil.Line(st.Roles[r].Person))
			}
		}
		if len(parts) > 0 {
			a.printf("  roles     %s\n", strings.Join(parts, "; "))
		}
	}
	if v.StatusDue != nil {
		every := incident.CadenceText(st.Severity)
		if v.StatusOverdue {
			a.printf("  UPDATES   status update OVERDUE by %s (every %s at %s): firebreak comms render %s TEMPLATE, or firebreak note %s TEXT --status\n",
				incident.FormatSpan(now.Sub(*v.StatusDue)), every, st.Severity.SEV(), inc.Header.ID, inc.Header.ID)
		} else {
			a.printf("  updates   next status update due %s (in %s; every %s at %s)\n", stampUTC(*v.StatusDue), incident.FormatSpan(v.StatusDue.Sub(now)), every, st.Severity.SEV())
		}
	}
	if len(v.MySteps) > 0 {
		a.printf("  my steps  %s (%s)\n", strings.Join(first(v.MySteps, 6), ", "), textutil.Line(a.actor))
	}
	switch {
	case v.LastSync != nil && v.LastSyncError != "":
		a.printf("  SYNC      the last sync FAILED at %s (%s ago): %s\n", stampUTC(*v.LastSync), incident.FormatSpan(now.Sub(*v.LastSync)), textutil.Line(v.LastSyncError))
	case v.LastSync != nil:
		a.printf("  synced    %s (%s ago)\n", stampUTC(*v.LastSync), incident.FormatSpan(now.Sub(*v.LastSync)))
	}
}

var cmdIncidentReopen = &command{
	name:    "incident reopen",
	args:    "ID --reason TEXT",
	summary: "Reopen a closed incident (the reason is recorded), so its steps can change again.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why the work resumes (required)")
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			if err := inc.Reopen(a.ctx, a.actor, *reason, time.Time{}); err != nil {
				return err
			}
			a.printf("%s reopened\n", inc.Header.ID)
			return nil
		}
	},
}

var cmdIncidentClose = &command{
	name:    "incident close",
	args:    "ID [--reason TEXT]",
	summary: "Close an incident. Notes can still be added for the post-incident review; steps no longer\nchange until it is reopened.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why it is closed")
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			if err := inc.Close(a.ctx, a.actor, *reason, time.Time{}); err != nil {
				return err
			}
			a.printf("%s closed\n", inc.Header.ID)
			return nil
		}
	},
}
