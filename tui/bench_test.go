package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// BenchmarkTimelineView draws one frame of a 10,000-event timeline: the
// cost must not grow with the journal, only with the screen.
func BenchmarkTimelineView(b *testing.B) {
	evs := make([]journal.Event, 10000)
	for i := range evs {
		evs[i] = journal.Event{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Kind: "note",
			Step: "isolate-key", Summary: fmt.Sprintf("event %d: checked the mirror for the leaked key", i)}
	}
	tl := newTimeline(styles.New(true))
	tl.setSize(120, 38)
	tl.set(evs, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = tl.view()
	}
}

// BenchmarkTimelineFilter re-filters 10,000 events, as each key typed
// into the timeline's filter does.
func BenchmarkTimelineFilter(b *testing.B) {
	evs := make([]journal.Event, 10000)
	for i := range evs {
		evs[i] = journal.Event{At: t0, Actor: "bob", Kind: "step.done", Summary: fmt.Sprintf("step %d done", i)}
	}
	tl := newTimeline(styles.New(true))
	tl.setSize(120, 38)
	tl.set(evs, t0)
	tl.filter.SetValue("step 99")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tl.apply()
	}
}
