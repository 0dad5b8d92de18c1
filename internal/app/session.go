// Package app is what firebreak's front ends share: the session a responder
// works in, the one table of the actions a playbook step (or a direct
// command) can run, and the use cases both the command line and the console
// call (exports, messages, incident summaries). The command line, the
// console and the drills build every action through Session.Build; none of
// them constructs one itself.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// Session is one responder working in one workspace: everything an action
// is built from besides its arguments. The command line makes one per
// invocation, the console one for its life, a drill one whose GitHub is
// the sandbox's simulator.
type Session struct {
	Workspace *incident.Workspace
	Actor     string
	Now       func() time.Time

	// GitHub makes the client GitHub actions talk through (the token and
	// API from the environment; a drill's simulator). Nil: no GitHub
	// action can be built.
	GitHub func() (*github.Client, error)
	// SecretPattern marks a workflow as a signing workflow by the secrets
	// it reads; nil is github.DefaultSecretPattern.
	SecretPattern *regexp.Regexp

	// Passphrase says how to get an encrypted key's passphrase. ask is
	// false where the key can do without one (isolating a key: only its
	// fingerprint needs it), so that only a non-interactive source (a
	// file) is used. Nil, or a nil result: none can be had, and an
	// encrypted key is signing.ErrEncrypted.
	Passphrase func(keyPath string, ask bool) signing.Passphrase
	// NewPassphrase is what key.generate encrypts a new private key with;
	// nil writes it unencrypted.
	NewPassphrase func() ([]byte, error)

	// Sleep waits between GitHub polls and retries; nil is a real wait.
	Sleep func(context.Context, time.Duration) error
	// Contacts is the contacts file the templates use; "" is the
	// workspace's contacts.yaml.
	Contacts string
	// HTTP fetches published files (published.verify); nil is a client
	// with a consumer's rules (HTTPS or loopback, same-host redirects).
	HTTP *http.Client
	// Notify tells the responder of slow one-off work (building the
	// Sigstore verifier from source the first time); nil says nothing.
	Notify func(string)
}

// Home is the workspace's directory: the record no output may reach.
func (s *Session) Home() string { return s.Workspace.Home }

func (s *Session) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Session) passphrase(path string, ask bool) signing.Passphrase {
	if s.Passphrase == nil {
		return nil
	}
	return s.Passphrase(path, ask)
}

func (s *Session) pattern() *regexp.Regexp {
	if s.SecretPattern != nil {
		return s.SecretPattern
	}
	return github.DefaultSecretPattern
}

// ArgError is an argument an action cannot be built from: named, with why.
// Form marks a mistake in the argument's form (missing, malformed, two
// that exclude each other), which a front end that took it from a flag
// reports as a usage error; otherwise what it names is wrong (a key file
// that does not load, a public key of another key).
type ArgError struct {
	Action, Arg string
	Err         error
	Form        bool
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("action %s %s: %v", e.Action, e.Arg, e.Err)
}

func (e *ArgError) Unwrap() error { return e.Err }

// textArgs are the arguments that are prose or names the record keeps as
// given (a path may be any bytes; evidence keeps those exactly). A byte
// that is not UTF-8 in them could only be recorded as something else, so it
// is refused before the action runs.
var textArgs = []string{"reason", "pin_reason", "message", "identity", "issuer"}

// Build makes the action name from its arguments, for the incident inc
// (nil where the action can run without one: key.generate, file.sign,
// wasm.sign …).
func (s *Session) Build(ctx context.Context, inc *incident.Incident, name string, args Args) (actions.Action, error) {
	e, ok := table[name]
	if !ok {
		return nil, fmt.Errorf("no action %q", name)
	}
	if inc == nil && e.needsIncident {
		return nil, fmt.Errorf("action %s works for an incident: name one", name)
	}
	for _, r := range e.Spec.Required {
		if !args.has(r) {
			return nil, &ArgError{Action: name, Arg: r, Err: errors.New("is required"), Form: true}
		}
	}
	for _, n := range textArgs {
		if v := args.Get(n); !utf8.ValidString(v) {
			return nil, &ArgError{Action: name, Arg: n, Err: fmt.Errorf("%s is not UTF-8 text", strconv.QuoteToASCII(v)), Form: true}
		}
	}
	return e.build(&builder{ctx: ctx, s: s, inc: inc, name: name, args: args})
}

// StepAction builds the action a step binds from the incident's facts,
// never prompting: a missing fact is an *actions.MissingFactsError (the
// caller asks for it), an encrypted key without a passphrase source is
// signing.ErrEncrypted.
func (s *Session) StepAction(ctx context.Context, inc *incident.Incident, stepID string) (actions.Action, error) {
	step, ok := inc.Playbook.Step(stepID)
	if !ok {
		return nil, &incident.UnknownStepError{Step: stepID, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
	}
	st, err := inc.State()
	if err != nil {
		return nil, err
	}
	vals, err := StepArgs(step, st.Facts)
	if err != nil {
		return nil, err
	}
	a, err := s.Build(ctx, inc, step.Action.Name, vals)
	var me *actions.MissingFactsError
	if errors.As(err, &me) && me.Step == "" {
		me.Step = step.ID
	}
	return a, err
}
