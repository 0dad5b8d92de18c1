package actions

import (
	"context"
	"fmt"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/deps"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// The facts deps.check records from the advisory that affects a lockfile
// (the first, when several do): what the vulnerability disclosure and the
// draft GitHub advisory are filled from.
const (
	FactAdvisoryID       = "advisory_id"
	FactAdvisoryAliases  = "advisory_aliases"
	FactCVE              = "cve_id"
	FactGHSA             = "ghsa_id"
	FactEcosystem        = "ecosystem"
	FactPackage          = "package"
	FactAffectedVersions = "affected_versions"
	FactFixedVersion     = "fixed_version"
	FactVersionInUse     = "version_in_use"
	FactDescription      = "description"
	FactDepsAffected     = "deps_affected"
)

// DepsCheck reads lockfiles and OSV advisories and reports every pinned
// package an advisory affects. It changes nothing. With ExpectNone (the
// step that verifies a fix) its verification fails while anything is
// affected; otherwise the check is the answer, affected or not, and the
// advisory's id, aliases, package, ranges and fixed version become facts.
type DepsCheck struct {
	Lockfiles  []string
	Advisories []string
	ExpectNone bool

	rep *deps.Report
}

// DepsResult is the result of deps.check.
type DepsResult struct {
	V        int          `json:"v,omitempty"`
	Affected bool         `json:"affected"`
	Report   *deps.Report `json:"report"`
}

func (d *DepsCheck) Plan(context.Context) (*Plan, error) {
	what := "which pinned versions they affect"
	if d.ExpectNone {
		what = "that none is still affected"
	}
	return &Plan{Action: NameDepsCheck, Summary: fmt.Sprintf("read %d lockfile(s) and the OSV advisories in %s, and check %s (changes nothing)", len(d.Lockfiles), strings.Join(d.Advisories, ", "), what),
		Changes: append([]string{}, d.Lockfiles...)}, nil
}

func (d *DepsCheck) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	as, err := deps.LoadAdvisories(d.Advisories)
	if err != nil {
		return nil, err
	}
	var lfs []*deps.Lockfile
	for _, p := range d.Lockfiles {
		lf, err := deps.ReadLockfile(p)
		if err != nil {
			return nil, err
		}
		lfs = append(lfs, lf)
	}
	d.rep = deps.Check(lfs, as)
	res := &Result{Data: DepsResult{V: RecordVersion, Affected: d.rep.Affected(), Report: d.rep}}
	pkgs := 0
	for _, lf := range lfs {
		pkgs += len(lf.Deps)
	}
	if !d.rep.Affected() {
		res.Summary = fmt.Sprintf("not affected: %d pinned package(s) in %d lockfile(s) against %d advisory(ies)", pkgs, len(lfs), d.rep.Advisories)
		res.Events = []journal.Entry{incident.FactEntry(FactDepsAffected, "no")}
		return res, nil
	}
	f := d.rep.Findings[0]
	res.Summary = fmt.Sprintf("AFFECTED: %d finding(s); %s %s %s in %s (%s, fixed in %s)", len(d.rep.Findings), f.Ecosystem, f.Package, f.Version, f.Lockfile, f.Advisory, orUnreleased(f.Fixed))
	if d.ExpectNone {
		return res, nil // the fix's check: facts stay as the assessment found them
	}
	facts := [][2]string{
		{FactDepsAffected, "yes"},
		{FactAdvisoryID, f.Advisory},
		{FactEcosystem, f.Ecosystem},
		{FactPackage, f.Package},
		{FactVersionInUse, f.Version},
		{FactAffectedVersions, strings.Join(f.Ranges, "; ")},
	}
	if len(f.Aliases) > 0 {
		facts = append(facts, [2]string{FactAdvisoryAliases, strings.Join(f.Aliases, ", ")})
	}
	if f.CVE != "" {
		facts = append(facts, [2]string{FactCVE, f.CVE})
	}
	for _, a := range append([]string{f.Advisory}, f.Aliases...) {
		if strings.HasPrefix(a, "GHSA-") {
			facts = append(facts, [2]string{FactGHSA, a})
			break
		}
	}
	if f.Fixed != "" {
		facts = append(facts, [2]string{FactFixedVersion, f.Fixed})
	}
	if f.Summary != "" {
		facts = append(facts, [2]string{FactDescription, oneLineText(f.Summary)})
	}
	for _, kv := range facts {
		if kv[1] != "" {
			res.Events = append(res.Events, incident.FactEntry(kv[0], kv[1]))
		}
	}
	return res, nil
}

func (d *DepsCheck) Verify(context.Context, *Result) (*Verification, error) {
	n := len(d.rep.Findings)
	if !d.ExpectNone {
		return &Verification{Checks: []Check{{What: "every lockfile read and every advisory evaluated", OK: true,
			Detail: fmt.Sprintf("%d finding(s), %d advisory(ies) withdrawn, %d range(s) unchecked, %d requirement(s) unpinned", n, len(d.rep.Withdrawn), len(d.rep.Unchecked), len(d.rep.Unpinned))}}}, nil
	}
	c := Check{What: "no pinned version is affected any longer", OK: n == 0}
	if n > 0 {
		f := d.rep.Findings[0]
		c.Detail = fmt.Sprintf("%d finding(s), first %s %s in %s (%s, fixed in %s)", n, f.Package, f.Version, f.Lockfile, f.Advisory, orUnreleased(f.Fixed))
	}
	return &Verification{Checks: []Check{c}}, nil
}

func orUnreleased(s string) string {
	if s == "" {
		return "no release yet"
	}
	return s
}

// oneLineText folds a text onto one line, at most 300 characters.
func oneLineText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
