// Package redact recognises secrets — private key material and access
// tokens — so that they never enter the journal, messages, exports or logs.
// It is the one filter every path in goes through: the journal refuses
// events that hold a secret (incident.Record), messages refuse to be written
// with one (comms.Write), and exports and logs are scrubbed on the way out
// (Writer).
package redact

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// A pattern is one kind of secret, with triggers: substrings every match
// contains (letters only where the pattern's case is fixed). A text
// holding none of a pattern's triggers cannot match it, so its regexp need
// not run: that keeps Find and Scrub at memchr speed on the usual text.
type pattern struct {
	name     string
	re       *regexp.Regexp
	triggers [][]byte
}

func (p *pattern) mayMatch(b []byte) bool {
	for _, t := range p.triggers {
		if bytes.Contains(b, t) {
			return true
		}
	}
	return false
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, t := range s {
		out[i] = []byte(t)
	}
	return out
}

// The patterns match anywhere, inside words too: a token glued to a name
// (GITHUB_TOKEN_ghp_…, xghp_…, ghp_…_suffix) is still a token. They are
// compiled on first use: most commands never see a trigger, and every one
// of them pays package initialisation at start-up.
var patterns = sync.OnceValue(func() []pattern {
	return []pattern{
		{"a PEM private key", regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`), bs("PRIVATE KEY-----")},
		{"an OpenSSH private key", regexp.MustCompile(`-----BEGIN OPENSSH PRIVATE KEY-----|b3BlbnNzaC1rZXktdjE`), bs("PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjE")},
		// The DER of an Ed25519 PKCS#8 private key (RFC 8410), v1 and v2, as
		// base64 without its armour and as hex; a SEC1 P-256 key likewise.
		{"an Ed25519 private key (PKCS#8 DER)", regexp.MustCompile(`MC4CAQAwBQYDK2VwBCIEI|MFECAQEwBQYDK2VwBCIEI|(?i:302e020100300506032b657004220420|3051020101300506032b657004220420)`), bs("wBQYDK2VwBCIEI", "300506032")},
		{"an EC private key (SEC1 DER)", regexp.MustCompile(`MHcCAQEEI[A-Za-z0-9+/]{20}`), bs("MHcCAQEEI")},
		// A PEM private key as base64 (how CI secrets often hold one):
		// "-----BEGIN", then "PRIVATE KEY" at any of its three alignments.
		{"a base64-encoded PEM private key", regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]{0,60}?(?:UFJJVkFURSBLRVk|SVZBVEUgS0VZ|UklWQVRFIEtFW)`), bs("LS0tLS1CRUdJTi")},
		// The base64 DER of RSA (PKCS#8 and PKCS#1) and EC (PKCS#8) keys,
		// without their armour.
		{"an RSA private key (PKCS#8 DER)", regexp.MustCompile(`MII[A-Za-z0-9+/]{3}IBADANBgkqhkiG9w0BAQEFAASC`), bs("IBADANBgkqhkiG9w0BAQEFAASC")},
		{"an RSA private key (PKCS#1 DER)", regexp.MustCompile(`MII[A-Za-z0-9+/]{3}IBAAKC[AQgY][A-Za-z0-9+/]EA`), bs("IBAAKC")},
		{"an EC private key (PKCS#8 DER)", regexp.MustCompile(`MIG[A-Za-z0-9+/]AgEAMB[AM]GByqGSM49AgEG`), bs("GByqGSM49AgEG")},
		{"a GitHub token", regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}`), bs("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")},
		{"a GitLab token", regexp.MustCompile(`glpat-[A-Za-z0-9_-]{20,}`), bs("glpat-")},
		{"an AWS access key id", regexp.MustCompile(`AKIA[0-9A-Z]{16}`), bs("AKIA")},
		{"a Slack token", regexp.MustCompile(`xox[abpors]-[A-Za-z0-9-]{10,}`), bs("xox")},
		{"a minisign/wsc secret key", regexp.MustCompile(`untrusted comment: minisign encrypted secret key`), bs("untrusted comment: minisign")},
		// A URL's password (https://deploy:s3cret@git.example.com): the
		// user may stay, the password may not.
		{"a password in a URL", regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s]*[^/\s@][^/\s]*@`), bs("://")},
	}
})

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
	for i := range patterns() {
		p := &patterns()[i]
		if p.mayMatch(b) && p.re.Match(b) {
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

// Scrub returns b with every secret replaced by [REDACTED: kind]. It
// returns b itself when there is none.
func Scrub(b []byte) []byte {
	for i := range patterns() {
		p := &patterns()[i]
		if p.mayMatch(b) && p.re.Match(b) {
			b = p.re.ReplaceAllLiteral(b, []byte("[REDACTED: "+p.name+"]"))
		}
	}
	return b
}

// maxHeld is the longest partial line a Writer holds back.
const maxHeld = 1 << 20

// Writer scrubs what goes through it, line by line, so that a secret split
// across two writes is still seen. Close (or Flush) writes what is held.
type Writer struct {
	w    io.Writer
	held []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write scrubs and passes on every complete line; the rest is held. A
// line longer than maxHeld is cut where no token can continue (a byte that
// is in no token's or base64's alphabet), so nothing is held without
// bound and no token or key body is split. (A PEM or minisign header cut
// at one of its spaces is not recognised; their bodies still are. The
// journal refuses all of these when they are written: this is the net
// under records made before a pattern was known.)
func (s *Writer) Write(p []byte) (int, error) {
	buf := p
	if len(s.held) > 0 {
		s.held = append(s.held, p...)
		buf = s.held
	}
	end := bytes.LastIndexByte(buf, '\n') + 1
	if end == 0 && len(buf) >= maxHeld {
		end = cutPoint(buf)
	}
	if end > 0 {
		if _, err := s.w.Write(Scrub(buf[:end])); err != nil {
			return 0, err
		}
	}
	rest := buf[end:]
	if len(s.held) > 0 {
		s.held = append(s.held[:0], rest...)
	} else {
		s.held = append(s.held, rest...)
	}
	return len(p), nil
}

// cutPoint is the end of the last byte of b that no secret can contain.
func cutPoint(b []byte) int {
	for i := len(b) - 1; i > 0; i-- {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+' || c == '/' || c == '=') {
			return i + 1
		}
	}
	return len(b) // one unbroken token of a megabyte: pass it on scrubbed
}

// Flush writes what is held.
func (s *Writer) Flush() error {
	if len(s.held) == 0 {
		return nil
	}
	_, err := s.w.Write(Scrub(s.held))
	s.held = s.held[:0]
	return err
}

// FindReader is Find over a stream of any length (see Finder).
func FindReader(r io.Reader) (string, error) {
	var f Finder
	return f.Find(r)
}

// A Finder runs Find over streams of any length, in windows of 4 MiB that
// overlap by maxHeld bytes, so a secret up to that long is seen whole
// wherever the windows fall. Memory stays at one window, allocated once
// and reused from stream to stream (a sync scans every file it commits).
type Finder struct{ buf []byte }

// Find returns the kind of the first secret in r, or "".
func (f *Finder) Find(r io.Reader) (string, error) {
	const window = 4 << 20
	if f.buf == nil {
		f.buf = make([]byte, 0, window+maxHeld)
	}
	buf := f.buf[:0]
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if what := Find(buf); what != "" {
			return what, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		keep := min(maxHeld, len(buf))
		copy(buf, buf[len(buf)-keep:])
		buf = buf[:keep]
	}
}
