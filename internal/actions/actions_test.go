package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// fake is an action whose every phase is observable.
type fake struct {
	destructive bool
	execErr     error
	checks      []Check
	executed    bool
}

func (f *fake) Plan(context.Context) (*Plan, error) {
	return &Plan{Action: "test.fake", Summary: "change one thing", Changes: []string{"change it"}, Destructive: f.destructive}, nil
}

func (f *fake) Execute(context.Context, func(Progress)) (*Result, error) {
	f.executed = true
	return &Result{Summary: "changed it", Events: []journal.Entry{{Kind: "note", Summary: "side event"}}}, f.execErr
}

func (f *fake) Verify(context.Context, *Result) (*Verification, error) {
	return &Verification{Checks: f.checks}, nil
}

func testIncident(t *testing.T) *incident.Incident {
	t.Helper()
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("INC-1")
	ws := &incident.Workspace{Home: filepath.Join(t.TempDir(), "h"), Now: func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }}
	inc, err := ws.Open(context.Background(), incident.OpenOptions{Playbook: p, Title: "t", Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func kinds(t *testing.T, inc *incident.Incident) []string {
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs[1:] { // skip incident.opened
		out = append(out, e.Kind+"@"+e.Step)
	}
	return out
}

func TestPipeline(t *testing.T) {
	ok := []Check{{What: "re-read", OK: true}}
	for _, tc := range []struct {
		name     string
		runner   Runner
		act      *fake
		wantErr  error
		executed bool
		recorded string
	}{
		{"dry run stops after the plan", Runner{DryRun: true, Yes: true}, &fake{checks: ok}, nil, false, ""},
		{"destructive without yes is refused", Runner{}, &fake{destructive: true, checks: ok}, ErrNotConfirmed, false, ""},
		{"destructive, declined", Runner{Confirm: func(*Plan) (bool, error) { return false, nil }}, &fake{destructive: true, checks: ok}, ErrNotConfirmed, false, ""},
		{"destructive, confirmed", Runner{Confirm: func(*Plan) (bool, error) { return true, nil }, Step: "isolate-key"}, &fake{destructive: true, checks: ok}, nil, true, "note@isolate-key action.done@isolate-key"},
		{"additive runs without asking", Runner{}, &fake{checks: ok}, nil, true, "note@ action.done@"},
		{"execution fails", Runner{Yes: true}, &fake{execErr: errors.New("disk full"), checks: ok}, errors.New("disk full"), true, "note@ action.failed@"},
		{"verification fails", Runner{Yes: true}, &fake{checks: []Check{{What: "re-read", OK: false, Detail: "differs"}}}, &VerifyError{}, true, "note@ action.failed@"},
		{"nothing verified is a failure", Runner{Yes: true}, &fake{}, &VerifyError{}, true, "note@ action.failed@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := testIncident(t)
			r := tc.runner
			r.Incident, r.Actor = inc, "alice"
			out, err := r.Run(context.Background(), tc.act)
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			case *VerifyError:
				var ve *VerifyError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a VerifyError", err)
				}
			default:
				if err == nil || (!errors.Is(err, want) && err.Error() != want.Error()) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			if tc.act.executed != tc.executed {
				t.Fatalf("executed = %v", tc.act.executed)
			}
			if out == nil || out.Plan == nil || out.Plan.Action != "test.fake" {
				t.Fatalf("outcome without a plan: %+v", out)
			}
			if got := strings.Join(kinds(t, inc), " "); got != tc.recorded {
				t.Fatalf("recorded %q, want %q", got, tc.recorded)
			}
		})
	}
}

func TestQuarantineActionEndToEnd(t *testing.T) {
	inc := testIncident(t)
	src := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(src, []byte("\x00asm"), 0o644)
	store := evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
	r := &Runner{Incident: inc, Actor: "alice", Yes: true, Step: "identify-scope"}
	out, err := r.Run(context.Background(), &Take{Store: store, Paths: []string{src}, Move: true, Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Verification.OK() || len(out.Verification.Checks) != 2 {
		t.Fatalf("verification: %+v", out.Verification)
	}
	if got := strings.Join(kinds(t, inc), " "); got != "evidence.added@identify-scope action.done@identify-scope" {
		t.Fatalf("recorded %q", got)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("original kept")
	}
}

// An action whose error quotes a path that is not UTF-8 used to be left
// unrecorded (the journal refused the summary and the data).
func TestUTF8DataKeepsTheRecordWritable(t *testing.T) {
	raw, _ := json.Marshal(utf8Data(map[string]any{"error": "open /x/\xe9: denied", "literal": `a\ufffd`}))
	var back map[string]string
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if back["error"] != "open /x/\ufffd: denied" || back["literal"] != `a\ufffd` {
		t.Fatalf("%q", back)
	}
	if s := oneLine("bad \xe9 byte\nnext"); !utf8.ValidString(s) || strings.Contains(s, "\n") {
		t.Fatalf("%q", s)
	}
}

// A quarantine of thousands of files used to be done but unrecorded: its
// action record (plan, entries, two checks per file) outgrew a journal line.
func TestFitRecordKeepsLargeActionsRecordable(t *testing.T) {
	p := &Plan{Action: "evidence.quarantine", Summary: "quarantine 5000 file(s)"}
	v := &Verification{}
	var entries []map[string]string
	for i := 0; i < 5000; i++ {
		p.Changes = append(p.Changes, fmt.Sprintf("move /src/mod-%04d.wasm (100 bytes) to /home/x/evidence/mod-%04d.wasm", i, i))
		v.Checks = append(v.Checks, Check{What: fmt.Sprintf("re-hash mod-%04d.wasm", i), OK: i != 77, Detail: strings.Repeat("ab", 32)})
		entries = append(entries, map[string]string{"name": fmt.Sprintf("mod-%04d.wasm", i), "sha256": strings.Repeat("cd", 32)})
	}
	data := map[string]any{"action": p.Action, "plan": p, "result": map[string]any{"summary": "quarantine: 5000 file(s)", "data": entries}, "verification": v}
	got := fitRecord(data)
	raw, _ := json.Marshal(got)
	if len(raw) > maxRecord {
		t.Fatalf("still %d bytes", len(raw))
	}
	fv := got["verification"].(*Verification)
	if fv.OK() || len(fv.Failed()) != 1 || fv.Failed()[0].What != "re-hash mod-0077.wasm" {
		t.Fatalf("the failed check was not kept: %+v", fv.Failed())
	}
	if small := map[string]any{"action": "x"}; len(fitRecord(small)) != 1 {
		t.Fatal("a small record was changed")
	}
}

// leaky is an action whose result carries a secret read from its input
// (an advisory's text, a requirements line): in an event and in its data.
type leaky struct{ fake }

func (l *leaky) Execute(context.Context, func(Progress)) (*Result, error) {
	tok := "ghp_" + strings.Repeat("Z9", 20)
	return &Result{Summary: "read it", Data: map[string]string{"line": "token " + tok},
		Events: []journal.Entry{incident.FactEntry("owner", "bob"), incident.FactEntry("description", "has "+tok)}}, nil
}

// A secret in what an action read never reaches the journal, and never
// leaves the action done but unrecorded: the event holding it is left
// out and named, the record is kept without its detail, and nothing is
// half-written (the clean event before it is still recorded once).
func TestRecordLeavesSecretsOutButRecordsTheAction(t *testing.T) {
	inc := testIncident(t)
	r := &Runner{Incident: inc, Actor: "alice", Yes: true}
	if _, err := r.Run(context.Background(), &leaky{fake{checks: []Check{{What: "ok", OK: true}}}}); err != nil {
		t.Fatal(err)
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(evs)
	if strings.Contains(string(raw), "Z9Z9Z9") {
		t.Fatal("the secret reached the journal")
	}
	got := strings.Join(kinds(t, inc), " ")
	if got != "fact.set@ action.done@" {
		t.Fatalf("recorded %s", got)
	}
	last := evs[len(evs)-1]
	if !strings.Contains(string(last.Data), "left_out") || !strings.Contains(string(last.Data), "a GitHub token") {
		t.Fatalf("the record does not name what was left out: %s", last.Data)
	}
}
