package incident

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
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

// TestPathsFacts: a paths input takes one per line or comma-separated,
// and records each absolute, one per line (where the action reads them,
// not where they were typed).
func TestPathsFacts(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("INC-4")
	dir := t.TempDir()
	t.Chdir(dir)
	for in, want := range map[string]string{
		"go.mod":                     filepath.Join(dir, "go.mod"),
		"a/Cargo.lock, b/go.mod":     filepath.Join(dir, "a/Cargo.lock") + "\n" + filepath.Join(dir, "b/go.mod"),
		"/x/Cargo.lock\n\n/y/go.mod": "/x/Cargo.lock\n/y/go.mod",
	} {
		got, err := CheckFacts(p, map[string]string{"lockfiles": in}, t0)
		if err != nil || got["lockfiles"] != want {
			t.Errorf("%q: %q %v, want %q", in, got["lockfiles"], err, want)
		}
	}
	if _, err := CheckFacts(p, map[string]string{"lockfiles": " , \n"}, t0); err == nil {
		t.Error("a paths fact naming nothing was taken")
	}
	if got := AbsentPaths(p, map[string]string{"lockfiles": "/nonexistent/a\n" + dir}); len(got) != 1 || got[0] != "lockfiles: /nonexistent/a" {
		t.Errorf("absent: %q", got)
	}
}
