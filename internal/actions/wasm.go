package actions

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// SignModule adds an Ed25519 signature to a WebAssembly module.
type SignModule struct {
	File     string
	Out      string // may equal File
	Detached string // when set, the signature data goes here and Out is the re-serialised module
	Key      ed25519.PrivateKey
	Opts     wasmsig.SignOptions
}

// Plan reads the module and says what will be written.
func (s *SignModule) Plan(ctx context.Context) (*Plan, error) {
	raw, err := wasmsig.ReadFile(s.File)
	if err != nil {
		return nil, err
	}
	if _, err := wasmsig.Parse(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	kid := "no key id"
	if s.Opts.KeyID {
		kid = "key id " + hex.EncodeToString(signing.WscKeyID(s.Key.Public().(ed25519.PublicKey)))
	}
	p := &Plan{Action: NameWasmSign, Summary: fmt.Sprintf("sign %s (%s, %s layout)", s.File, kid, orDefault(s.Opts.Layout, wasmsig.LayoutWsc))}
	for _, f := range []string{s.Out, s.Detached} {
		if f == "" {
			continue
		}
		verb := "write "
		if _, err := os.Lstat(f); err == nil {
			verb, p.Destructive, p.Confirm = "replace ", true, "replace"
		}
		p.Changes = append(p.Changes, verb+f)
	}
	return p, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Execute signs and writes atomically.
func (s *SignModule) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	raw, err := wasmsig.ReadFile(s.File)
	if err != nil {
		return nil, err
	}
	o := s.Opts
	o.Detached = s.Detached != ""
	out, data, err := wasmsig.Sign(raw, s.Key, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	if err := fsutil.WriteFileAtomic(s.Out, out, modeOf(s.File)); err != nil {
		return nil, err
	}
	if s.Detached != "" {
		if err := fsutil.WriteFileAtomic(s.Detached, data, 0o644); err != nil {
			return nil, err
		}
	}
	before, after := sha256.Sum256(raw), sha256.Sum256(out)
	return &Result{
		Summary: fmt.Sprintf("signed %s into %s (sha256 %x -> %x)", s.File, s.Out, before[:8], after[:8]),
		Data:    SignModuleResult{V: RecordVersion, File: s.File, Out: s.Out, Detached: s.Detached, Before: hex.EncodeToString(before[:]), After: hex.EncodeToString(after[:])},
	}, nil
}

// Verify re-reads the output and verifies it with the key, strictly.
func (s *SignModule) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	raw, err := wasmsig.ReadFile(s.Out)
	if err != nil {
		return nil, err
	}
	o := wasmsig.VerifyOptions{Strict: true}
	if s.Detached != "" {
		if o.Detached, err = fsutil.ReadRegular(s.Detached, 16<<20); err != nil {
			return nil, err
		}
		o.Strict = false
	}
	_, verr := wasmsig.Verify(raw, s.Key.Public().(ed25519.PublicKey), o)
	return &Verification{Checks: []Check{check(s.Out+" verifies with the signing key", verr == nil, verr)}}, nil
}

func modeOf(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm() | 0o200
	}
	return 0o644
}

// ResignModules drops one key's signatures from modules, keeps every other
// signer, and adds a signature with a new key.
type ResignModules struct {
	Files   []string
	DropKID []byte
	DropPub ed25519.PublicKey // optional: finds records without a key id
	Key     ed25519.PrivateKey
	Opts    wasmsig.SignOptions
	OutDir  string          // empty: replace in place
	Keep    *evidence.Store // when set, each original is copied here first
	Actor   string

	todo    []resignItem
	skipped []string
	done    []resignItem
	evidenceTaker
}

type resignItem struct {
	File    string `json:"file"`
	Out     string `json:"out"`
	Before  string `json:"sha256_before"`
	After   string `json:"sha256_after"`
	Dropped int    `json:"dropped"`
	Kept    int    `json:"kept"`
}

func (r *ResignModules) out(f string) string {
	if r.OutDir == "" {
		return f
	}
	return filepath.Join(r.OutDir, filepath.Base(f))
}

// Plan finds the modules the dropped key signed.
func (r *ResignModules) Plan(ctx context.Context) (*Plan, error) {
	sc := &wasmsig.Scanner{KeyID: r.DropKID, Pub: r.DropPub}
	r.todo, r.skipped = nil, nil
	outs := map[string]string{}
	for _, f := range r.Files {
		res := sc.ScanFile(f)
		switch res.Status {
		case wasmsig.StatusSignedByKey:
			o := r.out(f)
			if prev, dup := outs[o]; dup {
				return nil, fmt.Errorf("%s and %s would both be written to %s", prev, f, o)
			}
			outs[o] = f
			r.todo = append(r.todo, resignItem{File: f, Out: o})
		case wasmsig.StatusUnreadable, wasmsig.StatusUnparseable:
			r.skipped = append(r.skipped, f+" ("+res.Status+": "+res.Error+")")
		case wasmsig.StatusKeyless:
			r.skipped = append(r.skipped, f+" (keyless signature: not touched)")
		default:
			r.skipped = append(r.skipped, f+" (not signed by the key: not touched)")
		}
	}
	newKID := hex.EncodeToString(signing.WscKeyID(r.Key.Public().(ed25519.PublicKey)))
	p := &Plan{Action: NameWasmResign, Destructive: r.OutDir == "", Confirm: "resign",
		Summary: fmt.Sprintf("re-sign %d module(s): drop key %s, keep other signers, add key %s", len(r.todo), hex.EncodeToString(r.DropKID), newKID)}
	for _, t := range r.todo {
		keep := ""
		if r.Keep != nil {
			keep = "; the original is copied into the evidence first"
		}
		p.Changes = append(p.Changes, fmt.Sprintf("rewrite %s -> %s%s", t.File, t.Out, keep))
	}
	for _, s := range r.skipped {
		p.Changes = append(p.Changes, "skip "+s)
	}
	if len(r.todo) == 0 {
		return nil, fmt.Errorf("none of the %d module(s) carries a signature by key %s", len(r.Files), hex.EncodeToString(r.DropKID))
	}
	return p, nil
}

// Execute rewrites each module atomically.
func (r *ResignModules) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	res := &Result{}
	for i, t := range r.todo {
		raw, err := wasmsig.ReadFile(t.File)
		if err != nil {
			return res, err
		}
		out, rr, err := wasmsig.Resign(raw, r.DropKID, r.DropPub, r.Key, r.Opts)
		if err != nil {
			return res, fmt.Errorf("%s: %w", t.File, err)
		}
		if r.Keep != nil {
			file := t.File
			_, events, err := r.take(ctx, r.Keep, []string{t.File}, evidence.Options{Actor: r.Actor, Operation: "add"},
				func(e evidence.Entry) string {
					return "original of " + file + " kept before re-signing: " + e.Name + " sha256 " + e.SHA256
				})
			if err != nil {
				return res, fmt.Errorf("keep the original of %s: %w", t.File, err)
			}
			res.Events = append(res.Events, events...)
		}
		if r.OutDir != "" {
			if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
				return res, err
			}
		}
		if err := fsutil.WriteFileAtomic(t.Out, out, modeOf(t.File)); err != nil {
			return res, err
		}
		b, a := sha256.Sum256(raw), sha256.Sum256(out)
		t.Before, t.After, t.Dropped, t.Kept = hex.EncodeToString(b[:]), hex.EncodeToString(a[:]), rr.Dropped, rr.Kept
		r.done = append(r.done, t)
		res.Events = append(res.Events, journal.Entry{Kind: "module.resigned",
			Summary: fmt.Sprintf("re-signed %s: sha256 %s -> %s, %d record(s) dropped, %d kept", t.Out, t.Before, t.After, t.Dropped, t.Kept), Data: t})
		progress(Progress{Item: t.File, Done: int64(i + 1), Total: int64(len(r.todo))})
	}
	res.Summary = fmt.Sprintf("re-signed %d module(s); key %s dropped", len(r.done), hex.EncodeToString(r.DropKID))
	res.Data = ResignResult{V: RecordVersion, Modules: r.done, Skipped: r.skipped}
	return res, nil
}

// Verify checks each output: the new key verifies it strictly, and the
// dropped key no longer has a record in it.
func (r *ResignModules) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v := &Verification{}
	newPub := r.Key.Public().(ed25519.PublicKey)
	sc := &wasmsig.Scanner{KeyID: r.DropKID, Pub: r.DropPub}
	for _, t := range r.done {
		raw, err := wasmsig.ReadFile(t.Out)
		if err != nil {
			v.Checks = append(v.Checks, check("read "+t.Out, false, err))
			continue
		}
		_, verr := wasmsig.Verify(raw, newPub, wasmsig.VerifyOptions{Strict: true})
		v.Checks = append(v.Checks, check(t.Out+" verifies with the new key", verr == nil, verr))
		left := sc.ScanFile(t.Out).Status == wasmsig.StatusSignedByKey
		v.Checks = append(v.Checks, check(t.Out+" no longer carries the dropped key", !left, nil))
		if r.DropPub != nil {
			_, derr := wasmsig.Verify(raw, r.DropPub, wasmsig.VerifyOptions{})
			v.Checks = append(v.Checks, check(t.Out+": the dropped key does not verify", errors.Is(derr, wasmsig.ErrNoValid), derr))
		}
		sum := sha256.Sum256(raw)
		v.Checks = append(v.Checks, check(t.Out+" is what was written", hex.EncodeToString(sum[:]) == t.After, nil))
	}
	return v, nil
}

// Wipe clears the signing key.
func (s *SignModule) Wipe() { clear(s.Key) }

// Wipe clears the new signing key.
func (r *ResignModules) Wipe() { clear(r.Key) }
