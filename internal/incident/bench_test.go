package incident_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/benchdata"
	"github.com/firebreak-dev/firebreak/internal/heapgrowth"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// BenchmarkState100k derives the state of a 100,000-event incident (what
// incident show and every step command do), with the peak growth of the
// live heap: the journal streams through, it is never held.
func BenchmarkState100k(b *testing.B) {
	inc, err := benchdata.Incident(b.Context(), benchdata.Options{Home: filepath.Join(b.TempDir(), "h"), Events: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	growth := heapgrowth.Measure(func() {
		for b.Loop() {
			st, err := inc.State()
			if err != nil || st.Events != 100_001 {
				b.Fatalf("%v %v", err, st.Events)
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/state")
	b.ReportMetric(growth, "peak-heap-growth-MB")
}

// BenchmarkSearch1000Incidents searches 1,000 incidents of 100 events each
// (100,000 events, one match per incident) for a word: what firebreak
// search and the console's / do across the home.
func BenchmarkSearch1000Incidents(b *testing.B) {
	home := filepath.Join(b.TempDir(), "h")
	for i := range 1000 {
		if _, err := benchdata.Incident(b.Context(), benchdata.Options{Home: home, Events: 100, Title: fmt.Sprintf("incident %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	ws := &incident.Workspace{Home: home}
	growth := heapgrowth.Measure(func() {
		for b.Loop() {
			n := 0
			err := ws.Search(b.Context(), incident.SearchOptions{Text: "module 42 of THE release"}, func(incident.Hit) error { n++; return nil })
			if err != nil || n != 1000 {
				b.Fatalf("%v: %d hits", err, n)
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/search")
	b.ReportMetric(growth, "peak-heap-growth-MB")
}
