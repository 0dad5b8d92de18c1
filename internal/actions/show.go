package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// ShowModule saves a module's signature information — what `firebreak
// wasm show --json` prints — into the evidence (the runbook's "extract
// signature information").
type ShowModule struct {
	File    string
	Store   *evidence.Store
	Scratch string
	Actor   string
	// Root is the incident's pinned trusted root: a keyless signature is
	// verified against it (nil: reported as not verified).
	Root   *sigstore.Root
	Notify func(string)
	entry  *evidence.Entry
	evidenceTaker
}

// infoName is the evidence file the information is saved as: the plan
// and the result name the same file.
func (s *ShowModule) infoName() string {
	return "signature-info-" + strings.TrimSuffix(filepath.Base(s.File), ".wasm") + ".json"
}

// Plan names the file.
func (s *ShowModule) Plan(context.Context) (*Plan, error) {
	return &Plan{Action: NameWasmShow, Summary: "save the signature information of " + s.File + " into the evidence",
		Changes: []string{"add " + s.infoName() + " to the evidence"}}, nil
}

// Execute describes the module and stores the JSON.
func (s *ShowModule) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	raw, err := wasmsig.ReadFile(s.File)
	if err != nil {
		return nil, err
	}
	inf, err := wasmsig.Describe(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	out := map[string]any{"file": s.File, "info": inf}
	if inf.Keyless != nil {
		v, err := sigstore.CheckModule(ctx, inf, s.Root, s.Notify)
		if err != nil {
			return nil, err
		}
		out["sigstore"] = v
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(s.Scratch, s.infoName())
	if err := fsutil.WriteFileAtomic(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	es, events, err := s.take(ctx, s.Store, []string{tmp}, evidence.Options{Move: true, Actor: s.Actor, Operation: "add"},
		func(e evidence.Entry) string { return "signature information saved: " + e.Name + " sha256 " + e.SHA256 })
	if err != nil {
		return nil, err
	}
	s.entry = &es[0]
	var kids []string
	for _, set := range inf.Sets {
		for _, r := range set.Records {
			kids = append(kids, r.KeyID)
		}
	}
	ids := "no key ids"
	if len(kids) > 0 {
		ids = "key ids " + strings.Join(kids, ", ")
	}
	summary := fmt.Sprintf("signature information of %s (%s; %s) saved as %s", s.File, inf.Signature, ids, es[0].Name)
	return &Result{Summary: summary, Data: ShowResult{V: RecordVersion, File: s.File, Signature: inf.Signature, KeyIDs: kids, Evidence: es[0].Name},
		Events: events}, nil
}

// Verify re-hashes the saved file.
func (s *ShowModule) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return verifyEntries(ctx, s.Store, []evidence.Entry{*s.entry}, false)
}
