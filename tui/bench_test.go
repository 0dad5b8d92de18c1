package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/incident"
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
	tl.set(evs, "journal verified")
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
	tl.set(evs, "journal verified")
	tl.filter.SetValue("step 99")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tl.apply()
	}
}

// BenchmarkFirstFrame is start-up with 200 incidents in the workspace:
// build the model, load every incident (header, playbook, journal) and
// draw the home screen. The target is 150 ms.
func BenchmarkFirstFrame(b *testing.B) {
	t := &testing.T{}
	f := &fixture{t: t, now: t0}
	f.ws = &incident.Workspace{Home: filepath.Join(b.TempDir(), "home"), Now: func() time.Time { return f.now }}
	for i := range 200 {
		f.now = t0.Add(time.Duration(i) * time.Minute)
		f.open([]string{"INC-1", "INC-2", "INC-3", "INC-4"}[i%4], fmt.Sprintf("incident number %d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// A fresh workspace each time: a new process has no parsed playbooks.
		ws := &incident.Workspace{Home: f.ws.Home, Now: f.ws.Now}
		m := New(context.Background(), Options{Workspace: ws, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		msg := loadIncidentsCmd(ws, f.now)()
		next, _ = next.Update(msg)
		if v := next.View(); !strings.Contains(v, "Incidents (200)") {
			b.Fatalf("first frame:\n%s", v)
		}
	}
}
