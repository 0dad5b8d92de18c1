package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// StepActionFunc builds the action a playbook step binds, from the
// incident's facts, without asking anything on the terminal: a missing
// fact is an *actions.MissingFactsError (the console asks for it), an
// encrypted key is signing.ErrEncrypted (the console hands the step to
// `firebreak run` on the terminal, which asks for the passphrase). The CLI
// provides it, so the console runs exactly the executors `firebreak run`
// does.
type StepActionFunc func(ctx context.Context, inc *incident.Incident, step string) (actions.Action, error)

// actState is where an in-console action run is.
type actState int

const (
	actIdle      actState = iota
	actPreparing          // building the action and its plan
	actConfirm            // the plan is shown; waiting for the responder
	actRunning            // executing and verifying
	actFinished           // the outcome is shown until dismissed
)

func (s actState) String() string {
	return [...]string{"idle", "preparing", "confirm", "running", "finished"}[s]
}

// actionModel runs one step's action inside the console through the
// pipeline (actions.Runner): the plan is shown and confirmed (a typed word
// for destructive actions), the work shows a spinner and a progress bar,
// esc cancels it, and the verification is shown at the end. The pipeline
// runs in a goroutine started by a command; it talks to Update only through
// messages.
type actionModel struct {
	st    styles.Styles
	state actState
	run   int // which run the messages belong to
	step  playbooks.Step

	plan   *actions.Plan
	typed  textinput.Model // the confirmation word, for destructive plans
	answer chan bool       // the responder's yes or no to the plan
	events chan tea.Msg    // the pipeline's messages to Update
	cancel context.CancelFunc
	latest *atomic.Pointer[actions.Progress]

	// tick schedules the progress poll, which also turns the spinner;
	// tests replace it so that driving the model never sleeps.
	tick       func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	bar        progress.Model
	prog       actions.Progress
	started    time.Time
	cancelling bool

	out    *actions.Outcome
	err    error
	marked playbooks.State

	// scroll is the first line of the plan (and outcome) shown; the
	// question, the answer field and the run's status stay pinned below
	// it whatever the plan's length.
	scroll int
	// wrong says the last word typed was not the confirmation word, on a
	// line of its own (never in the field, where it would read as typed).
	wrong string
}

func newAction(st styles.Styles, noColor bool) actionModel {
	opts := []progress.Option{progress.WithoutPercentage(), progress.WithFillCharacters('#', '.')}
	if noColor {
		opts = append(opts, progress.WithColorProfile(termenv.Ascii))
	} else {
		opts = append(opts, progress.WithSolidFill("#1F4E8C"))
	}
	return actionModel{st: st, typed: newInput("", ""), tick: tea.Tick, bar: progress.New(opts...)}
}

// busy reports whether a run is under way (a plan waiting, or work).
func (a actionModel) busy() bool {
	return a.state == actPreparing || a.state == actConfirm || a.state == actRunning
}

// Messages from a run, each tagged with the run they belong to.
type (
	actionPlanMsg struct {
		run  int
		plan *actions.Plan
	}
	actionProgressMsg struct {
		run int
		p   actions.Progress
	}
	actionFinishedMsg struct {
		run    int
		id     string
		out    *actions.Outcome
		err    error
		marked playbooks.State
	}
)

// start begins a run of step's action: a command builds it, plans it and
// waits for the responder's answer before it executes.
func (a *actionModel) start(ctx context.Context, build StepActionFunc, inc *incident.Incident, actor string, step playbooks.Step, log *slog.Logger, now time.Time) tea.Cmd {
	a.run++
	run := a.run
	ctx, cancel := context.WithCancel(ctx)
	*a = actionModel{st: a.st, typed: a.typed, tick: a.tick, bar: a.bar, run: run, state: actPreparing, step: step, started: now,
		answer: make(chan bool, 1), events: make(chan tea.Msg, 1), cancel: cancel, latest: &atomic.Pointer[actions.Progress]{}}
	events, answer, latest := a.events, a.answer, a.latest
	go func() {
		defer cancel()
		r := &actions.Runner{Incident: inc, Actor: actor, Step: step.ID, ConfirmAll: true,
			Confirm: func(p *actions.Plan) (bool, error) {
				select {
				case events <- actionPlanMsg{run: run, plan: p}:
				case <-ctx.Done():
					return false, context.Cause(ctx)
				}
				select {
				case ok := <-answer:
					return ok, nil
				case <-ctx.Done():
					return false, context.Cause(ctx)
				}
			},
			Progress: func(p actions.Progress) { latest.Store(&p) },
		}
		msg := actionFinishedMsg{run: run, id: inc.Header.ID}
		act, err := build(ctx, inc, step.ID)
		if err == nil {
			log.Info("action started", "incident", inc.Header.ID, "step", step.ID, "action", step.Action.Name)
			msg.out, err = r.Run(ctx, act)
			msg.marked, err = actions.FinishStep(ctx, inc, actor, step, msg.out, err)
		}
		msg.err = err
		if err != nil {
			log.Warn("action ended with an error", "incident", inc.Header.ID, "step", step.ID, "action", step.Action.Name, "err", err)
		} else {
			log.Info("action done", "incident", inc.Header.ID, "step", step.ID, "action", step.Action.Name)
		}
		events <- msg
	}()
	return tea.Batch(waitActionCmd(events), a.pollCmd())
}

// waitActionCmd delivers the run's next message.
func waitActionCmd(ch <-chan tea.Msg) tea.Cmd { return func() tea.Msg { return <-ch } }

// pollCmd reads the latest progress ten times a second (and so turns the
// spinner) while the run is under way.
func (a actionModel) pollCmd() tea.Cmd {
	run, latest := a.run, a.latest
	return a.tick(100*time.Millisecond, func(time.Time) tea.Msg {
		var p actions.Progress
		if l := latest.Load(); l != nil {
			p = *l
		}
		return actionProgressMsg{run: run, p: p}
	})
}

// stop cancels the run: a plan waiting is declined, work under way sees
// its context end. The run still reports how it finished; the command
// returned waits for that.
func (a *actionModel) stop() tea.Cmd {
	if !a.busy() || a.cancel == nil {
		return nil
	}
	a.cancelling = true
	a.cancel()
	if a.state == actConfirm {
		a.state = actRunning
		a.typed.Blur()
		return waitActionCmd(a.events) // the plan's wait had not been issued
	}
	return nil
}

// answerPlan gives the responder's answer to the plan waiting and waits
// for what the run does next.
func (a actionModel) answerPlan(yes bool, now time.Time) (actionModel, tea.Cmd) {
	a.answer <- yes
	a.typed.Blur()
	a.state = actRunning
	if yes {
		a.started = now
	}
	return a, tea.Batch(waitActionCmd(a.events), a.pollCmd())
}

// dismiss clears a finished run.
func (a *actionModel) dismiss() {
	if a.state == actFinished {
		a.state, a.out, a.err, a.plan = actIdle, nil, nil, nil
	}
}

// typing reports whether the confirmation word has the keys.
func (a actionModel) typing() bool { return a.state == actConfirm }

// update handles the run's messages and, while a plan waits, its keys.
func (a actionModel) update(msg tea.Msg, now time.Time) (actionModel, tea.Cmd) {
	switch msg := msg.(type) {
	case actionPlanMsg:
		if msg.run != a.run {
			return a, nil
		}
		a.state, a.plan, a.scroll, a.wrong = actConfirm, msg.plan, 0, ""
		a.typed.SetValue("")
		a.typed.Placeholder = ""
		a.typed.Prompt = "> " // the line above says what to type: the field keeps the width
		if msg.plan.Destructive {
			return a, a.typed.Focus()
		}
		return a, nil
	case actionProgressMsg:
		if msg.run != a.run || (a.state != actRunning && a.state != actPreparing) {
			return a, nil
		}
		a.prog = msg.p
		return a, a.pollCmd()
	case actionFinishedMsg:
		if msg.run != a.run {
			return a, nil
		}
		a.state, a.out, a.err, a.marked, a.wrong = actFinished, msg.out, msg.err, msg.marked, ""
		if msg.out != nil && msg.out.Plan != nil {
			a.plan = msg.out.Plan
		}
		a.typed.Blur()
		return a, nil
	case tea.KeyMsg:
		if a.state != actConfirm {
			return a, nil
		}
		switch msg.Type {
		case tea.KeyEsc:
			return a.answerPlan(false, now)
		case tea.KeyEnter:
			if a.plan.Destructive && strings.TrimSpace(a.typed.Value()) != a.plan.Confirm {
				a.wrong = fmt.Sprintf("%q is not %s: nothing was changed; type %s, or esc to cancel", strings.TrimSpace(a.typed.Value()), a.plan.Confirm, a.plan.Confirm)
				a.typed.SetValue("")
				return a, nil
			}
			return a.answerPlan(true, now)
		case tea.KeyPgDown, tea.KeyPgUp:
			return a, nil // the runner scrolls the plan
		}
		if !a.plan.Destructive {
			switch msg.String() {
			case "y":
				return a.answerPlan(true, now)
			case "n":
				return a.answerPlan(false, now)
			}
			return a, nil
		}
		var cmd tea.Cmd
		a.typed, cmd = a.typed.Update(msg)
		return a, cmd
	}
	return a, nil
}

// view draws the run in the runner's right pane, w cells wide and h
// lines high: a header, the plan (and outcome) scrolled from a.scroll, and
// pinned under them what the responder must see — the question and the
// answer field, or the run's status — however long the plan is.
func (a actionModel) view(w, h int, now time.Time) []string {
	head, body, foot := a.parts(w, now)
	room := h - len(head) - len(foot)
	if room < 1 {
		// No room for the plan at all: the question still shows.
		return append(head, foot...)
	}
	return append(append(head, page(body, a.scroll, room, a.st.Muted.Render)...), foot...)
}

// scrollBy pages the plan (or outcome) by pages of what a w×h view shows
// of it: dir 1 down, -1 up.
func (a *actionModel) scrollBy(dir, w, h int, now time.Time) {
	head, body, foot := a.parts(w, now)
	room := h - len(head) - len(foot)
	a.scroll = pageScroll(a.scroll, dir*pageStep(len(body), a.scroll, room), len(body), room)
}

// parts are the view's header, scrolled body and pinned footer.
func (a actionModel) parts(w int, now time.Time) (head, body, foot []string) {
	name := a.step.Action.Name
	head = []string{a.st.Header.Render(truncate(fmt.Sprintf("%s %s — action %s", a.step.Number, clean(a.step.Title), name), w))}
	if a.plan != nil && a.state != actPreparing {
		body = append(body, wrapIndent("Plan: ", clean(a.plan.Summary), w)...)
		for _, c := range a.plan.Changes {
			body = append(body, wrapIndent("  - ", textutil.Name(c), w)...)
		}
	}
	switch a.state {
	case actPreparing:
		foot = []string{"", a.spinner(now) + " planning: reading what the action would change…", "", a.st.Muted.Render("esc cancels")}
	case actConfirm:
		foot = append(foot, "")
		if a.plan.Destructive {
			foot = append(foot, a.st.Warn.Render("DESTRUCTIVE: this changes or removes things."))
			foot = append(foot, wrap("Type "+a.plan.Confirm+" and press enter to go ahead; esc cancels (nothing is changed).", w)...)
			if a.wrong != "" {
				for _, l := range wrap(clean(a.wrong), w) {
					foot = append(foot, a.st.Bad.Render(l))
				}
			}
			foot = append(foot, truncate(a.typed.View(), w))
		} else {
			foot = append(foot, "enter or y: go ahead · esc or n: cancel (nothing is changed)")
		}
	case actRunning:
		foot = append(foot, "")
		verb := "running"
		if a.cancelling {
			verb = "CANCELLING (waiting for the action to stop)"
		}
		line := a.spinner(now) + " " + verb
		if !a.started.IsZero() {
			line += " · " + now.Sub(a.started).Truncate(100*time.Millisecond).String()
		}
		foot = append(foot, line)
		if p := a.prog; p.Total > 0 {
			frac := min(float64(p.Done)/float64(p.Total), 1)
			a.bar.Width = max(w-8, 10)
			state := fmt.Sprintf("%s of %s", textutil.Size(p.Done), textutil.Size(p.Total))
			if p.Done >= p.Total && !a.cancelling {
				// Copied: what takes the time now is the sync and the
				// read-back that checks the copy, then the record.
				state = "copied " + textutil.Size(p.Total) + "; verifying (sync, read back, record)…"
			}
			foot = append(foot, a.bar.ViewAs(frac)+fmt.Sprintf(" %3.0f%%", frac*100),
				truncate(state+" · "+clean(p.Item), w))
		} else if p.Item != "" {
			foot = append(foot, truncate(clean(p.Item), w))
		}
		foot = append(foot, "", a.st.Muted.Render("esc cancels the action (what it did so far is recorded)"))
	case actFinished:
		body = append(body, "")
		body = append(body, a.outcomeLines(w)...)
		foot = []string{"", a.st.Muted.Render("esc or a move dismisses this")}
	}
	return head, body, foot
}

// spinner turns with the clock (the progress poll redraws it).
func (a actionModel) spinner(now time.Time) string {
	return string(`|/-\`[int(now.Sub(a.started)/(100*time.Millisecond))&3])
}

func (a actionModel) outcomeLines(w int) []string {
	var out []string
	var mf *actions.MissingFactsError
	switch {
	case a.err == nil && a.out != nil && a.out.Result != nil:
		out = append(out, wrapIndent(a.st.Good.Render("DONE")+": ", clean(a.out.Result.Summary), w)...)
	case errors.Is(a.err, actions.ErrNotConfirmed):
		out = append(out, wrapIndent(a.st.Warn.Render("NOT RUN")+": ", "not confirmed; nothing was changed and the step is unchanged", w)...)
	case errors.Is(a.err, context.Canceled) && (a.out == nil || !a.out.Executed):
		out = append(out, wrapIndent(a.st.Warn.Render("NOT RUN")+": ", "cancelled before it changed anything; the step is unchanged", w)...)
	case errors.As(a.err, &mf):
		out = append(out, wrapIndent(a.st.Warn.Render("NOT RUN")+": ", clean(a.err.Error()), w)...)
	case a.err != nil && (a.out == nil || !a.out.Executed):
		out = append(out, wrapIndent(a.st.Warn.Render("NOT RUN")+": ", clean(a.err.Error())+" (nothing was changed; the step is unchanged)", w)...)
	case errors.Is(a.err, context.Canceled):
		out = append(out, wrapIndent(a.st.Warn.Render("CANCELLED")+": ", clean(a.err.Error())+"; the step is unchanged", w)...)
	case a.err != nil:
		out = append(out, wrapIndent(a.st.Bad.Render("FAILED")+": ", clean(a.err.Error()), w)...)
	}
	if a.out != nil && a.out.Verification != nil {
		out = append(out, "Verification:")
		for _, c := range a.out.Verification.Checks {
			mark := a.st.Good.Render("ok  ")
			if !c.OK {
				mark = a.st.Bad.Render("FAIL")
			}
			text := clean(c.What)
			if c.Detail != "" {
				text += " — " + clean(c.Detail)
			}
			out = append(out, wrapIndent("  "+mark+" ", text, w)...)
		}
	}
	if a.marked != "" {
		out = append(out, fmt.Sprintf("Step %s is now %s.", a.step.Number, strings.ToUpper(string(a.marked))))
	}
	return out
}

// wrapIndent wraps text after a first-line prefix, later lines indented
// to match.
func wrapIndent(prefix, text string, w int) []string {
	pw := min(ansi.StringWidth(prefix), w/2)
	lines := wrap(text, max(w-pw, 10))
	for i := range lines {
		if i == 0 {
			lines[i] = prefix + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", pw) + lines[i]
		}
	}
	return lines
}
