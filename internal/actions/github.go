package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// PausedWorkflow is a workflow firebreak disabled, as recorded.
type PausedWorkflow struct {
	ID    int64  `json:"id"`
	File  string `json:"file"`
	Name  string `json:"name"`
	Prior string `json:"prior_state"`
}

// PauseResult is the recorded result of gh.pause (and of gh.resume).
type PauseResult struct {
	V       int              `json:"v,omitempty"`
	Repo    string           `json:"repo"`
	Paused  []PausedWorkflow `json:"paused,omitempty"`
	Resumed []PausedWorkflow `json:"resumed,omitempty"`
	Skipped []string         `json:"skipped,omitempty"`
}

// PauseWorkflows disables the chosen workflows — by default the ones whose
// files use a signing secret — skipping those already disabled.
type PauseWorkflows struct {
	Client  *github.Client
	Repo    github.Repo
	Files   []string // workflow file names; empty: the signing workflows
	Pattern *regexp.Regexp

	todo []PausedWorkflow
	res  PauseResult
}

// Plan reads the workflows and their files.
func (p *PauseWorkflows) Plan(ctx context.Context) (*Plan, error) {
	wfs, err := p.Client.Workflows(ctx, p.Repo, p.Pattern)
	if err != nil {
		return nil, err
	}
	if len(p.Files) == 0 {
		// Which workflows sign is read from their files: with any file
		// unread, the cause is the answer, not "nothing to pause".
		if err := github.Unreadable(wfs); err != nil {
			return nil, fmt.Errorf("cannot choose the signing workflows to pause: %w; retry, or name them with --workflow FILE", err)
		}
	}
	want := map[string]bool{}
	for _, f := range p.Files {
		want[filepath.Base(f)] = true
	}
	found := map[string]bool{}
	plan := &Plan{Action: NameGhPause, Destructive: true, Confirm: "pause"}
	p.todo, p.res = nil, PauseResult{V: RecordVersion, Repo: p.Repo.String()}
	for _, w := range wfs {
		sel := want[w.File]
		if len(p.Files) == 0 {
			sel = w.Uses.IsSigning()
		}
		found[w.File] = true
		switch {
		case !sel:
			if len(p.Files) == 0 && w.Uses.Inherits {
				plan.Changes = append(plan.Changes, fmt.Sprintf("leave %s: it passes all secrets to a called workflow (secrets: inherit) — pause it with --workflow %s if that one signs", w.File, w.File))
			}
		case w.State != "active":
			p.res.Skipped = append(p.res.Skipped, w.File+" (already "+w.State+")")
			plan.Changes = append(plan.Changes, fmt.Sprintf("skip %s: already %s", w.File, w.State))
		default:
			p.todo = append(p.todo, PausedWorkflow{ID: w.ID, File: w.File, Name: w.Name, Prior: w.State})
			why := "named"
			if len(p.Files) == 0 {
				why = "uses " + strings.Join(w.Uses.Signing, ", ")
			}
			plan.Changes = append(plan.Changes, fmt.Sprintf("disable %s (%s; %s)", w.File, w.Name, why))
		}
	}
	for f := range want {
		if !found[f] {
			return nil, fmt.Errorf("%s has no workflow file %q", p.Repo, f)
		}
	}
	if len(p.todo) == 0 {
		return nil, fmt.Errorf("no active workflow to pause in %s (%d skipped)", p.Repo, len(p.res.Skipped))
	}
	plan.Summary = fmt.Sprintf("pause %d workflow(s) in %s", len(p.todo), p.Repo)
	return plan, nil
}

// Execute disables the workflows one by one.
func (p *PauseWorkflows) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	var err error
	for _, w := range p.todo {
		if err = p.Client.SetWorkflow(ctx, p.Repo, w.ID, false); err != nil {
			break
		}
		p.res.Paused = append(p.res.Paused, w)
	}
	names := fileNames(p.res.Paused)
	return &Result{Summary: fmt.Sprintf("paused %d workflow(s) in %s: %s", len(p.res.Paused), p.Repo, names), Data: p.res}, err
}

// Verify re-reads each workflow's state.
func (p *PauseWorkflows) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return verifyStates(ctx, p.Client, p.Repo, p.res.Paused, "disabled_manually"), nil
}

func verifyStates(ctx context.Context, c *github.Client, r github.Repo, ws []PausedWorkflow, want string) *Verification {
	v := &Verification{}
	for _, w := range ws {
		st, err := c.WorkflowState(ctx, r, w.ID)
		v.Checks = append(v.Checks, Check{What: w.File + " is " + want, OK: err == nil && st == want, Detail: orErr(st, err)})
	}
	return v
}

func orErr(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	return s
}

func fileNames(ws []PausedWorkflow) string {
	var n []string
	for _, w := range ws {
		n = append(n, w.File)
	}
	return strings.Join(n, ", ")
}

// ResumeWorkflows re-enables exactly the workflows firebreak paused (and
// that are still disabled by hand), nothing else.
type ResumeWorkflows struct {
	Client *github.Client
	Repo   github.Repo
	Paused []PausedWorkflow

	todo []PausedWorkflow
	res  PauseResult
}

// Plan checks each paused workflow's state now.
func (rw *ResumeWorkflows) Plan(ctx context.Context) (*Plan, error) {
	if len(rw.Paused) == 0 {
		return nil, fmt.Errorf("this incident has not paused any workflow in %s: nothing to resume", rw.Repo)
	}
	plan := &Plan{Action: NameGhResume, Destructive: true, Confirm: "resume"}
	rw.todo, rw.res = nil, PauseResult{V: RecordVersion, Repo: rw.Repo.String()}
	for _, w := range rw.Paused {
		st, err := rw.Client.WorkflowState(ctx, rw.Repo, w.ID)
		if err != nil {
			return nil, err
		}
		if st != "disabled_manually" {
			rw.res.Skipped = append(rw.res.Skipped, w.File+" (now "+st+")")
			plan.Changes = append(plan.Changes, fmt.Sprintf("skip %s: it is %s now, not as firebreak left it", w.File, st))
			continue
		}
		rw.todo = append(rw.todo, w)
		plan.Changes = append(plan.Changes, "enable "+w.File+" ("+w.Name+")")
	}
	plan.Summary = fmt.Sprintf("resume %d workflow(s) this incident paused in %s", len(rw.todo), rw.Repo)
	return plan, nil
}

// Execute enables them.
func (rw *ResumeWorkflows) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	var err error
	for _, w := range rw.todo {
		if err = rw.Client.SetWorkflow(ctx, rw.Repo, w.ID, true); err != nil {
			break
		}
		rw.res.Resumed = append(rw.res.Resumed, w)
	}
	return &Result{Summary: fmt.Sprintf("resumed %d workflow(s) in %s: %s", len(rw.res.Resumed), rw.Repo, fileNames(rw.res.Resumed)), Data: rw.res}, err
}

// Verify re-reads their states.
func (rw *ResumeWorkflows) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	if len(rw.res.Resumed) == 0 {
		return &Verification{Checks: []Check{{What: "nothing needed resuming", OK: true}}}, nil
	}
	return verifyStates(ctx, rw.Client, rw.Repo, rw.res.Resumed, "active"), nil
}

// PausedBy reads an incident's timeline and returns the workflows of repo
// that gh.pause disabled and no gh.resume has re-enabled since, whether
// the run that did it finished or failed part way.
func PausedBy(events []journal.Event, repo string) []PausedWorkflow {
	evs := append([]journal.Event(nil), events...)
	journal.SortLogged(evs)
	paused := map[int64]PausedWorkflow{}
	var order []int64
	for _, e := range evs {
		// A failed run counts for what it did before it failed: a pause
		// that disabled one workflow of two must be resumed too.
		rec, ok := ParseRecord(e)
		if !ok || (rec.Action != NameGhPause && rec.Action != NameGhResume) {
			continue
		}
		d, ok := Decode[PauseResult](rec)
		if !ok || d.Repo != repo {
			continue
		}
		switch rec.Action {
		case NameGhPause:
			for _, w := range d.Paused {
				if _, ok := paused[w.ID]; !ok {
					order = append(order, w.ID)
				}
				paused[w.ID] = w
			}
		case NameGhResume:
			for _, w := range d.Resumed {
				delete(paused, w.ID)
			}
		}
	}
	var out []PausedWorkflow
	for _, id := range order {
		if w, ok := paused[id]; ok {
			out = append(out, w)
		}
	}
	return out
}

// CancelRuns cancels the queued and running runs of workflows and waits
// for them to stop.
type CancelRuns struct {
	Client    *github.Client
	Repo      github.Repo
	Workflows []PausedWorkflow // whose runs to cancel
	Force     bool             // force-cancel runs that do not stop by the deadline
	Deadline  time.Duration    // how long to wait for each to stop (default 2m)
	Poll      time.Duration    // default 3s
	Sleep     func(context.Context, time.Duration) error

	runs    []github.Run
	outcome []RunOutcome
}

// RunOutcome is what happened to one run.
type RunOutcome struct {
	github.Run
	Outcome string `json:"outcome"` // cancelled | force-cancelled | already completed | still running
}

// Plan lists the active runs.
func (cr *CancelRuns) Plan(ctx context.Context) (*Plan, error) {
	cr.runs = nil
	for _, w := range cr.Workflows {
		rs, err := cr.Client.Runs(ctx, cr.Repo, w.ID, github.ActiveStatuses, time.Time{})
		if err != nil {
			return nil, err
		}
		cr.runs = append(cr.runs, rs...)
	}
	sort.Slice(cr.runs, func(i, j int) bool { return cr.runs[i].ID < cr.runs[j].ID })
	plan := &Plan{Action: NameGhCancelRuns, Destructive: true, Confirm: "cancel",
		Summary: fmt.Sprintf("cancel %d queued or running run(s) of %d workflow(s) in %s", len(cr.runs), len(cr.Workflows), cr.Repo)}
	for _, r := range cr.runs {
		plan.Changes = append(plan.Changes, fmt.Sprintf("cancel run %d (%s, %s by %s, %s)", r.ID, r.Name, r.Status, r.Actor, r.HeadSHA))
	}
	return plan, nil
}

// Execute cancels each run, then polls until it completes or the deadline
// passes (then force-cancels when asked).
func (cr *CancelRuns) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	deadline, poll, sleep := cr.Deadline, cr.Poll, cr.Sleep
	if deadline == 0 {
		deadline = 2 * time.Minute
	}
	if poll == 0 {
		poll = 3 * time.Second
	}
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	cr.outcome = nil
	for _, r := range cr.runs {
		o := RunOutcome{Run: r, Outcome: "cancelled"}
		err := cr.Client.CancelRun(ctx, cr.Repo, r.ID, false)
		if errors.Is(err, github.ErrAlreadyCompleted) {
			o.Outcome = "already completed"
			cr.outcome = append(cr.outcome, o)
			continue
		}
		if err != nil {
			return &Result{Data: cr.outcome}, err
		}
		stopped := false
		for waited := time.Duration(0); ; waited += poll {
			now, err := cr.Client.GetRun(ctx, cr.Repo, r.ID)
			if err != nil {
				return &Result{Data: cr.outcome}, err
			}
			o.Run = now
			if now.Status == "completed" {
				stopped = true
				break
			}
			if waited >= deadline {
				break
			}
			if err := sleep(ctx, poll); err != nil {
				return &Result{Data: cr.outcome}, err
			}
		}
		if !stopped {
			o.Outcome = "still running"
			if cr.Force {
				if err := cr.Client.CancelRun(ctx, cr.Repo, r.ID, true); err != nil && !errors.Is(err, github.ErrAlreadyCompleted) {
					return &Result{Data: cr.outcome}, err
				}
				o.Outcome = "force-cancelled"
				if now, err := cr.Client.GetRun(ctx, cr.Repo, r.ID); err == nil {
					o.Run = now
				}
			}
		}
		cr.outcome = append(cr.outcome, o)
	}
	return &Result{Summary: fmt.Sprintf("cancelled %d run(s) in %s", len(cr.outcome), cr.Repo), Data: CancelResult{V: RecordVersion, Repo: cr.Repo.String(), Runs: cr.outcome}}, nil
}

// Verify re-reads each run.
func (cr *CancelRuns) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v := &Verification{}
	if len(cr.outcome) == 0 {
		v.Checks = append(v.Checks, Check{What: "no queued or running runs", OK: true})
	}
	for _, o := range cr.outcome {
		r, err := cr.Client.GetRun(ctx, cr.Repo, o.ID)
		v.Checks = append(v.Checks, Check{What: fmt.Sprintf("run %d has stopped", o.ID), OK: err == nil && r.Status == "completed",
			Detail: orErr(r.Status+" "+r.Conclusion, err)})
	}
	return v, nil
}

// SetSecret creates or updates a secret from a file, sealed to the
// repository's (or environment's) public key.
type SetSecret struct {
	Client *github.Client
	Repo   github.Repo
	Env    string
	Name   string
	File   string

	value   []byte
	before  *github.Secret
	started time.Time
}

// MaxSecret is GitHub's limit on a secret's size.
const MaxSecret = 48 << 10

// Plan reads the file and the secret's current dates.
func (s *SetSecret) Plan(ctx context.Context) (*Plan, error) {
	if err := github.CheckSecretName(s.Name); err != nil {
		return nil, err
	}
	fi, err := os.Stat(s.File)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > MaxSecret {
		return nil, fmt.Errorf("%s must be a regular, non-empty file of at most %d bytes (GitHub's limit)", s.File, MaxSecret)
	}
	if s.before, err = s.Client.FindSecret(ctx, s.Repo, s.Env, s.Name); err != nil {
		return nil, err
	}
	where := s.Repo.String()
	if s.Env != "" {
		where += " environment " + s.Env
	}
	p := &Plan{Action: NameGhSecretSet, Summary: fmt.Sprintf("set secret %s in %s from %s (%d bytes, sealed to the public key)", s.Name, where, s.File, fi.Size())}
	if s.before != nil {
		p.Destructive, p.Confirm = true, s.Name
		p.Changes = append(p.Changes, fmt.Sprintf("replace the value of %s (last updated %s)", s.Name, s.before.Updated.UTC().Format(time.RFC3339)))
	} else {
		p.Changes = append(p.Changes, "create "+s.Name)
	}
	return p, nil
}

// Execute uploads it.
func (s *SetSecret) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	v, err := fsutil.ReadRegular(s.File, 64<<10) // GitHub secrets are at most 48 KB
	if err != nil {
		return nil, err
	}
	s.value = v
	defer clear(s.value)
	s.started = time.Now().Add(-time.Minute)
	if err := s.Client.SetSecret(ctx, s.Repo, s.Env, s.Name, v); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(v)
	return &Result{Summary: fmt.Sprintf("secret %s set in %s from %s (sha256 of the file %s)", s.Name, s.Repo, s.File, hex.EncodeToString(sum[:])),
		Data: SecretResult{V: RecordVersion, Repo: s.Repo.String(), Env: s.Env, Name: s.Name, File: s.File, FileSHA256: hex.EncodeToString(sum[:])}}, nil
}

// Verify re-reads the secret's dates.
func (s *SetSecret) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	after, err := s.Client.FindSecret(ctx, s.Repo, s.Env, s.Name)
	ok := err == nil && after != nil && (s.before == nil || after.Updated.After(s.before.Updated) || !after.Updated.Before(s.started))
	detail := "missing"
	if after != nil {
		detail = "updated_at " + after.Updated.UTC().Format(time.RFC3339)
	}
	return &Verification{Checks: []Check{{What: "secret " + s.Name + " exists with a new updated_at", OK: ok, Detail: orErr(detail, err)}}}, nil
}

// DeleteSecret deletes a secret; the typed confirmation is its name.
type DeleteSecret struct {
	Client *github.Client
	Repo   github.Repo
	Env    string
	Name   string
}

// Plan checks the secret exists.
func (d *DeleteSecret) Plan(ctx context.Context) (*Plan, error) {
	s, err := d.Client.FindSecret(ctx, d.Repo, d.Env, d.Name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("%s has no secret %s", d.Repo, d.Name)
	}
	return &Plan{Action: NameGhSecretDelete, Destructive: true, Confirm: d.Name,
		Summary: fmt.Sprintf("delete secret %s from %s (workflows using it will fail until it is set again)", d.Name, d.Repo),
		Changes: []string{"delete " + d.Name + " (last updated " + s.Updated.UTC().Format(time.RFC3339) + ")"}}, nil
}

// Execute deletes it.
func (d *DeleteSecret) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	if err := d.Client.DeleteSecret(ctx, d.Repo, d.Env, d.Name); err != nil {
		return nil, err
	}
	return &Result{Summary: fmt.Sprintf("secret %s deleted from %s", d.Name, d.Repo), Data: SecretResult{V: RecordVersion, Repo: d.Repo.String(), Env: d.Env, Name: d.Name}}, nil
}

// Verify lists the secrets again.
func (d *DeleteSecret) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	s, err := d.Client.FindSecret(ctx, d.Repo, d.Env, d.Name)
	return &Verification{Checks: []Check{{What: "secret " + d.Name + " is gone", OK: err == nil && s == nil, Detail: orErr("", err)}}}, nil
}

// AuditRecord is what gh.audit saves into the evidence.
type AuditRecord struct {
	Repo      string          `json:"repo"`
	Since     time.Time       `json:"since"`
	Collected time.Time       `json:"collected"`
	Paths     []string        `json:"paths"`
	Commits   []github.Commit `json:"commits"`
	Runs      []github.Run    `json:"runs"`
	// Logs are the runs' log archives kept beside the audit (GitHub
	// deletes them after the retention period).
	Logs []RunLog `json:"logs,omitempty"`
}

// Audit collects the commits touching signing paths and the workflow runs
// since a time, and saves them into the incident's evidence as JSON.
type Audit struct {
	Client  *github.Client
	Repo    github.Repo
	Since   time.Time
	Paths   []string
	Store   *evidence.Store
	Scratch string // a directory for the file before it is taken into evidence
	Actor   string
	Now     func() time.Time
	// Logs: also keep the log archive of every run in the window (at
	// most MaxLogRuns, newest first).
	Logs     bool
	entry    *evidence.Entry
	recorded AuditRecord
	evidenceTaker
}

// Plan says what will be collected.
func (a *Audit) Plan(ctx context.Context) (*Plan, error) {
	return &Plan{Action: NameGhAudit, Summary: fmt.Sprintf("collect commits touching %s and workflow runs in %s since %s into the evidence",
		strings.Join(a.Paths, ", "), a.Repo, a.Since.UTC().Format(time.RFC3339)),
		Changes: []string{"add audit-" + a.Repo.Owner + "-" + a.Repo.Name + "-<time>.json to the evidence", logsChange(a.Logs)}}, nil
}

func logsChange(on bool) string {
	if !on {
		return "the runs' logs are not downloaded"
	}
	return fmt.Sprintf("add the log archive of each run in the window (at most %d) to the evidence", MaxLogRuns)
}

// Execute collects and stores.
func (a *Audit) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	now := time.Now().UTC()
	if a.Now != nil {
		now = a.Now().UTC()
	}
	rec := AuditRecord{Repo: a.Repo.String(), Since: a.Since.UTC(), Collected: now, Paths: a.Paths, Commits: []github.Commit{}}
	seen := map[string]bool{}
	for _, p := range a.Paths {
		cs, err := a.Client.Commits(ctx, a.Repo, p, a.Since)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !seen[c.SHA+c.Path] {
				seen[c.SHA+c.Path] = true
				rec.Commits = append(rec.Commits, c)
			}
		}
	}
	runs, err := a.Client.Runs(ctx, a.Repo, 0, nil, a.Since)
	if err != nil {
		return nil, err
	}
	rec.Runs = runs
	var logEvents []journal.Entry
	if a.Logs {
		var ids []int64
		for i, r := range runs {
			if i == MaxLogRuns {
				break
			}
			ids = append(ids, r.ID)
		}
		rec.Logs, logEvents, err = saveRunLogs(ctx, &a.evidenceTaker, a.Client, a.Repo, ids, a.Store, a.Scratch, a.Actor, nil)
		if err != nil {
			return &Result{Events: logEvents}, err
		}
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("audit-%s-%s-%s.json", a.Repo.Owner, a.Repo.Name, now.Format("20060102T150405Z"))
	tmp := filepath.Join(a.Scratch, name)
	if err := fsutil.WriteFileAtomic(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	es, events, err := a.take(ctx, a.Store, []string{tmp}, evidence.Options{Move: true, Actor: a.Actor, Operation: "add"},
		func(e evidence.Entry) string { return "GitHub audit saved: " + e.Name + " sha256 " + e.SHA256 })
	if err != nil {
		return nil, err
	}
	a.entry, a.recorded = &es[0], rec
	kept := 0
	for _, l := range rec.Logs {
		if l.Problem == "" {
			kept++
		}
	}
	logs := ""
	if a.Logs {
		logs = fmt.Sprintf(", the logs of %d", kept)
	}
	summary := fmt.Sprintf("audit of %s since %s: %d commit(s) touching %s, %d run(s)%s; saved as evidence %s sha256 %s",
		a.Repo, a.Since.UTC().Format(time.RFC3339), len(rec.Commits), strings.Join(a.Paths, ", "), len(rec.Runs), logs, es[0].Name, es[0].SHA256)
	return &Result{Summary: summary, Data: AuditResult{V: RecordVersion, Repo: a.Repo.String(), Commits: len(rec.Commits), Runs: len(rec.Runs), Evidence: es[0].Name, SHA256: es[0].SHA256, Logs: kept},
		Events: append(logEvents, events...)}, nil
}

// Verify re-hashes the saved file and the logs kept; logs GitHub no
// longer had are said, not failed (nothing can bring them back).
func (a *Audit) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v, err := verifyEntries(ctx, a.Store, []evidence.Entry{*a.entry}, false)
	if err != nil {
		return nil, err
	}
	lv, err := verifyLogs(ctx, a.Store, a.recorded.Logs, false)
	if err != nil {
		return nil, err
	}
	v.Checks = append(v.Checks, lv.Checks...)
	return v, nil
}

// Publish creates an issue, a comment or a draft advisory.
type Publish struct {
	Client   *github.Client
	Repo     github.Repo
	Kind     string // issue | comment | advisory
	Title    string
	Body     string
	Issue    int
	Advisory github.AdvisoryRequest

	url, id string
}

// Plan says what becomes visible where.
func (p *Publish) Plan(ctx context.Context) (*Plan, error) {
	plan := &Plan{Action: NameGhPublish, Destructive: true, Confirm: "publish"}
	switch p.Kind {
	case "issue":
		plan.Summary = fmt.Sprintf("open an issue in %s: %q (%d bytes of Markdown)", p.Repo, p.Title, len(p.Body))
	case "comment":
		plan.Summary = fmt.Sprintf("comment on issue #%d in %s (%d bytes)", p.Issue, p.Repo, len(p.Body))
	case "advisory":
		plan.Summary = fmt.Sprintf("file a draft security advisory in %s: %q, severity %s", p.Repo, p.Advisory.Summary, p.Advisory.Severity)
	default:
		return nil, fmt.Errorf("publish %q: use issue, comment or advisory", p.Kind)
	}
	plan.Changes = []string{plan.Summary + " — GitHub requests that create things are not idempotent: running this again creates another"}
	return plan, nil
}

// Execute publishes.
func (p *Publish) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	var err error
	switch p.Kind {
	case "issue":
		var n int
		n, p.url, err = p.Client.CreateIssue(ctx, p.Repo, p.Title, p.Body)
		p.id = fmt.Sprintf("#%d", n)
	case "comment":
		p.url, err = p.Client.Comment(ctx, p.Repo, p.Issue, p.Body)
		p.id = fmt.Sprintf("#%d", p.Issue)
	case "advisory":
		p.id, p.url, err = p.Client.CreateAdvisory(ctx, p.Repo, p.Advisory)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Summary: fmt.Sprintf("published %s %s in %s: %s", p.Kind, p.id, p.Repo, p.url),
		Data: PublishResult{V: RecordVersion, Repo: p.Repo.String(), Kind: p.Kind, ID: p.id, URL: p.url}}, nil
}

// Verify checks GitHub answered with what it created.
func (p *Publish) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return &Verification{Checks: []Check{{What: "GitHub returned the " + p.Kind + " it created", OK: p.id != "" && p.url != "", Detail: p.id + " " + p.url}}}, nil
}
