// Package playbooks loads, validates and serves firebreak's declarative
// playbooks: YAML files with an id, version, title, kind, default severity,
// indicators, typed inputs and phases of steps. The shipped playbooks are
// embedded; more can be loaded from directories.
//
// The package has no UI imports: the console and the CLI consume it.
package playbooks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/severity"
)

// Kinds of playbook.
const (
	KindIncident  = "incident"
	KindDrill     = "drill"
	KindProcedure = "procedure"
)

// Playbook is one parsed, validated playbook.
type Playbook struct {
	ID         string         `json:"id"`
	Version    string         `json:"version"`
	Title      string         `json:"title"`
	Kind       string         `json:"kind"`
	Severity   severity.Level `json:"severity"`
	Source     string         `json:"source,omitempty"`
	Summary    string         `json:"summary,omitempty"`
	Indicators []string       `json:"indicators,omitempty"`
	Inputs     []Input        `json:"inputs,omitempty"`
	Phases     []Phase        `json:"phases"`

	// File is where the playbook was read from ("embedded:inc-1.yaml" for a
	// shipped one); Digest is the SHA-256 of its bytes; Raw the bytes.
	File   string `json:"file"`
	Digest string `json:"digest"`
	Raw    []byte `json:"-"`
}

// Input types.
const (
	TypeString = "string"
	TypeText   = "text"
	TypePath   = "path"
	TypeFile   = "file"
	TypeDir    = "dir"
	TypeHex    = "hex"
	TypeRepo   = "repo"
	TypeTime   = "time"
	TypeURL    = "url"
	// TypePaths is one or more files or directories: one per line, or
	// separated by commas; each is recorded absolute, one per line.
	TypePaths = "paths"
)

var inputTypes = []string{TypeString, TypeText, TypePath, TypeFile, TypeDir, TypeHex, TypeRepo, TypeTime, TypeURL, TypePaths}

// MultiLine reports whether an input's value may span lines.
func (in Input) MultiLine() bool { return in.Type == TypeText || in.Type == TypePaths }

// Input is a typed fact the playbook needs.
type Input struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Default     string `json:"default,omitempty"`
	// Recorded: an action records it (deps.check's advisory facts); the
	// new-incident form does not ask for it.
	Recorded bool `json:"recorded,omitempty"`
}

// Phase groups steps.
type Phase struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Deadline time.Duration `json:"deadline,omitempty"`
	Steps    []Step        `json:"steps"`
}

// Step is one thing a responder does.
type Step struct {
	ID        string   `json:"id"`
	Number    string   `json:"number"` // "1.2": phase and step position
	Title     string   `json:"title"`
	Guidance  string   `json:"guidance,omitempty"` // Markdown
	Checklist []string `json:"checklist,omitempty"`
	RACI      RACI     `json:"raci"`
	// Deadline is relative to the incident's opening; the phase's deadline
	// when the step has none of its own.
	Deadline time.Duration `json:"deadline,omitempty"`
	Action   *Action       `json:"action,omitempty"`
	Phase    string        `json:"phase"`
	// Approval, when set, is a second person's sign-off the step needs
	// before it is run (ClawSec's custody: the security owner approves key
	// lifecycle changes).
	Approval *Approval `json:"approval,omitempty"`
}

// Approval says when a step needs approval and who may give it.
type Approval struct {
	// When is the least severe level at which approval is needed; zero:
	// always. (SEV-1: only at Critical / SEV-1.)
	When severity.Level `json:"when,omitempty"`
	// By are the roles whose holders may approve; the incident commander
	// always may.
	By []string `json:"by"`
}

// DefaultApprovers are the roles that approve when a step names none:
// ClawSec's security owner (and, always, the incident commander).
var DefaultApprovers = []string{"Security owner"}

// RoleCommander is the role that leads the incident; it is handed off, not
// assigned.
const RoleCommander = "commander"

// Needed reports whether the approval applies at severity sev.
func (a *Approval) Needed(sev severity.Level) bool {
	return a != nil && (a.When == 0 || sev <= a.When)
}

// Text says when and from whom: "at SEV-1 (Critical), from the commander
// or Security owner", or "from the commander or Security owner" when
// always.
func (a *Approval) Text() string {
	who := "from the " + strings.Join(append([]string{RoleCommander}, a.By...), " or ")
	switch a.When {
	case 0:
		return who
	case severity.Critical:
		return "at SEV-1 (Critical), " + who
	}
	return "at " + a.When.SEV() + " (" + a.When.String() + ") or worse, " + who
}

// RACI names who is Responsible, Accountable, Consulted and Informed.
type RACI struct {
	Responsible []string `json:"responsible,omitempty"`
	Accountable []string `json:"accountable,omitempty"`
	Consulted   []string `json:"consulted,omitempty"`
	Informed    []string `json:"informed,omitempty"`
}

// String is the compact form: "R/A: System integrator; C: WSC maintainers; I: End user".
func (r RACI) String() string {
	var parts []string
	join := func(s []string) string { return strings.Join(s, ", ") }
	if join(r.Responsible) == join(r.Accountable) && len(r.Responsible) > 0 {
		parts = append(parts, "R/A: "+join(r.Responsible))
	} else {
		if len(r.Responsible) > 0 {
			parts = append(parts, "R: "+join(r.Responsible))
		}
		if len(r.Accountable) > 0 {
			parts = append(parts, "A: "+join(r.Accountable))
		}
	}
	if len(r.Consulted) > 0 {
		parts = append(parts, "C: "+join(r.Consulted))
	}
	if len(r.Informed) > 0 {
		parts = append(parts, "I: "+join(r.Informed))
	}
	return strings.Join(parts, "; ")
}

// Action names the executor that does a step's work and its arguments,
// templated from inputs with ${name}.
type Action struct {
	Name string            `json:"name"`
	Args map[string]string `json:"args,omitempty"`
}

// Steps returns every step in order.
func (p *Playbook) Steps() []Step {
	var out []Step
	for _, ph := range p.Phases {
		out = append(out, ph.Steps...)
	}
	return out
}

// Step finds a step by id or by number ("1.2"), case-insensitively.
func (p *Playbook) Step(ref string) (Step, bool) {
	for _, ph := range p.Phases {
		for _, s := range ph.Steps {
			if strings.EqualFold(s.ID, ref) || s.Number == ref {
				return s, true
			}
		}
	}
	return Step{}, false
}

// StepIDs lists the step ids, for hints.
func (p *Playbook) StepIDs() []string {
	var out []string
	for _, s := range p.Steps() {
		out = append(out, s.ID)
	}
	return out
}

// Input finds an input by name.
func (p *Playbook) Input(name string) (Input, bool) {
	for _, in := range p.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

// InputNames lists the input names, sorted.
func (p *Playbook) InputNames() []string {
	var out []string
	for _, in := range p.Inputs {
		out = append(out, in.Name)
	}
	sort.Strings(out)
	return out
}

// FormatDuration writes a deadline as the playbooks do: 30m, 4h, 7d.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
