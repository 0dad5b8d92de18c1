package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is returned for an input that is not a regular file: a
// named pipe or a device would block a read forever (and ignore Ctrl+C), a
// directory has no content.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError names the path and what it is.
type NotRegularError struct {
	Path string
	Type string
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is a %s, %v", e.Path, e.Type, ErrNotRegular)
}

// Is matches ErrNotRegular.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TypeName says what kind of file a mode is, in words.
func TypeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	}
	return m.Type().String()
}

// OpenRegular opens path for reading only if it is a regular file (links
// followed). It opens without blocking — opening a named pipe otherwise
// waits for a writer — and checks the type on the open file, so a file
// swapped for a pipe after a check cannot block it either.
func OpenRegular(path string) (*os.File, error) {
	f, err := openNonBlock(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Type: TypeName(fi.Mode())}
	}
	return f, nil
}

// ReadRegular reads a regular file of at most max bytes (see OpenRegular).
func ReadRegular(path string, max int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than the %d bytes read from such a file", path, max)
	}
	return b, nil
}
