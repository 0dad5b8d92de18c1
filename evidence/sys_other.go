//go:build !unix

package evidence

import (
	"io/fs"
	"os"
	"strconv"
)

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

func originalOf(path string, fi fs.FileInfo) Original {
	return Original{Path: absOr(path), Size: fi.Size(), Mode: fi.Mode().String(), Perm: "0" + strconv.FormatUint(uint64(fi.Mode().Perm()), 8), MTime: fi.ModTime().UTC(), UID: -1, GID: -1}
}
