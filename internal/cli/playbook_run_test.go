package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// TestShippedPlaybooksBindRealActions: every shipped playbook validates
// with the action registry, and every registered action can be built from a
// step.
func TestShippedPlaybooksBindRealActions(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{Actions: app.CheckArgs})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INC-1", "INC-2", "INC-3", "INC-4", "SIGNING", "ROTATION", "REVOCATION", "ROLLBACK", "DRILL-ROTATION", "DRILL-ROLLBACK"}
	if got := lib.IDs(); len(got) != len(want) {
		t.Fatalf("playbooks %v", got)
	}
	bound := 0
	for _, p := range lib.All() {
		for _, s := range p.Steps() {
			if s.Action != nil {
				bound++
			}
		}
	}
	if bound < 20 {
		t.Fatalf("only %d steps bound to actions", bound)
	}
}

// TestTemplatesForEveryPlaybook: every template renders for an incident of
// every playbook once its fields are given, and refuses (naming them)
// before.
func TestTemplatesForEveryPlaybook(t *testing.T) {
	lib, _ := playbooks.Load(nil, playbooks.Options{})
	tl, _ := comms.Load(nil)
	e := newEnv(t)
	for _, p := range lib.All() {
		id := strings.TrimSpace(e.ok("incident", "open", "--playbook", p.ID, "--title", "t "+p.ID))
		for _, tm := range tl.All() {
			args := []string{"comms", "render", id, tm.Name, "-o", "-"}
			for _, f := range tm.Fields {
				args = append(args, "--set", f+"=v-"+f)
			}
			if out := e.ok(args...); strings.Contains(out, "MISSING") || strings.Contains(out, "<no value>") {
				t.Errorf("%s/%s: %s", p.ID, tm.Name, out)
			}
			e.fail(1, "template "+tm.Name+" is missing", "comms", "render", id, tm.Name)
		}
	}
}

// TestSigningPlaybookAgainstTheSimulator runs the ClawSec signing playbook's
// GitHub and signing steps through `firebreak run`.
func TestSigningPlaybookAgainstTheSimulator(t *testing.T) {
	e, s, chk := ghEnv(t)
	s.AddRepo("org/clawsec")
	wf := s.AddWorkflow("org/clawsec", "deploy-pages.yml", []byte("name: Deploy\njobs:\n  d:\n    env:\n      K: ${{ secrets.CLAWSEC_SIGNING_PRIVATE_KEY }}\n"))
	s.AddWorkflow("org/clawsec", "ci.yml", []byte("name: CI\n"))
	s.AddRun("org/clawsec", wf, "in_progress", "mallory")
	s.AddSecret("org/clawsec", "", "CLAWSEC_SIGNING_PRIVATE_KEY", []byte("leaked"))
	s.AddCommit("org/clawsec", "mallory", "edit deploy", t0.Add(-2*3600e9), ".github/workflows/deploy-pages.yml")
	dir := t.TempDir()
	e.ok("key", "generate", "--out", filepath.Join(dir, "new"))
	feed := filepath.Join(dir, "feed.json")
	os.WriteFile(feed, []byte(`{"advisories":[]}`), 0o644)
	id := strings.TrimSpace(e.ok("incident", "open", "--playbook", "SIGNING", "--title", "key leaked in logs",
		"--fact", "repo=org/clawsec", "--fact", "since=2026-11-21 00:00", "--fact", "feed="+feed,
		"--fact", "new_key="+filepath.Join(dir, "new.pem"), "--fact", "public_key="+filepath.Join(dir, "new.pub.pem")))
	for _, step := range []string{"pause-signing-workflows", "cancel-signing-runs", "review-workflow-runs"} {
		e.ok("run", id, step, "--yes")
	}
	// SEV-1 secret deletion needs a second person's approval, asked for
	// before any fact and naming who may give it.
	errs := e.fail(1, "needs approval at SEV-1 (Critical), from the commander or Security owner before it is run", "run", id, "revoke-compromised-secret", "--yes", "--set", "signing_secret=X")
	if !strings.Contains(errs, "hint: no one holds an approving role yet: firebreak role "+id+" 'Security owner' PERSON") {
		t.Fatalf("refusal hint: %s", errs)
	}
	if out := e.ok("timeline", id); strings.Contains(out, "signing_secret = X") {
		t.Fatal("a fact was recorded before the approval refusal")
	}
	// The same action by hand is the same step: refused too.
	e.fail(1, "revoke-compromised-secret (Rotate/revoke compromised key(s)) needs approval", "gh", "secret-delete", id, "--repo", "org/clawsec", "--name", "CLAWSEC_SIGNING_PRIVATE_KEY", "--yes")
	if _, ok := s.Secret("org/clawsec", "", "CLAWSEC_SIGNING_PRIVATE_KEY"); !ok {
		t.Fatal("the secret was deleted without approval")
	}
	// Naming the step in capitals is naming it.
	e.fail(1, "needs approval", "gh", "secret-delete", id, "--repo", "org/clawsec", "--name", "OTHER", "--yes", "--step", "REVOKE-COMPROMISED-SECRET")
	// Naming another step does not unlock it.
	e.fail(1, "needs approval", "gh", "secret-delete", id, "--repo", "org/clawsec", "--name", "CLAWSEC_SIGNING_PRIVATE_KEY", "--yes", "--step", "review-workflow-runs")
	// Lowering the severity does not lift it.
	e.ok("severity", id, "SEV-2", "--reason", "contained")
	e.fail(1, "needs approval", "run", id, "revoke-compromised-secret", "--yes")
	e.ok("severity", id, "SEV-1", "--reason", "not contained after all")
	// The commander (alice, the opener) approving her own run does not count.
	e.ok("approve", id, "revoke-compromised-secret")
	e.fail(1, "a responder cannot approve their own step", "run", id, "revoke-compromised-secret", "--yes")
	e.fail(1, "may be approved only by the commander or Security owner; mallory holds none", "--actor", "mallory", "approve", id, "revoke-compromised-secret")
	e.ok("role", id, "Security Owner", "carol")
	e.ok("assign", id, "set-new-secret", "carol")
	e.fail(1, "self-approval is refused", "--actor", "carol", "approve", id, "set-new-secret")
	e.ok("assign", id, "set-new-secret", "alice")
	e.ok("--actor", "carol", "approve", id, "revoke-compromised-secret", "--reason", "custody: the key owner agrees")
	e.ok("--actor", "carol", "approve", id, "set-new-secret")
	if out := e.ok("incident", "show", id); !strings.Contains(out, "roles     Security owner carol") || !strings.Contains(out, "@alice") || !strings.Contains(out, "[approved by carol]") {
		t.Fatalf("show lacks roles, assignee or approval:\n%s", out)
	}
	for _, step := range []string{"revoke-compromised-secret", "re-sign-artifacts", "set-new-secret", "resume-workflows", "redeploy", "publish-timeline"} {
		e.ok("run", id, step, "--yes")
	}
	// The step is done: its action by hand needs the step reopened and
	// approved again (an approval is for one attempt).
	errs = e.fail(1, "gh.secret-delete is what step revoke-compromised-secret", "gh", "secret-delete", id, "--repo", "org/clawsec", "--name", "CLAWSEC_SIGNING_PRIVATE_KEY", "--yes")
	if !strings.Contains(errs, "reopen --reason TEXT") {
		t.Fatalf("hint: %s", errs)
	}
	if s.WorkflowState("org/clawsec", wf) != "active" {
		t.Fatal("deploy not resumed")
	}
	got, ok := s.Secret("org/clawsec", "", "CLAWSEC_SIGNING_PRIVATE_KEY")
	want, _ := os.ReadFile(filepath.Join(dir, "new.pem"))
	if !ok || string(got) != string(want) {
		t.Fatal("the secret does not hold the new key")
	}
	e.ok("verify", feed, "--pubkey", filepath.Join(dir, "new.pub.pem"))
	if is := s.Issues("org/clawsec"); len(is) != 1 || !strings.Contains(is[0], "pause-signing-workflows") {
		t.Fatalf("published: %v", is)
	}
	show := e.ok("incident", "show", id)
	if strings.Count(show, "    [x] ") != 9 {
		t.Fatalf("steps done:\n%s", show)
	}
	if out := e.ok("evidence", "verify", id); !strings.Contains(out, "2 evidence file(s)") { // the audit and a run's logs
		t.Fatalf("audit evidence: %s", out)
	}
	contractOK(t, chk)
}

// TestScopeOfAMissingDirectoryIsRefused: identify-scope over a directory
// that does not exist fails at the plan and leaves the step alone, rather
// than reporting "0 modules signed".
func TestScopeOfAMissingDirectoryIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.open("--fact", "key_id=00112233445566778899aabb", "--fact", "module_dir=/nope/modules")
	e.fail(1, "wasm.scan: stat /nope/modules: no such file or directory", "run", id, "identify-scope", "--yes")
	if show := e.ok("incident", "show", id); !strings.Contains(show, "[ ] 1.2") {
		t.Fatalf("the step changed:\n%s", show)
	}
}
