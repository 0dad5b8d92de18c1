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

// dirHandle falls back to paths where there are no *at system calls.
type dirHandle struct{ path string }

func openDir(path string) (*dirHandle, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	return &dirHandle{path: path}, nil
}

func (d *dirHandle) close()                               {}
func (d *dirHandle) join(name string) string              { return d.path + string(os.PathSeparator) + name }
func (d *dirHandle) open(name string) (*os.File, error)   { return os.Open(d.join(name)) }
func (d *dirHandle) readlink(name string) (string, error) { return os.Readlink(d.join(name)) }
func (d *dirHandle) remove(name string) error             { return os.Remove(d.join(name)) }
func (d *dirHandle) sync() error                          { return nil }

func (d *dirHandle) stat(name string) (fileID, error) {
	fi, err := os.Lstat(d.join(name))
	if err != nil {
		return fileID{}, err
	}
	return infoID(fi), nil
}

func idOf(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, err
	}
	return infoID(fi), nil
}

func infoID(fi fs.FileInfo) fileID {
	return fileID{mode: uint32(fi.Mode().Type()), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

func (id fileID) regular() bool { return fs.FileMode(id.mode).IsRegular() }
func (id fileID) symlink() bool { return fs.FileMode(id.mode)&fs.ModeSymlink != 0 }

func (d *dirHandle) pathOf() string { return d.path }

func statID(fs.FileInfo) (fileID, bool) { return fileID{}, false }

func (d *dirHandle) ancestors(int) ([]devIno, error) { return nil, nil }
