package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
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
// from three responders (written in bulk, not fsynced one by one).
func bigIncident(b testing.TB, n int) *incident.Incident {
	benchOnce.Do(func() {
		dir := os.Getenv("FIREBREAK_BENCH_HOME")
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "firebreak-export-bench-*"); err != nil {
				b.Fatal(err)
			}
			benchTemp = dir
		}
		lib, err := playbooks.Load(nil, playbooks.Options{})
		if err != nil {
			b.Fatal(err)
		}
		p, _ := lib.Get("INC-1")
		t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
		ws := &incident.Workspace{Home: dir, Now: func() time.Time { return t0 }}
		inc, err := ws.Open(context.Background(), incident.OpenOptions{Playbook: p, Title: "bench", Actor: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		steps := p.StepIDs()
		for ai, actor := range []string{"alice", "bob", "carol"} {
			path := inc.Journal.Path(actor)
			var prev *journal.Event
			if actor == "alice" {
				evs, _, _ := inc.Journal.ReadAll()
				last := evs["alice"][len(evs["alice"])-1]
				prev = &last
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriter(f)
			for i := ai; i < n; i += 3 {
				at := t0.Add(time.Duration(i) * time.Second)
				e := journal.Event{Seq: 1, Logged: at, At: at, Actor: actor, Kind: "note", Step: steps[i%len(steps)],
					Summary: fmt.Sprintf("checked module %d of the release and its signature", i),
					Data:    []byte(fmt.Sprintf(`{"module":"m%d.wasm","ok":true}`, i))}
				if prev != nil {
					e.Seq, e.Prev = prev.Seq+1, prev.ID
					if !e.Logged.After(prev.Logged) {
						e.Logged = prev.Logged.Add(time.Nanosecond)
					}
				}
				line, err := journal.EncodeLine(&e)
				if err != nil {
					b.Fatal(err)
				}
				w.Write(line)
				prev = &e
			}
			w.Flush()
			f.Close()
		}
		benchInc = inc
	})
	return benchInc
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchExport(b *testing.B, format string) {
	inc := bigIncident(b, 100_000)
	ctx := context.Background()
	var size int64
	for b.Loop() {
		evs, _, err := inc.Journal.Timeline()
		if err != nil {
			b.Fatal(err)
		}
		st := incident.Derive(inc.Header, inc.Playbook, evs)
		rep, err := inc.Journal.Verify(ctx, journal.VerifyOptions{})
		if err != nil || !rep.Intact() || rep.Events < 100_000 {
			b.Fatalf("verify: %v %v", err, rep.Problems)
		}
		cw := &countWriter{}
		if err := Write(io.Writer(cw), format, Build(inc, st, evs, rep, time.Now())); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/export")
	b.ReportMetric(float64(size)/(1<<20), "MB-out")
}

// BenchmarkExportMarkdown100k is the whole "firebreak export --format md" of
// a 100,000-event incident: read and merge, derive, verify, render.
func BenchmarkExportMarkdown100k(b *testing.B) { benchExport(b, "md") }

// BenchmarkExportJSON100k is the same with --format json.
func BenchmarkExportJSON100k(b *testing.B) { benchExport(b, "json") }

// BenchmarkExportHTML100k is the same with --format html.
func BenchmarkExportHTML100k(b *testing.B) { benchExport(b, "html") }

// TestWriteBenchIncident writes the 100,000-event incident into
// $FIREBREAK_BENCH_HOME for bench/run.sh, which then measures the real
// binary on it beside sha256sum. Skipped unless that variable is set.
func TestWriteBenchIncident(t *testing.T) {
	if os.Getenv("FIREBREAK_BENCH_HOME") == "" {
		t.Skip("FIREBREAK_BENCH_HOME not set: only bench/run.sh uses this")
	}
	inc := bigIncident(t, 100_000)
	t.Logf("wrote %s", inc.Dir)
}
