// Package fsutil holds the durable file operations firebreak's records rely
// on: exclusive locks that wait with a context, directory fsync, and atomic
// file replacement (temporary file, fsync, rename, directory fsync).
package fsutil

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SyncDir fsyncs a directory, so that a file created, renamed or removed in
// it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// WriteFileAtomic replaces path with b: it writes a temporary file in the
// same directory, fsyncs it, renames it over path and fsyncs the directory.
// A reader sees the old content or the new, never a mix. It refuses to
// replace anything but a regular file.
func WriteFileAtomic(path string, b []byte, mode os.FileMode) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file", path)
	}
	// Write where the path really is: "link/../x" is beside link's target.
	path, err := ResolveParent(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return SyncDir(dir)
}

// ErrExists is returned by WriteNew for a name that is taken.
var ErrExists = errors.New("exists")

// WriteNew writes a new file through a temporary file in the same
// directory: write, fsync, then link it into place — a link never replaces
// anything — and fsync the directory. With unique, a taken name becomes
// name-2.ext, name-3.ext …; without it, a taken name is ErrExists. With
// replace, an existing regular file is replaced instead (rename), never
// anything else. It returns the path written and the hex SHA-256 of what
// was written.
func WriteNew(path string, mode os.FileMode, unique, replace bool, write func(io.Writer) error) (string, string, error) {
	if fi, err := os.Lstat(path); err == nil && replace && !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("%s exists and is not a regular file", path)
	}
	// A name firebreak chooses goes only into a real directory, never
	// through a link planted in its place.
	if unique {
		d := filepath.Dir(path)
		if fi, err := os.Lstat(d); err == nil && !fi.IsDir() {
			return "", "", fmt.Errorf("%s is a %s, not a directory: firebreak writes its own files only into real directories", d, TypeName(fi.Mode()))
		}
	}
	// Write where the path really is (see ResolveParent).
	path, err := ResolveParent(path)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return "", "", err
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), 256<<10)
	if err := write(bw); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Close(); err != nil {
		return "", "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if replace {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return "", "", err
		}
		return path, sum, SyncDir(dir)
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 1; i < 10000; i++ {
		cand := path
		if i > 1 {
			cand = stem + "-" + strconv.Itoa(i) + ext
		}
		err := os.Link(tmp.Name(), cand)
		if err == nil {
			return cand, sum, SyncDir(dir)
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", "", err
		}
		if !unique {
			return "", "", fmt.Errorf("%s %w", path, ErrExists)
		}
	}
	return "", "", fmt.Errorf("no free name for %s", path)
}
