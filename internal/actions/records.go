package actions

import (
	"encoding/json"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/published"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
)

// RecordVersion is the version of the result types below. A result
// without one (V 0) was written before results were typed; its fields
// have the same names, so it decodes the same.
const RecordVersion = 1

// Each action's result is one of these types: written as the result data
// of its action.done (or action.failed) event, read back with Decode. A
// reader never decodes a result by hand, so a change of shape changes
// writer and readers together.

// TakeResult is the result of evidence.quarantine and evidence.add.
type TakeResult struct {
	V       int              `json:"v,omitempty"`
	Entries []evidence.Entry `json:"entries"`
}

// IsolateResult is the result of key.isolate.
type IsolateResult struct {
	V           int              `json:"v,omitempty"`
	Entry       *evidence.Entry  `json:"entry,omitempty"`
	Entries     []evidence.Entry `json:"entries,omitempty"` // a failed isolation: what was taken
	Fingerprint string           `json:"fingerprint,omitempty"`
	KeyID       string           `json:"key_id,omitempty"`
	Store       string           `json:"store,omitempty"`
}

// GenerateResult is the result of key.generate.
type GenerateResult struct {
	V           int    `json:"v,omitempty"`
	PrivateKey  string `json:"private_key"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
	KeyID       string `json:"key_id"`
	Format      string `json:"format"`
	Encrypted   bool   `json:"encrypted"`
}

// SignFileResult is the result of file.sign.
type SignFileResult struct {
	V           int    `json:"v,omitempty"`
	File        string `json:"file"`
	Signature   string `json:"signature"`
	Fingerprint string `json:"fingerprint"`
}

// ChecksumsResult is the result of checksums.make.
type ChecksumsResult struct {
	V           int    `json:"v,omitempty"`
	Manifest    string `json:"manifest"`
	Files       int    `json:"files"`
	Signature   string `json:"signature,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// SignModuleResult is the result of wasm.sign.
type SignModuleResult struct {
	V        int    `json:"v,omitempty"`
	File     string `json:"file"`
	Out      string `json:"out"`
	Detached string `json:"detached"`
	Before   string `json:"sha256_before"`
	After    string `json:"sha256_after"`
}

// ResignResult is the result of wasm.resign.
type ResignResult struct {
	V       int          `json:"v,omitempty"`
	Modules []resignItem `json:"modules"`
	Skipped []string     `json:"skipped"`
}

// ScannedModule is one module wasm.scan found signed by the key.
type ScannedModule struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Valid  bool   `json:"valid"`
}

// ScanResult is the result of wasm.scan.
type ScanResult struct {
	V          int             `json:"v,omitempty"`
	KeyID      string          `json:"key_id"`
	Modules    []ScannedModule `json:"modules"`
	Counts     map[string]int  `json:"counts"`
	List       string          `json:"list"`
	ListSHA256 string          `json:"list_sha256"`
}

// ShowResult is the result of wasm.show.
type ShowResult struct {
	V         int      `json:"v,omitempty"`
	File      string   `json:"file"`
	Signature string   `json:"signature"`
	KeyIDs    []string `json:"key_ids"`
	Evidence  string   `json:"evidence"`
}

// CancelResult is the result of gh.cancel-runs.
type CancelResult struct {
	V    int          `json:"v,omitempty"`
	Repo string       `json:"repo"`
	Runs []RunOutcome `json:"runs"`
}

// SecretResult is the result of gh.secret-set and gh.secret-delete (File
// and its SHA-256 for a set only: never the value).
type SecretResult struct {
	V          int    `json:"v,omitempty"`
	Repo       string `json:"repo"`
	Env        string `json:"env"`
	Name       string `json:"name"`
	File       string `json:"file,omitempty"`
	FileSHA256 string `json:"file_sha256,omitempty"`
}

// AuditResult is the result of gh.audit.
type AuditResult struct {
	V        int    `json:"v,omitempty"`
	Repo     string `json:"repo"`
	Commits  int    `json:"commits"`
	Runs     int    `json:"runs"`
	Evidence string `json:"evidence"`
	SHA256   string `json:"sha256"`
	Logs     int    `json:"logs,omitempty"` // run log archives kept
}

// PublishResult is the result of gh.publish.
type PublishResult struct {
	V    int    `json:"v,omitempty"`
	Repo string `json:"repo"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	URL  string `json:"url"`
}

// PinsResult is the result of key.pin-update.
type PinsResult struct {
	V       int      `json:"v,omitempty"`
	Updated []string `json:"updated"`
	Old     string   `json:"old,omitempty"`
	New     string   `json:"new,omitempty"`
}

// UseSecretResult is the result of workflow.use-secret.
type UseSecretResult struct {
	V       int      `json:"v,omitempty"`
	Updated []string `json:"updated"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
}

// FingerprintResult is the result of key.fingerprint.
type FingerprintResult struct {
	V           int    `json:"v,omitempty"`
	Fingerprint string `json:"fingerprint"`
	OpenSSL     string `json:"openssl"`
}

// SignaturesResult is the result of signatures.verify and
// signatures.openssl.
type SignaturesResult struct {
	V           int     `json:"v,omitempty"`
	Fingerprint string  `json:"fingerprint,omitempty"`
	ExpectValid bool    `json:"expect_valid,omitempty"`
	Skipped     bool    `json:"skipped,omitempty"`
	Checks      []Check `json:"checks"`
}

// FirstBadResult is the result of git.first-bad.
type FirstBadResult struct {
	V         int             `json:"v,omitempty"`
	File      string          `json:"file"`
	Versions  []VersionCheck  `json:"versions"`
	FirstBad  *gitrepo.Commit `json:"first_bad,omitempty"`
	KnownGood *gitrepo.Commit `json:"known_good,omitempty"`
}

// RestoreResult is the result of git.restore.
type RestoreResult struct {
	V        int               `json:"v,omitempty"`
	Commit   string            `json:"commit,omitempty"`
	Restored []string          `json:"restored"`
	SHA256   map[string]string `json:"sha256,omitempty"`
}

// CommitResult is the result of git.commit.
type CommitResult struct {
	V       int      `json:"v,omitempty"`
	Commit  string   `json:"commit"`
	Changes []string `json:"changes"`
}

// WindowResult is the result of record.window.
type WindowResult struct {
	V      int       `json:"v,omitempty"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Window string    `json:"window"`
}

// ConsistencyResult is the result of key.check-consistency.
type ConsistencyResult struct {
	V        int               `json:"v,omitempty"`
	Pin      string            `json:"pin"`
	Findings []signing.Finding `json:"findings"`
}

// FileResult is the result of an action that wrote one file of the record
// (record.export, comms.render).
type FileResult struct {
	V int `json:"v,omitempty"`
	// Missing, for a message, are the fields marked missing in it.
	Missing []string `json:"missing,omitempty"`
	Path    string   `json:"path"`
	SHA256  string   `json:"sha256"`
}

// Record is the data of an action.done or action.failed event: the plan,
// the result (its data still encoded: Decode reads it as its type), the
// verification and, for a failure, the error.
type Record struct {
	Action string `json:"action"`
	Plan   *Plan  `json:"plan,omitempty"`
	Error  string `json:"error,omitempty"`
	Result struct {
		Summary string          `json:"summary"`
		Data    json.RawMessage `json:"data,omitempty"`
	} `json:"result"`
	Verification *Verification `json:"verification,omitempty"`
	// Truncated says the record outgrew a journal line and was cut down.
	Truncated string `json:"truncated,omitempty"`
}

// ParseRecord reads an action event's record; ok is false for another
// kind of event or one that does not decode.
func ParseRecord(e journal.Event) (*Record, bool) {
	if e.Kind != KindDone && e.Kind != KindFailed {
		return nil, false
	}
	var r Record
	if json.Unmarshal(e.Data, &r) != nil || r.Action == "" {
		return nil, false
	}
	return &r, true
}

// Decode reads a record's result data as the action's result type T (the
// one its action writes). ok is false when there is no data or it does
// not decode as T.
func Decode[T any](r *Record) (T, bool) {
	var v T
	if r == nil || len(r.Result.Data) == 0 || string(r.Result.Data) == "null" {
		return v, false
	}
	if err := json.Unmarshal(r.Result.Data, &v); err != nil {
		return v, false
	}
	return v, true
}

// Done lists the action.done records of action, in the events' order,
// each with its event.
func Done(evs []journal.Event, action string) []DoneRecord {
	var out []DoneRecord
	for _, e := range evs {
		if e.Kind != KindDone {
			continue
		}
		if r, ok := ParseRecord(e); ok && r.Action == action {
			out = append(out, DoneRecord{Event: e, Record: r})
		}
	}
	return out
}

// Ran lists the records of action, done or failed, that carry a result, in
// the events' order: an audit whose verification failed is still the
// audit that was made.
func Ran(evs []journal.Event, action string) []DoneRecord {
	var out []DoneRecord
	for _, e := range evs {
		if e.Kind != KindDone && e.Kind != KindFailed {
			continue
		}
		if r, ok := ParseRecord(e); ok && r.Action == action && len(r.Result.Data) > 0 && string(r.Result.Data) != "null" {
			out = append(out, DoneRecord{Event: e, Record: r})
		}
	}
	return out
}

// DoneRecord is an action.done event and its record.
type DoneRecord struct {
	Event  journal.Event
	Record *Record
}

// PinResult is the result of sigstore.pin: the trusted root an incident
// verifies against, kept in its evidence.
type PinResult struct {
	V        int    `json:"v,omitempty"`
	SHA256   string `json:"sha256"`
	Evidence string `json:"evidence"` // the copy's path when pinned
	Name     string `json:"name"`     // its name in the incident's evidence: what is read (the home may move)
	Source   string `json:"source"`
	Reason   string `json:"reason,omitempty"`
	Previous string `json:"previous_sha256,omitempty"`
	Already  bool   `json:"already,omitempty"` // it was the pin already: nothing recorded
}

// SigstoreAuditResult is the result of sigstore.audit.
type SigstoreAuditResult struct {
	V        int               `json:"v,omitempty"`
	Report   string            `json:"report"` // evidence name of the full report
	Summary  *sigstore.Summary `json:"summary"`
	Failures []AuditFailure    `json:"failures,omitempty"` // at most MaxAuditFailures
	// Affected are the signatures in the window (at most MaxAuditFailures):
	// what a notice lists.
	Affected []AuditFailure `json:"affected,omitempty"`
}

// AuditFailure is one signature an audit names.
type AuditFailure struct {
	Artifact       string    `json:"artifact"`
	File           string    `json:"file"` // the bundle's or module's file name (not its path)
	Digest         string    `json:"digest,omitempty"`
	Identity       string    `json:"identity,omitempty"`
	Issuer         string    `json:"issuer,omitempty"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
	Why            string    `json:"why,omitempty"`
}

// MaxAuditFailures bounds what an audit's record lists; the report in the
// evidence lists everything.
const MaxAuditFailures = 200

// BlockResult is the result of sigstore.block-identity.
type BlockResult struct {
	V      int             `json:"v,omitempty"`
	Signer sigstore.Signer `json:"signer"`
	Reason string          `json:"reason"`
}

// RootDiffResult is the result of sigstore.root-diff.
type RootDiffResult struct {
	V       int               `json:"v,omitempty"`
	Old     string            `json:"old_sha256"`
	New     string            `json:"new_sha256"`
	Changes []sigstore.Change `json:"changes"`
	Report  string            `json:"report"`
}

// InspectResult is the result of sigstore.inspect: who signed a module or
// bundle, by its Rekor entry, read offline.
type InspectResult struct {
	V        int              `json:"v,omitempty"`
	File     string           `json:"file"`
	Finding  sigstore.Finding `json:"finding"`
	RootSHA  string           `json:"trusted_root_sha256,omitempty"`
	Report   string           `json:"report"`
	Verified string           `json:"verified"` // verified, untrusted, not verified: no trusted root
	Notes    []string         `json:"notes,omitempty"`
}

// PublishedResult is the result of published.verify: the URLs fetched,
// the SHA-256 of what each returned, and what was verified.
type PublishedResult struct {
	V      int               `json:"v,omitempty"`
	Report *published.Report `json:"report"`
}
