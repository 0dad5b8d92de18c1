package playbooks

import "fmt"

// State is where a step is. Steps move pending -> started -> done | skipped
// | failed; a done, skipped or failed step goes back to pending only by an
// explicit reopen.
type State string

// The step states.
const (
	Pending State = "pending"
	Started State = "started"
	Done    State = "done"
	Skipped State = "skipped"
	Failed  State = "failed"
)

// Icon is a symbol for the state that does not rely on colour.
func (s State) Icon() string {
	switch s {
	case Started:
		return "[>]"
	case Done:
		return "[x]"
	case Skipped:
		return "[-]"
	case Failed:
		return "[!]"
	}
	return "[ ]"
}

// Closed reports whether the step needs no more work.
func (s State) Closed() bool { return s == Done || s == Skipped }

// Verbs a responder applies to a step, and the journal kinds they become.
const (
	VerbStart  = "start"
	VerbDone   = "done"
	VerbSkip   = "skip"
	VerbFail   = "fail"
	VerbReopen = "reopen"
)

// Verbs lists the step verbs.
var Verbs = []string{VerbStart, VerbDone, VerbSkip, VerbFail, VerbReopen}

// KindOf is the journal kind a verb records.
func KindOf(verb string) string {
	switch verb {
	case VerbStart:
		return "step.started"
	case VerbDone:
		return "step.done"
	case VerbSkip:
		return "step.skipped"
	case VerbFail:
		return "step.failed"
	case VerbReopen:
		return "step.reopened"
	}
	return ""
}

// VerbOf is the verb a journal kind records, or "".
func VerbOf(kind string) string {
	for _, v := range Verbs {
		if KindOf(v) == kind {
			return v
		}
	}
	return ""
}

// NeedsReason reports whether a verb must carry a reason.
func NeedsReason(verb string) bool {
	return verb == VerbSkip || verb == VerbFail || verb == VerbReopen
}

// TransitionError says why a verb does not apply to a step.
type TransitionError struct {
	Step string
	From State
	Verb string
	Hint string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("step %s is %s: cannot %s", e.Step, e.From, verbPhrase(e.Verb))
}

// verbPhrase is how an error names what was attempted.
func verbPhrase(verb string) string {
	switch verb {
	case VerbDone:
		return "mark it done"
	case VerbFail:
		return "mark it failed"
	}
	return verb + " it"
}

// Transition returns the state a verb moves a step to. Marking a pending
// step done directly is allowed (the work was done before it was recorded);
// a failed step can be started again.
func Transition(step string, from State, verb string) (State, error) {
	bad := func(hint string) (State, error) {
		return from, &TransitionError{Step: step, From: from, Verb: verb, Hint: hint}
	}
	switch verb {
	case VerbStart:
		if from == Pending || from == Failed {
			return Started, nil
		}
		if from == Started {
			return bad("it is already started")
		}
		return bad("reopen it first: firebreak step ID " + step + " reopen --reason TEXT")
	case VerbDone, VerbSkip, VerbFail:
		to := map[string]State{VerbDone: Done, VerbSkip: Skipped, VerbFail: Failed}[verb]
		if from == Pending || from == Started || (from == Failed && verb != VerbFail) {
			return to, nil
		}
		return bad("reopen it first: firebreak step ID " + step + " reopen --reason TEXT")
	case VerbReopen:
		if from == Done || from == Skipped || from == Failed {
			return Pending, nil
		}
		return bad("only a done, skipped or failed step can be reopened")
	}
	return bad("verbs: start, done, skip, fail, reopen")
}
