// Package deps answers INC-4's first question offline, exactly: which of
// our lockfiles pin a version that an OSV advisory says is affected.
//
// Advisories are read in the OSV schema (https://ossf.github.io/osv-schema/)
// as OSV.dev, RustSec, the Go vulnerability database and GitHub publish
// them: one JSON file, a directory of them, or an OSV.dev ecosystem export
// zip. Lockfiles are Cargo.lock, go.mod (with go.sum), package-lock.json,
// requirements.txt and poetry.lock. Versions are compared by each
// ecosystem's rules with osv-scalibr's semantic package (semver for
// crates.io, npm and Go with its v prefix and pseudo-versions; PEP 440 for
// PyPI).
package deps

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Advisory is an OSV record: the fields the check reads.
type Advisory struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Published time.Time  `json:"published,omitzero"`
	Withdrawn time.Time  `json:"withdrawn,omitzero"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	Affected  []Affected `json:"affected,omitempty"`
	Severity  []Score    `json:"severity,omitempty"`
	// Source is where it was read: a file, or ZIP!entry.
	Source string `json:"source"`
}

// Affected is one affected package of an advisory.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Package names a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a range of affected versions, as events.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one event of a range: exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Score is a severity score (CVSS vector and the like).
type Score struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// CVE is the advisory's CVE id (its own id, or an alias), or "".
func (a *Advisory) CVE() string {
	for _, id := range append([]string{a.ID}, a.Aliases...) {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return ""
}

// GHSA is the advisory's GitHub advisory id, or "".
func (a *Advisory) GHSA() string {
	for _, id := range append([]string{a.ID}, a.Aliases...) {
		if strings.HasPrefix(id, "GHSA-") {
			return id
		}
	}
	return ""
}

// Limits on what is read: an advisory is a few kilobytes; an ecosystem
// export is large, but each entry is one advisory.
const (
	maxAdvisory = 16 << 20
	maxZip      = 2 << 30
)

// InputError is an advisory or lockfile that cannot be read: where, and why.
type InputError struct {
	Path string // the file (ZIP!entry for a zip)
	Line int    // 0 when unknown
	Col  int
	Err  error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// LoadAdvisories reads advisories from each path: a JSON file (one
// advisory, or an array of them), a directory (every *.json under it;
// links are not followed), or a zip of *.json (an OSV.dev export).
func LoadAdvisories(paths []string) ([]*Advisory, error) {
	var out []*Advisory
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &InputError{Path: p, Err: err}
		}
		switch {
		case fi.IsDir():
			var files []string
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return &InputError{Path: path, Err: err}
				}
				if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(path), ".json") {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			sort.Strings(files)
			for _, f := range files {
				as, err := loadFile(f)
				if err != nil {
					return nil, err
				}
				out = append(out, as...)
			}
			if len(files) == 0 {
				return nil, &InputError{Path: p, Err: errors.New("holds no *.json advisory")}
			}
		case strings.EqualFold(filepath.Ext(p), ".zip"):
			as, err := loadZip(p)
			if err != nil {
				return nil, err
			}
			out = append(out, as...)
		default:
			as, err := loadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, as...)
		}
	}
	return out, nil
}

func loadFile(path string) ([]*Advisory, error) {
	b, err := fsutil.ReadRegular(path, maxAdvisory)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	return parseAdvisories(path, b)
}

func loadZip(path string) ([]*Advisory, error) {
	// Not through a link to a pipe or a device: a regular file, opened
	// without blocking, as every other input is.
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	if fi.Size() > maxZip {
		return nil, &InputError{Path: path, Err: fmt.Errorf("is %d bytes, more than the %d a zip of advisories may be", fi.Size(), int64(maxZip))}
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return nil, &InputError{Path: path, Err: fmt.Errorf("not a zip of advisories: %w", err)}
	}
	var out []*Advisory
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		where := path + "!" + f.Name
		if f.UncompressedSize64 > maxAdvisory {
			return nil, &InputError{Path: where, Err: fmt.Errorf("is %d bytes, more than the %d an advisory may be", f.UncompressedSize64, maxAdvisory)}
		}
		rc, err := f.Open()
		if err != nil {
			return nil, &InputError{Path: where, Err: err}
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxAdvisory+1))
		rc.Close()
		if err != nil {
			return nil, &InputError{Path: where, Err: err}
		}
		if len(b) > maxAdvisory {
			return nil, &InputError{Path: where, Err: errors.New("larger than it says")}
		}
		as, err := parseAdvisories(where, b)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	if len(out) == 0 {
		return nil, &InputError{Path: path, Err: errors.New("holds no *.json advisory")}
	}
	return out, nil
}

// parseAdvisories reads one advisory or an array of them, and checks each
// has what the check needs.
func parseAdvisories(where string, b []byte) ([]*Advisory, error) {
	b = bytes.TrimSpace(b)
	var list []*Advisory
	var err error
	if len(b) > 0 && b[0] == '[' {
		err = json.Unmarshal(b, &list)
	} else {
		var a Advisory
		err = json.Unmarshal(b, &a)
		list = []*Advisory{&a}
	}
	if err != nil {
		return nil, jsonError(where, b, err)
	}
	if len(list) == 0 {
		// Checking against nothing would answer "not affected".
		return nil, &InputError{Path: where, Err: errors.New("holds no advisory (an empty list)")}
	}
	for i, a := range list {
		if a == nil {
			return nil, &InputError{Path: where, Err: fmt.Errorf("entry %d is null", i)}
		}
		a.Source = where
		if err := a.check(); err != nil {
			return nil, &InputError{Path: where, Err: err}
		}
	}
	return list, nil
}

// check refuses an advisory the check could misread.
func (a *Advisory) check() error {
	if a.ID == "" {
		return errors.New("the advisory has no id")
	}
	for i, af := range a.Affected {
		if af.Package.Ecosystem == "" || af.Package.Name == "" {
			if af.Package.PURL == "" {
				return fmt.Errorf("%s: affected[%d] names no package (ecosystem and name)", a.ID, i)
			}
		}
		for j, r := range af.Ranges {
			switch r.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				return fmt.Errorf("%s: affected[%d].ranges[%d] has type %q (SEMVER, ECOSYSTEM or GIT)", a.ID, i, j, r.Type)
			}
			if len(r.Events) == 0 {
				return fmt.Errorf("%s: affected[%d].ranges[%d] has no events", a.ID, i, j)
			}
			for k, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return fmt.Errorf("%s: affected[%d].ranges[%d].events[%d] must have exactly one of introduced, fixed, last_affected, limit", a.ID, i, j, k)
				}
			}
		}
	}
	return nil
}

// jsonError places a JSON error at its line and column.
func jsonError(where string, b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return &InputError{Path: where, Err: fmt.Errorf("not an OSV advisory: %w", err)}
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return &InputError{Path: where, Line: line, Col: col, Err: fmt.Errorf("not an OSV advisory: %w", err)}
}
