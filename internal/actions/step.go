package actions

import (
	"context"
	"errors"
	"fmt"
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
	case errors.Is(runErr, context.Canceled):
		// Stopped by a person, not failed: the step stays as it was, and
		// the action's record says who stopped it and what it had done.
		return "", runErr
	}
	// Record the failure even when the run was cancelled: ctx may be done.
	_, st, err := inc.Step(context.WithoutCancel(ctx), actor, step.ID, playbooks.VerbFail, "action "+step.Action.Name+" failed: "+runErr.Error(), time.Time{})
	var te *playbooks.TransitionError
	if errors.As(err, &te) && te.From == playbooks.Failed {
		// Run again on a failed step and failed again: it stays failed,
		// and the action's own record says so.
		return playbooks.Failed, runErr
	}
	if err != nil {
		return st, errors.Join(runErr, err)
	}
	return st, runErr
}
