package tui

import (
	"testing"

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
