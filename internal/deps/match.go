package deps

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// Finding is one affected package: where it is pinned, by which advisory.
type Finding struct {
	Lockfile  string   `json:"lockfile"`
	Ecosystem string   `json:"ecosystem"`
	Package   string   `json:"package"`
	Version   string   `json:"version"`
	Direct    bool     `json:"direct,omitempty"`
	Advisory  string   `json:"advisory"`
	Aliases   []string `json:"aliases,omitempty"`
	CVE       string   `json:"cve,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	// Ranges are the affected ranges, as people read them:
	// ">= 0, < 2.0.0", "<= 1.4.2".
	Ranges []string `json:"ranges"`
	// Fixed is the first version that fixes the version in use, or ""
	// when the advisory names none (last_affected, or unfixed).
	Fixed  string `json:"fixed,omitempty"`
	Source string `json:"source"` // the advisory's file
}

// Report is what a check found.
type Report struct {
	Lockfiles  []*Lockfile `json:"lockfiles"`
	Advisories int         `json:"advisories"`
	// Withdrawn are advisories skipped because they were withdrawn.
	Withdrawn []string  `json:"withdrawn,omitempty"`
	Findings  []Finding `json:"findings"`
	// Unpinned are requirements the check cannot answer for.
	Unpinned []string `json:"unpinned,omitempty"`
	// Unchecked are advisory ranges the check cannot evaluate (GIT ranges,
	// versions an ecosystem cannot parse), with why.
	Unchecked []string `json:"unchecked,omitempty"`
}

// Affected reports whether anything is affected.
func (r *Report) Affected() bool { return len(r.Findings) > 0 }

// Check matches every pinned package against every advisory.
func Check(lockfiles []*Lockfile, advisories []*Advisory) *Report {
	rep := &Report{Lockfiles: lockfiles, Advisories: len(advisories), Findings: []Finding{}}
	type key struct{ eco, name string }
	type pinned struct {
		lf  *Lockfile
		dep Dep
	}
	index := map[key][]pinned{} // every pin of a package, by ecosystem and name
	for _, lf := range lockfiles {
		rep.Unpinned = append(rep.Unpinned, lf.Unpinned...)
		for _, d := range lf.Deps {
			k := key{d.Ecosystem, normName(d.Ecosystem, d.Name)}
			index[k] = append(index[k], pinned{lf, d})
		}
	}
	unchecked := map[string]bool{}
	for _, a := range advisories {
		if !a.Withdrawn.IsZero() {
			rep.Withdrawn = append(rep.Withdrawn, a.ID)
			continue
		}
		for _, af := range a.Affected {
			eco, name := af.Package.Ecosystem, af.Package.Name
			if eco == "" || name == "" {
				eco, name = fromPURL(af.Package.PURL)
			}
			eco = strings.SplitN(eco, ":", 2)[0] // "Debian:11" and the like
			for _, pin := range index[key{eco, normName(eco, name)}] {
				lf, d := pin.lf, pin.dep
				hit, fixed, why := affects(af, eco, d.Version)
				if why != "" && !unchecked[a.ID+why] {
					unchecked[a.ID+why] = true
					rep.Unchecked = append(rep.Unchecked, a.ID+": "+why)
				}
				if !hit {
					continue
				}
				rep.Findings = append(rep.Findings, Finding{
					Lockfile: lf.Path, Ecosystem: eco, Package: d.Name, Version: d.Version, Direct: d.Direct,
					Advisory: a.ID, Aliases: a.Aliases, CVE: a.CVE(), Summary: a.Summary,
					Ranges: rangeTexts(af), Fixed: fixed, Source: a.Source,
				})
			}
		}
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
func affects(af Affected, eco, version string) (bool, string, string) {
	for _, v := range af.Versions {
		if v == version || eco == Go && "v"+v == version {
			return true, fixedAbove(af, eco, version), ""
		}
	}
	ver, err := semantic.Parse(version, eco)
	if err != nil {
		return false, "", fmt.Sprintf("the %s version %q cannot be compared (%v)", eco, version, err)
	}
	cmp := func(s string) (int, bool) {
		if s == "0" {
			return 1, true // everything is above "0"
		}
		c, err := ver.CompareStr(s)
		return c, err == nil
	}
	why := ""
	for _, r := range af.Ranges {
		if r.Type == "GIT" {
			why = "a GIT range (commits, not versions) is not checked"
			continue
		}
		// The events in version order: each introduced opens, each fixed
		// or last_affected closes what the last introduced opened.
		affected, inRange := false, false
		var limitBelow bool
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
		affected = inRange && !limitBelow
		if affected {
			return true, fixedAbove(af, eco, version), why
		}
	}
	return false, "", why
}

// sortedEvents orders a range's events by version ("0" first); an event
// whose version does not parse keeps its place.
func sortedEvents(evs []Event, eco string) []Event {
	out := append([]Event(nil), evs...)
	val := func(e Event) string {
		for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if s != "" {
				return s
			}
		}
		return ""
	}
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

// rangeTexts are an affected entry's ranges for people.
func rangeTexts(af Affected) []string {
	var out []string
	for _, r := range af.Ranges {
		if r.Type == "GIT" {
			continue
		}
		var parts []string
		for _, e := range r.Events {
			switch {
			case e.Introduced != "":
				parts = append(parts, ">= "+e.Introduced)
			case e.Fixed != "":
				parts = append(parts, "< "+e.Fixed)
			case e.LastAffected != "":
				parts = append(parts, "<= "+e.LastAffected)
			case e.Limit != "":
				parts = append(parts, "< "+e.Limit+" (limit)")
			}
		}
		out = append(out, strings.Join(parts, ", "))
	}
	if len(af.Versions) > 0 && len(out) == 0 {
		out = append(out, "versions "+strings.Join(first(af.Versions, 8), ", "))
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string{}, s[:n]...), "…")
	}
	return s
}
