package actions

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/github"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// The actions of a key rotation that the other files do not have: update
// every pinned copy of the public key, point workflows at the new secret,
// check a fingerprint (with openssl too), and verify signatures with a key
// expecting them to hold — or, for the retired key, to fail.

// maxText bounds the text files these actions rewrite.
const maxText = signing.MaxScannedFile

func readText(path string) ([]byte, os.FileMode, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file (a link or a device is never rewritten)", path)
	}
	if fi.Size() > maxText {
		return nil, 0, fmt.Errorf("%s is %d bytes; files up to %d are rewritten", path, fi.Size(), maxText)
	}
	b, err := fsutil.ReadRegular(path, maxText)
	return b, fi.Mode().Perm(), err
}

// UpdatePins rewrites every pinned copy of the old public key in Files —
// key files, PEM blocks in docs and code, fingerprints — to the new key.
type UpdatePins struct {
	Old, New ed25519.PublicKey
	Files    []string

	planned map[string]int // file -> references to replace
}

func (u *UpdatePins) Plan(context.Context) (*Plan, error) {
	if len(u.Files) == 0 {
		return nil, errors.New("key.pin-update: no files to update")
	}
	u.planned = map[string]int{}
	p := &Plan{Action: NameKeyPinUpdate, Destructive: true, Confirm: "update"}
	total := 0
	for _, f := range u.Files {
		b, _, err := readText(f)
		if err != nil {
			return nil, err
		}
		_, n, err := signing.ReplaceKeyReferences(b, u.Old, u.New)
		if err != nil {
			return nil, err
		}
		u.planned[f] = n
		total += n
		if n == 0 {
			p.Changes = append(p.Changes, f+": no reference to the old key (left as it is)")
		} else {
			p.Changes = append(p.Changes, fmt.Sprintf("%s: %d reference(s) to %s → %s", f, n, signing.Fingerprint(u.Old), signing.Fingerprint(u.New)))
		}
	}
	p.Summary = fmt.Sprintf("replace %d reference(s) to the old public key in %d file(s)", total, len(u.Files))
	return p, nil
}

func (u *UpdatePins) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	var updated []string
	for i, f := range u.Files {
		if err := ctx.Err(); err != nil {
			return &Result{Summary: "stopped", Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		progress(Progress{Item: f, Done: int64(i), Total: int64(len(u.Files))})
		b, mode, err := readText(f)
		if err != nil {
			return &Result{Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		out, n, err := signing.ReplaceKeyReferences(b, u.Old, u.New)
		if err != nil {
			return &Result{Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		if n == 0 {
			continue
		}
		if err := fsutil.WriteFileAtomic(f, out, mode); err != nil {
			return &Result{Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		updated = append(updated, f)
	}
	return &Result{Summary: fmt.Sprintf("updated the public key in %d file(s) to %s", len(updated), signing.Fingerprint(u.New)),
		Data: PinsResult{V: RecordVersion, Updated: updated, Old: signing.Fingerprint(u.Old), New: signing.Fingerprint(u.New)}}, nil
}

func (u *UpdatePins) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	for _, f := range u.Files {
		b, _, err := readText(f)
		if err != nil {
			v.Checks = append(v.Checks, Check{What: f + " reads back", Detail: err.Error()})
			continue
		}
		old, nw := signing.CountKeyReferences(b, u.Old), signing.CountKeyReferences(b, u.New)
		c := Check{What: f + " has no reference to the old key", OK: old == 0, Detail: fmt.Sprintf("%d old, %d new", old, nw)}
		if old == 0 && u.planned[f] > 0 && nw < u.planned[f] {
			c.OK, c.Detail = false, fmt.Sprintf("%d reference(s) to the new key where %d were replaced", nw, u.planned[f])
		}
		v.Checks = append(v.Checks, c)
	}
	return v, nil
}

// UseSecret points workflow files at another secret: every
// `secrets.FROM` becomes `secrets.TO`.
type UseSecret struct {
	Files    []string
	From, To string

	planned  map[string]int
	from, to *regexp.Regexp // secrets.FROM and secrets.TO, made by Plan
}

func secretRef(name string) *regexp.Regexp {
	return regexp.MustCompile(`\bsecrets\.` + regexp.QuoteMeta(name) + `\b`)
}

func (u *UseSecret) Plan(context.Context) (*Plan, error) {
	for _, n := range []string{u.From, u.To} {
		if err := github.CheckSecretName(n); err != nil {
			return nil, fmt.Errorf("workflow.use-secret: %w", err)
		}
	}
	if len(u.Files) == 0 {
		return nil, errors.New("workflow.use-secret: no workflow files")
	}
	u.from, u.to = secretRef(u.From), secretRef(u.To)
	u.planned = map[string]int{}
	p := &Plan{Action: NameWorkflowUseSecret, Destructive: true, Confirm: "update"}
	total := 0
	for _, f := range u.Files {
		b, _, err := readText(f)
		if err != nil {
			return nil, err
		}
		n := len(u.from.FindAllIndex(b, -1))
		u.planned[f], total = n, total+n
		if n > 0 {
			p.Changes = append(p.Changes, fmt.Sprintf("%s: %d use(s) of secrets.%s → secrets.%s", f, n, u.From, u.To))
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("workflow.use-secret: no workflow among %d uses secrets.%s", len(u.Files), u.From)
	}
	p.Summary = fmt.Sprintf("point %d use(s) of secret %s at %s", total, u.From, u.To)
	return p, nil
}

func (u *UseSecret) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	var updated []string
	for _, f := range u.Files {
		if u.planned[f] == 0 {
			continue
		}
		b, mode, err := readText(f)
		if err != nil {
			return &Result{Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		out := u.from.ReplaceAll(b, []byte("secrets."+u.To))
		if err := fsutil.WriteFileAtomic(f, out, mode); err != nil {
			return &Result{Data: PinsResult{V: RecordVersion, Updated: updated}}, err
		}
		updated = append(updated, f)
	}
	return &Result{Summary: fmt.Sprintf("%d workflow file(s) now use secret %s", len(updated), u.To), Data: UseSecretResult{V: RecordVersion, Updated: updated, From: u.From, To: u.To}}, nil
}

func (u *UseSecret) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	for _, f := range u.Files {
		n := u.planned[f]
		if n == 0 {
			continue
		}
		b, _, err := readText(f)
		left, now := 0, 0
		if err == nil {
			left, now = len(u.from.FindAllIndex(b, -1)), len(u.to.FindAllIndex(b, -1))
		}
		v.Checks = append(v.Checks, Check{What: f + " uses secrets." + u.To + ", not secrets." + u.From, OK: err == nil && left == 0 && now >= n,
			Detail: fmt.Sprintf("%d use(s) of %s left, %d of %s", left, u.From, now, u.To)})
	}
	return v, nil
}

// CheckFingerprint computes a public key's SHA-256 fingerprint (of the
// SPKI DER), and with openssl too when it is installed, and records it as a
// fact when RecordAs names one.
type CheckFingerprint struct {
	PubPath  string
	Expect   string // optional: the fingerprint it must have
	RecordAs string // optional: the fact to record it as

	fp, viaOpenSSL, opensslErr string
}

func (c *CheckFingerprint) Plan(context.Context) (*Plan, error) {
	p := &Plan{Action: NameKeyFingerprint, Summary: "compute the fingerprint of " + c.PubPath + " (SHA-256 of its SPKI DER), natively and with openssl"}
	if c.RecordAs != "" {
		p.Changes = append(p.Changes, "record it as the fact "+c.RecordAs)
	}
	return p, nil
}

func (c *CheckFingerprint) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	pub, err := signing.LoadPublicKey(c.PubPath, nil)
	if err != nil {
		return nil, err
	}
	c.fp = signing.Fingerprint(pub)
	c.viaOpenSSL, c.opensslErr = opensslFingerprint(ctx, c.PubPath)
	res := &Result{Summary: "fingerprint of " + c.PubPath + ": " + c.fp, Data: FingerprintResult{V: RecordVersion, Fingerprint: c.fp, OpenSSL: c.viaOpenSSL}}
	if c.RecordAs != "" {
		res.Events = append(res.Events, incident.FactEntry(c.RecordAs, c.fp))
	}
	return res, nil
}

func (c *CheckFingerprint) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	if c.Expect != "" {
		want := strings.ToLower(strings.TrimSpace(c.Expect))
		v.Checks = append(v.Checks, Check{What: "fingerprint is the expected " + want, OK: c.fp == want, Detail: c.fp})
	}
	switch {
	case c.opensslErr == errNoOpenSSL.Error():
		v.Checks = append(v.Checks, Check{What: "openssl computes the same fingerprint", OK: true, Skipped: true, Detail: "skipped: openssl is not installed"})
	case c.opensslErr != "":
		v.Checks = append(v.Checks, Check{What: "openssl computes the same fingerprint", Detail: c.opensslErr})
	default:
		v.Checks = append(v.Checks, Check{What: "openssl computes the same fingerprint", OK: c.viaOpenSSL == c.fp, Detail: "openssl: " + c.viaOpenSSL})
	}
	return v, nil
}

var errNoOpenSSL = errors.New("openssl is not installed")

// opensslFingerprint is `openssl pkey -pubin -in PUB -outform DER | sha256`.
func opensslFingerprint(ctx context.Context, pubPath string) (string, string) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		return "", errNoOpenSSL.Error()
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "pkey", "-pubin", "-in", pubPath, "-outform", "DER")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", "openssl pkey: " + strings.TrimSpace(stderr.String()+" "+err.Error())
	}
	sum := sha256.Sum256(out.Bytes())
	return hex.EncodeToString(sum[:]), ""
}

// SignedFile is a file and its detached signature.
type SignedFile struct {
	File string `json:"file"`
	Sig  string `json:"sig"`
}

// ParseSignedFiles reads "FILE SIG" lines; a line with one path means
// FILE and FILE.sig.
func ParseSignedFiles(lines []string) ([]SignedFile, error) {
	var out []SignedFile
	for _, l := range lines {
		f := strings.Fields(l)
		switch len(f) {
		case 1:
			out = append(out, SignedFile{File: f[0], Sig: f[0] + ".sig"})
		case 2:
			out = append(out, SignedFile{File: f[0], Sig: f[1]})
		default:
			return nil, fmt.Errorf("%q is not FILE or FILE SIG", l)
		}
	}
	return out, nil
}

// VerifySignatures checks detached signatures (ClawSec's feed and
// manifests, and the files a checksums manifest lists) and module
// signatures with one public key. ExpectValid false is the check a
// rotation ends with: the retired key must no longer verify the current
// artifacts — each must fail as a bad signature, not for a missing file.
type VerifySignatures struct {
	Pub         ed25519.PublicKey
	Signed      []SignedFile
	Modules     []string
	ExpectValid bool

	checks []Check
}

func (s *VerifySignatures) expect() string {
	if s.ExpectValid {
		return "verifies"
	}
	return "is rejected"
}

func (s *VerifySignatures) Plan(context.Context) (*Plan, error) {
	if len(s.Signed)+len(s.Modules) == 0 {
		return nil, errors.New("signatures.verify: nothing to verify")
	}
	return &Plan{Action: NameSignaturesVerify, Summary: fmt.Sprintf("check that key %s %s: %d signed file(s), %d module(s)",
		signing.Fingerprint(s.Pub)[:16], s.expect(), len(s.Signed), len(s.Modules))}, nil
}

func (s *VerifySignatures) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	s.checks = nil
	total := int64(len(s.Signed) + len(s.Modules))
	add := func(what string, err error) {
		c := Check{What: what + " " + s.expect()}
		switch {
		case s.ExpectValid:
			c.OK = err == nil
			if err != nil {
				c.Detail = err.Error()
			}
		case err == nil:
			c.Detail = "it still verifies with this key"
		case errors.Is(err, signing.ErrBadSignature) || errors.Is(err, wasmsig.ErrNoValid):
			c.OK, c.Detail = true, "rejected: "+err.Error()
		default:
			c.Detail = "could not be checked: " + err.Error()
		}
		s.checks = append(s.checks, c)
	}
	n := int64(0)
	for _, sf := range s.Signed {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress(Progress{Item: sf.File, Done: n, Total: total})
		n++
		_, err := signing.VerifyFile(sf.File, sf.Sig, s.Pub, "")
		add(sf.File+" ("+filepath.Base(sf.Sig)+")", err)
		if err == nil && s.ExpectValid && isManifest(sf.File) {
			s.checks = append(s.checks, manifestChecks(sf.File)...)
		}
	}
	for _, m := range s.Modules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress(Progress{Item: m, Done: n, Total: total})
		n++
		raw, err := wasmsig.ReadFile(m)
		if err == nil {
			_, err = wasmsig.Verify(raw, s.Pub, wasmsig.VerifyOptions{})
		}
		add(m, err)
	}
	ok := 0
	for _, c := range s.checks {
		if c.OK {
			ok++
		}
	}
	return &Result{Summary: fmt.Sprintf("%d of %d check(s) as expected: key %s %s", ok, len(s.checks), signing.Fingerprint(s.Pub)[:16], s.expect()),
		Data: SignaturesResult{V: RecordVersion, Fingerprint: signing.Fingerprint(s.Pub), ExpectValid: s.ExpectValid, Checks: s.checks}}, nil
}

func (s *VerifySignatures) Verify(context.Context, *Result) (*Verification, error) {
	return &Verification{Checks: s.checks}, nil
}

func isManifest(path string) bool {
	return strings.HasPrefix(filepath.Base(path), "checksums") && filepath.Ext(path) == ".json"
}

// manifestChecks re-hashes the files a verified checksums manifest lists,
// relative to the manifest's directory.
func manifestChecks(path string) []Check {
	b, err := os.ReadFile(path)
	if err != nil {
		return []Check{{What: path + " reads", Detail: err.Error()}}
	}
	pm, err := signing.ParseManifest(b)
	if err != nil {
		return []Check{{What: path + " parses as a checksums manifest", Detail: err.Error()}}
	}
	var out []Check
	for _, name := range slices.Sorted(maps.Keys(pm.Entries)) {
		want := pm.Entries[name]
		if !signing.SafeRelative(name) {
			out = append(out, Check{What: path + " entry " + name, Detail: "not a safe relative path"})
			continue
		}
		f := filepath.Join(filepath.Dir(path), filepath.FromSlash(name))
		got, err := sha256File(f)
		c := Check{What: name + " matches " + filepath.Base(path), OK: err == nil && got == want, Detail: want}
		if err != nil {
			c.Detail = err.Error()
		} else if got != want {
			c.Detail = "sha256 " + got + ", manifest says " + want
		}
		out = append(out, c)
	}
	return out
}

// sha256File hashes a file in a stream.
func sha256File(path string) (string, error) {
	sum, _, err := evidence.HashFile(context.Background(), path)
	return sum, err
}

// VerifyOpenSSL verifies detached signatures with openssl, the "one
// external client" a rotation is checked with: `openssl pkeyutl -verify
// -pubin -inkey PUB -rawin -in FILE -sigfile SIG.bin`. Without openssl the
// checks are skipped and say so.
type VerifyOpenSSL struct {
	PubPath string
	Signed  []SignedFile
	Scratch string // a directory for the decoded signatures

	checks []Check
}

func (o *VerifyOpenSSL) Plan(context.Context) (*Plan, error) {
	if len(o.Signed) == 0 {
		return nil, errors.New("signatures.openssl: nothing to verify")
	}
	return &Plan{Action: NameSignaturesOpenssl, Summary: fmt.Sprintf("verify %d signature(s) with openssl and %s", len(o.Signed), o.PubPath)}, nil
}

func (o *VerifyOpenSSL) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	o.checks = nil
	bin, err := exec.LookPath("openssl")
	if err != nil {
		for _, sf := range o.Signed {
			o.checks = append(o.checks, Check{What: "openssl verifies " + sf.File, OK: true, Skipped: true, Detail: "skipped: openssl is not installed"})
		}
		return &Result{Summary: "openssl is not installed: external verification skipped", Data: SignaturesResult{V: RecordVersion, Skipped: true, Checks: o.checks}}, nil
	}
	tmp, err := os.MkdirTemp(o.Scratch, ".openssl-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for i, sf := range o.Signed {
		c := Check{What: "openssl verifies " + sf.File}
		text, err := os.ReadFile(sf.Sig)
		var raw []byte
		if err == nil {
			raw, err = signing.ParseSignature(text)
		}
		if err != nil {
			c.Detail = err.Error()
			o.checks = append(o.checks, c)
			continue
		}
		bin64 := filepath.Join(tmp, fmt.Sprintf("sig-%d.bin", i))
		if err := os.WriteFile(bin64, raw, 0o600); err != nil {
			return nil, err
		}
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, "pkeyutl", "-verify", "-pubin", "-inkey", o.PubPath, "-rawin", "-in", sf.File, "-sigfile", bin64)
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		said := strings.TrimSpace(out.String())
		c.OK = err == nil && strings.Contains(said, "Signature Verified Successfully")
		c.Detail = "openssl: " + firstLine(said)
		o.checks = append(o.checks, c)
	}
	return &Result{Summary: fmt.Sprintf("openssl checked %d signature(s)", len(o.Signed)), Data: SignaturesResult{V: RecordVersion, Checks: o.checks}}, nil
}

func (o *VerifyOpenSSL) Verify(context.Context, *Result) (*Verification, error) {
	return &Verification{Checks: o.checks}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
