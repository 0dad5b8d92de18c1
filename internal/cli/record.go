package cli

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// loadAt parses an --at value, then loads the incident: a bad time is
// reported before anything is read.
func (a *invocation) loadAt(ref, at string) (*incident.Incident, time.Time, error) {
	when, err := a.parseAt(at)
	if err != nil {
		return nil, time.Time{}, err
	}
	inc, err := a.load(ref)
	return inc, when, err
}

func atFlag(fs *flag.FlagSet) *string {
	return fs.String("at", "", "when it happened, if not now (`TIME`: RFC 3339, \"YYYY-MM-DD HH:MM\" UTC, -90m)")
}

var cmdStep = &command{
	name:    "step",
	args:    "ID STEP start|done|skip|fail|reopen [--reason TEXT] [--at TIME]",
	summary: "Move a step: start it, mark it done, skip or fail it (with a reason), or reopen it (with a reason).\nSTEP is the step id (isolate-key) or its number (1.1).",
	minArgs: 3, maxArgs: 3,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why (required for skip, fail and reopen)")
		at := atFlag(fs)
		return func(args []string) error {
			verb := strings.ToLower(args[2])
			if playbooks.KindOf(verb) == "" {
				return usagef("verbs: start, done, skip, fail, reopen", "unknown step verb %q", args[2])
			}
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			step, to, err := inc.Step(a.ctx, a.actor, args[1], verb, *reason, when)
			if err != nil {
				return err
			}
			a.printf("%s %s %s: %s\n", to.Icon(), step.Number, step.ID, to)
			return nil
		}
	},
}

var cmdNote = &command{
	name:    "note",
	args:    "ID TEXT [--step STEP] [--status] [--at TIME]",
	summary: "Add a note to the timeline. Never paste secrets: name where they are instead. --status marks it\na status update, which resets the status-update reminder (every 30 min at SEV-1, 1 h SEV-2, 4 h SEV-3).",
	minArgs: 2, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		step := fs.String("step", "", "the `STEP` the note is about")
		status := fs.Bool("status", false, "a status update")
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			if *status && *step != "" {
				return usagef("a status update is about the incident", "--status and --step together")
			}
			if *status {
				err = inc.StatusUpdate(a.ctx, a.actor, strings.Join(args[1:], " "), when)
			} else {
				err = inc.Note(a.ctx, a.actor, strings.Join(args[1:], " "), *step, when)
			}
			if err != nil {
				return err
			}
			a.printf("noted\n")
			return nil
		}
	},
}

var cmdFact = &command{
	name:    "fact",
	args:    "ID NAME=VALUE... [--at TIME]",
	summary: "Set facts: the values of the playbook's inputs (firebreak playbooks show PLAYBOOK lists them).",
	minArgs: 2, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			facts := map[string]string{}
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("firebreak fact ID key_path=/keys/prod.sec", "%q is not NAME=VALUE", kv)
				}
				facts[k] = v
			}
			// Check them all before writing any.
			checked, err := incident.CheckFacts(inc.Playbook, facts, inc.Now())
			if err != nil {
				return err
			}
			for _, k := range slices.Sorted(maps.Keys(facts)) {
				if err := inc.SetFact(a.ctx, a.actor, k, facts[k], when); err != nil {
					return err
				}
				a.printf("%s = %s\n", k, textutil.Line(checked[k]))
			}
			for _, ap := range incident.AbsentPaths(inc.Playbook, checked) {
				fmt.Fprintf(a.stderr, "firebreak: warning: %s does not exist (yet?)\n", textutil.Line(ap))
			}
			return nil
		}
	},
}

var cmdMilestone = &command{
	name:    "milestone",
	args:    "ID NAME [--at TIME]",
	summary: "Record a milestone: compromised (estimated), detected, contained, eradicated, recovered, reviewed.\nRecording one again corrects it. Metrics are computed from these.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		at := atFlag(fs)
		return func(args []string) error {
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			if err := inc.SetMilestone(a.ctx, a.actor, args[1], when); err != nil {
				return withHint(err, "milestones: %s", strings.Join(incident.Milestones, ", "))
			}
			if when.IsZero() {
				when = a.now()
			}
			a.printf("%s at %s\n", strings.ToLower(args[1]), stampUTC(when))
			return nil
		}
	},
}

var cmdSeverity = &command{
	name:    "severity",
	args:    "ID LEVEL --reason TEXT [--at TIME]",
	summary: "Change the severity. LEVEL is Critical, High, Medium, Low or SEV-1, SEV-2, SEV-3.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why the severity changes (required)")
		at := atFlag(fs)
		return func(args []string) error {
			level, err := severity.Parse(args[1])
			if err != nil {
				return usagef("", "%v", err)
			}
			inc, when, err := a.loadAt(args[0], *at)
			if err != nil {
				return err
			}
			if err := inc.SetSeverity(a.ctx, a.actor, level, *reason, when); err != nil {
				return err
			}
			st, err := inc.State()
			if err != nil {
				return err
			}
			a.printf("severity %s, response %s\n", level.Both(), responseText(st, a.now()))
			return nil
		}
	},
}

func responseText(st *incident.State, now time.Time) string {
	if st.Severity == severity.Critical {
		return "immediate"
	}
	d := st.ResponseDeadline()
	if left := d.Sub(now); left >= 0 {
		return fmt.Sprintf("due %s (%s left)", stampUTC(d), incident.FormatSpan(left))
	}
	return fmt.Sprintf("due %s (PASSED)", stampUTC(d))
}

var cmdVersion = &command{
	name: "version", args: "", summary: "Print the version.",
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		return func([]string) error { a.printf("firebreak %s\n", Version); return nil }
	},
}
