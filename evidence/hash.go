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
	"hash"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// BufSize is the read size for hashing and copying: large enough that the
// hash, not the system calls, bounds the speed.
const BufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, BufSize); return &b }}

// hashCopy reads r to the end, writing every byte to h and, when w is not
// nil, to w; progress (may be nil) gets the running byte count. It checks
// ctx between chunks. The reading runs ahead on its own goroutine, and a
// chunk is hashed while it is written: a copy costs about the slowest of
// the three, not their sum.
func hashCopy(ctx context.Context, h hash.Hash, w io.Writer, r io.Reader, progress func(int64)) (int64, error) {
	var n int64
	return pipelined(ctx, r, func(b []byte) error {
		if w == nil {
			h.Write(b)
		} else {
			hashed := make(chan struct{})
			go func() { h.Write(b); close(hashed) }()
			_, werr := w.Write(b)
			<-hashed
			if werr != nil {
				return werr
			}
		}
		n += int64(len(b))
		if progress != nil {
			progress(n)
		}
		return nil
	})
}

// SumBytes is the hex SHA-256 of b, for data already in memory (a rendered
// message, a report, a blob read from git).
func SumBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
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

// hashChunk is how many consecutive files a worker takes at once: handing
// out files one by one costs more in wake-ups than hashing a small file.
const hashChunk = 32

// HashFiles hashes paths with workers goroutines (0: twice the CPUs, since
// small files wait on the disk as much as on the hash) and calls emit with
// each result in the order of paths, as soon as it and all before it are
// done. Memory is one buffer per worker plus the results not yet emitted.
func HashFiles(ctx context.Context, paths []string, workers int, emit func(HashResult) error) error {
	if len(paths) == 0 {
		return nil
	}
	chunks := (len(paths) + hashChunk - 1) / hashChunk
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	workers = min(workers, chunks)
	results := make([]HashResult, len(paths))
	done := make([]chan struct{}, chunks)
	for i := range done {
		done[i] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return
				}
				for i := c * hashChunk; i < min((c+1)*hashChunk, len(paths)); i++ {
					sum, n, err := HashFile(ctx, paths[i])
					results[i] = HashResult{Path: paths[i], Sum: sum, Size: n, Err: err}
				}
				close(done[c])
			}
		}()
	}
	var err error
emitLoop:
	for c := 0; c < chunks; c++ {
		select {
		case <-done[c]:
		case <-ctx.Done():
			err = ctx.Err()
			break emitLoop
		}
		for i := c * hashChunk; i < min((c+1)*hashChunk, len(paths)); i++ {
			if err = emit(results[i]); err != nil {
				break emitLoop
			}
			results[i] = HashResult{} // let it go
		}
	}
	cancel()
	wg.Wait()
	return err
}
