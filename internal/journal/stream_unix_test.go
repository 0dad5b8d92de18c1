//go:build unix

package journal

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSnapshotNeverWaitsOnAPipe: a journal file that is a named pipe (a
// swap between the listing and the open) fails at once instead of waiting
// forever for a writer.
func TestSnapshotNeverWaitsOnAPipe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	writeFile(t, dir, "alice", [][2]int{{1, 1}}, func(int) string { return "x" })
	fifo := filepath.Join(dir, "bob"+Ext)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	if _, err := planFile(fifo, "bob", 1); err == nil {
		t.Fatal("a pipe was read as a journal file")
	}
	if _, err := OpenFile(fifo); err == nil {
		t.Fatal("OpenFile read a pipe")
	}
	if s, err := New(dir).Snapshot(context.Background()); err == nil {
		s.Close() // the listing leaves the pipe out; what matters is that nothing waited
	}
}
