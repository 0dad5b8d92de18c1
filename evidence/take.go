package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Options tunes Take.
type Options struct {
	Move      bool   // remove the original once the copy verified and was recorded
	Recursive bool   // take a directory's contents
	Actor     string // who, for the manifest
	Operation string // quarantine | add | isolate
	// Progress gets bytes copied so far for the current file.
	Progress func(path string, done, total int64)
	// Fingerprint, when set, is called with the verified copy's path to
	// record a key's fingerprint (key isolation).
	Fingerprint func(path string) (string, string)
	// Record, when set, records an entry (in the incident's journal, synced)
	// once its copy is verified and listed, and before its original is
	// touched. An error stops the take with the original in place.
	Record func(Entry) error
	// Incident is the id of the incident taking the files, kept with each
	// entry.
	Incident string

	guardIDs map[devIno]bool // set by Take
}

// fileID is what identifies a file's content in time: a file is "the very
// file that was copied" only while all of these stay the same.
type fileID struct {
	dev, ino           uint64
	mode               uint32
	size, mtime, ctime int64
	nlink              uint64
}

// devIno identifies a directory, whatever path reaches it (a link, a bind
// mount).
type devIno struct{ dev, ino uint64 }

func (id fileID) same(o fileID) bool { return id == o }

// Test hooks: called with the original's path right after the copy was read
// back, and right before the original is removed.
var testHookAfterReadBack, testHookBeforeRemove func(string)

// Take copies (and with Move, moves) each path into the store and returns
// the entries added. A directory needs Recursive; symlinks are taken as
// links, never followed. For each file, in this order: copy with its hash
// computed while copying, fsync, re-read and compare; check the original is
// still the very file read (device, inode, size, mtime, ctime); link the
// copy into place; list it in the manifest; Record it; and only then, if it
// is still the same file, remove the original relative to its directory
// handle. A kill at any moment leaves each file at its source, or recorded
// in the store, or both — never removed without a record. A file that
// changed while it was copied is kept at its source, its copy recorded
// marked changed-during-copy, and Take goes on with the others and returns
// an error naming it.
func (s *Store) Take(ctx context.Context, paths []string, o Options) ([]Entry, error) {
	items, ids, err := s.items(paths, o.Recursive)
	if err != nil {
		return nil, err
	}
	o.guardIDs = ids
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	m, err := s.ReadManifest()
	if err != nil {
		return nil, err
	}
	var out []Entry
	var changed []error
	removed := map[string]bool{}
	for _, it := range items {
		e, err := s.takeOne(ctx, it, o, m)
		if e != nil {
			out = append(out, *e)
			if e.SourceRemoved {
				removed[e.Name] = true
			}
		}
		if errors.Is(err, ErrChanged) && e != nil {
			changed = append(changed, &Error{Path: it.path, Err: err})
			continue
		}
		if err != nil {
			s.confirmRemoved(m, removed)
			return out, &Error{Path: it.path, Err: err}
		}
	}
	if err := s.confirmRemoved(m, removed); err != nil {
		return out, err
	}
	if o.Move {
		removeEmptyDirs(items)
	}
	return out, errors.Join(changed...)
}

// confirmRemoved marks in the manifest the originals that are gone (one
// rewrite for the whole take).
func (s *Store) confirmRemoved(m *Manifest, names map[string]bool) error {
	if len(names) == 0 {
		return nil
	}
	for i := range m.Files {
		if names[m.Files[i].Name] && m.Files[i].RemoveOriginal {
			m.Files[i].SourceRemoved = true
		}
	}
	return s.writeManifest(m)
}

type item struct {
	path string // as found
	real string // with the links of its directories resolved
	rel  string // name to give it in the store (safe, with /)
	root string // the directory given, for recursive takes
	fi   fs.FileInfo
	// dirs are the directories of a recursive take as they were walked,
	// by the path items use: only those very directories are removed
	// when emptied.
	dirs map[string]devIno
}

// items checks every given path and lists what taking them means, each file
// once, with the identities of the protected directories. Nothing is
// changed.
func (s *Store) items(paths []string, recursive bool) ([]item, map[devIno]bool, error) {
	if fi, err := os.Stat(s.Dir); err == nil && !fi.IsDir() {
		return nil, nil, &Error{Path: s.Dir, Err: fmt.Errorf("is a %s, not a directory: a store is a directory (created when missing)", fsutil.TypeName(fi.Mode()))}
	}
	store, guard, err := s.guard()
	if err != nil {
		return nil, nil, err
	}
	ids := s.guardIDs(guard)
	var items []item
	seen := map[string]bool{}
	for _, p := range paths {
		found, err := s.expand(p, store, guard, ids, recursive)
		if err != nil {
			return nil, nil, err
		}
		for _, it := range found {
			// The same file named twice (or inside a directory also named)
			// is taken once.
			if seen[it.real] {
				continue
			}
			seen[it.real] = true
			items = append(items, it)
		}
	}
	return items, ids, nil
}

// expand checks one given path and lists what taking it means.
func (s *Store) expand(p string, store, guard []string, ids map[devIno]bool, recursive bool) ([]item, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, &Error{Path: p, Err: err}
	}
	real, err := realPath(p)
	if err != nil {
		return nil, &Error{Path: p, Err: err}
	}
	// A path into the home or a store is refused whatever it is; a
	// directory (or a link to one) that contains them too.
	isDir := fi.IsDir()
	if fi.Mode()&fs.ModeSymlink != 0 {
		if t, err := os.Stat(p); err == nil && t.IsDir() {
			isDir = true
		}
	}
	for _, d := range store {
		if fsutil.Within(real, d) {
			return nil, &Error{Path: p, Err: ErrInStore}
		}
	}
	if err := protectedBy(real, isDir, guard); err != nil {
		return nil, &Error{Path: p, Err: err}
	}
	if protectedDir(filepath.Dir(real), ids) || fi.IsDir() && protectedDir(real, ids) {
		return nil, &Error{Path: p, Err: ErrProtected}
	}
	// Another store — another incident's offline key store, say — is
	// evidence too: nothing is taken from inside one.
	if d := storeAbove(filepath.Dir(real)); d != "" {
		return nil, &Error{Path: p, Err: fmt.Errorf("%w (%s)", ErrInStore, d)}
	}
	switch {
	case fi.Mode().IsRegular():
		return []item{{path: p, real: real, rel: SafeName(filepath.Base(real)), fi: fi}}, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		if err := checkLink(p, guard); err != nil {
			return nil, err
		}
		return []item{{path: p, real: real, rel: SafeName(filepath.Base(real)), fi: fi}}, nil
	case fi.IsDir():
		if !recursive {
			return nil, &Error{Path: p, Err: ErrDirectory}
		}
	default:
		return nil, &Error{Path: p, Err: fmt.Errorf("%w (it is a %s)", ErrSpecial, fsutil.TypeName(fi.Mode()))}
	}
	var out []item
	base := SafeName(filepath.Base(real))
	dirs := map[string]devIno{}
	err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if info, err := d.Info(); err == nil {
				if id, ok := statID(info); ok {
					rel, _ := filepath.Rel(real, path)
					dirs[filepath.Clean(filepath.Join(p, rel))] = devIno{id.dev, id.ino}
				}
			}
			if protectedDir(path, ids) {
				return &Error{Path: filepath.Join(p, strings.TrimPrefix(path, real)), Err: ErrProtected}
			}
			if isStore(path) {
				return &Error{Path: filepath.Join(p, strings.TrimPrefix(path, real)), Err: ErrInStore}
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(real, path)
		shown := filepath.Join(p, rel)
		switch {
		case info.Mode().IsRegular():
		case info.Mode()&fs.ModeSymlink != 0:
			if err := checkLink(path, guard); err != nil {
				return &Error{Path: shown, Err: errors.Unwrap(err)}
			}
		default:
			return &Error{Path: shown, Err: fmt.Errorf("%w (it is a %s)", ErrSpecial, fsutil.TypeName(info.Mode()))}
		}
		out = append(out, item{path: shown, real: path, rel: base + "/" + SafeName(filepath.ToSlash(rel)), root: p, fi: info, dirs: dirs})
		return nil
	})
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, &Error{Path: p, Err: err}
	}
	return out, nil
}

// takeOne takes one item; m is the manifest, read once per take under the
// store's lock, to which the entry is added. In order: the original is
// opened through its directory handle and checked; it is copied (hashed on
// the way) and read back; the copy is linked into the store and recorded;
// only then, if it is still the very file copied, the original goes.
func (s *Store) takeOne(ctx context.Context, it item, o Options, m *Manifest) (*Entry, error) {
	dir, id0, err := openChecked(it, o)
	if err != nil {
		return nil, err
	}
	defer dir.close()
	base := filepath.Base(it.real)
	orig := originalOf(it.path, it.fi)
	orig.Path, orig.PathBytes = ShowPath(absOr(it.path))
	if r, _ := ShowPath(it.real); r != orig.Path {
		orig.Real = r
	}
	name, err := s.uniqueName(it.rel, nil)
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(s.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return nil, err
	}
	e := &Entry{Name: name, Original: orig, Added: s.now(), AddedBy: o.Actor, Operation: o.Operation, Incident: o.Incident}
	tmp := incomingName(dest)
	idAfter, err := s.copyOut(ctx, dir, base, id0, tmp, e, o)
	if err != nil {
		return nil, err
	}
	changed := !idAfter.same(id0)
	if err := s.keep(e, tmp, dest, changed, o, m); err != nil {
		return nil, err
	}
	if changed {
		return e, ErrChanged
	}
	if o.Move {
		removeOriginal(dir, base, id0, e)
	}
	return e, nil
}

// openChecked opens the item's directory and checks the item: never under
// a protected directory, still what was listed, and (to be moved) without
// other hard links.
func openChecked(it item, o Options) (*dirHandle, fileID, error) {
	dir, err := openDir(filepath.Dir(it.real))
	if err != nil {
		return nil, fileID{}, err
	}
	fail := func(err error) (*dirHandle, fileID, error) {
		dir.close()
		return nil, fileID{}, err
	}
	// The directory handle is what removal will go through: it must not be
	// (or be under) a protected directory, whatever route reached it — a
	// directory swapped for a link after the check, a bind mount.
	anc, err := dir.ancestors(256)
	if err != nil {
		return fail(fmt.Errorf("cannot check where %s is: %w", filepath.Dir(it.path), err))
	}
	for _, a := range anc {
		if o.guardIDs[a] {
			return fail(ErrProtected)
		}
	}
	id0, err := dir.stat(filepath.Base(it.real))
	if err != nil {
		return fail(err)
	}
	if !sameAsListed(id0, it) {
		return fail(errors.New("changed after it was listed (replaced, or its directory moved); nothing was taken"))
	}
	if o.Move && id0.nlink > 1 {
		return fail(fmt.Errorf("%w (it has %d)", ErrHardLinks, id0.nlink))
	}
	return dir, id0, nil
}

// copyOut copies the original to tmp — a symlink as a link, a file hashed
// while copied and read back — fills the entry's type, hash and size, and
// returns the original's identity after the copy (zero when it cannot be
// had: the original then counts as changed).
func (s *Store) copyOut(ctx context.Context, dir *dirHandle, base string, id0 fileID, tmp string, e *Entry, o Options) (fileID, error) {
	if !id0.symlink() {
		sum, size, after, err := s.copyVerified(ctx, dir, base, id0, tmp, o)
		if err != nil {
			return fileID{}, err
		}
		e.Type, e.SHA256, e.Size, e.ReadBack = TypeFile, sum, size, sum // copyVerified read it back, equal
		return after, nil
	}
	target, err := dir.readlink(base)
	if err != nil {
		return fileID{}, err
	}
	if err := os.Symlink(target, tmp); err != nil {
		return fileID{}, err
	}
	if got, err := os.Readlink(tmp); err != nil || got != target {
		os.Remove(tmp)
		return fileID{}, ErrCopyDiffers
	}
	sum := sha256.Sum256([]byte(target))
	e.Type, e.SHA256, e.Size = TypeSymlink, hex.EncodeToString(sum[:]), int64(len(target))
	e.LinkTarget, e.LinkTargetBytes = ShowPath(target)
	e.Note = "symlink taken as a link; its target was not followed"
	after, err := dir.stat(base)
	if err != nil {
		return fileID{}, nil
	}
	if again, err := dir.readlink(base); err != nil || again != target {
		return fileID{}, nil
	}
	return after, nil
}

// keep links the copy into the store under its name, syncs, and records it
// (manifest, hashes.txt, the journal through o.Record) before anything
// else happens to the original.
func (s *Store) keep(e *Entry, tmp, dest string, changed bool, o Options, m *Manifest) error {
	// Link, not rename: link fails if the name was taken meanwhile. The
	// .incoming- name stays until the entry is recorded: a kill before that
	// leaves a pair evidence clean recognises.
	if err := os.Link(tmp, dest); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := fsutil.SyncDir(filepath.Dir(dest)); err != nil {
		return err
	}
	if o.Fingerprint != nil && e.Type == TypeFile {
		e.Fingerprint, e.Note = o.Fingerprint(dest)
	}
	e.ChangedDuringCopy = changed
	e.RemoveOriginal = o.Move && !changed
	if changed {
		e.Note = strings.TrimPrefix(e.Note+"; ", "; ") + "the original changed while it was copied (or was replaced): this copy is what was read, and the original was kept"
	}
	m.Files = append(m.Files, *e)
	if err := s.writeManifest(m); err != nil {
		return err
	}
	if err := s.appendHash(*e); err != nil {
		return err
	}
	if o.Record != nil {
		rec := *e
		rec.Store = s.Dir
		if err := o.Record(rec); err != nil {
			return fmt.Errorf("the copy %s could not be recorded, so the original was kept: %w", e.Name, err)
		}
	}
	// The twin's removal needs no sync: a twin a crash brings back is a
	// leftover clean removes.
	os.Remove(tmp)
	return nil
}

// removeOriginal removes the original only if it is still the very file
// copied; the entry says what happened.
func removeOriginal(dir *dirHandle, base string, id0 fileID, e *Entry) {
	if testHookBeforeRemove != nil {
		testHookBeforeRemove(filepath.Join(dir.pathOf(), base))
	}
	if now, err := dir.stat(base); err != nil || !now.same(id0) {
		e.RemoveError = "the original changed after it was copied (or was replaced); it was kept"
		if err != nil {
			e.RemoveError = "the original could not be checked before removal: " + err.Error()
		}
		return
	}
	if err := dir.remove(base); err != nil {
		e.RemoveError = err.Error()
		return
	}
	e.SourceRemoved = true
	_ = dir.sync() // a failed sync only risks the removal, never the copy
}

func sameAsListed(id fileID, it item) bool {
	if it.fi == nil {
		return true
	}
	switch {
	case it.fi.Mode().IsRegular():
		if !id.regular() {
			return false
		}
	case it.fi.Mode()&fs.ModeSymlink != 0:
		if !id.symlink() {
			return false
		}
	default:
		return false
	}
	if listed, ok := statID(it.fi); ok {
		return listed.dev == id.dev && listed.ino == id.ino
	}
	return true
}

// copyVerified copies base (in dir) to tmp: hash while copying, fsync,
// re-read and compare, set the store's mode. It returns the hash, the size
// and the original's identity after the read-back, for the caller to
// compare with the one before the copy.
func (s *Store) copyVerified(ctx context.Context, dir *dirHandle, base string, id0 fileID, tmp string, o Options) (string, int64, fileID, error) {
	in, err := dir.open(base)
	if err != nil {
		return "", 0, fileID{}, err
	}
	defer in.Close()
	idIn, err := idOf(in)
	if err != nil {
		return "", 0, fileID{}, err
	}
	if !idIn.regular() || !idIn.same(id0) {
		return "", 0, fileID{}, errors.New("changed between listing and opening (replaced by another file?); nothing was taken")
	}
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, fileID{}, err
	}
	cleanup := func() { out.Close(); os.Remove(tmp) }
	h := sha256.New()
	var prog func(int64)
	if o.Progress != nil {
		total := id0.size
		src := absOr(filepath.Join(dir.pathOf(), base))
		prog = func(n int64) { o.Progress(src, n, total) }
	}
	n, err := hashCopy(ctx, h, newWriteBehind(out), in, prog)
	if err != nil {
		cleanup()
		return "", 0, fileID{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	// The sync and the read-back run together: the sync waits on the disk
	// while the read-back hashes what the kernel holds of the copy. Both
	// must succeed before anything else happens; neither depends on the
	// other's result.
	synced := make(chan error, 1)
	go func() { synced <- out.Sync() }()
	back, _, err := HashFile(ctx, tmp)
	if serr := <-synced; serr != nil {
		cleanup()
		return "", 0, fileID{}, serr
	}
	if cerr := out.Close(); cerr != nil {
		os.Remove(tmp)
		return "", 0, fileID{}, cerr
	}
	if testHookAfterReadBack != nil {
		testHookAfterReadBack(filepath.Join(dir.pathOf(), base))
	}
	if err != nil || back != sum {
		os.Remove(tmp)
		return "", 0, fileID{}, ErrCopyDiffers
	}
	if err := os.Chmod(tmp, s.Mode); err != nil {
		os.Remove(tmp)
		return "", 0, fileID{}, err
	}
	_ = os.Chtimes(tmp, time.Now(), time.Unix(0, id0.mtime))
	// After the read-back: the original, open and by name, must still be
	// the file read, whole.
	after, err := idOf(in)
	if err != nil || n != id0.size || !after.same(id0) {
		return sum, n, fileID{}, nil
	}
	byName, err := dir.stat(base)
	if err != nil {
		return sum, n, fileID{}, nil
	}
	return sum, n, byName, nil
}

// removeEmptyDirs removes the directories a recursive move emptied, deepest
// first, leaving any that still hold something.
func removeEmptyDirs(items []item) {
	dirs := map[string]devIno{}
	for _, it := range items {
		if it.root == "" {
			continue
		}
		root := filepath.Clean(it.root)
		for d := filepath.Dir(it.path); fsutil.Within(d, root); d = filepath.Dir(d) {
			if id, ok := it.dirs[filepath.Clean(d)]; ok {
				dirs[d] = id
			}
			if d == root {
				break
			}
		}
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	for _, d := range list {
		// Only the very directory walked: a path swapped for a link (into
		// the record, say) since then is left alone.
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() {
			continue
		}
		if id, ok := statID(fi); !ok || (devIno{id.dev, id.ino}) != dirs[d] {
			continue
		}
		if os.Remove(d) == nil {
			_ = fsutil.SyncDir(filepath.Dir(d))
		}
	}
}

// Planned is one thing Take would do, as Preview sees it.
type Planned struct {
	Path string `json:"path"`
	Name string `json:"name"` // the name it would get in the store
	Type string `json:"type"`
	Size int64  `json:"size"`
	// Links is the number of hard links to the file: a move refuses more
	// than one (removing one name would leave the file in place).
	Links int `json:"links"`
}

// Preview checks paths as Take would and lists what it would take and the
// names it would get, changing nothing.
func (s *Store) Preview(paths []string, recursive bool) ([]Planned, error) {
	items, _, err := s.items(paths, recursive)
	if err != nil {
		return nil, err
	}
	var out []Planned
	taken := map[string]bool{}
	for _, it := range items {
		name, err := s.uniqueName(it.rel, taken)
		if err != nil {
			return nil, err
		}
		taken[name] = true
		typ := TypeFile
		if it.fi.Mode()&fs.ModeSymlink != 0 {
			typ = TypeSymlink
		}
		shown, _ := ShowPath(it.path)
		links := 1
		if id, ok := statID(it.fi); ok && id.nlink > 1 {
			links = int(id.nlink)
		}
		out = append(out, Planned{Path: shown, Name: name, Type: typ, Size: it.fi.Size(), Links: links})
	}
	return out, nil
}
