package incident_test

import (
	"path/filepath"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/benchdata"
	"github.com/firebreak-dev/firebreak/internal/heapgrowth"
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
