// Package actions is the one pipeline every change firebreak makes goes
// through, whether the CLI, the console or a drill asks for it:
//
//	plan    a dry-run description of exactly what will change
//	confirm an explicit yes (interactive, or --yes); --dry-run stops here
//	execute with progress for long work, cancellable through ctx
//	verify  re-read what was written
//	record  action.done or action.failed in the incident's journal, with
//	        the plan, the result and the verification
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// Journal kinds the pipeline records.
const (
	KindPlanned = "action.planned"
	KindDone    = "action.done"
	KindFailed  = "action.failed"
)

// Plan says exactly what an action will change.
type Plan struct {
	Action      string   `json:"action"`
	Summary     string   `json:"summary"`
	Changes     []string `json:"changes"`
	Destructive bool     `json:"destructive"`
	// Confirm, for destructive actions, is the text a person must type to
	// confirm (the console asks for it).
	Confirm string `json:"confirm,omitempty"`
}

// checkOutputs refuses an action whose named outputs reach the record.
func (r *Runner) checkOutputs(a Action) error {
	w, ok := a.(Writer)
	if !ok {
		return nil
	}
	protect := r.Protect
	if protect == nil && r.Incident != nil {
		protect = []string{Home(r.Incident)}
	}
	for _, p := range w.Outputs() {
		if err := CheckOutput(p, protect); err != nil {
			return err
		}
	}
	return nil
}

// Wiper is an action holding key material: the Runner wipes it when the
// run ends, whatever the outcome. An action is built for one run.
type Wiper interface {
	Wipe()
}

// Progress reports long work.
type Progress struct {
	Item  string `json:"item"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
}

// CancelledError is an action a person stopped while it ran. It is
// context.Canceled, so callers that only test for that still see it.
type CancelledError struct {
	Action, Actor string
}

func (e *CancelledError) Error() string {
	return e.Action + " cancelled by " + e.Actor + " part way (what it did so far is recorded)"
}

func (e *CancelledError) Is(target error) bool { return target == context.Canceled }

// Result is what an action did. Events are recorded in the journal along
// with the action (evidence.added for each file, say).
type Result struct {
	Summary string          `json:"summary"`
	Data    any             `json:"data,omitempty"`
	Events  []journal.Entry `json:"-"`
}

// Check is one verification.
type Check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Skipped marks a check that could not be made here (an external
	// tool that is not installed); it counts as passed and says so.
	Skipped bool `json:"skipped,omitempty"`
}

// Verification is the re-read of what an action wrote.
type Verification struct {
	Checks []Check `json:"checks"`
}

// OK reports whether every check passed (and there was at least one).
func (v *Verification) OK() bool {
	if v == nil || len(v.Checks) == 0 {
		return false
	}
	for _, c := range v.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed lists the checks that did not pass.
func (v *Verification) Failed() []Check {
	var out []Check
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Action is one kind of change.
type Action interface {
	// Plan inspects the world and says what Execute would change, changing
	// nothing. An error means the action cannot run as asked.
	Plan(ctx context.Context) (*Plan, error)
	// Execute makes the change.
	Execute(ctx context.Context, progress func(Progress)) (*Result, error)
	// Verify re-reads what Execute wrote.
	Verify(ctx context.Context, r *Result) (*Verification, error)
}

// Recording is an action that must record events while it runs, each
// before a change that cannot be undone (a quarantine records every copy
// before it removes the original), rather than after. The Runner hands it
// a recorder that writes to the incident's journal, synced, as the actor
// and step of the run; without an incident it gets none.
type Recording interface {
	SetRecorder(rec func(journal.Entry) error, incident string)
}

// Runner drives actions through the pipeline.
type Runner struct {
	// Incident, when set, receives the record; without one (firebreak
	// hash, key generate outside an incident) nothing is recorded.
	Incident *incident.Incident
	Actor    string
	Step     string // the playbook step the action does, if any
	DryRun   bool
	Yes      bool
	// Confirm asks a person before a destructive action; nil with Yes
	// false refuses to run one. Actions that only add files (they never
	// overwrite) run without asking.
	Confirm func(*Plan) (bool, error)
	// ConfirmAll asks Confirm about every plan, not only destructive ones
	// (the console shows each plan before it runs). Yes still skips it.
	ConfirmAll bool
	Progress   func(Progress)
	// Protect lists directories no Writer may write into; nil means the
	// incident's firebreak home, when there is an incident.
	Protect []string
}

// Outcome is what happened.
type Outcome struct {
	Plan         *Plan         `json:"plan"`
	DryRun       bool          `json:"dry_run,omitempty"`
	Executed     bool          `json:"executed"` // Execute ran (whatever it returned)
	Result       *Result       `json:"result,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
}

// ErrNotConfirmed is returned when no one said yes.
var ErrNotConfirmed = errors.New("not confirmed")

// VerifyError is returned when an action ran but its verification failed.
type VerifyError struct{ Failed []Check }

func (e *VerifyError) Error() string {
	var parts []string
	for _, c := range e.Failed {
		parts = append(parts, c.What+": "+c.Detail)
	}
	return "verification failed: " + strings.Join(parts, "; ")
}

// Run takes a through plan, confirm, execute, verify and record.
func (r *Runner) Run(ctx context.Context, a Action) (*Outcome, error) {
	if w, ok := a.(Wiper); ok {
		defer w.Wipe() // key material never outlives the run
	}
	if r.Incident != nil && r.Step != "" {
		// A step's action is a step change: a closed incident's steps do
		// not change, however the action was reached (run, the console, a
		// drill), so it is refused before it plans.
		st, err := r.Incident.State()
		if err != nil {
			return nil, err
		}
		if st.Closed {
			return nil, &incident.ClosedError{ID: r.Incident.Header.ID, At: st.ClosedAt}
		}
	}
	plan, err := a.Plan(ctx)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Plan: plan}
	if err := r.checkOutputs(a); err != nil {
		return out, err
	}
	if r.DryRun {
		out.DryRun = true
		return out, nil
	}
	if !r.Yes && (plan.Destructive || (r.ConfirmAll && r.Confirm != nil)) {
		if r.Confirm == nil {
			return out, fmt.Errorf("%w: %s changes things; confirm with --yes (or --dry-run to see the plan)", ErrNotConfirmed, plan.Action)
		}
		ok, err := r.Confirm(plan)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, ErrNotConfirmed
		}
	}
	// Again now: a confirmation can wait minutes, and a directory on the
	// way to an output swapped for a link into the record meanwhile must
	// not be written through.
	if err := r.checkOutputs(a); err != nil {
		return out, err
	}
	progress := r.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	if rec, ok := a.(Recording); ok && r.Incident != nil {
		wctx := context.WithoutCancel(ctx) // a copy made is recorded, cancelled or not
		rec.SetRecorder(func(e journal.Entry) error {
			e = r.portable(e)
			e.Actor = r.Actor
			if e.Step == "" {
				e.Step = r.Step
			}
			_, err := r.Incident.Record(wctx, e)
			return err
		}, r.Incident.Header.ID)
	}
	out.Executed = true
	res, err := a.Execute(ctx, progress)
	if err != nil {
		out.Result = res
		data := map[string]any{"action": plan.Action, "plan": plan, "error": err.Error(), "result": resultData(res)}
		summary := plan.Action + " failed: " + err.Error()
		if errors.Is(err, context.Canceled) {
			// A person stopped it (esc, ctrl+c, a closed terminal): say
			// who, not "context canceled".
			summary = plan.Action + " cancelled by " + r.Actor + " part way; what it did so far is recorded"
			data["cancelled_by"] = r.Actor
			err = &CancelledError{Action: plan.Action, Actor: r.Actor}
		}
		r.record(ctx, KindFailed, summary, data, res)
		return out, err
	}
	out.Result = res
	ver, verr := a.Verify(ctx, res)
	if verr != nil {
		ver = &Verification{Checks: []Check{{What: "verification", OK: false, Detail: verr.Error()}}}
	}
	out.Verification = ver
	data := map[string]any{"action": plan.Action, "plan": plan, "result": resultData(res), "verification": ver}
	if !ver.OK() {
		failed := ver.Failed()
		if len(failed) == 0 {
			failed = []Check{{What: "verification", Detail: "nothing was checked"}}
		}
		ve := &VerifyError{Failed: failed}
		if err := r.record(ctx, KindFailed, plan.Action+": "+ve.Error(), data, res); err != nil {
			return out, err
		}
		return out, ve
	}
	if err := r.record(ctx, KindDone, res.Summary, data, res); err != nil {
		return out, fmt.Errorf("%s was done but could not be recorded: %w", plan.Action, err)
	}
	return out, nil
}

func resultData(r *Result) any {
	if r == nil {
		return nil
	}
	return map[string]any{"summary": r.Summary, "data": r.Data}
}

func (r *Runner) record(ctx context.Context, kind, summary string, data map[string]any, res *Result) error {
	if r.Incident == nil {
		return nil
	}
	// What ran is recorded even when the run was cancelled part way.
	ctx = context.WithoutCancel(ctx)
	// Everything is checked before anything is written: an event the
	// journal would refuse (it holds what looks like a secret, from an
	// input the action read) is left out and named, and the action's own
	// record is then still written, without the secret.
	var events []journal.Entry
	var left []string
	if res != nil {
		for _, e := range res.Events {
			e = r.portable(e)
			e.Actor = r.Actor
			if e.Step == "" {
				e.Step = r.Step
			}
			if err := incident.CheckEntry(e); err != nil {
				left = append(left, err.Error())
				continue
			}
			events = append(events, e)
		}
	}
	if len(left) > 0 {
		data["left_out"] = left
	}
	main := journal.Entry{Actor: r.Actor, Kind: kind, Step: r.Step, Summary: oneLine(summary), Data: utf8Data(fitRecord(data))}
	if err := incident.CheckEntry(main); err != nil {
		left = append(left, err.Error())
		main.Summary = string(redact.Scrub([]byte(main.Summary)))
		main.Data = map[string]any{"action": data["action"], "scrubbed": "the record's detail held what looks like a secret and is not kept", "left_out": left}
		if incident.CheckEntry(main) != nil {
			main.Summary = kind + ": " + fmt.Sprint(data["action"]) + " (summary held what looks like a secret)"
		}
	}
	for _, e := range events {
		if _, err := r.Incident.Record(ctx, e); err != nil {
			return err
		}
	}
	_, err := r.Incident.Record(ctx, main)
	return err
}

// maxRecord bounds the data of an action's record: a journal line holds at
// most journal.MaxLine, and an action over thousands of files (a
// quarantine of a module tree) has a plan, a result and checks per file.
// Per-file facts are recorded as their own events (evidence.added).
const maxRecord = 256 << 10

// fitRecord returns data, or when it is too large to record, a summary of
// it that keeps what a reviewer needs: the action, the plan's summary and
// first changes, the result's summary, and every failed check (up to 200)
// with the count of those that passed. Recording the action matters more
// than its detail: an action done but unrecorded is the failure to avoid.
func fitRecord(data map[string]any) map[string]any {
	raw, err := json.Marshal(data)
	if err != nil || len(raw) <= maxRecord {
		return data
	}
	out := map[string]any{"action": data["action"], "truncated": fmt.Sprintf("the full record was %d bytes; per-file detail is in the evidence.added events and the stores", len(raw))}
	if p, ok := data["plan"].(*Plan); ok && p != nil {
		changes := p.Changes
		if len(changes) > 20 {
			changes = append(changes[:20:20], fmt.Sprintf("… and %d more", len(p.Changes)-20))
		}
		out["plan"] = &Plan{Action: p.Action, Summary: p.Summary, Changes: changes, Destructive: p.Destructive, Confirm: p.Confirm}
	}
	if res, ok := data["result"].(map[string]any); ok {
		out["result"] = map[string]any{"summary": res["summary"]}
	}
	if e, ok := data["error"]; ok {
		out["error"] = e
	}
	if v, ok := data["verification"].(*Verification); ok && v != nil {
		failed := v.Failed()
		passed := len(v.Checks) - len(failed)
		if len(failed) > 200 {
			failed = failed[:200]
		}
		checks := append([]Check{}, failed...)
		checks = append(checks, Check{What: fmt.Sprintf("%d other check(s)", passed), OK: true, Detail: "passed; not listed, to keep the record within a journal line"})
		out["verification"] = &Verification{Checks: checks}
	}
	return out
}

// portable names a store inside the incident by its path relative to the
// incident ("evidence", "keys"), so the record stays true when the
// incident directory is copied, moved or synced; a store elsewhere (keys
// isolated offline) keeps its absolute path.
func (r *Runner) portable(e journal.Entry) journal.Entry {
	ent, ok := e.Data.(evidence.Entry)
	if !ok || ent.Store == "" || r.Incident == nil {
		return e
	}
	abs, err := filepath.Abs(ent.Store)
	if err != nil {
		return e
	}
	dir, err := filepath.Abs(r.Incident.Dir)
	if err != nil {
		return e
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && filepath.IsLocal(rel) {
		ent.Store = filepath.ToSlash(rel)
	} else {
		ent.Store = abs
	}
	e.Data = ent
	return e
}

// oneLine makes a summary one line of UTF-8 text (error messages carry
// paths, which may hold any byte), at most 300 bytes.
func oneLine(s string) string {
	s = textutil.Line(s)
	if len(s) > 300 {
		cut := 299
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// utf8Data returns data as JSON the journal accepts: a byte that is not
// UTF-8 (in an error message quoting a path, say) becomes U+FFFD, so that
// the action's record is written rather than refused. Evidence records keep
// exact bytes of their own (path_bytes); this is the action's account.
func utf8Data(data map[string]any) any {
	raw, err := json.Marshal(data)
	if err != nil {
		return data
	}
	if fixed, lossy := journal.LossyUTF8(raw); lossy {
		return json.RawMessage(fixed)
	}
	return data
}
