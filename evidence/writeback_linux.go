//go:build linux

package evidence

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBehind wraps a file being written so that the kernel starts writing
// each chunk to the disk as soon as it is written (sync_file_range, which
// only starts the writeback and waits for nothing): the disk works while
// the rest is read and hashed, and the final fsync has little left to do.
// It makes no promise itself; the fsync after the copy is what counts.
type writeBehind struct {
	f   *os.File
	off int64
}

func newWriteBehind(f *os.File) *writeBehind { return &writeBehind{f: f} }

func (w *writeBehind) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if n > 0 {
		_ = unix.SyncFileRange(int(w.f.Fd()), w.off, int64(n), unix.SYNC_FILE_RANGE_WRITE) // a hint: an error changes nothing
		w.off += int64(n)
	}
	return n, err
}
