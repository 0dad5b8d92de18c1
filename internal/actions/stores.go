package actions

import (
	"context"
	"encoding/json"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// EvidenceStore is the incident's evidence directory.
func EvidenceStore(inc *incident.Incident) *evidence.Store {
	return evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
}

// KeyStores lists every store holding the incident's isolated keys: its
// own keys/ first, then each other directory key.isolate moved a key to
// (an offline location), as the journal records them. Listing and
// verifying must cover them all: a key moved offline is still evidence.
func KeyStores(inc *incident.Incident, evs []journal.Event) []*evidence.Store {
	own := filepath.Join(inc.Dir, "keys")
	out := []*evidence.Store{evidence.NewKeyStore(own)}
	seen := map[string]bool{filepath.Clean(own): true}
	for _, d := range Done(evs, NameKeyIsolate) {
		r, ok := Decode[IsolateResult](d.Record)
		if !ok || r.Store == "" {
			continue
		}
		dir := filepath.Clean(r.Store)
		if !seen[dir] {
			seen[dir] = true
			out = append(out, evidence.NewKeyStore(dir))
		}
	}
	return out
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
	dir = filepath.Clean(dir)
	own := map[string]string{
		"isolate": filepath.Join(inc.Dir, "keys"),
		"":        filepath.Join(inc.Dir, "evidence"),
	}
	out := []evidence.Entry{}
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
		}
	}
	return out
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
}

// VerifyEvidence re-hashes the incident's evidence and every key store
// against what the journal recorded (see evidence.Store.Verify). The
// evidence store comes first.
func VerifyEvidence(ctx context.Context, inc *incident.Incident, evs []journal.Event, progress func(string)) ([]StoreReport, error) {
	var out []StoreReport
	for _, st := range append([]*evidence.Store{EvidenceStore(inc)}, KeyStores(inc, evs)...) {
		st.Owner = inc.Header.ID
		rep, err := st.Verify(ctx, Recorded(inc, evs, st.Dir), progress)
		if err != nil {
			return out, err
		}
		out = append(out, StoreReport{st.Dir, rep})
	}
	return out, nil
}

// CleanEvidence removes what interrupted takes left in the incident's
// stores (see evidence.Store.Clean); recorded evidence is never touched.
func CleanEvidence(ctx context.Context, inc *incident.Incident, evs []journal.Event) (map[string][]evidence.Cleaned, error) {
	out := map[string][]evidence.Cleaned{}
	for _, st := range append([]*evidence.Store{EvidenceStore(inc)}, KeyStores(inc, evs)...) {
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
