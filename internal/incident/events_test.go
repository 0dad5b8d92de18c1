package incident

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
)

// TestFactsReadBackAreCheckedAgain: a fact.set line that SetFact would
// have refused (a file path with a newline, a value that is not a string
// or is empty) changes no fact, whoever's journal it is in.
func TestFactsReadBackAreCheckedAgain(t *testing.T) {
	p := inc1(t)
	h := Header{ID: "x", Created: t0, Severity: p.Severity}
	fact := func(raw string) journal.Event {
		return journal.Event{Kind: KindFact, At: t0, Logged: t0.Add(time.Second), Data: json.RawMessage(raw)}
	}
	evs := []journal.Event{
		fact(`{"name":"key_path","value":"/keys/prod.sec"}`),
		fact(`{"name":"key_path","value":"/keys/a.sec\n/keys/b.sec"}`),
		fact(`{"name":"key_path","value":{"x":1}}`),
		fact(`{"name":"key_path","value":"   "}`),
		fact(`{"name":"","value":"v"}`),
	}
	for i := range evs {
		evs[i].Logged = t0.Add(time.Duration(i) * time.Second)
	}
	st := Derive(h, p, evs)
	if got := st.Facts["key_path"]; got != "/keys/prod.sec" {
		t.Fatalf("key_path = %q, want the one valid value", got)
	}
	if _, ok := st.Facts[""]; ok {
		t.Fatal("a fact without a name was set")
	}
}
