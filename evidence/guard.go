package evidence

// This file: what a take may never reach: the firebreak home, the stores, and
// anything inside them, by path and by directory identity.

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// guard lists the store's own directory and every protected one, each as
// it is reached by its path and resolved (links followed).
func (s *Store) guard() (store, all []string, err error) {
	forms := func(d string) ([]string, error) {
		a, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		if r, err := fsutil.Resolve(a); err == nil && r != a {
			return []string{a, r}, nil
		}
		return []string{a}, nil
	}
	if store, err = forms(s.Dir); err != nil {
		return nil, nil, err
	}
	all = append(all, store...)
	for _, d := range s.Protect {
		if d == "" {
			continue
		}
		f, err := forms(d)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, f...)
	}
	return store, all, nil
}

// realPath resolves the links in the directories of p, as the kernel does
// (".." after a link included), but not p itself: a symlink is taken as a
// link.
func realPath(p string) (string, error) { return fsutil.ResolveParent(p) }

// guardIDs lists the device and inode of every directory under the
// protected ones: a path that reaches one of them by any route — a bind
// mount, a link swapped in after the check — is still refused.
func (s *Store) guardIDs(guard []string) map[devIno]bool {
	ids := map[devIno]bool{}
	for _, g := range guard {
		_ = filepath.WalkDir(g, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if fi, err := d.Info(); err == nil {
				if id, ok := statID(fi); ok {
					ids[devIno{id.dev, id.ino}] = true
				}
			}
			return nil
		})
	}
	return ids
}

// isStore reports whether dir is a firebreak store: it holds a manifest of
// firebreak's schema.
func isStore(dir string) bool {
	f, err := fsutil.OpenRegular(filepath.Join(dir, ManifestFile)) // a pipe named so must not block
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(ManifestSchema))
}

// storeAbove returns the store that dir is in (dir or a directory above
// it), or "".
func storeAbove(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if isStore(d) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// protectedDir reports whether the directory at path is one of ids.
func protectedDir(path string, ids map[devIno]bool) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	id, ok := statID(fi)
	return ok && ids[devIno{id.dev, id.ino}]
}

func protectedBy(real string, isDir bool, guard []string) error {
	for _, g := range guard {
		if fsutil.Within(real, g) {
			return ErrProtected
		}
	}
	for _, g := range guard {
		if isDir && fsutil.Within(g, real) {
			return ErrContains
		}
	}
	return nil
}

// checkLink refuses a symlink that points into a protected directory.
func checkLink(p string, guard []string) error {
	// Where the link leads, as the kernel would follow it (a dangling
	// link too). A loop leads nowhere.
	r, err := fsutil.Resolve(p)
	if err != nil {
		return nil
	}
	for _, g := range guard {
		if fsutil.Within(r, g) {
			return &Error{Path: p, Err: ErrIntoStore}
		}
	}
	return nil
}
