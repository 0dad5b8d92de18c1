package ghsim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/firebreak-dev/firebreak/internal/ghsim/ghcontract"
	"github.com/firebreak-dev/firebreak/internal/github"
)

const token = "ghp_simtoken0000000000000000000000000000"

func specPath(t *testing.T) string {
	p := filepath.Join("..", "..", "..", "shared", "github", "openapi-subset.json")
	if _, err := os.Stat(p); err != nil {
		t.Skip("../shared is absent: skipping the checks against GitHub's API description")
	}
	return p
}

// contractServer serves the simulator through the contract checker.
func contractServer(t *testing.T, s *Sim) (*ghcontract.Checker, *github.Client) {
	t.Helper()
	chk, err := ghcontract.Load(specPath(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(chk.Wrap(s))
	t.Cleanup(srv.Close)
	s.SetBase(srv.URL + "/api/v3")
	c, err := github.New(github.Config{Token: token, BaseURL: srv.URL, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return chk, c
}

func seed(s *Sim) (wfID, runID int64) {
	s.AddRepo("org/tools")
	wfID = s.AddWorkflow("org/tools", "release.yml", []byte("name: release\njobs:\n  sign:\n    steps:\n      - env:\n          KEY: ${{ secrets.SIGNING_KEY }}\n"))
	s.AddWorkflow("org/tools", "ci.yml", []byte("name: ci\n"))
	runID = s.AddRun("org/tools", wfID, "in_progress", "alice")
	s.AddRun("org/tools", wfID, "completed", "bob")
	s.AddSecret("org/tools", "", "SIGNING_KEY", []byte("old"))
	s.AddEnvironment("org/tools", "production")
	s.AddSecret("org/tools", "production", "PROD_SIGNING_KEY", []byte("old"))
	s.AddCommit("org/tools", "mallory", "edit the workflow", time.Now().Add(-2*time.Hour), ".github/workflows/release.yml")
	s.AddCommit("org/tools", "alice", "docs", time.Now().Add(-time.Hour), "README.md")
	return wfID, runID
}

// TestEveryOperationHoldsToTheContract drives all 29 operations, through
// go-github where it has them and hand-built requests where it does not,
// and checks every request and response against GitHub's description.
func TestEveryOperationHoldsToTheContract(t *testing.T) {
	s := New(token)
	wfID, runID := seed(s)
	chk, c := contractServer(t, s)
	ctx := context.Background()
	must := func(op string, resp *gh.Response, err error) {
		t.Helper()
		if err := github.Classify(op, resp, err); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	_, resp, err := c.RateLimit.Get(ctx)
	must("rate-limit/get", resp, err)
	_, resp, err = c.Users.Get(ctx, "")
	must("users/get-authenticated", resp, err)
	_, resp, err = c.Repositories.Get(ctx, "org", "tools")
	must("repos/get", resp, err)
	wfs, resp, err := c.Actions.ListWorkflows(ctx, "org", "tools", &gh.ListOptions{PerPage: 1})
	must("actions/list-repo-workflows", resp, err)
	if wfs.GetTotalCount() != 2 || resp.NextPage != 2 {
		t.Fatalf("pagination: total %d next %d", wfs.GetTotalCount(), resp.NextPage)
	}
	_, resp, err = c.Actions.GetWorkflowByFileName(ctx, "org", "tools", "release.yml")
	must("actions/get-workflow", resp, err)
	resp, err = c.Actions.DisableWorkflowByID(ctx, "org", "tools", wfID)
	must("actions/disable-workflow", resp, err)
	if s.WorkflowState("org/tools", wfID) != "disabled_manually" {
		t.Fatal("not disabled")
	}
	resp, err = c.Actions.EnableWorkflowByID(ctx, "org", "tools", wfID)
	must("actions/enable-workflow", resp, err)
	_, resp, err = c.Actions.ListWorkflowRunsByID(ctx, "org", "tools", wfID, &gh.ListWorkflowRunsOptions{Status: "in_progress"})
	must("actions/list-workflow-runs", resp, err)
	runs, resp, err := c.Actions.ListRepositoryWorkflowRuns(ctx, "org", "tools", nil)
	must("actions/list-workflow-runs-for-repo", resp, err)
	if runs.GetTotalCount() != 2 {
		t.Fatalf("runs %d", runs.GetTotalCount())
	}
	_, resp, err = c.Actions.ListWorkflowJobs(ctx, "org", "tools", runID, nil)
	must("actions/list-jobs-for-workflow-run", resp, err)
	resp, err = c.Actions.CancelWorkflowRunByID(ctx, "org", "tools", runID)
	must("actions/cancel-workflow-run", resp, err)
	run, resp, err := c.Actions.GetWorkflowRunByID(ctx, "org", "tools", runID)
	must("actions/get-workflow-run", resp, err)
	if run.GetStatus() != "completed" || run.GetConclusion() != "cancelled" {
		t.Fatalf("run after cancel: %s/%s", run.GetStatus(), run.GetConclusion())
	}
	runID2 := s.AddRun("org/tools", wfID, "queued", "carol")
	req, _ := c.NewRequest("POST", "repos/org/tools/actions/runs/"+itoa(runID2)+"/force-cancel", nil)
	resp, err = c.Do(ctx, req, nil)
	must("actions/force-cancel-workflow-run", resp, err)
	// Cancelling a completed run: 409, documented.
	_, err = c.Actions.CancelWorkflowRunByID(ctx, "org", "tools", runID)
	if ae := new(github.APIError); !asAPI(github.Classify("actions/cancel-workflow-run", nil, err), &ae) || ae.Status != 409 {
		t.Fatalf("cancel completed: %v", err)
	}

	_, resp, err = c.Actions.ListRepoSecrets(ctx, "org", "tools", nil)
	must("actions/list-repo-secrets", resp, err)
	pk, resp, err := c.Actions.GetRepoPublicKey(ctx, "org", "tools")
	must("actions/get-repo-public-key", resp, err)
	enc, err := github.SealSecret(pk.GetKey(), []byte("new key bytes"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "org", "tools", &gh.EncryptedSecret{Name: "NEW_SIGNING_KEY", KeyID: pk.GetKeyID(), EncryptedValue: enc})
	must("actions/create-or-update-repo-secret", resp, err)
	if v, ok := s.Secret("org/tools", "", "NEW_SIGNING_KEY"); !ok || string(v) != "new key bytes" {
		t.Fatalf("the simulator did not decrypt the upload: %q", v)
	}
	_, resp, err = c.Actions.GetRepoSecret(ctx, "org", "tools", "NEW_SIGNING_KEY")
	must("actions/get-repo-secret", resp, err)
	resp, err = c.Actions.DeleteRepoSecret(ctx, "org", "tools", "SIGNING_KEY")
	must("actions/delete-repo-secret", resp, err)

	_, resp, err = c.Repositories.ListEnvironments(ctx, "org", "tools", nil)
	must("repos/get-all-environments", resp, err)
	req, _ = c.NewRequest("GET", "repos/org/tools/environments/production/secrets?per_page=100", nil)
	var envSecrets gh.Secrets
	resp, err = c.Do(ctx, req, &envSecrets)
	must("actions/list-environment-secrets", resp, err)
	req, _ = c.NewRequest("GET", "repos/org/tools/environments/production/secrets/public-key", nil)
	var envKey gh.PublicKey
	resp, err = c.Do(ctx, req, &envKey)
	must("actions/get-environment-public-key", resp, err)
	enc, _ = github.SealSecret(envKey.GetKey(), []byte("prod key"))
	req, _ = c.NewRequest("PUT", "repos/org/tools/environments/production/secrets/PROD_SIGNING_KEY", map[string]string{"encrypted_value": enc, "key_id": envKey.GetKeyID()})
	resp, err = c.Do(ctx, req, nil)
	must("actions/create-or-update-environment-secret", resp, err)
	if v, _ := s.Secret("org/tools", "production", "PROD_SIGNING_KEY"); string(v) != "prod key" {
		t.Fatalf("environment secret: %q", v)
	}
	req, _ = c.NewRequest("DELETE", "repos/org/tools/environments/production/secrets/PROD_SIGNING_KEY", nil)
	resp, err = c.Do(ctx, req, nil)
	must("actions/delete-environment-secret", resp, err)

	commits, resp, err := c.Repositories.ListCommits(ctx, "org", "tools", &gh.CommitsListOptions{Path: ".github/workflows", Since: time.Now().Add(-24 * time.Hour)})
	must("repos/list-commits", resp, err)
	if len(commits) != 1 || commits[0].GetCommit().GetMessage() != "edit the workflow" {
		t.Fatalf("commits: %d", len(commits))
	}
	_, resp, err = c.Repositories.GetCommit(ctx, "org", "tools", commits[0].GetSHA(), nil)
	must("repos/get-commit", resp, err)
	file, _, resp, err := c.Repositories.GetContents(ctx, "org", "tools", ".github/workflows/release.yml", nil)
	must("repos/get-content", resp, err)
	if content, _ := file.GetContent(); !strings.Contains(content, "secrets.SIGNING_KEY") {
		t.Fatalf("content: %q", content)
	}
	issue, resp, err := c.Issues.Create(ctx, "org", "tools", &gh.IssueRequest{Title: gh.String("Incident"), Body: gh.String("timeline")})
	must("issues/create", resp, err)
	_, resp, err = c.Issues.CreateComment(ctx, "org", "tools", issue.GetNumber(), &gh.IssueComment{Body: gh.String("update")})
	must("issues/create-comment", resp, err)
	adv := map[string]any{"summary": "Signing key compromised", "description": "Rotate trust.", "severity": "critical",
		"vulnerabilities": []any{map[string]any{"package": map[string]any{"ecosystem": "other", "name": "tools"}}}}
	req, _ = c.NewRequest("POST", "repos/org/tools/security-advisories", adv)
	resp, err = c.Do(ctx, req, nil)
	must("security-advisories/create-repository-advisory", resp, err)

	// A dispatch: a queued workflow_dispatch run that runs to completion
	// as it is read; its logs are a zip behind a redirect.
	resp, err = c.Actions.CreateWorkflowDispatchEventByID(ctx, "org", "tools", wfID, gh.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: map[string]any{"reason": "redeploy"}})
	must("actions/create-workflow-dispatch", resp, err)
	d := s.Dispatched("org/tools")
	if len(d) != 1 || d[0].Ref != "main" || d[0].Status != "queued" {
		t.Fatalf("dispatched: %+v", d)
	}
	for i := 0; i < 2; i++ {
		run, resp, err = c.Actions.GetWorkflowRunByID(ctx, "org", "tools", d[0].ID)
		must("actions/get-workflow-run", resp, err)
	}
	if run.GetStatus() != "completed" || run.GetConclusion() != "success" || run.GetEvent() != "workflow_dispatch" {
		t.Fatalf("dispatched run: %s/%s/%s", run.GetStatus(), run.GetConclusion(), run.GetEvent())
	}
	logURL, resp, err := c.Actions.GetWorkflowRunLogs(ctx, "org", "tools", d[0].ID, 0)
	must("actions/download-workflow-run-logs", resp, err)
	if !strings.Contains(logURL.Path, "/_blobs/logs/org/tools/") {
		t.Fatalf("logs URL: %s", logURL)
	}
	// No ref: 422, documented.
	_, err = c.Actions.CreateWorkflowDispatchEventByID(ctx, "org", "tools", wfID, gh.CreateWorkflowDispatchEventRequest{})
	if ae := new(github.APIError); !asAPI(github.Classify("actions/create-workflow-dispatch", nil, err), &ae) || ae.Status != 422 {
		t.Fatalf("dispatch without a ref: %v", err)
	}

	// Branch protection: none, then set, read back, and replaced.
	cl := c
	if ok, err := cl.BranchExists(ctx, github.Repo{Owner: "org", Name: "tools"}, "main"); err != nil || !ok {
		t.Fatalf("main: %v %v", ok, err)
	}
	if ok, err := cl.BranchExists(ctx, github.Repo{Owner: "org", Name: "tools"}, "nope"); err != nil || ok {
		t.Fatalf("nope: %v %v", ok, err)
	}
	if _, found, err := cl.Protection(ctx, github.Repo{Owner: "org", Name: "tools"}, "main"); err != nil || found {
		t.Fatalf("unprotected branch: %v %v", found, err)
	}
	lock := &gh.ProtectionRequest{EnforceAdmins: true, LockBranch: gh.Bool(true),
		RequiredStatusChecks:       &gh.RequiredStatusChecks{Strict: true, Contexts: &[]string{"ci"}},
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequiredApprovingReviewCount: 2, DismissStaleReviews: true},
		Restrictions:               &gh.BranchRestrictionsRequest{Users: []string{"alice"}, Teams: []string{}, Apps: []string{}}}
	if _, err := cl.SetProtection(ctx, github.Repo{Owner: "org", Name: "tools"}, "main", lock); err != nil {
		t.Fatal(err)
	}
	got, found, err := cl.Protection(ctx, github.Repo{Owner: "org", Name: "tools"}, "main")
	if err != nil || !found || !got.GetLockBranch().GetEnabled() || got.GetRequiredPullRequestReviews().RequiredApprovingReviewCount != 2 {
		t.Fatalf("protection read back: %v %+v", err, got)
	}
	// What was read, sent back, reads back the same: a restore is exact.
	back := github.RequestOf(got)
	if _, err := cl.SetProtection(ctx, github.Repo{Owner: "org", Name: "tools"}, "main", back); err != nil {
		t.Fatal(err)
	}
	got2, _, err := cl.Protection(ctx, github.Repo{Owner: "org", Name: "tools"}, "main")
	if err != nil {
		t.Fatal(err)
	}
	bj, _ := json.Marshal(github.RequestOf(got2))
	lj, _ := json.Marshal(back)
	if string(bj) != string(lj) || !got2.GetLockBranch().GetEnabled() || got2.GetRestrictions().Users[0].GetLogin() != "alice" {
		t.Fatalf("round trip:\n%s\n%s", bj, lj)
	}

	// A pull request: a branch from main, a file changed on it, the PR.
	repoRef := github.Repo{Owner: "org", Name: "tools"}
	head, err := cl.BranchHead(ctx, repoRef, "main")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.CreateBranch(ctx, repoRef, "fix/pin", head); err != nil {
		t.Fatal(err)
	}
	_, sha, found, err := cl.FileAt(ctx, repoRef, ".github/workflows/release.yml", "fix/pin")
	if err != nil || !found {
		t.Fatalf("file on the branch: %v %v", found, err)
	}
	if _, err := cl.PutFile(ctx, repoRef, ".github/workflows/release.yml", "fix/pin", "edit", []byte("name: Release\n"), sha); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutFile(ctx, repoRef, ".github/workflows/release.yml", "fix/pin", "stale", []byte("x"), sha); err == nil {
		t.Fatal("a stale blob sha was accepted")
	}
	if n, _, err := cl.OpenPull(ctx, repoRef, "Pin", "fix/pin", "main", "body"); err != nil || n == 0 {
		t.Fatalf("pull: %d %v", n, err)
	}
	if b, _ := s.File("org/tools", "main", ".github/workflows/release.yml"); string(b) == "name: Release\n" {
		t.Fatal("the branch's change reached main")
	}

	for _, f := range chk.Failures {
		t.Error(f)
	}
	if unseen := chk.Unseen(Ops()); len(unseen) > 0 {
		t.Errorf("operations never exercised: %v", unseen)
	}
	if len(Ops()) != 38 {
		t.Errorf("the simulator serves %d operations, want 38 (every operation of the description)", len(Ops()))
	}
}

func TestFaultsAndAuth(t *testing.T) {
	s := New(token)
	seed(s)
	chk, c := contractServer(t, s)
	ctx := context.Background()
	s.Inject(Fault{Op: "repos/get", Status: 500, Count: 2})
	if _, resp, err := c.Repositories.Get(ctx, "org", "tools"); github.Classify("repos/get", resp, err) != nil {
		t.Fatalf("500 twice then ok: %v", err)
	}
	s.Inject(Fault{Op: "repos/get", Status: 429, Headers: map[string]string{"Retry-After": "3600"}})
	_, resp, err := c.Repositories.Get(ctx, "org", "tools")
	var ae *github.APIError
	if !asAPI(github.Classify("repos/get", resp, err), &ae) || ae.Status != 429 || !strings.Contains(ae.Hint, "wait 1h0m0s") {
		t.Fatalf("429: %v", err)
	}
	bad, _ := github.New(github.Config{Token: "ghp_wrong", BaseURL: strings.TrimSuffix(s.base, "/api/v3")})
	_, resp, err = bad.Repositories.Get(ctx, "org", "tools")
	if !asAPI(github.Classify("repos/get", resp, err), &ae) || ae.Status != 401 {
		t.Fatalf("401: %v", err)
	}
	_, resp, err = c.Repositories.Get(ctx, "org", "missing")
	if !asAPI(github.Classify("repos/get", resp, err), &ae) || ae.Status != 404 {
		t.Fatalf("404: %v", err)
	}
	for _, f := range chk.Failures {
		t.Error(f)
	}
}

func TestSealedUploadMustDecrypt(t *testing.T) {
	s := New(token)
	seed(s)
	_, c := contractServer(t, s)
	ctx := context.Background()
	pk, _, _ := c.Actions.GetRepoPublicKey(ctx, "org", "tools")
	junk := make([]byte, 80)
	rand.Read(junk)
	resp, err := c.Actions.CreateOrUpdateRepoSecret(ctx, "org", "tools", &gh.EncryptedSecret{Name: "X", KeyID: pk.GetKeyID(), EncryptedValue: base64.StdEncoding.EncodeToString(junk)})
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("garbage accepted: %v", err)
	}
	if _, ok := s.Secret("org/tools", "", "X"); ok {
		t.Fatal("stored an undecryptable secret")
	}
}

func asAPI(err error, target **github.APIError) bool {
	ae, ok := err.(*github.APIError)
	if ok {
		*target = ae
	}
	return ok
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "wf"), 0o755)
	os.WriteFile(filepath.Join(dir, "wf", "release.yml"), []byte("name: release\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"token":"t1","repos":[{"name":"org/x","workflows_dir":"wf",
		"workflows":{"old.yml":"name: old\n"},"disabled":["old.yml"],"runs":[{"workflow":"release.yml","status":"in_progress"}],
		"secrets":["SIGNING_KEY"],"environments":{"prod":["PROD_KEY"]}}]}`), 0o644)
	st, err := LoadState(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(st.Token)
	if err := s.Apply(st); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Secret("org/x", "prod", "PROD_KEY"); !ok {
		t.Fatal("environment secret missing")
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"repos":[{"name":"org/x","colour":"red"}]}`), 0o644)
	if _, err := LoadState(filepath.Join(dir, "bad.json")); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("unknown field: %v", err)
	}
	if err := New().Apply(&State{Repos: []RepoState{{Name: "o/r", Disabled: []string{"nope.yml"}}}}); err == nil {
		t.Fatal("disabling a missing workflow accepted")
	}
}

// The simulator used to store a secret called "bad name".
func TestSimulatorRefusesBadSecretNames(t *testing.T) {
	s := New(token)
	seed(s)
	_, c := contractServer(t, s)
	ctx := context.Background()
	pk, _, _ := c.Actions.GetRepoPublicKey(ctx, "org", "tools")
	for _, name := range []string{"bad name", "1X", "GITHUB_X", "a-b"} {
		resp, err := c.Actions.CreateOrUpdateRepoSecret(ctx, "org", "tools", &gh.EncryptedSecret{Name: name, KeyID: pk.GetKeyID(), EncryptedValue: "AAAA"})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%q accepted: %v", name, err)
		}
		if _, ok := s.Secret("org/tools", "", name); ok {
			t.Errorf("%q stored", name)
		}
	}
}
