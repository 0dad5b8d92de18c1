package sync

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// LocalActors returns, for a home that syncs, the actors whose journal of
// incident id this machine committed first — their evidence bytes are on
// this machine — and true; for a home that does not sync, false: every
// actor is local.
func LocalActors(home, id string) (map[string]bool, bool) {
	if !IsRepo(home) {
		return nil, false
	}
	m := readLocal(home)
	out := map[string]bool{}
	for _, a := range m[id] {
		out[a] = true
	}
	return out, true
}

func readLocal(home string) map[string][]string {
	m := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(home, ".git", localFile)); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// Release hands actor over to other machines: this machine no longer
// counts as writing actor's journals, so what another machine adds to them
// is taken in (and appending as actor here again would fork, which sync
// refuses). It returns how many incidents' journals it released.
func Release(home, actor string) (int, error) {
	if !IsRepo(home) {
		return 0, &NotInitializedError{Home: home}
	}
	if !journal.ValidActor(actor) {
		return 0, fmt.Errorf("%s is not an actor name", strconv.QuoteToASCII(actor))
	}
	m := readLocal(home)
	n := 0
	for id, actors := range m {
		if i := slices.Index(actors, actor); i >= 0 {
			m[id] = slices.Delete(actors, i, i+1)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, writeLocal(home, m)
}

func writeLocal(home string, m map[string][]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", localFile), append(b, '\n'), 0o600)
}

func addLocal(home string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	m := readLocal(home)
	for _, p := range paths {
		id, actor := incidentOf(p), strings.TrimSuffix(path.Base(p), journal.Ext)
		if !slices.Contains(m[id], actor) {
			m[id] = append(m[id], actor)
		}
	}
	return writeLocal(home, m)
}

// RemoteActors says, in a home that syncs, which actors of incident id work
// on other machines: not actor (who runs this), and not an actor whose
// journal this machine committed first. Their evidence bytes are on their
// machines. nil for a home that does not sync (every actor is local).
func RemoteActors(home, actor, id string) func(string) bool {
	local, synced := LocalActors(home, id)
	if !synced {
		return nil
	}
	return func(a string) bool { return a != actor && !local[a] }
}
