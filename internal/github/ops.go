package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Repo is owner/name.
type Repo struct{ Owner, Name string }

// ParseRepo reads OWNER/REPO.
func ParseRepo(s string) (Repo, error) {
	o, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || o == "" || n == "" || strings.Contains(n, "/") {
		return Repo{}, fmt.Errorf("repository %q is not OWNER/REPO", s)
	}
	return Repo{o, n}, nil
}

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Workflow is a workflow with what its file says about secrets.
type Workflow struct {
	ID    int64     `json:"id"`
	Name  string    `json:"name"`
	Path  string    `json:"path"`
	File  string    `json:"file"`
	State string    `json:"state"`
	Uses  SecretUse `json:"secrets"`
	// ReadError says why the file could not be read (then Uses is empty).
	ReadError string `json:"read_error,omitempty"`
}

// Workflows lists a repository's workflows, all pages, and reads each
// workflow file to find the secrets it uses.
func (c *Client) Workflows(ctx context.Context, r Repo, pattern *regexp.Regexp) ([]Workflow, error) {
	var out []Workflow
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.Actions.ListWorkflows(ctx, r.Owner, r.Name, opts)
		if err := Classify("actions/list-repo-workflows", resp, err); err != nil {
			return nil, err
		}
		for _, w := range page.Workflows {
			wf := Workflow{ID: w.GetID(), Name: w.GetName(), Path: w.GetPath(), File: path.Base(w.GetPath()), State: w.GetState()}
			fc, _, resp, err := c.Repositories.GetContents(ctx, r.Owner, r.Name, w.GetPath(), nil)
			if cerr := Classify("repos/get-content", resp, err); cerr != nil {
				wf.ReadError = cerr.Error()
				var ae *APIError
				if errors.As(cerr, &ae) && ae.Hint != "" {
					wf.ReadError += " — " + ae.Hint
				}
			} else if fc != nil {
				text, err := fc.GetContent()
				if err != nil {
					wf.ReadError = err.Error()
				} else {
					wf.Uses = ScanWorkflow(text, pattern)
				}
			}
			out = append(out, wf)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// WorkflowState reads one workflow's state.
func (c *Client) WorkflowState(ctx context.Context, r Repo, id int64) (string, error) {
	w, resp, err := c.Actions.GetWorkflowByID(ctx, r.Owner, r.Name, id)
	if err := Classify("actions/get-workflow", resp, err); err != nil {
		return "", err
	}
	return w.GetState(), nil
}

// SetWorkflow disables (enable false) or enables a workflow.
func (c *Client) SetWorkflow(ctx context.Context, r Repo, id int64, enable bool) error {
	if enable {
		resp, err := c.Actions.EnableWorkflowByID(ctx, r.Owner, r.Name, id)
		return Classify("actions/enable-workflow", resp, err)
	}
	resp, err := c.Actions.DisableWorkflowByID(ctx, r.Owner, r.Name, id)
	return Classify("actions/disable-workflow", resp, err)
}

// Run is a workflow run.
type Run struct {
	ID         int64     `json:"id"`
	WorkflowID int64     `json:"workflow_id"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Conclusion string    `json:"conclusion,omitempty"`
	Event      string    `json:"event"`
	HeadBranch string    `json:"head_branch,omitempty"`
	Actor      string    `json:"actor"`
	HeadSHA    string    `json:"head_sha"`
	Created    time.Time `json:"created_at"`
	URL        string    `json:"html_url"`
}

func runOf(r *gh.WorkflowRun) Run {
	return Run{ID: r.GetID(), WorkflowID: r.GetWorkflowID(), Name: r.GetName(), Status: r.GetStatus(), Conclusion: r.GetConclusion(),
		Event: r.GetEvent(), HeadBranch: r.GetHeadBranch(), Actor: r.GetActor().GetLogin(), HeadSHA: r.GetHeadSHA(), Created: r.GetCreatedAt().Time, URL: r.GetHTMLURL()}
}

// ActiveStatuses are the run statuses that can still do work. The API takes
// one status per request.
var ActiveStatuses = []string{"queued", "in_progress", "waiting", "requested", "pending"}

// Runs lists the runs of a workflow (all workflows when id is 0) with one of
// the statuses (all when none), created at or after since (when set).
func (c *Client) Runs(ctx context.Context, r Repo, id int64, statuses []string, since time.Time) ([]Run, error) {
	if len(statuses) == 0 {
		statuses = []string{""}
	}
	var out []Run
	seen := map[int64]bool{}
	for _, st := range statuses {
		// Runs come newest first. The API's created filter takes search
		// syntax (>=TIME) that its own description types as a bare
		// date-time, so the window is applied here, stopping at the first
		// older page.
		opts := &gh.ListWorkflowRunsOptions{Status: st, ListOptions: gh.ListOptions{PerPage: 100}}
		older := false
		for !older {
			var page *gh.WorkflowRuns
			var resp *gh.Response
			var err error
			op := "actions/list-workflow-runs-for-repo"
			if id != 0 {
				op = "actions/list-workflow-runs"
				page, resp, err = c.Actions.ListWorkflowRunsByID(ctx, r.Owner, r.Name, id, opts)
			} else {
				page, resp, err = c.Actions.ListRepositoryWorkflowRuns(ctx, r.Owner, r.Name, opts)
			}
			if err := Classify(op, resp, err); err != nil {
				return nil, err
			}
			for _, run := range page.WorkflowRuns {
				if !since.IsZero() && run.GetCreatedAt().Time.Before(since) {
					older = true
					continue
				}
				if !seen[run.GetID()] {
					seen[run.GetID()] = true
					out = append(out, runOf(run))
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opts.Page = resp.NextPage
		}
	}
	return out, nil
}

// GetRun reads one run.
func (c *Client) GetRun(ctx context.Context, r Repo, id int64) (Run, error) {
	run, resp, err := c.Actions.GetWorkflowRunByID(ctx, r.Owner, r.Name, id)
	if err := Classify("actions/get-workflow-run", resp, err); err != nil {
		return Run{}, err
	}
	return runOf(run), nil
}

// ErrAlreadyCompleted is a cancel of a run that had already finished.
var ErrAlreadyCompleted = errors.New("the run had already completed")

// CancelRun asks GitHub to cancel a run (force: force-cancel, which v60
// lacks, so it is a hand-built request). A 202 is success; a 409 means the
// run already completed.
func (c *Client) CancelRun(ctx context.Context, r Repo, id int64, force bool) error {
	op := "actions/cancel-workflow-run"
	var resp *gh.Response
	var err error
	if force {
		op = "actions/force-cancel-workflow-run"
		req, rerr := c.NewRequest("POST", fmt.Sprintf("repos/%s/%s/actions/runs/%d/force-cancel", url.PathEscape(r.Owner), url.PathEscape(r.Name), id), nil)
		if rerr != nil {
			return rerr
		}
		resp, err = c.Do(ctx, req, nil)
	} else {
		resp, err = c.Actions.CancelWorkflowRunByID(ctx, r.Owner, r.Name, id)
	}
	cerr := Classify(op, resp, err)
	var ae *APIError
	if errors.As(cerr, &ae) && ae.Status == 409 {
		return ErrAlreadyCompleted
	}
	return cerr
}

// Secret is a secret's name and dates (GitHub never returns values).
type Secret struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
}

func envPath(r Repo, env, rest string) string {
	return fmt.Sprintf("repos/%s/%s/environments/%s/secrets%s", url.PathEscape(r.Owner), url.PathEscape(r.Name), url.PathEscape(env), rest)
}

// Secrets lists a repository's secrets, or an environment's (through the
// /repos/…/environments/… paths of the current description, not v60's
// legacy /repositories/{id} ones).
func (c *Client) Secrets(ctx context.Context, r Repo, env string) ([]Secret, error) {
	var out []Secret
	for page := 1; ; {
		var list gh.Secrets
		var resp *gh.Response
		var err error
		op := "actions/list-repo-secrets"
		if env == "" {
			var l *gh.Secrets
			l, resp, err = c.Actions.ListRepoSecrets(ctx, r.Owner, r.Name, &gh.ListOptions{PerPage: 100, Page: page})
			if l != nil {
				list = *l
			}
		} else {
			op = "actions/list-environment-secrets"
			req, rerr := c.NewRequest("GET", envPath(r, env, fmt.Sprintf("?per_page=100&page=%d", page)), nil)
			if rerr != nil {
				return nil, rerr
			}
			resp, err = c.Do(ctx, req, &list)
		}
		if err := Classify(op, resp, err); err != nil {
			return nil, err
		}
		for _, s := range list.Secrets {
			out = append(out, Secret{Name: s.Name, Created: s.CreatedAt.Time, Updated: s.UpdatedAt.Time})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		page = resp.NextPage
	}
}

// FindSecret returns a secret by name, or nil.
func (c *Client) FindSecret(ctx context.Context, r Repo, env, name string) (*Secret, error) {
	all, err := c.Secrets(ctx, r, env)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], nil
		}
	}
	return nil, nil
}

// SetSecret seals value to the repository's (or environment's) public key
// and creates or updates the secret.
func (c *Client) SetSecret(ctx context.Context, r Repo, env, name string, value []byte) error {
	var key gh.PublicKey
	if env == "" {
		k, resp, err := c.Actions.GetRepoPublicKey(ctx, r.Owner, r.Name)
		if err := Classify("actions/get-repo-public-key", resp, err); err != nil {
			return err
		}
		key = *k
	} else {
		req, err := c.NewRequest("GET", envPath(r, env, "/public-key"), nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(ctx, req, &key)
		if err := Classify("actions/get-environment-public-key", resp, err); err != nil {
			return err
		}
	}
	enc, err := SealSecret(key.GetKey(), value)
	if err != nil {
		return err
	}
	if env == "" {
		resp, err := c.Actions.CreateOrUpdateRepoSecret(ctx, r.Owner, r.Name, &gh.EncryptedSecret{Name: name, KeyID: key.GetKeyID(), EncryptedValue: enc})
		return Classify("actions/create-or-update-repo-secret", resp, err)
	}
	req, err := c.NewRequest("PUT", envPath(r, env, "/"+url.PathEscape(name)), map[string]string{"encrypted_value": enc, "key_id": key.GetKeyID()})
	if err != nil {
		return err
	}
	resp, err := c.Do(ctx, req, nil)
	return Classify("actions/create-or-update-environment-secret", resp, err)
}

// DeleteSecret deletes a secret. A 404 (already gone) is reported as such.
func (c *Client) DeleteSecret(ctx context.Context, r Repo, env, name string) error {
	if env == "" {
		resp, err := c.Actions.DeleteRepoSecret(ctx, r.Owner, r.Name, name)
		return Classify("actions/delete-repo-secret", resp, err)
	}
	req, err := c.NewRequest("DELETE", envPath(r, env, "/"+url.PathEscape(name)), nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(ctx, req, nil)
	return Classify("actions/delete-environment-secret", resp, err)
}

// Commit is a commit seen by the audit.
type Commit struct {
	SHA     string    `json:"sha"`
	Author  string    `json:"author"`
	Date    time.Time `json:"date"`
	Message string    `json:"message"`
	Path    string    `json:"path"` // the audited path it touched
	URL     string    `json:"html_url"`
}

// Commits lists the commits touching a path since a time, all pages.
func (c *Client) Commits(ctx context.Context, r Repo, p string, since time.Time) ([]Commit, error) {
	var out []Commit
	opts := &gh.CommitsListOptions{Path: p, Since: since, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.Repositories.ListCommits(ctx, r.Owner, r.Name, opts)
		if err := Classify("repos/list-commits", resp, err); err != nil {
			return nil, err
		}
		for _, rc := range page {
			author := rc.GetAuthor().GetLogin()
			if author == "" {
				author = rc.GetCommit().GetAuthor().GetName()
			}
			out = append(out, Commit{SHA: rc.GetSHA(), Author: author, Date: rc.GetCommit().GetAuthor().GetDate().Time,
				Message: firstLine(rc.GetCommit().GetMessage()), Path: p, URL: rc.GetHTMLURL()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CreateIssue opens an issue and returns its number and URL.
func (c *Client) CreateIssue(ctx context.Context, r Repo, title, body string) (int, string, error) {
	is, resp, err := c.Issues.Create(ctx, r.Owner, r.Name, &gh.IssueRequest{Title: &title, Body: &body})
	if err := Classify("issues/create", resp, err); err != nil {
		return 0, "", err
	}
	return is.GetNumber(), is.GetHTMLURL(), nil
}

// Comment adds a comment to an issue.
func (c *Client) Comment(ctx context.Context, r Repo, number int, body string) (string, error) {
	cm, resp, err := c.Issues.CreateComment(ctx, r.Owner, r.Name, number, &gh.IssueComment{Body: &body})
	if err := Classify("issues/create-comment", resp, err); err != nil {
		return "", err
	}
	return cm.GetHTMLURL(), nil
}

// AdvisoryRequest is the body of create-repository-advisory: exactly the
// fields the schema allows (it forbids any other).
type AdvisoryRequest struct {
	Summary         string                  `json:"summary"`
	Description     string                  `json:"description"`
	Severity        string                  `json:"severity,omitempty"`
	CVEID           string                  `json:"cve_id,omitempty"`
	CWEIDs          []string                `json:"cwe_ids,omitempty"`
	Vulnerabilities []AdvisoryVulnerability `json:"vulnerabilities"`
}

// AdvisoryVulnerability names an affected package.
type AdvisoryVulnerability struct {
	Package                AdvisoryPackage `json:"package"`
	VulnerableVersionRange *string         `json:"vulnerable_version_range,omitempty"`
	PatchedVersions        *string         `json:"patched_versions,omitempty"`
}

// AdvisoryPackage is an ecosystem and a package name.
type AdvisoryPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// CreateAdvisory files a draft repository security advisory (a hand-built
// request: v60 lacks the operation) and returns its GHSA id and URL.
func (c *Client) CreateAdvisory(ctx context.Context, r Repo, a AdvisoryRequest) (string, string, error) {
	req, err := c.NewRequest("POST", fmt.Sprintf("repos/%s/%s/security-advisories", url.PathEscape(r.Owner), url.PathEscape(r.Name)), a)
	if err != nil {
		return "", "", err
	}
	var out struct {
		GHSA string `json:"ghsa_id"`
		URL  string `json:"html_url"`
	}
	resp, err := c.Do(ctx, req, &out)
	if err := Classify("security-advisories/create-repository-advisory", resp, err); err != nil {
		return "", "", err
	}
	return out.GHSA, out.URL, nil
}

// UnreadableError says that some workflow files could not be read, so which
// workflows use the signing secret is not known: a partial answer is never
// an all-clear.
type UnreadableError struct {
	Files []string
	Of    int
	First string // the first reason, which names the cause (rate limit, permissions)
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%d of %d workflow file(s) could not be read (%s: %s), so it is not known whether they use the signing secret", len(e.Files), e.Of, e.Files[0], e.First)
}

// Unreadable returns an *UnreadableError when any workflow's file could not
// be read, or nil.
func Unreadable(wfs []Workflow) error {
	var e UnreadableError
	for _, w := range wfs {
		if w.ReadError != "" {
			if len(e.Files) == 0 {
				e.First = w.ReadError
			}
			e.Files = append(e.Files, w.File)
		}
	}
	if len(e.Files) == 0 {
		return nil
	}
	e.Of = len(wfs)
	return &e
}

// CheckSecretName applies GitHub's rules for Actions secret names: letters,
// digits and underscores only, not starting with a digit or with GITHUB_.
func CheckSecretName(name string) error {
	switch {
	case name == "":
		return errors.New("a secret name is empty")
	case !secretNameRe.MatchString(name):
		return fmt.Errorf("secret name %q may hold only letters, digits and _, and may not start with a digit", name)
	case strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		return fmt.Errorf("secret name %q may not start with GITHUB_", name)
	}
	return nil
}

var secretNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
