// Package redact recognises secrets — private key blocks and access tokens —
// so that they never enter the journal, exports or logs.
package redact

import (
	"fmt"
	"regexp"
)

// A pattern is one kind of secret.
type pattern struct {
	name string
	re   *regexp.Regexp
}

var patterns = []pattern{
	{"a PEM private key", regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)},
	{"an OpenSSH private key", regexp.MustCompile(`-----BEGIN OPENSSH PRIVATE KEY-----`)},
	{"a GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`)},
	{"an AWS access key id", regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abpors]-[A-Za-z0-9-]{10,}\b`)},
	{"a minisign/wsc secret key", regexp.MustCompile(`untrusted comment: minisign encrypted secret key`)},
}

// SecretError says that text looked like a secret; it never repeats it.
type SecretError struct {
	Where string
	What  string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("%s looks like it contains %s; secrets never go into the incident record", e.Where, e.What)
}

// Find returns the kind of the first secret found in b, or "".
func Find(b []byte) string {
	for _, p := range patterns {
		if p.re.Match(b) {
			return p.name
		}
	}
	return ""
}

// Check returns a *SecretError when b contains a secret.
func Check(where string, b []byte) error {
	if what := Find(b); what != "" {
		return &SecretError{Where: where, What: what}
	}
	return nil
}
