package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var cmdRun = &command{
	name: "run", args: "ID STEP [--set input=value]... [--yes] [--dry-run]",
	summary: "Do a step's work: run the action the playbook binds to STEP through the pipeline with the incident's\nfacts (--set adds facts first), then mark the step done, or failed with the error. A missing fact is\nasked for on a terminal; with --yes (or off a terminal) the command fails naming every missing one.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var sets multiFlag
		fs.Var(&sets, "set", "set a fact first, `NAME=VALUE` (repeatable)")
		passFile := passFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			step, ok := inc.Playbook.Step(args[1])
			if !ok {
				return &incident.UnknownStepError{Step: args[1], Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
			}
			if step.Action == nil {
				return withHint(fmt.Errorf("step %s (%s) is done by hand: it has no action", step.Number, step.Title),
					"follow its guidance (firebreak playbooks show %s), then: firebreak step %s %s done", inc.Playbook.ID, inc.Header.ID, step.ID)
			}
			// A closed incident's steps do not change: refused before any
			// fact is set or anything is planned.
			if st, err := inc.State(); err != nil {
				return err
			} else if st.Closed {
				return &incident.ClosedError{ID: inc.Header.ID, At: st.ClosedAt}
			} else if err := st.NeedsApproval(step, a.actor); err != nil && !pf.dryRun {
				// A second person's sign-off first: refused before any
				// fact is asked for. A dry run changes nothing, so it may
				// show the approver what they approve.
				return err
			}
			facts := map[string]string{}
			for _, kv := range sets {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("--set key_path=/keys/prod.sec", "--set %q is not NAME=VALUE", kv)
				}
				facts[k] = v
			}
			if len(facts) > 0 {
				checked, err := incident.CheckFacts(inc.Playbook, facts, a.now())
				if err != nil {
					return err
				}
				maps.Copy(facts, checked)
			}
			if len(facts) > 0 && !pf.dryRun { // a dry run records nothing, its facts included
				for _, k := range slices.Sorted(maps.Keys(facts)) {
					if err := inc.SetFact(a.ctx, a.actor, k, facts[k], zeroTime); err != nil {
						return err
					}
				}
			}
			st, err := inc.State()
			if err != nil {
				return err
			}
			if cur := st.Steps[step.ID].State; cur.Closed() {
				return withHint(fmt.Errorf("step %s is %s", step.ID, cur), "reopen it first: firebreak step %s %s reopen --reason TEXT", inc.Header.ID, step.ID)
			}
			maps.Copy(st.Facts, facts)
			vals, err := a.stepArgs(inc, step, st.Facts, pf.yes || pf.dryRun)
			if err != nil {
				return err
			}
			act, err := a.session(sessionOpts{passFile: *passFile}).Build(a.ctx, inc, step.Action.Name, vals)
			if err != nil {
				return err
			}
			pf.step = step.ID
			out, runErr := a.runAction(inc, pf, act)
			marked, err := actions.FinishStep(a.ctx, inc, a.actor, step, out, runErr)
			if err == nil && marked != "" {
				a.printf("step %s %s: %s\n", step.Number, step.ID, marked)
			}
			return err
		}
	},
}

var zeroTime time.Time

// stepArgs fills the action's arguments from the facts. A required argument
// whose facts are missing is asked for — on the accessible console's lines,
// else on the terminal — and recorded as a fact, or named in the error; an
// optional one is left out.
func (a *invocation) stepArgs(inc *incident.Incident, step playbooks.Step, facts map[string]string, yes bool) (app.Args, error) {
	for {
		out, err := app.StepArgs(step, facts)
		var me *actions.MissingFactsError
		if !errors.As(err, &me) {
			return out, err
		}
		if yes || (a.noTTY && a.lineIn == nil) {
			return app.Args{}, withHint(err, "set them: firebreak run %s %s --set %s=VALUE", inc.Header.ID, step.ID, me.Names[0])
		}
		rd, w := a.lineIn, a.stdout
		if rd == nil {
			tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
			if err != nil {
				return app.Args{}, fmt.Errorf("%w (no terminal to ask on; use --set)", me)
			}
			defer tty.Close()
			rd, w = bufio.NewReader(tty), tty
		}
		for _, name := range me.Names {
			in, _ := inc.Playbook.Input(name)
			fmt.Fprintf(w, "%s (%s), needed by the action: ", in.Title, name)
			line, err := rd.ReadString('\n')
			if err != nil && line == "" {
				return app.Args{}, fmt.Errorf("%w (no answer: %v)", me, err)
			}
			v := strings.TrimSpace(line)
			if err := inc.SetFact(a.ctx, a.actor, name, v, zeroTime); err != nil { // SetFact checks the value
				return app.Args{}, err
			}
			facts[name] = v
		}
	}
}
