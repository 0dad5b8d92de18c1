package sync

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// LastSync reads the home's last sync; ok is false when it never synced.
func LastSync(home string) (*Report, bool) {
	b, err := os.ReadFile(filepath.Join(home, ".git", StateFile))
	if err != nil {
		return nil, false
	}
	var rep Report
	if json.Unmarshal(b, &rep) != nil || rep.At.IsZero() {
		return nil, false
	}
	return &rep, true
}

func saveState(home string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", StateFile), append(b, '\n'), 0o600)
}

// ErrBusy is another sync of the same home still running.
var ErrBusy = errors.New("another sync of this home is running")

// lock holds the home's sync lock (one sync at a time: the console's and a
// command's never interleave their commits and merges).
func lock(home string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(home, ".git", "firebreak-sync.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := fsutil.Lock(ctx, f); err != nil {
		f.Close()
		return nil, ErrBusy
	}
	return func() { fsutil.Unlock(f); f.Close() }, nil
}
