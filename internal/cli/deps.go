package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/deps"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

var cmdDepsCheck = &command{
	name:    "deps check",
	args:    "LOCKFILE... --advisory FILE|DIR|ZIP... [--incident ID [--step STEP] [--expect none]] [--json]",
	summary: "Which of these lockfiles (Cargo.lock, go.mod with its go.sum, package-lock.json, requirements.txt,\npoetry.lock) pin a version an OSV advisory affects (a JSON file, a directory of them, an OSV.dev export\nzip)? Each finding: package, ecosystem, version, advisory and aliases, ranges, first fixed version.\nExit 1 when anything is affected, 0 when nothing is, 2 on input it cannot read (named with where;\nin a directory or zip of advisories the rest is still read, but nothing is then called unaffected).\nWith --incident it runs as the deps.check action: with --step it records the advisory's facts.",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var advisories multiFlag
		fs.Var(&advisories, "advisory", "OSV advisories: a JSON `FILE`, a directory, or an OSV.dev zip (repeatable)")
		inc := incidentFlag(fs)
		expect := fs.String("expect", "", "with --incident: none, to fail while anything is affected (the fix's check)")
		pf := pipelineFlags(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			if len(advisories) == 0 {
				return usagef("firebreak deps check go.mod --advisory GO-2024-3321.json (a file, a directory of advisories, or an osv.dev zip)", "--advisory is required")
			}
			if *inc != "" {
				i, err := a.load(*inc)
				if err != nil {
					return err
				}
				args := app.Args{}.With("lockfiles", strings.Join(args, "\n")).With("advisories", strings.Join(advisories, "\n")).With("expect", *expect)
				if pf.step == "" {
					// A check beside the incident: recorded, but it does
					// not rewrite the facts the assessment recorded.
					args = args.With("facts", "keep")
				}
				out, err := a.act(i, pf, sessionOpts{}, actions.NameDepsCheck, args)
				if out != nil && out.Result != nil {
					if r, ok := out.Result.Data.(actions.DepsResult); ok && !r.Affected && !r.Report.Complete() {
						return noAnswer(r.Report) // exit 2, as without --incident
					}
				}
				if err != nil {
					return badInput(err)
				}
				if out == nil || out.Result == nil {
					return nil // a dry run
				}
				if r, ok := out.Result.Data.(actions.DepsResult); ok && r.Affected {
					return errSilent
				}
				return nil
			}
			rep, err := deps.Run(args, advisories)
			if err != nil {
				return badInput(err)
			}
			if a.json {
				if err := a.jsonVerdict(rep, !rep.Affected()); err != nil || rep.Affected() || rep.Complete() {
					return err
				}
				return noAnswer(rep)
			}
			a.printDeps(rep)
			switch {
			case rep.Affected():
				return errSilent
			case !rep.Complete():
				return noAnswer(rep)
			}
			return nil
		}
	},
}

// noAnswer is a check that found nothing but could not read or decide
// everything: exit 2, never "not affected".
func noAnswer(rep *deps.Report) error {
	return &usageError{msg: fmt.Sprintf("no answer: nothing found affected, but %d advisory file(s) could not be read and %d package(s) could not be decided (named in the output)", rep.UnreadCount, rep.UndecidedCount),
		hint: "fix or remove the unread files (or give the advisory for this incident on its own); pin the undecided packages to exact versions"}
}

// badInput is an advisory or lockfile that cannot be read: exit 2, named.
func badInput(err error) error {
	var ie *deps.InputError
	if !errors.As(err, &ie) {
		return err
	}
	hint := "lockfiles are read by their names: Cargo.lock, go.mod (with its go.sum), package-lock.json, requirements*.txt (or any .txt in a requirements folder), poetry.lock"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint = "check the path: it is read from where the command runs"
	case ie.Advisory:
		hint = "an OSV advisory is JSON as osv.dev, RustSec, the Go vulnerability database and GitHub publish it: a file, a directory of them, or an osv.dev export zip"
	}
	return &usageError{msg: err.Error(), hint: hint}
}

func (a *invocation) printDeps(rep *deps.Report) {
	for _, f := range rep.Findings {
		direct := ""
		if f.Direct {
			direct = " (direct)"
		}
		if f.Minimum {
			direct = " (the least version it names; check the toolchain that builds: go version)"
		}
		a.printf("AFFECTED  %s %s %s%s in %s\n", textutil.Line(f.Ecosystem), textutil.Line(f.Package), textutil.Line(f.Version), direct, textutil.Name(f.Lockfile))
		ids := textutil.Line(f.Advisory)
		if len(f.Aliases) > 0 {
			ids += " (" + textutil.Line(strings.Join(f.Aliases, ", ")) + ")"
		}
		if f.Summary != "" {
			ids += ": " + string(redact.Scrub([]byte(textutil.Line(f.Summary))))
		}
		a.printf("          %s\n", ids)
		fixed := "no fixed version yet"
		if f.Fixed != "" {
			fixed = "first fixed " + textutil.Line(f.Fixed)
		}
		a.printf("          affected %s; %s\n", textutil.Line(strings.Join(f.Ranges, "; ")), fixed)
	}
	pkgs := 0
	for _, lf := range rep.Lockfiles {
		pkgs += len(lf.Deps)
	}
	for _, u := range first(rep.Unpinned, 10) {
		a.printf("UNPINNED  %s (no exact version: cannot tell)\n", string(redact.Scrub([]byte(textutil.Line(u)))))
	}
	for _, u := range first(rep.Unchecked, 10) {
		a.printf("UNCHECKED %s\n", textutil.Line(u))
	}
	for _, u := range first(rep.Undecided, 10) {
		a.printf("UNDECIDED %s\n", textutil.Line(u))
	}
	if rep.UndecidedCount > len(first(rep.Undecided, 10)) {
		a.printf("UNDECIDED … %d in all\n", rep.UndecidedCount)
	}
	for _, u := range first(rep.Unread, 10) {
		a.printf("UNREAD    %s\n", textutil.Line(u))
	}
	if rep.UnreadCount > len(first(rep.Unread, 10)) {
		a.printf("UNREAD    … %d in all\n", rep.UnreadCount)
	}
	verdict := "not affected"
	if rep.Affected() {
		verdict = "AFFECTED"
	}
	if !rep.Affected() && !rep.Complete() {
		verdict = "NO ANSWER"
	}
	if len(rep.Findings) < rep.FindingsTotal {
		a.printf("… %d more finding(s) not listed (--json lists the first %d too)\n", rep.FindingsTotal-len(rep.Findings), len(rep.Findings))
	}
	a.printf("%s: %d finding(s) in %d lockfile(s) (%d pinned package(s)), %d advisory(ies) read", verdict, rep.FindingsTotal, len(rep.Lockfiles), pkgs, rep.Advisories)
	if len(rep.Withdrawn) > 0 {
		a.printf(", %d withdrawn and skipped (%s)", len(rep.Withdrawn), textutil.Line(strings.Join(first(rep.Withdrawn, 5), ", ")))
	}
	a.printf("\n")
}
