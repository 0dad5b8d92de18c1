package sync

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// settingsFile, inside .git, holds this clone's sealing settings: paths to
// keys (never key material), so the console's S seals and checks as the
// command does.
const settingsFile = "firebreak-sync-settings.json"

// Settings are how a home seals what it syncs and what it accepts.
type Settings struct {
	// SealKey is this responder's Ed25519 private key (a path): each
	// sync seals what this machine appended since the last one.
	SealKey string `json:"seal_key,omitempty"`
	// PublicKeys are the team's public keys, NAME=PATH (or PATH): seals by
	// them are checked, signatures included; NAME binds the key to a
	// person (alice: alice, alice@laptop…) or one actor name, and only a
	// bound key seals for --require-sealed.
	PublicKeys []string `json:"public_keys,omitempty"`
	// RequireSealed refuses a journal the remote extends unless it ends
	// with a seal by one of PublicKeys, so every event it brings is
	// signed for: a name in the journal is a claim, a seal is a signature.
	RequireSealed bool `json:"require_sealed,omitempty"`
}

// LoadSettings reads the home's sealing settings (none: the zero value).
func LoadSettings(home string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(filepath.Join(home, ".git", settingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(home, ".git", settingsFile), err)
	}
	return s, nil
}

// SaveSettings keeps the settings for every later sync of this home.
func SaveSettings(home string, s Settings) error {
	if !IsRepo(home) {
		return &NotInitializedError{Home: home}
	}
	for i, p := range s.PublicKeys {
		name, path := splitBinding(p)
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if name != "" {
			path = name + "=" + path
		}
		s.PublicKeys[i] = path
	}
	if s.SealKey != "" {
		if abs, err := filepath.Abs(s.SealKey); err == nil {
			s.SealKey = abs
		}
	}
	slices.Sort(s.PublicKeys)
	s.PublicKeys = slices.Compact(s.PublicKeys)
	if s.RequireSealed {
		if len(s.PublicKeys) == 0 && s.SealKey == "" {
			return errors.New("requiring seals needs the team's public keys (--pubkey NAME=PUB)")
		}
		for _, p := range s.PublicKeys {
			if name, _ := splitBinding(p); name == "" {
				return fmt.Errorf("--require-sealed: the key %s names nobody: give it as --pubkey NAME=%s (the person whose journals it seals)", p, p)
			}
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", settingsFile), append(b, '\n'), 0o600)
}

// sealOwn seals, in every incident, the journal this machine's actor
// appended to since the last sync, unless its last event is a seal already.
func sealOwn(ctx context.Context, o *Options, changed []string) error {
	if o.SealKey == nil {
		return nil
	}
	for _, p := range changed {
		actor := strings.TrimSuffix(filepath.Base(p), journal.Ext)
		// Every name of this person this machine wrote under (alice,
		// alice@phone): the key is bound to the person.
		if Classify(p) != Journal || Person(actor) != Person(o.Actor) {
			continue
		}
		dir := filepath.Join(o.Home, "incidents", incidentOf(p), "journal")
		if last, err := lastEvent(filepath.Join(dir, actor+journal.Ext)); err == nil && last.Kind == journal.KindCheckpoint {
			continue
		}
		j := journal.New(dir)
		j.Now = o.now
		if _, err := j.Seal(ctx, actor, incidentOf(p), o.SealKey); err != nil {
			return fmt.Errorf("seal %s: %w", p, err)
		}
	}
	return nil
}

// lastEvent parses a journal file's last line.
func lastEvent(path string) (journal.Event, error) {
	rd, err := journal.OpenFile(path)
	if err != nil {
		return journal.Event{}, err
	}
	defer rd.Close()
	var last []byte
	for {
		line, _, _, err := rd.Next()
		if err != nil {
			break
		}
		last = append(last[:0], line...)
	}
	if last == nil {
		return journal.Event{}, errors.New("empty")
	}
	return journal.ParseLine(last)
}

// sealedBy reports whether a journal file ends with a checkpoint, by its
// own actor, signed by a key bound to that actor's name (its signature and
// that it signs the file's own head are checked by verification).
func sealedBy(path, actor string, names map[string][]string) bool {
	e, err := lastEvent(path)
	if err != nil || e.Kind != journal.KindCheckpoint || e.Actor != actor {
		return false
	}
	var d struct {
		Key string `json:"key"`
		V   int    `json:"v"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.V != 2 {
		return false // a version 1 seal does not sign its own event
	}
	return bound(names[d.Key], actor)
}

// splitBinding reads NAME=PATH (NAME a person or actor name) or PATH.
func splitBinding(p string) (string, string) {
	if name, path, ok := strings.Cut(p, "="); ok && journal.ValidActor(name) {
		return name, path
	}
	return "", p
}

// Person is the person an actor name is: alice for alice@laptop.
func Person(actor string) string { return strings.SplitN(actor, "@", 2)[0] }

// bound reports whether a key bound to names may seal actor's journal.
func bound(names []string, actor string) bool {
	for _, n := range names {
		if n == actor || n == Person(actor) {
			return true
		}
	}
	return false
}

// Names maps each of the settings' public keys (by fingerprint) to the
// names it is bound to; the sealing key is bound to actor's person.
func (s Settings) Names(actor string, seal ed25519.PrivateKey) (map[string][]string, error) {
	out := map[string][]string{}
	for _, p := range s.PublicKeys {
		name, path := splitBinding(p)
		k, err := signing.LoadPublicKey(path, nil)
		if err != nil {
			return nil, fmt.Errorf("the team's public key %s: %w", path, err)
		}
		if name != "" {
			fp := signing.Fingerprint(k)
			out[fp] = append(out[fp], name)
		}
	}
	if seal != nil {
		fp := signing.Fingerprint(seal.Public().(ed25519.PublicKey))
		out[fp] = append(out[fp], Person(actor))
	}
	return out, nil
}

// Keys loads the settings' keys: the sealing key (pass answers for an
// encrypted one; nil refuses it) and the team's public keys.
func (s Settings) Keys(pass func(path string) signing.Passphrase) (ed25519.PrivateKey, []ed25519.PublicKey, error) {
	var seal ed25519.PrivateKey
	if s.SealKey != "" {
		var p signing.Passphrase
		if pass != nil {
			p = pass(s.SealKey)
		}
		k, err := signing.LoadPrivateKey(s.SealKey, p)
		if err != nil {
			return nil, nil, fmt.Errorf("the sealing key %s: %w", s.SealKey, err)
		}
		seal = k
	}
	var keys []ed25519.PublicKey
	for _, p := range s.PublicKeys {
		_, path := splitBinding(p)
		k, err := signing.LoadPublicKey(path, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("the team's public key %s: %w", path, err)
		}
		keys = append(keys, k)
	}
	if seal != nil {
		keys = append(keys, seal.Public().(ed25519.PublicKey))
	}
	return seal, keys, nil
}
