package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFile writes a chained actor file of events with the given at and
// logged offsets (seconds from t0) and returns its lines.
func writeFile(t *testing.T, dir, actor string, times [][2]int, summary func(i int) string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var b []byte
	prev := ""
	for i, tm := range times {
		e := Event{Seq: int64(i + 1), Prev: prev, At: t0.Add(time.Duration(tm[0]) * time.Second), Logged: t0.Add(time.Duration(tm[1]) * time.Second),
			Actor: actor, Kind: "note", Summary: summary(i), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
		line, err := EncodeLine(&e)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, line...)
		prev = e.ID
	}
	if err := os.WriteFile(filepath.Join(dir, actor+Ext), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// streamed collects what Each delivers, as "actor/seq".
func streamed(t *testing.T, s *Snapshot, o Order) []string {
	t.Helper()
	var got []string
	err := s.Each(context.Background(), o, func(e *Event) error {
		got = append(got, fmt.Sprintf("%s/%d", e.Actor, e.Seq))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s/%d", e.Actor, e.Seq))
	}
	return out
}

// TestStreamMatchesSort checks, on random journals, that streaming gives
// exactly the order sorting everything in memory gives, in both orders:
// back-dated and forward-dated events, ties on every member, files out of
// logged order (written by hand), one file, many files, empty files.
func TestStreamMatchesSort(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		dir := filepath.Join(t.TempDir(), "journal")
		j := New(dir)
		nActors := 1 + rng.IntN(6)
		for a := range nActors {
			n := rng.IntN(80)
			if a == 0 {
				n++ // at least one event in all
			}
			times := make([][2]int, n)
			logged := 0
			for i := range times {
				logged += rng.IntN(3) // ties across and within files
				if seed%5 == 0 && rng.IntN(10) == 0 {
					logged -= rng.IntN(20) // a file out of logged order
				}
				at := logged
				switch r := rng.IntN(10); {
				case r == 0:
					at -= rng.IntN(100) // back-dated
				case r == 1:
					at += rng.IntN(5) // up to the allowed future
				case r == 2 && seed%3 == 0:
					at = rng.IntN(10) // all at the same few times
				}
				times[i] = [2]int{at, logged}
			}
			writeFile(t, dir, fmt.Sprintf("actor%d", a), times, func(i int) string { return fmt.Sprintf("s%d", i) })
		}
		s, err := j.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		byActor, _, err := j.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var all []Event
		for _, evs := range byActor {
			all = append(all, evs...)
		}
		if s.Events() != len(all) {
			t.Fatalf("seed %d: snapshot counts %d events, the journal holds %d", seed, s.Events(), len(all))
		}
		SortTimeline(all)
		if got, want := strings.Join(streamed(t, s, ByAt), " "), strings.Join(ids(all), " "); got != want {
			t.Fatalf("seed %d, by at:\n got %s\nwant %s", seed, got, want)
		}
		SortLogged(all)
		if got, want := strings.Join(streamed(t, s, ByLogged), " "), strings.Join(ids(all), " "); got != want {
			t.Fatalf("seed %d, by logged:\n got %s\nwant %s", seed, got, want)
		}
		// A snapshot streams as often as asked, the same each time.
		if got, want := strings.Join(streamed(t, s, ByAt), " "), strings.Join(streamed(t, s, ByAt), " "); got != want {
			t.Fatalf("seed %d: a second stream differs", seed)
		}
		s.Close()
	}
}

// TestStreamKeepsOnlyLinesOutOfOrder checks what the snapshot keeps: an
// entry per back-dated line, none for lines in order.
func TestStreamKeepsOnlyLinesOutOfOrder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	times := make([][2]int, 1000)
	for i := range times {
		times[i] = [2]int{i, i}
	}
	times[500][0] = 3   // back-dated
	times[700][0] = 702 // forward-dated: the one after it (at 701) comes before it
	writeFile(t, dir, "alice", times, func(int) string { return "x" })
	s, err := New(dir).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := len(s.files[0].out[ByAt]); got != 2 {
		t.Errorf("lines kept out of timeline order: %d, want 2 (one back-dated, one before a forward-dated one)", got)
	}
	if got := len(s.files[0].out[ByLogged]); got != 0 {
		t.Errorf("lines kept out of logged order: %d, want 0", got)
	}
	got := streamed(t, s, ByAt)
	if got[4] != "alice/501" || got[699] != "alice/700" || got[700] != "alice/702" || got[701] != "alice/701" || got[702] != "alice/703" {
		t.Errorf("order around the out-of-order lines: %v … %v", got[:6], got[698:704])
	}
}

// TestSnapshotIgnoresLaterAppends: what is appended after the snapshot
// was taken is not streamed (it was not planned), and nothing fails.
func TestSnapshotIgnoresLaterAppends(t *testing.T) {
	j := newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	mustAppend(t, j, "bob", "note", "two", nil)
	s, err := j.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, j, "alice", "note", "three", nil)
	if _, err := j.Append(context.Background(), Entry{Actor: "bob", Kind: "note", Summary: "back", At: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := streamed(t, s, ByAt); strings.Join(got, " ") != "alice/1 bob/1" {
		t.Fatalf("streamed %v", got)
	}
}

// TestStreamNoticesARewrite: a file truncated or rewritten between the
// snapshot and the stream is an error, never a silently shorter timeline.
func TestStreamNoticesARewrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(path string, b []byte)
	}{
		{"truncated at a line", func(path string, b []byte) {
			os.WriteFile(path, b[:strings.LastIndexByte(string(b[:len(b)-1]), '\n')+1], 0o600)
		}},
		{"truncated mid-line", func(path string, b []byte) { os.WriteFile(path, b[:len(b)-20], 0o600) }},
		{"back-dated line rewritten", func(path string, b []byte) {
			os.WriteFile(path, []byte(strings.Replace(string(b), `"at":"2026-11-22T02`, `"at":"2026-11-22T01`, 1)), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "journal")
			writeFile(t, dir, "alice", [][2]int{{1, 1}, {-3600, 2}, {3, 3}, {4, 4}}, func(int) string { return "x" })
			s, err := New(dir).Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			path := filepath.Join(dir, "alice"+Ext)
			b, _ := os.ReadFile(path)
			// Rewrite in place (same inode, as a truncation would).
			tc.change(path, b)
			err = s.Each(context.Background(), ByAt, func(*Event) error { return nil })
			if err == nil {
				t.Fatal("a rewritten file streamed without error")
			}
			if !errors.Is(err, ErrChanged) && !strings.Contains(err.Error(), "alice.jsonl") {
				t.Fatalf("error does not say what changed: %v", err)
			}
		})
	}
}

// TestSnapshotErrors: an unreadable line is named with its file, line
// and byte, as ReadAll names it; a torn tail is reported, not read; fn's
// error and a cancelled context stop the stream.
func TestSnapshotErrors(t *testing.T) {
	j := newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	f, _ := os.OpenFile(j.Path("alice"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":2,"broken` + "\n")
	f.Close()
	_, err := j.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "alice.jsonl:2 (byte ") {
		t.Fatalf("unreadable line: %v", err)
	}

	j = newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	mustAppend(t, j, "alice", "note", "two", nil)
	f, _ = os.OpenFile(j.Path("alice"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":3,"id"`)
	f.Close()
	s, err := j.Snapshot(context.Background())
	if err != nil || len(s.Torn()) != 1 || s.Events() != 2 {
		t.Fatalf("torn tail: %v %v %d", err, s.Torn(), s.Events())
	}
	defer s.Close()
	if got := streamed(t, s, ByAt); len(got) != 2 {
		t.Fatalf("streamed %v", got)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Each(context.Background(), ByAt, func(*Event) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("fn's error: %v after %d", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Each(ctx, ByAt, func(*Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := j.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled snapshot: %v", err)
	}

	// A journal file that is a symlink is not followed.
	j = newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	os.Symlink(j.Path("alice"), filepath.Join(j.Dir(), "bob"+Ext))
	if s, err := j.Snapshot(context.Background()); err == nil {
		if got := streamed(t, s, ByAt); len(got) != 1 {
			t.Fatalf("a symlinked journal file was read: %v", got)
		}
		s.Close()
	}
}

// FuzzLineKey: the key read from a line's head is the key of the event
// the line parses to, whenever it parses.
func FuzzLineKey(f *testing.F) {
	e := Event{Seq: 3, Prev: strings.Repeat("a", 64), Logged: t0, At: t0.Add(-time.Hour), Actor: "alice", Kind: "note", Summary: "s", Data: []byte(`{"a":1}`)}
	line, _ := EncodeLine(&e)
	f.Add(line[:len(line)-1])
	f.Add([]byte(`{"seq":1,"id":"` + strings.Repeat("0", 64) + `","prev":"","logged":"2026-11-22T03:00:00.000000000Z","at":"2026-11-22T03:00:00.000000000Z","actor":"b\u00e9","kind":"note","summary":"","data":{}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := parseAny(line)
		if err != nil {
			return
		}
		k, err := lineKey(line)
		if err != nil {
			t.Fatalf("the line parses but its key does not: %v", err)
		}
		if w := keyOf(&e); !k.at.Equal(w.at) || !k.logged.Equal(w.logged) || k.actor != w.actor || k.seq != w.seq {
			t.Fatalf("key %+v, event %+v", k, w)
		}
	})
}

// TestVerifySnapshot: verifying with a snapshot reports on exactly what
// the snapshot holds — not what was appended after it, nor a file created
// after it — and still finds a broken chain inside it.
func TestVerifySnapshot(t *testing.T) {
	ctx := context.Background()
	j := newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	mustAppend(t, j, "alice", "note", "two", nil)
	s, err := j.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, j, "alice", "note", "three", nil)
	mustAppend(t, j, "bob", "note", "new file", nil)
	rep, err := j.Verify(ctx, VerifyOptions{Snapshot: s})
	if err != nil || !rep.Intact() || rep.Events != 2 || len(rep.Files) != 1 || rep.Files[0].HeadSeq != 2 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	if full, _ := j.Verify(ctx, VerifyOptions{}); full.Events != 4 {
		t.Fatalf("without the snapshot: %d events", full.Events)
	}

	// A line edited inside the snapshot (same length, so the snapshot's
	// plan still reads) breaks the chain it reports.
	j = newJournal(t)
	mustAppend(t, j, "alice", "note", "one", nil)
	mustAppend(t, j, "alice", "note", "two", nil)
	b, _ := os.ReadFile(j.Path("alice"))
	os.WriteFile(j.Path("alice"), []byte(strings.Replace(string(b), `"summary":"two"`, `"summary":"TWO"`, 1)), 0o600)
	s2, err := j.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rep, err = j.Verify(ctx, VerifyOptions{Snapshot: s2})
	if err != nil || rep.Intact() || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemContentHash {
		t.Fatalf("edited line: %+v, %v", rep, err)
	}
}

// TestSnapshotBytesAreWhatIsReported: the verdict, the state and the
// timeline are about the same bytes. A line rewritten between the passes
// — in place, or replaced by a validly re-chained forgery — makes the next
// pass fail, never export bytes the verdict did not cover; a file removed
// or renamed after the snapshot is still verified (from the file it
// opened) and reported.
func TestSnapshotBytesAreWhatIsReported(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*Journal, string) {
		dir := filepath.Join(t.TempDir(), "journal")
		writeFile(t, dir, "alice", [][2]int{{1, 1}, {-3600, 2}, {3, 3}, {4, 4}}, func(i int) string { return fmt.Sprintf("event %d", i) })
		return New(dir), filepath.Join(dir, "alice"+Ext)
	}
	inPlace := func(path string) {
		b, _ := os.ReadFile(path)
		os.WriteFile(path, []byte(strings.Replace(string(b), `"summary":"event 2"`, `"summary":"EVENT 2"`, 1)), 0o600)
	}
	forge := func(path string) {
		// The last line replaced by a valid event chained to the one
		// before it: the chain verifies; only the bytes tell.
		b, _ := os.ReadFile(path)
		lines := strings.SplitAfter(string(b), "\n")
		prev, _ := ParseLine([]byte(strings.TrimSuffix(lines[2], "\n")))
		e := Event{Seq: 4, Prev: prev.ID, At: t0, Logged: t0.Add(4 * time.Second), Actor: "alice", Kind: "note", Summary: "forged", Data: []byte(`{}`)}
		line, _ := EncodeLine(&e)
		os.WriteFile(path, []byte(lines[0]+lines[1]+lines[2]+string(line)), 0o600)
	}
	for _, tc := range []struct {
		name   string
		change func(string)
	}{{"in place", inPlace}, {"forged", forge}} {
		t.Run(tc.name+" before verify", func(t *testing.T) {
			j, path := setup(t)
			s, _ := j.Snapshot(ctx)
			defer s.Close()
			tc.change(path)
			rep, err := j.Verify(ctx, VerifyOptions{Snapshot: s})
			if err == nil && rep.Intact() {
				t.Fatal("a changed file verified as the snapshot")
			}
		})
		t.Run(tc.name+" after verify", func(t *testing.T) {
			j, path := setup(t)
			s, _ := j.Snapshot(ctx)
			defer s.Close()
			if rep, err := j.Verify(ctx, VerifyOptions{Snapshot: s}); err != nil || !rep.Intact() {
				t.Fatalf("%v %v", rep, err)
			}
			tc.change(path)
			var seen []string
			err := s.Each(ctx, ByAt, func(e *Event) error { seen = append(seen, e.Summary); return nil })
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("streamed %v after the change, err %v", seen, err)
			}
		})
	}
	for _, how := range []string{"removed", "renamed"} {
		t.Run(how, func(t *testing.T) {
			j, path := setup(t)
			writeFile(t, j.Dir(), "bob", [][2]int{{5, 5}}, func(int) string { return "bob" })
			s, _ := j.Snapshot(ctx)
			defer s.Close()
			if how == "removed" {
				os.Remove(path)
			} else {
				os.Rename(path, path+".torn.1")
			}
			rep, err := j.Verify(ctx, VerifyOptions{Snapshot: s})
			if err != nil || rep.Events != 5 || len(rep.Files) != 2 || rep.Files[0].Actor != "alice" || rep.Files[0].HeadSeq != 4 {
				t.Fatalf("report %+v, %v", rep, err)
			}
		})
	}
}

// TestLineKeyFollowsTheParser: a canonical head with a member repeated at
// the end (encoding/json reads the last) is keyed as the parser reads it.
func TestLineKeyFollowsTheParser(t *testing.T) {
	e := Event{Seq: 1, At: t0, Logged: t0, Actor: "alice", Kind: "note", Summary: "x", Data: []byte(`{}`)}
	line, _ := EncodeLine(&e)
	dup := strings.TrimSuffix(string(line), "}\n") + `,"at":"2000-01-01T00:00:00.000000000Z"}`
	k, err := lineKey([]byte(dup))
	parsed, perr := ParseLine([]byte(dup))
	if err != nil || perr != nil || !k.at.Equal(parsed.At) {
		t.Fatalf("key at %v (%v), parser at %v (%v)", k.at, err, parsed.At, perr)
	}
}

// TestStreamKeepsFileOrderOnTies: two lines with the same actor, seq and
// times (a forked file) come out in file order, as a stable sort of the
// files read in turn puts them.
func TestStreamKeepsFileOrderOnTies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	writeFile(t, dir, "bob", [][2]int{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}}, func(i int) string { return fmt.Sprintf("ev %d", i) })
	path := filepath.Join(dir, "bob"+Ext)
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	fork := strings.Replace(lines[4], `"summary":"ev 4"`, `"summary":"FORK 4"`, 1)
	os.WriteFile(path, []byte(string(b)+fork), 0o600)
	j := New(dir)
	s, err := j.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, o := range []Order{ByAt, ByLogged} {
		var got []string
		s.Each(context.Background(), o, func(e *Event) error { got = append(got, e.Summary); return nil })
		evs, _, _ := j.Timeline()
		if o == ByLogged {
			SortLogged(evs)
		}
		var want []string
		for _, e := range evs {
			want = append(want, e.Summary)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%v:\n got %v\nwant %v", o, got, want)
		}
	}
}
