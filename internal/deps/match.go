package deps

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
)

// Finding is one affected package: where it is pinned, by which advisory.
// An advisory that names a package in several entries gives one finding.
type Finding struct {
	Lockfile  string   `json:"lockfile"`
	Ecosystem string   `json:"ecosystem"`
	Package   string   `json:"package"`
	Version   string   `json:"version"`
	Direct    bool     `json:"direct,omitempty"`
	Minimum   bool     `json:"minimum,omitempty"` // the lockfile names the least version (Go's standard library)
	Advisory  string   `json:"advisory"`
	Aliases   []string `json:"aliases,omitempty"`
	CVE       string   `json:"cve,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	// Ranges are the affected ranges, one interval each, as people and
	// GitHub read them: "< 2.0.0", ">= 1.2.0, < 1.4.3", "<= 1.4.2".
	Ranges []string `json:"ranges"`
	// Patched is, for each range, the version that closes it ("" when
	// none does: last_affected, a limit, or no fix yet).
	Patched []string `json:"patched"`
	// Fixed is the first version that fixes the version in use, or ""
	// when the advisory names none (last_affected, or unfixed).
	Fixed  string `json:"fixed,omitempty"`
	Source string `json:"source"` // the advisory's file
}

// maxFindings bounds the findings kept; Report.FindingsTotal counts all.
// maxUnchecked bounds the unchecked notes.
const (
	maxFindings  = 10_000
	maxUnchecked = 1_000
)

// Report is what a check found.
type Report struct {
	Lockfiles []*Lockfile `json:"lockfiles"`
	// Advisories counts the advisories read; only those naming a pinned
	// package are evaluated.
	Advisories int `json:"advisories"`
	// Withdrawn are advisories skipped because they were withdrawn.
	Withdrawn []string  `json:"withdrawn,omitempty"`
	Findings  []Finding `json:"findings"`
	// FindingsTotal counts every finding; past maxFindings only the first
	// are listed.
	FindingsTotal int `json:"findings_total"`
	// Unpinned are requirements the check cannot answer for.
	Unpinned []string `json:"unpinned,omitempty"`
	// Unchecked are advisory ranges the check cannot evaluate (GIT ranges,
	// versions an ecosystem cannot parse), with why.
	Unchecked []string `json:"unchecked,omitempty"`
	// Unread are entries of an advisory directory or zip that could not be
	// read (the first 50, with where and why); UnreadCount counts them.
	// While any is unread, "not affected" is not an answer.
	Unread      []string `json:"unread,omitempty"`
	UnreadCount int      `json:"unread_count,omitempty"`
	// Undecided are pinned (or loosely named) packages an advisory names
	// that the check cannot tell about: no exact version, or no range it
	// can evaluate (GIT only, versions not of the ecosystem). While any
	// is, "not affected" is not an answer.
	Undecided      []string `json:"undecided,omitempty"`
	UndecidedCount int      `json:"undecided_count,omitempty"`
}

// Affected reports whether anything is affected.
func (r *Report) Affected() bool { return r.FindingsTotal > 0 }

// Complete reports whether every advisory could be read, and decided for
// every package it names.
func (r *Report) Complete() bool { return r.UnreadCount == 0 && r.UndecidedCount == 0 }

// Run reads the lockfiles, then the advisories naming what they pin (an
// ecosystem export is read through and only those kept), and checks them.
func Run(lockfiles, advisories []string) (*Report, error) {
	if len(advisories) == 0 {
		return nil, &InputError{Path: "--advisory", Err: errors.New("no advisory given: checking against nothing would answer \"not affected\""), Advisory: true}
	}
	var lfs []*Lockfile
	for _, p := range lockfiles {
		lf, err := ReadLockfile(p)
		if err != nil {
			return nil, err
		}
		lfs = append(lfs, lf)
	}
	set, err := LoadAdvisories(advisories, Names(lfs))
	if err != nil {
		return nil, err
	}
	return Check(lfs, set), nil
}

type pkgKey struct{ eco, name string }

// Names is a filter for LoadAdvisories: an advisory naming a package the
// lockfiles pin, or name without an exact version.
func Names(lockfiles []*Lockfile) func(*Advisory) bool {
	pinned := map[pkgKey]bool{}
	for _, lf := range lockfiles {
		for _, d := range slices.Concat(lf.Deps, lf.Loose) {
			pinned[pkgKey{d.Ecosystem, normName(d.Ecosystem, d.Name)}] = true
		}
	}
	return func(a *Advisory) bool {
		for _, af := range a.Affected {
			eco, name := packageOf(af)
			if pinned[pkgKey{eco, normName(eco, name)}] {
				return true
			}
		}
		return false
	}
}

// packageOf is an affected entry's ecosystem (without a release suffix:
// "Debian:11" is Debian) and name, from its package or its purl.
func packageOf(af Affected) (string, string) {
	eco, name := af.Package.Ecosystem, af.Package.Name
	if eco == "" || name == "" {
		eco, name = fromPURL(af.Package.PURL)
	}
	eco, _, _ = strings.Cut(eco, ":")
	return eco, name
}

// Check matches every pinned package against every advisory.
func Check(lockfiles []*Lockfile, set *AdvisorySet) *Report {
	rep := &Report{Lockfiles: lockfiles, Advisories: set.Read, Findings: []Finding{},
		Unread: set.Unread, UnreadCount: set.UnreadCount}
	type pinned struct {
		lf  *Lockfile
		dep Dep
	}
	index := map[pkgKey][]pinned{} // every pin of a package, by ecosystem and name
	loose := map[pkgKey][]Dep{}    // packages named without an exact version
	unpinned := 0
	for _, lf := range lockfiles {
		for _, d := range lf.Loose {
			k := pkgKey{d.Ecosystem, normName(d.Ecosystem, d.Name)}
			loose[k] = append(loose[k], d)
		}
		unpinned += len(lf.Unpinned)
		rep.Unpinned = append(rep.Unpinned, lf.Unpinned[:min(len(lf.Unpinned), max(maxUnchecked-len(rep.Unpinned), 0))]...)
		for _, d := range lf.Deps {
			k := pkgKey{d.Ecosystem, normName(d.Ecosystem, d.Name)}
			index[k] = append(index[k], pinned{lf, d})
		}
	}
	unchecked := map[string]bool{}
	note := func(id, why string) {
		if why != "" && !unchecked[id+why] && len(rep.Unchecked) < maxUnchecked {
			unchecked[id+why] = true
			rep.Unchecked = append(rep.Unchecked, id+": "+why)
		}
	}
	if n := unpinned - len(rep.Unpinned); n > 0 {
		rep.Unpinned = append(rep.Unpinned, fmt.Sprintf("… and %d more", n))
	}
	for _, id := range set.Unnamed {
		note(id, "names no package (a repository's commits): not checked")
	}
	if n := set.UnnamedCount - len(set.Unnamed); n > 0 {
		note("…", fmt.Sprintf("%d more advisories name no package: not checked", n))
	}
	undecided := func(s string) {
		rep.UndecidedCount++
		if len(rep.Undecided) < maxUnchecked {
			rep.Undecided = append(rep.Undecided, s)
		}
	}
	// A package a lockfile names without an exact version, that an
	// advisory names: the check cannot tell.
	for _, a := range set.List {
		if !a.Withdrawn.IsZero() {
			continue
		}
		for _, af := range a.Affected {
			eco, name := packageOf(af)
			for _, l := range loose[pkgKey{eco, normName(eco, name)}] {
				undecided(fmt.Sprintf("%s in %s pins no exact version: %s names it", l.Name, l.File, a.ID))
			}
		}
	}
	type findingKey struct{ file, eco, name, version, advisory string }
	at := map[findingKey]int{} // a finding's index in rep.Findings
	for _, a := range set.List {
		if !a.Withdrawn.IsZero() {
			rep.Withdrawn = append(rep.Withdrawn, a.ID)
			continue
		}
		for i, af := range a.Affected {
			eco, name := packageOf(af)
			if eco == "" || name == "" {
				note(a.ID, fmt.Sprintf("affected[%d] names no package (a repository's commits): not checked", i))
				continue
			}
			for _, pin := range index[pkgKey{eco, normName(eco, name)}] {
				lf, d := pin.lf, pin.dep
				hit, fixed, why, decided := affects(af, eco, d.Version)
				note(a.ID, why)
				if !hit && !decided {
					undecided(fmt.Sprintf("%s %s in %s: %s names it, and no range of it can be evaluated (%s)", d.Name, d.Version, where(lf, d), a.ID, orText(why, "it lists no ranges or versions")))
				}
				if !hit {
					continue
				}
				file := where(lf, d)
				k := findingKey{file, eco, d.Name, d.Version, a.ID}
				if j, ok := at[k]; ok { // the same package in another entry
					if j < 0 {
						continue // counted, not listed
					}
					f := &rep.Findings[j]
					rs, ps := rangeTexts(af, eco, d.Name)
					for i, r := range rs {
						if !slices.Contains(f.Ranges, r) {
							f.Ranges, f.Patched = append(f.Ranges, r), append(f.Patched, ps[i])
						}
					}
					if fixed != "" && (f.Fixed == "" || lower(eco, fixed, f.Fixed)) {
						f.Fixed = fixed
					}
					continue
				}
				rep.FindingsTotal++
				if len(rep.Findings) >= maxFindings {
					at[k] = -1
					continue
				}
				at[k] = len(rep.Findings)
				rs, ps := rangeTexts(af, eco, d.Name)
				rep.Findings = append(rep.Findings, Finding{
					Lockfile: file, Ecosystem: eco, Package: d.Name, Version: d.Version, Direct: d.Direct, Minimum: d.Minimum,
					Advisory: a.ID, Aliases: a.Aliases, CVE: a.CVE(), Summary: a.Summary,
					Ranges: rs, Patched: ps, Fixed: fixed, Source: a.Source,
				})
			}
		}
	}
	for i := range rep.Findings {
		rep.Findings[i].Fixed = display(rep.Findings[i].Ecosystem, rep.Findings[i].Package, rep.Findings[i].Fixed)
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		x, y := rep.Findings[i], rep.Findings[j]
		if x.Lockfile != y.Lockfile {
			return x.Lockfile < y.Lockfile
		}
		if x.Package != y.Package {
			return x.Package < y.Package
		}
		return x.Advisory < y.Advisory
	})
	return rep
}

// where is the file that pins d: the lockfile, or the file it includes.
func where(lf *Lockfile, d Dep) string {
	if d.File != "" {
		return d.File
	}
	return lf.Path
}

func orText(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// lower reports whether version a is below b in eco.
func lower(eco, a, b string) bool {
	v, err := semantic.Parse(a, eco)
	if err != nil {
		return false
	}
	c, err := v.CompareStr(b)
	return err == nil && c < 0
}

// display is a version as its ecosystem's tools take it: a Go module's
// with its v (go get golang.org/x/crypto@v0.31.0), a Go release with go
// (go1.22.5). The advisory's own form is what GitHub takes; see
// GitHubVersion.
func display(eco, pkg, v string) string {
	if eco != Go || v == "" || v == "0" {
		return v
	}
	if pkg == "stdlib" || pkg == "toolchain" {
		if strings.HasPrefix(v, "go") {
			return v
		}
		return "go" + v
	}
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// GitHubVersion is a version as GitHub advisories write it (a Go
// module's without its v).
func GitHubVersion(eco, v string) string {
	if eco == Go {
		return strings.TrimPrefix(strings.TrimPrefix(v, "go"), "v")
	}
	return v
}

// normName is a package name as its ecosystem compares it.
func normName(eco, name string) string {
	if eco == PyPI {
		return pep503(name)
	}
	return name
}

// fromPURL reads the ecosystem and name of a package URL.
func fromPURL(purl string) (string, string) {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return "", ""
	}
	typ, name, _ := strings.Cut(rest, "/")
	name, _, _ = strings.Cut(name, "@")
	name, _, _ = strings.Cut(name, "?")
	eco := map[string]string{"cargo": CratesIO, "golang": Go, "npm": NPM, "pypi": PyPI}[typ]
	if eco == NPM {
		name = strings.Replace(name, "%40", "@", 1)
	}
	return eco, name
}

// affects evaluates an affected entry for a version, as the OSV schema
// says: listed in versions, or inside one of its SEMVER or ECOSYSTEM
// ranges (introduced ≤ v < fixed, or ≤ last_affected, and < limit). It
// returns the first fixed version above v from the range that matched,
// and why a range could not be evaluated, if one could not.
func affects(af Affected, eco, version string) (hit bool, fixed, why string, decided bool) {
	if !validIn(eco, version) {
		return false, "", fmt.Sprintf("the %s version %q cannot be compared", eco, version), false
	}
	ver, err := semantic.Parse(version, eco)
	if err != nil {
		return false, "", fmt.Sprintf("the %s version %q cannot be compared (%v)", eco, version, err), false
	}
	for _, v := range af.Versions {
		decided = true
		// Equal as the ecosystem compares: PyPI's 1.0 is 1.0.0, Go's
		// v1.2.3 is 1.2.3.
		if c, err := ver.CompareStr(v); v == version || err == nil && c == 0 {
			return true, fixedAbove(af, eco, version), "", true
		}
	}
	cmp := func(s string) (int, bool) {
		if s == "0" {
			return 1, true // everything is above "0"
		}
		c, err := ver.CompareStr(s)
		return c, err == nil
	}
ranges:
	for _, r := range af.Ranges {
		if r.Type == "GIT" {
			why = "a GIT range (commits, not versions) is not checked"
			continue
		}
		for _, e := range r.Events {
			if v := eventVersion(e); v != "0" && !validIn(eco, v) {
				why = fmt.Sprintf("a range holds %q, not a %s version: that range is not checked", v, eco)
				continue ranges
			}
		}
		decided = true
		// The events in version order: each introduced opens, each fixed
		// or last_affected closes what the last introduced opened.
		inRange, limitBelow := false, false
		for _, e := range sortedEvents(r.Events, eco) {
			switch {
			case e.Introduced != "":
				if c, ok := cmp(e.Introduced); ok && c >= 0 {
					inRange = true
				}
			case e.Fixed != "":
				if c, ok := cmp(e.Fixed); ok && c >= 0 {
					inRange = false
				}
			case e.LastAffected != "":
				if c, ok := cmp(e.LastAffected); ok && c > 0 {
					inRange = false
				}
			case e.Limit != "":
				if c, ok := cmp(e.Limit); ok && c >= 0 {
					limitBelow = true
				}
			}
		}
		if inRange && !limitBelow {
			return true, fixedAbove(af, eco, version), why, true
		}
	}
	return false, "", why, decided
}

// eventVersion is the version an event names.
func eventVersion(e Event) string {
	for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
		if s != "" {
			return s
		}
	}
	return ""
}

// semverRe is a semantic version as crates.io, npm and Go write them (Go
// with its v; the Go database writes 1.21.0-rc.2 for go1.21rc2).
var semverRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
})

// validIn reports whether v is a version of eco: the comparison library
// reads anything as a version, and would order garbage somewhere.
func validIn(eco, v string) bool {
	switch eco {
	case CratesIO, NPM, Go:
		return semverRe().MatchString(v)
	case PyPI:
		_, err := semantic.ParsePyPIVersion(v)
		return err == nil
	}
	return true
}

// sortedEvents orders a range's events by version ("0" first); an event
// whose version does not parse keeps its place.
func sortedEvents(evs []Event, eco string) []Event {
	out := append([]Event(nil), evs...)
	val := eventVersion
	sort.SliceStable(out, func(i, j int) bool {
		a, b := val(out[i]), val(out[j])
		if a == "0" || b == "0" {
			return a == "0" && b != "0"
		}
		va, err := semantic.Parse(a, eco)
		if err != nil {
			return false
		}
		c, err := va.CompareStr(b)
		return err == nil && c < 0
	})
	return out
}

// fixedAbove is the lowest fixed version above version, "" if none.
func fixedAbove(af Affected, eco, version string) string {
	ver, err := semantic.Parse(version, eco)
	if err != nil {
		return ""
	}
	best := ""
	for _, r := range af.Ranges {
		if r.Type == "GIT" {
			continue // a commit, not a version
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if c, err := ver.CompareStr(e.Fixed); err != nil || c >= 0 {
				continue
			}
			if best == "" {
				best = e.Fixed
				continue
			}
			if f, err := semantic.Parse(e.Fixed, eco); err == nil {
				if c, err := f.CompareStr(best); err == nil && c < 0 {
					best = e.Fixed
				}
			}
		}
	}
	return best
}

// rangeTexts are an affected entry's ranges for people and for GitHub's
// vulnerable_version_range, one text per interval (a range that reopens
// gives several), in the ecosystem's display form, with the version that
// closes each ("" when none does). A limit bounds an interval left open.
func rangeTexts(af Affected, eco, pkg string) (texts, patched []string) {
	add := func(t, p string) { texts, patched = append(texts, t), append(patched, p) }
	for _, r := range af.Ranges {
		if r.Type == "GIT" {
			continue
		}
		limit := ""
		for _, e := range r.Events {
			if e.Limit != "" {
				limit = e.Limit
			}
		}
		open, inside := "", false
		closeWith := func(bound, fix string) {
			t := bound
			if open != "0" && open != "" {
				t = ">= " + display(eco, pkg, open) + ", " + bound
			}
			add(t, fix)
			inside = false
		}
		for _, e := range sortedEvents(r.Events, eco) {
			switch {
			case e.Introduced != "":
				if !inside {
					open, inside = e.Introduced, true
				}
			case e.Fixed != "" && inside:
				closeWith("< "+display(eco, pkg, e.Fixed), display(eco, pkg, e.Fixed))
			case e.LastAffected != "" && inside:
				closeWith("<= "+display(eco, pkg, e.LastAffected), "")
			}
		}
		switch {
		case !inside:
		case limit != "":
			closeWith("< "+display(eco, pkg, limit), "")
		case open == "0" || open == "":
			add("every version", "")
		default:
			add(">= "+display(eco, pkg, open), "")
		}
	}
	if len(af.Versions) > 0 && len(texts) == 0 {
		for _, v := range af.Versions[:min(len(af.Versions), 20)] {
			add("= "+display(eco, pkg, v), "")
		}
	}
	if texts == nil {
		texts, patched = []string{}, []string{}
	}
	return texts, patched
}
