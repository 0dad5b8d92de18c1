package export

import (
	"context"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/benchdata"
	"github.com/firebreak-dev/firebreak/internal/heapgrowth"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

var (
	benchOnce sync.Once
	benchInc  *incident.Incident
	benchTemp string // removed after the run; empty when bench/run.sh chose the place
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchTemp != "" {
		os.RemoveAll(benchTemp)
	}
	os.Exit(code)
}

// bigIncident opens an INC-1 incident and fills its journal with n events
// from three responders (benchdata: written in bulk, not fsynced one by
// one; the same incident go run ./bench/journalgen writes).
func bigIncident(b testing.TB, n int) *incident.Incident {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "firebreak-export-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		benchTemp = dir
		if benchInc, err = benchdata.Incident(context.Background(), benchdata.Options{Home: dir, Events: n}); err != nil {
			b.Fatal(err)
		}
	})
	return benchInc
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchExport(b *testing.B, format string) {
	inc := bigIncident(b, 100_000)
	ctx := context.Background()
	var size int64
	growth := heapgrowth.Measure(func() {
		for b.Loop() {
			snap, err := inc.Journal.Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rep, err := inc.Journal.Verify(ctx, journal.VerifyOptions{Snapshot: snap})
			if err != nil || !rep.Intact() || rep.Events < 100_000 {
				b.Fatalf("verify: %v %v", err, rep.Problems)
			}
			st, err := inc.StateOf(ctx, snap)
			if err != nil {
				b.Fatal(err)
			}
			timeline := func(fn func(*journal.Event) error) error { return snap.Each(ctx, journal.ByAt, fn) }
			cw := &countWriter{}
			if err := Write(io.Writer(cw), format, Build(inc, st, timeline, rep, time.Now())); err != nil {
				b.Fatal(err)
			}
			snap.Close()
			size = cw.n
		}
	})
	b.ReportMetric(growth, "peak-heap-growth-MB")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/export")
	b.ReportMetric(float64(size)/(1<<20), "MB-out")
}

// BenchmarkExportMarkdown100k is the whole "firebreak export --format md" of
// a 100,000-event incident: snapshot, verify, derive, merge and render.
func BenchmarkExportMarkdown100k(b *testing.B) { benchExport(b, "md") }

// BenchmarkExportJSON100k is the same with --format json.
func BenchmarkExportJSON100k(b *testing.B) { benchExport(b, "json") }

// BenchmarkExportHTML100k is the same with --format html.
func BenchmarkExportHTML100k(b *testing.B) { benchExport(b, "html") }
