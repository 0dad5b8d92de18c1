package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
}

// OK reports whether everything matched.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify re-hashes every entry of the manifest and compares it with what was
// recorded; it also names files in the directory the manifest does not list
// and copies a crash left unfinished. Files of mode 0000 are read as the
// caller can (root can; others get "unreadable").
func (s *Store) Verify(ctx context.Context, progress func(name string)) (*VerifyReport, error) {
	m, err := s.ReadManifest()
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Problems: []Problem{}}
	listed := map[string]bool{}
	for _, e := range m.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		listed[e.Name] = true
		if progress != nil {
			progress(e.Name)
		}
		rep.Checked++
		p := filepath.Join(s.Dir, filepath.FromSlash(e.Name))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			rep.Problems = append(rep.Problems, Problem{e.Name, ProblemMissing, "recorded " + e.Added.Format("2006-01-02 15:04:05Z") + " with sha256 " + e.SHA256})
			continue
		}
		if err != nil {
			rep.Problems = append(rep.Problems, Problem{e.Name, ProblemUnreadable, err.Error()})
			continue
		}
		switch e.Type {
		case TypeSymlink:
			if fi.Mode()&fs.ModeSymlink == 0 {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemType, "recorded as a symlink, now a " + fi.Mode().Type().String()})
				continue
			}
			target, err := os.Readlink(p)
			sum := sha256.Sum256([]byte(target))
			if err != nil || hex.EncodeToString(sum[:]) != e.SHA256 {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemLink, "recorded target " + e.LinkTarget + ", now " + target})
			}
		default:
			if !fi.Mode().IsRegular() {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemType, "recorded as a file, now a " + fi.Mode().Type().String()})
				continue
			}
			f, err := openNoFollow(p)
			if err != nil {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemUnreadable, err.Error()})
				continue
			}
			sum, n, err := HashReader(ctx, f)
			f.Close()
			if err != nil {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemUnreadable, err.Error()})
				continue
			}
			rep.Bytes += n
			if sum != e.SHA256 {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemMismatch, "recorded " + e.SHA256 + ", now " + sum})
			} else if n != e.Size {
				rep.Problems = append(rep.Problems, Problem{e.Name, ProblemSize, "recorded size differs"})
			}
		}
	}
	// What is there but not listed.
	err = filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.Dir, path)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ManifestFile || rel == HashesFile || rel == lockFile || strings.HasPrefix(filepath.Base(rel), "."+ManifestFile+"."):
		case strings.HasPrefix(filepath.Base(rel), incomingPfx):
			rep.Problems = append(rep.Problems, Problem{rel, ProblemIncomplete, "a copy interrupted before it was verified; its original was not removed"})
		case !listed[rel]:
			rep.Problems = append(rep.Problems, Problem{rel, ProblemUnlisted, "present in the evidence directory but not recorded"})
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Name < rep.Problems[j].Name })
	return rep, nil
}
