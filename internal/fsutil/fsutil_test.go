package fsutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFileAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%q %v", b, fi.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(p, link)
	if err := WriteFileAtomic(link, []byte("x"), 0o600); err == nil {
		t.Fatal("replaced a symlink")
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

func TestLockWaitsAndGivesUp(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	a, _ := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	b, _ := os.OpenFile(p, os.O_RDWR, 0)
	defer a.Close()
	defer b.Close()
	if err := Lock(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Lock(ctx, b); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: %v", err)
	}
	Unlock(a)
	if err := Lock(context.Background(), b); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	Unlock(b)
}

// Resolve follows links before it applies "..", as the kernel does.
func TestResolveAppliesDotDotAfterLinks(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	home := filepath.Join(root, "home", "incidents", "x")
	os.MkdirAll(filepath.Join(home, "journal"), 0o700)
	os.MkdirAll(filepath.Join(root, "s", "journal"), 0o700)
	os.Symlink(filepath.Join(home, "journal"), filepath.Join(root, "s", "lj"))
	os.Symlink("../home", filepath.Join(root, "s", "rel"))
	os.Symlink(filepath.Join(root, "nowhere", "deep"), filepath.Join(root, "s", "dangling"))
	for in, want := range map[string]string{
		root + "/s/lj/../incident.json":                     filepath.Join(home, "incident.json"),
		root + "/s/lj/../../../../s/./out.md":               filepath.Join(root, "s", "out.md"),
		root + "/s/lj/../journal/eve.jsonl":                 filepath.Join(home, "journal", "eve.jsonl"),
		filepath.Join(root, "s", "rel", "incidents", "x"):   home,
		filepath.Join(root, "s", "journal", "..", "out.md"): filepath.Join(root, "s", "out.md"),
		filepath.Join(root, "s", "dangling", "f"):           filepath.Join(root, "nowhere", "deep", "f"),
		root + "/s/new/../../s/x":                           filepath.Join(root, "s", "x"),
	} {
		got, err := Resolve(in)
		if err != nil || got != want {
			t.Errorf("Resolve(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	os.Symlink("loop", filepath.Join(root, "s", "loop"))
	if _, err := Resolve(filepath.Join(root, "s", "loop", "x")); err == nil {
		t.Error("a link loop resolved")
	}
}
