package incident

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var t0 = time.Date(2026, 11, 22, 3, 10, 0, 0, time.UTC)

func testClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t0.Add(time.Duration(n) * time.Second)
	}
}

func inc1(t *testing.T) *playbooks.Playbook {
	t.Helper()
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("INC-1")
	return p
}

func newWorkspace(t *testing.T) *Workspace {
	return &Workspace{Home: filepath.Join(t.TempDir(), "home"), Now: testClock()}
}

func TestOpenCreatesTheIncident(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{
		Playbook: inc1(t), Title: "Signing key leaked on GitHub!", Actor: "alice",
		Facts:         map[string]string{"key_path": "/keys/prod.sec", "key_id": "4BB9E28DF31C"},
		CompromisedAt: t0.Add(-5 * time.Hour), DetectedAt: t0.Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Header.ID != "2026-11-22-inc1-signing-key-leaked-on-github" {
		t.Fatalf("id %q", inc.Header.ID)
	}
	for _, sub := range append(Subdirs, "") {
		fi, err := os.Stat(filepath.Join(inc.Dir, sub))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", sub, err, fi.Mode())
		}
	}
	for _, f := range []string{HeaderFile, PlaybookFile} {
		if fi, _ := os.Stat(filepath.Join(inc.Dir, f)); fi.Mode().Perm() != 0o400 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	if st.Severity != severity.Critical || st.Facts["key_id"] != "4bb9e28df31c" || st.Facts["new_key_name"] != "new-signing-key" {
		t.Fatalf("state: %+v", st)
	}
	if m := st.Milestones[MilestoneDetected]; !m.At.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("detected: %+v", m)
	}
	if st.Events != 5 { // opened, 2 facts, 2 milestones
		t.Fatalf("%d events", st.Events)
	}
	// A second incident with the same title gets a new id.
	inc2, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "Signing key leaked on GitHub!", Actor: "bob", Drill: true})
	if err != nil || inc2.Header.ID != inc.Header.ID+"-2" || !inc2.Header.Drill {
		t.Fatalf("second: %v %+v", err, inc2.Header)
	}
	ids, _ := w.IDs()
	if len(ids) != 2 {
		t.Fatalf("ids %v", ids)
	}
	if _, err := w.Load("2026-11-22-inc1-signing"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if got, err := w.Load(inc.Header.ID); err != nil || got.Header.Title != "Signing key leaked on GitHub!" {
		t.Fatalf("load: %v", err)
	}
	var nf *NotFoundError
	if _, err := w.Load("../etc"); !errors.As(err, &nf) {
		t.Fatalf("path-like id: %v", err)
	}
}

func TestOpenRefusesBadInputAndLeavesNothing(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    OpenOptions
		want string
	}{
		{"empty title", OpenOptions{Title: " ", Actor: "a"}, "title is empty"},
		{"two-line title", OpenOptions{Title: "a\nb", Actor: "a"}, "one line"},
		{"bad actor", OpenOptions{Title: "x", Actor: "a b"}, "actor"},
		{"unknown fact", OpenOptions{Title: "x", Actor: "a", Facts: map[string]string{"colour": "red"}}, "INC-1 has no input \"colour\""},
		{"bad hex", OpenOptions{Title: "x", Actor: "a", Facts: map[string]string{"key_id": "xyz"}}, "not hex"},
		{"secret fact", OpenOptions{Title: "x", Actor: "a", Facts: map[string]string{"key_path": "-----BEGIN PRIVATE KEY-----"}}, "secrets never go"},
		{"future detection", OpenOptions{Title: "x", Actor: "a", DetectedAt: t0.Add(time.Hour)}, "in the future"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t)
			tc.o.Playbook = inc1(t)
			_, err := w.Open(ctx, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if ids, _ := w.IDs(); len(ids) != 0 {
				t.Fatalf("left %v behind", ids)
			}
		})
	}
}

func TestStepsSeverityNotesMilestones(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "leak", Actor: "alice", Severity: severity.High})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = inc.Step(ctx, "alice", "isolate-key", "start", "", time.Time{})
	must(err)
	_, to, err := inc.Step(ctx, "bob", "1.1", "done", "", t0.Add(-time.Minute))
	must(err)
	if to != playbooks.Done {
		t.Fatalf("to %s", to)
	}
	if _, _, err := inc.Step(ctx, "alice", "isolate-key", "done", "", time.Time{}); err == nil || !strings.Contains(err.Error(), "is done") {
		t.Fatalf("done twice: %v", err)
	}
	if _, _, err := inc.Step(ctx, "alice", "notify-stakeholders", "skip", "", time.Time{}); err == nil || !strings.Contains(err.Error(), "reason is required") {
		t.Fatalf("skip without reason: %v", err)
	}
	var us *UnknownStepError
	if _, _, err := inc.Step(ctx, "alice", "nope", "start", "", time.Time{}); !errors.As(err, &us) {
		t.Fatalf("unknown step: %v", err)
	}
	_, _, err = inc.Step(ctx, "alice", "isolate-key", "reopen", "key copy found on a backup", time.Time{})
	must(err)
	must(inc.SetSeverity(ctx, "alice", severity.Critical, "key confirmed on a public repo", time.Time{}))
	if err := inc.SetSeverity(ctx, "alice", severity.Critical, "again", time.Time{}); err == nil {
		t.Fatal("same severity accepted")
	}
	if err := inc.SetSeverity(ctx, "alice", severity.Low, "", time.Time{}); err == nil {
		t.Fatal("severity without reason accepted")
	}
	must(inc.Note(ctx, "bob", "line one\nline two", "identify-scope", time.Time{}))
	if err := inc.Note(ctx, "bob", "ghp_"+strings.Repeat("x", 36), "", time.Time{}); err == nil {
		t.Fatal("token in a note accepted")
	}
	if err := inc.Note(ctx, "bob", "bad \xff byte", "", time.Time{}); err == nil || !strings.Contains(err.Error(), `the note "bad \xff byte" is not UTF-8 text`) {
		t.Fatalf("a note that is not UTF-8: %v", err)
	}
	must(inc.SetMilestone(ctx, "alice", "Detected", t0.Add(-2*time.Hour)))
	must(inc.SetMilestone(ctx, "alice", "contained", time.Time{}))
	if err := inc.SetMilestone(ctx, "alice", "fixed", time.Time{}); err == nil {
		t.Fatal("unknown milestone accepted")
	}

	st, err := inc.State()
	must(err)
	ss := st.Steps["isolate-key"]
	if ss.State != playbooks.Pending || len(ss.History) != 3 || ss.History[1].Actor != "bob" || ss.Reason != "key copy found on a backup" {
		t.Fatalf("isolate-key: %+v", ss)
	}
	if st.Severity != severity.Critical || len(st.SeverityHistory) != 2 || st.SeverityHistory[1].From != severity.High {
		t.Fatalf("severity: %+v", st.SeverityHistory)
	}
	if !st.ResponseDeadline().Equal(st.Header.Created) {
		t.Fatalf("critical deadline %v", st.ResponseDeadline())
	}
	ms := st.Metrics()
	if !ms[1].Known || ms[1].Name != MetricContain || ms[0].Known {
		t.Fatalf("metrics %+v", ms)
	}
	if strings.Join(st.Actors, ",") != "alice,bob" {
		t.Fatalf("actors %v", st.Actors)
	}
	// Closing.
	must(inc.Close(ctx, "alice", "recovered", time.Time{}))
	if err := inc.Close(ctx, "alice", "", time.Time{}); err == nil {
		t.Fatal("closed twice")
	}
}

func TestMetrics(t *testing.T) {
	h := Header{Created: t0, Severity: severity.Critical}
	ms := func(m map[string]time.Duration) *State {
		st := &State{Header: h, Milestones: map[string]Milestone{}}
		for k, d := range m {
			st.Milestones[k] = Milestone{At: t0.Add(d)}
		}
		return st
	}
	st := ms(map[string]time.Duration{
		MilestoneCompromised: -30 * time.Hour, MilestoneDetected: 0, MilestoneContained: 3 * time.Hour,
		MilestoneRecovered: 48 * time.Hour, MilestoneReviewed: 48*time.Hour + 7*24*time.Hour,
	})
	got := st.Metrics()
	want := []struct {
		v   time.Duration
		met bool
	}{{30 * time.Hour, false}, {3 * time.Hour, true}, {48 * time.Hour, false}, {7 * 24 * time.Hour, true}}
	for i, w := range want {
		if !got[i].Known || got[i].Value != w.v || got[i].Met != w.met || got[i].Definition == "" {
			t.Errorf("%s: %+v, want %v met=%v", got[i].Name, got[i], w.v, w.met)
		}
	}
	partial := ms(map[string]time.Duration{MilestoneDetected: 0}).Metrics()
	if partial[1].Known || !partial[1].Due.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("contain due: %+v", partial[1])
	}

	drill := ms(map[string]time.Duration{MilestoneDetected: 0, MilestoneContained: time.Hour})
	drill.Header.Drill = true
	aggs, counted, drills := AggregateMetrics([]*State{st, drill, ms(map[string]time.Duration{MilestoneDetected: 0, MilestoneContained: 5 * time.Hour})})
	if counted != 2 || drills != 1 || aggs[1].Measured != 2 || aggs[1].Met != 1 || aggs[1].Median != 4*time.Hour || aggs[1].Max != 5*time.Hour {
		t.Fatalf("aggregate: counted %d drills %d %+v", counted, drills, aggs[1])
	}
}

func TestParseTime(t *testing.T) {
	now := t0
	for in, want := range map[string]time.Time{
		"2026-11-22T01:00:00Z":      time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC),
		"2026-11-22T02:00:00+01:00": time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC),
		"2026-11-22 01:00":          time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC),
		"2026-11-22 01:00:30":       time.Date(2026, 11, 22, 1, 0, 30, 0, time.UTC),
		"-90m":                      now.Add(-90 * time.Minute),
		"-2h":                       now.Add(-2 * time.Hour),
		"-1d":                       now.Add(-24 * time.Hour),
		"now":                       now,
		"2026-11-22 03:14":          time.Date(2026, 11, 22, 3, 14, 0, 0, time.UTC), // within clock skew
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "03:10", "-", "-x", "-0m", "2026-13-01 00:00", "2026-11-23 00:00", "+1h"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSlugAndSpan(t *testing.T) {
	for in, want := range map[string]string{
		"Signing key leaked on GitHub!": "signing-key-leaked-on-github",
		"  ":                            "incident",
		"Ünïcode & <tags>":              "n-code-tags",
		"a very long title that goes on and on and on forever": "a-very-long-title-that-goes-on-and-on",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 45 * time.Minute: "45m", 3*time.Hour + 5*time.Minute: "3h05m", 50 * time.Hour: "2d2h", -time.Hour: "-1h00m"} {
		if got := FormatSpan(d); got != want {
			t.Errorf("FormatSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseTime: never panics; a time it accepts is UTC and not in the
// future beyond the allowed skew.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-22T01:00:00Z", "2026-11-22 01:00", "-90m", "-1d", "now", "-1h30m", "2026-02-30 00:00", "-9999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, t0)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.After(t0.Add(MaxFuture)) {
			t.Fatalf("%q -> %v", s, got)
		}
	})
}

func FuzzParseDue(f *testing.F) {
	for _, s := range []string{"+7d", "+48h", "2026-12-01", "2026-12-01 17:00", "2026-12-01T17:00:00Z", "-1d", "now", "+0d", "+9999999999d", "2026-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDue(s, t0)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.IsZero() {
			t.Fatalf("%q -> %v", s, got)
		}
		if strings.HasPrefix(strings.TrimSpace(s), "+") && !got.After(t0) {
			t.Fatalf("%q is not ahead: %v", s, got)
		}
	})
}

func TestPlaybookSnapshotsAreParsedOncePerContent(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	facts := map[string]string{"key_path": "/keys/prod.sec"}
	a, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "first", Actor: "alice", Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "second", Actor: "alice", Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	la, _ := w.Load(a.Header.ID)
	lb, _ := w.Load(b.Header.ID)
	if la.Playbook == lb.Playbook {
		t.Fatal("two incidents share one *Playbook value")
	}
	if la.Playbook.File == lb.Playbook.File || !strings.HasPrefix(lb.Playbook.File, b.Dir) {
		t.Fatalf("cached playbook names the wrong file: %s, %s", la.Playbook.File, lb.Playbook.File)
	}
	if &la.Playbook.Phases[0] != &lb.Playbook.Phases[0] {
		t.Fatal("the same snapshot was parsed twice")
	}
	if len(w.parsed) != 1 {
		t.Fatalf("%d cache entries for one playbook", len(w.parsed))
	}
}

func TestEditedPlaybookSnapshotIsRefusedEvenWhenCached(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "first", Actor: "alice", Facts: map[string]string{"key_path": "/k"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(inc.Header.ID); err != nil { // now cached
		t.Fatal(err)
	}
	path := filepath.Join(inc.Dir, PlaybookFile)
	b, _ := os.ReadFile(path)
	os.Chmod(path, 0o600)
	edited := strings.Replace(string(b), "Isolate the key", "Ignore the key", 1)
	if edited == string(b) {
		t.Fatal("test edit did not apply")
	}
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = w.Load(inc.Header.ID)
	if err == nil || !strings.Contains(err.Error(), "playbook snapshot was changed") {
		t.Fatalf("edited snapshot: %v", err)
	}
}

func TestCheckTitle(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"Prod key leaked", ""},
		{"  padded  ", ""},
		{"", "the title is empty"},
		{"   ", "the title is empty"},
		{"two\nlines", "one line"},
		{"cr\rhere", "one line"},
		{"bad \xff byte", `the title "bad \xff byte" is not UTF-8 text`},
		{"esc \x1b[31m red", ""},
		{strings.Repeat("x", 200), ""},
		{strings.Repeat("x", 201), "201 characters"},
		{strings.Repeat("é", 200), ""},
		{strings.Repeat("é", 201), "201 characters"},
	} {
		err := CheckTitle(tc.title)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckTitle(%q) = %v, want %q", tc.title, err, tc.want)
		}
	}
}

// TestStreamedStateIsDerivedState: the state State streams from the
// journal is the state Derive computes from every event in memory, with
// two responders racing on steps, back-dated milestones and severities,
// facts overwritten, and notes in between.
func TestStreamedStateIsDerivedState(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "race", Actor: "alice", Facts: map[string]string{"key_path": "/k"}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, actor := range []string{"alice", "bob", "carol", "bob", "alice"} {
		at := time.Time{}
		if i%2 == 1 {
			at = t0.Add(-time.Duration(i) * time.Minute) // back-dated
		}
		_, _, err := inc.Step(ctx, actor, "1.1", "start", "", at)
		if err != nil && i == 0 {
			t.Fatal(err)
		}
		inc.Step(ctx, actor, "1.1", "done", "by "+actor, at)
		must(inc.Note(ctx, actor, "note "+actor, "", at))
		must(inc.SetFact(ctx, actor, "key_id", fmt.Sprintf("%X", 0xABC0+i), at))
	}
	must(inc.SetSeverity(ctx, "bob", severity.Medium, "better", t0.Add(-30*time.Minute)))
	must(inc.SetMilestone(ctx, "carol", MilestoneDetected, t0.Add(-20*time.Minute)))
	st, err := inc.State()
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	want := Derive(inc.Header, inc.Playbook, evs)
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("streamed state differs from the derived one:\n got %+v\nwant %+v", st, want)
	}
	if st.Steps["isolate-key"].State == playbooks.Pending || st.Facts["key_id"] != "abc4" || len(st.Actors) != 3 || st.Events != len(evs) {
		t.Fatalf("state: %+v", st)
	}
}

// TestClosedIncidentRefusesStepChanges: once closed, steps no longer
// change (the error says how to reopen); notes still go in; reopening
// needs a reason and makes steps change again.
func TestClosedIncidentRefusesStepChanges(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "closed", Actor: "alice", Facts: map[string]string{"key_path": "/k"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := inc.Reopen(ctx, "alice", "x", time.Time{}); err == nil {
		t.Fatal("an open incident was reopened")
	}
	if err := inc.Close(ctx, "alice", "done", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, _, err = inc.Step(ctx, "bob", "1.1", "start", "", time.Time{})
	var ce *ClosedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "firebreak incident reopen "+inc.Header.ID+" --reason") {
		t.Fatalf("step in a closed incident: %v", err)
	}
	if err := inc.Note(ctx, "bob", "review note", "", time.Time{}); err != nil {
		t.Fatalf("a note after closing: %v", err)
	}
	if err := inc.Reopen(ctx, "bob", "  ", time.Time{}); err == nil {
		t.Fatal("reopened without a reason")
	}
	if err := inc.Reopen(ctx, "bob", "a second key leaked", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ := inc.State()
	if st.Closed || !st.ClosedAt.IsZero() {
		t.Fatalf("still closed after reopening: %+v", st)
	}
	if _, _, err := inc.Step(ctx, "bob", "1.1", "start", "", time.Time{}); err != nil {
		t.Fatalf("step after reopening: %v", err)
	}
}

// TestPathFactsAreRecordedWhereTheyPoint: ~/ expands in path, file and dir
// facts (a form typed into the console never passes a shell), and a file
// or directory given relative is recorded absolute, not relative to
// wherever the console happened to start.
func TestPathFactsAreRecordedWhereTheyPoint(t *testing.T) {
	t.Setenv("HOME", "/home/responder")
	wd, _ := os.Getwd()
	p := &playbooks.Playbook{ID: "T", Inputs: []playbooks.Input{
		{Name: "f", Type: playbooks.TypeFile}, {Name: "d", Type: playbooks.TypeDir}, {Name: "p", Type: playbooks.TypePath}, {Name: "s", Type: playbooks.TypeString},
	}}
	for _, tc := range []struct{ name, in, want string }{
		{"f", "~/.wsc/keys/a.sec", "/home/responder/.wsc/keys/a.sec"},
		{"f", "rel/a.sec", filepath.Join(wd, "rel/a.sec")},
		{"d", "~", "/home/responder"},
		{"p", "~/x", "/home/responder/x"},
		{"p", "new-key", "new-key"}, // a path prefix stays a name: key.generate puts it in newkeys/
		{"s", "~/x", "~/x"},
	} {
		got, err := CheckFacts(p, map[string]string{tc.name: tc.in}, t0)
		if err != nil || got[tc.name] != tc.want {
			t.Errorf("%s=%q: got %q, %v; want %q", tc.name, tc.in, got[tc.name], err, tc.want)
		}
	}
}

// TestFileFactRefusesADirectory: a file fact naming a directory (or a dir
// fact naming a file) is refused when given, not when a step fails on it.
func TestFileFactRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o600)
	p := &playbooks.Playbook{ID: "T", Inputs: []playbooks.Input{{Name: "f", Type: playbooks.TypeFile}, {Name: "d", Type: playbooks.TypeDir}}}
	if _, err := CheckFacts(p, map[string]string{"f": dir}, t0); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("file fact = a directory: %v", err)
	}
	if _, err := CheckFacts(p, map[string]string{"d": file}, t0); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("dir fact = a file: %v", err)
	}
	if _, err := CheckFacts(p, map[string]string{"f": file, "d": dir}, t0); err != nil {
		t.Errorf("the right kinds: %v", err)
	}
}

// TestOpenRefusesAFactThatIsNotText: a fact that is not UTF-8 (a file
// name with invalid bytes) is refused before anything is written; it used
// to open the incident, then fail on the fact, leaving it half made.
func TestOpenRefusesAFactThatIsNotText(t *testing.T) {
	w := newWorkspace(t)
	_, err := w.Open(context.Background(), OpenOptions{Playbook: inc1(t), Title: "bad bytes", Actor: "alice", Facts: map[string]string{"key_path": "/k\xff\x1b[31m.sec"}})
	if err == nil || !strings.Contains(err.Error(), "not UTF-8 text") || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("err %q", err)
	}
	if ids, _ := w.IDs(); len(ids) != 0 {
		t.Fatalf("an incident was left: %v", ids)
	}
}
