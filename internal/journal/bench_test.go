package journal

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/heapgrowth"
)

// BenchmarkAppend measures one durable append: one write and one fsync.
func BenchmarkAppend(b *testing.B) {
	j := New(filepath.Join(b.TempDir(), "journal"))
	ctx := context.Background()
	mustAppend(b, j, "alice", "note", "warm", nil) // creates the file
	start := fsyncs.Load()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := j.Append(ctx, Entry{Actor: "alice", Kind: "step.done", Step: "isolate-key", Summary: "step done", Data: map[string]any{"reason": "isolated"}}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(fsyncs.Load()-start)/float64(n), "fsyncs/event")
}

var (
	bigOnce sync.Once
	bigDir  string
)

// BigJournal writes (once per process) a journal of n events across three
// actors, shaped like a busy incident, without fsyncing each line.
func bigJournal(b *testing.B, n int) string {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "firebreak-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		bigDir = filepath.Join(dir, "journal")
		os.MkdirAll(bigDir, 0o700)
		actors := []string{"alice", "bob", "carol"}
		ws := map[string]*bufio.Writer{}
		fs := map[string]*os.File{}
		prev := map[string]*Event{}
		for _, a := range actors {
			f, err := os.Create(filepath.Join(bigDir, a+Ext))
			if err != nil {
				b.Fatal(err)
			}
			fs[a], ws[a] = f, bufio.NewWriter(f)
		}
		at := t0
		for i := 0; i < n; i++ {
			a := actors[i%3]
			at = at.Add(time.Second)
			e := Event{Seq: 1, Logged: at, At: at, Actor: a, Kind: "step.done", Step: fmt.Sprintf("step-%d", i%40),
				Summary: fmt.Sprintf("step %d done by %s after checking the key fingerprint", i%40, a)}
			e.Data = []byte(fmt.Sprintf(`{"reason":"routine","n":%d,"files":["a.wasm","b.wasm"]}`, i))
			if p := prev[a]; p != nil {
				e.Seq, e.Prev = p.Seq+1, p.ID
			}
			line, err := encodeLine(&e)
			if err != nil {
				b.Fatal(err)
			}
			ws[a].Write(line)
			prev[a] = &e
		}
		for _, a := range actors {
			ws[a].Flush()
			fs[a].Close()
		}
	})
	return bigDir
}

// BenchmarkVerify100k opens and verifies a 100,000-event journal and reports
// the peak live heap while it runs (it should not grow with the journal).
func BenchmarkVerify100k(b *testing.B) {
	dir := bigJournal(b, 100_000)
	j := New(dir)
	ctx := context.Background()
	growth := heapgrowth.Measure(func() {
		for b.Loop() {
			rep, err := j.Verify(ctx, VerifyOptions{})
			if err != nil || !rep.Intact() || rep.Events != 100_000 {
				b.Fatalf("verify: %v %+v", err, rep.Problems)
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/verify")
	b.ReportMetric(growth, "peak-heap-growth-MB")
}

// BenchmarkStream100k takes a snapshot of a 100,000-event journal and
// streams it in timeline order, with the peak growth of the live heap
// (it should not grow with the journal; Timeline's does).
func BenchmarkStream100k(b *testing.B) {
	j := New(bigJournal(b, 100_000))
	ctx := context.Background()
	growth := heapgrowth.Measure(func() {
		for b.Loop() {
			s, err := j.Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			if err := s.Each(ctx, ByAt, func(*Event) error { n++; return nil }); err != nil || n != 100_000 {
				b.Fatalf("%d events, %v", n, err)
			}
			s.Close()
		}
	})
	b.ReportMetric(growth, "peak-heap-growth-MB")
}

// BenchmarkTimeline100k reads and merges a 100,000-event journal.
func BenchmarkTimeline100k(b *testing.B) {
	j := New(bigJournal(b, 100_000))
	for b.Loop() {
		evs, _, err := j.Timeline()
		if err != nil || len(evs) != 100_000 {
			b.Fatal(err)
		}
	}
}
