package actions

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// TestKeyStoresFromEveryRecordAndNothingElse: an offline store is listed
// whether the isolation finished or failed after its copy was recorded
// (the evidence.added record names it), and a record naming "/", a
// relative path, the home, a directory inside it or one containing it is
// ignored: verify and clean never walk or touch those.
func TestKeyStoresFromEveryRecordAndNothingElse(t *testing.T) {
	inc := testIncident(t)
	home := Home(inc)
	offline := filepath.Join(t.TempDir(), "offline")
	evs := func(stores ...string) []journal.Event {
		var out []journal.Event
		for _, s := range stores {
			raw, _ := json.Marshal(evidence.Entry{Name: "k.pem", Operation: "isolate", Store: s})
			out = append(out, journal.Event{Kind: KindEvidence, Data: raw})
		}
		return out
	}
	got := KeyStores(inc, evs(offline, "/", "relative/store", home, filepath.Join(home, "incidents"), filepath.Dir(home), inc.Dir))
	if len(got) != 2 || got[0].Dir != filepath.Join(inc.Dir, "keys") || got[1].Dir != offline {
		var dirs []string
		for _, s := range got {
			dirs = append(dirs, s.Dir)
		}
		t.Fatalf("stores %q, want the own keys/ and %s", dirs, offline)
	}
	// A failed key.isolate whose result names its store counts too.
	failed := journal.Event{Kind: KindFailed, Data: []byte(`{"action":"key.isolate","error":"remove: operation not permitted","result":{"summary":"","data":{"store":"` + offline + `2"}}}`)}
	if got := KeyStores(inc, []journal.Event{failed}); len(got) != 2 || got[1].Dir != offline+"2" {
		t.Fatalf("a failed isolation's store is not listed: %v", got)
	}
	// Clean never touches a listed store without a manifest firebreak wrote.
	victim := filepath.Join(t.TempDir(), "victim")
	os.MkdirAll(victim, 0o700)
	stray := filepath.Join(victim, ".incoming-abcdef123456-x.txt")
	os.WriteFile(stray, []byte("not ours"), 0o600)
	if _, err := CleanEvidence(t.Context(), inc, evs(victim)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("clean removed a file from a store without a manifest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(victim, ".lock")); err == nil {
		t.Fatal("clean wrote a lock file into a store without a manifest")
	}
}

// writerFake writes one named file.
type writerFake struct {
	fake
	out string
}

func (w *writerFake) Outputs() []string { return []string{w.out} }

// TestOutputsAreCheckedAgainAfterTheConfirmation: a directory on the way
// to an output swapped for a link into the record while the responder
// reads the plan is refused before anything is written.
func TestOutputsAreCheckedAgainAfterTheConfirmation(t *testing.T) {
	inc := testIncident(t)
	work := t.TempDir()
	mods := filepath.Join(work, "mods")
	os.MkdirAll(mods, 0o700)
	act := &writerFake{fake: fake{destructive: true}, out: filepath.Join(mods, "m.wasm")}
	r := &Runner{Incident: inc, Actor: "alice", Confirm: func(*Plan) (bool, error) {
		if err := os.Rename(mods, mods+".orig"); err != nil {
			return false, err
		}
		return true, os.Symlink(filepath.Join(inc.Dir, "evidence"), mods)
	}}
	_, err := r.Run(t.Context(), act)
	if err == nil || act.executed {
		t.Fatalf("ran through a link into the record: executed %v, err %v", act.executed, err)
	}
}

// TestQuarantineVerifiesWithTheStoresReadBack: the action's verification of
// a quarantined file reports the store's read-back (one verification read,
// not a third pass), and still fails when the stored file is gone.
func TestQuarantineVerifiesWithTheStoresReadBack(t *testing.T) {
	inc := testIncident(t)
	src := filepath.Join(t.TempDir(), "m.wasm")
	os.WriteFile(src, []byte("module"), 0o600)
	st := EvidenceStore(inc)
	act := &Take{Store: st, Paths: []string{src}, Move: true, Actor: "alice", Protect: []string{Home(inc)}}
	out, err := (&Runner{Incident: inc, Actor: "alice", Yes: true}).Run(t.Context(), act)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range out.Verification.Checks {
		if strings.HasPrefix(c.What, "re-hash ") {
			found = c.OK && strings.Contains(c.Detail, "read back from the synced copy")
		}
	}
	if !found {
		t.Fatalf("checks %+v", out.Verification.Checks)
	}
	os.Chmod(st.Dir, 0o700)
	name := act.entries[0].Name
	os.Chmod(filepath.Join(st.Dir, name), 0o600)
	os.Remove(filepath.Join(st.Dir, name))
	v, _ := act.Verify(t.Context(), nil)
	if v.OK() {
		t.Fatal("a stored file that is gone verified")
	}
}
