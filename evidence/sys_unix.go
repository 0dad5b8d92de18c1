//go:build unix

package evidence

import (
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

func originalOf(path string, fi fs.FileInfo) Original {
	o := Original{Path: absOr(path), Size: fi.Size(), Mode: fi.Mode().String(), Perm: "0" + strconv.FormatUint(uint64(fi.Mode().Perm()), 8), MTime: fi.ModTime().UTC()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		o.UID, o.GID = int(st.Uid), int(st.Gid)
		if u, err := user.LookupId(strconv.Itoa(o.UID)); err == nil {
			o.Owner = u.Username
		}
		if g, err := user.LookupGroupId(strconv.Itoa(o.GID)); err == nil {
			o.Group = g.Name
		}
	}
	return o
}

// dirHandle is an open directory: the original of a quarantined file is
// opened, checked and removed relative to it, so a directory swapped for a
// link half way cannot redirect the removal.
type dirHandle struct {
	f    *os.File
	path string
}

func openDir(path string) (*dirHandle, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &dirHandle{f: f, path: path}, nil
}

func (d *dirHandle) close() { d.f.Close() }

func (d *dirHandle) fd() int { return int(d.f.Fd()) }

// open opens name for reading without following a link and without
// blocking on a FIFO swapped in for the file.
func (d *dirHandle) open(name string) (*os.File, error) {
	fd, err := unix.Openat(d.fd(), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path + "/" + name, Err: err}
	}
	return os.NewFile(uintptr(fd), d.path+"/"+name), nil
}

// stat is lstat of name in the directory.
func (d *dirHandle) stat(name string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fileID{}, &fs.PathError{Op: "lstat", Path: d.path + "/" + name, Err: err}
	}
	return fileID{
		dev: uint64(st.Dev), ino: uint64(st.Ino), mode: uint32(st.Mode), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), nlink: uint64(st.Nlink),
	}, nil
}

// ancestors lists the identities of the directory and of every directory
// above it, as ".." reaches them (through a bind mount too), up to max.
func (d *dirHandle) ancestors(max int) ([]devIno, error) {
	var out []devIno
	fd, err := unix.Dup(d.fd())
	if err != nil {
		return nil, err
	}
	for i := 0; i < max; i++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return out, err
		}
		id := devIno{uint64(st.Dev), uint64(st.Ino)}
		if len(out) > 0 && out[len(out)-1] == id { // the root is its own parent
			break
		}
		out = append(out, id)
		up, err := unix.Openat(fd, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return out, err
		}
		fd = up
	}
	unix.Close(fd)
	return out, nil
}

func (d *dirHandle) readlink(name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(d.fd(), name, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: d.path + "/" + name, Err: err}
	}
	return string(buf[:n]), nil
}

func (d *dirHandle) remove(name string) error {
	if err := unix.Unlinkat(d.fd(), name, 0); err != nil {
		return &fs.PathError{Op: "remove", Path: d.path + "/" + name, Err: err}
	}
	return nil
}

func (d *dirHandle) sync() error { return d.f.Sync() }

// idOf is the identity of an open file as fstat sees it.
func idOf(f *os.File) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, err
	}
	return fileID{
		dev: uint64(st.Dev), ino: uint64(st.Ino), mode: uint32(st.Mode), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), nlink: uint64(st.Nlink),
	}, nil
}

func (id fileID) regular() bool { return id.mode&unix.S_IFMT == unix.S_IFREG }
func (id fileID) symlink() bool { return id.mode&unix.S_IFMT == unix.S_IFLNK }

func (d *dirHandle) pathOf() string { return d.path }

// statID is the device and inode of what Lstat returned.
func statID(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), nlink: uint64(st.Nlink)}, true
}
