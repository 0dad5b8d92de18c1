package actions

import (
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
	for _, e := range evs {
		if e.Kind != KindDone {
			continue
		}
		var d struct {
			Action string `json:"action"`
			Result struct {
				Data struct {
					Store string `json:"store"`
				} `json:"data"`
			} `json:"result"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Action != "key.isolate" || d.Result.Data.Store == "" {
			continue
		}
		dir := filepath.Clean(d.Result.Data.Store)
		if !seen[dir] {
			seen[dir] = true
			out = append(out, evidence.NewKeyStore(dir))
		}
	}
	return out
}
