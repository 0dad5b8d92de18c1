package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

func TestBlobs(t *testing.T) {
	r := newRepo(t)
	ctx := context.Background()
	os.MkdirAll(filepath.Join(r.Dir, "d"), 0o755)
	os.WriteFile(filepath.Join(r.Dir, "d", "a.txt"), []byte("alpha\nwith a newline\n"), 0o644)
	os.WriteFile(filepath.Join(r.Dir, "empty"), nil, 0o644)
	c, err := r.CommitAll(ctx, "one", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = r.Blobs(ctx, []string{c + ":d/a.txt", c + ":nope", c + ":empty", "HEAD:d/a.txt"}, func(i int, b []byte, ok bool) error {
		got = append(got, fmt.Sprintf("%d %v %q", i, ok, b))
		return nil
	})
	want := []string{`0 true "alpha\nwith a newline\n"`, `1 false ""`, `2 true ""`, `3 true "alpha\nwith a newline\n"`}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%v\n%q", err, got)
	}
	// A directory is not a file; a callback's error comes back as it is.
	if err := r.Blobs(ctx, []string{c + ":d"}, func(int, []byte, bool) error { return nil }); err == nil || !strings.Contains(err.Error(), "is a tree") {
		t.Errorf("tree: %v", err)
	}
	stop := errors.New("enough")
	if err := r.Blobs(ctx, []string{c + ":empty", c + ":d/a.txt"}, func(int, []byte, bool) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("stop: %v", err)
	}
	for _, bad := range []string{"x\ny", "--batch-all-objects"} {
		if err := r.Blobs(ctx, []string{bad}, func(int, []byte, bool) error { return nil }); err == nil {
			t.Errorf("spec %q accepted", bad)
		}
	}
}

// BenchmarkVersions reads both files of 200 versions: one cat-file --batch
// against two processes per file (cat-file -e, then show), side by side.
func BenchmarkVersions(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	ctx := context.Background()
	r, err := Init(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var specs []string
	for i := range 200 {
		os.WriteFile(filepath.Join(r.Dir, "feed.json"), []byte(fmt.Sprintf(`{"version":%d}`, i)), 0o644)
		os.WriteFile(filepath.Join(r.Dir, "feed.json.sig"), []byte(fmt.Sprint(i)), 0o644)
		h, err := r.CommitAll(ctx, fmt.Sprint(i), time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, h+":feed.json", h+":feed.json.sig")
	}
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := r.Blobs(ctx, specs, func(int, []byte, bool) error { n++; return nil }); err != nil || n != len(specs) {
				b.Fatal(err, n)
			}
		}
	})
	b.Run("show-per-file", func(b *testing.B) {
		for b.Loop() {
			for _, sp := range specs {
				c, p, _ := strings.Cut(sp, ":")
				if _, ok, err := r.Show(ctx, c, p); err != nil || !ok {
					b.Fatal(err)
				}
			}
		}
	})
}
