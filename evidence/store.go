package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	// RemoveOriginal says the original is to be removed once it is checked
	// to be the very file copied (a move); it is set when the entry is
	// recorded, before the removal, which SourceRemoved then confirms.
	RemoveOriginal bool `json:"remove_original,omitempty"`
	// ChangedDuringCopy marks a copy whose original changed (or was
	// replaced) while it was copied: the copy is what was read, and the
	// original was kept.
	ChangedDuringCopy bool `json:"changed_during_copy,omitempty"`
	// LinkTargetBytes holds a symlink target that is not UTF-8 exactly;
	// LinkTarget then shows it with the odd bytes escaped.
	LinkTargetBytes []byte `json:"link_target_bytes,omitempty"`
	// Store is the store's directory, in journal records (not in the
	// manifest, which sits in that directory).
	Store string `json:"store,omitempty"`
	// Incident is the incident that took it: an offline store can be
	// shared, and only an incident's own unrecorded copies are its to
	// clean.
	Incident string `json:"incident,omitempty"`
	// ReadBack is the SHA-256 this process read back from the stored copy
	// after it was synced, before anything happened to the original (a
	// file; empty for a link, and in records read from disk). The action's
	// verification reports it rather than reading the file a third time.
	ReadBack string `json:"-"`
}

// Original is what the file was where it was found.
type Original struct {
	Path string `json:"path"` // UTF-8; odd bytes escaped as %XX, with PathBytes set
	// PathBytes is the path exactly, when it is not UTF-8.
	PathBytes []byte `json:"path_bytes,omitempty"`
	// Real is where the file really was, links in its directories
	// resolved, when that differs from Path.
	Real  string    `json:"real,omitempty"`
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
	// Owner is the incident verifying the store: entries another incident
	// took (a shared offline store) are that incident's to verify.
	Owner string
	// Protect lists directories nothing may be taken from and no taken
	// directory may contain: the firebreak home (every incident's header,
	// journal, snapshot and evidence) and the key stores. The store's own
	// directory is always protected.
	Protect []string
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
	ErrIntoStore   = errors.New("is a symlink pointing into the evidence directory or firebreak's own record")
	ErrChanged     = errors.New("changed while it was being copied: the copy is kept in the evidence marked changed-during-copy, and the original was not removed")
	ErrHardLinks   = errors.New("has more than one hard link: removing this name would leave the file in place under its other names, which may be firebreak's own record; a move refuses it (copy it with evidence add)")
	ErrProtected   = errors.New("is firebreak's own record (the home, an incident, a journal, a store): it cannot be taken")
	ErrContains    = errors.New("contains firebreak's own record (the home, an incident or a store): it cannot be taken")
	ErrCopyDiffers = errors.New("the copy does not read back as what was read from the original; the original was kept")
)

// checkDir refuses a store directory that is a link (an evidence/ or keys/
// swapped for a link into the journal, say).
func (s *Store) checkDir() error {
	if fi, err := os.Lstat(s.Dir); err == nil && !fi.IsDir() {
		return &Error{Path: s.Dir, Err: fmt.Errorf("is a %s, not a directory: a store is a real directory (firebreak does not write through links)", fsutil.TypeName(fi.Mode()))}
	}
	return nil
}

// lock takes the store's lock (for naming and the manifest).
func (s *Store) lock(ctx context.Context) (func(), error) {
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	// The store's own files are checked before anything is copied, so a
	// planted link fails the take up front, not half way.
	for _, name := range []string{ManifestFile, HashesFile} {
		p := filepath.Join(s.Dir, name)
		if fi, err := os.Lstat(p); err == nil && (!fi.Mode().IsRegular() || fsutil.Links(fi) > 1) {
			return nil, fmt.Errorf("%s is not a file of its own (a %s with %d name(s)); firebreak does not write through it", p, fsutil.TypeName(fi.Mode()), fsutil.Links(fi))
		}
	}
	f, err := fsutil.OpenOwn(filepath.Join(s.Dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
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
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Dir, ManifestFile)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Schema: ManifestSchema, Files: []Entry{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not the store's manifest", path, fsutil.TypeName(fi.Mode()))
	}
	b, err := fsutil.ReadRegular(path, 1<<30)
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
	f, err := fsutil.OpenOwn(filepath.Join(s.Dir, HashesFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
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
