package benchdata

import (
	"path/filepath"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/journal"
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
	for _, bad := range [][]string{{"alice", "alice"}, {"bad name/x"}} {
		if _, err := Incident(t.Context(), Options{Home: filepath.Join(t.TempDir(), "h"), Events: 1, Actors: bad}); err == nil {
			t.Errorf("actors %q accepted", bad)
		}
	}
}
