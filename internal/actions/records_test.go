package actions

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// event wraps an action record as the journal holds it.
func event(t *testing.T, kind, action string, data any) journal.Event {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"action": action, "result": map[string]any{"summary": "s", "data": data}})
	if err != nil {
		t.Fatal(err)
	}
	return journal.Event{Kind: kind, At: time.Unix(1, 0), Data: raw}
}

// TestResultsRoundTrip: every result type decodes back to what its action
// wrote, through the record the Runner writes.
func TestResultsRoundTrip(t *testing.T) {
	e := evidence.Entry{Name: "k.pem", SHA256: "ab"}
	for _, want := range []any{
		TakeResult{V: RecordVersion, Entries: []evidence.Entry{e}},
		IsolateResult{V: RecordVersion, Entry: &e, Fingerprint: "fp", KeyID: "kid", Store: "/offline"},
		PauseResult{V: RecordVersion, Repo: "o/r", Paused: []PausedWorkflow{{ID: 7, File: "sign.yml", Prior: "active"}}},
		ScanResult{V: RecordVersion, KeyID: "kid", Modules: []ScannedModule{{Path: "m.wasm", SHA256: "cd", Valid: true}}, Counts: map[string]int{"signed": 1}},
		GenerateResult{V: RecordVersion, PrivateKey: "n.pem", PublicKey: "n.pub.pem", Fingerprint: "fp", KeyID: "kid", Format: "pem"},
		FileResult{V: RecordVersion, Missing: []string{"contact"}, Path: "/x", SHA256: "ef"},
	} {
		rec, ok := ParseRecord(event(t, KindDone, "a.b", want))
		if !ok {
			t.Fatalf("%T: not parsed", want)
		}
		got := reflect.New(reflect.TypeOf(want))
		if err := json.Unmarshal(rec.Result.Data, got.Interface()); err != nil || !reflect.DeepEqual(got.Elem().Interface(), want) {
			t.Errorf("%T: got %+v, %v", want, got.Elem().Interface(), err)
		}
	}
	if _, ok := Decode[TakeResult](&Record{}); ok {
		t.Error("a record without data decoded")
	}
	if _, ok := ParseRecord(journal.Event{Kind: "note", Data: []byte(`{"action":"x"}`)}); ok {
		t.Error("a note parsed as an action record")
	}
}

// TestOldRecordsStillRead: results written before they were typed (no
// version, maps) are read the same: the offline key store, the paused
// workflows.
func TestOldRecordsStillRead(t *testing.T) {
	evs := []journal.Event{
		{Kind: KindDone, At: time.Unix(1, 0), Logged: time.Unix(1, 0), Data: []byte(`{"action":"key.isolate","plan":{"action":"key.isolate"},"result":{"summary":"isolated","data":{"entry":{"name":"k.pem"},"fingerprint":"aa","key_id":"bb","store":"/offline/keys"}},"verification":{"checks":[]}}`)},
		{Kind: KindDone, At: time.Unix(2, 0), Logged: time.Unix(2, 0), Data: []byte(`{"action":"gh.pause","result":{"summary":"paused","data":{"repo":"o/r","paused":[{"id":7,"file":"sign.yml","name":"Sign","prior_state":"active"}]}}}`)},
		{Kind: KindFailed, At: time.Unix(3, 0), Logged: time.Unix(3, 0), Data: []byte(`{"action":"gh.resume","error":"boom","result":{"summary":"","data":{"repo":"o/r","resumed":[{"id":7}]}}}`)},
	}
	recs := Done(evs, "key.isolate")
	if len(recs) != 1 {
		t.Fatalf("%d key.isolate records", len(recs))
	}
	r, ok := Decode[IsolateResult](recs[0].Record)
	if !ok || r.Store != "/offline/keys" || r.Fingerprint != "aa" || r.Entry == nil || r.Entry.Name != "k.pem" {
		t.Fatalf("%+v %v", r, ok)
	}
	// A resume that failed part way re-enabled what it lists.
	if p := PausedBy(evs, "o/r"); len(p) != 0 {
		t.Fatalf("paused %+v after its resume", p)
	}
	// A pause that failed part way disabled what it lists: it is paused.
	partial := journal.Event{Kind: KindFailed, At: time.Unix(4, 0), Logged: time.Unix(4, 0), Data: []byte(`{"action":"gh.pause","error":"403","result":{"summary":"","data":{"repo":"o/r","paused":[{"id":9,"file":"sign-a.yml","prior_state":"active"}]}}}`)}
	if p := PausedBy(append(evs, partial), "o/r"); len(p) != 1 || p[0].ID != 9 {
		t.Fatalf("a partly failed pause is forgotten: %+v", p)
	}
}

// FuzzParseRecord: any event data, however shaped, is read without a
// panic, and every reader of typed results copes with what it decodes.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"action":"key.isolate","result":{"summary":"s","data":{"store":"/x","entry":{"name":"k"}}}}`))
	f.Add([]byte(`{"action":"gh.pause","result":{"data":{"repo":"o/r","paused":[{"id":1}]}}}`))
	f.Add([]byte(`{"action":"key.isolate","result":{"data":{"store":7}}}`))
	f.Add([]byte(`{"action":"wasm.scan","result":{"data":"x"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs := []journal.Event{{Kind: KindDone, Data: data}, {Kind: KindFailed, Data: data}}
		if r, ok := ParseRecord(evs[0]); ok {
			Decode[IsolateResult](r)
			Decode[PauseResult](r)
			Decode[ScanResult](r)
			Decode[GenerateResult](r)
			Decode[FileResult](r)
		}
		PausedBy(evs, "o/r")
		Done(evs, NameKeyIsolate)
	})
}
