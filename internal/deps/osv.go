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
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Advisory is an OSV record: the fields the check reads.
type Advisory struct {
	ID        string    `json:"id"`
	Modified  time.Time `json:"modified"`
	Published time.Time `json:"published,omitzero"`
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	Aliases   []string  `json:"aliases,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	// Details is not read: an ecosystem export holds hundreds of megabytes
	// of it, and the check needs none.
	Affected []Affected `json:"affected,omitempty"`
	Severity []Score    `json:"severity,omitempty"`
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
// export is large, but each entry is one advisory. What is kept is bounded
// apart from what is read: only advisories naming a pinned package are
// kept (see Run), and their sum may not pass maxKept.
const (
	maxAdvisory = 16 << 20
	maxZip      = 2 << 30
	// maxZipRead bounds what a zip may expand to, all entries together (a
	// zip bomb of small entries otherwise costs hours, not memory).
	maxZipRead = 16 << 30
	maxSummary = 1000 // runes of an advisory's summary kept
	maxUnread  = 50   // unreadable entries named; the rest are counted
)

// InputError is an advisory or lockfile that cannot be read: where, and why.
type InputError struct {
	Path string // the file (ZIP!entry for a zip)
	Line int    // 0 when unknown
	Col  int
	Err  error
	// Advisory: the input is an advisory (else a lockfile).
	Advisory bool
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

func advisoryError(path string, err error) *InputError {
	var ie *InputError
	if errors.As(err, &ie) {
		ie.Advisory = true
		return ie
	}
	return &InputError{Path: path, Err: err, Advisory: true}
}

// AdvisorySet is what LoadAdvisories read.
type AdvisorySet struct {
	// List holds the advisories kept: every one read, or those keep wanted.
	List []*Advisory
	// Read counts the advisories read (kept or not).
	Read int
	// Unread names the entries of a directory or zip that could not be
	// read, with where and why (the first maxUnread); UnreadCount counts
	// them all. A file named on its own that cannot be read is an error.
	Unread      []string
	UnreadCount int
	// Unnamed are the advisories not kept that have an entry naming no
	// package (a C library's GIT ranges): the check cannot tell for them
	// (the first maxUnread ids; UnnamedCount counts them).
	Unnamed      []string
	UnnamedCount int

	kept int64 // the memory the advisories kept hold, estimated
}

func (s *AdvisorySet) unread(err error) {
	s.UnreadCount++
	if len(s.Unread) < maxUnread {
		s.Unread = append(s.Unread, err.Error())
	}
}

// maxKept bounds the memory the advisories kept hold (a variable: tests
// lower it).
var maxKept int64 = 512 << 20

// errKeptBudget stops a load: what it would keep passes maxKept.
var errKeptBudget = fmt.Errorf("the advisories naming the pinned packages pass %d MiB in memory: give the advisories for this incident, not a whole database", maxKept>>20)

// read decodes the advisories in b (one, or an array, decoded one at a
// time) and keeps those keep wants, within maxKept: memory follows what is
// kept, not what is read.
func (s *AdvisorySet) read(where string, b []byte, keep func(*Advisory) bool) error {
	return decodeAdvisories(where, b, func(a *Advisory) error {
		s.Read++
		if keep != nil && !keep(a) {
			if a.unnamed() {
				s.UnnamedCount++
				if len(s.Unnamed) < maxUnread {
					s.Unnamed = append(s.Unnamed, a.ID)
				}
			}
			return nil
		}
		if s.kept += a.cost(); s.kept > maxKept {
			return &InputError{Path: where, Advisory: true, Err: errKeptBudget}
		}
		s.List = append(s.List, a)
		return nil
	})
}

// cost estimates the memory an advisory holds once decoded.
func (a *Advisory) cost() int64 {
	n := 256 + len(a.ID) + len(a.Summary) + len(a.Source)
	for _, s := range a.Aliases {
		n += 16 + len(s)
	}
	for _, af := range a.Affected {
		n += 128 + len(af.Package.Ecosystem) + len(af.Package.Name) + len(af.Package.PURL)
		for _, r := range af.Ranges {
			n += 64
			for _, e := range r.Events {
				n += 80 + len(e.Introduced) + len(e.Fixed) + len(e.LastAffected) + len(e.Limit)
			}
		}
		for _, v := range af.Versions {
			n += 16 + len(v)
		}
	}
	for _, sc := range a.Severity {
		n += 32 + len(sc.Type) + len(sc.Score)
	}
	return int64(n)
}

// LoadAdvisories reads advisories from each path: a JSON file (one
// advisory, or an array of them), a directory (every *.json under it; the
// directory named may be a link, and a *.json link inside it is read, but
// no directory link inside it is followed), or a
// zip of *.json (an OSV.dev export). A file named on its own must read; an
// entry of a directory or zip that does not is named in Unread, and the
// others are still read. keep, when not nil, chooses what is kept.
func LoadAdvisories(paths []string, keep func(*Advisory) bool) (*AdvisorySet, error) {
	set := &AdvisorySet{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, advisoryError(p, err)
		}
		switch {
		case fi.IsDir():
			if err := loadDir(set, p, keep); err != nil {
				return nil, err
			}
		case strings.EqualFold(filepath.Ext(p), ".zip"):
			if err := loadZip(set, p, keep); err != nil {
				return nil, err
			}
		default:
			b, err := fsutil.ReadRegular(p, maxAdvisory)
			if err != nil {
				return nil, advisoryError(p, err)
			}
			if err := set.read(p, b, keep); err != nil {
				return nil, advisoryError(p, err)
			}
		}
	}
	return set, nil
}

func loadDir(set *AdvisorySet, dir string, keep func(*Advisory) bool) error {
	// The directory named is followed when it is a link (advisories ->
	// /srv/osv); the walk then follows none.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return advisoryError(dir, err)
	}
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		shown := filepath.Join(dir, strings.TrimPrefix(path, root))
		if err != nil {
			if path == root {
				return advisoryError(dir, err)
			}
			set.unread(advisoryError(shown, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".json") {
			return nil
		}
		// A link to an advisory is read; a link to a directory, a pipe or
		// a device named *.json is unread, and so no answer.
		n++
		b, err := fsutil.ReadRegular(path, maxAdvisory)
		if err != nil {
			set.unread(advisoryError(shown, err))
			return nil
		}
		if err := set.read(shown, b, keep); err != nil {
			if errors.Is(err, errKeptBudget) {
				return err
			}
			set.unread(advisoryError(shown, err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return advisoryError(dir, errors.New("holds no *.json advisory"))
	}
	return nil
}

func loadZip(set *AdvisorySet, path string, keep func(*Advisory) bool) error {
	// Not through a link to a pipe or a device: a regular file, opened
	// without blocking, as every other input is.
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return advisoryError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return advisoryError(path, err)
	}
	if fi.Size() > maxZip {
		return advisoryError(path, fmt.Errorf("is %d bytes, more than the %d a zip of advisories may be", fi.Size(), int64(maxZip)))
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return advisoryError(path, fmt.Errorf("not a zip of advisories: %w", err))
	}
	if err := overlapping(zr); err != nil {
		return advisoryError(path, err)
	}
	n := 0
	var total int64
	buf := new(bytes.Buffer)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		n++
		where := path + "!" + f.Name
		if f.UncompressedSize64 > maxAdvisory {
			set.unread(advisoryError(where, fmt.Errorf("is %d bytes, more than the %d an advisory may be", f.UncompressedSize64, maxAdvisory)))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			set.unread(advisoryError(where, err))
			continue
		}
		buf.Reset()
		_, err = io.Copy(buf, io.LimitReader(rc, maxAdvisory+1))
		rc.Close()
		// What was read, not what the entry's header says.
		if total += int64(buf.Len()); total > maxZipRead {
			return advisoryError(path, fmt.Errorf("expands to more than %d GiB", maxZipRead>>30))
		}
		if err == nil && buf.Len() > maxAdvisory {
			err = errors.New("larger than it says")
		}
		if err != nil {
			set.unread(advisoryError(where, err))
			continue
		}
		if err := set.read(where, buf.Bytes(), keep); err != nil {
			if errors.Is(err, errKeptBudget) {
				return err
			}
			set.unread(advisoryError(where, err))
		}
	}
	if n == 0 {
		return advisoryError(path, errors.New("holds no *.json advisory"))
	}
	return nil
}

// overlapping refuses a zip whose entries share their bytes: a small file
// that expands many times over, entry after entry (a zip bomb).
func overlapping(zr *zip.Reader) error {
	type span struct {
		name       string
		start, end int64
	}
	spans := make([]span, 0, len(zr.File))
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("entry %q: %w", f.Name, err)
		}
		spans = append(spans, span{f.Name, off, off + int64(f.CompressedSize64)})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return fmt.Errorf("entries %q and %q share their bytes: not an export (a zip bomb?)", spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

// parseAdvisories reads one advisory or an array of them, and checks each
// has what the check needs.
func parseAdvisories(where string, b []byte) ([]*Advisory, error) {
	var list []*Advisory
	err := decodeAdvisories(where, b, func(a *Advisory) error { list = append(list, a); return nil })
	return list, err
}

// decodeAdvisories decodes one advisory or an array of them, one at a
// time, checks each and hands it to fn. The JSON's keys are checked as
// the OSV schema spells them: Go's decoder would also take "AFFECTED" for
// "affected", and read a document differently from other OSV tools.
func decodeAdvisories(where string, b []byte, fn func(*Advisory) error) error {
	if k, ok := foldedKey(b); ok {
		return &InputError{Path: where, Err: fmt.Errorf("has the key %q: OSV keys are lower case (%q)", k, strings.ToLower(k))}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	accept := func(a *Advisory) error {
		a.Source = where
		if r := []rune(a.Summary); len(r) > maxSummary {
			a.Summary = string(r[:maxSummary-1]) + "…"
		}
		if err := a.check(); err != nil {
			return &InputError{Path: where, Err: err}
		}
		return fn(a)
	}
	// Not trimmed: a JSON error's offset is then the file's.
	if rest := bytes.TrimLeft(b, " \t\r\n"); len(rest) == 0 || rest[0] != '[' {
		// One advisory (what a directory or an export holds): decoded in
		// one pass, anything after it refused by Unmarshal.
		var a Advisory
		if err := json.Unmarshal(b, &a); err != nil {
			return jsonError(where, "not an OSV advisory", b, -1, err)
		}
		return accept(&a)
	}
	one := func() error {
		var a Advisory
		if err := dec.Decode(&a); err != nil {
			return jsonError(where, "not an OSV advisory", b, dec.InputOffset(), err)
		}
		return accept(&a)
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(where, "not an OSV advisory", b, dec.InputOffset(), err)
	}
	n := 0
	for ; dec.More(); n++ {
		if bytes.HasPrefix(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n,"), []byte("null")) {
			return &InputError{Path: where, Err: fmt.Errorf("entry %d is null", n)}
		}
		if err := one(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(where, "not an OSV advisory", b, dec.InputOffset(), err)
	}
	if n == 0 {
		// Checking against nothing would answer "not affected".
		return &InputError{Path: where, Err: errors.New("holds no advisory (an empty list)")}
	}
	return trailing(where, b, dec)
}

// trailing refuses anything but space after the document.
func trailing(where string, b []byte, dec *json.Decoder) error {
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return jsonError(where, "not an OSV advisory", b, dec.InputOffset(), errors.New("more after the advisory"))
	}
	return nil
}

// osvKeys are the keys the check reads.
var osvKeys = []string{"id", "modified", "published", "withdrawn", "aliases", "summary", "details", "affected",
	"severity", "package", "ecosystem", "name", "purl", "ranges", "versions", "type", "events",
	"introduced", "fixed", "last_affected", "limit", "score"}

// foldedKey finds an object key that equals one of osvKeys only when case
// is ignored ("AFFECTED"). It looks at each colon: a key is the string
// right before one (a colon inside a string value is not preceded by a
// closing quote and a key-shaped word, or is harmless when it is).
func foldedKey(b []byte) (string, bool) {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], ':')
		if j < 0 {
			return "", false
		}
		c := i + j
		i = c + 1
		k := c - 1
		for k >= 0 && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
			k--
		}
		if k < 1 || b[k] != '"' {
			continue
		}
		start := bytes.LastIndexByte(b[max(0, k-16):k], '"')
		if start < 0 {
			continue
		}
		key := string(b[max(0, k-16)+start+1 : k])
		for _, o := range osvKeys {
			if len(key) == len(o) && key != o && strings.EqualFold(key, o) {
				return key, true
			}
		}
	}
}

// unnamed reports whether an entry of the advisory names no package.
func (a *Advisory) unnamed() bool {
	for _, af := range a.Affected {
		if eco, name := packageOf(af); eco == "" || name == "" {
			return true
		}
	}
	return false
}

// idRe is an advisory id or alias as OSV databases write them
// (RUSTSEC-2022-0093, GHSA-v778-237x-gjrc, GO-2024-3321, PYSEC-2021-1).
var idRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.:-]{0,127}$`) })

// versionRe is a version or commit as an advisory may write it: no space,
// quote, semicolon or shell character, whatever the ecosystem (they reach
// GitHub's range syntax and commands a responder pastes).
var versionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~!:-]{0,127}$`) })

// check refuses an advisory the check could misread, and drops aliases
// that are not ids.
func (a *Advisory) check() error {
	if a.ID == "" {
		return errors.New("the advisory has no id")
	}
	if !idRe().MatchString(a.ID) {
		return fmt.Errorf("the advisory's id %q is not an OSV id (letters, digits, - . :)", clip(a.ID))
	}
	aliases := a.Aliases[:0]
	for _, al := range a.Aliases {
		if idRe().MatchString(al) {
			aliases = append(aliases, al)
		}
	}
	a.Aliases = aliases
	for i, af := range a.Affected {
		// An entry naming no package (a C library's GIT ranges) is read:
		// the check names it as unchecked.
		for j, v := range af.Versions {
			if !versionRe().MatchString(v) {
				return fmt.Errorf("%s: affected[%d].versions[%d] %q is not a version", a.ID, i, j, clip(v))
			}
		}
		for j, r := range af.Ranges {
			switch r.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				return fmt.Errorf("%s: affected[%d].ranges[%d] has type %q (SEMVER, ECOSYSTEM or GIT)", a.ID, i, j, clip(r.Type))
			}
			if len(r.Events) == 0 {
				return fmt.Errorf("%s: affected[%d].ranges[%d] has no events", a.ID, i, j)
			}
			introduced := false
			for k, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s == "" {
						continue
					}
					n++
					if !versionRe().MatchString(s) {
						return fmt.Errorf("%s: affected[%d].ranges[%d].events[%d] %q is not a version", a.ID, i, j, k, clip(s))
					}
				}
				if n != 1 {
					return fmt.Errorf("%s: affected[%d].ranges[%d].events[%d] must have exactly one of introduced, fixed, last_affected, limit", a.ID, i, j, k)
				}
				introduced = introduced || e.Introduced != ""
			}
			if !introduced {
				return fmt.Errorf("%s: affected[%d].ranges[%d] has no introduced event (the OSV schema asks for one)", a.ID, i, j)
			}
		}
	}
	return nil
}

// clip shortens what an error quotes.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

// jsonError places a JSON error at its line and column: the error's own
// offset when it has one, else where the decoder stopped (at).
func jsonError(where, what string, b []byte, at int64, err error) error {
	off := at
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(b))
		err = errors.New("unexpected end of JSON input")
	}
	if off < 0 || off > int64(len(b)) {
		return &InputError{Path: where, Err: fmt.Errorf("%s: %w", what, err)}
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return &InputError{Path: where, Line: line, Col: col, Err: fmt.Errorf("%s: %w", what, err)}
}
