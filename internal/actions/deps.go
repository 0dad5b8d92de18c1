package actions

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/firebreak-dev/firebreak/internal/deps"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/textutil"
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
	FactPatchedVersions  = "patched_versions"
	FactFixedVersion     = "fixed_version"
	FactVersionInUse     = "version_in_use"
	FactDescription      = "description"
	FactDepsAffected     = "deps_affected"
	FactReachCommand     = "reach_command"
	FactUpdateCommand    = "update_command"
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
	// KeepFacts records the check but not its facts: a check run by hand
	// beside the incident (deps check --incident without --step) does not
	// rewrite what the assessment recorded.
	KeepFacts bool

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
	// A lockfile that is not there, or not one firebreak reads, is named
	// before anything runs: the fact is what to correct.
	for _, p := range d.Lockfiles {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("lockfiles: %w (correct the fact lockfiles)", err)
		}
		if !deps.IsLockfile(p) {
			return nil, fmt.Errorf("lockfiles: %s is not a lockfile firebreak reads (Cargo.lock, go.mod, package-lock.json, requirements*.txt, poetry.lock): correct the fact lockfiles", p)
		}
	}
	for _, p := range d.Advisories {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("advisories: %w (correct the fact advisories)", err)
		}
	}
	return &Plan{Action: NameDepsCheck, Summary: fmt.Sprintf("read %d lockfile(s) and the OSV advisories in %s, and check %s (changes nothing)", len(d.Lockfiles), strings.Join(d.Advisories, ", "), what),
		Changes: append([]string{}, d.Lockfiles...)}, nil
}

func (d *DepsCheck) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	rep, err := deps.Run(d.Lockfiles, d.Advisories)
	if err != nil {
		return nil, err
	}
	d.rep = rep
	res := &Result{Data: DepsResult{V: RecordVersion, Affected: rep.Affected(), Report: rep}}
	pkgs := 0
	for _, lf := range rep.Lockfiles {
		pkgs += len(lf.Deps)
	}
	unsure := ""
	if !rep.Complete() {
		unsure = fmt.Sprintf("; %d advisory file(s) unread, %d package(s) undecided", rep.UnreadCount, rep.UndecidedCount)
	}
	if !rep.Affected() {
		answer := "no"
		res.Summary = fmt.Sprintf("not affected: %d pinned package(s) in %d lockfile(s) against %d advisory(ies)", pkgs, len(rep.Lockfiles), rep.Advisories)
		if !rep.Complete() {
			answer = "unknown"
			res.Summary = fmt.Sprintf("no answer: nothing found affected in %d pinned package(s) by the %d advisory(ies) read%s", pkgs, rep.Advisories, unsure)
		}
		// The fix's check, passing, says so too: the facts then read "no".
		if !d.KeepFacts && (!d.ExpectNone || rep.Complete()) {
			res.Events = []journal.Entry{incident.FactEntry(FactDepsAffected, answer)}
		}
		return res, nil
	}
	f := rep.Findings[0]
	var each []string
	for _, f := range rep.Findings[:min(len(rep.Findings), 3)] {
		each = append(each, clip(fmt.Sprintf("%s %s %s in %s (%s, fixed in %s)", f.Ecosystem, f.Package, f.Version, f.Lockfile, f.Advisory, orUnreleased(f.Fixed)), 300))
	}
	more := ""
	if n := rep.FindingsTotal - len(each); n > 0 {
		more = fmt.Sprintf("; and %d more (firebreak deps check lists them)", n)
	}
	if rep.FindingsTotal > 1 && !d.ExpectNone && !d.KeepFacts {
		more += "; the facts are the first's"
	}
	res.Summary = scrub(fmt.Sprintf("AFFECTED: %d finding(s); %s%s%s", rep.FindingsTotal, strings.Join(each, "; "), more, unsure))
	if d.ExpectNone || d.KeepFacts {
		return res, nil // the fix's check: facts stay as the assessment found them
	}
	for _, kv := range findingFacts(f) {
		res.Events = append(res.Events, incident.FactEntry(kv[0], kv[1]))
	}
	return res, nil
}

// findingFacts are the facts a finding gives, every value one line of
// plain text: an advisory is input from outside, and its text reaches the
// journal, the disclosure and GitHub. Control and bidirectional
// characters are shown as escapes; what looks like a secret is hidden.
func findingFacts(f deps.Finding) [][2]string {
	cve := f.CVE
	if !cveRe().MatchString(cve) {
		cve = ""
	}
	facts := [][2]string{
		{FactDepsAffected, "yes"},
		{FactAdvisoryID, f.Advisory},
		{FactEcosystem, f.Ecosystem},
		{FactPackage, f.Package},
		{FactVersionInUse, f.Version},
		{FactAffectedVersions, strings.Join(f.Ranges, "; ")},
		{FactPatchedVersions, strings.Join(f.Patched, "; ")},
		{FactAdvisoryAliases, strings.Join(f.Aliases, ", ")},
		{FactCVE, cve},
		{FactFixedVersion, f.Fixed},
		{FactDescription, oneLineText(f.Summary)},
	}
	if reach, update := commands(f); update != "" {
		facts = append(facts, [2]string{FactReachCommand, reach}, [2]string{FactUpdateCommand, update})
	}
	// The GitHub advisory id, from the advisory's aliases first: an
	// advisory's own id is the one OSV gave it.
	for _, a := range append(append([]string{}, f.Aliases...), f.Advisory) {
		if ghsaRe().MatchString(a) {
			facts = append(facts, [2]string{FactGHSA, a})
			break
		}
	}
	out := facts[:0]
	for _, kv := range facts {
		v := clip(scrub(kv[1]), 500) // a fact is a line, whatever the advisory holds
		if kv[0] == FactPatchedVersions && strings.Trim(v, "; ") == "" {
			v = ""
		}
		if v != "" {
			out = append(out, [2]string{kv[0], v})
		}
	}
	return out
}

// commands are the finding's ecosystem's commands that show who pulls
// the package in (and, for Go, whether the vulnerable code is called), and
// that move it to the fixed version: shown in INC-4's guidance, to be
// pasted. None when a name or version holds anything a shell would read
// (they come from the lockfile and the advisory), or when there is no
// fixed version to move to.
func commands(f deps.Finding) (reach, update string) {
	if f.Fixed == "" || !shellSafeRe().MatchString(f.Package) || !shellSafeRe().MatchString(f.Fixed) {
		return "", ""
	}
	p, v := f.Package, f.Fixed
	switch f.Ecosystem {
	case deps.CratesIO:
		return "cargo tree -i " + p, "cargo update -p " + p + " --precise " + v
	case deps.Go:
		if p == "stdlib" || p == "toolchain" {
			return "govulncheck ./...", "go get toolchain@" + v + "   # and build with Go " + strings.TrimPrefix(v, "go") + " or later"
		}
		return "govulncheck ./... && go mod why -m " + p, "go get " + p + "@" + v + " && go mod tidy"
	case deps.NPM:
		return "npm explain " + p, "npm install " + p + "@" + v + "   # or an overrides entry when another package pulls it in"
	case deps.PyPI:
		return "pip show " + p + "   # Required-by", "pip install '" + p + "==" + v + "'   # and pin it in the requirements"
	}
	return "", ""
}

var (
	shellSafeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9@][A-Za-z0-9._@/+-]*$`) })
	ghsaRe      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`) })
	cveRe       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })
)

func (d *DepsCheck) Verify(context.Context, *Result) (*Verification, error) {
	n := d.rep.FindingsTotal
	// An advisory that could not be read, or a package it names that the
	// check cannot tell about, leaves "not affected" (and the fix's check)
	// without an answer; "affected" stands.
	read := Check{What: "every advisory read and decided", OK: d.rep.Complete() || d.rep.Affected() && !d.ExpectNone}
	switch {
	case d.rep.UnreadCount > 0:
		read.Detail = scrub(fmt.Sprintf("%d could not be read, first %s", d.rep.UnreadCount, d.rep.Unread[0]))
	case d.rep.UndecidedCount > 0:
		read.Detail = scrub(fmt.Sprintf("%d package(s) undecided, first %s", d.rep.UndecidedCount, d.rep.Undecided[0]))
	}
	if !d.ExpectNone {
		return &Verification{Checks: []Check{read, {What: "every lockfile read and every advisory evaluated", OK: true,
			Detail: fmt.Sprintf("%d finding(s), %d advisory(ies) withdrawn, %d range(s) unchecked, %d requirement(s) unpinned", n, len(d.rep.Withdrawn), len(d.rep.Unchecked), len(d.rep.Unpinned))}}}, nil
	}
	c := Check{What: "no pinned version is affected any longer", OK: n == 0}
	if n > 0 {
		f := d.rep.Findings[0]
		c.Detail = clip(scrub(fmt.Sprintf("still affected: %d finding(s), first %s %s in %s (%s, fixed in %s)", n, f.Package, f.Version, f.Lockfile, f.Advisory, orUnreleased(f.Fixed))), 500)
	}
	return &Verification{Checks: []Check{read, c}}, nil
}

func orUnreleased(s string) string {
	if s == "" {
		return "no release yet"
	}
	return s
}

// scrub is text from outside as a record line: one line, control
// characters as escapes, secrets hidden.
func scrub(s string) string { return string(redact.Scrub([]byte(textutil.Line(s)))) }

// clip shortens s to n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
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
