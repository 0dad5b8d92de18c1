package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	case m.IsRegular():
		return "regular file"
	}
	return m.Type().String()
}

// OpenRegular opens path for reading only if it is a regular file (links
// followed). It opens without blocking — opening a named pipe otherwise
// waits for a writer — and checks the type on the open file, so a file
// swapped for a pipe after a check cannot block it either.
func OpenRegular(path string) (*os.File, error) { return regularOnly(openNonBlock(path)) }

// regularOnly keeps an opened file only if it is a regular file, checked
// on the open file itself.
func regularOnly(f *os.File, err error) (*os.File, error) {
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
		return nil, &NotRegularError{Path: f.Name(), Type: TypeName(fi.Mode())}
	}
	return f, nil
}

// OpenRegularNoFollow is OpenRegular for a path whose last element must
// not be a link (a journal file): a link there fails to open (ELOOP on
// Unix), whenever it was put there.
func OpenRegularNoFollow(path string) (*os.File, error) {
	return regularOnly(openNoFollowNonBlock(path))
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

// Resolve returns the path the kernel would reach for p: absolute, every
// symlink followed (the last component too, when it exists), and every
// ".." applied to the directory it really follows, not to the text before
// it. filepath.Abs and Clean apply ".." to the text: "link/.." is the
// directory holding "link" to them, but the parent of link's target to the
// kernel. Components that do not exist yet are kept as they are.
func Resolve(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p
	}
	rest := strings.Split(filepath.ToSlash(p), "/")
	cur := string(filepath.Separator)
	if v := filepath.VolumeName(p); v != "" {
		cur = v + string(filepath.Separator)
		rest = rest[1:]
	}
	links := 0
	missing := false
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur) // cur holds no link: its parent is real
			continue
		}
		next := filepath.Join(cur, c)
		if missing {
			cur = next
			continue
		}
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = true
			cur = next
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink != 0:
			links++
			if links > 40 {
				return "", fmt.Errorf("%s: too many levels of symbolic links", p)
			}
			t, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			if filepath.IsAbs(t) {
				cur = string(filepath.Separator)
				if v := filepath.VolumeName(t); v != "" {
					cur = v + string(filepath.Separator)
					t = t[len(v):]
				}
			}
			rest = append(strings.Split(filepath.ToSlash(t), "/"), rest...)
		default:
			cur = next
		}
	}
	return cur, nil
}

// ResolveParent resolves every component of p but the last (see Resolve):
// where a file created, replaced or removed as p really is, p itself not
// followed.
func ResolveParent(p string) (string, error) {
	s := filepath.ToSlash(p)
	s = strings.TrimRight(s, "/")
	i := strings.LastIndex(s, "/")
	dir, base := ".", s
	if i >= 0 {
		dir, base = s[:i], s[i+1:]
		if dir == "" {
			dir = "/"
		}
	}
	if base == "" || base == "." || base == ".." {
		return Resolve(p)
	}
	d, err := Resolve(filepath.FromSlash(dir))
	if err != nil {
		return "", err
	}
	return filepath.Join(d, base), nil
}

// Links is the number of hard links of a file (1 where it cannot be told).
func Links(fi fs.FileInfo) uint64 { return links(fi) }

// Within reports whether path p is dir or inside it (both clean and
// absolute; compare resolved paths to follow links).
func Within(p, dir string) bool {
	if dir == string(filepath.Separator) {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}
