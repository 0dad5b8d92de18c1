package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// KindRootPinned is the event that pins a trusted root; its data is a
// PinResult.
const KindRootPinned = "sigstore.pinned"

func reasonText(r string) string {
	if r == "" {
		return ""
	}
	return " (reason: " + r + ")"
}

// The facts a pin records.
const (
	FactTrustedRoot       = "trusted_root"
	FactTrustedRootSHA256 = "trusted_root_sha256"
)

// PinRoot makes a trusted root the incident's: its bytes go into the
// evidence (read-only) and its SHA-256 into the record; later Sigstore
// actions verify against that copy, and a different root is refused until
// it is pinned with a reason.
type PinRoot struct {
	Root     *sigstore.Root
	Reason   string
	Previous *PinResult // the incident's pin, nil when none
	Incident string     // its id, for messages
	Store    *evidence.Store
	Scratch  string
	Actor    string
	done     *PinResult
	evidenceTaker
}

func (p *PinRoot) already() bool { return p.Previous != nil && p.Previous.SHA256 == p.Root.SHA256 }

func (p *PinRoot) fileName() string { return "trusted-root-" + p.Root.SHA256[:16] + ".json" }

// Plan says what is pinned, and what it replaces.
func (p *PinRoot) Plan(context.Context) (*Plan, error) {
	if p.Previous != nil && !p.already() && strings.TrimSpace(p.Reason) == "" {
		return nil, &RepinError{Given: p.Root, Pinned: p.Previous, Incident: p.Incident}
	}
	pl := &Plan{Action: NameSigstorePin, Summary: fmt.Sprintf("pin the trusted root %s (sha256 %s: %d CA(s), %d log(s), %d CT log(s), %d TSA(s))",
		p.Root.Path, p.Root.SHA256, len(p.Root.CAs), len(p.Root.Tlogs), len(p.Root.CTLogs), len(p.Root.TSAs))}
	if p.already() {
		pl.Summary = "the trusted root " + p.Root.Path + " (sha256 " + p.Root.SHA256 + ") is the incident's pin already"
		pl.Changes = []string{"nothing: it is pinned"}
		return pl, nil
	}
	pl.Changes = []string{"add " + p.fileName() + " to the evidence", "record sha256 " + p.Root.SHA256 + " as the incident's trusted root"}
	if p.Previous != nil {
		pl.Changes = append(pl.Changes, "replacing sha256 "+p.Previous.SHA256+" (reason: "+p.Reason+")")
	}
	return pl, nil
}

// RepinError: a different trusted root was given where one is pinned.
type RepinError struct {
	Given    *sigstore.Root
	Pinned   *PinResult
	Incident string
}

func (e *RepinError) Error() string {
	return fmt.Sprintf("the trusted root %s (sha256 %s) is not the one this incident pinned (sha256 %s, from %s); replacing the pin needs a reason: firebreak sigstore pin %s %s --reason TEXT",
		e.Given.Path, e.Given.SHA256, e.Pinned.SHA256, e.Pinned.Source, orID(e.Incident), e.Given.Path)
}

func orID(id string) string {
	if id == "" {
		return "ID"
	}
	return id
}

// Execute stores the exact bytes that were hashed.
func (p *PinRoot) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	if p.already() {
		r := *p.Previous
		r.Already = true
		p.done = &r
		return &Result{Summary: "already pinned: sha256 " + p.Root.SHA256, Data: r}, nil
	}
	e, events, err := p.save(ctx, p.Store, p.Scratch, p.fileName(), p.Actor, "trusted root pinned",
		func(w io.Writer) error { _, err := w.Write(p.Root.Raw); return err })
	if err != nil {
		return nil, err
	}
	if e.SHA256 != p.Root.SHA256 {
		return nil, fmt.Errorf("the evidence copy of the trusted root hashes to %s, not %s", e.SHA256, p.Root.SHA256)
	}
	path, err := filepath.Abs(filepath.Join(p.Store.Dir, filepath.FromSlash(e.Name)))
	if err != nil {
		return nil, err
	}
	r := PinResult{V: RecordVersion, SHA256: p.Root.SHA256, Evidence: path, Name: e.Name, Source: p.Root.Path, Reason: p.Reason}
	if p.Previous != nil {
		r.Previous = p.Previous.SHA256
	}
	p.done = &r
	// The pin is its own event, whichever action made it (sigstore.pin,
	// or the first Sigstore action given a root): PinnedRoot reads these.
	events = append(events, journal.Entry{Kind: KindRootPinned, Summary: textutil.Line("trusted root pinned: sha256 " + r.SHA256 + " from " + r.Source + reasonText(r.Reason)), Data: r},
		incident.FactEntry(FactTrustedRoot, path), incident.FactEntry(FactTrustedRootSHA256, p.Root.SHA256))
	return &Result{Summary: "pinned trusted root sha256 " + p.Root.SHA256 + " (" + e.Name + ")", Data: r, Events: events}, nil
}

// Verify re-reads the pinned copy.
func (p *PinRoot) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v := &Verification{}
	v.Checks = append(v.Checks, p.checks()...)
	return v, nil
}

func (p *PinRoot) checks() []Check {
	if p.done == nil {
		return []Check{check("the trusted root is pinned", false, errors.New("nothing was pinned"))}
	}
	r, err := sigstore.LoadRoot(p.done.Evidence)
	ok := err == nil && r.SHA256 == p.done.SHA256
	if err == nil && !ok {
		err = fmt.Errorf("it hashes to %s", r.SHA256)
	}
	return []Check{check("the pinned copy "+p.done.Evidence+" is the trusted root, sha256 "+p.done.SHA256, ok, err)}
}

// save writes a report through write into the scratch directory and takes
// it into the evidence (a move: the scratch copy goes).
func (t *evidenceTaker) save(ctx context.Context, st *evidence.Store, scratch, name, actor, what string, write func(io.Writer) error) (evidence.Entry, []journal.Entry, error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return evidence.Entry{}, nil, err
	}
	tmp, _, err := fsutil.WriteNew(filepath.Join(scratch, name), 0o600, true, false, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return evidence.Entry{}, nil, err
	}
	es, events, err := t.take(ctx, st, []string{tmp}, evidence.Options{Move: true, Actor: actor, Operation: "add"},
		func(e evidence.Entry) string { return what + ": " + e.Name + " sha256 " + e.SHA256 })
	if err != nil {
		return evidence.Entry{}, events, err
	}
	if len(es) != 1 {
		return evidence.Entry{}, events, fmt.Errorf("%s: %d evidence entries, not 1", tmp, len(es))
	}
	return es[0], events, nil
}

// SigstoreAudit verifies every keyless signature under some paths against
// the pinned trusted root, in an incident window, against the expected
// signers and the identities the incident blocked; the full report goes
// into the evidence.
type SigstoreAudit struct {
	Paths   []string
	Window  sigstore.Window
	Signers []sigstore.Signer // nil: no list
	Blocked []sigstore.Signer
	Pin     *PinRoot // the root, pinned first when it is not yet
	Store   *evidence.Store
	Scratch string
	Actor   string
	Notify  func(string)
	Now     func() time.Time // names the report; nil is the clock
	result  *SigstoreAuditResult
	evidenceTaker
}

// Plan checks the paths and says what is audited.
func (a *SigstoreAudit) Plan(ctx context.Context) (*Plan, error) {
	for _, p := range a.Paths {
		if _, err := os.Lstat(p); err != nil {
			return nil, err
		}
	}
	pl := &Plan{Action: NameSigstoreAudit, Summary: fmt.Sprintf("audit the Sigstore signatures under %s, window %s, against trusted root sha256 %s…",
		strings.Join(a.Paths, ", "), a.Window, a.Pin.Root.SHA256[:16])}
	if !a.Pin.already() {
		pp, err := a.Pin.Plan(ctx)
		if err != nil {
			return nil, err
		}
		pl.Changes = append(pl.Changes, pp.Changes...)
	}
	signers := "no expected-signers list: every identity is listed, none judged"
	if a.Signers != nil {
		signers = fmt.Sprintf("%d expected signer(s)", len(a.Signers))
	}
	blocked := "no identity blocked in the incident"
	if len(a.Blocked) > 0 {
		blocked = fmt.Sprintf("%d identity(ies) blocked in the incident fail wherever they signed", len(a.Blocked))
	}
	pl.Changes = append(pl.Changes, signers, blocked, "add the audit report (JSON) to the evidence")
	return pl, nil
}

// Execute pins (when needed), audits, and stores the report.
func (a *SigstoreAudit) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	res := &Result{}
	if !a.Pin.already() {
		pr, err := a.Pin.Execute(ctx, progress)
		if err != nil {
			return nil, err
		}
		res.Events = append(res.Events, pr.Events...)
	}
	v, err := sigstore.Start(ctx, a.Pin.Root, a.Notify)
	if err != nil {
		return res, err
	}
	defer v.Close()
	out := &SigstoreAuditResult{V: RecordVersion}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	name := "sigstore-audit-" + now().UTC().Format("20060102T150405Z") + ".json"
	e, events, err := a.save(ctx, a.Store, a.Scratch, name, a.Actor, "Sigstore audit report", func(w io.Writer) error {
		rep := sigstore.NewReportWriter(w)
		sum, err := sigstore.Audit(ctx, sigstore.AuditOptions{Paths: a.Paths, Window: a.Window, Signers: a.Signers, Blocked: a.Blocked, Verifier: v,
			Found: func(f sigstore.Finding) error {
				// A statement may sign several artifacts: each is affected.
				for _, af := range failures(f) {
					if f.InWindow && len(out.Affected) < MaxAuditFailures {
						out.Affected = append(out.Affected, af)
					}
					if f.Failed && len(out.Failures) < MaxAuditFailures {
						out.Failures = append(out.Failures, af)
					}
				}
				return rep.Finding(f)
			},
			Progress: func(path string, n int) {
				if progress != nil {
					progress(Progress{Item: fmt.Sprintf("%d files looked at: %s", n, path), Done: int64(n)})
				}
			}})
		if err != nil {
			return err
		}
		sum.RootSHA256 = a.Pin.Root.SHA256
		out.Summary = sum
		return rep.Close(sum)
	})
	res.Events = append(res.Events, events...)
	if err != nil {
		return res, err
	}
	out.Report = e.Name
	a.result = out
	s := out.Summary
	res.Summary = fmt.Sprintf("audited %d signature(s): %d verified, %d in the window, %d failed (%d unexpected signer, %d blocked); report %s",
		s.Signatures, s.Verified, s.InWindow, s.Failed, s.Unexpected, s.Blocked, e.Name)
	res.Data = *out
	res.Events = append(res.Events, incident.FactEntry("audit_identities", listOr(s.Identities, "none")),
		incident.FactEntry("audit_affected", affectedList(out.Affected, s.InWindow)))
	return res, nil
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}

func affectedList(fs []AuditFailure, total int) string {
	if len(fs) == 0 {
		return "none"
	}
	var lines []string
	for _, f := range fs {
		lines = append(lines, f.name()+" "+f.Digest)
	}
	if total > len(fs) {
		lines = append(lines, fmt.Sprintf("and %d more (see the audit report)", total-len(fs)))
	}
	return strings.Join(lines, "\n")
}

// name is the file and, when it differs, what it signs.
func (f AuditFailure) name() string {
	if f.File == "" || f.File == f.Artifact {
		return f.Artifact
	}
	return f.File + " (" + f.Artifact + ")"
}

// failures is a finding as the artifacts it signs: one, or each subject
// of a DSSE statement.
func failures(f sigstore.Finding) []AuditFailure {
	if len(f.Subjects) < 2 {
		return []AuditFailure{failure(f)}
	}
	var out []AuditFailure
	for _, sub := range f.Subjects {
		af := failure(f)
		af.Artifact, af.Digest = textutil.Name(sub.Name), ""
		if len(sub.Digests) > 0 {
			af.Digest = sub.Digests[0].String()
		}
		out = append(out, af)
	}
	return out
}

func failure(f sigstore.Finding) AuditFailure {
	return AuditFailure{Artifact: textutil.Name(f.Artifact), File: textutil.Name(filepath.Base(f.Path)), Digest: f.Digest, Identity: f.Identity, Issuer: f.Issuer, IntegratedTime: f.IntegratedTime, Why: f.Why()}
}

// Verify: the report is in the evidence, and no signature in the window
// fails (an audit that finds one is an audit that failed its step).
func (a *SigstoreAudit) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v := &Verification{}
	if !a.Pin.already() {
		v.Checks = append(v.Checks, a.Pin.checks()...)
	}
	if a.result == nil {
		v.Checks = append(v.Checks, check("the audit ran", false, errors.New("no result")))
		return v, nil
	}
	s := a.result.Summary
	var why []string
	for i, f := range a.result.Failures {
		if i == 10 {
			break
		}
		why = append(why, f.name()+": "+f.Why+" ("+f.Identity+")")
	}
	if s.Failed > len(why) {
		why = append(why, fmt.Sprintf("and %d more in %s", s.Failed-len(why), a.result.Report))
	}
	var err error
	if len(why) > 0 {
		err = errors.New(strings.Join(why, "; "))
	}
	what := fmt.Sprintf("every one of the %d signature(s) in the window verifies", s.InWindow)
	if a.Signers != nil {
		what += " and is by an expected signer"
	}
	if s.Failed > 0 {
		what = fmt.Sprintf("%d signature(s) fail the audit", s.Failed)
	}
	v.Checks = append(v.Checks, check(what, s.Failed == 0, err))
	v.Checks = append(v.Checks, check(fmt.Sprintf("at least one signature was found under %s", strings.Join(a.Paths, ", ")), s.Signatures > 0, nil))
	return v, nil
}

// BlockIdentity adds a signing identity to the incident's deny list: later
// audits in the incident fail every signature it made, in the window or
// not.
type BlockIdentity struct {
	Signer sigstore.Signer
	Reason string
}

// Plan says what is blocked.
func (b *BlockIdentity) Plan(context.Context) (*Plan, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	return &Plan{Action: NameSigstoreBlock, Summary: "block the signing identity " + b.Signer.String(),
		Changes: []string{"add " + b.Signer.String() + " to the incident's blocked identities: every later audit fails its signatures"}}, nil
}

// Execute records the block.
func (b *BlockIdentity) Execute(context.Context, func(Progress)) (*Result, error) {
	r := BlockResult{V: RecordVersion, Signer: b.Signer, Reason: b.Reason}
	return &Result{Summary: "blocked signing identity " + b.Signer.String(), Data: r,
		Events: []journal.Entry{incident.FactEntry("blocked_identity", b.Signer.Identity)}}, nil
}

// check refuses, before anything is recorded, an identity no Fulcio
// certificate carries (blocking it would block nothing) or one with
// control characters.
func (b *BlockIdentity) check() error {
	id := b.Signer.Identity
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("no identity to block")
	case textutil.Line(id) != id || textutil.Line(b.Signer.Issuer) != b.Signer.Issuer:
		return fmt.Errorf("the identity %s or its issuer holds control characters: refused", textutil.Line(id))
	case strings.ContainsAny(id, " \t") || !(strings.Contains(id, "@") || strings.Contains(id, "://")):
		return fmt.Errorf("%q is not an email address or a URI: no Fulcio certificate carries it, so blocking it would block nothing", id)
	}
	return nil
}

// Verify re-reads the record: the block is what later audits will use.
func (b *BlockIdentity) Verify(context.Context, *Result) (*Verification, error) {
	return &Verification{Checks: []Check{check("the identity "+b.Signer.String()+" is a certificate SAN (email or URI) later audits in the incident fail", b.check() == nil, b.check())}}, nil
}

// RootDiff compares two trusted roots: what changed when Sigstore rotated
// its root. The report goes into the evidence.
type RootDiff struct {
	Old, New *sigstore.Root
	// Pin, when set, pins the new root afterwards (when it differs from
	// the pinned one): the incident's pins updated with the rotation.
	Pin     *PinRoot
	Store   *evidence.Store
	Scratch string
	Actor   string
	result  *RootDiffResult
	evidenceTaker
}

// maxPlanChanges bounds the changes a plan lists; the report has all.
const maxPlanChanges = 40

// Plan names the two roots and lists what changed: what the verifiers'
// pins must learn or forget.
func (d *RootDiff) Plan(ctx context.Context) (*Plan, error) {
	p := &Plan{Action: NameSigstoreRootDiff, Summary: fmt.Sprintf("compare trusted root %s (sha256 %s…) with %s (sha256 %s…)", filepath.Base(d.Old.Path), d.Old.SHA256[:16], filepath.Base(d.New.Path), d.New.SHA256[:16])}
	ch := sigstore.Diff(d.Old, d.New)
	if len(ch) == 0 {
		p.Changes = append(p.Changes, "no change in CAs, logs or timestamp authorities")
	}
	for i, c := range ch {
		if i == maxPlanChanges {
			p.Changes = append(p.Changes, fmt.Sprintf("and %d more change(s), in the comparison", len(ch)-i))
			break
		}
		p.Changes = append(p.Changes, c.Op+": "+c.What+" "+c.Name+": "+c.Detail)
	}
	p.Changes = append(p.Changes, "add the comparison (JSON) to the evidence")
	if d.Pin != nil && !d.Pin.already() {
		pp, err := d.Pin.Plan(ctx)
		if err != nil {
			return nil, err
		}
		p.Changes = append(p.Changes, pp.Changes...)
	}
	return p, nil
}

// Execute compares and stores the report.
func (d *RootDiff) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	ch := sigstore.Diff(d.Old, d.New)
	if ch == nil {
		ch = []sigstore.Change{}
	}
	out := RootDiffResult{V: RecordVersion, Old: d.Old.SHA256, New: d.New.SHA256, Changes: ch}
	e, events, err := d.save(ctx, d.Store, d.Scratch, "trusted-root-diff-"+d.New.SHA256[:16]+".json", d.Actor, "trusted root comparison", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"old": d.Old, "new": d.New, "changes": ch})
	})
	if err != nil {
		return &Result{Events: events}, err
	}
	out.Report = e.Name
	d.result = &out
	sum := fmt.Sprintf("trusted roots compared: %d change(s), listed in %s", len(ch), e.Name)
	if len(ch) == 0 {
		sum = "trusted roots compared: no change in CAs, logs or timestamp authorities"
	}
	if d.Pin != nil && !d.Pin.already() {
		pr, err := d.Pin.Execute(ctx, nil)
		if err != nil {
			return &Result{Summary: sum, Data: out, Events: events}, err
		}
		events = append(events, pr.Events...)
		sum += "; " + pr.Summary
	}
	return &Result{Summary: sum, Data: out, Events: events}, nil
}

// Verify re-reads both roots: the comparison is of what they hold now.
func (d *RootDiff) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	for _, r := range []*sigstore.Root{d.Old, d.New} {
		now, err := sigstore.LoadRoot(r.Path)
		ok := err == nil && now.SHA256 == r.SHA256
		if err == nil && !ok {
			err = fmt.Errorf("it now hashes to %s", now.SHA256)
		}
		v.Checks = append(v.Checks, check(r.Path+" is still the root compared (sha256 "+r.SHA256+")", ok, err))
	}
	if d.Pin != nil && d.Pin.done != nil {
		v.Checks = append(v.Checks, d.Pin.checks()...)
	}
	return v, nil
}

// Inspect reads who signed a module or bundle from its certificate and
// Rekor entry, offline, verifies it against the pinned root when there is
// one, and records the identity as facts (INC-2's "check Rekor").
type Inspect struct {
	File     string
	Incident string   // its id, for messages
	Pin      *PinRoot // nil: no trusted root, nothing verified; pinned first when it is not yet
	Root     *sigstore.Root
	Store    *evidence.Store
	Scratch  string
	Actor    string
	Notify   func(string)
	result   *InspectResult
	evidenceTaker
}

// Plan names the file.
func (i *Inspect) Plan(context.Context) (*Plan, error) {
	if _, err := os.Lstat(i.File); err != nil {
		return nil, err
	}
	against := "no trusted root pinned: the signer is read, not verified"
	if i.Pin != nil {
		against = "verify against the trusted root sha256 " + i.Pin.Root.SHA256
	}
	var pins []string
	if i.Pin != nil && !i.Pin.already() {
		pp, err := i.Pin.Plan(context.Background())
		if err != nil {
			return nil, err
		}
		pins = pp.Changes
	}
	return &Plan{Action: NameSigstoreInspect, Summary: "read the signing identity and Rekor entry of " + i.File,
		Changes: append(pins, against, "add the signing record (JSON) to the evidence", "record signing_identity, signing_issuer, rekor_log_index, rekor_integrated_time as facts")}, nil
}

// Execute inspects and records.
func (i *Inspect) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	var pinEvents []journal.Entry
	if i.Pin != nil {
		i.Root = i.Pin.Root
		if !i.Pin.already() {
			pr, err := i.Pin.Execute(ctx, progress)
			if err != nil {
				return nil, err
			}
			pinEvents = pr.Events
		}
	}
	f, verdict, err := sigstore.InspectFile(ctx, i.File, i.Root, i.Notify)
	if err != nil {
		return &Result{Events: pinEvents}, err
	}
	out := InspectResult{V: RecordVersion, File: i.File, Finding: *f, Verified: verdict}
	if i.Root != nil {
		out.RootSHA = i.Root.SHA256
	}
	// Only a verified signature says who signed: an unverified one says
	// who it claims, and is recorded as a claim (a forged certificate
	// naming a legitimate identity must not get that identity blocked).
	prefix, claim := "", "signed by"
	if !f.Verified {
		prefix, claim = "claimed_", "claims to be signed by"
	}
	var facts []journal.Entry
	for _, kv := range [][2]string{{"signing_identity", f.Identity}, {"signing_issuer", f.Issuer}, {"rekor_log_index", fmt.Sprint(f.LogIndex)}} {
		switch {
		case kv[1] == "" || kv[1] == "0":
		case textutil.Line(kv[1]) != kv[1]:
			// Control characters in a certificate's identity or issuer:
			// kept in the evidence as they are, never as a fact a later
			// step would use.
			out.Notes = append(out.Notes, kv[0]+" holds control characters: not recorded as a fact")
		default:
			facts = append(facts, incident.FactEntry(prefix+kv[0], kv[1]))
		}
	}
	if !f.IntegratedTime.IsZero() {
		facts = append(facts, incident.FactEntry(prefix+"rekor_integrated_time", f.IntegratedTime.UTC().Format(time.RFC3339)))
	}
	e, events, err := i.save(ctx, i.Store, i.Scratch, "signing-record-"+strings.TrimSuffix(filepath.Base(i.File), filepath.Ext(i.File))+".json", i.Actor, "signing record", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	})
	events = append(pinEvents, events...)
	if err != nil {
		return &Result{Events: events}, err
	}
	out.Report = e.Name
	i.result = &out
	events = append(events, facts...)
	return &Result{Summary: fmt.Sprintf("%s: %s %s (%s), Rekor log index %d at %s; %s", i.File, claim, f.Identity, f.Issuer, f.LogIndex, f.IntegratedTime.UTC().Format(time.RFC3339), verdict),
		Data: out, Events: events}, nil
}

// Verify: an identity was found; and, with a root, whether it verifies.
func (i *Inspect) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	if i.result == nil {
		return v, nil
	}
	f := i.result.Finding
	v.Checks = append(v.Checks, check("the signature names a signing identity and a Rekor entry", f.Identity != "" && f.LogIndex != 0, nil))
	if i.Root != nil {
		var err error
		if !f.Verified {
			err = errors.New(f.Problem)
		}
		v.Checks = append(v.Checks, check("the signature verifies against the pinned trusted root (a malicious module may well verify: this says who signed)", f.Verified, err))
	} else {
		// Without a root the signer is only claimed: the step is not done.
		v.Checks = append(v.Checks, check("the signature verifies against a trusted root", false,
			errors.New("no trusted root is pinned to the incident: pin one (firebreak sigstore pin "+orID(i.Incident)+" trusted_root.json) and run the step again")))
	}
	return v, nil
}
