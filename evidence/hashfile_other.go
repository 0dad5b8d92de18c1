//go:build !unix

package evidence

import (
	"context"
	"fmt"
	"os"
)

// HashFile returns the hex SHA-256 and size of a file, streaming it with
// constant memory. It follows a symlink, as sha256sum does.
func HashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if fi.IsDir() {
		return "", 0, fmt.Errorf("%s: Is a directory", path)
	}
	return HashReader(ctx, f)
}
