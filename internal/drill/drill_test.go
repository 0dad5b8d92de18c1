package drill

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the drill sandbox needs it")
	}
}

func build(t *testing.T, kind Kind, sabotage string) *Sandbox {
	t.Helper()
	needGit(t)
	sb, err := Build(context.Background(), kind, Options{Dir: filepath.Join(t.TempDir(), "sb"), Sabotage: sabotage, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func TestParseKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
		ok   bool
	}{{"rotation", Rotation, true}, {"ROLLBACK", Rollback, true}, {"revocation", "", false}, {"", "", false}} {
		got, err := ParseKind(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseKind(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, k := range Kinds {
		if got, ok := KindOf(k.Playbook()); !ok || got != k {
			t.Errorf("KindOf(%s) = %v %v", k.Playbook(), got, ok)
		}
	}
	if _, ok := KindOf("ROTATION"); ok {
		t.Error("the ROTATION procedure is not a sandbox drill")
	}
}

// TestSandboxLooksLikeASigningRepository: the sandbox's artifacts verify
// with the current key, its history is what the rollback needs, the
// simulator holds the workflows and the secret, and its facts satisfy the
// drill playbook.
func TestSandboxLooksLikeASigningRepository(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{Actions: app.CheckArgs})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			sb := build(t, kind, "")
			pub, err := signing.LoadPublicKey(sb.CurrentPub, nil)
			if err != nil {
				t.Fatal(err)
			}
			repo := func(rel string) string { return filepath.Join(sb.RepoDir, filepath.FromSlash(rel)) }
			if _, err := signing.VerifyFile(repo("checksums.json"), repo("checksums.sig"), pub, ""); err != nil {
				t.Errorf("checksums: %v", err)
			}
			_, ferr := signing.VerifyFile(repo("advisories/feed.json"), repo("advisories/feed.json.sig"), pub, "")
			if kind == Rotation && ferr != nil {
				t.Errorf("feed: %v", ferr)
			}
			if kind == Rollback && ferr == nil {
				t.Error("the rollback sandbox's current feed should be the tampered one")
			}
			for _, n := range []string{"scanner", "guard", "notifier"} {
				raw, err := os.ReadFile(repo("release/modules/" + n + ".wasm"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := wasmsig.Verify(raw, pub, wasmsig.VerifyOptions{}); err != nil {
					t.Errorf("module %s: %v", n, err)
				}
			}
			hist, err := (&gitrepo.Repo{Dir: sb.RepoDir}).History(context.Background(), "advisories/feed.json")
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if kind == Rollback {
				want = 3
			}
			if len(hist) != want {
				t.Errorf("feed history: %d commits, want %d", len(hist), want)
			}
			if kind == Rollback && (hist[len(hist)-1].Hash != sb.BadCommit || hist[len(hist)-2].Hash != sb.GoodCommit || hist[len(hist)-1].Author != "mallory") {
				t.Errorf("history %+v, good %s bad %s", hist, sb.GoodCommit, sb.BadCommit)
			}
			if got, ok := sb.Sim.Secret(sb.Repo, "", sb.OldSecret); !ok || !strings.Contains(string(got), "PRIVATE KEY") {
				t.Error("the simulator lacks the signing secret")
			}
			for _, wf := range []string{"ci.yml", "release.yml", "sign-feed.yml"} {
				if st := sb.workflowState(wf); st != "active" {
					t.Errorf("workflow %s: %s", wf, st)
				}
			}
			if fi, err := os.Stat(sb.CurrentKey); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("current key: %v %v", fi, err)
			}
			pb, _ := lib.Get(kind.Playbook())
			if _, err := incident.CheckFacts(pb, sb.Facts, t0); err != nil {
				t.Errorf("facts: %v", err)
			}
			for _, in := range pb.Inputs {
				if in.Required && sb.Facts[in.Name] == "" {
					t.Errorf("the sandbox does not set required fact %s", in.Name)
				}
			}
			if !strings.HasPrefix(sb.APIURL, "http://127.0.0.1:") {
				t.Errorf("simulator at %s, want loopback", sb.APIURL)
			}
		})
	}
}

func TestStalePinSabotageLeavesACopyOutOfTheUpdate(t *testing.T) {
	sb := build(t, Rotation, "stale-pin")
	stale := filepath.Join(sb.RepoDir, "skills", "drill-suite", "advisories", "feed-signing-public.pem")
	if !strings.Contains(sb.Facts["key_files"], stale) || strings.Contains(sb.Facts["pin_files"], stale) {
		t.Fatalf("key_files %q pin_files %q", sb.Facts["key_files"], sb.Facts["pin_files"])
	}
}

func TestBuildRefusals(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		kind     Kind
		sabotage string
		dir      func(t *testing.T) string
		want     string
	}{
		{"unknown sabotage", Rotation, "melt-down", func(t *testing.T) string { return t.TempDir() }, `no sabotage "melt-down"`},
		{"sabotage of the other drill", Rollback, "stale-pin", func(t *testing.T) string { return t.TempDir() }, "stale-pin is for the rotation drill"},
		{"no dir", Rotation, "", func(*testing.T) string { return "" }, "no sandbox directory"},
		{"a dir with files", Rotation, "", func(t *testing.T) string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "precious.txt"), []byte("x"), 0o600)
			return d
		}, "is not empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			_, err := Build(ctx, tc.kind, Options{Dir: dir, Sabotage: tc.sabotage})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if tc.name == "a dir with files" {
				if b, err := os.ReadFile(filepath.Join(dir, "precious.txt")); err != nil || string(b) != "x" {
					t.Fatal("a refused build touched the directory")
				}
			}
		})
	}
}

// TestReportFromAJournalWorkedByHand: the report of a drill worked in the
// console (steps never started by hand) times each step from the one
// before, takes each step's checks from its action's record, and passes
// only when every step is done and every check held.
func TestReportFromAJournalWorkedByHand(t *testing.T) {
	sb := build(t, Rotation, "")
	lib, _ := playbooks.Load(nil, playbooks.Options{})
	pb, _ := lib.Get(Rotation.Playbook())
	now := t0
	ws := &incident.Workspace{Home: t.TempDir(), Now: func() time.Time { return now }}
	ctx := context.Background()
	inc, err := ws.Open(ctx, incident.OpenOptions{Playbook: pb, Title: "by hand", Drill: true, Actor: "alice", Facts: sb.Facts})
	if err != nil {
		t.Fatal(err)
	}
	steps := pb.Steps()
	for i, s := range steps {
		now = now.Add(time.Duration(i+1) * time.Second)
		r := &actions.Runner{Incident: inc, Actor: "alice", Step: s.ID, Yes: true}
		if _, err := r.Run(ctx, &fakeAction{ok: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := inc.Step(ctx, "alice", s.ID, playbooks.VerbDone, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	checks := []actions.Check{{What: "sandbox", OK: true}}
	r, err := NewReport(inc, checks, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.StoppedAt != "" || r.Acceptance.Met || r.Acceptance.Rotation != inc.Header.ID {
		t.Fatalf("report %+v", r)
	}
	for i, s := range r.Steps {
		// Logged times come from the wall clock; the order is what counts.
		if s.DurationMS < 0 || s.Started.IsZero() || len(s.Checks) != 1 || !s.Checks[0].OK {
			t.Errorf("step %d %s: %+v", i, s.ID, s)
		}
		if i > 0 && s.Started.Before(r.Steps[i-1].Ended) {
			t.Errorf("step %s starts before the one before it ended", s.ID)
		}
	}
	// A failed sandbox check fails the drill; so does a missing one.
	if r, _ := NewReport(inc, []actions.Check{{What: "x"}}, "", nil); r.Passed {
		t.Error("passed with a failed sandbox check")
	}
	if r, _ := NewReport(inc, nil, "", nil); r.Passed {
		t.Error("passed without sandbox checks")
	}
	// With a passed rollback in the history, the criterion is met.
	r, _ = NewReport(inc, checks, "", []HistoryRow{{Incident: "x-rollback", Kind: Rollback, Result: "passed"}, {Incident: "y", Kind: Rotation, Result: "failed"}})
	if !r.Acceptance.Met || r.Acceptance.Rollback != "x-rollback" {
		t.Errorf("acceptance %+v", r.Acceptance)
	}
	var text strings.Builder
	r.WriteText(&text)
	var md strings.Builder
	r.WriteMarkdown(&md)
	for _, out := range []string{text.String(), md.String()} {
		if !strings.Contains(out, "PASSED") || !strings.Contains(out, Criterion) {
			t.Errorf("rendered report:\n%s", out)
		}
	}
}

type fakeAction struct{ ok bool }

func (f *fakeAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: "test.fake", Summary: "nothing"}, nil
}
func (f *fakeAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	return &actions.Result{Summary: "did nothing"}, nil
}
func (f *fakeAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	return &actions.Verification{Checks: []actions.Check{{What: "fake", OK: f.ok}}}, nil
}
