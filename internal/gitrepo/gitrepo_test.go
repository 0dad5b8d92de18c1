package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func newRepo(t *testing.T) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r, err := Init(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHistoryShowCommit(t *testing.T) {
	// A GIT_DIR in the environment must not send git elsewhere.
	t.Setenv("GIT_DIR", "/nonexistent")
	r := newRepo(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(r.Dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("feed.json", "v1")
	r.Author = "alice"
	c1, err := r.CommitAll(ctx, "first", t0)
	if err != nil {
		t.Fatal(err)
	}
	write("other.txt", "x")
	if _, err := r.CommitAll(ctx, "unrelated", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	write("feed.json", "v2")
	r.Author = "mallory"
	c3, err := r.CommitAll(ctx, "second", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.History(ctx, "feed.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Hash != c1 || h[1].Hash != c3 || !h[1].At.Equal(t0.Add(2*time.Hour)) || h[1].Author != "mallory" || h[1].Subject != "second" {
		t.Fatalf("history %+v", h)
	}
	for _, tc := range []struct {
		commit, path, want string
		ok                 bool
	}{{c1, "feed.json", "v1", true}, {c3, "feed.json", "v2", true}, {c1, "other.txt", "", false}} {
		b, ok, err := r.Show(ctx, tc.commit, tc.path)
		if err != nil || ok != tc.ok || string(b) != tc.want {
			t.Errorf("Show(%s, %s) = %q %v %v", tc.commit[:7], tc.path, b, ok, err)
		}
	}
	for _, bad := range []string{"--output=/tmp/x", "HEAD:feed.json", "a b"} {
		if _, _, err := r.Show(ctx, bad, "feed.json"); err == nil {
			t.Errorf("Show accepted commit %q", bad)
		}
	}
	if st, err := r.Status(ctx); err != nil || len(st) != 0 {
		t.Errorf("status %v %v", st, err)
	}
	if _, err := r.CommitAll(ctx, "nothing", time.Time{}); err == nil {
		t.Error("an empty commit was made")
	}
}

func TestErrors(t *testing.T) {
	r := newRepo(t)
	_, err := (&Repo{Dir: filepath.Join(r.Dir, "missing")}).History(context.Background(), "x")
	var ge *Error
	if !errors.As(err, &ge) || ge.Stderr == "" {
		t.Fatalf("error %v", err)
	}
	if _, err := r.Head(context.Background()); err == nil {
		t.Error("HEAD of an empty repository")
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := r.Run(context.Background(), "status"); !errors.Is(err, ErrNoGit) {
		t.Errorf("without git: %v", err)
	}
}
