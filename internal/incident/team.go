package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Journal kinds of the team's work on an incident.
const (
	KindRole         = "role.assigned"
	KindHandoff      = "role.handoff"
	KindAssigned     = "step.assigned"
	KindApproved     = "step.approved"
	KindFollowup     = "followup.added"
	KindFollowupDone = "followup.done"
)

// The roles every incident has besides its playbook's RACI roles.
const (
	RoleCommander = playbooks.RoleCommander
	RoleScribe    = "scribe"
	RoleComms     = "comms"
)

// RoleData is the data of a role.assigned event.
type RoleData struct {
	Person string `json:"person"`
	Role   string `json:"role"`
}

// HandoffData is the data of a role.handoff event: the commander before and
// after.
type HandoffData struct {
	From   string `json:"from"`
	Reason string `json:"reason,omitempty"`
	Role   string `json:"role"`
	To     string `json:"to"`
}

// AssignData is the data of a step.assigned event.
type AssignData struct {
	Person string `json:"person"`
}

// ApproveData is the data of a step.approved event: the role the approver
// held when approving, and why.
type ApproveData struct {
	Reason string `json:"reason,omitempty"`
	Role   string `json:"role"`
}

// FollowupData is the data of a followup.added event.
type FollowupData struct {
	Due   time.Time `json:"due,omitzero"`
	Owner string    `json:"owner,omitempty"`
	Text  string    `json:"text"`
}

// FollowupDoneData is the data of a followup.done event: the id of the
// followup.added event it closes (numbers shift when teammates' follow-ups
// arrive by sync; ids do not).
type FollowupDoneData struct {
	Followup string `json:"followup"`
	Reason   string `json:"reason,omitempty"`
}

// RoleHolder is who holds a role, since when, recorded by whom.
type RoleHolder struct {
	Person string    `json:"person"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
}

// Handoff is one commander handoff.
type Handoff struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
}

// Approval is one approval of a step.
type Approval struct {
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Followup is an action item that outlives the incident.
type Followup struct {
	N      int       `json:"n"` // 1, 2, … in the order they were logged
	ID     string    `json:"id"`
	Text   string    `json:"text"`
	Owner  string    `json:"owner,omitempty"`
	Due    time.Time `json:"due,omitzero"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Done   bool      `json:"done"`
	DoneAt time.Time `json:"done_at,omitzero"`
	DoneBy string    `json:"done_by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Line is the follow-up on one line, its text made safe to show:
// "[ ] 1. move the key to an HSM — owner carol, due 2026-12-01 17:00Z".
func (f Followup) Line(now time.Time) string {
	mark := "[ ]"
	if f.Done {
		mark = "[x]"
	}
	line := fmt.Sprintf("%s %d. %s", mark, f.N, textutil.Line(f.Text))
	if f.Owner != "" {
		line += " — owner " + textutil.Line(f.Owner)
	}
	if !f.Due.IsZero() {
		line += ", due " + f.Due.UTC().Format("2006-01-02 15:04Z")
		if f.Overdue(now) {
			line += " OVERDUE"
		}
	}
	if f.Done {
		line += " (done by " + textutil.Line(f.DoneBy) + " " + f.DoneAt.UTC().Format("2006-01-02 15:04Z") + ")"
	}
	return line
}

// Overdue reports whether an open follow-up is past its due time at now.
func (f Followup) Overdue(now time.Time) bool {
	return !f.Done && !f.Due.IsZero() && now.After(f.Due)
}

// Roles lists the roles of an incident run with p: commander, scribe, comms,
// then the playbook's RACI and approver roles, each once.
func Roles(p *playbooks.Playbook) []string {
	roles := []string{RoleCommander, RoleScribe, RoleComms}
	seen := map[string]bool{}
	for _, r := range roles {
		seen[strings.ToLower(r)] = true
	}
	add := func(rs []string) {
		for _, r := range rs {
			if k := strings.ToLower(strings.TrimSpace(r)); k != "" && !seen[k] {
				seen[k] = true
				roles = append(roles, strings.TrimSpace(r))
			}
		}
	}
	for _, s := range p.Steps() {
		add(s.RACI.Responsible)
		add(s.RACI.Accountable)
		add(s.RACI.Consulted)
		add(s.RACI.Informed)
		if s.Approval != nil {
			add(s.Approval.By)
		}
	}
	return roles
}

// RoleError is a role the incident does not have.
type RoleError struct {
	Role  string
	Known []string
}

func (e *RoleError) Error() string {
	return fmt.Sprintf("%q is not a role of this incident (roles: %s)", e.Role, strings.Join(e.Known, ", "))
}

// role resolves a role name, case and spacing aside.
func (inc *Incident) role(name string) (string, error) {
	known := Roles(inc.Playbook)
	norm := strings.Join(strings.Fields(strings.ToLower(name)), " ")
	for _, r := range known {
		if strings.ToLower(r) == norm {
			return r, nil
		}
	}
	return "", &RoleError{Role: name, Known: known}
}

// Person is the person an actor name names: alice for alice@laptop. The
// approval rules compare people, not names: one person's two machines are
// still one person.
func Person(actor string) string { return strings.SplitN(actor, "@", 2)[0] }

// samePerson reports whether two actor names are one person's.
func samePerson(a, b string) bool { return a != "" && b != "" && Person(a) == Person(b) }

// CheckPerson refuses what cannot name a responder: people are named as
// actors are (alice, alice@laptop).
func CheckPerson(p string) error {
	if !journal.ValidActor(p) {
		return fmt.Errorf("%s is not a person's name: use an actor name (letters, digits, '.', '_', '@', '-'; at most 64)", strconv.QuoteToASCII(p))
	}
	return nil
}

func checkProse(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("the %s %s is not UTF-8 text", what, strconv.QuoteToASCII(s))
	}
	return nil
}

// openState is the state of an incident that must be open to change.
func (inc *Incident) openState() (*State, error) {
	st, err := inc.State()
	if err != nil {
		return nil, err
	}
	if st.Closed {
		return nil, &ClosedError{ID: inc.Header.ID, At: st.ClosedAt}
	}
	return st, nil
}

// NotCommanderError is a team change only the commander makes.
type NotCommanderError struct {
	Actor, Commander, What string
}

func (e *NotCommanderError) Error() string {
	return fmt.Sprintf("only the commander (%s) %s; %s is not the commander", e.Commander, e.What, e.Actor)
}

// Hint is how to go on.
func (e *NotCommanderError) Hint() string {
	return "ask " + e.Commander + ", or take command first (it is recorded): firebreak handoff ID --to " + e.Actor + " --reason TEXT"
}

// ErrUseHandoff is assigning the commander role: it is handed off.
var ErrUseHandoff = errors.New("the commander is handed off, not assigned")

// SetRole records that person holds role.
func (inc *Incident) SetRole(ctx context.Context, actor, role, person string, at time.Time) (string, error) {
	r, err := inc.role(role)
	if err != nil {
		return "", err
	}
	if r == RoleCommander {
		return r, ErrUseHandoff
	}
	if err := CheckPerson(person); err != nil {
		return r, err
	}
	st, err := inc.openState()
	if err != nil {
		return r, err
	}
	if c := st.Commander().Person; c != actor {
		return r, &NotCommanderError{Actor: actor, Commander: c, What: "gives roles"}
	}
	if h, ok := st.Roles[r]; ok && h.Person == person {
		return r, fmt.Errorf("%s already holds the role %s", person, r)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindRole,
		Summary: fmt.Sprintf("role %s: %s", r, person), Data: RoleData{Person: person, Role: r}})
	return r, err
}

// Handoff records the commander handing the incident to another person,
// with both names.
func (inc *Incident) Handoff(ctx context.Context, actor, to, reason string, at time.Time) (string, error) {
	if err := CheckPerson(to); err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	if err := checkProse("reason", reason); err != nil {
		return "", err
	}
	st, err := inc.openState()
	if err != nil {
		return "", err
	}
	from := st.Commander().Person
	if from == to {
		return from, fmt.Errorf("%s is already the commander", to)
	}
	switch {
	case actor == from:
	case actor == to && reason != "":
		// Taking command (the commander cannot be reached): allowed, and
		// on the record with its reason.
	case actor == to:
		return from, fmt.Errorf("taking command from %s needs a reason (--reason TEXT): it is recorded", from)
	default:
		return from, &NotCommanderError{Actor: actor, Commander: from, What: "hands command to someone else"}
	}
	summary := fmt.Sprintf("commander handoff: %s -> %s", from, to)
	if reason != "" {
		summary += " — " + oneLine(reason, 200)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindHandoff, Summary: summary,
		Data: HandoffData{From: from, Reason: reason, Role: RoleCommander, To: to}})
	return from, err
}

// Assign records who does a step ("" for nobody).
func (inc *Incident) Assign(ctx context.Context, actor, ref, person string, at time.Time) (playbooks.Step, error) {
	step, ok := inc.Playbook.Step(ref)
	if !ok {
		return step, &UnknownStepError{Step: ref, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
	}
	if person != "" {
		if err := CheckPerson(person); err != nil {
			return step, err
		}
	}
	st, err := inc.openState()
	if err != nil {
		return step, err
	}
	cur := st.Steps[step.ID].Assignee
	if cur == person {
		if person == "" {
			return step, fmt.Errorf("step %s is not assigned", step.ID)
		}
		return step, fmt.Errorf("step %s is already assigned to %s", step.ID, person)
	}
	if !mayAssign(st, actor, cur, person) {
		return step, &NotCommanderError{Actor: actor, Commander: st.Commander().Person, What: "assigns steps to others (anyone may take an unassigned step, or give back their own)"}
	}
	summary := fmt.Sprintf("step %s assigned to %s: %s", step.Number, person, step.Title)
	if person == "" {
		summary = fmt.Sprintf("step %s unassigned: %s", step.Number, step.Title)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindAssigned, Step: step.ID, Summary: summary, Data: AssignData{Person: person}})
	return step, err
}

// mayAssign is who may change a step's assignee from cur to person: the
// commander; anyone taking an unassigned step; the assignee giving it
// back.
func mayAssign(st *State, actor, cur, person string) bool {
	return actor == st.Commander().Person || cur == "" && person == actor || cur == actor && person == ""
}

// ApprovalError is a step that needs approval it does not have, or an
// approval that may not be given: who may give it, and how.
type ApprovalError struct {
	Incident string
	Step     playbooks.Step
	Severity severity.Level
	Reason   string
	// Approvers are the people who may approve (role holders other than
	// the runner); Roles are the roles that may.
	Approvers []string
	Roles     []string
}

func (e *ApprovalError) Error() string {
	return fmt.Sprintf("step %s (%s) %s", e.Step.ID, e.Step.Title, e.Reason)
}

// Hint says who may approve and the command.
func (e *ApprovalError) Hint() string {
	who := "no one holds an approving role yet: firebreak role " + e.Incident + " '" + e.Roles[len(e.Roles)-1] + "' PERSON"
	if len(e.Approvers) > 0 {
		who = "may approve: " + strings.Join(e.Approvers, ", ") + " (" + strings.Join(e.Roles, " or ") + ")"
	}
	return who + "; they run: firebreak approve " + e.Incident + " " + e.Step.ID + " --reason TEXT"
}

// approverRoles are the roles that may approve a step: the commander and
// the step's approval roles.
func approverRoles(s playbooks.Step) []string {
	roles := []string{RoleCommander}
	if s.Approval != nil {
		roles = append(roles, s.Approval.By...)
	}
	return roles
}

// approvers lists who holds an approving role, less except.
func (st *State) approvers(s playbooks.Step, except string) []string {
	var out []string
	for _, r := range approverRoles(s) {
		if h, ok := st.RoleHolder(r); ok && !samePerson(h.Person, except) && !slices.Contains(out, h.Person) {
			out = append(out, h.Person)
		}
	}
	return out
}

// heldRole is the approving role person holds for s, or "".
func (st *State) heldRole(s playbooks.Step, person string) string {
	for _, r := range approverRoles(s) {
		if h, ok := st.RoleHolder(r); ok && h.Person == person {
			return r
		}
	}
	return ""
}

// MostSevere is the most severe level the incident has had: an approval a
// severity once asked for is not lifted by a downgrade (lowering the
// severity, running the step and raising it again).
func (st *State) MostSevere() severity.Level {
	l := st.Severity
	for _, c := range st.SeverityHistory {
		if c.To.Valid() && c.To < l {
			l = c.To
		}
	}
	return l
}

// CanApprove reports whether person may approve step s: they hold an
// approving role and are not its assignee.
func (st *State) CanApprove(s playbooks.Step, person string) bool {
	return s.Approval != nil && st.heldRole(s, person) != "" && !samePerson(st.Steps[s.ID].Assignee, person)
}

// ValidApprovals are the approvals of step s that count: by a holder of
// an approving role who is not its assignee.
func (st *State) ValidApprovals(s playbooks.Step) []Approval {
	var out []Approval
	for _, a := range st.Steps[s.ID].Approvals {
		if st.CanApprove(s, a.Actor) {
			out = append(out, a)
		}
	}
	return out
}

// NeedsApproval returns an *ApprovalError when step s needs approval at the
// incident's severity and has none from someone other than runner; nil
// otherwise.
func (st *State) NeedsApproval(s playbooks.Step, runner string) error {
	if !s.Approval.Needed(st.MostSevere()) {
		return nil
	}
	own := false
	for _, a := range st.Steps[s.ID].Approvals {
		switch {
		case samePerson(a.Actor, runner):
			own = true
		case st.CanApprove(s, a.Actor):
			return nil
		}
	}
	reason := "needs approval " + s.Approval.Text() + " before it is run; it has none"
	if own {
		reason = "needs approval by someone other than " + runner + " (" + s.Approval.Text() + "); a responder cannot approve their own step"
	}
	return &ApprovalError{Incident: st.Header.ID, Step: s, Severity: st.Severity, Reason: reason,
		Approvers: st.approvers(s, runner), Roles: approverRoles(s)}
}

// Approve records actor's approval of a step. Only a holder of an approving
// role may approve, and never the step's assignee (who runs it).
func (inc *Incident) Approve(ctx context.Context, actor, ref, reason string, at time.Time) (playbooks.Step, error) {
	step, ok := inc.Playbook.Step(ref)
	if !ok {
		return step, &UnknownStepError{Step: ref, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
	}
	reason = strings.TrimSpace(reason)
	if err := checkProse("reason", reason); err != nil {
		return step, err
	}
	st, err := inc.openState()
	if err != nil {
		return step, err
	}
	if step.Approval == nil {
		return step, fmt.Errorf("step %s (%s) needs no approval", step.ID, step.Title)
	}
	ss := st.Steps[step.ID]
	if ss.State.Closed() {
		return step, fmt.Errorf("step %s is %s: there is nothing to approve", step.ID, ss.State)
	}
	fail := func(reason string, except string) error {
		return &ApprovalError{Incident: inc.Header.ID, Step: step, Severity: st.Severity, Reason: reason,
			Approvers: st.approvers(step, except), Roles: approverRoles(step)}
	}
	if samePerson(ss.Assignee, actor) {
		return step, fail("is assigned to you ("+ss.Assignee+"): self-approval is refused; approval must come from someone else", actor)
	}
	role := st.heldRole(step, actor)
	if role == "" {
		return step, fail("may be approved only by the "+strings.Join(approverRoles(step), " or ")+"; "+actor+" holds none of these roles", "")
	}
	for _, a := range ss.Approvals {
		if a.Actor == actor {
			return step, fmt.Errorf("%s already approved step %s", actor, step.ID)
		}
	}
	summary := fmt.Sprintf("step %s approved by %s (%s): %s", step.Number, actor, role, step.Title)
	if reason != "" {
		summary += " — " + oneLine(reason, 200)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindApproved, Step: step.ID, Summary: summary, Data: ApproveData{Reason: reason, Role: role}})
	return step, err
}

// AddFollowup records an action item.
func (inc *Incident) AddFollowup(ctx context.Context, actor, text, owner string, due, at time.Time) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("the follow-up is empty")
	}
	if err := checkProse("follow-up", text); err != nil {
		return err
	}
	if owner != "" {
		if err := CheckPerson(owner); err != nil {
			return err
		}
	}
	summary := "follow-up: " + oneLine(text, 200)
	if owner != "" {
		summary += " (owner " + owner + ")"
	}
	// A follow-up may be added to a closed incident: the review is after.
	_, err := inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindFollowup, Summary: summary, Data: FollowupData{Due: due.UTC(), Owner: owner, Text: text}})
	return err
}

// FollowupError names a follow-up the incident does not have.
type FollowupError struct {
	N     int
	Known int
}

func (e *FollowupError) Error() string {
	if e.Known == 0 {
		return fmt.Sprintf("there is no follow-up %d: the incident has none", e.N)
	}
	return fmt.Sprintf("there is no follow-up %d (1…%d)", e.N, e.Known)
}

// FollowupDone closes follow-up n.
func (inc *Incident) FollowupDone(ctx context.Context, actor string, n int, reason string, at time.Time) (Followup, error) {
	reason = strings.TrimSpace(reason)
	if err := checkProse("reason", reason); err != nil {
		return Followup{}, err
	}
	st, err := inc.State()
	if err != nil {
		return Followup{}, err
	}
	if n < 1 || n > len(st.Followups) {
		return Followup{}, &FollowupError{N: n, Known: len(st.Followups)}
	}
	f := st.Followups[n-1]
	if f.Done {
		return f, fmt.Errorf("follow-up %d is already done (%s, by %s)", n, f.DoneAt.UTC().Format("2006-01-02 15:04Z"), f.DoneBy)
	}
	summary := fmt.Sprintf("follow-up %d done: %s", n, oneLine(f.Text, 160))
	if reason != "" {
		summary += " — " + oneLine(reason, 200)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindFollowupDone, Summary: summary, Data: FollowupDoneData{Followup: f.ID, Reason: reason}})
	return f, err
}

// StatusUpdate records a status note: what the status-update reminder
// counts, besides rendered messages.
func (inc *Incident) StatusUpdate(ctx context.Context, actor, text string, at time.Time) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("the status update is empty")
	}
	if err := checkProse("status update", text); err != nil {
		return err
	}
	data := NoteData{Status: true}
	summary := text
	if strings.ContainsAny(text, "\r\n") || len(text) > 200 {
		data.Text = text
		summary = oneLine(text, 200)
	}
	_, err := inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindNote, Summary: "status: " + summary, Data: data})
	return err
}

// Commander is who leads the incident: the last handoff's receiver, else
// whoever opened it.
func (st *State) Commander() RoleHolder {
	if h, ok := st.Roles[RoleCommander]; ok {
		return h
	}
	return RoleHolder{Person: st.Header.CreatedBy, At: st.Header.Created, Actor: st.Header.CreatedBy}
}

// RoleHolder returns who holds role (case aside).
func (st *State) RoleHolder(role string) (RoleHolder, bool) {
	if strings.EqualFold(role, RoleCommander) {
		return st.Commander(), true
	}
	for r, h := range st.Roles {
		if strings.EqualFold(r, role) {
			return h, true
		}
	}
	return RoleHolder{}, false
}

// RolesOf lists the roles person holds, sorted.
func (st *State) RolesOf(person string) []string {
	var out []string
	if st.Commander().Person == person {
		out = append(out, RoleCommander)
	}
	for r, h := range st.Roles {
		if r != RoleCommander && h.Person == person {
			out = append(out, r)
		}
	}
	sort.Strings(out[min(1, len(out)):])
	return out
}

// MySteps lists the open steps that are person's, in playbook order:
// assigned to them; or unassigned, with a responsible role they hold; or
// unassigned, with no responsible role anyone holds, when they are the
// commander (what is not delegated is the commander's).
func (st *State) MySteps(p *playbooks.Playbook, person string) []playbooks.Step {
	var out []playbooks.Step
	commander := st.Commander().Person == person
	for _, s := range p.Steps() {
		ss := st.Steps[s.ID]
		if ss.State.Closed() {
			continue
		}
		if ss.Assignee != "" {
			if ss.Assignee == person {
				out = append(out, s)
			}
			continue
		}
		held, mine := false, false
		for _, r := range s.RACI.Responsible {
			if h, ok := st.RoleHolder(r); ok {
				held = true
				mine = mine || h.Person == person
			}
		}
		if mine || !held && commander {
			out = append(out, s)
		}
	}
	return out
}

// StatusCadence is how often a status update is due at a severity:
// ClawSec's SEV-1 every 30 minutes, SEV-2 hourly, SEV-3 every 4 hours.
func StatusCadence(l severity.Level) time.Duration {
	switch l {
	case severity.Critical:
		return 30 * time.Minute
	case severity.High:
		return time.Hour
	}
	return 4 * time.Hour
}

// CadenceText is the cadence for people: "30 min", "1 h", "4 h".
func CadenceText(l severity.Level) string {
	d := StatusCadence(l)
	if d < time.Hour {
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/time.Hour)) + " h"
}

// StatusDue returns, for an open incident, when the next status update is
// due and whether it is overdue at now: counted from the last status note
// or rendered message, or from the opening.
func (st *State) StatusDue(now time.Time) (time.Time, bool) {
	if st.Closed {
		return time.Time{}, false
	}
	since := st.LastStatus
	if since.IsZero() {
		since = st.Header.Created
	}
	due := since.Add(StatusCadence(st.Severity))
	return due, now.After(due)
}
