package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
)

func init() {
	register(
		entry{Spec: actions.Spec{Name: actions.NameSigstorePin, Summary: "pin a trusted root (trusted_root.json) to the incident: a copy in the evidence, its SHA-256 in the record; a different one later needs a reason", Required: []string{"file"}, Optional: []string{"reason"}},
			needsIncident: true, build: buildPin},
		entry{Spec: actions.Spec{Name: actions.NameSigstoreAudit, Summary: "verify every Sigstore bundle and keyless-signed module under the paths offline against the pinned trusted root, in the window, against the expected signers and the blocked identities", Required: []string{"paths"}, Optional: []string{"trusted_root", "since", "until", "signers"}},
			needsIncident: true, build: buildSigstoreAudit},
		entry{Spec: actions.Spec{Name: actions.NameSigstoreRootDiff, Summary: "compare the pinned trusted root (or old) with a new one: CAs, logs, timestamp authorities and their validity; with pin_reason, pin the new one", Required: []string{"new"}, Optional: []string{"old", "pin_reason"}},
			needsIncident: true, build: buildRootDiff},
		entry{Spec: actions.Spec{Name: actions.NameSigstoreBlock, Summary: "block a signing identity: later audits in the incident fail its signatures", Required: []string{"identity"}, Optional: []string{"issuer", "reason"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) {
				return &actions.BlockIdentity{Signer: sigstore.Signer{Identity: b.args.Get("identity"), Issuer: b.args.Get("issuer")}, Reason: b.args.Get("reason")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameSigstoreInspect, Summary: "read who signed a module or bundle (certificate identity, Rekor entry) offline, verified against the pinned trusted root when there is one", Required: []string{"file"}, Optional: []string{"trusted_root"}},
			needsIncident: true, build: buildInspect},
	)
}

// PinnedRoot is the incident's trusted root pin, nil when none.
// The pin in force is the last sigstore.pinned event recorded (in
// the order events were logged: a back-dated event does not undo a later
// pin).
func PinnedRoot(evs []journal.Event) *actions.PinResult {
	var pin *actions.PinResult
	var at time.Time
	for _, e := range evs {
		if e.Kind != actions.KindRootPinned {
			continue
		}
		var r actions.PinResult
		if json.Unmarshal(e.Data, &r) != nil || r.SHA256 == "" || r.Evidence == "" {
			continue
		}
		if pin == nil || !e.Logged.Before(at) {
			pin, at = &r, e.Logged
		}
	}
	return pin
}

// BlockedIdentities are the identities the incident blocked.
func BlockedIdentities(evs []journal.Event) []sigstore.Signer {
	var out []sigstore.Signer
	for _, d := range actions.Done(evs, actions.NameSigstoreBlock) {
		if r, ok := actions.Decode[actions.BlockResult](d.Record); ok && r.Signer.Identity != "" {
			out = append(out, r.Signer)
		}
	}
	return out
}

// pinRoot is the trusted root an action uses: the one given (which must be
// the pinned one, if there is a pin), else the pinned copy. The PinRoot
// pins it when it is not pinned yet.
func (b *builder) pinRoot(arg string, required bool) (*actions.PinRoot, error) {
	evs, err := b.timeline()
	if err != nil {
		return nil, err
	}
	prev := PinnedRoot(evs)
	p := &actions.PinRoot{Previous: prev, Actor: b.s.Actor, Reason: b.args.Get("reason")}
	if b.inc != nil {
		p.Store, p.Scratch, p.Incident = b.evidenceStore(), b.scratch(), b.inc.Header.ID
	}
	given := b.args.Get(arg)
	switch {
	case given != "":
		if p.Root, err = sigstore.LoadRoot(given); err != nil {
			return nil, b.argErr(arg, err)
		}
		if prev != nil && prev.SHA256 != p.Root.SHA256 && b.name != actions.NameSigstorePin {
			return nil, b.argErr(arg, &actions.RepinError{Given: p.Root, Pinned: prev, Incident: p.Incident})
		}
	case prev != nil:
		// The copy is read from this incident's evidence by its name, so a
		// moved home still finds it (and never another home's copy).
		copyPath := prev.Evidence
		if prev.Name != "" && b.inc != nil {
			copyPath = filepath.Join(b.inc.Dir, "evidence", filepath.FromSlash(prev.Name))
		}
		if p.Root, err = sigstore.LoadRoot(copyPath); err != nil {
			return nil, fmt.Errorf("the incident's pinned trusted root: %w", err)
		}
		if p.Root.SHA256 != prev.SHA256 {
			return nil, fmt.Errorf("the incident's pinned trusted root %s hashes to %s, not the %s pinned: the evidence was changed (firebreak evidence verify)", copyPath, p.Root.SHA256, prev.SHA256)
		}
	case required:
		return nil, b.argErr(arg, errors.New("no trusted root is pinned to the incident: give one, or pin it first (firebreak sigstore pin ID trusted_root.json)"))
	default:
		return nil, nil
	}
	return p, nil
}

func buildPin(b *builder) (actions.Action, error) {
	b.args = b.args.With("trusted_root", b.args.Get("file"))
	return b.pinRoot("trusted_root", true)
}

func (b *builder) time(arg string) (time.Time, error) {
	v := b.args.Get(arg)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := incident.ParseTime(v, b.s.now())
	if err != nil {
		return time.Time{}, b.formErr(arg, err)
	}
	return t, nil
}

func buildSigstoreAudit(b *builder) (actions.Action, error) {
	pin, err := b.pinRoot("trusted_root", true)
	if err != nil {
		return nil, err
	}
	a := &actions.SigstoreAudit{Paths: b.args.List("paths"), Pin: pin, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor, Notify: b.s.Notify, Now: b.s.now}
	if a.Window.Since, err = b.time("since"); err != nil {
		return nil, err
	}
	if a.Window.Until, err = b.time("until"); err != nil {
		return nil, err
	}
	if !a.Window.Since.IsZero() && !a.Window.Until.IsZero() && a.Window.Until.Before(a.Window.Since) {
		return nil, b.formErr("until", fmt.Errorf("%s is before since %s", a.Window.Until.Format(time.RFC3339), a.Window.Since.Format(time.RFC3339)))
	}
	if f := b.args.Get("signers"); f != "" {
		if a.Signers, err = sigstore.LoadSigners(f); err != nil {
			return nil, b.argErr("signers", err)
		}
	}
	evs, err := b.timeline()
	if err != nil {
		return nil, err
	}
	a.Blocked = BlockedIdentities(evs)
	return a, nil
}

func buildRootDiff(b *builder) (actions.Action, error) {
	d := &actions.RootDiff{Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor}
	var err error
	if d.New, err = sigstore.LoadRoot(b.args.Get("new")); err != nil {
		return nil, b.argErr("new", err)
	}
	if old := b.args.Get("old"); old != "" {
		if d.Old, err = sigstore.LoadRoot(old); err != nil {
			return nil, b.argErr("old", err)
		}
		return d, nil
	}
	pin, err := b.pinRoot("old", true)
	if err != nil {
		return nil, err
	}
	d.Old = pin.Root
	if r := b.args.Get("pin_reason"); r != "" {
		d.Pin = &actions.PinRoot{Root: d.New, Previous: pin.Previous, Reason: r, Store: pin.Store, Scratch: pin.Scratch, Actor: pin.Actor, Incident: pin.Incident}
	}
	return d, nil
}

func buildInspect(b *builder) (actions.Action, error) {
	pin, err := b.pinRoot("trusted_root", false)
	if err != nil {
		return nil, err
	}
	return &actions.Inspect{File: b.args.Get("file"), Incident: b.inc.Header.ID, Pin: pin, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor, Notify: b.s.Notify}, nil
}

// TrustedRoot is the trusted root a check uses: the file given (which
// must be the incident's pin, when it has one), else the incident's pinned
// copy; nil when there is neither. Without an incident, the file given.
func (s *Session) TrustedRoot(ctx context.Context, inc *incident.Incident, given string) (*sigstore.Root, error) {
	b := &builder{ctx: ctx, s: s, inc: inc, name: "trusted root", args: Args{}.With("trusted_root", given)}
	p, err := b.pinRoot("trusted_root", false)
	var ae *ArgError
	if errors.As(err, &ae) {
		return nil, ae.Err
	}
	if err != nil || p == nil {
		return nil, err
	}
	return p.Root, nil
}

// Blocked is the identities an incident blocked (none without one).
func (s *Session) Blocked(inc *incident.Incident) ([]sigstore.Signer, error) {
	if inc == nil {
		return nil, nil
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	return BlockedIdentities(evs), nil
}
