package incident

import (
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// State is everything derived from the journal.
type State struct {
	Header          Header
	Severity        severity.Level
	SeverityHistory []SeverityChange
	Facts           map[string]string
	Steps           map[string]StepStatus
	Milestones      map[string]Milestone
	Closed          bool
	ClosedAt        time.Time
	Events          int
	LastEvent       time.Time // logged time of the newest event
	Actors          []string
	Torn            []*journal.TornError
}

// SeverityChange is one entry of the severity history (the first is the
// opening severity).
type SeverityChange struct {
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	From   severity.Level `json:"from,omitempty"`
	To     severity.Level `json:"to"`
	Reason string         `json:"reason,omitempty"`
}

// StepStatus is a step's derived state and its history.
type StepStatus struct {
	State   playbooks.State `json:"state"`
	Actor   string          `json:"actor,omitempty"` // who made the last change
	At      time.Time       `json:"at,omitempty"`    // when the last change happened
	Reason  string          `json:"reason,omitempty"`
	History []StepChange    `json:"history,omitempty"`
}

// StepChange is one transition of a step.
type StepChange struct {
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Verb   string          `json:"verb"`
	To     playbooks.State `json:"to"`
	Reason string          `json:"reason,omitempty"`
}

// Milestone is when a milestone was reached, as the responder gave it.
type Milestone struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Logged time.Time `json:"logged"`
}

// Derive computes the state from events. Events are applied in the order they
// were logged (the order decisions were made), so a back-dated event does not
// reorder step transitions; times shown are the responders' "at" times.
func Derive(h Header, p *playbooks.Playbook, events []journal.Event) *State {
	evs := append([]journal.Event(nil), events...)
	journal.SortLogged(evs)
	st := &State{
		Header:     h,
		Severity:   h.Severity,
		Facts:      map[string]string{},
		Steps:      map[string]StepStatus{},
		Milestones: map[string]Milestone{},
		Events:     len(evs),
	}
	st.SeverityHistory = append(st.SeverityHistory, SeverityChange{At: h.Created, Actor: h.CreatedBy, To: h.Severity})
	for _, in := range p.Inputs {
		if in.Default != "" {
			st.Facts[in.Name] = in.Default
		}
	}
	for _, s := range p.Steps() {
		st.Steps[s.ID] = StepStatus{State: playbooks.Pending}
	}
	actors := map[string]bool{}
	for _, e := range evs {
		actors[e.Actor] = true
		if e.Logged.After(st.LastEvent) {
			st.LastEvent = e.Logged
		}
		verb := playbooks.VerbOf(e.Kind)
		switch {
		case e.Kind == KindSeverity, e.Kind == KindFact, e.Kind == KindMilestone, e.Kind == KindClosed:
		case verb != "" && e.Step != "":
		default:
			continue // notes, actions, exports: timeline only
		}
		switch e.Kind {
		case KindSeverity:
			d := decode[SeverityData](e.Data)
			to, err := severity.Parse(d.To)
			if err != nil {
				continue
			}
			st.SeverityHistory = append(st.SeverityHistory, SeverityChange{At: e.At, Actor: e.Actor, From: st.Severity, To: to, Reason: d.Reason})
			st.Severity = to
		case KindFact:
			if d := decode[FactData](e.Data); factFits(p, d) {
				st.Facts[d.Name] = d.Value
			}
		case KindMilestone:
			if name := decode[MilestoneData](e.Data).Name; name != "" {
				st.Milestones[name] = Milestone{At: e.At, Actor: e.Actor, Logged: e.Logged}
			}
		case KindClosed:
			st.Closed, st.ClosedAt = true, e.At
		default:
			ss, ok := st.Steps[e.Step]
			if !ok {
				continue // a step the playbook does not have: kept in the timeline only
			}
			to, err := playbooks.Transition(e.Step, ss.State, verb)
			if err != nil {
				// Two responders raced; the journal keeps both, the first wins.
				continue
			}
			reason := decode[StepData](e.Data).Reason
			ss.State, ss.Actor, ss.At, ss.Reason = to, e.Actor, e.At, reason
			ss.History = append(ss.History, StepChange{At: e.At, Actor: e.Actor, Verb: verb, To: to, Reason: reason})
			st.Steps[e.Step] = ss
		}
	}
	for a := range actors {
		st.Actors = append(st.Actors, a)
	}
	sort.Strings(st.Actors)
	return st
}

// ResponseDeadline is when the response is due at the current severity,
// counted from the opening.
func (st *State) ResponseDeadline() time.Time { return st.Severity.Deadline(st.Header.Created) }

// StepDeadline is when a step is due, or zero when it has no deadline.
func (st *State) StepDeadline(s playbooks.Step) time.Time {
	if s.Deadline == 0 {
		return time.Time{}
	}
	return st.Header.Created.Add(s.Deadline)
}

// Overdue reports whether a step is open past its deadline at now.
func (st *State) Overdue(s playbooks.Step, now time.Time) bool {
	d := st.StepDeadline(s)
	return !d.IsZero() && !st.Steps[s.ID].State.Closed() && now.After(d)
}

// Progress counts closed (done or skipped) steps and all steps.
func (st *State) Progress() (closed, total int) {
	for _, s := range st.Steps {
		total++
		if s.State.Closed() {
			closed++
		}
	}
	return closed, total
}

// factFits checks a fact read back from the journal as SetFact checked it
// when it was written: a value; one line, unless its input is text. A line
// that does not (another responder's file, a corrupted record) changes no
// fact: a path with a newline would name two files to a list argument.
func factFits(p *playbooks.Playbook, d FactData) bool {
	if d.Name == "" || strings.TrimSpace(d.Value) == "" {
		return false
	}
	if in, ok := p.Input(d.Name); ok && in.Type != playbooks.TypeText && strings.ContainsAny(d.Value, "\r\n") {
		return false
	}
	return true
}
