// Package evidence keeps what an incident must not lose: it quarantines
// suspect files and isolates compromised keys by copying them with a hash
// computed while copying, syncing and re-reading the copy, and only then
// removing the original; it keeps a manifest and a sha256sum-compatible
// hashes.txt; and it hashes files in streams with constant memory.
//
// The package has no UI imports: the console and the CLI consume it.
package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

// BufSize is the read size for hashing and copying: large enough that the
// hash, not the system calls, bounds the speed.
const BufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, BufSize); return &b }}

// hashCopy reads r to the end, writing every byte to h and, when w is not
// nil, to w; progress (may be nil) gets the running byte count. It checks
// ctx between reads.
func hashCopy(ctx context.Context, h hash.Hash, w io.Writer, r io.Reader, progress func(int64)) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			if w != nil {
				if _, werr := w.Write(buf[:k]); werr != nil {
					return n, werr
				}
			}
			n += int64(k)
			if progress != nil {
				progress(n)
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// HashReader returns the hex SHA-256 of everything r yields, and its length.
func HashReader(ctx context.Context, r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := hashCopy(ctx, h, nil, r, nil)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// HashFile returns the hex SHA-256 and size of a regular file, streaming it
// with constant memory. It follows a symlink, as sha256sum does.
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

// SumLine formats one line as sha256sum prints it. A name holding a
// backslash, newline or carriage return is escaped and the line starts with
// a backslash, as GNU coreutils does.
func SumLine(sum, name string) string {
	if strings.ContainsAny(name, "\\\n\r") {
		esc := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
		return `\` + sum + "  " + esc + "\n"
	}
	return sum + "  " + name + "\n"
}

// HashResult is one file's outcome in HashFiles.
type HashResult struct {
	Path string
	Sum  string
	Size int64
	Err  error
}

// HashFiles hashes paths with workers goroutines (0: twice the CPUs, since
// small files wait on the disk as much as on the hash) and calls emit with
// each result in the order of paths, as soon as it and all before it are
// done. Memory is one buffer per worker plus the results not yet emitted.
func HashFiles(ctx context.Context, paths []string, workers int, emit func(HashResult) error) error {
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	if workers > len(paths) {
		workers = len(paths)
	}
	results := make([]HashResult, len(paths))
	done := make([]chan struct{}, len(paths))
	for i := range done {
		done[i] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sum, n, err := HashFile(ctx, paths[i])
				results[i] = HashResult{Path: paths[i], Sum: sum, Size: n, Err: err}
				close(done[i])
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range paths {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var err error
	for i := range paths {
		select {
		case <-done[i]:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
		if err = emit(results[i]); err != nil {
			break
		}
		results[i] = HashResult{} // let it go
	}
	cancel()
	wg.Wait()
	return err
}
