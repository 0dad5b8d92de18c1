package app

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Args are an action's arguments by the names its spec gives. A step's
// arguments are strings expanded from the facts, a list one item per line;
// a direct command gives its lists as they are (a file name may hold a
// newline or begin with a space, and must not be split or trimmed).
type Args struct {
	vals  map[string]string
	lists map[string][]string
}

// Values makes arguments from strings (a step's, a flag's).
func Values(m map[string]string) Args {
	return Args{vals: maps.Clone(m)}
}

// With returns the arguments with name set to v; "" leaves it out. The
// receiver is not changed.
func (a Args) With(name, v string) Args {
	if v == "" {
		return a
	}
	a.vals = maps.Clone(a.vals)
	if a.vals == nil {
		a.vals = map[string]string{}
	}
	a.vals[name] = v
	return a
}

// WithList returns the arguments with the list name set to items, exactly;
// an empty list leaves it out.
func (a Args) WithList(name string, items []string) Args {
	if len(items) == 0 {
		return a
	}
	a.lists = maps.Clone(a.lists)
	if a.lists == nil {
		a.lists = map[string][]string{}
	}
	a.lists[name] = slices.Clone(items)
	return a
}

// Get is a single-valued argument ("" when not given).
func (a Args) Get(name string) string { return a.vals[name] }

// Bool is a flag argument: "true" (or "yes") is true.
func (a Args) Bool(name string) bool {
	v := strings.ToLower(strings.TrimSpace(a.vals[name]))
	return v == "true" || v == "yes"
}

// List is a list argument: as given, or a string's non-blank lines.
func (a Args) List(name string) []string {
	if l, ok := a.lists[name]; ok {
		return l
	}
	var out []string
	for _, l := range strings.Split(a.vals[name], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (a Args) has(name string) bool {
	if _, ok := a.lists[name]; ok {
		return true
	}
	_, ok := a.vals[name]
	return ok
}

// StepArgs fills the arguments of step's action from the facts. An optional
// argument whose facts are missing is left out; a required one makes a
// *actions.MissingFactsError naming every missing fact.
func StepArgs(step playbooks.Step, facts map[string]string) (Args, error) {
	if step.Action == nil {
		return Args{}, fmt.Errorf("step %s (%s) is done by hand: it has no action", step.Number, step.Title)
	}
	e := table[step.Action.Name]
	required := map[string]bool{}
	for _, r := range e.Spec.Required {
		required[r] = true
	}
	out := map[string]string{}
	seen := map[string]bool{}
	var missing []string
	for k, tmpl := range step.Action.Args {
		v, err := playbooks.Expand(tmpl, facts)
		var me *playbooks.MissingError
		if errors.As(err, &me) {
			if required[k] {
				for _, n := range me.Names {
					if !seen[n] {
						seen[n] = true
						missing = append(missing, n)
					}
				}
			}
			continue
		}
		if err != nil {
			return Args{}, fmt.Errorf("step %s argument %s: %w", step.ID, k, err)
		}
		out[k] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Args{}, &actions.MissingFactsError{Step: step.ID, Names: missing}
	}
	return Values(out), nil
}

// CheckArgs checks a playbook step's action against the table: the name
// exists, every required argument is given, and no argument is unknown. It
// has the shape playbooks.Options.Actions wants.
func CheckArgs(name string, args map[string]string) []string {
	e, ok := table[name]
	if !ok {
		return []string{fmt.Sprintf("unknown action %q (known: %s)", name, strings.Join(Names(), ", "))}
	}
	spec := e.Spec
	all := append(slices.Clone(spec.Required), spec.Optional...)
	var out []string
	for _, r := range spec.Required {
		if _, ok := args[r]; !ok {
			out = append(out, fmt.Sprintf("action %s needs argument %q", name, r))
		}
	}
	for _, k := range sortedKeys(args) {
		if !slices.Contains(all, k) {
			out = append(out, fmt.Sprintf("action %s has no argument %q (arguments: %s)", name, k, strings.Join(all, ", ")))
		}
	}
	return out
}

// Names lists every action a step can name, sorted.
func Names() []string {
	return sortedKeys(table)
}

// Spec is the action's name, summary and arguments.
func Spec(name string) (actions.Spec, bool) {
	e, ok := table[name]
	return e.Spec, ok
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MarkdownTable is the table of actions docs/playbooks.md shows: each
// action, its arguments (optional ones in brackets) and what it does,
// written from the table itself.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Action | Arguments (optional in brackets) | What it does |\n|---|---|---|\n")
	quote := func(names []string) string {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = "`" + n + "`"
		}
		return strings.Join(q, ", ")
	}
	for _, n := range Names() {
		spec := table[n].Spec
		args := quote(spec.Required)
		if len(spec.Optional) > 0 {
			args = strings.TrimSpace(args + " [" + quote(spec.Optional) + "]")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, args, strings.ReplaceAll(spec.Summary, "|", `\|`))
	}
	return b.String()
}
