package sync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// merge joins the remote's branch to this machine's as check planned it.
// When this machine's branch is behind and the remote holds nothing but
// growth, that is a fast-forward. Otherwise the merge starts from this
// machine's tree (-s ours) and takes from the remote exactly the files
// check accepted: a deletion, a file cut short, a path that is not the
// record never reach the home, and the merge commit — pushed — puts the
// record back on the remote.
func merge(ctx context.Context, r *gitrepo.Repo, pl *plan, at func() []string) error {
	if pl.behind && pl.clean() {
		if _, err := r.Run(ctx, "merge", "-q", "--ff-only", remoteRef); err == nil {
			return nil
		}
	}
	if !headExists(ctx, r) {
		// An unborn branch cannot merge -s ours: start it empty.
		if _, err := r.RunWith(ctx, at(), nil, "commit", "-q", "--allow-empty", "--no-verify", "--no-gpg-sign", "-m", "firebreak sync: start"); err != nil {
			return err
		}
	}
	undo := func(err error) error {
		_, _ = r.Run(ctx, "merge", "--abort")
		return fmt.Errorf("merge: %w (the merge was undone; nothing was pushed)", err)
	}
	if _, err := r.RunWith(ctx, at(), nil, "merge", "-q", "-s", "ours", "--no-ff", "--no-commit", "--allow-unrelated-histories", remoteRef); err != nil {
		return undo(err)
	}
	if len(pl.received) > 0 {
		if _, err := r.RunWith(ctx, nil, []byte(strings.Join(pl.received, "\x00")), "checkout", remoteRef, "--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
			return undo(err)
		}
	}
	msg := fmt.Sprintf("firebreak sync: merge origin/%s: %d file(s) taken in\n\n%s\n", Branch, len(pl.received), listPaths(pl.received, 20))
	if len(pl.restored) > 0 {
		msg += "\nrestored (the remote held them cut short or deleted):\n" + listPaths(pl.restored, 20) + "\n"
	}
	if len(pl.ignored) > 0 {
		msg += "\nleft out (on the remote, not the record):\n" + listPaths(pl.ignored, 20) + "\n"
	}
	if _, err := r.RunWith(ctx, at(), []byte(msg), "commit", "-q", "--no-verify", "--no-gpg-sign", "-F", "-"); err != nil {
		return undo(err)
	}
	return nil
}

// settle gives what a merge brought in the modes firebreak gives what it
// writes itself (git writes with the umask): folders 0700, the header and
// snapshot read-only, journals and messages 0600.
func settle(home string, received []string) error {
	if err := os.Chmod(filepath.Join(home, "incidents"), 0o700); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, p := range received {
		id := incidentOf(p)
		dir := filepath.Join(home, "incidents", id)
		if !done[id] {
			done[id] = true
			if err := os.Chmod(dir, 0o700); err != nil {
				return err
			}
			// git carries no empty folder: an incident that arrived gets
			// the folders every incident has here.
			for _, sub := range incident.Subdirs {
				if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
					return err
				}
				if err := os.Chmod(filepath.Join(dir, sub), 0o700); err != nil {
					return err
				}
			}
		}
		mode := os.FileMode(0o600)
		if k := Classify(p); k == Header || k == Snapshot {
			mode = 0o400
		}
		full := filepath.Join(home, filepath.FromSlash(p))
		if fi, err := os.Lstat(full); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a file after the merge", p)
		}
		if err := os.Chmod(full, mode); err != nil {
			return err
		}
	}
	return nil
}

// verifyAll checks every incident's journal in the home.
func verifyAll(ctx context.Context, o *Options, rep *Report) error {
	rep.Verified = rep.Verified[:0]
	ents, err := os.ReadDir(filepath.Join(o.Home, "incidents"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() || !idRe().MatchString(e.Name()) {
			continue
		}
		jdir := filepath.Join(o.Home, "incidents", e.Name(), "journal")
		if _, err := os.Lstat(jdir); err != nil {
			continue
		}
		v, err := verifyJournal(ctx, o, journal.New(jdir), e.Name(), nil)
		if err != nil {
			return err
		}
		rep.Verified = append(rep.Verified, v)
	}
	return nil
}
