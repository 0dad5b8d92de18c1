package journal

import (
	"bytes"
	"context"
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

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Repaired describes one torn tail set aside by Repair.
type Repaired struct {
	Actor    string `json:"actor"`
	File     string `json:"file"`
	TornFile string `json:"torn_file"`
	Offset   int64  `json:"offset"`
	Len      int64  `json:"len"`
	SHA256   string `json:"sha256"`
	// Completed says the tail was a whole, valid event that had lost only
	// its newline: the newline was added and the event kept in place
	// (TornFile is empty).
	Completed bool `json:"completed,omitempty"`
}

// Repair sets aside the torn final line of every actor file: the bytes after
// the last newline are written to <actor>.jsonl.torn (or .torn.2, .torn.3 …,
// never overwriting), synced, and only then cut from the journal file. Each
// file is locked while it is repaired. Complete lines are never touched.
func (j *Journal) Repair(ctx context.Context) (_ []Repaired, err error) {
	actors, odd, err := j.files()
	if err != nil {
		return nil, err
	}
	if len(odd) > 0 {
		// Files that are not journal files (links, hard links, bad names)
		// are never cut: say so, after repairing the others.
		defer func() {
			if err == nil {
				err = fmt.Errorf("repair: left alone, not journal files: %s (timeline verify says what each is)", strings.Join(odd, ", "))
			}
		}()
	}
	var out []Repaired
	for _, a := range actors {
		r, err := j.repairFile(ctx, a)
		if err != nil {
			return out, err
		}
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

func (j *Journal) repairFile(ctx context.Context, actor string) (*Repaired, error) {
	path := j.Path(actor)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	defer f.Close()
	if err := checkOwnFile(f, path); err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	if err := fsutil.Lock(ctx, f); err != nil {
		return nil, fmt.Errorf("repair: lock %s: %w", path, err)
	}
	defer fsutil.Unlock(f)
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size == 0 {
		return nil, err
	}
	cut, err := afterLastNewline(f, size)
	if err != nil {
		return nil, fmt.Errorf("repair: read %s: %w", path, err)
	}
	if cut == size {
		return nil, nil // ends with a newline: nothing torn
	}
	if size-cut > MaxLine {
		// Longer than any event: not a line cut short, and too big to
		// hold. Stream it aside.
		return j.setAsideLarge(f, path, actor, cut, size)
	}
	var line []byte
	if cut > 0 {
		if line, _, err = lastLine(f, cut); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
	}
	torn := make([]byte, size-cut)
	if _, err := f.ReadAt(torn, cut); err != nil {
		return nil, fmt.Errorf("repair: read %s: %w", path, err)
	}
	sum := sha256.Sum256(torn)
	if completes(line, torn, actor) {
		// The write reached its last byte but the newline: the event is
		// whole and hashes right. Setting it aside would drop a real
		// event; end the line instead.
		if _, err := f.WriteAt([]byte{'\n'}, size); err != nil {
			return nil, fmt.Errorf("repair: complete %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("repair: sync %s: %w", path, err)
		}
		return &Repaired{Actor: actor, File: filepath.Base(path), Offset: cut, Len: int64(len(torn)), SHA256: hex.EncodeToString(sum[:]), Completed: true}, nil
	}
	tornPath, err := writeAside(path, torn)
	if err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	if err := f.Truncate(cut); err != nil {
		return nil, fmt.Errorf("repair: truncate %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("repair: sync %s: %w", path, err)
	}
	return &Repaired{
		Actor: actor, File: filepath.Base(path), TornFile: filepath.Base(tornPath),
		Offset: cut, Len: int64(len(torn)), SHA256: hex.EncodeToString(sum[:]),
	}, nil
}

// afterLastNewline returns the offset just after the file's last newline
// (0 when it has none), reading backwards in fixed chunks: memory does not
// grow with a torn tail, however long.
func afterLastNewline(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		n := int64(len(buf))
		if n > end {
			n = end
		}
		start := end - n
		if _, err := f.ReadAt(buf[:n], start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// setAsideLarge streams a torn tail longer than any line into a .torn file,
// syncs it, then cuts the journal file.
func (j *Journal) setAsideLarge(f *os.File, path, actor string, cut, size int64) (*Repaired, error) {
	h := sha256.New()
	tornPath, err := writeAsideFrom(path, io.TeeReader(io.NewSectionReader(f, cut, size-cut), h))
	if err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	if err := f.Truncate(cut); err != nil {
		return nil, fmt.Errorf("repair: truncate %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("repair: sync %s: %w", path, err)
	}
	return &Repaired{Actor: actor, File: filepath.Base(path), TornFile: filepath.Base(tornPath), Offset: cut, Len: size - cut, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// completes reports whether tail, the bytes after the last newline, is a
// whole canonical event of actor that follows prevLine (the last complete
// line, newline included; empty when there is none).
func completes(prevLine, tail []byte, actor string) bool {
	if len(tail) > MaxLine-1 {
		return false
	}
	e, err := ParseLine(tail)
	if err != nil || e.Actor != actor {
		return false
	}
	if kind, _, _ := check(&e, tail, nil); kind != "" {
		return false
	}
	if len(prevLine) == 0 {
		return e.Seq == 1 && e.Prev == ""
	}
	prev, err := parseAny(bytes.TrimSuffix(prevLine, []byte("\n")))
	return err == nil && e.Seq == prev.Seq+1 && e.Prev == prev.ID
}

// writeAside writes b to a new file next to path named path+".torn" (or with
// a numeric suffix when that exists), syncs it and its directory.
func writeAside(path string, b []byte) (string, error) {
	return writeAsideFrom(path, bytes.NewReader(b))
}

func writeAsideFrom(path string, r io.Reader) (string, error) {
	for i := 1; i < 1000; i++ {
		name := path + ".torn"
		if i > 1 {
			name += "." + strconv.Itoa(i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			os.Remove(name)
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", fmt.Errorf("sync %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		return name, fsutil.SyncDir(filepath.Dir(name))
	}
	return "", fmt.Errorf("too many .torn files beside %s", path)
}
