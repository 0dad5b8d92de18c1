package actions

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// EvidenceStore is the incident's evidence directory.
func EvidenceStore(inc *incident.Incident) *evidence.Store {
	return evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
}

// KeyStores lists every store holding the incident's isolated keys: its
// own keys/ first, then each other directory a key was isolated to (an
// offline location), as the journal records them: every evidence.added
// record of an isolation names its store, and so does key.isolate's
// result. A key whose copy was recorded counts even when its isolation
// then failed (the original could not be removed): the copy is evidence.
// Listing, verifying and cleaning must cover them all.
//
// Only a store that can be one is listed: an absolute directory outside
// the firebreak home that does not contain it, never "/". A record naming
// anything else (a forged or corrupted line) is ignored, so that verify
// and clean never walk or touch it.
func KeyStores(inc *incident.Incident, evs []journal.Event) []*evidence.Store {
	own := filepath.Join(inc.Dir, "keys")
	out := []*evidence.Store{evidence.NewKeyStore(own)}
	seen := map[string]bool{filepath.Clean(own): true}
	home := Home(inc)
	add := func(dir string) {
		dir = filepath.Clean(dir)
		if dir == "" || seen[dir] || !offlineStore(dir, home) {
			return
		}
		seen[dir] = true
		out = append(out, evidence.NewKeyStore(dir))
	}
	for _, ev := range evs {
		switch ev.Kind {
		case KindEvidence:
			var e evidence.Entry
			if json.Unmarshal(ev.Data, &e) == nil && e.Operation == "isolate" && e.Store != "" {
				add(e.Store)
			}
		case KindDone, KindFailed:
			if rec, ok := ParseRecord(ev); ok && rec.Action == NameKeyIsolate {
				if r, ok := Decode[IsolateResult](rec); ok && r.Store != "" {
					add(r.Store)
				}
			}
		}
	}
	return out
}

// offlineStore reports whether dir can be an offline key store of an
// incident in home: absolute, not the root, neither inside the home nor
// containing it (links resolved where they can be).
func offlineStore(dir, home string) bool {
	if !filepath.IsAbs(dir) || dir == string(filepath.Separator) {
		return false
	}
	for _, p := range []string{dir, resolved(dir)} {
		for _, h := range []string{home, resolved(home)} {
			if p == string(filepath.Separator) || fsutil.Within(h, p) || fsutil.Within(p, h) {
				return false
			}
		}
	}
	return true
}

// resolved is path with its links resolved, or path when that fails.
func resolved(path string) string {
	if r, err := fsutil.Resolve(path); err == nil {
		return r
	}
	return path
}

// Home is the firebreak home an incident lives in.
func Home(inc *incident.Incident) string { return filepath.Dir(filepath.Dir(inc.Dir)) }

// Protected lists what no take may reach into or contain: the firebreak
// home (every incident's header, journal, playbook snapshot, evidence and
// keys) and every key store the incident's journal names (keys isolated
// offline are evidence too).
func Protected(inc *incident.Incident, evs []journal.Event) []string {
	out := []string{Home(inc)}
	for _, st := range KeyStores(inc, evs) {
		out = append(out, st.Dir)
	}
	return out
}

// KindEvidence is the journal event of an item of evidence taken.
const KindEvidence = "evidence.added"

// Recorded returns the entries the journal's evidence.added records put in
// the store at dir: the reference evidence verify checks against. Records
// written before they named their store are placed by their operation: an
// isolated key in the incident's own keys/, anything else in evidence/.
func Recorded(inc *incident.Incident, evs []journal.Event, dir string) []evidence.Entry {
	es, _ := recorded(inc, evs, dir)
	return es
}

// recorded is Recorded with the actor who recorded each entry.
func recorded(inc *incident.Incident, evs []journal.Event, dir string) ([]evidence.Entry, []string) {
	dir = filepath.Clean(dir)
	own := map[string]string{
		"isolate": filepath.Join(inc.Dir, "keys"),
		"":        filepath.Join(inc.Dir, "evidence"),
	}
	out := []evidence.Entry{}
	var actors []string
	for _, ev := range evs {
		if ev.Kind != KindEvidence {
			continue
		}
		var e evidence.Entry
		if json.Unmarshal(ev.Data, &e) != nil || e.Name == "" {
			continue
		}
		store := e.Store
		switch {
		case store == "" && e.Operation == "isolate":
			store = own["isolate"]
		case store == "":
			store = own[""]
		case !filepath.IsAbs(store):
			store = filepath.Join(inc.Dir, filepath.FromSlash(store))
		}
		if sameDir(store, dir) {
			out = append(out, e)
			actors = append(actors, ev.Actor)
		}
	}
	return out, actors
}

// sameDir compares two directory paths made absolute.
func sameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// StoreReport is the verification of one store.
type StoreReport struct {
	Dir string `json:"dir"`
	*evidence.VerifyReport
	// Elsewhere is evidence a responder on another machine took: its
	// record came through sync, its bytes stay on that machine.
	Elsewhere []HeldElsewhere `json:"elsewhere,omitempty"`
}

// HeldElsewhere is an item of evidence whose bytes are on the machine of
// the actor who took it.
type HeldElsewhere struct {
	evidence.Entry
	Actor string `json:"actor"`
}

// VerifyEvidence re-hashes the incident's evidence and every key store
// against what the journal recorded (see evidence.Store.Verify). The
// evidence store comes first. remote, when set, says which actors work on
// other machines of a synced home: what they took and is not here is
// listed as held elsewhere, not missing; what is here is verified.
func VerifyEvidence(ctx context.Context, inc *incident.Incident, evs []journal.Event, remote func(actor string) bool, progress func(string)) ([]StoreReport, error) {
	var out []StoreReport
	for i, st := range append([]*evidence.Store{EvidenceStore(inc)}, KeyStores(inc, evs)...) {
		st.Owner = inc.Header.ID
		entries, actors := recorded(inc, evs, st.Dir)
		var here []evidence.Entry
		var away []HeldElsewhere
		for j, e := range entries {
			if remote != nil && remote(actors[j]) {
				if _, err := os.Lstat(filepath.Join(st.Dir, e.Name)); errors.Is(err, fs.ErrNotExist) {
					away = append(away, HeldElsewhere{e, actors[j]})
					continue
				}
			}
			here = append(here, e)
		}
		if i > 0 && len(here) == 0 && len(away) > 0 {
			if _, err := os.Lstat(st.Dir); errors.Is(err, fs.ErrNotExist) {
				// A key store on another machine, never on this one.
				out = append(out, StoreReport{st.Dir, &evidence.VerifyReport{Problems: []evidence.Problem{}, Leftovers: []evidence.Problem{}, Reference: "journal"}, away})
				continue
			}
		}
		if here == nil {
			here = []evidence.Entry{}
		}
		rep, err := st.Verify(ctx, here, progress)
		if err != nil {
			return out, err
		}
		out = append(out, StoreReport{st.Dir, rep, away})
	}
	return out, nil
}

// CleanEvidence removes what interrupted takes left in the incident's
// stores (see evidence.Store.Clean); recorded evidence is never touched.
func CleanEvidence(ctx context.Context, inc *incident.Incident, evs []journal.Event) (map[string][]evidence.Cleaned, error) {
	out := map[string][]evidence.Cleaned{}
	for i, st := range append([]*evidence.Store{EvidenceStore(inc)}, KeyStores(inc, evs)...) {
		if i > 1 && !hasManifest(st.Dir) {
			continue // an offline store firebreak never wrote a manifest into is not cleaned
		}
		names := map[string]bool{}
		for _, e := range Recorded(inc, evs, st.Dir) {
			names[e.Name] = true
		}
		cs, err := st.Clean(ctx, inc.Header.ID, func(n string) bool { return names[n] })
		if len(cs) > 0 {
			out[st.Dir] = cs
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// hasManifest reports whether dir holds a store's manifest as a regular
// file (opened without following a link or blocking on a pipe).
func hasManifest(dir string) bool {
	f, err := fsutil.OpenRegular(filepath.Join(dir, evidence.ManifestFile))
	if err != nil {
		return false
	}
	f.Close()
	return true
}
