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
