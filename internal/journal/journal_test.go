package journal

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 3, 10, 0, 0, time.UTC)

// clock returns a deterministic clock advancing one second per call.
func clock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t0.Add(time.Duration(n) * time.Second)
	}
}

func newJournal(t testing.TB) *Journal {
	t.Helper()
	j := New(filepath.Join(t.TempDir(), "journal"))
	j.Now = clock()
	return j
}

func mustAppend(t testing.TB, j *Journal, actor, kind, summary string, data any) Event {
	t.Helper()
	e, err := j.Append(context.Background(), Entry{Actor: actor, Kind: kind, Summary: summary, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAppendFormat(t *testing.T) {
	j := newJournal(t)
	e1 := mustAppend(t, j, "alice", "incident.opened", "opened <INC-1> & co", map[string]any{"b": 1, "a": map[string]any{"z": true, "y": "x"}})
	at := t0.Add(-time.Hour)
	e2, err := j.Append(context.Background(), Entry{At: at, Actor: "alice", Kind: "note", Step: "isolate-key", Summary: "key exposed"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(j.Path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %d", len(lines))
	}
	want1 := `{"seq":1,"id":"` + e1.ID + `","prev":"","logged":"2026-11-22T03:10:01.000000000Z","at":"2026-11-22T03:10:01.000000000Z","actor":"alice","kind":"incident.opened","summary":"opened <INC-1> & co","data":{"a":{"y":"x","z":true},"b":1}}`
	if lines[0] != want1 {
		t.Errorf("line 1:\n got %s\nwant %s", lines[0], want1)
	}
	// The id is the SHA-256 of the line without the id member.
	canon := strings.Replace(lines[0], `"id":"`+e1.ID+`",`, "", 1)
	sum := sha256.Sum256([]byte(canon))
	if hex.EncodeToString(sum[:]) != e1.ID {
		t.Errorf("id %s is not sha256 of %s", e1.ID, canon)
	}
	if e2.Seq != 2 || e2.Prev != e1.ID || !e2.At.Equal(at) || e2.Step != "isolate-key" {
		t.Errorf("second event: %+v", e2)
	}
	if !strings.Contains(lines[1], `"step":"isolate-key"`) || !strings.Contains(lines[1], `"data":{}`) {
		t.Errorf("line 2: %s", lines[1])
	}
	fi, _ := os.Stat(j.Path("alice"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestAppendRejects(t *testing.T) {
	j := newJournal(t)
	for _, tc := range []struct {
		name string
		in   Entry
		want string
	}{
		{"bad actor", Entry{Actor: "../x", Kind: "note"}, "actor"},
		{"empty actor", Entry{Actor: "", Kind: "note"}, "actor"},
		{"bad kind", Entry{Actor: "a", Kind: "Note!"}, "kind"},
		{"multi-line summary", Entry{Actor: "a", Kind: "note", Summary: "a\nb"}, "one line"},
		{"data not object", Entry{Actor: "a", Kind: "note", Data: []int{1}}, "not a JSON object"},
		{"too long", Entry{Actor: "a", Kind: "note", Summary: strings.Repeat("x", MaxLine)}, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Append(context.Background(), tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if actors, _ := j.Actors(); len(actors) > 0 {
		if b, _ := os.ReadFile(j.Path("a")); len(b) > 0 {
			t.Fatalf("a rejected append wrote %q", b)
		}
	}
}

// write3 builds a three-event file and returns its lines.
func write3(t *testing.T, j *Journal) []string {
	t.Helper()
	for i := 1; i <= 3; i++ {
		mustAppend(t, j, "alice", "note", fmt.Sprintf("note %d", i), map[string]any{"n": i})
	}
	b, _ := os.ReadFile(j.Path("alice"))
	return strings.SplitAfter(string(b), "\n")[:3]
}

func TestVerifyNamesTheFirstBadEvent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(lines []string) string
		kind   string
		seq    int64
		detail string
	}{
		{"intact", func(l []string) string { return strings.Join(l, "") }, "", 0, ""},
		{"edited summary", func(l []string) string {
			return l[0] + strings.Replace(l[1], "note 2", "note X", 1) + l[2]
		}, ProblemContentHash, 2, "hashes to"},
		{"edited data", func(l []string) string {
			return l[0] + l[1] + strings.Replace(l[2], `"n":3`, `"n":4`, 1)
		}, ProblemContentHash, 3, ""},
		{"whitespace added", func(l []string) string {
			return l[0] + strings.Replace(l[1], `"seq":2,`, `"seq": 2,`, 1) + l[2]
		}, ProblemNonCanonical, 2, ""},
		{"deleted line", func(l []string) string { return l[0] + l[2] }, ProblemSeqGap, 3, "seq 2 is missing"},
		{"deleted first line", func(l []string) string { return l[1] + l[2] }, ProblemSeqGap, 2, "seq 1 is missing"},
		{"swapped lines", func(l []string) string { return l[0] + l[2] + l[1] }, ProblemReordered, 3, "seq 3 comes before seq 2"},
		{"duplicated line", func(l []string) string { return l[0] + l[1] + l[1] + l[2] }, ProblemReordered, 2, "seq 2 comes after seq 2"},
		{"garbage line", func(l []string) string { return l[0] + "hello\n" + l[2] }, ProblemParse, 0, "not a journal event"},
		{"unknown field", func(l []string) string {
			return l[0] + strings.Replace(l[1], `{"seq"`, `{"x":1,"seq"`, 1) + l[2]
		}, ProblemParse, 0, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJournal(t)
			lines := write3(t, j)
			if err := os.WriteFile(j.Path("alice"), []byte(tc.mutate(lines)), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := j.Verify(context.Background(), VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == "" {
				if !rep.Intact() || rep.Events != 3 || rep.Files[0].HeadSeq != 3 {
					t.Fatalf("want intact with 3 events, got %+v", rep)
				}
				return
			}
			if len(rep.Problems) != 1 {
				t.Fatalf("want one problem, got %+v", rep.Problems)
			}
			p := rep.Problems[0]
			if p.Kind != tc.kind || p.Seq != tc.seq || p.File != "alice.jsonl" || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("problem = %v; want kind %q seq %d detail ~%q", p, tc.kind, tc.seq, tc.detail)
			}
			if rep.Intact() {
				t.Fatal("Intact() is true with a problem")
			}
		})
	}
}

func TestVerifyForgedChainBreaksLink(t *testing.T) {
	// Rewrite event 2 with a valid id of its own: the link from 3 breaks.
	j := newJournal(t)
	lines := write3(t, j)
	e, err := ParseLine([]byte(strings.TrimSuffix(lines[1], "\n")))
	if err != nil {
		t.Fatal(err)
	}
	e.Summary = "forged"
	forged, err := encodeLine(&e)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(j.Path("alice"), []byte(lines[0]+string(forged)+lines[2]), 0o600)
	rep, _ := j.Verify(context.Background(), VerifyOptions{})
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemBrokenLink || rep.Problems[0].Seq != 3 {
		t.Fatalf("got %+v", rep.Problems)
	}
}

func TestVerifyWrongActorFile(t *testing.T) {
	j := newJournal(t)
	mustAppend(t, j, "alice", "note", "x", nil)
	os.Rename(j.Path("alice"), j.Path("bob"))
	rep, _ := j.Verify(context.Background(), VerifyOptions{})
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemActor {
		t.Fatalf("got %+v", rep.Problems)
	}
}

func TestTornTailDetectRefuseRepair(t *testing.T) {
	j := newJournal(t)
	lines := write3(t, j)
	torn := lines[2][:40]
	os.WriteFile(j.Path("alice"), []byte(lines[0]+lines[1]+torn), 0o600)
	off := int64(len(lines[0]) + len(lines[1]))

	rep, err := j.Verify(context.Background(), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Files[0].Torn == nil || rep.Files[0].Torn.Offset != off || rep.Intact() {
		t.Fatalf("want a torn tail at %d and no chain problem, got %+v", off, rep.Files[0])
	}
	_, err = j.Append(context.Background(), Entry{Actor: "alice", Kind: "note"})
	var te *TornError
	if !errors.As(err, &te) || te.Offset != off || !errors.Is(err, ErrTorn) {
		t.Fatalf("append after a torn tail: err = %v", err)
	}
	evs, tornList, err := j.Timeline()
	if err != nil || len(evs) != 2 || len(tornList) != 1 {
		t.Fatalf("timeline: %d events, torn %v, err %v", len(evs), tornList, err)
	}

	rs, err := j.Repair(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("repair: %v %+v", err, rs)
	}
	r := rs[0]
	set, _ := os.ReadFile(filepath.Join(j.Dir(), r.TornFile))
	if string(set) != torn || r.Offset != off || r.Len != int64(len(torn)) || r.TornFile != "alice.jsonl.torn" {
		t.Fatalf("set aside %q as %+v", set, r)
	}
	rep, _ = j.Verify(context.Background(), VerifyOptions{})
	if !rep.Intact() || rep.Events != 2 {
		t.Fatalf("after repair: %+v", rep)
	}
	// Appending works again and chains to seq 2; a second torn tail gets a
	// new name.
	e := mustAppend(t, j, "alice", "note", "after repair", nil)
	if e.Seq != 3 {
		t.Fatalf("seq after repair = %d", e.Seq)
	}
	f, _ := os.OpenFile(j.Path("alice"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(`{"seq":4`))
	f.Close()
	rs, _ = j.Repair(context.Background())
	if len(rs) != 1 || rs[0].TornFile != "alice.jsonl.torn.2" {
		t.Fatalf("second repair: %+v", rs)
	}
	if rs, _ := j.Repair(context.Background()); len(rs) != 0 {
		t.Fatalf("repair of an intact journal changed %+v", rs)
	}
}

func TestTornWholeFile(t *testing.T) {
	j := newJournal(t)
	os.MkdirAll(j.Dir(), 0o700)
	os.WriteFile(j.Path("bob"), []byte(`{"seq":1,"id"`), 0o600)
	rep, _ := j.Verify(context.Background(), VerifyOptions{})
	if rep.Files[0].Torn == nil || rep.Files[0].Torn.Offset != 0 {
		t.Fatalf("%+v", rep.Files[0])
	}
	rs, err := j.Repair(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Offset != 0 {
		t.Fatalf("%v %+v", err, rs)
	}
	if e := mustAppend(t, j, "bob", "note", "x", nil); e.Seq != 1 {
		t.Fatalf("seq %d", e.Seq)
	}
}

func TestTimelineMergesByAtThenLogged(t *testing.T) {
	j := newJournal(t)
	ctx := context.Background()
	mustAppend(t, j, "alice", "note", "a1", nil)                                                      // logged t+1
	j.Append(ctx, Entry{Actor: "bob", Kind: "note", Summary: "b1 backdated", At: t0.Add(-time.Hour)}) // logged t+2
	mustAppend(t, j, "bob", "note", "b2", nil)                                                        // t+3
	j.Append(ctx, Entry{Actor: "alice", Kind: "note", Summary: "a2 same at as b2", At: t0.Add(3 * time.Second)})
	evs, _, err := j.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Summary)
	}
	want := []string{"b1 backdated", "a1", "b2", "a2 same at as b2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestConcurrentAppendersNeverFork(t *testing.T) {
	j := New(filepath.Join(t.TempDir(), "journal"))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// A Journal value per goroutine, as separate processes would have.
			jj := New(j.Dir())
			for i := 0; i < each; i++ {
				if _, err := jj.Append(context.Background(), Entry{Actor: "shared", Kind: "note", Summary: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, err := j.Verify(context.Background(), VerifyOptions{})
	if err != nil || !rep.Intact() || rep.Events != workers*each {
		t.Fatalf("err %v, report %+v", err, rep)
	}
}

func TestSealAndVerify(t *testing.T) {
	ctx := context.Background()
	j := newJournal(t)
	_, key, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	pub := key.Public().(ed25519.PublicKey)
	_, other, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))

	if _, err := j.Seal(ctx, "alice", "INC", key); err == nil {
		t.Fatal("sealed an empty journal")
	}
	mustAppend(t, j, "alice", "note", "a1", nil)
	mustAppend(t, j, "bob", "note", "b1", nil)
	cp, err := j.Seal(ctx, "alice", "INC", key)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Kind != KindCheckpoint || cp.Seq != 2 || bytes.Contains(cp.Data, key) {
		t.Fatalf("checkpoint %+v", cp)
	}
	mustAppend(t, j, "bob", "note", "b2 unsealed", nil)

	rep, err := j.Verify(ctx, VerifyOptions{PublicKey: pub, Scope: "INC"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact() || rep.Seals.Checked != 1 || rep.Seals.Unsealed != 1 {
		t.Fatalf("seals %+v, problems %v", rep.Seals, rep.Problems)
	}
	// The wrong key, the wrong scope.
	rep, _ = j.Verify(ctx, VerifyOptions{PublicKey: other.Public().(ed25519.PublicKey)})
	if rep.Intact() || len(rep.Seals.Failures) != 1 || !strings.Contains(rep.Seals.Failures[0].Detail, "not by the given key") {
		t.Fatalf("other key: %+v", rep.Seals)
	}
	rep, _ = j.Verify(ctx, VerifyOptions{PublicKey: pub, Scope: "OTHER"})
	if rep.Intact() {
		t.Fatal("wrong scope passed")
	}

	// A seal copied to the end of another file (an attacker without the
	// key replaying it to cover their own events) does not verify there.
	{
		j4 := newJournal(t)
		mustAppend(t, j4, "alice", "note", "a1", nil)
		cp4, err := j4.Seal(ctx, "alice", "INC", key)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j4, "mallory", "note", "forged", nil)
		if _, err := j4.Append(ctx, Entry{Actor: "mallory", Kind: KindCheckpoint, Summary: "checkpoint", Data: cp4.Data}); err != nil {
			t.Fatal(err)
		}
		rep, _ := j4.Verify(ctx, VerifyOptions{PublicKey: pub, Scope: "INC"})
		if rep.Intact() {
			t.Fatal("a seal replayed at the end of another file verified")
		}
		rep, _ = j4.Verify(ctx, VerifyOptions{Seals: true, Keys: []ed25519.PublicKey{pub}})
		if rep.Intact() && len(rep.Problems) == 0 {
			t.Fatalf("replayed seal accepted with Seals: %+v", rep.Seals)
		}
	}

	// A seal signs its own event: its summary or time changed (and the
	// chain recomputed), it no longer verifies.
	for _, change := range []func(e *Event){
		func(e *Event) { e.Summary = "approved remove-secret: custody checked" },
		func(e *Event) { e.At = e.At.Add(-time.Hour) },
		func(e *Event) { e.Step = "remove-secret" },
	} {
		j5 := newJournal(t)
		mustAppend(t, j5, "alice", "note", "a1", nil)
		if _, err := j5.Seal(ctx, "alice", "INC", key); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(j5.Path("alice"))
		ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		e, _ := ParseLine([]byte(ls[1]))
		change(&e)
		line, _ := encodeLine(&e)
		os.WriteFile(j5.Path("alice"), append([]byte(ls[0]+"\n"), line...), 0o600)
		if rep, _ := j5.Verify(ctx, VerifyOptions{PublicKey: pub, Scope: "INC"}); rep.Intact() {
			t.Fatal("a changed seal event verified")
		}
	}

	// Every seal, keys or not (sync): a seal by a key not given has its
	// heads checked and is counted; one by a given key is verified.
	rep, _ = j.Verify(ctx, VerifyOptions{Seals: true, Scope: "INC"})
	if rep.Seals.Checked != 1 || rep.Seals.UnknownKey != 1 || len(rep.Seals.Failures) != 0 {
		t.Fatalf("seals without a key: %+v", rep.Seals)
	}
	rep, _ = j.Verify(ctx, VerifyOptions{Seals: true, Keys: []ed25519.PublicKey{other.Public().(ed25519.PublicKey), pub}})
	if rep.Seals.Checked != 1 || rep.Seals.UnknownKey != 0 || len(rep.Seals.Failures) != 0 {
		t.Fatalf("seals with keys: %+v", rep.Seals)
	}

	// Rewrite bob's whole chain consistently: chains verify, the seal does not.
	b, _ := os.ReadFile(j.Path("bob"))
	var rewritten []byte
	prev := ""
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		e, _ := ParseLine([]byte(l))
		e.Prev = prev
		if i == 0 {
			e.Summary = "b1 rewritten"
		}
		line, _ := encodeLine(&e)
		prev = e.ID
		rewritten = append(rewritten, line...)
	}
	os.WriteFile(j.Path("bob"), rewritten, 0o600)
	rep, _ = j.Verify(ctx, VerifyOptions{})
	if !rep.Intact() {
		t.Fatalf("rewritten chain should be self-consistent: %v", rep.Problems)
	}
	rep, _ = j.Verify(ctx, VerifyOptions{PublicKey: pub})
	if rep.Intact() || len(rep.Seals.Failures) != 1 || !strings.Contains(rep.Seals.Failures[0].Detail, "rewritten") {
		t.Fatalf("rewrite not caught: %+v", rep.Seals)
	}
	// Without the key, the heads still catch it.
	rep, _ = j.Verify(ctx, VerifyOptions{Seals: true})
	if len(rep.Seals.Failures) != 1 || !strings.Contains(rep.Seals.Failures[0].Detail, "rewritten") {
		t.Fatalf("rewrite not caught without the key: %+v", rep.Seals)
	}
	// A forged signature.
	j2 := newJournal(t)
	mustAppend(t, j2, "alice", "note", "a1", nil)
	j2.Seal(ctx, "alice", "INC", key)
	b, _ = os.ReadFile(j2.Path("alice"))
	ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	e, _ := ParseLine([]byte(ls[1]))
	e.Data = bytes.Replace(e.Data, []byte(`"scope":"INC"`), []byte(`"scope":"INX"`), 1)
	line, _ := encodeLine(&e)
	os.WriteFile(j2.Path("alice"), append([]byte(ls[0]+"\n"), line...), 0o600)
	rep, _ = j2.Verify(ctx, VerifyOptions{PublicKey: pub})
	if rep.Intact() || !strings.Contains(rep.Seals.Failures[0].Detail, "does not verify") {
		t.Fatalf("forged seal: %+v", rep.Seals)
	}
	// No seals at all is not a pass when seals were asked for.
	j3 := newJournal(t)
	mustAppend(t, j3, "alice", "note", "a1", nil)
	rep, _ = j3.Verify(ctx, VerifyOptions{PublicKey: pub})
	if rep.Intact() || rep.Seals.Checked != 0 {
		t.Fatalf("no seals: %+v", rep.Seals)
	}
}

func TestSealMessageIsStable(t *testing.T) {
	got := string(SealMessage("2026-11-22-inc1", map[string]Head{"bob": {2, strings.Repeat("b", 64)}, "alice": {1, strings.Repeat("a", 64)}}))
	want := "firebreak-checkpoint-v1\nscope 2026-11-22-inc1\nhead alice 1 " + strings.Repeat("a", 64) + "\nhead bob 2 " + strings.Repeat("b", 64) + "\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

func TestLongLineIsReported(t *testing.T) {
	j := newJournal(t)
	os.MkdirAll(j.Dir(), 0o700)
	os.WriteFile(j.Path("alice"), append(bytes.Repeat([]byte("x"), MaxLine+10), '\n'), 0o600)
	rep, err := j.Verify(context.Background(), VerifyOptions{})
	if err != nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemTooLong {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestSymlinkedActorFileIsRefused(t *testing.T) {
	j := newJournal(t)
	os.MkdirAll(j.Dir(), 0o700)
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, nil, 0o600)
	os.Symlink(target, j.Path("mallory"))
	if _, err := j.Append(context.Background(), Entry{Actor: "mallory", Kind: "note"}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("append through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Fatal("wrote through the symlink")
	}
}
