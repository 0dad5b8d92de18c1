package cli

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/firebreak-dev/firebreak/internal/ghsim"
	"github.com/firebreak-dev/firebreak/internal/ghsim/ghcontract"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

const simToken = "ghp_clitest00000000000000000000000000000"

// ghEnv starts the simulator (held to GitHub's description when ../shared
// is there) and points the environment at it.
func ghEnv(t *testing.T) (*env, *ghsim.Sim, *ghcontract.Checker) {
	t.Helper()
	e := newEnv(t)
	s := ghsim.New(simToken)
	var chk *ghcontract.Checker
	var srv *httptest.Server
	spec := filepath.Join("..", "..", "..", "shared", "github", "openapi-subset.json")
	if _, err := os.Stat(spec); err == nil {
		if chk, err = ghcontract.Load(spec); err != nil {
			t.Fatal(err)
		}
		srv = httptest.NewServer(chk.Wrap(s))
	} else {
		srv = httptest.NewServer(s)
	}
	t.Cleanup(srv.Close)
	s.SetBase(srv.URL + "/api/v3")
	e.vars["GITHUB_TOKEN"] = simToken
	e.vars["GITHUB_API_URL"] = srv.URL
	return e, s, chk
}

func contractOK(t *testing.T, chk *ghcontract.Checker) {
	t.Helper()
	if chk == nil {
		return
	}
	for _, f := range chk.Failures {
		t.Error(f)
	}
}

func TestGitHubContainmentRoundTrip(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/tools")
	release := s.AddWorkflow("org/tools", "release.yml", []byte("name: release\njobs:\n  sign:\n    steps:\n      - env:\n          KEY: ${{ secrets.SIGNING_PRIVATE_KEY }}\n"))
	s.AddWorkflow("org/tools", "ci.yml", []byte("name: ci\njobs:\n  test:\n    steps:\n      - run: go test ./...\n"))
	legacy := s.AddWorkflow("org/tools", "legacy-sign.yml", []byte("name: legacy\njobs:\n  s:\n    env:\n      K: ${{ secrets['OLD_SIGNING_KEY'] }}\n"))
	s.SetWorkflowState("org/tools", legacy, "disabled_inactivity")
	run := s.AddRun("org/tools", release, "in_progress", "mallory")
	s.AddSecret("org/tools", "", "SIGNING_PRIVATE_KEY", []byte("old key"))
	id := e.open()

	var wfs []struct {
		File, State string
		Secrets     struct{ Signing []string }
	}
	json.Unmarshal([]byte(e.ok("gh", "workflows", "--repo", "org/tools", "--json")), &wfs)
	signing := 0
	for _, w := range wfs {
		if len(w.Secrets.Signing) > 0 {
			signing++
		}
	}
	if len(wfs) != 3 || signing != 2 {
		t.Fatalf("workflows: %+v", wfs)
	}

	e.fail(1, "not confirmed", "gh", "pause", id, "--repo", "org/tools")
	out := e.ok("gh", "pause", id, "--repo", "org/tools", "--yes")
	if !strings.Contains(out, "skip legacy-sign.yml: already disabled_inactivity") || !strings.Contains(out, "ok   release.yml is disabled_manually") {
		t.Fatalf("pause: %s", out)
	}
	if s.WorkflowState("org/tools", release) != "disabled_manually" || s.WorkflowState("org/tools", legacy) != "disabled_inactivity" {
		t.Fatal("wrong states after pause")
	}
	if out := e.ok("gh", "cancel-runs", id, "--repo", "org/tools", "--yes"); !strings.Contains(out, "has stopped") {
		t.Fatalf("cancel: %s", out)
	}
	if st, concl := s.RunStatus("org/tools", run); st != "completed" || concl != "cancelled" {
		t.Fatalf("run %s/%s", st, concl)
	}

	key := filepath.Join(t.TempDir(), "new.pem")
	os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\nnew key for the test\n-----END PRIVATE KEY-----\n"), 0o600)
	e.ok("gh", "secret-set", id, "--repo", "org/tools", "--name", "SIGNING_PRIVATE_KEY_V2", "--from-file", key, "--yes")
	want, _ := os.ReadFile(key)
	if got, ok := s.Secret("org/tools", "", "SIGNING_PRIVATE_KEY_V2"); !ok || string(got) != string(want) {
		t.Fatalf("the simulator decrypted %q", got)
	}
	e.fail(1, "not confirmed", "gh", "secret-delete", id, "--repo", "org/tools", "--name", "SIGNING_PRIVATE_KEY")
	e.ok("gh", "secret-delete", id, "--repo", "org/tools", "--name", "SIGNING_PRIVATE_KEY", "--yes")
	if _, ok := s.Secret("org/tools", "", "SIGNING_PRIVATE_KEY"); ok {
		t.Fatal("secret still there")
	}
	e.fail(1, "has no secret SIGNING_PRIVATE_KEY", "gh", "secret-delete", id, "--repo", "org/tools", "--name", "SIGNING_PRIVATE_KEY", "--yes")

	s.AddCommit("org/tools", "mallory", "tweak release", t0.Add(-3*3600e9), ".github/workflows/release.yml")
	if out := e.ok("gh", "audit", id, "--repo", "org/tools", "--since", "-1d"); !strings.Contains(out, "1 commit(s)") {
		t.Fatalf("audit: %s", out)
	}
	// The audit and the log archive of the run in the window.
	if out := e.ok("evidence", "verify", id); !strings.Contains(out, "2 evidence file(s)") {
		t.Fatalf("audit evidence: %s", out)
	}
	zips, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "evidence", "logs-org-tools-run-*.zip"))
	if len(zips) != 1 {
		t.Fatalf("log archives: %v", zips)
	}
	zr, err := zip.OpenReader(zips[0])
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("log archive: %v", err)
	}
	zr.Close()
	e.ok("gh", "publish", id, "--repo", "org/tools", "--issue", "--yes")
	if is := s.Issues("org/tools"); len(is) != 1 || !strings.Contains(is[0], "## Timeline") {
		t.Fatalf("issue: %v", is)
	}
	e.ok("gh", "publish", id, "--repo", "org/tools", "--comment", "1", "--yes")
	e.ok("gh", "publish", id, "--repo", "org/tools", "--advisory", "--yes")
	if adv := s.Advisories("org/tools"); len(adv) != 1 || adv[0]["severity"] != "critical" {
		t.Fatalf("advisory: %v", adv)
	}

	out = e.ok("gh", "resume", id, "--repo", "org/tools", "--yes")
	if s.WorkflowState("org/tools", release) != "active" || s.WorkflowState("org/tools", legacy) != "disabled_inactivity" {
		t.Fatalf("resume re-enabled the wrong set: %s", out)
	}
	e.fail(1, "nothing to resume", "gh", "resume", id, "--repo", "org/tools", "--yes")

	// The record names what was done and never holds the token or the key.
	jdir := filepath.Join(e.home, "incidents", id, "journal")
	b, _ := os.ReadFile(filepath.Join(jdir, "alice.jsonl"))
	for _, bad := range []string{simToken, "new key for the test"} {
		if strings.Contains(string(b), bad) {
			t.Fatalf("the journal holds %q", bad)
		}
	}
	for _, kind := range []string{"gh.pause", "gh.cancel-runs", "gh.secret-set", "gh.secret-delete", "gh.audit", "gh.publish", "gh.resume"} {
		if !strings.Contains(string(b), `"action":"`+kind+`"`) {
			t.Errorf("%s not recorded", kind)
		}
	}
	contractOK(t, chk)
}

func TestGitHubFaults(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/tools")
	s.AddWorkflow("org/tools", "release.yml", []byte("name: release\n"))
	for _, tc := range []struct {
		fault ghsim.Fault
		want  string
	}{
		{ghsim.Fault{Op: "actions/list-repo-workflows", Status: 403, Headers: map[string]string{"X-Accepted-GitHub-Permissions": "actions=read"}, Message: "Resource not accessible by personal access token"}, "GitHub accepts: actions=read"},
		{ghsim.Fault{Op: "actions/list-repo-workflows", Status: 403, Message: "Resource not accessible by integration"}, "this needs Actions: read"},
		{ghsim.Fault{Op: "actions/list-repo-workflows", Status: 429, Headers: map[string]string{"Retry-After": "7200"}}, "rate limited: GitHub asks to wait 2h0m0s"},
		{ghsim.Fault{Op: "actions/list-repo-workflows", Status: 500, Count: 4}, "GitHub is failing"},
	} {
		s.Inject(tc.fault)
		errs := e.fail(1, tc.want, "gh", "workflows", "--repo", "org/tools")
		if strings.Contains(errs, simToken) {
			t.Fatal("token in an error")
		}
	}
	e.fail(1, "cannot see it", "gh", "workflows", "--repo", "org/missing")
	e.vars["GITHUB_TOKEN"] = "ghp_wrong"
	e.fail(1, "the token was refused", "gh", "workflows", "--repo", "org/tools")
	delete(e.vars, "GITHUB_TOKEN")
	e.fail(1, "no GitHub token", "gh", "workflows", "--repo", "org/tools")
	e.fail(2, "--repo is required", "gh", "workflows")
	contractOK(t, chk)
}

// TestClawSecSigningWorkflows loads ClawSec's real workflow files into the
// simulator: the four that use the signing secret, and only those, are found.
func TestClawSecSigningWorkflows(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "vectors", "clawsec", "workflows")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(files) == 0 {
		t.Skip("../shared is absent")
	}
	e, s, chk := ghEnv(t)
	s.AddRepo("prompt-security/clawsec")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s.AddWorkflow("prompt-security/clawsec", filepath.Base(f), b)
	}
	var wfs []struct {
		File    string
		Secrets struct{ Signing []string }
	}
	json.Unmarshal([]byte(e.ok("gh", "workflows", "--repo", "prompt-security/clawsec", "--json")), &wfs)
	var got []string
	for _, w := range wfs {
		if len(w.Secrets.Signing) > 0 {
			got = append(got, w.File)
		}
	}
	if strings.Join(got, ",") != "community-advisory.yml,deploy-pages.yml,poll-nvd-cves.yml,skill-release.yml" {
		t.Fatalf("signing workflows: %v", got)
	}
	contractOK(t, chk)
}

// TestCancelStuckRunNeedsForce: a run that ignores cancel is reported still
// running, and --force force-cancels it.
func TestCancelStuckRunNeedsForce(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/tools")
	wf := s.AddWorkflow("org/tools", "release.yml", []byte("name: release\nenv:\n  K: ${{ secrets.SIGNING_KEY }}\n"))
	run := s.AddRun("org/tools", wf, "in_progress", "ci-bot")
	s.SetStuck("org/tools", run)
	id := e.open()
	out, _, code := e.run("gh", "cancel-runs", id, "--repo", "org/tools", "--deadline", "1s", "--yes")
	if code != 1 || !strings.Contains(out, "FAIL run") {
		t.Fatalf("a stuck run passed verification: %d %s", code, out)
	}
	out = e.ok("gh", "cancel-runs", id, "--repo", "org/tools", "--deadline", "1s", "--force", "--yes")
	if st, concl := s.RunStatus("org/tools", run); st != "completed" || concl != "cancelled" || !strings.Contains(out, "has stopped") {
		t.Fatalf("force: %s/%s %s", st, concl, out)
	}
	contractOK(t, chk)
}

// With every workflow file unreadable (429 after the listing), gh workflows
// used to exit 0 with "?" rows and gh pause to say "no active workflow to
// pause". The cause is the message now, and a partial answer fails.
func TestPartialWorkflowAnswersFailWithTheirCause(t *testing.T) {
	e, s, chk := ghEnv(t)
	id := e.open()
	s.AddRepo("org/tools")
	s.AddWorkflow("org/tools", "release.yml", []byte("name: release\njobs:\n  sign:\n    steps:\n      - run: sign ${{ secrets.SIGNING_PRIVATE_KEY }}\n"))
	s.AddWorkflow("org/tools", "ci.yml", []byte("name: ci\n"))
	limited := ghsim.Fault{Op: "repos/get-content", Status: 429, Headers: map[string]string{"Retry-After": "7200"}, Count: 2}
	s.Inject(limited)
	out, errs, code := e.run("gh", "workflows", "--repo", "org/tools")
	if code != 1 || !strings.Contains(errs, "2 of 2 workflow file(s) could not be read") || !strings.Contains(errs, "rate limited") || !strings.Contains(out, "?") {
		t.Fatalf("gh workflows: exit %d\n%s\n%s", code, out, errs)
	}
	s.Inject(limited)
	e.fail(1, "rate limited", "gh", "pause", id, "--repo", "org/tools", "--yes")
	// Once GitHub answers, the same commands work.
	e.ok("gh", "workflows", "--repo", "org/tools")
	contractOK(t, chk)
}

// gh secret-set --name "bad name" was accepted by the client and the
// simulator alike.
func TestSecretNamesFollowGitHubsRules(t *testing.T) {
	e, s, chk := ghEnv(t)
	id := e.open()
	s.AddRepo("org/tools")
	val := filepath.Join(t.TempDir(), "v")
	os.WriteFile(val, []byte("value"), 0o600)
	for _, bad := range []string{"bad name", "1ST", "GITHUB_TOKEN", "github_x", "dash-ed", "é"} {
		e.fail(1, "secret name", "gh", "secret-set", id, "--repo", "org/tools", "--name", bad, "--from-file", val, "--yes")
	}
	e.ok("gh", "secret-set", id, "--repo", "org/tools", "--name", "FEED_SIGNING_KEY_2", "--from-file", val, "--yes")
	contractOK(t, chk)
}

// TestProtectRestoresExactly: a branch with its own protection is locked,
// then given back exactly what it had; a failed run of dispatch says why.
func TestProtectRestoresExactly(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/feed")
	wf := s.AddWorkflow("org/feed", "deploy-pages.yml", []byte("name: Deploy\n"))
	c, err := github.New(github.Config{Token: simToken, BaseURL: e.vars["GITHUB_API_URL"], Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	r := github.Repo{Owner: "org", Name: "feed"}
	own := &gh.ProtectionRequest{RequiredStatusChecks: &gh.RequiredStatusChecks{Strict: true, Contexts: &[]string{"ci", "lint"}},
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequiredApprovingReviewCount: 2, RequireCodeOwnerReviews: true},
		Restrictions:               &gh.BranchRestrictionsRequest{Users: []string{"release-bot"}, Teams: []string{}, Apps: []string{}},
		RequireLinearHistory:       gh.Bool(true)}
	if _, err := c.SetProtection(context.Background(), r, "main", own); err != nil {
		t.Fatal(err)
	}
	before := s.Protection("org/feed", "main")
	id := e.open()
	e.ok("gh", "protect", id, "--repo", "org/feed", "--branch", "main", "--yes")
	if p := s.Protection("org/feed", "main"); p["lock_branch"] != true || p["enforce_admins"] != true {
		t.Fatalf("locked: %v", p)
	}
	e.ok("gh", "unprotect", id, "--repo", "org/feed", "--branch", "main", "--yes")
	if after := s.Protection("org/feed", "main"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("restored:\n%v\nwas\n%v", after, before)
	}
	e.fail(1, "no gh.protect of dev", "gh", "unprotect", id, "--repo", "org/feed", "--branch", "dev", "--yes")
	// Locked twice, the second lock would keep the lock as "what was there".
	e.ok("gh", "protect", id, "--repo", "org/feed", "--branch", "main", "--yes")
	e.fail(1, "locked by this incident already", "gh", "protect", id, "--repo", "org/feed", "--branch", "main", "--yes")
	e.ok("gh", "unprotect", id, "--repo", "org/feed", "--branch", "main", "--yes")
	if after := s.Protection("org/feed", "main"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("restored after a refused second lock:\n%v\nwas\n%v", after, before)
	}
	for _, bad := range []string{"a\nb", "main?x=1", "../../x", "-x", "a b", strings.Repeat("b", 300)} {
		e.fail(2, "ref name", "gh", "protect", id, "--repo", "org/feed", "--branch", bad, "--yes")
	}
	e.fail(1, "no branch feature/x in org/feed", "gh", "protect", id, "--repo", "org/feed", "--branch", "feature/x", "--yes")

	// Two dispatches in a row: each reports its own run.
	out1 := e.ok("gh", "dispatch", id, "--repo", "org/feed", "--workflow", "deploy-pages.yml", "--yes")
	out2 := e.ok("gh", "dispatch", id, "--repo", "org/feed", "--workflow", "deploy-pages.yml", "--yes")
	d := s.Dispatched("org/feed")
	if len(d) != 2 || !strings.Contains(out1, fmt.Sprintf("run %d success", d[0].ID)) || !strings.Contains(out2, fmt.Sprintf("run %d success", d[1].ID)) {
		t.Fatalf("dispatches %+v:\n%s\n%s", d, out1, out2)
	}
	// Two new runs where one dispatch made one: which is ours cannot be told.
	ctx := context.Background()
	existing, err := c.DispatchRuns(ctx, r, wf, e.now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := c.Dispatch(ctx, r, wf, "main", nil); err != nil {
			t.Fatal(err)
		}
	}
	var amb *github.AmbiguousRunError
	if _, _, err := c.FindDispatchedRun(ctx, r, wf, "main", e.now().Add(-time.Hour), existing); !errors.As(err, &amb) || len(amb.IDs) != 2 {
		t.Fatalf("two new runs: %v", err)
	}
	e.fail(2, "given twice", "gh", "dispatch", id, "--repo", "org/feed", "--workflow", "deploy-pages.yml", "--input", "k=1", "--input", "k=2", "--yes")
	e.fail(1, "No ref found for: nope", "gh", "dispatch", id, "--repo", "org/feed", "--workflow", "deploy-pages.yml", "--ref", "nope", "--yes")

	// A deploy that fails: the run is reported, the step fails.
	s.FailWorkflow("org/feed", wf)
	e.fail(1, "succeeded", "gh", "dispatch", id, "--repo", "org/feed", "--workflow", "deploy-pages.yml", "--yes")
	e.fail(1, "no workflow nope.yml", "gh", "dispatch", id, "--repo", "org/feed", "--workflow", "nope.yml", "--yes")
	contractOK(t, chk)
}

// TestPinPullRequest: the pin update proposed as a pull request — a
// branch, one commit per file pinning the key, the pull request — with
// the simulator's files checked, and a file that pins nothing left alone.
func TestPinPullRequest(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/feed")
	dir := t.TempDir()
	e.ok("key", "generate", "--out", filepath.Join(dir, "old"))
	e.ok("key", "generate", "--out", filepath.Join(dir, "new"))
	oldPEM, _ := os.ReadFile(filepath.Join(dir, "old.pub.pem"))
	newPub, _ := signing.LoadPublicKey(filepath.Join(dir, "new.pub.pem"), nil)
	oldPub, _ := signing.LoadPublicKey(filepath.Join(dir, "old.pub.pem"), nil)
	s.AddFile("org/feed", "advisories/feed-signing-public.pem", oldPEM)
	s.AddFile("org/feed", "docs/SIGNING.md", []byte("Pinned fingerprint: "+signing.Fingerprint(oldPub)+"\n"))
	s.AddFile("org/feed", "README.md", []byte("nothing pinned here\n"))
	id := e.open()
	out := e.ok("gh", "pin-pr", id, "--repo", "org/feed", "--old", filepath.Join(dir, "old.pub.pem"), "--new", filepath.Join(dir, "new.pub.pem"),
		"--path", "advisories/feed-signing-public.pem", "--path", "docs/SIGNING.md", "--path", "README.md", "--yes")
	if !strings.Contains(out, "opened pull request #") || !strings.Contains(out, "leave README.md") {
		t.Fatalf("pin-pr: %s", out)
	}
	prs := s.Pulls("org/feed")
	if len(prs) != 1 || prs[0].Base != "main" || !strings.HasPrefix(prs[0].Head, "firebreak/pin-") {
		t.Fatalf("pulls: %+v", prs)
	}
	for _, p := range []string{"advisories/feed-signing-public.pem", "docs/SIGNING.md"} {
		b, _ := s.File("org/feed", prs[0].Head, p)
		if signing.CountKeyReferences(b, newPub) == 0 || signing.CountKeyReferences(b, oldPub) != 0 {
			t.Errorf("%s on the branch: %q", p, b)
		}
		if main, _ := s.File("org/feed", "main", p); signing.CountKeyReferences(main, oldPub) == 0 {
			t.Errorf("%s changed on main", p)
		}
	}
	// Again: the branch exists (422, said).
	e.fail(1, "Reference already exists", "gh", "pin-pr", id, "--repo", "org/feed", "--old", filepath.Join(dir, "old.pub.pem"), "--new", filepath.Join(dir, "new.pub.pem"), "--path", "docs/SIGNING.md", "--yes")
	for _, bad := range [][]string{{"--path", "../x"}, {"--path", ""}, {"--path", "a\nb"}, {"--path", "docs/SIGNING.md", "--branch", "a b"}, {"--path", "docs/SIGNING.md", "--base", "../main"}} {
		args := append([]string{"gh", "pin-pr", id, "--repo", "org/feed", "--old", filepath.Join(dir, "old.pub.pem"), "--new", filepath.Join(dir, "new.pub.pem"), "--yes"}, bad...)
		if _, _, code := e.run(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
	// The same path twice is one edit.
	out = e.ok("gh", "pin-pr", id, "--repo", "org/feed", "--old", filepath.Join(dir, "old.pub.pem"), "--new", filepath.Join(dir, "new.pub.pem"),
		"--path", "docs/SIGNING.md", "--path", "docs/SIGNING.md", "--branch", "pin-twice", "--yes")
	if !strings.Contains(out, "1 file(s) pin the new key") {
		t.Fatalf("duplicate path: %s", out)
	}
	contractOK(t, chk)
}
