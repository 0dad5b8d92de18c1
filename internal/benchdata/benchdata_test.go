package benchdata

import (
	"path/filepath"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// TestIncidentVerifies: what it writes is a valid incident of exactly the
// events asked for, every chain intact, each actor's share in its file.
func TestIncidentVerifies(t *testing.T) {
	inc, err := Incident(t.Context(), Options{Home: filepath.Join(t.TempDir(), "h"), Events: 101, Actors: []string{"alice", "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inc.Journal.Verify(t.Context(), journal.VerifyOptions{})
	if err != nil || !rep.Intact() || rep.Events != 102 || len(rep.Files) != 2 {
		t.Fatalf("%v: intact %v, %d events in %d files, problems %v", err, rep.Intact(), rep.Events, len(rep.Files), rep.Problems)
	}
	st, err := inc.State()
	if err != nil || st.Events != 102 {
		t.Fatalf("%v %v", err, st)
	}
	started := 0
	for _, ss := range st.Steps {
		if ss.State == playbooks.Started {
			started++
		}
	}
	if started != 1 {
		t.Errorf("%d steps started, want 1 (event 7)", started)
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	backDated := 0
	for _, e := range evs {
		if e.At.Before(e.Logged) {
			backDated++
		}
	}
	if backDated != 1 || evs[0].Summary != "found module 50 had been replaced earlier" {
		t.Errorf("%d events back-dated (want 1, event 50, first in the timeline: a minute before the opening); first is %q", backDated, evs[0].Summary)
	}
	for _, bad := range [][]string{{"alice", "alice"}, {"bad name/x"}} {
		if _, err := Incident(t.Context(), Options{Home: filepath.Join(t.TempDir(), "h"), Events: 1, Actors: bad}); err == nil {
			t.Errorf("actors %q accepted", bad)
		}
	}
}
