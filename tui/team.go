package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/incident"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// syncState is the home's sync as the console shows it, shared by the
// screens that show it (a pointer: the models are copied).
type syncState struct {
	repo    bool // the home is a sync repository
	running bool
	stage   string
	last    *homesync.Report
}

// text is the sync state in a few words, or "" for a home that does not
// sync.
func (s *syncState) text(now time.Time) string {
	switch {
	case s == nil || !s.repo:
		return ""
	case s.running:
		return "syncing…"
	case s.last == nil:
		return "not synced yet (S)"
	case s.last.Error != "":
		return "sync FAILED " + incident.FormatSpan(now.Sub(s.last.At)) + " ago (S retries)"
	}
	return "synced " + incident.FormatSpan(now.Sub(s.last.At)) + " ago (S)"
}

type syncDoneMsg struct {
	rep *homesync.Report
	err error
}

// syncCmd syncs the home in the background: the console stays live.
func syncCmd(ctx context.Context, home, actor string, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		// As the command syncs: the home's sealing settings, its keys
		// read without asking (an encrypted sealing key is refused here:
		// the command asks for its passphrase).
		st, err := homesync.LoadSettings(home)
		if err != nil {
			return syncDoneMsg{err: err}
		}
		seal, keys, err := st.Keys(nil)
		if err != nil {
			return syncDoneMsg{err: fmt.Errorf("%w (an encrypted sealing key: sync with firebreak sync, which asks for its passphrase)", err)}
		}
		names, err := st.Names(actor, seal)
		if err != nil {
			return syncDoneMsg{err: err}
		}
		rep, err := homesync.Sync(ctx, homesync.Options{Home: home, Actor: actor, Now: now, Keys: keys, KeyNames: names, SealKey: seal, RequireSealed: st.RequireSealed})
		return syncDoneMsg{rep: rep, err: err}
	}
}

// syncError is a failed sync with its way out, for the error line.
func syncError(err error) error {
	var fe *homesync.ForkError
	var re *homesync.RefusedError
	switch {
	case errors.As(err, &fe):
		return fmt.Errorf("%w — %s", err, fe.Hint())
	case errors.As(err, &re) && re.Hint != "":
		return fmt.Errorf("%w — %s", err, re.Hint)
	case errors.Is(err, homesync.ErrBusy):
		return errors.New("a sync of this home is already running (another console or a command); try again when it ends")
	}
	return fmt.Errorf("sync: %w", err)
}

// approveCmd records an approval, as `firebreak approve` does.
func approveCmd(ctx context.Context, inc *incident.Incident, actor, step, reason string) tea.Cmd {
	return func() tea.Msg {
		_, err := inc.Approve(ctx, actor, step, reason, time.Time{})
		var ae *incident.ApprovalError
		if errors.As(err, &ae) {
			err = fmt.Errorf("%w (%s)", err, ae.Hint())
		}
		return changedMsg{id: inc.Header.ID, err: err}
	}
}

// statusRecordedMsg reports a status update recorded (or refused).
type statusRecordedMsg struct {
	id  string
	err error
}

// statusCmd records a status update, as `firebreak note --status` does.
func statusCmd(ctx context.Context, inc *incident.Incident, actor, text string) tea.Cmd {
	return func() tea.Msg {
		return statusRecordedMsg{id: inc.Header.ID, err: inc.StatusUpdate(ctx, actor, text, time.Time{})}
	}
}

// teamLine is who leads and what is due from the team: the commander,
// this responder's roles and steps, the status-update reminder, the sync.
func (r runnerModel) teamLine() string {
	st, now := r.state, r.now()
	// What needs doing first; a narrow screen cuts the end.
	var parts []string
	due, over := st.StatusDue(now)
	if over {
		parts = append(parts, r.st.Bad.Render("STATUS UPDATE OVERDUE "+incident.FormatSpan(now.Sub(due))+" (u)"))
	}
	if mine := st.MySteps(r.inc.Playbook, r.actor); len(mine) > 0 {
		parts = append(parts, fmt.Sprintf("my steps %d (M)", len(mine)))
	}
	if s := r.sync.text(now); s != "" {
		parts = append(parts, s)
	}
	parts = append(parts, "commander "+clean(st.Commander().Person))
	if roles := st.RolesOf(r.actor); len(roles) > 0 {
		parts = append(parts, "you: "+clean(strings.Join(roles, ", ")))
	}
	if !over && !due.IsZero() {
		parts = append(parts, "update due in "+incident.FormatSpan(due.Sub(now)))
	}
	return strings.Join(parts, " · ")
}

// shortName is a person's name without its machine: bob@desk is bob.
func shortName(p string) string {
	if i := strings.IndexByte(p, '@'); i > 0 {
		return p[:i]
	}
	return p
}

// approveRefusal says, before the reason is asked for, why this responder
// may not approve step s, or "" when they may.
func (r runnerModel) approveRefusal(s playbooks.Step) string {
	ss := r.state.Steps[s.ID]
	switch {
	case s.Approval == nil:
		return "step " + s.Number + " needs no approval"
	case ss.State.Closed():
		return "step " + s.Number + " is " + string(ss.State) + ": there is nothing to approve"
	case ss.Assignee == r.actor:
		return "step " + s.Number + " is assigned to you (" + r.actor + "): self-approval is refused; the approval must come from someone else"
	case !r.state.CanApprove(s, r.actor):
		return "step " + s.Number + " may be approved only by the " + strings.Join(append([]string{incident.RoleCommander}, s.Approval.By...), " or ") + "; you (" + r.actor + ") hold none of these roles"
	}
	return ""
}

// runRefusal is why step s may not run yet for lack of approval, short
// enough for the message lines.
func runRefusal(ae *incident.ApprovalError) string {
	who := "no one holds an approving role yet: firebreak role " + ae.Incident + " '" + ae.Roles[len(ae.Roles)-1] + "' PERSON"
	if len(ae.Approvers) > 0 {
		who = "may approve: " + strings.Join(ae.Approvers, ", ") + " (y in their console, or firebreak approve ID " + ae.Step.ID + ")"
	}
	what := "needs approval " + ae.Step.Approval.Text() + " before it runs"
	if strings.Contains(ae.Reason, "own step") {
		what = "needs approval by someone other than you"
	}
	return ae.Step.Number + " " + what + ". " + who
}

// approvalLines describe a step's approval in the detail pane.
func (r runnerModel) approvalLines(s playbooks.Step, w int) []string {
	if s.Approval == nil {
		return nil
	}
	ss := r.state.Steps[s.ID]
	text := "Approval: " + s.Approval.Text()
	valid := r.state.ValidApprovals(s)
	var ae *incident.ApprovalError
	switch err := r.state.NeedsApproval(s, r.actor); {
	case len(valid) > 0 && err == nil:
		a := valid[len(valid)-1]
		text += " — approved by " + clean(a.Actor) + " (" + clean(a.Role) + ") " + a.At.UTC().Format("15:04Z")
		if a.Reason != "" {
			text += ": " + clean(a.Reason)
		}
	case errors.As(err, &ae) && !ss.State.Closed():
		who := "no one holds an approving role yet"
		if len(ae.Approvers) > 0 {
			who = "may approve: " + clean(strings.Join(ae.Approvers, ", "))
		}
		if r.state.CanApprove(s, r.actor) {
			who += " (y approves)"
		}
		// Wrapped plain, styled after: wrapping shows an escape sequence
		// as text.
		need := wrapIndent("", "NEEDS APPROVAL — "+who, w)
		for i := range need {
			need[i] = r.st.Bad.Render(need[i])
		}
		return append(wrapIndent("", text, w), need...)
	case !s.Approval.Needed(r.state.Severity):
		text += " — not needed at " + r.state.Severity.SEV()
	}
	return wrapIndent("", text, w)
}

// nextMine moves the cursor to the next of this responder's steps.
func (r *runnerModel) nextMine() {
	mine := r.state.MySteps(r.inc.Playbook, r.actor)
	if len(mine) == 0 {
		r.message = "no open step is assigned to you (" + r.actor + ") or to a role you hold: firebreak assign ID STEP " + r.actor
		return
	}
	ids := map[string]bool{}
	for _, s := range mine {
		ids[s.ID] = true
	}
	for i := 1; i <= len(r.steps); i++ {
		j := (r.cursor + i) % len(r.steps)
		if ids[r.steps[j].ID] {
			r.cursor, r.scroll, r.hscroll = j, 0, 0
			r.message = ""
			return
		}
	}
}
