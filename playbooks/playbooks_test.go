package playbooks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/severity"
)

func TestShippedPlaybooksLoad(t *testing.T) {
	lib, err := Load(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := lib.Get("inc-1")
	if !ok {
		t.Fatal("INC-1 is not shipped")
	}
	if p.Severity != severity.Critical || p.Kind != KindIncident || len(p.Indicators) != 4 {
		t.Fatalf("INC-1 header: %+v", p)
	}
	if got := len(p.Phases); got != 3 {
		t.Fatalf("INC-1 has %d phases", got)
	}
	if p.Phases[0].Deadline != 30*time.Minute || p.Phases[1].Deadline != 24*time.Hour {
		t.Fatalf("deadlines: %v %v", p.Phases[0].Deadline, p.Phases[1].Deadline)
	}
	s, ok := p.Step("1.1")
	if !ok || s.ID != "isolate-key" || s.Deadline != 30*time.Minute || s.RACI.String() != "R/A: System integrator; C: WSC maintainers; I: End user" {
		t.Fatalf("step 1.1: %+v", s)
	}
	if s, _ := p.Step("RESIGN-MODULES"); s.Number != "2.2" {
		t.Fatalf("lookup by id: %+v", s)
	}
	// The runbook's non-existent wsc commands are not recommended.
	for _, st := range p.Steps() {
		for _, bad := range []string{"wsc info ", "keygen -p", "--secretkey "} {
			if strings.Contains(st.Guidance, bad) && !strings.Contains(st.Guidance, "does not exist") {
				t.Errorf("step %s recommends %q", st.ID, bad)
			}
		}
	}
}

func TestValidationErrorsHavePositions(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"broken YAML", "id: [INC\n", []string{"t.yaml:1:1: YAML: did not find expected"}},
		{"not a mapping", "- a\n", []string{"t.yaml:1:1: playbook must be a mapping"}},
		{"unknown field and missing fields", "id: X-1\ntitel: oops\n", []string{
			`t.yaml:1:1: playbook is missing "version"`,
			`t.yaml:2:1: unknown field "titel" in playbook`,
		}},
		{"everything wrong", `id: inc1
version: 1
title: T
kind: party
severity: urgent
inputs:
  - {name: key_path, type: file, title: K}
  - {name: key_path, type: blob, title: K2}
phases:
  - id: one
    title: One
    deadline: 30m
    steps:
      - id: a
        title: A
        deadline: 45m
        raci: {responsible: X, accountable: X}
        guidance: uses ${nope}
      - id: a
        title: A again
        deadline: soon
        raci: {responsible: X, accountable: X, owner: Y}
        action:
          name: Key.Isolate
          args:
            path: ${key_path}/${missing}
`, []string{
			`t.yaml:5:11: unknown severity "urgent"`,
			`t.yaml:8:28: input "key_path" has unknown type "blob"`,
			`t.yaml:21:19: step deadline: bad duration "soon"`,
			`t.yaml:22:48: unknown field "owner" in raci`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml), Options{})
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestSemanticValidation(t *testing.T) {
	const base = `id: X-1
version: "1"
title: T
kind: incident
severity: high
inputs:
  - {name: key_path, type: file, title: K}
phases:
  - id: one
    title: One
    deadline: 30m
    steps:
      - id: a
        title: A
        deadline: 45m
        raci: {responsible: X, accountable: X}
        guidance: uses ${nope}
      - id: a
        title: A again
        raci: {responsible: X, accountable: X}
        action:
          name: key.isolate
          args:
            path: ${key_path}/${missing}
            cost: $$5
`
	checker := func(name string, args map[string]string) []string {
		if _, ok := args["to"]; !ok {
			return []string{"action " + name + " needs argument \"to\""}
		}
		return nil
	}
	_, err := Parse("t.yaml", []byte(base), Options{Actions: checker})
	for _, w := range []string{
		`t.yaml:13:13: step "a" deadline 45m is after its phase's 30m`,
		`t.yaml:17:19: step "a" guidance refers to unknown input ${nope}`,
		`t.yaml:18:13: duplicate step id "a"`,
		`t.yaml:24:19: action argument "path" refers to unknown input ${missing}`,
		`t.yaml:22:17: step "a": action key.isolate needs argument "to"`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestLoadDirectoryOverridesAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	b, _ := embedded.ReadFile("inc-1.yaml")
	custom := regexp.MustCompile(`(?m)^version: "[0-9]+"`).ReplaceAllString(string(b), `version: "1-local"`)
	os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte(custom), 0o600)
	lib, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := lib.Get("INC-1"); p.Version != "1-local" || p.File != filepath.Join(dir, "mine.yaml") {
		t.Fatalf("override not taken: %s %s", p.Version, p.File)
	}
	os.WriteFile(filepath.Join(dir, "again.yml"), []byte(custom), 0o600)
	if _, err := Load([]string{dir}, Options{}); err == nil || !strings.Contains(err.Error(), "also defined in") {
		t.Fatalf("duplicate id in one directory: %v", err)
	}
	if _, err := Load([]string{filepath.Join(dir, "nope")}, Options{}); err == nil {
		t.Fatal("missing directory accepted")
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		from State
		verb string
		to   State
		ok   bool
	}{
		{Pending, VerbStart, Started, true},
		{Pending, VerbDone, Done, true},
		{Pending, VerbSkip, Skipped, true},
		{Started, VerbDone, Done, true},
		{Started, VerbFail, Failed, true},
		{Started, VerbStart, Started, false},
		{Failed, VerbStart, Started, true},
		{Failed, VerbDone, Done, true},
		{Failed, VerbFail, Failed, false},
		{Done, VerbStart, Done, false},
		{Done, VerbDone, Done, false},
		{Done, VerbReopen, Pending, true},
		{Skipped, VerbReopen, Pending, true},
		{Pending, VerbReopen, Pending, false},
		{Pending, "finish", Pending, false},
	} {
		got, err := Transition("s", tc.from, tc.verb)
		if (err == nil) != tc.ok || got != tc.to {
			t.Errorf("%s --%s--> %s, %v; want %s ok=%v", tc.from, tc.verb, got, err, tc.to, tc.ok)
		}
	}
	for _, v := range Verbs {
		if VerbOf(KindOf(v)) != v {
			t.Errorf("verb %s does not round-trip", v)
		}
	}
}

func TestExpand(t *testing.T) {
	facts := map[string]string{"key_path": "/k/x.sec", "empty": ""}
	got, err := Expand("mv ${key_path} /off; cost $$5", facts)
	if err != nil || got != "mv /k/x.sec /off; cost $5" {
		t.Fatalf("%q %v", got, err)
	}
	_, err = Expand("${b} ${a} ${empty} ${a}", facts)
	var me *MissingError
	if !errors.As(err, &me) || strings.Join(me.Names, ",") != "a,b,empty" {
		t.Fatalf("%v", err)
	}
	if got := Render("mv ${key_path} ${offline_dir}", facts); got != "mv /k/x.sec <offline_dir>" {
		t.Fatalf("render %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "4h": 4 * time.Hour, "7d": 7 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
		if got, _ := ParseDuration(FormatDuration(want)); got != want {
			t.Errorf("format round trip of %v", want)
		}
	}
	for _, bad := range []string{"", "0m", "-1h", "soon", "1.5d", "d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParse: any bytes give a playbook or Errors with positions, never a
// panic; a parsed playbook has numbered steps with unique ids.
func FuzzParse(f *testing.F) {
	names, _ := filepathGlob()
	if len(names) == 0 {
		f.Fatal("no shipped playbooks to seed the fuzzer")
	}
	for _, n := range names {
		b, _ := embedded.ReadFile(n)
		f.Add(b)
	}
	f.Add([]byte("id: X\nphases: [{id: a, title: A, steps: [{id: s, title: S, raci: {responsible: R, accountable: A}}]}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("id: X\nphases: [{id: a, title: A, steps: [{id: s, title: S, raci: {responsible: R, accountable: A}, approval: {when: SEV-2, by: [K]}}]}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("f.yaml", b, Options{})
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not Errors: %T %v", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range p.Steps() {
			if seen[s.ID] || s.Number == "" {
				t.Fatalf("step %q duplicated or unnumbered", s.ID)
			}
			seen[s.ID] = true
			if a := s.Approval; a != nil && (len(a.By) == 0 || slices.ContainsFunc(a.By, func(r string) bool { return strings.EqualFold(r, RoleCommander) })) {
				t.Fatalf("step %q approval by %v", s.ID, a.By)
			}
		}
	})
}

func TestApprovalField(t *testing.T) {
	base := "id: X\nversion: \"1\"\ntitle: T\nkind: incident\nseverity: high\nphases: [{id: a, title: A, steps: [{id: s, title: S, raci: {responsible: R, accountable: A}, approval: %s}]}]\n"
	for _, c := range []struct {
		yaml, when, by, err string
	}{
		{"required", "", "Security owner", ""},
		{"SEV-1", "Critical", "Security owner", ""},
		{"high", "High", "Security owner", ""},
		{"SEV-3", "Low", "Security owner", ""},
		{"medium", "Medium", "Security owner", ""},
		{"{when: SEV-2, by: [Key custodian, Release manager]}", "High", "Key custodian,Release manager", ""},
		{"{when: required, by: Key custodian}", "", "Key custodian", ""},
		{"sometimes", "", "", "approval must be required or a severity"},
		{"{by: [X]}", "", "", "when"},
		{"{when: required, by: [Commander]}", "", "", "the commander always approves"},
		{"{when: required, who: [X]}", "", "", "who"},
		{"[required]", "", "", "approval must be text"},
	} {
		p, err := Parse("x.yaml", []byte(fmt.Sprintf(base, c.yaml)), Options{})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("approval %s: error %v, want %q", c.yaml, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("approval %s: %v", c.yaml, err)
			continue
		}
		s, _ := p.Step("s")
		when := ""
		if s.Approval.When != 0 {
			when = s.Approval.When.String()
		}
		if when != c.when || strings.Join(s.Approval.By, ",") != c.by {
			t.Errorf("approval %s: when %q by %v", c.yaml, when, s.Approval.By)
		}
	}
}

func filepathGlob() ([]string, error) {
	ents, err := embedded.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, err
}

func TestTransitionErrorsReadAsSentences(t *testing.T) {
	for _, tc := range []struct {
		from State
		verb string
		want string
	}{
		{Done, VerbDone, "step s1 is done: cannot mark it done"},
		{Done, VerbStart, "step s1 is done: cannot start it"},
		{Skipped, VerbFail, "step s1 is skipped: cannot mark it failed"},
		{Pending, VerbReopen, "step s1 is pending: cannot reopen it"},
	} {
		_, err := Transition("s1", tc.from, tc.verb)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s on %s: %v, want %q", tc.verb, tc.from, err, tc.want)
		}
	}
}

// TestDeadlineNone: a step that waits on others has no deadline, even in a
// phase that has one; its neighbours keep the phase's.
func TestDeadlineNone(t *testing.T) {
	lib, err := Load(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := lib.Get("INC-3")
	if !ok {
		t.Fatal("no INC-3")
	}
	for id, want := range map[string]time.Duration{"monitor-sigstore-advisories": 0, "wait-all-clear": 0, "audit-recent-signatures": 30 * time.Minute, "reverify-modules": 24 * time.Hour} {
		s, ok := p.Step(id)
		if !ok || s.Deadline != want {
			t.Errorf("%s: deadline %v, want %v", id, s.Deadline, want)
		}
	}
	bad := "id: X-1\nversion: \"1\"\ntitle: t\nkind: incident\nseverity: high\nphases:\n  - id: a\n    title: A\n    steps:\n      - id: s\n        title: S\n        deadline: never\n"
	if _, err := Parse("x.yaml", []byte(bad), Options{}); err == nil || !strings.Contains(err.Error(), "never") {
		t.Fatalf("deadline: never: %v", err)
	}
}
