package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// TestSigningEndToEnd works the ClawSec SEV-1 signing incident from its
// first step to its last against a sandbox — the GitHub simulator, a git
// repository whose feed history holds a tampered commit, and the site
// consumers download from on loopback — then checks the simulator, the
// repository and the site. Every step runs its action except those that
// are judgement.
func TestSigningEndToEnd(t *testing.T) {
	e, chk := drillEnv(t)
	sb, err := drill.Build(context.Background(), drill.Rollback, drill.Options{Dir: filepath.Join(t.TempDir(), "sandbox"), Now: e.now, Wrap: drillWrap})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.Sim.AddRun(sb.Repo, sb.Workflows["release.yml"], "completed", "mallory") // a signing run in the window
	e.vars["GITHUB_TOKEN"] = sb.Token
	e.vars["GITHUB_API_URL"] = sb.APIURL
	keys := t.TempDir()
	e.ok("key", "generate", "--out", filepath.Join(keys, "new"))
	newPub, err := signing.LoadPublicKey(filepath.Join(keys, "new.pub.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pin := signing.Fingerprint(newPub)
	old, _ := signing.LoadPublicKey(sb.CurrentPub, nil)
	repo := sb.RepoDir
	keyFiles := strings.Join([]string{filepath.Join(repo, "advisories", "feed-signing-public.pem"), filepath.Join(repo, "clawsec-signing-public.pem"), filepath.Join(repo, "docs", "SIGNING.md")}, "\n")
	id := e.openPlaybook("SIGNING", "Signing key leaked in CI logs",
		"repo="+sb.Repo, "signing_secret="+sb.OldSecret, "since=-3d", "feed="+filepath.Join(repo, "advisories", "feed.json"),
		"new_key="+filepath.Join(keys, "new.pem"), "public_key="+filepath.Join(keys, "new.pub.pem"), "pin="+pin,
		"old_public_key="+sb.CurrentPub, "repo_dir="+repo, "key_files="+keyFiles,
		"signed_files="+filepath.Join(repo, "advisories", "feed.json"), "deploy_workflow=release.yml",
		"feed_url="+sb.Facts["feed_url"], "published_key="+sb.Facts["published_key"])

	lib, _ := playbooks.Load(nil, playbooks.Options{})
	p, _ := lib.Get("SIGNING")
	judgement := map[string]bool{"review-signing-commits": true, "tighten-controls": true,
		"root-cause-analysis": true, "update-procedures": true, "update-threat-model": true, "post-incident-review": true}
	e.ok("role", id, "security owner", "carol")
	ran := 0
	for _, s := range p.Steps() {
		if s.ID == "post-incident-review" {
			// By the review, the milestones and the root cause are known.
			for _, m := range []string{"detected", "contained", "recovered"} {
				e.ok("milestone", id, m)
			}
			e.ok("fact", id, "root_cause=the signing key was printed by a debug step of release.yml")
		}
		if s.Action == nil {
			if !judgement[s.ID] {
				t.Errorf("step %s has no action and is not judgement", s.ID)
			}
			e.ok("step", id, s.ID, "skip", "--reason", "judgement: done by the team")
			continue
		}
		if s.Approval != nil {
			// ClawSec's custody: the security owner signs off first.
			e.fail(1, "needs approval", "run", id, s.ID, "--yes")
			e.ok("--actor", "carol", "approve", id, s.ID, "--reason", "custody: checked with the key owner")
		}
		if out, errs, code := e.run("run", id, s.ID, "--yes"); code != 0 {
			t.Fatalf("step %s: exit %d\n%s\n%s", s.ID, code, out, errs)
		}
		ran++
	}
	if ran < 18 {
		t.Fatalf("only %d steps ran an action", ran)
	}

	// The simulator: the signing secret holds the new key, the signing
	// workflows are active again, the deploy ran and succeeded, and the
	// timeline was published.
	got, ok := sb.Sim.Secret(sb.Repo, "", sb.OldSecret)
	want, _ := os.ReadFile(filepath.Join(keys, "new.pem"))
	if !ok || string(got) != string(want) {
		t.Error("the signing secret does not hold the new key")
	}
	for file, wfID := range sb.Workflows {
		if st := sb.Sim.WorkflowState(sb.Repo, wfID); st != "active" {
			t.Errorf("workflow %s is %s", file, st)
		}
	}
	if d := sb.Sim.Dispatched(sb.Repo); len(d) != 1 || d[0].Status != "completed" || d[0].Conclusion != "success" || d[0].Ref != "main" {
		t.Errorf("deploy: %+v", d)
	}
	// The branch was locked during the incident and has what it had
	// before (no requirement) again.
	if p := sb.Sim.Protection(sb.Repo, "main"); p == nil || p["lock_branch"] == true || p["required_pull_request_reviews"] != nil {
		t.Errorf("main's protection after the incident: %v", p)
	}
	if ev, _ := filepath.Glob(filepath.Join(e.home, "incidents", id, "evidence", "branch-protection-*.json")); len(ev) != 1 {
		t.Errorf("the protection found was not kept: %v", ev)
	}
	if is := sb.Sim.Issues(sb.Repo); len(is) != 1 {
		t.Errorf("published issues: %d", len(is))
	}
	// The repository: the feed is the known-good one, signed with the new
	// key, the pins are the new key's, all committed.
	e.ok("verify", filepath.Join(repo, "advisories", "feed.json"), "--pubkey", filepath.Join(keys, "new.pub.pem"))
	e.ok("key", "check-consistency", "--pin", pin, strings.Split(keyFiles, "\n")[0], strings.Split(keyFiles, "\n")[1])
	// The site: what consumers download verifies with the new pin, and
	// not with the old key's.
	e.ok("published", "verify", "--feed", sb.Facts["feed_url"], "--pubkey", sb.Facts["published_key"], "--fingerprint", pin)
	e.fail(1, "verification failed", "published", "verify", "--feed", sb.Facts["feed_url"], "--pubkey", sb.Facts["published_key"], "--fingerprint", signing.Fingerprint(old))
	show := e.ok("incident", "show", id)
	if left := regexp.MustCompile(`\[[ !>]\] +\d+\.\d+`).FindAllString(show, -1); len(left) > 0 {
		t.Fatalf("steps left %v:\n%s", left, show)
	}
	// The advisory is filled from the findings: the window from the first
	// bad commit, the affected artifacts by repository path and SHA-256
	// (the first bad version, the runs the audit kept), never a local path.
	adv := e.ok("comms", "render", id, "incident-advisory", "-o", "-", "--set", "remediation=Update to the new key.")
	for _, want := range []string{"Impacted window: from 20", "fingerprint (SHA-256 of the DER public key): " + signing.Fingerprint(old), "Replacement key fingerprint: " + pin, "advisories/feed.json as published from commit ", "its first bad version, sha256 ", "workflow run(s) of " + sb.Repo} {
		if !strings.Contains(adv, want) {
			t.Errorf("advisory lacks %q:\n%s", want, adv)
		}
	}
	if strings.Contains(adv, repo) || strings.Contains(adv, e.home) {
		t.Errorf("advisory carries a local path:\n%s", adv)
	}
	kc := e.ok("comms", "render", id, "key-compromise", "-o", "-", "--allow-missing")
	if strings.Contains(kc, "[MISSING: revoked_at]") {
		t.Errorf("revoked_at not filled from the pin update:\n%s", kc)
	}
	e.ok("timeline", "verify", id)
	contractOK(t, chk)
}
