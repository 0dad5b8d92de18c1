package cli

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// sessionOpts are what one command adds to the session its actions are
// built in.
type sessionOpts struct {
	gh       *ghFlags // --api-url and --secret-pattern; nil: the defaults
	pattern  *regexp.Regexp
	passFile string // --passphrase-file
	contacts string // --contacts: the contacts file the templates use
	newPass  []byte // what key.generate encrypts the new key with
	// quiet: never ask on the terminal (the console and the drills own it).
	quiet bool
}

// session is the app.Session this invocation's actions are built in: its
// workspace, actor and clock; GitHub from the environment (or the drill's
// simulator); passphrases from --passphrase-file or the terminal.
func (a *invocation) session(o sessionOpts) *app.Session {
	s := &app.Session{Workspace: a.ws, Actor: a.actor, Now: a.now, Sleep: a.ghSleep, SecretPattern: o.pattern, Contacts: o.contacts, Notify: a.notify}
	s.GitHub = a.github
	if s.GitHub == nil {
		apiURL := ""
		if o.gh != nil {
			apiURL = o.gh.apiURL
		}
		s.GitHub = func() (*github.Client, error) { return a.ghNew(apiURL) }
	}
	if o.newPass != nil {
		s.NewPassphrase = func() ([]byte, error) { return o.newPass, nil }
	}
	s.Passphrase = func(path string, ask bool) signing.Passphrase {
		if !ask && o.passFile == "" {
			return nil
		}
		if o.quiet && o.passFile == "" {
			return nil
		}
		return a.passphrase(o.passFile, path)
	}
	return s
}

// act builds the action name for a direct command (its arguments from
// flags: a bad one is a usage error) and runs it through the pipeline.
func (a *invocation) act(inc *incident.Incident, pf *pipeFlags, o sessionOpts, name string, args app.Args) (*actions.Outcome, error) {
	if err := a.approved(inc, pf, name); err != nil {
		return nil, err
	}
	act, err := a.session(o).Build(a.ctx, inc, name, args)
	if err != nil {
		var ae *app.ArgError
		if errors.As(err, &ae) && ae.Form {
			return nil, &usageError{msg: err.Error(), hint: hintFor(err)}
		}
		return nil, err
	}
	return a.runAction(inc, pf, act)
}

// consoleSession is the session the console and the drills build actions
// in: it never asks on the terminal (the console owns it); an encrypted
// key is signing.ErrEncrypted, which the console hands to the CLI.
func (a *invocation) consoleSession() *app.Session {
	return a.session(sessionOpts{quiet: true})
}

// approved refuses, before anything is planned, an action a step of the
// incident's playbook asks approval for: the action of such a step (gh
// secret-delete is what SIGNING's revoke-compromised-secret does), whatever
// --step says and whatever state the step is in, and any action run as
// such a step (--step). It goes ahead when one of those steps is open and
// approved for this runner; a closed one is reopened, and approved again,
// first (an approval is for one attempt). A dry run changes nothing, so it
// may show the approver what they approve.
func (a *invocation) approved(inc *incident.Incident, pf *pipeFlags, name string) error {
	if inc == nil || pf.dryRun {
		return nil
	}
	st, err := inc.State()
	if err != nil {
		return err
	}
	named := ""
	if pf.step != "" {
		if s, ok := inc.Playbook.Step(pf.step); ok { // as the runner resolves it: id or number, any case
			named = s.ID
		}
	}
	var gated []playbooks.Step
	for _, s := range inc.Playbook.Steps() {
		if !s.Approval.Needed(st.MostSevere()) {
			continue
		}
		if s.Action != nil && s.Action.Name == name || s.ID == named {
			gated = append(gated, s)
		}
	}
	if len(gated) == 0 {
		return nil
	}
	var first error
	for _, s := range gated {
		ss := st.Steps[s.ID]
		if ss.State.Closed() {
			if first == nil {
				first = withHint(fmt.Errorf("%s is what step %s (%s) does, which needs approval %s; the step is %s", name, s.ID, s.Title, s.Approval.Text(), ss.State),
					"an approval is for one attempt: reopen it (firebreak step %s %s reopen --reason TEXT) and have it approved again", inc.Header.ID, s.ID)
			}
			continue
		}
		err := st.NeedsApproval(s, a.actor)
		if err == nil {
			return nil // an open, approved step covers the action
		}
		if first == nil {
			first = err
		}
	}
	return first
}
