package export

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// hostile opens an incident whose text tries to break out of every format.
func hostile(t *testing.T) *Record {
	t.Helper()
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("INC-1")
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	n := 0
	ws := &incident.Workspace{Home: filepath.Join(t.TempDir(), "h"), Now: func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }}
	ctx := context.Background()
	inc, err := ws.Open(ctx, incident.OpenOptions{Playbook: p, Title: "<script>alert(1)</script> | *x*", Actor: "alice", Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := inc.Note(ctx, "alice", "esc \x1b]52;c;Zm9v\x07 and \u202eevil", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inc.Step(ctx, "alice", "1.1", "skip", "</td><img src=x onerror=alert(1)>", time.Time{}); err != nil {
		t.Fatal(err)
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inc.Journal.Verify(ctx, journal.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return Build(inc, incident.Derive(inc.Header, inc.Playbook, evs), Slice(evs), rep, t0.Add(time.Hour))
}

func TestFormatsEscapeIncidentText(t *testing.T) {
	r := hostile(t)
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		// JSON carries the data faithfully (encoding/json escapes control
		// characters); the human formats show them as visible escapes.
		if strings.Contains(out, "\x1b") || (f != "json" && strings.Contains(out, "\u202e")) {
			t.Errorf("%s: raw escape or bidi override in the output", f)
		}
		if f != "json" && (strings.Contains(out, "<script>") || strings.Contains(out, "<img")) {
			t.Errorf("%s: markup from incident text is live", f)
		}
		if !strings.Contains(out, "DRILL") && f != "json" {
			t.Errorf("%s: drill not flagged", f)
		}
		if f == "json" {
			var back map[string]any
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["schema"] != Schema {
				t.Fatalf("json: %v", err)
			}
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", r); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestRecordContents(t *testing.T) {
	r := hostile(t)
	if len(r.Steps) != 12 || r.Steps[0].State != playbooks.Skipped || r.Steps[0].PhaseTitle != "Immediate actions (first 30 minutes)" {
		t.Fatalf("steps: %+v", r.Steps[0])
	}
	if r.Steps[0].Deadline == nil || !r.Steps[0].Deadline.Equal(r.Incident.Created.Add(30*time.Minute)) {
		t.Fatalf("deadline: %v", r.Steps[0].Deadline)
	}
	if !r.Journal.Intact || len(r.Journal.Files) != 1 || r.Journal.Files[0].HeadSeq != 3 || len(r.Metrics) != 4 {
		t.Fatalf("journal/metrics: %+v %d", r.Journal, len(r.Metrics))
	}
	var md bytes.Buffer
	WriteMarkdown(&md, r)
	if !strings.Contains(md.String(), r.Journal.Files[0].HeadID) {
		t.Fatal("markdown lacks the journal head id")
	}
}

// The JSON export used to carry raw U+202E and U+009B (8-bit CSI) from
// notes and file names.
func TestJSONExportEscapesFormattingCharacters(t *testing.T) {
	in := []byte(`{"summary":"note` + "\u202e" + `gnp.exe csi` + "\u009b" + `31m zw` + "\u200b" + ` ok é ✓"}`)
	out := EscapeFormatting(in)
	if bytes.ContainsAny(out, "\u202e\u009b\u200b") {
		t.Fatalf("raw formatting characters left: %q", out)
	}
	var a, b map[string]string
	if json.Unmarshal(in, &a) != nil || json.Unmarshal(out, &b) != nil || a["summary"] != b["summary"] {
		t.Fatalf("the escaped JSON means something else: %q", out)
	}
	if !bytes.Contains(out, []byte("ok é ✓")) {
		t.Fatalf("ordinary text was escaped: %q", out)
	}
}

// TestARecordAtTheEndOfTimeStillExports: a milestone so late that a due
// date after it is past year 9999 (a forged or mistyped line) leaves that
// due date out; the JSON export still writes.
func TestARecordAtTheEndOfTimeStillExports(t *testing.T) {
	st := &incident.State{Milestones: map[string]incident.Milestone{incident.MilestoneRecovered: {At: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}}}
	for _, m := range MetricRecords(st) {
		if m.Due != nil && m.Due.Year() > 9999 {
			t.Fatalf("%s due %v", m.Name, m.Due)
		}
	}
	if _, err := json.Marshal(MetricRecords(st)); err != nil {
		t.Fatal(err)
	}
}

// encodingJSONEvent is how encoding/json writes an event as a timeline
// element: the reference the hand-written encoder must equal.
func encodingJSONEvent(t testing.TB, e *journal.Event) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(eventPrefix, "  ")
	if err := enc.Encode(e); err != nil {
		return nil
	}
	return EscapeFormatting(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func checkEventJSON(t testing.TB, e *journal.Event) (fast bool) {
	t.Helper()
	got, ok := appendEventJSON(nil, e)
	if !ok {
		return false
	}
	if want := encodingJSONEvent(t, e); !bytes.Equal(got, want) {
		t.Fatalf("event %+v:\n got %s\nwant %s", e, got, want)
	}
	return true
}

func TestEventJSONIsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 123456789, time.UTC)
	base := journal.Event{Seq: 12, ID: strings.Repeat("ab", 32), Prev: strings.Repeat("0f", 32), Logged: at, At: at.Add(-time.Hour),
		Actor: "alice@laptop", Kind: "step.done", Step: "isolate-key", Summary: "isolated the key <& 'quoted'> 100%", Data: []byte(`{"a":[1,2,{"b":null}],"c":"x","d":{}}`)}
	cases := map[string]func(e *journal.Event){
		"plain":              func(*journal.Event) {},
		"no step":            func(e *journal.Event) { e.Step = "" },
		"first event":        func(e *journal.Event) { e.Prev = "" },
		"empty data":         func(e *journal.Event) { e.Data = []byte(`{}`) },
		"whole seconds":      func(e *journal.Event) { e.At = at.Truncate(time.Second) },
		"data with spaces":   func(e *journal.Event) { e.Data = []byte(` { "a" : [ 1 , 2 ] , "b":"x y" } `) },
		"nested empty array": func(e *journal.Event) { e.Data = []byte(`{"a":[],"b":[[]],"c":{"d":{}}}`) },
		"numbers":            func(e *journal.Event) { e.Data = []byte(`{"a":-0.5e10,"b":1E+2}`) },
	}
	for name, change := range cases {
		e := base
		change(&e)
		if !checkEventJSON(t, &e) {
			t.Errorf("%s: took the slow path", name)
		}
	}
	// What the fast path leaves to encoding/json.
	for name, change := range map[string]func(e *journal.Event){
		"quote":       func(e *journal.Event) { e.Summary = `say "hi"` },
		"escape":      func(e *journal.Event) { e.Summary = "esc \x1b[31m" },
		"non-ASCII":   func(e *journal.Event) { e.Summary = "clé ✓" },
		"bidi":        func(e *journal.Event) { e.Step = "a\u202eb" },
		"data UTF-8":  func(e *journal.Event) { e.Data = []byte(`{"a":"é"}`) },
		"year 10000":  func(e *journal.Event) { e.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"not UTC":     func(e *journal.Event) { e.At = at.In(time.FixedZone("X", 3600)) },
		"broken data": func(e *journal.Event) { e.Data = []byte(`{"a":`) },
	} {
		e := base
		change(&e)
		if checkEventJSON(t, &e) {
			t.Errorf("%s: took the fast path", name)
		}
	}
}

func FuzzEventJSON(f *testing.F) {
	f.Add(int64(1), "alice", "note", "", "a summary", `{"a":1}`, int64(0))
	f.Add(int64(7), "bob", "step.done", "x-y", "q\"uote", `{"a":[1,{"b":"c"}],"d":{}}`, int64(-3600))
	f.Fuzz(func(t *testing.T, seq int64, actor, kind, step, summary, data string, shift int64) {
		at := time.Date(2026, 11, 22, 3, 0, 0, 5, time.UTC)
		e := &journal.Event{Seq: seq, ID: "id", Prev: "", Logged: at, At: at.Add(time.Duration(shift)), Actor: actor, Kind: kind, Step: step, Summary: summary, Data: []byte(data)}
		if got, ok := appendEventJSON(nil, e); ok {
			want := encodingJSONEvent(t, e)
			if !bytes.Equal(got, want) {
				t.Fatalf("event %+v:\n got %s\nwant %s", e, got, want)
			}
		}
	})
}
