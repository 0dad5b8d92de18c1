package incident

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Journal kinds the incident writes and reads.
const (
	KindOpened    = "incident.opened"
	KindClosed    = "incident.closed"
	KindReopened  = "incident.reopened"
	KindSeverity  = "severity.changed"
	KindFact      = "fact.set"
	KindMilestone = "milestone"
	KindNote      = "note"
	KindExport    = "export.made"
	KindRepaired  = "journal.repaired"
)

// Milestones, in the order an incident reaches them.
const (
	MilestoneCompromised = "compromised"
	MilestoneDetected    = "detected"
	MilestoneContained   = "contained"
	MilestoneEradicated  = "eradicated"
	MilestoneRecovered   = "recovered"
	MilestoneReviewed    = "reviewed"
)

// Milestones lists the milestone names in order.
var Milestones = []string{MilestoneCompromised, MilestoneDetected, MilestoneContained, MilestoneEradicated, MilestoneRecovered, MilestoneReviewed}

// MaxFuture is how far in the future a responder-given time may be (clock
// skew between machines); anything later is a typo.
const MaxFuture = 5 * time.Minute

// Incident is one loaded incident.
type Incident struct {
	Header   Header
	Dir      string
	Playbook *playbooks.Playbook
	Journal  *journal.Journal
	// Legacy marks an incident opened before incident.opened committed to
	// the header and the playbook snapshot: those two files are not
	// covered by the chain.
	Legacy bool
	// CommitErr, from LoadForAudit only, says why the header or snapshot
	// does not match the opening event (Load refuses such an incident).
	CommitErr error
	now       func() time.Time
}

// Now is the incident's clock.
func (inc *Incident) Now() time.Time { return inc.now() }

// record appends to the journal after refusing secrets in what is written.
func (inc *Incident) record(ctx context.Context, e journal.Entry) (journal.Event, error) {
	if err := CheckEntry(e); err != nil {
		return journal.Event{}, err
	}
	if !e.At.IsZero() && e.At.After(inc.now().Add(MaxFuture)) {
		return journal.Event{}, fmt.Errorf("%s is in the future", journal.FormatTime(e.At))
	}
	ev, err := inc.Journal.Append(ctx, e)
	if err != nil {
		return ev, fmt.Errorf("incident %s: %w", inc.Header.ID, err)
	}
	return ev, nil
}

// CheckEntry is the check every event passes before it is written: its
// summary and data hold no secret (a *redact.SecretError), and its data
// can be written as JSON.
func CheckEntry(e journal.Entry) error {
	if err := redact.Check(e.Kind+" summary", []byte(e.Summary)); err != nil {
		return err
	}
	if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return err
		}
		if err := redact.Check(e.Kind+" data", b); err != nil {
			return err
		}
	}
	return nil
}

// Record appends any event (used by actions and exports), refusing secrets.
func (inc *Incident) Record(ctx context.Context, e journal.Entry) (journal.Event, error) {
	return inc.record(ctx, e)
}

// State derives the incident's current state from its journal, streaming
// the events in logged order (memory does not grow with the journal).
func (inc *Incident) State() (*State, error) {
	ctx := context.Background()
	snap, err := inc.Journal.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("incident %s: %w", inc.Header.ID, err)
	}
	defer snap.Close()
	return inc.StateOf(ctx, snap)
}

// StateOf derives the state from a snapshot of the incident's journal.
func (inc *Incident) StateOf(ctx context.Context, snap *journal.Snapshot) (*State, error) {
	d := NewDeriver(inc.Header, inc.Playbook)
	if err := snap.Each(ctx, journal.ByLogged, func(e *journal.Event) error { d.Add(e); return nil }); err != nil {
		return nil, fmt.Errorf("incident %s: %w", inc.Header.ID, err)
	}
	st := d.State()
	st.Torn = snap.Torn()
	return st, nil
}

// SetFact records a fact (a playbook input's value).
func (inc *Incident) SetFact(ctx context.Context, actor, name, value string, at time.Time) error {
	facts, err := CheckFacts(inc.Playbook, map[string]string{name: value}, inc.now())
	if err != nil {
		return err
	}
	e := FactEntry(name, facts[name])
	e.At, e.Actor = at, actor
	_, err = inc.record(ctx, e)
	return err
}

// FactEntry is the journal entry that records a fact, for an action that
// learns one (the first bad commit, a new key's fingerprint) and records it
// with its result. The value must already be checked (CheckFacts).
func FactEntry(name, value string) journal.Entry {
	return journal.Entry{Kind: KindFact, Summary: fmt.Sprintf("fact %s = %s", name, oneLine(value, 120)),
		Data: FactData{Name: name, Value: value}}
}

// MilestoneEntry is the journal entry that records a milestone reached at
// at.
func MilestoneEntry(name string, at time.Time) journal.Entry {
	return journal.Entry{At: at, Kind: KindMilestone,
		Summary: fmt.Sprintf("milestone %s at %s", name, journal.FormatTime(at)[:19]+"Z"),
		Data:    MilestoneData{Name: name}}
}

// Step applies a verb (start, done, skip, fail, reopen) to a step. Skip,
// fail and reopen need a reason.
func (inc *Incident) Step(ctx context.Context, actor, ref, verb, reason string, at time.Time) (playbooks.Step, playbooks.State, error) {
	step, ok := inc.Playbook.Step(ref)
	if !ok {
		return step, "", &UnknownStepError{Step: ref, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
	}
	if playbooks.KindOf(verb) == "" {
		return step, "", fmt.Errorf("unknown step verb %q (use start, done, skip, fail or reopen)", verb)
	}
	reason = strings.TrimSpace(reason)
	if playbooks.NeedsReason(verb) && reason == "" {
		return step, "", fmt.Errorf("a reason is required to %s step %s (--reason TEXT)", verb, step.ID)
	}
	st, err := inc.State()
	if err != nil {
		return step, "", err
	}
	if st.Closed {
		return step, "", &ClosedError{ID: inc.Header.ID, At: st.ClosedAt}
	}
	from := st.Steps[step.ID].State
	to, err := playbooks.Transition(step.ID, from, verb)
	if err != nil {
		return step, from, err
	}
	if verb == playbooks.VerbDone {
		if err := st.NeedsApproval(step, actor); err != nil {
			return step, from, err
		}
	}
	summary := fmt.Sprintf("step %s %s: %s", step.Number, to, step.Title)
	if verb == playbooks.VerbReopen {
		summary = fmt.Sprintf("step %s reopened: %s", step.Number, step.Title)
	}
	if reason != "" {
		summary += " — " + oneLine(reason, 200)
	}
	data := StepData{From: string(from), Reason: reason, To: string(to)}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: playbooks.KindOf(verb), Step: step.ID, Summary: summary, Data: data})
	return step, to, err
}

// UnknownStepError names a step the playbook does not have.
type UnknownStepError struct {
	Step     string
	Playbook string
	Known    []string
}

func (e *UnknownStepError) Error() string {
	return fmt.Sprintf("playbook %s has no step %q", e.Playbook, e.Step)
}

// Note records a free-text note.
func (inc *Incident) Note(ctx context.Context, actor, text, step string, at time.Time) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("the note is empty")
	}
	if !utf8.ValidString(text) {
		return fmt.Errorf("the note %s is not UTF-8 text", strconv.QuoteToASCII(text))
	}
	if step != "" {
		s, ok := inc.Playbook.Step(step)
		if !ok {
			return &UnknownStepError{Step: step, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
		}
		step = s.ID
	}
	var data NoteData
	summary := text
	if strings.ContainsAny(text, "\r\n") || len(text) > 200 {
		data.Text = text
		summary = oneLine(text, 200)
	}
	_, err := inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindNote, Step: step, Summary: summary, Data: data})
	return err
}

// milestoneOrder lists the milestones that must not come before another:
// each metric's end is never before its start.
var milestoneOrder = [][2]string{
	{MilestoneCompromised, MilestoneDetected},
	{MilestoneDetected, MilestoneContained},
	{MilestoneDetected, MilestoneRecovered},
	{MilestoneRecovered, MilestoneReviewed},
}

// CheckMilestoneOrder refuses milestones out of order: a compromise after
// its detection would make the time to detect negative, and a negative
// time reads as a target met.
func CheckMilestoneOrder(at map[string]time.Time) error {
	for _, o := range milestoneOrder {
		a, oka := at[o[0]]
		b, okb := at[o[1]]
		if oka && okb && b.Before(a) {
			return fmt.Errorf("%s (%s) would come before %s (%s): milestones must be in order; correct the one that is wrong (firebreak milestone ID NAME --at TIME)",
				o[1], b.UTC().Format("2006-01-02 15:04:05Z"), o[0], a.UTC().Format("2006-01-02 15:04:05Z"))
		}
	}
	return nil
}

// SetMilestone records when a milestone was reached; a later record of the
// same milestone corrects the earlier one.
func (inc *Incident) SetMilestone(ctx context.Context, actor, name string, at time.Time) error {
	name = strings.ToLower(strings.TrimSpace(name))
	if !contains(Milestones, name) {
		return fmt.Errorf("unknown milestone %q (use %s)", name, strings.Join(Milestones, ", "))
	}
	if at.IsZero() {
		at = inc.now()
	}
	st, err := inc.State()
	if err != nil {
		return err
	}
	known := map[string]time.Time{}
	for n, m := range st.Milestones {
		known[n] = m.At
	}
	known[name] = at
	if err := CheckMilestoneOrder(known); err != nil {
		return err
	}
	e := MilestoneEntry(name, at)
	e.Actor = actor
	_, err = inc.record(ctx, e)
	return err
}

// SetSeverity changes the severity; a reason is required.
func (inc *Incident) SetSeverity(ctx context.Context, actor string, to severity.Level, reason string, at time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("a reason is required to change severity (--reason TEXT)")
	}
	st, err := inc.State()
	if err != nil {
		return err
	}
	if st.Severity == to {
		return fmt.Errorf("severity is already %s", to.Both())
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindSeverity,
		Summary: fmt.Sprintf("severity %s → %s — %s", st.Severity.Both(), to.Both(), oneLine(reason, 200)),
		Data:    SeverityData{From: st.Severity.String(), Reason: reason, SEV: to.SEV(), To: to.String()}})
	return err
}

// Close records that the incident is closed.
func (inc *Incident) Close(ctx context.Context, actor, reason string, at time.Time) error {
	st, err := inc.State()
	if err != nil {
		return err
	}
	if st.Closed {
		return errors.New("the incident is already closed")
	}
	var data ClosedData
	summary := "incident closed"
	if r := strings.TrimSpace(reason); r != "" {
		data.Reason = r
		summary += " — " + oneLine(r, 200)
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindClosed, Summary: summary, Data: data})
	return err
}

// Reopen records that a closed incident is open again; a reason is
// required (it is the record of why the work resumed).
func (inc *Incident) Reopen(ctx context.Context, actor, reason string, at time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("a reason is required to reopen an incident (--reason TEXT)")
	}
	st, err := inc.State()
	if err != nil {
		return err
	}
	if !st.Closed {
		return errors.New("the incident is not closed")
	}
	_, err = inc.record(ctx, journal.Entry{At: at, Actor: actor, Kind: KindReopened,
		Summary: "incident reopened — " + oneLine(reason, 200), Data: ClosedData{Reason: reason}})
	return err
}

// ClosedError refuses a step change in a closed incident.
type ClosedError struct {
	ID string
	At time.Time
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("incident %s is closed (since %s): steps no longer change; reopen it first with firebreak incident reopen %s --reason TEXT", e.ID, e.At.UTC().Format("2006-01-02 15:04Z"), e.ID)
}

// FactError says a fact does not fit its input.
type FactError struct {
	Name   string
	Reason string
	Known  []string
}

func (e *FactError) Error() string { return fmt.Sprintf("fact %s: %s", e.Name, e.Reason) }

var repoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// CheckFacts checks facts against the playbook's inputs and returns them
// normalized (times in UTC RFC 3339).
func CheckFacts(p *playbooks.Playbook, facts map[string]string, now time.Time) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(facts)) {
		v := strings.TrimSpace(facts[name])
		in, ok := p.Input(name)
		if !ok {
			return nil, &FactError{Name: name, Reason: fmt.Sprintf("%s has no input %q", p.ID, name), Known: p.InputNames()}
		}
		if v == "" {
			return nil, &FactError{Name: name, Reason: "empty value"}
		}
		if !in.MultiLine() && strings.ContainsAny(v, "\r\n") {
			return nil, &FactError{Name: name, Reason: "must be one line"}
		}
		if !utf8.ValidString(v) {
			// The journal holds text: refused here, before an incident is
			// opened with it (it used to open, then fail on the fact).
			return nil, &FactError{Name: name, Reason: fmt.Sprintf("%s is not UTF-8 text (rename the file, or name it through a link with a plain name)", strconv.QuoteToASCII(v))}
		}
		if err := redact.Check("fact "+name, []byte(v)); err != nil {
			return nil, err
		}
		switch in.Type {
		case playbooks.TypePath:
			v = fsutil.ExpandHome(v)
		case playbooks.TypePaths:
			// Each made absolute, as a file is: the list is read where the
			// action runs, not where it was typed.
			var list []string
			for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if a, err := filepath.Abs(fsutil.ExpandHome(p)); err == nil {
					p = a
				}
				list = append(list, p)
			}
			if len(list) == 0 {
				return nil, &FactError{Name: name, Reason: "names no path"}
			}
			v = strings.Join(list, "\n")
		case playbooks.TypeFile, playbooks.TypeDir:
			// An existing file or directory is recorded where it is, not
			// relative to wherever the command or console was started.
			if a, err := filepath.Abs(fsutil.ExpandHome(v)); err == nil {
				v = a
			}
			if fi, err := os.Stat(v); err == nil && fi.IsDir() != (in.Type == playbooks.TypeDir) {
				what := "directory"
				if !fi.IsDir() {
					what = "file, not a directory"
				}
				return nil, &FactError{Name: name, Reason: fmt.Sprintf("%s is a %s; %s names a %s", v, what, name, in.Type)}
			}
		case playbooks.TypeHex:
			if _, err := hex.DecodeString(v); err != nil {
				return nil, &FactError{Name: name, Reason: fmt.Sprintf("%q is not hex", v)}
			}
			v = strings.ToLower(v)
		case playbooks.TypeRepo:
			if !repoRe.MatchString(v) {
				return nil, &FactError{Name: name, Reason: fmt.Sprintf("%q is not owner/name", v)}
			}
		case playbooks.TypeURL:
			u, err := url.Parse(v)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return nil, &FactError{Name: name, Reason: fmt.Sprintf("%q is not an absolute URL", v)}
			}
		case playbooks.TypeTime:
			t, err := ParseTime(v, now)
			if err != nil {
				return nil, &FactError{Name: name, Reason: err.Error()}
			}
			v = t.UTC().Format(time.RFC3339)
		}
		out[name] = v
	}
	return out, nil
}

// AbsentPaths lists the file and directory facts whose path does not
// exist (as "name: path"), so a mistyped path is noticed when it is given,
// not when a step's action fails on it.
func AbsentPaths(p *playbooks.Playbook, facts map[string]string) []string {
	var out []string
	for _, in := range p.Inputs {
		v, ok := facts[in.Name]
		if !ok {
			continue
		}
		switch in.Type {
		case playbooks.TypeFile, playbooks.TypeDir:
			if _, err := os.Lstat(v); err != nil {
				out = append(out, in.Name+": "+v)
			}
		case playbooks.TypePaths:
			for _, p := range strings.Split(v, "\n") {
				if _, err := os.Lstat(p); err != nil {
					out = append(out, in.Name+": "+p)
				}
			}
		}
	}
	return out
}

// MissingFacts lists the required inputs that have no value yet.
func MissingFacts(p *playbooks.Playbook, facts map[string]string) []string {
	var out []string
	for _, in := range p.Inputs {
		if in.Required && facts[in.Name] == "" && in.Default == "" {
			out = append(out, in.Name)
		}
	}
	return out
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
