package signing

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// A Finding is one key or fingerprint found by CheckConsistency.
type Finding struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	What        string `json:"what"` // "key file (spki-pem)", "PEM PUBLIC KEY block", "fingerprint"
	Fingerprint string `json:"fingerprint,omitempty"`
	OK          bool   `json:"ok"`
	Problem     string `json:"problem,omitempty"`
}

// MaxScannedFile bounds the text files CheckConsistency reads.
const MaxScannedFile = 16 << 20

var (
	pemBlockRe = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]*KEY)-----(.*?)-----END ([A-Z0-9 ]*KEY)-----`)
	hexTokenRe = regexp.MustCompile(`\b[0-9a-fA-F]{64}\b`)
	fpLineRe   = regexp.MustCompile(`(?i)fingerprint|pubkey|public[_ -]?key|sha-?256`)
	b64Junk    = strings.NewReplacer(`\n`, "", `\r`, "", `"`, "", `'`, "", "`", "", "+\n", "", ",", "", ";", "")
)

// CheckConsistency checks that every key file, and every PEM key block or
// fingerprint found in the given text files, has the pinned fingerprint —
// the drift guard ClawSec runs in CI. A text file with nothing to check is
// a finding too: a guard that silently checks nothing is worse than none.
func CheckConsistency(pin string, files []string, pass Passphrase) ([]Finding, error) {
	pin = strings.ToLower(strings.TrimSpace(pin))
	if !hex64.MatchString(pin) {
		return nil, fmt.Errorf("--pin %q is not a SHA-256 fingerprint (64 hex digits)", pin)
	}
	var out []Finding
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", f)
		}
		if fi.Size() > MaxScannedFile {
			return nil, fmt.Errorf("%s is %d bytes; files up to %d are scanned", f, fi.Size(), MaxScannedFile)
		}
		b, err := fsutil.ReadRegular(f, MaxScannedFile)
		if err != nil {
			return nil, err
		}
		if k, ok := keyFile(b, f, pass); ok {
			out = append(out, finding(f, 1, "key file ("+k.Form+")", k.Fingerprint(), pin))
			continue
		}
		found := scanText(f, string(b), pin, pass)
		if len(found) == 0 {
			found = append(found, Finding{File: f, What: "nothing", Problem: "no key, PEM key block or fingerprint found"})
		}
		out = append(out, found...)
	}
	return out, nil
}

// keyFile reads b as one key file: a single PEM block with nothing but
// white space around it, or a DER, raw or OpenSSH key. A text holding
// several blocks, or a block among other text, is not a key file: each of
// its blocks must be checked (the first being right says nothing of the
// others).
func keyFile(b []byte, name string, pass Passphrase) (*Key, bool) {
	if blocks := pemBlockRe.FindAllIndex(b, 2); len(blocks) > 1 ||
		(len(blocks) == 1 && len(bytes.TrimSpace(b[:blocks[0][0]]))+len(bytes.TrimSpace(b[blocks[0][1]:])) > 0) {
		return nil, false
	}
	k, err := ParseKey(b, name, pass)
	return k, err == nil
}

func finding(file string, line int, what, fp, pin string) Finding {
	f := Finding{File: file, Line: line, What: what, Fingerprint: fp, OK: fp == pin}
	if !f.OK {
		f.Problem = "fingerprint " + fp + " is not the pinned " + pin
	}
	return f
}

func lineOf(s string, off int) int { return strings.Count(s[:off], "\n") + 1 }

func scanText(file, s, pin string, pass Passphrase) []Finding {
	var out []Finding
	covered := [][2]int{}
	for _, m := range pemBlockRe.FindAllStringSubmatchIndex(s, -1) {
		covered = append(covered, [2]int{m[0], m[1]})
		line := lineOf(s, m[0])
		typ := s[m[2]:m[3]]
		what := "PEM " + typ + " block"
		// Blocks inside source code may carry quotes, \n escapes and
		// indentation: keep only the base64.
		body := strings.Join(strings.Fields(b64Junk.Replace(s[m[4]:m[5]])), "")
		der, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			out = append(out, Finding{File: file, Line: line, What: what, Problem: "the block's base64 does not decode"})
			continue
		}
		k, err := ParseKey(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), fmt.Sprintf("%s:%d", file, line), pass)
		if err != nil {
			out = append(out, Finding{File: file, Line: line, What: what, Problem: err.Error()})
			continue
		}
		out = append(out, finding(file, line, what, k.Fingerprint(), pin))
	}
	for _, m := range hexTokenRe.FindAllStringIndex(s, -1) {
		inBlock := false
		for _, c := range covered {
			if m[0] >= c[0] && m[1] <= c[1] {
				inBlock = true
			}
		}
		start := strings.LastIndexByte(s[:m[0]], '\n') + 1
		end := strings.IndexByte(s[m[1]:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += m[1]
		}
		if inBlock || !fpLineRe.MatchString(s[start:end]) {
			continue
		}
		out = append(out, finding(file, lineOf(s, m[0]), "fingerprint", strings.ToLower(s[m[0]:m[1]]), pin))
	}
	return out
}

// ReplaceKeyReferences rewrites the references to the old public key in a
// text — PEM key blocks whose key is old, and the old key's fingerprint
// (any case) — to the new key, as a rotation must do for every pinned copy.
// A file that is itself the old key (PEM, DER or raw) becomes the new key
// as PEM. It returns the new text and how many references it replaced;
// a PEM block it cannot read is left alone (CheckConsistency reports it).
func ReplaceKeyReferences(b []byte, old, new ed25519.PublicKey) ([]byte, int, error) {
	oldFP, newFP := Fingerprint(old), Fingerprint(new)
	newPEM, err := MarshalPublicKeyPEM(new)
	if err != nil {
		return nil, 0, err
	}
	if k, ok := keyFile(b, "", nil); ok && !pemBlockRe.Match(b) {
		// A DER, raw or OpenSSH key file becomes the new key as PEM; a PEM
		// file is rewritten block by block below, keeping its layout.
		if k.Fingerprint() != oldFP {
			return b, 0, nil
		}
		return newPEM, 1, nil
	}
	s := string(b)
	n := 0
	s = pemBlockRe.ReplaceAllStringFunc(s, func(block string) string {
		m := pemBlockRe.FindStringSubmatch(block)
		body := strings.Join(strings.Fields(b64Junk.Replace(m[2])), "")
		der, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return block
		}
		k, err := ParseKey(pem.EncodeToMemory(&pem.Block{Type: m[1], Bytes: der}), "", nil)
		if err != nil || k.Fingerprint() != oldFP {
			return block
		}
		n++
		return strings.TrimRight(string(newPEM), "\n")
	})
	s = hexTokenRe.ReplaceAllStringFunc(s, func(tok string) string {
		if strings.ToLower(tok) != oldFP {
			return tok
		}
		n++
		return newFP
	})
	return []byte(s), n, nil
}

// CountKeyReferences counts the references to pub in a text, as
// ReplaceKeyReferences finds them.
func CountKeyReferences(b []byte, pub ed25519.PublicKey) int {
	_, n, _ := ReplaceKeyReferences(b, pub, pub)
	return n
}
