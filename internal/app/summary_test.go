package app

import (
	"slices"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/severity"
)

// TestUrgentOrder: what a responder should look at first comes first.
func TestUrgentOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	rows := []Summary{
		{ID: "closed-critical", Status: "closed", Level: severity.Critical},
		{ID: "drill-critical", Status: "open", Drill: true, Level: severity.Critical},
		{ID: "low", Status: "open", Level: severity.Low},
		{ID: "high-later-deadline", Status: "open", Level: severity.High, ResponseDeadline: t0.Add(2 * time.Hour)},
		{ID: "high-sooner-deadline", Status: "open", Level: severity.High, ResponseDeadline: t0.Add(time.Hour)},
		{ID: "high-overdue", Status: "open", Level: severity.High, Overdue: 2, ResponseDeadline: t0.Add(3 * time.Hour)},
		{ID: "critical-old", Status: "open", Level: severity.Critical, Created: t0},
		{ID: "critical-new", Status: "open", Level: severity.Critical, Created: t0.Add(time.Minute)},
		{ID: "unreadable", Status: "unreadable"},
	}
	slices.SortStableFunc(rows, func(a, b Summary) int {
		switch {
		case Urgent(&a, &b):
			return -1
		case Urgent(&b, &a):
			return 1
		}
		return 0
	})
	var got []string
	for _, r := range rows {
		got = append(got, r.ID)
	}
	want := []string{"unreadable", "critical-new", "critical-old", "high-overdue", "high-sooner-deadline", "high-later-deadline", "low", "drill-critical", "closed-critical"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}
