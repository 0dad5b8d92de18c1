//go:build !unix

package fsutil

import (
	"fmt"
	"os"
)

func openNonBlock(path string) (*os.File, error) { return os.Open(path) }

func openNoFollowNonBlock(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, &NotRegularError{Path: path, Type: "symlink"}
	}
	return os.Open(path)
}

func links(os.FileInfo) uint64 { return 1 }

// OpenOwn opens a file of firebreak's own, never through a link (see the
// unix version).
func OpenOwn(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; firebreak does not write through it", path)
	}
	return os.OpenFile(path, flag, perm)
}
