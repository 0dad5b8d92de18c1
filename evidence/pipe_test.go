package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// errAfter yields n bytes then fails; it counts reads after stop.
type errAfter struct {
	left    int
	err     error
	reading atomic.Int32
}

func (e *errAfter) Read(p []byte) (int, error) {
	e.reading.Add(1)
	defer e.reading.Add(-1)
	if e.left == 0 {
		return 0, e.err
	}
	k := min(len(p), e.left)
	e.left -= k
	return k, nil
}

func TestPipelinedReadsEverythingInOrder(t *testing.T) {
	for _, size := range []int{0, 1, BufSize - 1, BufSize, BufSize + 1, 4*BufSize + 3, 9 * BufSize} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		var got bytes.Buffer
		n, err := pipelined(context.Background(), bytes.NewReader(data), func(b []byte) error { got.Write(b); return nil })
		if err != nil || n != int64(size) || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("size %d: n %d err %v equal %v", size, n, err, bytes.Equal(got.Bytes(), data))
		}
	}
}

func TestPipelinedStopsOnErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	r := &errAfter{left: 3*BufSize + 5, err: boom}
	if _, err := pipelined(context.Background(), r, func([]byte) error { return nil }); !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	stop := errors.New("full")
	r = &errAfter{left: 50 * BufSize, err: io.EOF}
	calls := 0
	_, err := pipelined(context.Background(), r, func([]byte) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("consume error: %v after %d calls", err, calls)
	}
	if r.reading.Load() != 0 {
		t.Fatal("the reader was still reading after pipelined returned")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pipelined(ctx, &errAfter{left: 10 * BufSize, err: io.EOF}, func([]byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestHashFileLargeAndCopy: a file large enough for the read-ahead hashes
// as sha256 says, through HashFile and hashCopy.
func TestHashFileLargeAndCopy(t *testing.T) {
	data := make([]byte, 6*BufSize+12345)
	for i := range data {
		data[i] = byte(i % 251)
	}
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	sum, n, err := HashFile(context.Background(), p)
	if err != nil || n != int64(len(data)) || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("HashFile: %s %d %v", sum, n, err)
	}
	var out bytes.Buffer
	h := sha256.New()
	var last int64
	n, err = hashCopy(context.Background(), h, &out, bytes.NewReader(data), func(k int64) { last = k })
	if err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) || hex.EncodeToString(h.Sum(nil)) != hex.EncodeToString(want[:]) || last != n {
		t.Fatalf("hashCopy: %d %v progress %d", n, err, last)
	}
}
