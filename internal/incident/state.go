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
	// Roles maps a role to who holds it (the commander: see Commander).
	Roles map[string]RoleHolder
	// Handoffs are the commander handoffs, in order.
	Handoffs  []Handoff
	Followups []Followup
	// LastStatus is when the last status update was given (a status note
	// or a rendered message).
	LastStatus time.Time
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
	// Assignee is who was given the step, if anyone.
	Assignee string `json:"assignee,omitempty"`
	// Approvals of the step since it was last reopened.
	Approvals []Approval `json:"approvals,omitempty"`
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
	d := NewDeriver(h, p)
	for i := range evs {
		d.Add(&evs[i])
	}
	return d.State()
}

// A Deriver computes the state from events given one at a time in logged
// order (journal.ByLogged), keeping only the state: a journal of any length
// streams through it.
type Deriver struct {
	st        *State
	p         *playbooks.Playbook
	actors    map[string]bool
	followups map[string]int // event id -> index in st.Followups
	// early holds a followup.done logged before its followup.added
	// (another machine's clock behind), until the addition arrives.
	early map[string]*journal.Event
}

// NewDeriver starts the state of an incident with no events.
func NewDeriver(h Header, p *playbooks.Playbook) *Deriver {
	st := &State{
		Header:     h,
		Severity:   h.Severity,
		Facts:      map[string]string{},
		Steps:      map[string]StepStatus{},
		Milestones: map[string]Milestone{},
		Roles:      map[string]RoleHolder{},
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
	return &Deriver{st: st, p: p, actors: map[string]bool{}, followups: map[string]int{}}
}

// Add applies the next event in logged order. It keeps nothing of e that
// the state does not hold (e and its Data may be reused after the call).
func (d *Deriver) Add(e *journal.Event) {
	st := d.st
	st.Events++
	d.actors[e.Actor] = true
	if e.Logged.After(st.LastEvent) {
		st.LastEvent = e.Logged
	}
	verb := playbooks.VerbOf(e.Kind)
	switch {
	case e.Kind == KindSeverity, e.Kind == KindFact, e.Kind == KindMilestone, e.Kind == KindClosed, e.Kind == KindReopened:
	case verb != "" && e.Step != "":
	case d.team(e):
		return
	default:
		return // actions, exports: timeline only
	}
	switch e.Kind {
	case KindSeverity:
		sd := decode[SeverityData](e.Data)
		to, err := severity.Parse(sd.To)
		if err != nil {
			return
		}
		st.SeverityHistory = append(st.SeverityHistory, SeverityChange{At: e.At, Actor: e.Actor, From: st.Severity, To: to, Reason: sd.Reason})
		st.Severity = to
	case KindFact:
		if fd := decode[FactData](e.Data); factFits(d.p, fd) {
			st.Facts[fd.Name] = fd.Value
		}
	case KindMilestone:
		if name := decode[MilestoneData](e.Data).Name; name != "" {
			st.Milestones[name] = Milestone{At: e.At, Actor: e.Actor, Logged: e.Logged}
		}
	case KindClosed:
		st.Closed, st.ClosedAt = true, e.At
	case KindReopened:
		st.Closed, st.ClosedAt = false, time.Time{}
	default:
		ss, ok := st.Steps[e.Step]
		if !ok {
			return // a step the playbook does not have: kept in the timeline only
		}
		to, err := playbooks.Transition(e.Step, ss.State, verb)
		if err != nil {
			// Two responders raced; the journal keeps both, the first wins.
			return
		}
		reason := decode[StepData](e.Data).Reason
		ss.State, ss.Actor, ss.At, ss.Reason = to, e.Actor, e.At, reason
		if verb == playbooks.VerbReopen {
			ss.Approvals = nil // an approval is for one attempt
		}
		ss.History = append(ss.History, StepChange{At: e.At, Actor: e.Actor, Verb: verb, To: to, Reason: reason})
		st.Steps[e.Step] = ss
	}
}

// team applies the team's events (roles, assignments, approvals,
// follow-ups, status updates) and reports whether e was one.
func (d *Deriver) team(e *journal.Event) bool {
	st := d.st
	switch e.Kind {
	case KindNote, commsRendered:
		if e.Kind == commsRendered || decode[NoteData](e.Data).Status {
			if e.At.After(st.LastStatus) {
				st.LastStatus = e.At
			}
		}
	case KindRole:
		// The commands check who may record these (the commander); the
		// state takes them as recorded, in any order machines' clocks put
		// them: a name is a claim until a seal signs for it.
		rd := decode[RoleData](e.Data)
		if role, ok := canonicalRole(d.p, rd.Role); ok && role != RoleCommander && journal.ValidActor(rd.Person) {
			st.Roles[role] = RoleHolder{Person: rd.Person, At: e.At, Actor: e.Actor}
		}
	case KindHandoff:
		hd := decode[HandoffData](e.Data)
		if from := st.Commander().Person; journal.ValidActor(hd.To) && hd.To != from {
			st.Roles[RoleCommander] = RoleHolder{Person: hd.To, At: e.At, Actor: e.Actor}
			st.Handoffs = append(st.Handoffs, Handoff{From: from, To: hd.To, At: e.At, Actor: e.Actor, Reason: hd.Reason})
		}
	case KindAssigned:
		if ss, ok := st.Steps[e.Step]; ok {
			if person := decode[AssignData](e.Data).Person; person == "" || journal.ValidActor(person) {
				ss.Assignee = person
				st.Steps[e.Step] = ss
			}
		}
	case KindApproved:
		// Kept as recorded; NeedsApproval counts one only when its actor
		// holds an approving role and is neither the assignee nor the
		// runner (so the order clocks put it in does not matter).
		if _, ok := d.p.Step(e.Step); ok {
			if ss, known := st.Steps[e.Step]; known {
				ad := decode[ApproveData](e.Data)
				ss.Approvals = append(ss.Approvals, Approval{Actor: e.Actor, Role: ad.Role, At: e.At, Reason: ad.Reason})
				st.Steps[e.Step] = ss
			}
		}
	case KindFollowup:
		fd := decode[FollowupData](e.Data)
		if fd.Text == "" {
			return true
		}
		d.followups[e.ID] = len(st.Followups)
		st.Followups = append(st.Followups, Followup{N: len(st.Followups) + 1, ID: e.ID, Text: fd.Text, Owner: fd.Owner, Due: fd.Due, By: e.Actor, At: e.At})
		if done, ok := d.early[e.ID]; ok {
			delete(d.early, e.ID)
			d.team(done)
		}
	case KindFollowupDone:
		fd := decode[FollowupDoneData](e.Data)
		i, ok := d.followups[fd.Followup]
		switch {
		case !ok && fd.Followup != "":
			if d.early == nil {
				d.early = map[string]*journal.Event{}
			}
			c := *e
			c.Data = append([]byte(nil), e.Data...)
			d.early[fd.Followup] = &c
		case ok && !st.Followups[i].Done:
			f := &st.Followups[i]
			f.Done, f.DoneAt, f.DoneBy, f.Reason = true, e.At, e.Actor, fd.Reason
		}
	default:
		return false
	}
	return true
}

// canonicalRole is the playbook's spelling of a role, case and spacing
// aside.
func canonicalRole(p *playbooks.Playbook, name string) (string, bool) {
	norm := strings.Join(strings.Fields(strings.ToLower(name)), " ")
	for _, r := range Roles(p) {
		if strings.ToLower(r) == norm {
			return r, true
		}
	}
	return "", false
}

// commsRendered is comms.KindRendered (comms imports this package).
const commsRendered = "comms.rendered"

// State is the state after the events added so far.
func (d *Deriver) State() *State {
	d.st.Actors = d.st.Actors[:0]
	for a := range d.actors {
		d.st.Actors = append(d.st.Actors, a)
	}
	sort.Strings(d.st.Actors)
	return d.st
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
	if in, ok := p.Input(d.Name); ok && !in.MultiLine() && strings.ContainsAny(d.Value, "\r\n") {
		return false
	}
	return true
}
