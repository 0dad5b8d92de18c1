package app

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// entry is one action of the table: its spec and how it is built.
type entry struct {
	Spec actions.Spec
	// needsIncident: the action works inside an incident (its evidence,
	// its timeline); the others may run without one.
	needsIncident bool
	build         func(b *builder) (actions.Action, error)
}

// table is every action a playbook step or a direct command can run. Adding
// an action is its Go type in internal/actions, one entry here (in the file
// of its family), its use in a playbook's YAML, and its line in the docs.
var table = map[string]entry{}

// register adds entries; each family's file calls it from init.
func register(es ...entry) {
	for _, e := range es {
		if _, dup := table[e.Spec.Name]; dup {
			panic("app: action " + e.Spec.Name + " registered twice")
		}
		table[e.Spec.Name] = e
	}
}

// builder is one Build call: the session, the incident and the arguments.
type builder struct {
	ctx  context.Context
	s    *Session
	inc  *incident.Incident
	name string
	args Args
	evs  []journal.Event // the incident's timeline, read once when needed
}

// argErr names the argument an action cannot be built from.
func (b *builder) argErr(arg string, err error) error {
	return &ArgError{Action: b.name, Arg: arg, Err: err}
}

// formErr names an argument whose form is wrong (a usage error).
func (b *builder) formErr(arg string, err error) error {
	return &ArgError{Action: b.name, Arg: arg, Err: err, Form: true}
}

// timeline reads the incident's events once per build.
func (b *builder) timeline() ([]journal.Event, error) {
	if b.evs != nil || b.inc == nil {
		return b.evs, nil
	}
	evs, _, err := b.inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	b.evs = evs
	return evs, nil
}

// evidenceStore is the incident's evidence store (nil without an incident).
func (b *builder) evidenceStore() *evidence.Store {
	if b.inc == nil {
		return nil
	}
	st := actions.EvidenceStore(b.inc)
	st.Now = b.s.Now
	return st
}

// scratch is where an action writes a file before it is taken into the
// evidence.
func (b *builder) scratch() string { return filepath.Join(b.inc.Dir, "exports") }

// protected lists what no take may reach into: the home and the incident's
// key stores.
func (b *builder) protected() ([]string, error) {
	evs, err := b.timeline()
	if err != nil {
		return nil, err
	}
	return actions.Protected(b.inc, evs), nil
}

// pub loads the public key an argument names.
func (b *builder) pub(arg string) (ed25519.PublicKey, error) {
	k, err := signing.LoadPublicKey(b.args.Get(arg), nil)
	if err != nil {
		return nil, b.argErr(arg, err)
	}
	return k, nil
}

// privateKey loads the private key an argument names, asking for its
// passphrase where the session can.
func (b *builder) privateKey(arg string) (ed25519.PrivateKey, error) {
	path := b.args.Get(arg)
	return signing.LoadPrivateKey(path, b.s.passphrase(path, true))
}

// moduleKey loads a private key for module signing and says whether the
// record should carry its key id: when the public key is given (and
// matches), or the key file holds it (wsc .sec, OpenSSH), as wsc sign -K.
func (b *builder) moduleKey(keyArg, pubArg string) (*signing.Key, bool, error) {
	keyPath := b.args.Get(keyArg)
	k, err := signing.LoadKey(keyPath, b.s.passphrase(keyPath, true))
	if err != nil {
		return nil, false, err
	}
	if k.Private == nil {
		return nil, false, &signing.KeyError{Path: keyPath, Reason: "is a public key; a private key is needed"}
	}
	withKID := k.Form == signing.FormWscSecret || k.Form == signing.FormOpenSSHPriv
	if pubPath := b.args.Get(pubArg); pubPath != "" {
		pub, err := signing.LoadPublicKey(pubPath, nil)
		if err != nil {
			return nil, false, b.argErr(pubArg, err)
		}
		if !pub.Equal(k.Public) {
			clear(k.Private)
			return nil, false, b.argErr(pubArg, fmt.Errorf("%s is not the public half of the key %s", pubPath, keyPath))
		}
		withKID = true
	}
	return k, withKID, nil
}

// keySelector reads a key id (kidArg) or a public key (pubArg) into the
// key id and, with the public key, the key itself.
func (b *builder) keySelector(kidArg, pubArg string) ([]byte, ed25519.PublicKey, error) {
	kidHex, pubPath := b.args.Get(kidArg), b.args.Get(pubArg)
	switch {
	case kidHex != "" && pubPath != "":
		return nil, nil, b.formErr(kidArg, fmt.Errorf("give %s or %s, not both", kidArg, pubArg))
	case pubPath != "":
		pub, err := signing.LoadPublicKey(pubPath, nil)
		if err != nil {
			return nil, nil, b.argErr(pubArg, err)
		}
		return signing.WscKeyID(pub), pub, nil
	case kidHex != "":
		kid, err := hex.DecodeString(strings.TrimSpace(kidHex))
		if err != nil || len(kid) != signing.WscKeyIDLen {
			// A shorter id would match nothing and read as an all-clear.
			return nil, nil, &HintError{Err: b.formErr(kidArg, fmt.Errorf("%q is not a wsc key id", kidHex)),
				Hint: "a wsc key id is 24 hex digits (12 bytes), e.g. 5a64496e13b2692d0cee20b2; firebreak key fingerprint KEY prints it"}
		}
		return kid, nil, nil
	}
	return nil, nil, b.formErr(kidArg, fmt.Errorf("give %s (a wsc key id) or %s (a public key)", kidArg, pubArg))
}

// modules lists the module files the paths name (directories walked).
func (b *builder) modules(arg string) ([]string, error) {
	files, bad := wasmsig.Walk(b.args.List(arg))
	if len(bad) > 0 {
		return nil, b.argErr(arg, fmt.Errorf("%s: %s", bad[0].Path, bad[0].Error))
	}
	return files, nil
}

// HintError is an error with what to do about it; the front ends show the
// hint on its own line.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// KeyStoreDir is where key.isolate moves a key: the incident's keys/, or an
// offline directory outside the firebreak home (a store inside it would
// put key material among the record: a journal directory, another
// incident's evidence), recorded as the absolute path it really is.
func (s *Session) KeyStoreDir(inc *incident.Incident, to string) (string, error) {
	if to == "" {
		return filepath.Join(inc.Dir, "keys"), nil
	}
	home := s.Home()
	if err := actions.CheckOutput(to, []string{home}); err != nil {
		return "", &HintError{Err: err, Hint: "leave --to out to use the incident's own keys/, or name an offline directory outside " + home}
	}
	dir, err := fsutil.Resolve(to)
	if err != nil {
		return "", err
	}
	if h, err := fsutil.Resolve(home); err == nil && fsutil.Within(h, dir) {
		return "", &HintError{Err: fmt.Errorf("--to %s contains the firebreak home %s: a key store holds keys, never the record", to, home), Hint: "name an offline directory of its own"}
	}
	return dir, nil
}
