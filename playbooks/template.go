package playbooks

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Templates in guidance and action arguments name inputs as ${name}; $$ is a
// literal dollar sign.
var refRe = regexp.MustCompile(`\$\$|\$\{([a-z][a-z0-9_]*)\}`)

// refs lists the input names a template refers to, once each, in order.
func refs(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range refRe.FindAllStringSubmatch(s, -1) {
		if m[1] != "" && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// MissingError lists the inputs a template needs that have no value.
type MissingError struct{ Names []string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("missing input %s", strings.Join(e.Names, ", "))
}

// Expand fills a template from facts. Every ${name} must have a non-empty
// value, or the error is a *MissingError naming them all.
func Expand(tmpl string, facts map[string]string) (string, error) {
	var missing []string
	out := refRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		v, ok := facts[name]
		if !ok || v == "" {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", &MissingError{Names: dedupe(missing)}
	}
	return out, nil
}

// ExpandArgs fills every argument of an action.
func ExpandArgs(a *Action, facts map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(a.Args))
	var missing []string
	for k, v := range a.Args {
		s, err := Expand(v, facts)
		if me, ok := err.(*MissingError); ok {
			missing = append(missing, me.Names...)
			continue
		}
		out[k] = s
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &MissingError{Names: dedupe(missing)}
	}
	return out, nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Render fills a template for display: an input without a value shows as
// <name>, so guidance reads well before every fact is known.
func Render(tmpl string, facts map[string]string) string {
	return refRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		if v := facts[name]; v != "" {
			return v
		}
		return "<" + name + ">"
	})
}
