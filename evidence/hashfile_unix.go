//go:build unix

package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// HashFile returns the hex SHA-256 and size of a file, streaming it with
// constant memory. It follows a symlink, as sha256sum does.
//
// It talks to the kernel directly: open, read until the end, close. os.Open
// costs six more system calls a file (fcntl, fstat, a refused epoll_ctl),
// which is most of the time spent on small files.
func HashFile(ctx context.Context, path string) (string, int64, error) {
	var fd int
	var err error
	for {
		// O_NONBLOCK: opening a named pipe would otherwise wait for a
		// writer, beyond the reach of Ctrl+C. It changes nothing for a
		// regular file, and fstat then refuses anything else.
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return "", 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	var n int64
	checked := false
	for {
		if err := ctx.Err(); err != nil {
			return "", n, err
		}
		k, err := syscall.Read(fd, buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EISDIR) {
			return "", 0, fmt.Errorf("%s: Is a directory", path)
		}
		if !checked {
			// The type is checked after the first read, which costs no
			// extra system call for a small file: its size then tells the
			// end without a last read. A pipe or a device fails here
			// (their first read returns at once: O_NONBLOCK).
			checked = true
			var st syscall.Stat_t
			if serr := syscall.Fstat(fd, &st); serr != nil {
				return "", 0, &fs.PathError{Op: "stat", Path: path, Err: serr}
			}
			if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
				if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
					return "", 0, fmt.Errorf("%s: Is a directory", path)
				}
				return "", 0, &fsutil.NotRegularError{Path: path, Type: fsutil.TypeName(modeType(uint32(st.Mode)))}
			}
			if err == nil && k >= 0 && k < len(buf) && int64(k) == st.Size {
				h.Write(buf[:k])
				return hex.EncodeToString(h.Sum(nil)), int64(k), nil
			}
			if err == nil && k == len(buf) && st.Size > int64(4*len(buf)) {
				// A large file: the rest is read ahead on a goroutine
				// while this one hashes (pipelined waits for it before
				// the deferred close).
				h.Write(buf[:k])
				rest, err := pipelined(ctx, fdReader(fd), func(b []byte) error { h.Write(b); return nil })
				if err != nil {
					return "", int64(k) + rest, &fs.PathError{Op: "read", Path: path, Err: err}
				}
				return hex.EncodeToString(h.Sum(nil)), int64(k) + rest, nil
			}
		}
		if err != nil {
			return "", n, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			return hex.EncodeToString(h.Sum(nil)), n, nil
		}
		h.Write(buf[:k])
		n += int64(k)
	}
}

// modeType turns a stat mode's type bits into an fs.FileMode type.
func modeType(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	}
	return fs.ModeIrregular
}

// fdReader reads a file descriptor, retrying an interrupted read.
type fdReader int

func (f fdReader) Read(p []byte) (int, error) {
	for {
		k, err := syscall.Read(int(f), p)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if k == 0 {
			return 0, io.EOF
		}
		return k, nil
	}
}
