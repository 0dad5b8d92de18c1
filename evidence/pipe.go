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
	free := make(chan []byte, pipeBuffers)
	full := make(chan []byte, pipeBuffers)
	for range pipeBuffers {
		free <- make([]byte, BufSize)
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
