package heapgrowth

import "testing"

var kept []byte

// TestMeasureSeesWhatFnHolds: 32 MiB held by fn shows as growth, even
// when fn returns before the first sample; nothing held shows as little.
func TestMeasureSeesWhatFnHolds(t *testing.T) {
	if g := Measure(func() { kept = make([]byte, 32<<20); kept[len(kept)-1] = 1 }); g < 30 {
		t.Errorf("32 MiB held: growth %.1f MiB", g)
	}
	kept = nil
	if g := Measure(func() {}); g > 8 {
		t.Errorf("nothing held: growth %.1f MiB", g)
	}
}
