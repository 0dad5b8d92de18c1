package github

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Dispatch starts a workflow on ref with inputs
// (actions/create-workflow-dispatch: 204 and no body, so the run it
// creates is found by FindDispatchedRun).
func (c *Client) Dispatch(ctx context.Context, r Repo, workflowID int64, ref string, inputs map[string]string) error {
	ev := gh.CreateWorkflowDispatchEventRequest{Ref: ref}
	if len(inputs) > 0 {
		ev.Inputs = map[string]any{}
		for k, v := range inputs {
			ev.Inputs[k] = v
		}
	}
	resp, err := c.Actions.CreateWorkflowDispatchEventByID(ctx, r.Owner, r.Name, workflowID, ev)
	return Classify("actions/create-workflow-dispatch", resp, err)
}

// DispatchRuns are the ids of the workflow's workflow_dispatch runs
// created at or after since: read before a dispatch, they are the runs it
// did not create.
func (c *Client) DispatchRuns(ctx context.Context, r Repo, workflowID int64, since time.Time) (map[int64]bool, error) {
	runs, err := c.Runs(ctx, r, workflowID, nil, since)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, run := range runs {
		if run.Event == "workflow_dispatch" {
			out[run.ID] = true
		}
	}
	return out, nil
}

// FindDispatchedRun is the run a dispatch created: the earliest
// workflow_dispatch run of the workflow on ref created at or after since
// (the dispatch's own time, less a little clock skew) that is not one of
// before (the runs there were already).
func (c *Client) FindDispatchedRun(ctx context.Context, r Repo, workflowID int64, ref string, since time.Time, before map[int64]bool) (Run, bool, error) {
	runs, err := c.Runs(ctx, r, workflowID, nil, since)
	if err != nil {
		return Run{}, false, err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Created.Before(runs[j].Created) })
	var fresh []Run
	for _, run := range runs {
		if run.Event == "workflow_dispatch" && !before[run.ID] && (run.HeadBranch == "" || run.HeadBranch == ref) {
			fresh = append(fresh, run)
		}
	}
	switch len(fresh) {
	case 0:
		return Run{}, false, nil
	case 1:
		return fresh[0], true, nil
	}
	// Someone else dispatched the same workflow on the same ref at the
	// same time: the API does not say which run is whose.
	var ids []string
	for _, r := range fresh {
		ids = append(ids, fmt.Sprint(r.ID))
	}
	return Run{}, false, &AmbiguousRunError{IDs: ids}
}

// AmbiguousRunError: more than one new run could be the dispatch's.
type AmbiguousRunError struct{ IDs []string }

func (e *AmbiguousRunError) Error() string {
	return "runs " + strings.Join(e.IDs, ", ") + " all appeared after this dispatch (another dispatch of the same workflow on the same ref at the same time): which is this one's cannot be told; check them with firebreak gh audit"
}

// MaxLogs bounds a run's log archive.
const MaxLogs = 512 << 20

// RunLogs writes the zip of a run's logs to w
// (actions/download-workflow-run-logs: a 302 to a short-lived URL, which
// is fetched without the token: it is another host's, signed for this
// download). It returns the bytes written.
func (c *Client) RunLogs(ctx context.Context, r Repo, runID int64, w io.Writer) (int64, error) {
	u, resp, err := c.Actions.GetWorkflowRunLogs(ctx, r.Owner, r.Name, runID, 0)
	if err := Classify("actions/download-workflow-run-logs", resp, err); err != nil {
		return 0, err
	}
	if err := downloadable(u); err != nil {
		return 0, fmt.Errorf("logs of run %d: %w", runID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: 10 * time.Minute, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fmt.Errorf("more than 5 redirects")
		}
		return downloadable(req.URL)
	}}
	res, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("logs of run %d: %w", runID, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("logs of run %d: the archive URL answered HTTP %d (logs are deleted after the repository's retention period)", runID, res.StatusCode)
	}
	n, err := io.Copy(w, io.LimitReader(res.Body, MaxLogs+1))
	if err != nil {
		return n, err
	}
	if n > MaxLogs {
		return n, fmt.Errorf("logs of run %d: larger than %d bytes", runID, int64(MaxLogs))
	}
	return n, nil
}

// downloadable: https, or http to loopback (a simulator).
func downloadable(u *url.URL) error {
	if u == nil {
		return fmt.Errorf("no archive URL")
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			return nil
		}
	}
	return fmt.Errorf("the archive URL %s is not https", u.Redacted())
}
