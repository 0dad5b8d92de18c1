// Package github holds firebreak's GitHub operations. This first part has
// the pieces that need no network: finding the signing workflows in
// workflow files, sealing secrets for the secrets API, and turning GitHub's
// error responses into clear messages.
package github

import (
	"regexp"
	"sort"
	"strings"
)

// DefaultSecretPattern matches the secret names that mark a signing
// workflow: names containing SIGNING or PRIVATE_KEY.
var DefaultSecretPattern = regexp.MustCompile(`(?i)SIGNING|PRIVATE_KEY`)

// secretRefRe finds secrets.NAME and secrets['NAME'] / secrets["NAME"] in
// workflow expressions.
var secretRefRe = regexp.MustCompile(`\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\])`)

// inheritRe finds `secrets: inherit`, which hands every secret to a called
// workflow.
var inheritRe = regexp.MustCompile(`(?m)^\s*secrets\s*:\s*inherit\s*(?:#.*)?$`)

// SecretUse is what a workflow file says about secrets.
type SecretUse struct {
	// Secrets lists every secret the file references, sorted.
	Secrets []string `json:"secrets"`
	// Signing lists those matching the signing pattern.
	Signing []string `json:"signing"`
	// Lines maps each signing secret to the lines that use it.
	Lines map[string][]int `json:"lines,omitempty"`
	// Inherits says the file passes all its secrets to a called workflow
	// (secrets: inherit), which may sign.
	Inherits bool `json:"inherits"`
}

// IsSigning reports whether the workflow uses a signing secret.
func (u SecretUse) IsSigning() bool { return len(u.Signing) > 0 }

// ScanWorkflow reads a workflow file's text for secret references. Comment
// lines are skipped; pattern nil means DefaultSecretPattern.
func ScanWorkflow(text string, pattern *regexp.Regexp) SecretUse {
	if pattern == nil {
		pattern = DefaultSecretPattern
	}
	u := SecretUse{Lines: map[string][]int{}}
	all := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range secretRefRe.FindAllStringSubmatch(line, -1) {
			name := m[1] + m[2]
			all[name] = true
			if pattern.MatchString(name) {
				u.Lines[name] = append(u.Lines[name], i+1)
			}
		}
	}
	for n := range all {
		u.Secrets = append(u.Secrets, n)
		if pattern.MatchString(n) {
			u.Signing = append(u.Signing, n)
		}
	}
	sort.Strings(u.Secrets)
	sort.Strings(u.Signing)
	u.Inherits = inheritRe.MatchString(text)
	if len(u.Lines) == 0 {
		u.Lines = nil
	}
	return u
}
