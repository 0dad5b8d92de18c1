package app

import (
	"github.com/firebreak-dev/firebreak/internal/actions"
)

func init() {
	register(entry{Spec: actions.Spec{Name: actions.NameDepsCheck,
		Summary:  "check lockfiles (Cargo.lock, go.mod, package-lock.json, requirements.txt, poetry.lock) against OSV advisories (a file, a directory, an OSV.dev zip); records the advisory's facts; with expect: none, fails while anything is affected",
		Required: []string{"lockfiles", "advisories"}, Optional: []string{"expect"}},
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
