package evidence

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Files of an evidence directory besides the evidence itself.
const (
	ManifestFile = "manifest.json"
	HashesFile   = "hashes.txt"
	lockFile     = ".lock"
	incomingPfx  = ".incoming-"
)

// ManifestSchema names the manifest format.
const ManifestSchema = "firebreak.evidence/v1"

// Kinds of entry.
const (
	TypeFile    = "file"
	TypeSymlink = "symlink"
)

// Entry is one item of evidence.
type Entry struct {
	Name       string    `json:"name"` // relative to the evidence directory, with /
	Type       string    `json:"type"`
	SHA256     string    `json:"sha256"` // of the content; of the link target text for a symlink
	Size       int64     `json:"size"`
	LinkTarget string    `json:"link_target,omitempty"`
	Original   Original  `json:"original"`
	Added      time.Time `json:"added"`
	AddedBy    string    `json:"added_by"`
	Operation  string    `json:"operation"` // quarantine | add | isolate
	// SourceRemoved says whether the original was removed (a quarantine
	// or isolation whose copy verified); RemoveError why not.
	SourceRemoved bool   `json:"source_removed"`
	RemoveError   string `json:"remove_error,omitempty"`
	Fingerprint   string `json:"fingerprint,omitempty"` // isolated keys: SPKI SHA-256 of the public key
	Note          string `json:"note,omitempty"`
}

// Original is what the file was where it was found.
type Original struct {
	Path  string    `json:"path"`
	Size  int64     `json:"size"`
	Mode  string    `json:"mode"` // as ls shows it, e.g. -rw-------
	Perm  string    `json:"perm"` // octal, e.g. 0600
	MTime time.Time `json:"mtime"`
	UID   int       `json:"uid"`
	GID   int       `json:"gid"`
	Owner string    `json:"owner,omitempty"`
	Group string    `json:"group,omitempty"`
}

// Manifest is manifest.json.
type Manifest struct {
	Schema string  `json:"schema"`
	Files  []Entry `json:"files"`
}

// Store is one evidence directory (incidents/<id>/evidence, or keys/).
type Store struct {
	Dir string
	// Mode is the mode of stored files: 0400 for evidence, 0000 for
	// isolated keys.
	Mode fs.FileMode
	// Hashes says whether hashes.txt is kept (sha256sum -c needs to read
	// the files, so not for 0000 keys).
	Hashes bool
	Now    func() time.Time
}

// NewEvidenceStore returns the store of an incident's evidence directory.
func NewEvidenceStore(dir string) *Store { return &Store{Dir: dir, Mode: 0o400, Hashes: true} }

// NewKeyStore returns a store for isolated keys: files mode 0000.
func NewKeyStore(dir string) *Store { return &Store{Dir: dir, Mode: 0o000} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Error is a refusal or failure about one path.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Refusals.
var (
	ErrDirectory   = errors.New("is a directory (use --recursive to take its contents)")
	ErrSpecial     = errors.New("is not a regular file or symlink")
	ErrInStore     = errors.New("is already inside the evidence directory")
	ErrIntoStore   = errors.New("is a symlink pointing into the evidence directory")
	ErrChanged     = errors.New("changed while it was being copied; nothing was removed, try again")
	ErrCopyDiffers = errors.New("the copy does not read back as what was read from the original; the original was kept")
)

// lock takes the store's lock (for naming and the manifest).
func (s *Store) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := fsutil.Lock(ctx, f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { fsutil.Unlock(f); f.Close() }, nil
}

// ReadManifest reads the manifest; a missing one is empty.
func (s *Store) ReadManifest() (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Schema: ManifestSchema, Files: []Entry{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: malformed: %v", filepath.Join(s.Dir, ManifestFile), err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("%s: schema %q is not %s", filepath.Join(s.Dir, ManifestFile), m.Schema, ManifestSchema)
	}
	return &m, nil
}

func (s *Store) writeManifest(m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.Dir, ManifestFile), append(b, '\n'), 0o600)
}

func (s *Store) appendHash(e Entry) error {
	if !s.Hashes || e.Type != TypeFile {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, HashesFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(SumLine(e.SHA256, e.Name)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Options tunes Take.
type Options struct {
	Move      bool   // remove the original once the copy verified
	Recursive bool   // take a directory's contents
	Actor     string // who, for the manifest
	Operation string // quarantine | add | isolate
	// Progress gets bytes copied so far for the current file.
	Progress func(path string, done, total int64)
	// Fingerprint, when set, is called with the verified copy's path to
	// record a key's fingerprint (key isolation).
	Fingerprint func(path string) (string, string)
}

// Take copies (and with Move, moves) each path into the store and returns
// the entries added. A directory needs Recursive; symlinks are taken as
// links, never followed. Each file is copied with its hash computed while
// copying, synced with its directory, re-read and compared before its
// original is removed: a crash at any moment leaves it at its source or
// verified in the store.
func (s *Store) Take(ctx context.Context, paths []string, o Options) ([]Entry, error) {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return nil, err
	}
	var items []item
	seen := map[string]bool{}
	for _, p := range paths {
		found, err := s.expand(p, abs, o.Recursive)
		if err != nil {
			return nil, err
		}
		for _, it := range found {
			// The same file named twice (or inside a directory also named)
			// is taken once.
			if ap, err := filepath.Abs(it.path); err == nil {
				if seen[ap] {
					continue
				}
				seen[ap] = true
			}
			items = append(items, it)
		}
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []Entry
	for _, it := range items {
		e, err := s.takeOne(ctx, it, o)
		if err != nil {
			return out, &Error{Path: it.path, Err: err}
		}
		out = append(out, *e)
	}
	if o.Move {
		removeEmptyDirs(items)
	}
	return out, nil
}

type item struct {
	path string // as found
	rel  string // name to give it in the store
	root string // the directory given, for recursive takes
}

// expand checks one given path and lists what taking it means. Nothing is
// changed.
func (s *Store) expand(p, storeAbs string, recursive bool) ([]item, error) {
	ap, err := filepath.Abs(p)
	if err != nil {
		return nil, &Error{Path: p, Err: err}
	}
	if within(ap, storeAbs) {
		return nil, &Error{Path: p, Err: ErrInStore}
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, &Error{Path: p, Err: err}
	}
	switch {
	case fi.Mode().IsRegular():
		return []item{{path: p, rel: filepath.Base(p)}}, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		if err := checkLink(p, storeAbs); err != nil {
			return nil, err
		}
		return []item{{path: p, rel: filepath.Base(p)}}, nil
	case fi.IsDir():
		if !recursive {
			return nil, &Error{Path: p, Err: ErrDirectory}
		}
	default:
		return nil, &Error{Path: p, Err: fmt.Errorf("%w (it is a %s)", ErrSpecial, typeWord(fi.Mode()))}
	}
	var out []item
	base := filepath.Base(filepath.Clean(p))
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, path)
		switch {
		case info.Mode().IsRegular():
		case info.Mode()&fs.ModeSymlink != 0:
			if err := checkLink(path, storeAbs); err != nil {
				return err
			}
		default:
			return &Error{Path: path, Err: fmt.Errorf("%w (it is a %s)", ErrSpecial, typeWord(info.Mode()))}
		}
		out = append(out, item{path: path, rel: filepath.ToSlash(filepath.Join(base, rel)), root: p})
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

func checkLink(p, storeAbs string) error {
	target, err := os.Readlink(p)
	if err != nil {
		return &Error{Path: p, Err: err}
	}
	t := target
	if !filepath.IsAbs(t) {
		t = filepath.Join(filepath.Dir(p), t)
	}
	if at, err := filepath.Abs(t); err == nil && within(at, storeAbs) {
		return &Error{Path: p, Err: ErrIntoStore}
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		if ra, err := filepath.Abs(real); err == nil {
			if rs, err := filepath.EvalSymlinks(storeAbs); err == nil && within(ra, rs) {
				return &Error{Path: p, Err: ErrIntoStore}
			}
		}
	}
	return nil
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

func typeWord(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return m.Type().String()
}

// uniqueName returns a name in the store not yet taken — name, name-2.ext …
// — avoiding also the names in taken (a preview's earlier picks).
func (s *Store) uniqueName(rel string, taken map[string]bool) (string, error) {
	dir, file := filepath.Split(filepath.FromSlash(rel))
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	if stem == "" {
		stem, ext = file, ""
	}
	for i := 1; i < 100000; i++ {
		cand := file
		if i > 1 {
			cand = stem + "-" + strconv.Itoa(i) + ext
		}
		full := filepath.Join(s.Dir, dir, cand)
		name := filepath.ToSlash(filepath.Join(dir, cand))
		if _, err := os.Lstat(full); errors.Is(err, fs.ErrNotExist) && !taken[name] {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free name for %s", rel)
}

func (s *Store) takeOne(ctx context.Context, it item, o Options) (*Entry, error) {
	fi, err := os.Lstat(it.path)
	if err != nil {
		return nil, err
	}
	orig := originalOf(it.path, fi)
	name, err := s.uniqueName(it.rel, nil)
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(s.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return nil, err
	}
	e := &Entry{Name: name, Original: orig, Added: s.now(), AddedBy: o.Actor, Operation: o.Operation}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(it.path)
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(target, dest); err != nil {
			return nil, err
		}
		if err := fsutil.SyncDir(filepath.Dir(dest)); err != nil {
			return nil, err
		}
		if got, err := os.Readlink(dest); err != nil || got != target {
			os.Remove(dest)
			return nil, ErrCopyDiffers
		}
		sum := sha256.Sum256([]byte(target))
		e.Type, e.LinkTarget, e.SHA256, e.Size = TypeSymlink, target, hex.EncodeToString(sum[:]), int64(len(target))
		e.Note = "symlink taken as a link; its target was not followed"
	} else {
		sum, size, err := s.copyVerified(ctx, it.path, dest, fi, o)
		if err != nil {
			return nil, err
		}
		e.Type, e.SHA256, e.Size = TypeFile, sum, size
		if o.Fingerprint != nil {
			e.Fingerprint, e.Note = o.Fingerprint(dest)
		}
	}
	// Record before removing the original: from here on the copy is the
	// evidence.
	m, err := s.ReadManifest()
	if err != nil {
		return nil, err
	}
	if o.Move {
		e.SourceRemoved = true
	}
	m.Files = append(m.Files, *e)
	if err := s.writeManifest(m); err != nil {
		return nil, err
	}
	if err := s.appendHash(*e); err != nil {
		return nil, err
	}
	if !o.Move {
		return e, nil
	}
	if err := os.Remove(it.path); err != nil {
		e.SourceRemoved, e.RemoveError = false, err.Error()
		m.Files[len(m.Files)-1] = *e
		if werr := s.writeManifest(m); werr != nil {
			return nil, werr
		}
		return e, nil
	}
	if err := fsutil.SyncDir(filepath.Dir(it.path)); err != nil {
		return e, nil // removed; a failed directory sync only risks the removal, never the copy
	}
	return e, nil
}

// copyVerified copies src to dest through a temporary file: hash while
// copying, fsync, re-read and compare, check the source did not change, set
// the store's mode, link into place (never overwriting), fsync the
// directory.
func (s *Store) copyVerified(ctx context.Context, src, dest string, fi fs.FileInfo, o Options) (string, int64, error) {
	in, err := openNoFollow(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	ifi, err := in.Stat()
	if err != nil {
		return "", 0, err
	}
	if !ifi.Mode().IsRegular() || !os.SameFile(fi, ifi) {
		return "", 0, ErrChanged
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(dest), incomingPfx+hex.EncodeToString(rnd[:])+"-"+filepath.Base(dest))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	cleanup := func() { out.Close(); os.Remove(tmp) }
	h := sha256.New()
	var prog func(int64)
	if o.Progress != nil {
		total := ifi.Size()
		prog = func(n int64) { o.Progress(src, n, total) }
	}
	n, err := hashCopy(ctx, h, out, in, prog)
	if err != nil {
		cleanup()
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := out.Sync(); err != nil {
		cleanup()
		return "", 0, err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	// The original must not have changed under us.
	after, err := in.Stat()
	if err != nil || after.Size() != n || !after.ModTime().Equal(ifi.ModTime()) {
		os.Remove(tmp)
		return "", 0, ErrChanged
	}
	back, _, err := HashFile(ctx, tmp)
	if err != nil || back != sum {
		os.Remove(tmp)
		return "", 0, ErrCopyDiffers
	}
	if err := os.Chmod(tmp, s.Mode); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	_ = os.Chtimes(tmp, time.Now(), ifi.ModTime())
	// Link, not rename: link fails if the name was taken meanwhile.
	if err := os.Link(tmp, dest); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	os.Remove(tmp)
	if err := fsutil.SyncDir(filepath.Dir(dest)); err != nil {
		return "", 0, err
	}
	return sum, n, nil
}

// removeEmptyDirs removes the directories a recursive move emptied, deepest
// first, leaving any that still hold something.
func removeEmptyDirs(items []item) {
	dirs := map[string]bool{}
	for _, it := range items {
		if it.root == "" {
			continue
		}
		root := filepath.Clean(it.root)
		for d := filepath.Dir(it.path); within(d, root); d = filepath.Dir(d) {
			dirs[d] = true
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
}

// Preview checks paths as Take would and lists what it would take and the
// names it would get, changing nothing.
func (s *Store) Preview(paths []string, recursive bool) ([]Planned, error) {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return nil, err
	}
	var out []Planned
	taken := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range paths {
		items, err := s.expand(p, abs, recursive)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if ap, err := filepath.Abs(it.path); err == nil {
				if seen[ap] {
					continue
				}
				seen[ap] = true
			}
			fi, err := os.Lstat(it.path)
			if err != nil {
				return nil, &Error{Path: it.path, Err: err}
			}
			name, err := s.uniqueName(it.rel, taken)
			if err != nil {
				return nil, err
			}
			taken[name] = true
			typ := TypeFile
			if fi.Mode()&fs.ModeSymlink != 0 {
				typ = TypeSymlink
			}
			out = append(out, Planned{Path: it.path, Name: name, Type: typ, Size: fi.Size()})
		}
	}
	return out, nil
}
