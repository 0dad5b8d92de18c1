package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

var cmdRole = &command{
	name:    "role",
	args:    "ID ROLE PERSON [--at TIME]",
	summary: "Give a role to a person: scribe, comms, or one of the playbook's RACI roles (\"Security owner\",\n\"Incident owner\"…; case aside). The commander is handed off (firebreak handoff). A person is an actor\nname, as they sign the journal (alice, alice@laptop).",
	minArgs: 3, maxArgs: 3,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			role, err := inc.SetRole(a.ctx, a.actor, args[1], args[2], when)
			if errors.Is(err, incident.ErrUseHandoff) {
				return withHint(err, "firebreak handoff %s --to %s", inc.Header.ID, args[2])
			}
			if err != nil {
				return err
			}
			a.printf("%s is %s\n", textutil.Line(args[2]), textutil.Line(role))
			return nil
		}
	},
}

var cmdHandoff = &command{
	name:    "handoff",
	args:    "ID --to PERSON [--reason TEXT] [--at TIME]",
	summary: "Hand the incident's command to PERSON; the journal records both names. Until the first handoff\nthe commander is whoever opened the incident.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		to := fs.String("to", "", "the new commander, `PERSON`")
		reason := fs.String("reason", "", "why (end of shift, escalation…)")
		at := atFlag(fs)
		return func(args []string) error {
			if *to == "" {
				return usagef("firebreak handoff ID --to PERSON", "--to is required")
			}
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			from, err := inc.Handoff(a.ctx, a.actor, *to, *reason, when)
			if err != nil {
				return err
			}
			a.printf("commander: %s -> %s\n", textutil.Line(from), textutil.Line(*to))
			return nil
		}
	},
}

var cmdAssign = &command{
	name:    "assign",
	args:    "ID STEP PERSON|- [--at TIME]",
	summary: "Assign a step to a person (- to unassign). The assignee runs the step and may not approve it.",
	minArgs: 3, maxArgs: 3,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			person := args[2]
			if person == "-" {
				person = ""
			}
			step, err := inc.Assign(a.ctx, a.actor, args[1], person, when)
			if err != nil {
				return err
			}
			if person == "" {
				a.printf("%s %s: unassigned\n", step.Number, step.ID)
			} else {
				a.printf("%s %s: assigned to %s\n", step.Number, step.ID, textutil.Line(person))
			}
			return nil
		}
	},
}

var cmdApprove = &command{
	name:    "approve",
	args:    "ID STEP [--reason TEXT] [--at TIME]",
	summary: "Approve a step that needs a second person (playbook `approval:`). Only the commander or a holder of\nthe step's approving role may, never its assignee; `run` then accepts the step from anyone else.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why it may go ahead")
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			step, err := inc.Approve(a.ctx, a.actor, args[1], *reason, when)
			if err != nil {
				return err
			}
			a.printf("%s %s approved by %s\n", step.Number, step.ID, textutil.Line(a.actor))
			return nil
		}
	},
}

var cmdFollowupAdd = &command{
	name:    "followup add",
	args:    "ID TEXT [--owner PERSON] [--due TIME]",
	summary: "Add a follow-up: an action item that outlives the incident (in the export and the post-incident\nsummary). It may be added after the incident is closed.",
	minArgs: 2, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		owner := fs.String("owner", "", "who owns it, `PERSON`")
		due := fs.String("due", "", "when it is due (`TIME`: +7d, +48h, 2026-12-01, \"YYYY-MM-DD HH:MM\" UTC)")
		return func(args []string) error {
			var dueAt time.Time
			if *due != "" {
				t, err := incident.ParseDue(*due, a.now())
				if err != nil {
					return usagef("", "--due: %v", err)
				}
				dueAt = t
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			if err := inc.AddFollowup(a.ctx, a.actor, strings.Join(args[1:], " "), *owner, dueAt, time.Time{}); err != nil {
				return err
			}
			st, err := inc.State()
			if err != nil {
				return err
			}
			a.printf("follow-up %d added\n", len(st.Followups))
			return nil
		}
	},
}

var cmdFollowupDone = &command{
	name:    "followup done",
	args:    "ID N [--reason TEXT]",
	summary: "Close follow-up N (its number in followup list).",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "what was done")
		return func(args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return usagef("firebreak followup list "+args[0]+" shows the numbers", "%q is not a follow-up number", args[1])
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			f, err := inc.FollowupDone(a.ctx, a.actor, n, *reason, time.Time{})
			if err != nil {
				return err
			}
			a.printf("follow-up %d done: %s\n", n, textutil.Line(f.Text))
			return nil
		}
	},
}

// followupRow is a follow-up with its incident, for lists across incidents.
type followupRow struct {
	Incident string `json:"incident"`
	incident.Followup
	Overdue bool `json:"overdue"`
}

var cmdFollowupList = &command{
	name:    "followup list",
	args:    "[ID] [--open] [--json]",
	summary: "List follow-ups: of one incident, or of every incident (drills included, marked by id).",
	minArgs: 0, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		open := fs.Bool("open", false, "only those not done")
		jsonFlag(a, fs)
		return func(args []string) error {
			var ids []string
			if len(args) == 1 {
				id, err := a.ws.Resolve(args[0])
				if err != nil {
					return err
				}
				ids = []string{id}
			} else {
				var err error
				if ids, err = a.ws.IDs(); err != nil {
					return err
				}
			}
			now := a.now()
			rows := []followupRow{}
			for _, id := range ids {
				inc, err := a.load(id)
				if err != nil {
					if len(args) == 1 {
						return err
					}
					fmt.Fprintf(a.stderr, "firebreak: warning: incident %s is unreadable: %s\n", textutil.Clean(id, false), textutil.Line(err.Error()))
					continue
				}
				st, err := inc.State()
				if err != nil {
					return err
				}
				for _, f := range st.Followups {
					if *open && f.Done {
						continue
					}
					rows = append(rows, followupRow{Incident: id, Followup: f, Overdue: f.Overdue(now)})
				}
			}
			if a.json {
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				a.printf("No follow-ups.\n")
				return nil
			}
			// By incident, its id on a line of its own: ids are long, and a
			// column of them leaves no room for the text.
			id := ""
			for _, r := range rows {
				if r.Incident != id {
					id = r.Incident
					a.printf("%s\n", id)
				}
				a.printf("  %s\n", r.Followup.Line(now))
			}
			return nil
		}
	},
}

var cmdSearch = &command{
	name:    "search",
	args:    "[TEXT...] [--kind K]... [--since TIME] [--incident ID] [--limit N] [--json]",
	summary: "Search every incident's journal: TEXT (case aside) in each event's summary and its data (notes,\nfacts, reasons); --kind keeps those kinds (step keeps step.*), --since those that happened since TIME.\nNewest incident first. Exit 1 when nothing matches.",
	minArgs: 0, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var kinds multiFlag
		fs.Var(&kinds, "kind", "keep events of `KIND` (repeatable; a prefix before '.' keeps the family)")
		since := fs.String("since", "", "keep events from `TIME` on (-7d, 2026-11-01, RFC 3339)")
		only := fs.String("incident", "", "search one incident, `ID`")
		limit := fs.Int("limit", 200, "print at most `N` matches (0: all)")
		jsonFlag(a, fs)
		return func(args []string) error {
			opts := incident.SearchOptions{Text: strings.Join(args, " "), Kinds: kinds}
			if *since != "" {
				t, err := parseSince(*since, a.now())
				if err != nil {
					return err
				}
				opts.Since = t
			}
			if *only != "" {
				id, err := a.ws.Resolve(*only)
				if err != nil {
					return err
				}
				opts.Incidents = []string{id}
			}
			if strings.TrimSpace(opts.Text) == "" && len(kinds) == 0 && opts.Since.IsZero() {
				return usagef("firebreak search TEXT, or --kind K / --since TIME", "search for what?")
			}
			hits := []incident.Hit{}
			total := 0
			err := a.ws.Search(a.ctx, opts, func(h incident.Hit) error {
				total++
				if *limit <= 0 || len(hits) < *limit {
					hits = append(hits, h)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if a.json {
				return a.jsonVerdict(struct {
					Matches int            `json:"matches"`
					Hits    []incident.Hit `json:"hits"`
				}{total, hits}, total > 0)
			}
			if total == 0 {
				a.printf("No matches.\n")
				return errSilent
			}
			id := ""
			for _, h := range hits {
				if h.Incident != id {
					id = h.Incident
					a.printf("%s\n", id)
				}
				line := fmt.Sprintf("  %s  %-12s %-16s %s", h.At.UTC().Format("2006-01-02 15:04Z"), textutil.Line(h.Actor), textutil.Line(h.Kind), textutil.Line(h.Summary))
				if h.Excerpt != "" {
					line += "  [" + textutil.Line(h.In) + ": " + textutil.Line(h.Excerpt) + "]"
				}
				a.printf("%s\n", line)
			}
			if total > len(hits) {
				a.printf("… %d more (--limit 0 prints all)\n", total-len(hits))
			}
			return nil
		}
	},
}

// parseSince reads a --since time: a past time as --at takes, or a date.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", strings.TrimSpace(s)); err == nil {
		return t, nil
	}
	t, err := incident.ParseTime(s, now)
	if err != nil {
		return time.Time{}, usagef("", "--since: %v", err)
	}
	return t, nil
}
