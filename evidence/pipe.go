package evidence

import (
	"context"
	"errors"
	"io"
	"sync"
)

// pipeBuffers is how many chunks of BufSize the reader may be ahead of the
// consumer: enough to keep the disk busy while the hash runs, and a
// constant few MiB whatever the file's size.
const pipeBuffers = 4

// pipelined reads r to the end on a goroutine of its own, in chunks of
// BufSize, while consume handles the chunks in order on the caller's: the
// reading overlaps the hashing (and writing). It returns the bytes
// consumed, and waits for the reader to stop before it returns, so that
// the caller may close r's file at once. ctx is checked between chunks.
func pipelined(ctx context.Context, r io.Reader, consume func([]byte) error) (int64, error) {
	// The buffers come from the pool the other readers use: a quarantine
	// of thousands of small files allocates none per file.
	bufs := make([]*[]byte, pipeBuffers)
	for i := range bufs {
		bufs[i] = bufPool.Get().(*[]byte)
	}
	defer func() {
		for _, b := range bufs {
			bufPool.Put(b)
		}
	}()
	// A file that fits one chunk needs no goroutine.
	first := *bufs[0]
	k, err := io.ReadFull(r, first)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if k > 0 {
		if cerr := ctx.Err(); cerr != nil {
			return 0, cerr
		}
		if cerr := consume(first[:k]); cerr != nil {
			return 0, cerr
		}
	}
	if k < len(first) {
		return int64(k), nil
	}
	n, err := pipeRest(ctx, r, bufs, consume)
	return int64(k) + n, err
}

// pipeRest is pipelined past the first chunk: the reader goroutine fills
// the buffers while consume empties them.
func pipeRest(ctx context.Context, r io.Reader, bufs []*[]byte, consume func([]byte) error) (int64, error) {
	free := make(chan []byte, len(bufs))
	full := make(chan []byte, len(bufs))
	for _, b := range bufs {
		free <- *b
	}
	stop := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(full)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			k, err := io.ReadFull(r, b)
			if k > 0 {
				select {
				case full <- b[:k]:
				case <-stop:
					return
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	finish := func() { close(stop); wg.Wait() }
	var n int64
	for b := range full {
		if err := ctx.Err(); err != nil {
			finish()
			return n, err
		}
		if err := consume(b); err != nil {
			finish()
			return n, err
		}
		n += int64(len(b))
		free <- b[:cap(b)]
	}
	finish()
	return n, readErr // set before full was closed
}
