package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// promptKind is what the runner's text field is asking for.
type promptKind int

const (
	promptNone promptKind = iota
	promptSkip
	promptFail
	promptNote
	promptMilestone
	promptSeverity
	promptFact
	promptReopenStep
	promptClose
	promptReopenIncident
	promptApprove
	promptStatus
)

func (p promptKind) String() string {
	switch p {
	case promptSkip:
		return "reason to skip"
	case promptFail:
		return "reason it failed"
	case promptNote:
		return "note"
	case promptMilestone:
		return "milestone (" + strings.Join(incident.Milestones, ", ") + ") [when: -2h, 2026-11-22 03:10; now if left out]"
	case promptReopenStep:
		return "reason to reopen the step"
	case promptClose:
		return "reason to close the incident"
	case promptReopenIncident:
		return "reason to reopen the incident"
	case promptSeverity:
		return "new severity and why (e.g. SEV-1 key confirmed public)"
	case promptFact:
		return "fact"
	case promptApprove:
		return "why it may go ahead (your approval)"
	case promptStatus:
		return "status update"
	}
	return ""
}

type runnerModel struct {
	st      styles.Styles
	nav     keys.Nav
	keys    keys.Runner
	now     func() time.Time
	inc     *incident.Incident
	state   *incident.State
	events  []journal.Event
	stamp   string
	steps   []playbooks.Step
	cursor  int
	scroll  int      // guidance scroll
	hscroll int      // code blocks' sideways scroll (←/→)
	absent  []string // file and directory facts whose path does not exist
	prompt  promptKind
	input   textinput.Model
	w, h    int
	message string

	exe, home, actor string // for handing a step's action to the terminal (see actionExec)
	build            StepActionFunc
	act              actionModel
	facts            []string // facts still to ask for before the action runs again
	log              *slog.Logger
	guide            *guide
	sync             *syncState

	// The selected step's plan, made as a dry run a moment after the
	// cursor stops on it (previewSeq says which request is current).
	preview    *planPreview
	previewSeq int
	tick       func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

// planPreview is the dry-run plan of a step's action for one state of the
// journal.
type planPreview struct {
	step, stamp string
	plan        *actions.Plan
	err         error
}

type (
	previewDueMsg struct{ seq int }
	previewMsg    struct {
		seq int
		p   planPreview
	}
)

// schedulePreview asks for the selected step's plan once the cursor has
// rested for a moment (moving through the list plans nothing).
func (r *runnerModel) schedulePreview() tea.Cmd {
	r.previewSeq++
	if r.build == nil || r.inc == nil || len(r.steps) == 0 || r.steps[r.cursor].Action == nil || r.tick == nil {
		return nil
	}
	if p := r.preview; p != nil && p.step == r.steps[r.cursor].ID && p.stamp == r.stamp {
		return nil
	}
	seq := r.previewSeq
	return r.tick(300*time.Millisecond, func(time.Time) tea.Msg { return previewDueMsg{seq: seq} })
}

// previewCmd makes the plan without changing anything: Plan only reads.
func previewCmd(ctx context.Context, build StepActionFunc, inc *incident.Incident, step, stamp string, seq int) tea.Cmd {
	return func() tea.Msg {
		p := planPreview{step: step, stamp: stamp}
		act, err := build(ctx, inc, step)
		if err == nil {
			p.plan, err = act.Plan(ctx)
			if w, ok := act.(actions.Wiper); ok {
				w.Wipe() // built for the plan only: no key outlives it
			}
		}
		p.err = err
		return previewMsg{seq: seq, p: p}
	}
}

func newRunner(st styles.Styles, now func() time.Time) runnerModel {
	ti := newInput("", "")
	ti.CharLimit = 500
	return runnerModel{st: st, nav: keys.NewNav(), keys: keys.NewRunner(), now: now, input: ti}
}

func (r *runnerModel) setSize(w, h int) { r.w, r.h = w, h }

func (r *runnerModel) set(inc *incident.Incident, st *incident.State, evs []journal.Event, stamp string) {
	if r.inc == nil || r.inc.Header.ID != inc.Header.ID {
		r.cursor, r.scroll, r.message = 0, 0, ""
	}
	r.inc, r.state, r.events, r.stamp = inc, st, evs, stamp
	r.steps = inc.Playbook.Steps()
	r.cursor = min(r.cursor, max(len(r.steps)-1, 0))
}

func (r runnerModel) prompting() bool { return r.prompt != promptNone || r.act.typing() }

// stepCmd applies a verb through the same code path as `firebreak step`.
func stepCmd(ctx context.Context, inc *incident.Incident, actor, step, verb, reason string) tea.Cmd {
	return func() tea.Msg {
		_, _, err := inc.Step(ctx, actor, step, verb, reason, time.Time{})
		var te *playbooks.TransitionError
		if errors.As(err, &te) && verb != playbooks.VerbReopen {
			err = fmt.Errorf("%w (o reopens it, with a reason)", err)
		}
		return changedMsg{id: inc.Header.ID, err: err}
	}
}

// milestoneCmd reads "NAME [WHEN]" (WHEN as incident.ParseTime reads it:
// -2h, 2026-11-22 03:10) and records the milestone, back-dated when given.
func milestoneCmd(ctx context.Context, inc *incident.Incident, actor, text string, now time.Time) tea.Cmd {
	return func() tea.Msg {
		name, when, _ := strings.Cut(strings.TrimSpace(text), " ")
		at := time.Time{}
		if when = strings.TrimSpace(when); when != "" {
			t, err := incident.ParseTime(when, now)
			if err != nil {
				return changedMsg{id: inc.Header.ID, err: err}
			}
			at = t
		}
		return changedMsg{id: inc.Header.ID, err: inc.SetMilestone(ctx, actor, name, at)}
	}
}

// closeCmd closes or reopens the incident with a reason.
func closeCmd(ctx context.Context, inc *incident.Incident, actor, reason string, reopen bool) tea.Cmd {
	return func() tea.Msg {
		if reopen {
			return changedMsg{id: inc.Header.ID, err: inc.Reopen(ctx, actor, reason, time.Time{})}
		}
		return changedMsg{id: inc.Header.ID, err: inc.Close(ctx, actor, reason, time.Time{})}
	}
}

// severityCmd reads "LEVEL reason…" and changes the severity.
func severityCmd(ctx context.Context, inc *incident.Incident, actor, text string) tea.Cmd {
	return func() tea.Msg {
		level, reason, _ := strings.Cut(text, " ")
		to, err := severity.Parse(level)
		if err == nil {
			err = inc.SetSeverity(ctx, actor, to, reason, time.Time{})
		}
		return changedMsg{id: inc.Header.ID, err: err}
	}
}

func noteCmd(ctx context.Context, inc *incident.Incident, actor, step, text string) tea.Cmd {
	return func() tea.Msg {
		return changedMsg{id: inc.Header.ID, err: inc.Note(ctx, actor, text, step, time.Time{})}
	}
}

// updatePrompt handles a key while a text field is open (a reason, a
// note, a fact, a milestone, a severity): enter records, esc cancels.
func (r runnerModel) updatePrompt(km tea.KeyMsg, actor string, ctx context.Context) (runnerModel, tea.Cmd, screen) {
	switch km.Type {
	case tea.KeyEsc:
		r.prompt, r.facts = promptNone, nil
		r.input.Blur()
		return r, nil, screenRunner
	case tea.KeyEnter:
		text := strings.TrimSpace(r.input.Value())
		kind := r.prompt
		r.prompt = promptNone
		r.input.Blur()
		if text == "" {
			r.message, r.facts = "nothing entered: nothing recorded", nil
			return r, nil, screenRunner
		}
		step := r.steps[r.cursor].ID
		switch kind {
		case promptFact:
			return r, factCmd(ctx, r.inc, actor, r.facts[0], text), screenRunner
		case promptSkip:
			return r, stepCmd(ctx, r.inc, actor, step, playbooks.VerbSkip, text), screenRunner
		case promptFail:
			return r, stepCmd(ctx, r.inc, actor, step, playbooks.VerbFail, text), screenRunner
		case promptMilestone:
			return r, milestoneCmd(ctx, r.inc, actor, text, r.now()), screenRunner
		case promptReopenStep:
			return r, stepCmd(ctx, r.inc, actor, step, playbooks.VerbReopen, text), screenRunner
		case promptClose:
			return r, closeCmd(ctx, r.inc, actor, text, false), screenRunner
		case promptReopenIncident:
			return r, closeCmd(ctx, r.inc, actor, text, true), screenRunner
		case promptSeverity:
			return r, severityCmd(ctx, r.inc, actor, text), screenRunner
		case promptApprove:
			return r, approveCmd(ctx, r.inc, actor, step, text), screenRunner
		case promptStatus:
			return r, statusCmd(ctx, r.inc, actor, text), screenRunner
		default:
			return r, noteCmd(ctx, r.inc, actor, step, text), screenRunner
		}
	}
	var cmd tea.Cmd
	r.input, cmd = r.input.Update(km)
	return r, cmd, screenRunner
}

func (r runnerModel) update(msg tea.Msg, actor string, ctx context.Context) (runnerModel, tea.Cmd, screen) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || r.inc == nil {
		return r, nil, screenRunner
	}
	if r.prompt != promptNone {
		return r.updatePrompt(km, actor, ctx)
	}
	if r.act.state != actIdle && (km.Type == tea.KeyPgDown || km.Type == tea.KeyPgUp) {
		// The plan, or the outcome, scrolls; the question stays put.
		_, rightW := r.widths()
		dir := 1
		if km.Type == tea.KeyPgUp {
			dir = -1
		}
		r.act.scrollBy(dir, rightW, r.paneHeight(), r.now())
		return r, nil, screenRunner
	}
	if r.act.typing() {
		var cmd tea.Cmd
		r.act, cmd = r.act.update(msg, r.now())
		return r, cmd, screenRunner
	}
	if len(r.steps) == 0 {
		return r, nil, screenRunner
	}
	if km.Type == tea.KeyEsc {
		cmd := r.act.stop()
		r.act.dismiss()
		return r, cmd, screenRunner
	}
	if r.act.busy() && !key.Matches(km, r.nav.Up, r.nav.Down, r.nav.PageUp, r.nav.PageDown) {
		// While an action runs only cancelling, quitting and scrolling
		// are live: a step change now would be recorded beside the
		// action's own (a step failed, then done by the action).
		r.message = "an action is running (step " + r.act.step.Number + "): esc cancels it; other keys wait until it ends"
		return r, nil, screenRunner
	}
	if key.Matches(km, r.keys.CloseIncident) {
		if r.state.Closed {
			r.prompt = promptReopenIncident
		} else {
			r.prompt = promptClose
		}
		r.input.SetValue("")
		r.input.Prompt = r.prompt.String() + ": "
		return r, r.input.Focus(), screenRunner
	}
	if r.state.Closed && key.Matches(km, r.keys.Start, r.keys.Done, r.keys.Skip, r.keys.Fail, r.keys.Run, r.keys.RunTerminal, r.keys.ReopenStep) {
		r.message = fmt.Sprintf("the incident is closed (since %s): steps no longer change; C reopens it, with a reason", r.state.ClosedAt.UTC().Format("2006-01-02 15:04Z"))
		return r, nil, screenRunner
	}
	step := r.steps[r.cursor].ID
	ask := func(p promptKind) (runnerModel, tea.Cmd, screen) {
		r.prompt = p
		r.input.SetValue("")
		r.input.Prompt = p.String() + ": "
		return r, r.input.Focus(), screenRunner
	}
	switch {
	case key.Matches(km, r.nav.Up):
		r.act.dismiss()
		r.cursor, r.scroll, r.hscroll = max(r.cursor-1, 0), 0, 0
		return r, r.schedulePreview(), screenRunner
	case key.Matches(km, r.nav.Down):
		r.act.dismiss()
		r.cursor, r.scroll, r.hscroll = min(r.cursor+1, len(r.steps)-1), 0, 0
		return r, r.schedulePreview(), screenRunner
	case km.Type == tea.KeyRight || km.Type == tea.KeyLeft:
		// Code blocks in the guidance are never wrapped: they scroll
		// sideways, so a long command is read (and copied) whole.
		if km.Type == tea.KeyRight {
			r.hscroll += 16
		} else {
			r.hscroll = max(r.hscroll-16, 0)
		}
	case key.Matches(km, r.nav.PageDown), key.Matches(km, r.nav.PageUp):
		_, rightW := r.widths()
		head, body := r.detail(rightW)
		h := r.paneHeight() - len(head)
		delta := pageStep(len(body), r.scroll, h)
		if key.Matches(km, r.nav.PageUp) {
			delta = -delta
		}
		r.scroll = pageScroll(r.scroll, delta, len(body), h)
	case key.Matches(km, r.keys.Start):
		return r, stepCmd(ctx, r.inc, actor, step, playbooks.VerbStart, ""), screenRunner
	case key.Matches(km, r.keys.Done):
		return r, stepCmd(ctx, r.inc, actor, step, playbooks.VerbDone, ""), screenRunner
	case key.Matches(km, r.keys.Skip):
		return ask(promptSkip)
	case key.Matches(km, r.keys.Fail):
		return ask(promptFail)
	case key.Matches(km, r.keys.Note):
		return ask(promptNote)
	case key.Matches(km, r.keys.Milestone):
		return ask(promptMilestone)
	case key.Matches(km, r.keys.ReopenStep):
		return ask(promptReopenStep)
	case key.Matches(km, r.keys.Severity):
		return ask(promptSeverity)
	case key.Matches(km, r.keys.Status):
		return ask(promptStatus)
	case key.Matches(km, r.keys.Mine):
		r.nextMine()
		return r, r.schedulePreview(), screenRunner
	case key.Matches(km, r.keys.Approve):
		// Refused before the reason is asked for, when it would be.
		if why := r.approveRefusal(r.steps[r.cursor]); why != "" {
			r.message = why
			return r, nil, screenRunner
		}
		return ask(promptApprove)
	case key.Matches(km, r.keys.Run), key.Matches(km, r.keys.RunTerminal):
		s := r.steps[r.cursor]
		onTerminal := key.Matches(km, r.keys.RunTerminal) || r.build == nil
		switch {
		case s.Action == nil:
			r.message = "step " + s.Number + " is done by hand: follow the guidance, then d to mark it done"
		case r.act.busy():
			r.message = "an action is already running (step " + r.act.step.Number + "); esc cancels it"
		case r.state.Steps[s.ID].State.Closed():
			r.message = "step " + s.Number + " is " + string(r.state.Steps[s.ID].State) + "; o reopens it (with a reason) to run it again"
		case r.state.NeedsApproval(s, actor) != nil:
			// Refused here, before any fact is asked for.
			var ae *incident.ApprovalError
			errors.As(r.state.NeedsApproval(s, actor), &ae)
			r.message = runRefusal(ae)
		case onTerminal && r.exe == "":
			r.message = "running actions is not available here; use: firebreak run " + r.inc.Header.ID + " " + s.ID
		case onTerminal:
			r.message = ""
			return r, runActionCmd(r.exe, r.home, r.actor, r.inc.Header.ID, s.ID), screenRunner
		default:
			r.message = ""
			return r, r.act.start(ctx, r.build, r.inc, actor, s, r.log, r.now()), screenRunner
		}
	case key.Matches(km, r.keys.Timeline):
		return r, nil, screenTimeline
	case key.Matches(km, r.keys.Evidence):
		return r, nil, screenEvidence
	case key.Matches(km, r.keys.Facts):
		return r, nil, screenFacts
	case key.Matches(km, r.keys.Comms):
		return r, nil, screenComms
	case key.Matches(km, r.keys.Refresh):
		id := r.inc.Header.ID
		return r, func() tea.Msg { return changedMsg{id: id} }, screenRunner
	}
	return r, nil, screenRunner
}

func (r runnerModel) view() string {
	if r.inc == nil {
		return r.st.Muted.Render("Loading…")
	}
	leftW, rightW := r.widths()
	steps, at := r.stepList(leftW)
	h := r.paneHeight()
	var right []string
	if r.act.state != actIdle {
		right = r.act.view(rightW, h, r.now())
	} else {
		head, body := r.detail(rightW)
		right = append(head, page(showCode(body, r.hscroll), r.scroll, h-len(head), r.st.Muted.Render)...)
	}
	left := scrollList(steps, at, h, r.st.Muted.Render)
	var b strings.Builder
	b.WriteString(r.st.Title.Render(truncate(clean(r.inc.Header.Title)+" — "+r.inc.Playbook.ID+" "+r.inc.Playbook.Title, r.w)) + "\n")
	b.WriteString(truncate(r.metricsLine(), r.w) + "\n")
	b.WriteString(truncate(r.teamLine(), r.w) + "\n")
	panes(&b, left, right, leftW, rightW, h, r.st.Border.Render(" │ "))
	if r.prompt == promptFact {
		// Why it asks, or why the last answer was refused, above the field.
		if r.message != "" {
			b.WriteString(r.st.Muted.Render(truncate(clean(r.message), r.w)) + "\n")
		}
		in, _ := r.inc.Playbook.Input(r.facts[0])
		b.WriteString(truncate(r.facts[0]+" — "+clean(in.Title)+" (needed by the action)", r.w) + "\n")
		b.WriteString(r.input.View() + "\n")
	} else if r.prompt != promptNone {
		b.WriteString(r.input.View() + "\n")
	} else {
		for _, l := range r.messageLines() {
			b.WriteString(r.st.Muted.Render(l) + "\n")
		}
	}
	return b.String()
}

// metricsLine shows the runbook's response metrics against their targets:
// the value with MET or MISSED once both milestones are set, else the time
// left until the target passes.
func (r runnerModel) metricsLine() string {
	short := map[string]string{incident.MetricDetect: "TTD", incident.MetricContain: "TTC",
		incident.MetricRecover: "TTR", incident.MetricReview: "review"}
	now := r.now()
	var parts []string
	for _, m := range r.state.Metrics() {
		p := short[m.Name] + " "
		switch {
		case m.Known && m.Met:
			p += incident.FormatSpan(m.Value) + " MET (" + m.TargetText + ")"
		case m.Known:
			p += r.st.Bad.Render(incident.FormatSpan(m.Value) + " MISSED (" + m.TargetText + ")")
		case !m.Due.IsZero() && m.Due.After(now):
			p += "— " + incident.FormatSpan(m.Due.Sub(now)) + " left (" + m.TargetText + ")"
		case !m.Due.IsZero():
			p += r.st.Bad.Render("— OVER by " + incident.FormatSpan(now.Sub(m.Due)) + " (" + m.TargetText + ")")
		default:
			p += "— (" + m.TargetText + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

// stepList is the steps under their phases, and the line the cursor is on.
func (r runnerModel) stepList(w int) ([]string, int) {
	var out []string
	at := 0
	now := r.now()
	phase := ""
	for i, s := range r.steps {
		if s.Phase != phase {
			phase = s.Phase
			for _, ph := range r.inc.Playbook.Phases {
				if ph.ID == phase {
					out = append(out, r.st.Header.Render(truncate(clean(ph.Title), w)))
				}
			}
		}
		ss := r.state.Steps[s.ID]
		mark := "  "
		if i == r.cursor {
			mark, at = "> ", len(out)
		}
		due := ""
		if r.state.Overdue(s, now) {
			due = " OVERDUE"
		}
		// Who has it and whether it waits for approval, before the title:
		// a narrow list cuts the title, not these.
		tags := ""
		if !ss.State.Closed() && r.state.NeedsApproval(s, r.actor) != nil {
			tags = "[appr] "
		}
		if ss.Assignee != "" {
			tags += "@" + clean(shortName(ss.Assignee)) + " "
		}
		line := fmt.Sprintf("%s%s %-4s %s%s%s", mark, ss.State.Icon(), s.Number, tags, clean(s.Title), due)
		line = truncate(line, w)
		switch {
		case i == r.cursor:
			line = r.st.Selected.Render(pad(line, w))
		case due != "" || ss.State == playbooks.Failed:
			line = r.st.Bad.Render(line)
		case ss.State.Closed():
			line = r.st.Muted.Render(line)
		}
		out = append(out, line)
	}
	out = append(out, "", r.st.Muted.Render("[ ] pending [>] started [x] done [-] skipped [!] failed"))
	return out, at
}

// widths are the step list's and the detail pane's.
func (r runnerModel) widths() (left, right int) {
	left = min(max(r.w*2/5, 30), 60)
	return left, max(r.w-left-3, 20)
}

// paneHeight is the panes' height: the screen less the title, the metrics
// and team lines and the prompt.
func (r runnerModel) paneHeight() int {
	h := max(r.h-4, 1)
	if r.prompt == promptFact {
		// What it asks on one line, the answer on the next (why, above).
		h -= 2
		if r.message != "" {
			h--
		}
		h = max(h, 1)
	} else if r.prompt != promptNone {
		h--
	} else if n := len(r.messageLines()); n > 1 {
		h = max(h-(n-1), 1)
	}
	return h
}

// messageLines is the message under the panes, wrapped to at most three
// lines: a refusal says in full how to go on.
func (r runnerModel) messageLines() []string {
	if r.message == "" {
		return nil
	}
	lines := wrap(clean(r.message), max(r.w, 20))
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = truncate(lines[2]+" …", r.w)
	}
	return lines
}

// absentFor is the absent paths among the facts s's action reads.
func (r runnerModel) absentFor(s playbooks.Step) []string {
	if s.Action == nil || len(r.absent) == 0 || r.state.Steps[s.ID].State.Closed() {
		return nil // a closed step's inputs may well be gone: a quarantined module is
	}
	var out []string
	for _, a := range r.absent {
		name, _, _ := strings.Cut(a, ":")
		for _, v := range s.Action.Args {
			if strings.Contains(v, "${"+name+"}") {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// detail is the selected step: what stays at the top (state, roles,
// deadline, action) and the guidance below it, which scrolls.
func (r runnerModel) detail(w int) (head, body []string) {
	s := r.steps[r.cursor]
	ss := r.state.Steps[s.ID]
	out := []string{r.st.Header.Render(fmt.Sprintf("%s %s (%s)", s.Number, clean(s.Title), s.ID))}
	status := strings.ToUpper(string(ss.State))
	if ss.Actor != "" {
		status += " by " + clean(ss.Actor) + " at " + ss.At.UTC().Format("2006-01-02 15:04Z")
		if ss.Reason != "" {
			status += " — " + clean(ss.Reason)
		}
	}
	out = append(out, "State: "+status, "RACI: "+clean(s.RACI.String()))
	if ss.Assignee != "" {
		out = append(out, "Assigned: "+clean(ss.Assignee))
	}
	out = append(out, r.approvalLines(s, w)...)
	if absent := r.absentFor(s); len(absent) > 0 {
		// Only the facts this step's action reads: a module already
		// quarantined no longer exists where it was, and that is right.
		for _, l := range wrap("Does not exist: "+clean(strings.Join(absent, "; "))+" (F corrects a fact)", w) {
			out = append(out, r.st.Bad.Render(l))
		}
	}
	if d := r.state.StepDeadline(s); !d.IsZero() {
		left := d.Sub(r.now())
		when := "due " + d.UTC().Format("2006-01-02 15:04Z")
		switch {
		case r.state.Closed: // the incident is over: no countdown
		case left > 0:
			when += " (" + incident.FormatSpan(left) + " left)"
		case !ss.State.Closed():
			when += " (OVERDUE by " + incident.FormatSpan(-left) + ")"
		}
		out = append(out, "Deadline: "+when)
	}
	if s.Action != nil {
		how := " (a runs it here; A on the terminal)"
		if r.exe == "" {
			how = " (a runs it)"
		}
		out = append(out, "Action: "+s.Action.Name+how)
		spec, _ := app.Spec(s.Action.Name)
		for _, k := range slices.Sorted(maps.Keys(s.Action.Args)) {
			v, err := playbooks.Expand(s.Action.Args[k], r.state.Facts)
			var me *playbooks.MissingError
			if errors.As(err, &me) {
				if slices.Contains(spec.Required, k) {
					v = "(not set: needs fact " + strings.Join(me.Names, ", ") + "; a asks for it)"
				} else {
					v = "(optional: no fact " + strings.Join(me.Names, ", ") + ")"
				}
			} else if err != nil {
				v = "(" + err.Error() + ")"
			}
			out = append(out, "  "+k+" = "+clean(strings.ReplaceAll(v, "\n", ", "))) // a list on one line
		}
		if p := r.preview; p != nil && p.step == s.ID && p.stamp == r.stamp && !ss.State.Closed() {
			var mf *actions.MissingFactsError
			switch {
			case p.err == nil:
				out = append(out, wrapIndent("Would: ", clean(p.plan.Summary), w)...)
				for _, c := range p.plan.Changes {
					out = append(out, wrapIndent("  - ", clean(c), w)...)
				}
			case errors.As(p.err, &mf):
				out = append(out, wrapIndent("Would: ", "first needs "+strings.Join(mf.Names, ", ")+" (a asks)", w)...)
			default:
				out = append(out, wrapIndent(r.st.Bad.Render("Cannot run yet")+": ", clean(p.err.Error()), w)...)
			}
		}
	}
	out = append(out, "")
	body = r.guide.lines(playbooks.Render(s.Guidance, r.state.Facts), w)
	for _, c := range s.Checklist {
		body = append(body, "[ ] "+clean(c))
	}
	// Only the step's identity stays pinned (title, state, roles,
	// deadline, the action's name): its inputs and a long preview scroll
	// with the guidance, so a plan of many files never pushes the
	// guidance off the pane with nothing to scroll.
	pinned := len(out)
	for i, l := range out {
		if strings.HasPrefix(l, "Action: ") {
			pinned = i + 1
			break
		}
	}
	return out[:pinned], append(out[pinned:len(out):len(out)], body...)
}

func (r runnerModel) shortHelp() []key.Binding {
	if r.prompt != promptNone {
		return []key.Binding{r.keys.Record, r.keys.CancelField}
	}
	switch r.act.state {
	case actConfirm:
		return []key.Binding{r.keys.GoAhead, r.keys.CancelAction}
	case actPreparing, actRunning:
		return []key.Binding{r.keys.CancelAction, r.nav.Up, r.nav.Down, r.nav.PageDown}
	case actFinished:
		return []key.Binding{r.keys.Dismiss, r.nav.Up, r.nav.Down, r.keys.Timeline}
	}
	if r.state != nil && r.state.Closed {
		return []key.Binding{r.keys.CloseIncident, r.keys.Note, r.keys.Timeline, r.keys.Facts}
	}
	return []key.Binding{r.keys.Run, r.keys.Start, r.keys.Done, r.keys.Skip, r.keys.Note, r.keys.Timeline}
}

func (r runnerModel) fullHelp() []key.Binding {
	if r.act.busy() {
		return []key.Binding{r.keys.CancelAction, r.nav.Up, r.nav.Down, r.nav.PageUp, r.nav.PageDown}
	}
	return uniqueKeys(append([]key.Binding{r.nav.Up, r.nav.Down}, append(r.shortHelp(), r.keys.RunTerminal, r.keys.Fail, r.keys.Evidence, r.keys.Comms, r.keys.Facts, r.keys.ReopenStep, r.keys.CloseIncident, r.keys.CodeScroll, r.keys.Milestone, r.keys.Severity, r.keys.Status, r.keys.Approve, r.keys.Mine, r.nav.Sync, r.nav.PageUp, r.nav.PageDown, r.keys.Refresh)...))
}

// uniqueKeys drops a binding already listed (by its help key), so help
// never shows a key twice.
func uniqueKeys(bs []key.Binding) []key.Binding {
	seen := map[string]bool{}
	out := bs[:0:0]
	for _, b := range bs {
		if k := b.Help().Key; !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out
}

// factSetMsg reports a fact the console asked for before an action.
type factSetMsg struct {
	id  string
	err error
}

// factCmd records a fact, as `firebreak run --set` does (SetFact checks
// it against the playbook's input type first).
func factCmd(ctx context.Context, inc *incident.Incident, actor, name, value string) tea.Cmd {
	return func() tea.Msg {
		return factSetMsg{id: inc.Header.ID, err: inc.SetFact(ctx, actor, name, value, time.Time{})}
	}
}

// askFact opens the prompt for the next fact the action needs.
func (r *runnerModel) askFact() tea.Cmd {
	r.prompt = promptFact
	r.input.SetValue("")
	r.input.Prompt = "> "
	r.input.Width = max(r.w-4, 10) // a long answer scrolls inside the line
	return r.input.Focus()
}

// updateAction takes the messages of an in-console action run and of the
// facts asked for it.
func (r runnerModel) updateAction(msg tea.Msg, ctx context.Context) (runnerModel, tea.Cmd) {
	switch msg := msg.(type) {
	case previewDueMsg:
		if msg.seq != r.previewSeq || r.inc == nil || len(r.steps) == 0 {
			return r, nil
		}
		return r, previewCmd(ctx, r.build, r.inc, r.steps[r.cursor].ID, r.stamp, msg.seq)
	case previewMsg:
		if msg.seq == r.previewSeq {
			r.preview = &msg.p
		}
		return r, nil
	case factSetMsg:
		if r.inc == nil || msg.id != r.inc.Header.ID || len(r.facts) == 0 {
			return r, nil
		}
		if msg.err != nil {
			r.message = "not recorded: " + msg.err.Error()
			return r, r.askFact()
		}
		r.facts, r.message = r.facts[1:], ""
		if len(r.facts) > 0 {
			return r, r.askFact()
		}
		// Every fact is in: run the action again with them.
		return r, r.act.start(ctx, r.build, r.inc, r.actor, r.act.step, r.log, r.now())
	case actionFinishedMsg:
		var cmd tea.Cmd
		r.act, cmd = r.act.update(msg, r.now())
		if msg.run == r.act.run {
			r.message = "" // "an action is running…" and the like no longer hold
		}
		var mf *actions.MissingFactsError
		switch {
		case msg.run != r.act.run:
		case errors.As(msg.err, &mf):
			r.facts = mf.Names
			r.message = "the action needs " + strings.Join(mf.Names, ", ") + "; enter each (esc gives up)"
			return r, tea.Batch(cmd, r.askFact())
		case errors.Is(msg.err, signing.ErrEncrypted):
			r.message = "the key is encrypted: press A to run this step on the terminal, where firebreak run asks for the passphrase"
		}
		return r, cmd
	}
	var cmd tea.Cmd
	r.act, cmd = r.act.update(msg, r.now())
	return r, cmd
}
