package app

import (
	"path/filepath"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

func init() {
	register(entry{Spec: actions.Spec{Name: actions.NameDepsCheck,
		Summary:  "check lockfiles (Cargo.lock, go.mod, package-lock.json, requirements.txt, poetry.lock) against OSV advisories (a file, a directory, an OSV.dev zip); records the advisory's facts (not with facts: keep); with expect: none, fails while anything is affected or an advisory cannot be read",
		Required: []string{"lockfiles", "advisories"}, Optional: []string{"expect", "facts"}},
		build: buildDepsCheck})
}

func buildDepsCheck(b *builder) (actions.Action, error) {
	d := &actions.DepsCheck{Lockfiles: b.args.List("lockfiles"), Advisories: b.args.List("advisories")}
	switch e := b.args.Get("expect"); e {
	case "", "any":
	case "none":
		d.ExpectNone = true
	default:
		return nil, b.formErr("expect", errString("expect is none (the fix's check) or any, not "+e))
	}
	switch f := b.args.Get("facts"); f {
	case "", "record":
	case "keep":
		d.KeepFacts = true
	default:
		return nil, b.formErr("facts", errString("facts is record (the assessment) or keep (a check beside it), not "+f))
	}
	// Relative to where the command or console started: made absolute
	// here, so the plan and the record name the files checked.
	for _, l := range [][]string{d.Lockfiles, d.Advisories} {
		for i, p := range l {
			if a, err := filepath.Abs(fsutil.ExpandHome(p)); err == nil {
				l[i] = a
			}
		}
	}
	if len(d.Lockfiles) == 0 {
		return nil, b.formErr("lockfiles", errString("no lockfile given"))
	}
	if len(d.Advisories) == 0 {
		return nil, b.formErr("advisories", errString("no advisory given"))
	}
	return d, nil
}

type errString string

func (e errString) Error() string { return string(e) }
