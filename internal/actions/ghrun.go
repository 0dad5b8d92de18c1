package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// RunLog is one run's log archive kept in the evidence, or why not.
type RunLog struct {
	Run      int64  `json:"run"`
	Evidence string `json:"evidence,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Size     int64  `json:"size,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

// LogsResult is the result of gh.logs.
type LogsResult struct {
	V    int      `json:"v,omitempty"`
	Repo string   `json:"repo"`
	Logs []RunLog `json:"logs"`
}

// MaxLogRuns bounds the runs one gh.logs or gh.audit downloads the logs of.
const MaxLogRuns = 200

// SaveLogs downloads the log archives of runs into the evidence: GitHub
// deletes them after the repository's retention period, so this is the
// step that keeps them.
type SaveLogs struct {
	Client  *github.Client
	Repo    github.Repo
	Runs    []int64
	Store   *evidence.Store
	Scratch string
	Actor   string
	saved   []RunLog
	evidenceTaker
}

// Plan names the runs.
func (s *SaveLogs) Plan(context.Context) (*Plan, error) {
	if len(s.Runs) == 0 {
		return nil, errors.New("no run to keep the logs of")
	}
	if len(s.Runs) > MaxLogRuns {
		return nil, fmt.Errorf("%d runs: at most %d at a time", len(s.Runs), MaxLogRuns)
	}
	var ids []string
	for _, r := range s.Runs {
		ids = append(ids, fmt.Sprint(r))
	}
	return &Plan{Action: NameGhLogs, Summary: fmt.Sprintf("keep the logs of %d run(s) of %s in the evidence", len(s.Runs), s.Repo),
		Changes: []string{"download the log archive of run(s) " + strings.Join(ids, ", ") + " (actions/download-workflow-run-logs)", "add each as logs-" + s.Repo.Owner + "-" + s.Repo.Name + "-run-ID.zip to the evidence"}}, nil
}

// Execute downloads each archive, streamed to a file, and takes it.
func (s *SaveLogs) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	res := &Result{}
	logs, events, err := saveRunLogs(ctx, &s.evidenceTaker, s.Client, s.Repo, s.Runs, s.Store, s.Scratch, s.Actor, progress)
	res.Events = events
	s.saved = logs
	kept := 0
	for _, l := range logs {
		if l.Problem == "" {
			kept++
		}
	}
	res.Summary = fmt.Sprintf("kept the logs of %d of %d run(s) of %s in the evidence", kept, len(s.Runs), s.Repo)
	res.Data = LogsResult{V: RecordVersion, Repo: s.Repo.String(), Logs: logs}
	return res, err
}

// saveRunLogs downloads the logs of runs into the evidence; a run whose
// logs are gone is recorded with the reason, and the others still kept.
func saveRunLogs(ctx context.Context, t *evidenceTaker, c *github.Client, repo github.Repo, runs []int64, st *evidence.Store, scratch, actor string, progress func(Progress)) ([]RunLog, []journal.Entry, error) {
	var out []RunLog
	var events []journal.Entry
	for i, id := range runs {
		if err := ctx.Err(); err != nil {
			return out, events, err
		}
		name := fmt.Sprintf("logs-%s-%s-run-%d.zip", repo.Owner, repo.Name, id)
		var size int64
		e, evs, err := t.save(ctx, st, scratch, name, actor, fmt.Sprintf("logs of run %d of %s", id, repo), func(w io.Writer) error {
			n, err := c.RunLogs(ctx, repo, id, w)
			size = n
			return err
		})
		events = append(events, evs...)
		if err != nil {
			if ctx.Err() != nil {
				return out, events, ctx.Err()
			}
			out = append(out, RunLog{Run: id, Problem: err.Error()})
			continue
		}
		out = append(out, RunLog{Run: id, Evidence: e.Name, SHA256: e.SHA256, Size: size})
		if progress != nil {
			progress(Progress{Item: name, Done: int64(i + 1), Total: int64(len(runs))})
		}
	}
	return out, events, nil
}

// Verify re-hashes each archive kept and says which runs' logs are gone:
// asked for by name, a missing one fails.
func (s *SaveLogs) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return verifyLogs(ctx, s.Store, s.saved, true)
}

// verifyLogs re-hashes the archives kept; a run whose logs GitHub no
// longer had fails when missingFails, else is said and skipped.
func verifyLogs(ctx context.Context, st *evidence.Store, logs []RunLog, missingFails bool) (*Verification, error) {
	v := &Verification{}
	var kept []evidence.Entry
	for _, l := range logs {
		if l.Problem != "" {
			c := check(fmt.Sprintf("the logs of run %d are kept", l.Run), false, errors.New(l.Problem))
			if !missingFails {
				c.OK, c.Skipped, c.Detail = true, true, "not available: "+l.Problem
			}
			v.Checks = append(v.Checks, c)
			continue
		}
		kept = append(kept, evidence.Entry{Name: l.Evidence, Type: evidence.TypeFile, SHA256: l.SHA256, Size: l.Size})
	}
	if len(kept) > 0 {
		ev, err := verifyEntries(ctx, st, kept, false)
		if err != nil {
			return nil, err
		}
		v.Checks = append(v.Checks, ev.Checks...)
	}
	return v, nil
}

// Dispatch starts a workflow (a redeploy) and waits, within a deadline,
// for the run it created to finish.
type Dispatch struct {
	Client     *github.Client
	Repo       github.Repo
	WorkflowID int64
	File       string
	Ref        string
	Inputs     map[string]string
	Wait       time.Duration // how long the run may take
	Now        func() time.Time
	Sleep      func(context.Context, time.Duration) error
	run        *github.Run
}

// DispatchResult is the result of gh.dispatch.
type DispatchResult struct {
	V          int               `json:"v,omitempty"`
	Repo       string            `json:"repo"`
	Workflow   string            `json:"workflow"`
	Ref        string            `json:"ref"`
	Inputs     map[string]string `json:"inputs,omitempty"`
	Run        int64             `json:"run,omitempty"`
	Status     string            `json:"status,omitempty"`
	Conclusion string            `json:"conclusion,omitempty"`
	URL        string            `json:"url,omitempty"`
}

// Plan finds the workflow and names it, the ref and the inputs.
func (d *Dispatch) Plan(ctx context.Context) (*Plan, error) {
	if d.Ref == "" {
		return nil, errors.New("no ref to run the workflow on")
	}
	if d.WorkflowID == 0 {
		wfs, err := d.Client.Workflows(ctx, d.Repo, nil)
		if err != nil {
			return nil, err
		}
		for _, wf := range wfs {
			if wf.File == d.File || wf.Path == d.File {
				d.WorkflowID = wf.ID
				if wf.State != "active" {
					return nil, fmt.Errorf("workflow %s in %s is %s: resume it first (firebreak gh resume)", d.File, d.Repo, wf.State)
				}
			}
		}
		if d.WorkflowID == 0 {
			return nil, fmt.Errorf("no workflow %s in %s", d.File, d.Repo)
		}
	}
	var in []string
	for k, v := range d.Inputs {
		in = append(in, k+"="+v)
	}
	return &Plan{Action: NameGhDispatch, Destructive: true, Confirm: "dispatch",
		Summary: fmt.Sprintf("run %s in %s on %s (a redeploy: it publishes what the workflow publishes)", d.File, d.Repo, d.Ref),
		Changes: []string{fmt.Sprintf("dispatch %s on %s with inputs [%s] (actions/create-workflow-dispatch)", d.File, d.Ref, strings.Join(in, ", ")),
			fmt.Sprintf("wait up to %s for the run it creates to finish", d.Wait)}}, nil
}

// Execute dispatches, finds the run it created and waits for it.
func (d *Dispatch) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	sleep := d.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, t time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(t):
				return nil
			}
		}
	}
	// GitHub's clock and ours differ a little: look a minute back.
	start := now().Add(-time.Minute)
	before, err := d.Client.DispatchRuns(ctx, d.Repo, d.WorkflowID, start)
	if err != nil {
		return nil, err
	}
	if err := d.Client.Dispatch(ctx, d.Repo, d.WorkflowID, d.Ref, d.Inputs); err != nil {
		return nil, err
	}
	out := DispatchResult{V: RecordVersion, Repo: d.Repo.String(), Workflow: d.File, Ref: d.Ref, Inputs: d.Inputs}
	res := &Result{Data: out}
	deadline := now().Add(d.Wait)
	for attempt := 0; ; attempt++ {
		var run github.Run
		var err error
		if d.run == nil {
			var found bool
			run, found, err = d.Client.FindDispatchedRun(ctx, d.Repo, d.WorkflowID, d.Ref, start, before)
			if err == nil && found {
				d.run = &run
			}
		} else {
			run, err = d.Client.GetRun(ctx, d.Repo, d.run.ID)
			if err == nil {
				d.run = &run
			}
		}
		if err != nil {
			return res, err
		}
		if d.run != nil {
			out.Run, out.Status, out.Conclusion, out.URL = d.run.ID, d.run.Status, d.run.Conclusion, d.run.URL
			res.Data = out
			if d.run.Status == "completed" {
				res.Summary = fmt.Sprintf("dispatched %s on %s: run %d %s", d.File, d.Ref, d.run.ID, d.run.Conclusion)
				return res, nil
			}
		}
		if !now().Before(deadline) {
			what := "no run appeared"
			if d.run != nil {
				what = fmt.Sprintf("run %d is still %s", d.run.ID, d.run.Status)
			}
			res.Summary = fmt.Sprintf("dispatched %s on %s; %s after %s", d.File, d.Ref, what, d.Wait)
			return res, nil
		}
		wait := min(time.Duration(attempt+1)*2*time.Second, 15*time.Second, max(deadline.Sub(now()), time.Millisecond))
		if err := sleep(ctx, wait); err != nil {
			return res, err
		}
	}
}

// Verify: the dispatched run appeared, finished, and succeeded.
func (d *Dispatch) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	if d.run == nil {
		v.Checks = append(v.Checks, check("the dispatched run appeared within "+d.Wait.String(), false, nil))
		return v, nil
	}
	v.Checks = append(v.Checks, check(fmt.Sprintf("run %d finished within %s", d.run.ID, d.Wait), d.run.Status == "completed", unless(d.run.Status == "completed", "it is "+d.run.Status)))
	if d.run.Status == "completed" {
		v.Checks = append(v.Checks, check(fmt.Sprintf("run %d succeeded", d.run.ID), d.run.Conclusion == "success", unless(d.run.Conclusion == "success", "it concluded "+d.run.Conclusion)))
	}
	return v, nil
}

// unless is an error saying why, when ok is false.
func unless(ok bool, why string) error {
	if ok {
		return nil
	}
	return errors.New(why)
}
