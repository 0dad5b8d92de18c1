package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Problem kinds found by Verify.
const (
	ProblemMissing    = "missing"
	ProblemMismatch   = "hash mismatch"
	ProblemSize       = "size mismatch"
	ProblemType       = "wrong type"
	ProblemLink       = "link target changed"
	ProblemUnlisted   = "not in the manifest"
	ProblemIncomplete = "incomplete copy"
	ProblemUnreadable = "unreadable"
	ProblemManifest   = "manifest disagrees"
	ProblemUnrecorded = "not recorded"
)

// Problem is one thing wrong with the evidence.
type Problem struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Checked  int       `json:"checked"`
	Bytes    int64     `json:"bytes"`
	Problems []Problem `json:"problems"`
	// Leftovers are what an interrupted take left behind (.incoming-
	// copies, a copy linked but never recorded): not evidence, and not a
	// failure of the evidence; firebreak evidence clean removes them.
	Leftovers []Problem `json:"leftovers"`
	// Reference says what the files were checked against: "journal" (the
	// incident's evidence.added records) or "manifest".
	Reference string `json:"reference"`
}

// OK reports whether everything matched and nothing is left over: a
// leftover is not evidence, and a file planted to look like one must not
// pass.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 && len(r.Leftovers) == 0 }

// Verify re-hashes the evidence and names every problem. recorded, when not
// nil, is what the incident's journal says this store holds (its
// evidence.added records): each must be present with its recorded hash, and
// manifest.json must agree with it — so a file rewritten together with the
// manifest and hashes.txt, or a deleted evidence directory, fails. With nil
// (a store outside any incident) the manifest is the reference. Files in
// the directory that nothing lists are named; what an interrupted take left
// behind is listed apart, as leftovers. Files of mode 0000 are read as the
// caller can (root can; others get "unreadable").
func (s *Store) Verify(ctx context.Context, recorded []Entry, progress func(name string)) (*VerifyReport, error) {
	m, err := s.ReadManifest()
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Problems: []Problem{}, Leftovers: []Problem{}, Reference: "manifest"}
	found, err := s.contents()
	if err != nil {
		return nil, err
	}
	truth := m.Files
	inManifest := make(map[string]Entry, len(m.Files))
	for _, e := range m.Files {
		inManifest[e.Name] = e
	}
	others := map[string]bool{}
	if recorded != nil {
		rep.Reference = "journal"
		truth = recorded
		inJournal := make(map[string]bool, len(recorded))
		for _, e := range recorded {
			inJournal[e.Name] = true
			me, ok := inManifest[e.Name]
			switch {
			case !ok:
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemManifest, "recorded in the journal (sha256 " + e.SHA256 + ") but missing from " + ManifestFile})
			case me.SHA256 != e.SHA256 || me.Size != e.Size:
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemManifest, ManifestFile + " says sha256 " + me.SHA256 + ", the journal recorded " + e.SHA256})
			case !sameRecord(me, e):
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemManifest, ManifestFile + " describes it otherwise than the journal recorded it (origin, times, owner, notes …)"})
			}
		}
		pending := found.pending
		for _, e := range m.Files {
			switch {
			case inJournal[e.Name]:
			case e.Incident != "" && s.Owner != "" && e.Incident != s.Owner:
				// Another incident's, in a shared store.
				others[e.Name] = true
			case pending[e.Name]:
				// Listed, not yet recorded, its .incoming- twin still
				// there: a take interrupted before its record (contents.extra
				// reports it as a leftover).
			default:
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemUnrecorded, "listed in " + ManifestFile + " but never recorded in the journal"})
			}
		}
	}
	listed := map[string]bool{}
	for _, e := range truth {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		listed[e.Name] = true
		if progress != nil {
			progress(e.Name)
		}
		rep.Checked++
		if p := s.check(ctx, e, rep); p != nil {
			rep.Problems = append(rep.Problems, *p)
		}
	}
	for n := range others {
		listed[n] = true
	}
	found.extra(listed, rep)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Name < rep.Problems[j].Name })
	return rep, nil
}

// sameRecord compares what a manifest entry and the journal's record say
// about where a file came from and what it is.
func sameRecord(a, b Entry) bool {
	// Everything but what only one side knows: the store the journal
	// names, and the removal the manifest confirms after the record.
	norm := func(e Entry) string {
		e.Store, e.SourceRemoved, e.RemoveError = "", false, ""
		e.Added = e.Added.UTC()
		e.Original.MTime = e.Original.MTime.UTC()
		b, _ := json.Marshal(e)
		return string(b)
	}
	return norm(a) == norm(b)
}

// check re-reads one entry.
func (s *Store) check(ctx context.Context, e Entry, rep *VerifyReport) *Problem {
	p := filepath.Join(s.Dir, filepath.FromSlash(e.Name))
	if !localName(e.Name) {
		return &Problem{e.Name, ProblemMissing, "recorded with a name outside the store"}
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &Problem{e.Name, ProblemMissing, "recorded " + e.Added.Format("2006-01-02 15:04:05Z") + " with sha256 " + e.SHA256}
	}
	if err != nil {
		return &Problem{e.Name, ProblemUnreadable, err.Error()}
	}
	switch e.Type {
	case TypeSymlink:
		if fi.Mode()&fs.ModeSymlink == 0 {
			return &Problem{e.Name, ProblemType, "recorded as a symlink, now a " + fi.Mode().Type().String()}
		}
		target, err := os.Readlink(p)
		sum := sha256.Sum256([]byte(target))
		if err != nil || hex.EncodeToString(sum[:]) != e.SHA256 {
			now, _ := ShowPath(target)
			return &Problem{e.Name, ProblemLink, "recorded target " + e.LinkTarget + ", now " + now}
		}
	default:
		if !fi.Mode().IsRegular() {
			return &Problem{e.Name, ProblemType, "recorded as a file, now a " + fi.Mode().Type().String()}
		}
		f, err := openNoFollow(p)
		if err != nil {
			return &Problem{e.Name, ProblemUnreadable, err.Error()}
		}
		sum, n, err := HashReader(ctx, f)
		f.Close()
		if err != nil {
			return &Problem{e.Name, ProblemUnreadable, err.Error()}
		}
		rep.Bytes += n
		if sum != e.SHA256 {
			return &Problem{e.Name, ProblemMismatch, "recorded " + e.SHA256 + ", now " + sum}
		}
		if n != e.Size {
			return &Problem{e.Name, ProblemSize, "recorded size differs"}
		}
	}
	return nil
}

// localName reports whether a recorded name stays inside the store.
func localName(name string) bool {
	return name != "" && filepath.IsLocal(filepath.FromSlash(name))
}

// contents is what a store directory holds besides its own files, from
// one walk.
type contents struct {
	incoming []string        // .incoming- copies, by store name
	files    []string        // everything else
	pending  map[string]bool // store names with an .incoming- twin
}

func (s *Store) contents() (*contents, error) {
	c := &contents{pending: map[string]bool{}}
	err := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.Dir, path)
		rel = filepath.ToSlash(rel)
		base := filepath.Base(rel)
		switch {
		case rel == ManifestFile || rel == HashesFile || rel == lockFile || rel == base && strings.HasPrefix(base, "."+ManifestFile+".") && strings.HasSuffix(base, ".tmp"):
		case strings.HasPrefix(base, incomingPfx):
			c.incoming = append(c.incoming, rel)
			if dest, ok := s.incomingDest(rel); ok {
				c.pending[dest] = true
			}
		default:
			c.files = append(c.files, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return c, nil
}

// extra names what is in the directory but not listed, and the leftovers
// of interrupted takes.
func (c *contents) extra(listed map[string]bool, rep *VerifyReport) {
	for _, rel := range c.incoming {
		rep.Leftovers = append(rep.Leftovers, Problem{rel, ProblemIncomplete, "left by an interrupted take (its original was not removed); firebreak evidence clean removes it"})
	}
	for _, rel := range c.files {
		switch {
		case listed[rel]:
		case c.pending[rel]:
			rep.Leftovers = append(rep.Leftovers, Problem{rel, ProblemIncomplete, "copied but never recorded: a take was interrupted before the record (its original was not removed); firebreak evidence clean removes it"})
		default:
			rep.Problems = append(rep.Problems, Problem{rel, ProblemUnlisted, "present in the evidence directory but not recorded"})
		}
	}
}

// incomingDest is the store name an .incoming- file was to become: the name
// after its prefix when that is the same file, else the file beside it that
// is the same file (the name was cut to fit). ok is false when the copy was
// never linked into place.
func (s *Store) incomingDest(rel string) (string, bool) {
	dir, base := filepath.Split(rel)
	rest := strings.TrimPrefix(base, incomingPfx)
	if len(rest) < 14 || rest[12] != '-' {
		return "", false
	}
	fi, err := os.Lstat(filepath.Join(s.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", false
	}
	if di, err := os.Lstat(filepath.Join(s.Dir, filepath.FromSlash(dir+rest[13:]))); err == nil && os.SameFile(fi, di) {
		return dir + rest[13:], true
	}
	ents, err := os.ReadDir(filepath.Join(s.Dir, filepath.FromSlash(dir)))
	if err != nil {
		return "", false
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), incomingPfx) || !strings.HasPrefix(e.Name(), rest[13:]) {
			continue
		}
		if di, err := e.Info(); err == nil && os.SameFile(fi, di) {
			return dir + e.Name(), true
		}
	}
	return "", false
}

// Cleaned is one leftover Clean removed.
type Cleaned struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
}

// Clean removes what interrupted takes left behind, under the store's lock:
// every .incoming- copy, and a copy linked into place that incident took
// (its manifest entry names it) but never recorded — its original was
// never removed, since removal comes after the record — with its manifest
// line. A copy that names no incident, or another one (a shared offline
// store), is left in place and reported. recorded says whether the journal
// recorded a name; nil means the manifest is the record. Evidence that was
// recorded is never touched.
func (s *Store) Clean(ctx context.Context, incident string, recorded func(name string) bool) ([]Cleaned, error) {
	if _, err := os.Lstat(s.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	m, err := s.ReadManifest()
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	for _, e := range m.Files {
		owner[e.Name] = e.Incident
	}
	if recorded == nil {
		recorded = func(n string) bool { _, ok := owner[n]; return ok }
	}
	found, err := s.contents()
	if err != nil {
		return nil, err
	}
	var out []Cleaned
	drop := map[string]bool{}
	for _, rel := range found.incoming {
		path := filepath.Join(s.Dir, filepath.FromSlash(rel))
		dest, ok := s.incomingDest(rel)
		detail := "partial copy of an interrupted take removed"
		if ok {
			destPath := filepath.Join(s.Dir, filepath.FromSlash(dest))
			{
				who, listed := owner[dest]
				switch {
				case recorded(dest):
					detail = "spare link of recorded evidence " + dest + " removed (the evidence stays)"
				case listed && who == incident && incident != "":
					if err := os.Remove(destPath); err != nil {
						return out, err
					}
					drop[dest] = true
					out = append(out, Cleaned{dest, "copy this incident never recorded removed (its original was not removed)"})
					detail = "its twin removed"
				default:
					// Not provably this incident's: another incident's
					// (a shared store) or a copy killed before its
					// manifest line. Never delete it; say so.
					out = append(out, Cleaned{dest, "LEFT IN PLACE: copied but not recorded by this incident; its original was not removed — check it and remove it by hand if it is a stale copy"})
					detail = "its twin removed"
				}
			}
		}
		if err := os.Remove(path); err != nil {
			return out, err
		}
		out = append(out, Cleaned{rel, detail})
		_ = fsutil.SyncDir(filepath.Dir(path))
	}
	if len(drop) > 0 {
		kept := m.Files[:0]
		for _, e := range m.Files {
			if !drop[e.Name] {
				kept = append(kept, e)
			}
		}
		m.Files = kept
		if err := s.writeManifest(m); err != nil {
			return out, err
		}
		if s.Hashes {
			var b strings.Builder
			for _, e := range m.Files {
				if e.Type == TypeFile {
					b.WriteString(SumLine(e.SHA256, e.Name))
				}
			}
			if err := fsutil.WriteFileAtomic(filepath.Join(s.Dir, HashesFile), []byte(b.String()), 0o600); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
