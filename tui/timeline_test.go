package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
)

func TestTimelineFilter(t *testing.T) {
	evs := []journal.Event{
		{Kind: "action.done", Actor: "bob", Step: "isolate-key", Summary: "key isolated"},
		{Kind: "action.failed", Actor: "alice", Step: "resign-modules", Summary: "no modules"},
		{Kind: "note", Actor: "bob", Summary: "Gist is 2 hours old"},
		{Kind: "step.done", Actor: "carol", Step: "isolate-key", Summary: "step 1.1 done"},
	}
	for _, tc := range []struct {
		q    string
		want []int
	}{
		{"", []int{0, 1, 2, 3}},
		{"kind:action", []int{0, 1}},
		{"kind:action.done", []int{0}},
		{"KIND:NOTE", []int{2}},
		{"actor:bob", []int{0, 2}},
		{"by:carol", []int{3}},
		{"actor:bo", nil}, // actors match exactly
		{"step:isolate-key", []int{0, 3}},
		{"step:isolate-key actor:carol", []int{3}},
		{"actor:bob actor:alice", []int{0, 1, 2}}, // the same field twice: either
		{"gist hours", []int{2}},
		{"gist days", nil},
		{"isolate", []int{0, 3}},
		{"kind:", nil}, // an empty value is text: "kind:" appears nowhere
		{"unknown:x", nil},
	} {
		f := parseFilter(tc.q)
		var got []int
		for i := range evs {
			if f.match(&evs[i]) {
				got = append(got, i)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
				break
			}
		}
	}
}

// TestTimelineReadsAWholeEvent: the timeline opens on the newest event,
// ↑ moves a cursor, enter shows the selected event in full (a long note
// wrapped, its data), esc goes back to the list and then to the incident;
// step:1.1 finds events by step number; a filter that matches nothing
// says so.
func TestTimelineReadsAWholeEvent(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	long := strings.Repeat("the key was copied to the backup host before rotation; ", 6) + "END-OF-NOTE \x1b[2J"
	if err := inc.Note(t.Context(), "alice", long, "isolate-key", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m := f.model(80, 24)
	m = drive(t, m, enter)
	m = drive(t, m, typed("t")...)
	if sel := selectedLine(m.View()); !strings.Contains(sel, "note") {
		t.Fatalf("not on the newest event: %q\n%s", sel, m.View())
	}
	m = drive(t, m, enter)
	v := m.View()
	checkFrame(t, v, 80, 24)
	if !strings.Contains(v, "END-OF-NOTE") || !strings.Contains(v, "step    isolate-key") {
		t.Fatalf("the whole event is not shown:\n%s", v)
	}
	// The data keeps its JSON indentation, and a control byte in it is
	// shown escaped, not sent to the terminal.
	if !strings.Contains(v, "\n    \"text\": \"the key") || strings.Contains(v, "\x1b[2J") || !strings.Contains(v, `\u001b[2J`) {
		t.Fatalf("the data is not shown indented and escaped:\n%s", v)
	}
	m = drive(t, m, esc)
	if m.screen != screenTimeline || m.timeline.open {
		t.Fatalf("esc left the timeline (%v) instead of closing the event", m.screen)
	}
	m = drive(t, m, typed("/step:1.1")...)
	m = drive(t, m, enter)
	if v := m.View(); !strings.Contains(v, "Timeline: 1 of") {
		t.Fatalf("step:1.1 did not find the note:\n%s", v)
	}
	m = drive(t, m, esc) // clears the filter
	m = drive(t, m, typed("/zzz")...)
	if v := m.View(); !strings.Contains(v, `No event matches "zzz"`) {
		t.Fatalf("an empty result:\n%s", v)
	}
	m = drive(t, m, esc, esc)
	if m.screen != screenRunner {
		t.Fatalf("esc twice went to %v", m.screen)
	}
}
