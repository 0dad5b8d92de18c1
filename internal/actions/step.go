package actions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// MissingFactsError is returned when a step's action needs facts the
// incident does not have yet.
type MissingFactsError struct {
	Step  string
	Names []string // sorted, each once
}

func (e *MissingFactsError) Error() string {
	return fmt.Sprintf("step %s needs fact(s) %s", e.Step, strings.Join(e.Names, ", "))
}

// StepArgs fills the arguments of step's action from the facts. An optional
// argument whose facts are missing is left out; a required one makes a
// *MissingFactsError naming every missing fact.
func StepArgs(step playbooks.Step, facts map[string]string) (map[string]string, error) {
	if step.Action == nil {
		return nil, fmt.Errorf("step %s (%s) is done by hand: it has no action", step.Number, step.Title)
	}
	required := map[string]bool{}
	for _, r := range Specs[step.Action.Name].Required {
		required[r] = true
	}
	out := map[string]string{}
	seen := map[string]bool{}
	var missing []string
	for k, tmpl := range step.Action.Args {
		v, err := playbooks.Expand(tmpl, facts)
		var me *playbooks.MissingError
		if errors.As(err, &me) {
			if required[k] {
				for _, n := range me.Names {
					if !seen[n] {
						seen[n] = true
						missing = append(missing, n)
					}
				}
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("step %s argument %s: %w", step.ID, k, err)
		}
		out[k] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &MissingFactsError{Step: step.ID, Names: missing}
	}
	return out, nil
}

// FinishStep marks the step an action was run for, the same way wherever
// it ran: done when the action ran and verified; failed, with the error as
// the reason, when it ran and failed (a cancelled run included, since it
// may have changed things); unchanged when it never executed (a dry run, a
// refused confirmation, a plan that could not be made).
func FinishStep(ctx context.Context, inc *incident.Incident, actor string, step playbooks.Step, out *Outcome, runErr error) (playbooks.State, error) {
	switch {
	case out != nil && out.DryRun:
		return "", runErr
	case runErr == nil:
		_, st, err := inc.Step(ctx, actor, step.ID, playbooks.VerbDone, "", time.Time{})
		return st, err
	case out == nil || !out.Executed:
		return "", runErr
	}
	// Record the failure even when the run was cancelled: ctx may be done.
	_, st, err := inc.Step(context.WithoutCancel(ctx), actor, step.ID, playbooks.VerbFail, "action "+step.Action.Name+" failed: "+runErr.Error(), time.Time{})
	if err != nil {
		return st, errors.Join(runErr, err)
	}
	return st, runErr
}
