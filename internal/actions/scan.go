package actions

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// ScanModules finds the modules a key signed and saves the list — one path
// per line, the runbook's affected-modules.txt — into the evidence.
type ScanModules struct {
	Paths   []string
	KeyID   []byte
	Pub     ed25519.PublicKey
	Store   *evidence.Store
	Scratch string
	Actor   string

	found   []wasmsig.ScanResult
	unread  []string // paths that could not be read, with why
	summary map[string]int
	entry   *evidence.Entry
	evidenceTaker
}

// Plan says what will be scanned. A path that does not exist is refused:
// a scope of "0 modules" over a mistyped directory must not pass for a
// finding.
func (s *ScanModules) Plan(ctx context.Context) (*Plan, error) {
	for _, p := range s.Paths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("wasm.scan: %w", err)
		}
	}
	return &Plan{Action: NameWasmScan, Summary: fmt.Sprintf("scan %s for modules signed by key %s and save affected-modules.txt to the evidence",
		strings.Join(s.Paths, ", "), hex.EncodeToString(s.KeyID)), Changes: []string{"add affected-modules.txt to the evidence"}}, nil
}

// Execute scans and stores the list.
func (s *ScanModules) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	files, bad := wasmsig.Walk(s.Paths)
	sc := &wasmsig.Scanner{KeyID: s.KeyID, Pub: s.Pub, FileHash: true, Report: func(done, total int) {
		progress(Progress{Item: "modules", Done: int64(done), Total: int64(total)})
	}}
	rs, err := sc.Scan(ctx, files)
	if err != nil {
		return nil, err
	}
	rs = append(rs, bad...)
	s.summary = wasmsig.Summary(rs)
	s.unread = nil
	for _, r := range rs {
		if r.Status == wasmsig.StatusUnreadable {
			s.unread = append(s.unread, r.Path+": "+r.Error)
		}
	}
	var list strings.Builder
	for _, r := range rs {
		if r.Status == wasmsig.StatusSignedByKey {
			s.found = append(s.found, r)
			// One line per module: a newline in a name is shown as \x0a,
			// never read as a second module.
			list.WriteString(textutil.Name(r.Path) + "\n")
		}
	}
	tmp := filepath.Join(s.Scratch, "affected-modules.txt")
	if err := fsutil.WriteFileAtomic(tmp, []byte(list.String()), 0o600); err != nil {
		return nil, err
	}
	es, events, err := s.take(ctx, s.Store, []string{tmp}, evidence.Options{Move: true, Actor: s.Actor, Operation: "add"},
		func(e evidence.Entry) string { return "affected modules list saved: " + e.Name + " sha256 " + e.SHA256 })
	if err != nil {
		return nil, err
	}
	s.entry = &es[0]
	var mods []ScannedModule
	for _, r := range s.found {
		mods = append(mods, ScannedModule{r.Path, r.SHA256, r.Valid})
	}
	summary := fmt.Sprintf("%d module(s) signed by key %s (%d scanned); list saved as evidence %s", len(s.found), hex.EncodeToString(s.KeyID), len(rs), es[0].Name)
	return &Result{Summary: summary, Data: ScanResult{V: RecordVersion, KeyID: hex.EncodeToString(s.KeyID), Modules: mods, Counts: s.summary, List: es[0].Name, ListSHA256: es[0].SHA256},
		Events: events}, nil
}

// Verify re-hashes the saved list, and fails when part of the tree could
// not be read: the list would then not be the whole scope.
func (s *ScanModules) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v, err := verifyEntries(ctx, s.Store, []evidence.Entry{*s.entry}, false)
	if err != nil {
		return nil, err
	}
	c := Check{What: "every file under the scanned paths was read", OK: len(s.unread) == 0,
		Detail: fmt.Sprintf("%d unreadable", len(s.unread))}
	if len(s.unread) > 0 {
		c.Detail += ": " + strings.Join(s.unread[:min(len(s.unread), 5)], "; ")
	}
	v.Checks = append(v.Checks, c)
	return v, nil
}
