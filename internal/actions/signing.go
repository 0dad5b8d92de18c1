package actions

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// GenerateKey writes a new Ed25519 key pair.
type GenerateKey struct {
	Prefix     string
	Format     string // pem | wsc
	Passphrase []byte // pem only: encrypt the private key
	// Dir, when set, is the directory Prefix is in, created 0700 when
	// missing (an incident's newkeys/); a link or a file there is refused.
	Dir string
	// RecordAs, when set, is the fact the prefix is recorded as, so the
	// steps after this one find the key where it was written.
	RecordAs string

	pub     ed25519.PublicKey
	written []string
}

func (g *GenerateKey) files() (priv, pub string) {
	if g.Format == "wsc" {
		return g.Prefix + ".sec", g.Prefix + ".pub"
	}
	return g.Prefix + ".pem", g.Prefix + ".pub.pem"
}

// Plan names the two files; it refuses to overwrite.
func (g *GenerateKey) Plan(ctx context.Context) (*Plan, error) {
	if g.Format != "pem" && g.Format != "wsc" {
		return nil, fmt.Errorf("key format %q: use pem or wsc", g.Format)
	}
	if g.Format == "wsc" && len(g.Passphrase) > 0 {
		return nil, errors.New("wsc key files cannot be encrypted; use --format pem")
	}
	if err := g.checkDir(); err != nil {
		return nil, err
	}
	priv, pub := g.files()
	for _, p := range []string{priv, pub} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists; firebreak never overwrites a key", p)
		}
	}
	enc := ""
	if len(g.Passphrase) > 0 {
		enc = ", encrypted (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)"
	}
	p := &Plan{Action: NameKeyGenerate, Summary: "generate an Ed25519 key pair: " + priv + " and " + pub,
		Changes: []string{"write private key " + priv + " (mode 0600" + enc + ")", "write public key " + pub + " (mode 0644)"}}
	if g.RecordAs != "" {
		p.Changes = append(p.Changes, "record "+g.Prefix+" as the fact "+g.RecordAs)
	}
	return p, nil
}

// checkDir refuses a Dir that is not a real directory (a link could send
// the new private key anywhere).
func (g *GenerateKey) checkDir() error {
	if g.Dir == "" {
		return nil
	}
	if filepath.Dir(g.Prefix) != g.Dir {
		return fmt.Errorf("%s is not a name directly in %s", g.Prefix, g.Dir)
	}
	fi, err := os.Lstat(g.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // created by Execute
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is a %s, not a directory: new keys are written only into a real directory", g.Dir, fsutil.TypeName(fi.Mode()))
	}
	return nil
}

// Execute generates and writes the key pair.
func (g *GenerateKey) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	var privB, pubB []byte
	switch {
	case g.Format == "wsc":
		privB, pubB = signing.MarshalWscSecret(priv), signing.MarshalWscPublic(pub)
	case len(g.Passphrase) > 0:
		if privB, err = signing.MarshalEncryptedPrivateKeyPEM(priv, g.Passphrase); err != nil {
			return nil, err
		}
		pubB, _ = signing.MarshalPublicKeyPEM(pub)
	default:
		privB, _ = signing.MarshalPrivateKeyPEM(priv)
		pubB, _ = signing.MarshalPublicKeyPEM(pub)
	}
	defer clear(privB)
	privPath, pubPath := g.files()
	if g.Dir != "" {
		if err := g.checkDir(); err != nil {
			return nil, err
		}
		if err := os.Mkdir(g.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if err := g.checkDir(); err != nil { // a link put there since
			return nil, err
		}
	}
	if err := writeNew(privPath, privB, 0o600); err != nil {
		return nil, err
	}
	g.written = append(g.written, privPath)
	if err := writeNew(pubPath, pubB, 0o644); err != nil {
		// A private key nobody recorded and whose public half is
		// missing is no use to anyone, and must not lie about.
		if rerr := os.Remove(privPath); rerr == nil {
			g.written = g.written[:0]
		}
		return nil, err
	}
	g.written = append(g.written, pubPath)
	g.pub = pub
	fp := signing.Fingerprint(pub)
	id := fmt.Sprintf("%x", signing.WscKeyID(pub))
	res := &Result{
		Summary: fmt.Sprintf("generated Ed25519 key %s: fingerprint %s, wsc key id %s", pubPath, fp, id),
		Data:    GenerateResult{V: RecordVersion, PrivateKey: privPath, PublicKey: pubPath, Fingerprint: fp, KeyID: id, Format: g.Format, Encrypted: len(g.Passphrase) > 0},
	}
	if g.RecordAs != "" {
		res.Events = append(res.Events, incident.FactEntry(g.RecordAs, g.Prefix))
	}
	return res, nil
}

// Verify reads both files back and checks they hold the generated key.
func (g *GenerateKey) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	privPath, pubPath := g.files()
	v := &Verification{}
	pass := func() ([]byte, error) { return append([]byte(nil), g.Passphrase...), nil }
	k, err := signing.LoadKey(privPath, pass)
	v.Checks = append(v.Checks, check("private key "+privPath+" reads back", err == nil && k.Private != nil && k.Public.Equal(g.pub), err))
	p, err := signing.LoadKey(pubPath, nil)
	v.Checks = append(v.Checks, check("public key "+pubPath+" reads back", err == nil && p.Public.Equal(g.pub), err))
	if fi, err := os.Stat(privPath); err == nil {
		v.Checks = append(v.Checks, Check{What: "private key mode", OK: fi.Mode().Perm() == 0o600, Detail: fmt.Sprintf("%04o", fi.Mode().Perm())})
	}
	return v, nil
}

func check(what string, ok bool, err error) Check {
	c := Check{What: what, OK: ok}
	if err != nil {
		c.Detail = err.Error()
	}
	return c
}

// writeNew creates path (never overwriting) with b, fsyncs it and its
// directory.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(path))
}

// SignFile writes a ClawSec-style detached signature of a file.
type SignFile struct {
	File string
	Out  string
	Key  ed25519.PrivateKey

	sig []byte
}

// Plan names the signature file.
func (s *SignFile) Plan(ctx context.Context) (*Plan, error) {
	fi, err := os.Stat(s.File)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", s.File)
	}
	verb := "write"
	if _, err := os.Lstat(s.Out); err == nil {
		verb = "replace"
	}
	return &Plan{Action: NameFileSign, Summary: fmt.Sprintf("sign %s with key %s into %s", s.File, signing.Fingerprint(s.Key.Public().(ed25519.PublicKey)), s.Out),
		Changes:     []string{verb + " " + s.Out + " (base64 Ed25519 signature, 88 bytes, no newline)"},
		Destructive: verb == "replace", Confirm: "replace"}, nil
}

// Execute signs the file.
func (s *SignFile) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	data, err := signing.ReadSignedFile(s.File)
	if err != nil {
		return nil, err
	}
	s.sig = signing.SignDetached(s.Key, data)
	if err := fsutil.WriteFileAtomic(s.Out, s.sig, 0o644); err != nil {
		return nil, err
	}
	fp := signing.Fingerprint(s.Key.Public().(ed25519.PublicKey))
	return &Result{Summary: fmt.Sprintf("signed %s into %s with key %s", s.File, s.Out, fp),
		Data: SignFileResult{V: RecordVersion, File: s.File, Signature: s.Out, Fingerprint: fp}}, nil
}

// Verify reads the signature back and checks it over the file as it is now.
func (s *SignFile) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	data, err := signing.ReadSignedFile(s.File)
	if err != nil {
		return nil, err
	}
	sig, err := os.ReadFile(s.Out)
	if err != nil {
		return nil, err
	}
	_, verr := signing.VerifyDetached(s.Key.Public().(ed25519.PublicKey), data, sig, "")
	return &Verification{Checks: []Check{check("signature "+s.Out+" verifies over "+s.File, verr == nil && bytes.Equal(sig, s.sig), verr)}}, nil
}

// MakeChecksums writes a checksums manifest (and optionally its signature).
type MakeChecksums struct {
	Files   []string
	Out     string
	SignKey ed25519.PrivateKey // nil: no signature
	SigOut  string
	Meta    signing.Manifest // version, repository, tag
	Now     func() time.Time

	names map[string]string // manifest key -> file
}

// Plan lists the entries.
func (m *MakeChecksums) Plan(ctx context.Context) (*Plan, error) {
	dir := filepath.Dir(m.Out)
	m.names = map[string]string{}
	var keys []string
	for _, f := range m.Files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", f)
		}
		rel, err := relTo(dir, f)
		if err != nil {
			return nil, err
		}
		if _, dup := m.names[rel]; dup {
			return nil, fmt.Errorf("%s is listed twice", rel)
		}
		m.names[rel] = f
		keys = append(keys, rel)
	}
	sort.Strings(keys)
	p := &Plan{Action: NameChecksumsMake, Summary: fmt.Sprintf("write %s listing %d file(s)", m.Out, len(keys))}
	for _, out := range []string{m.Out, m.SigOut} {
		if _, err := os.Lstat(out); err == nil && out != "" && (out == m.Out || m.SignKey != nil) {
			p.Destructive, p.Confirm = true, "replace"
			p.Changes = append(p.Changes, "replace the existing "+out)
		}
	}
	p.Changes = append(p.Changes, "write "+m.Out+": "+fmt.Sprint(keys))
	if m.SignKey != nil {
		p.Changes = append(p.Changes, "write "+m.SigOut+": its detached signature")
	}
	return p, nil
}

func relTo(dir, f string) (string, error) {
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	af, err := filepath.Abs(f)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(ad, af)
	if err != nil || !signing.SafeRelative(filepath.ToSlash(rel)) {
		return "", fmt.Errorf("%s is not below %s, where the manifest goes", f, ad)
	}
	return filepath.ToSlash(rel), nil
}

// Execute hashes the files and writes the manifest.
func (m *MakeChecksums) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	man := m.Meta
	man.SchemaVersion, man.Algorithm = "1", "sha256"
	if m.Now != nil {
		man.GeneratedAt = m.Now().UTC().Format("2006-01-02T15:04:05Z")
	}
	man.Files = map[string]signing.ChecksumFile{}
	for rel, f := range m.names {
		sum, n, err := evidence.HashFile(ctx, f)
		if err != nil {
			return nil, err
		}
		man.Files[rel] = signing.ChecksumFile{SHA256: sum, Size: n, Path: rel}
		progress(Progress{Item: f, Done: n, Total: n})
	}
	b, err := signing.MarshalManifest(&man)
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileAtomic(m.Out, b, 0o644); err != nil {
		return nil, err
	}
	data := ChecksumsResult{V: RecordVersion, Manifest: m.Out, Files: len(man.Files)}
	if m.SignKey != nil {
		if err := fsutil.WriteFileAtomic(m.SigOut, signing.SignDetached(m.SignKey, b), 0o644); err != nil {
			return nil, err
		}
		data.Signature = m.SigOut
		data.Fingerprint = signing.Fingerprint(m.SignKey.Public().(ed25519.PublicKey))
	}
	return &Result{Summary: fmt.Sprintf("wrote %s (%d files)", m.Out, len(man.Files)), Data: data}, nil
}

// Verify re-reads the manifest with the consumers' rules, re-hashes every
// file and checks the signature.
func (m *MakeChecksums) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	rep, err := VerifyChecksums(ctx, m.Out)
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	for _, e := range rep {
		v.Checks = append(v.Checks, Check{What: "entry " + e.Key, OK: e.OK, Detail: e.Problem})
	}
	if m.SignKey != nil {
		b, _ := os.ReadFile(m.Out)
		sig, err := os.ReadFile(m.SigOut)
		if err == nil {
			_, err = signing.VerifyDetached(m.SignKey.Public().(ed25519.PublicKey), b, sig, "")
		}
		v.Checks = append(v.Checks, check("signature "+m.SigOut, err == nil, err))
	}
	return v, nil
}

// ChecksumResult is one entry checked by VerifyChecksums.
type ChecksumResult struct {
	Key     string `json:"key"`
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// VerifyChecksums re-hashes every file a manifest lists, relative to the
// manifest's directory. Entries that escape the directory are refused.
func VerifyChecksums(ctx context.Context, manifest string) ([]ChecksumResult, error) {
	b, err := signing.ReadSignedFile(manifest)
	if err != nil {
		return nil, err
	}
	pm, err := signing.ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifest, err)
	}
	dir := filepath.Dir(manifest)
	keys := make([]string, 0, len(pm.Entries))
	for k := range pm.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []ChecksumResult
	for _, k := range keys {
		r := ChecksumResult{Key: k, SHA256: pm.Entries[k]}
		if !signing.SafeRelative(k) {
			r.Problem = "refused: the entry points outside the manifest's directory"
			out = append(out, r)
			continue
		}
		r.File = filepath.Join(dir, filepath.FromSlash(signing.NormalizeName(k)))
		sum, _, err := evidence.HashFile(ctx, r.File)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r.Problem = "missing"
		case err != nil:
			r.Problem = err.Error()
		case sum != r.SHA256:
			r.Problem = "sha256 mismatch: the file hashes to " + sum
		default:
			r.OK = true
		}
		out = append(out, r)
	}
	return out, nil
}

// Wipe clears the private key.
func (s *SignFile) Wipe() { clear(s.Key) }

// Wipe clears the signing key.
func (m *MakeChecksums) Wipe() { clear(m.SignKey) }

// Wipe clears the passphrase the new key was encrypted with.
func (g *GenerateKey) Wipe() { clear(g.Passphrase) }
