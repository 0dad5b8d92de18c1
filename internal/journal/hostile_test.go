package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Text that is not UTF-8 used to be written one way (\ufffd escapes) and
// re-encoded another on verification, so the event looked tampered with
// forever. It is refused now, naming the field; valid text of any kind
// (controls, U+2028, a real U+FFFD, bidi overrides) round-trips.
func TestAppendRefusesTextThatIsNotUTF8(t *testing.T) {
	j := newJournal(t)
	for name, e := range map[string]Entry{
		"summary": {Actor: "alice", Kind: "note", Summary: "bad\xff"},
		"step":    {Actor: "alice", Kind: "note", Step: "1.\xe9", Summary: "x"},
		"data":    {Actor: "alice", Kind: "note", Summary: "x", Data: map[string]any{"name": "latin\xe9.txt"}},
	} {
		if _, err := j.Append(context.Background(), e); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := os.Stat(j.Path("alice")); err == nil {
		b, _ := os.ReadFile(j.Path("alice"))
		if len(b) != 0 {
			t.Fatalf("a refused event was written: %q", b)
		}
	}
	odd := "tab\there \x1b[2J bell\x07 \u2028 \ufffd \u202e nul\x00"
	mustAppend(t, j, "alice", "note", strings.ReplaceAll(odd, "\n", ""), map[string]any{"v": odd})
	rep, err := j.Verify(context.Background(), VerifyOptions{})
	if err != nil || !rep.Intact() {
		t.Fatalf("valid odd text does not verify: %v %+v", err, rep.Problems)
	}
}

// FuzzAppendVerify appends events whose every text field is arbitrary bytes.
// Whatever Append accepts must verify and read back as given; whatever it
// refuses leaves the file as it was.
func FuzzAppendVerify(f *testing.F) {
	f.Add("note", "1.1", "plain", "value", "file.txt")
	f.Add("note", "", "bad\xff", "\xe9", "latin\xe9.txt")
	f.Add("note", "2.\u2028", "\x1b]52;c;AAAA\x07", "\ufffd", "a\nb")
	f.Add("note", "", "\\ufffd", `\ufffd`, "\u202etxt.exe")
	f.Fuzz(func(t *testing.T, kind, step, summary, value, file string) {
		j := New(filepath.Join(t.TempDir(), "journal"))
		j.Now = clock()
		before := mustAppend(t, j, "fz", "note", "first", nil)
		e, err := j.Append(context.Background(), Entry{Actor: "fz", Kind: "note", Step: step, Summary: summary, Data: map[string]any{"v": value, "file": file}})
		b, _ := os.ReadFile(j.Path("fz"))
		if err != nil {
			if strings.Count(string(b), "\n") != 1 {
				t.Fatalf("a refused append changed the file: %q", b)
			}
			if utf8.ValidString(step) && utf8.ValidString(summary) && utf8.ValidString(value) && utf8.ValidString(file) && !strings.ContainsAny(summary, "\r\n") && !strings.Contains(value+file, `\ufffd`) {
				t.Fatalf("valid text refused: %v", err)
			}
			return
		}
		rep, verr := j.Verify(context.Background(), VerifyOptions{})
		if verr != nil || !rep.Intact() {
			t.Fatalf("accepted event does not verify: %v %+v", verr, rep.Problems)
		}
		evs, _, rerr := j.ReadAll()
		if rerr != nil || len(evs["fz"]) != 2 {
			t.Fatalf("read back: %v", rerr)
		}
		got := evs["fz"][1]
		var d struct{ V, File string }
		if err := json.Unmarshal(got.Data, &d); err != nil {
			t.Fatal(err)
		}
		if got.Summary != summary || got.Step != step || d.V != value || d.File != file || got.ID != e.ID || got.Prev != before.ID {
			t.Fatalf("read back %+v / %+v, wrote %q %q %q %q", got, d, step, summary, value, file)
		}
		_ = kind
	})
}

// A journal file swapped for a symlink or a directory used to be skipped,
// so the incident verified "OK". It is a problem now, named.
func TestVerifyReportsJournalFilesThatAreNotFiles(t *testing.T) {
	for _, swap := range []string{"symlink", "directory"} {
		t.Run(swap, func(t *testing.T) {
			j := newJournal(t)
			write3(t, j)
			real := j.Path("alice")
			moved := filepath.Join(t.TempDir(), "alice.jsonl")
			if err := os.Rename(real, moved); err != nil {
				t.Fatal(err)
			}
			if swap == "symlink" {
				os.Symlink(moved, real)
			} else {
				os.Mkdir(real, 0o700)
			}
			rep, err := j.Verify(context.Background(), VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Intact() || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemNotFile || !strings.Contains(rep.Problems[0].Error(), "alice.jsonl: not a journal file: a "+swap) {
				t.Fatalf("%s: %+v", swap, rep.Problems)
			}
		})
	}
}

// A final line that lost only its newline is a whole event: repair ends the
// line instead of setting the event aside.
func TestRepairCompletesALineThatLostOnlyItsNewline(t *testing.T) {
	j := newJournal(t)
	lines := write3(t, j)
	os.WriteFile(j.Path("alice"), []byte(lines[0]+lines[1]+strings.TrimSuffix(lines[2], "\n")), 0o600)
	rs, err := j.Repair(context.Background())
	if err != nil || len(rs) != 1 || !rs[0].Completed || rs[0].TornFile != "" {
		t.Fatalf("repair: %v %+v", err, rs)
	}
	if _, err := os.Stat(j.Path("alice") + ".torn"); err == nil {
		t.Fatal("a whole event was set aside")
	}
	rep, _ := j.Verify(context.Background(), VerifyOptions{})
	if !rep.Intact() || rep.Events != 3 {
		t.Fatalf("after repair: %+v", rep)
	}
	// A whole event that does not chain (say, from another file) is still
	// set aside.
	other := newJournal(t)
	ol := write3(t, other)
	os.WriteFile(j.Path("alice"), []byte(lines[0]+lines[1]+strings.TrimSuffix(ol[0], "\n")), 0o600)
	rs, err = j.Repair(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Completed || rs[0].TornFile == "" {
		t.Fatalf("repair of a foreign line: %v %+v", err, rs)
	}
}

// A journal file hard-linked to another file (evidence, say) used to be
// appended to and even cut by repair through its journal name.
func TestHardLinkedJournalFilesAreRefused(t *testing.T) {
	j := newJournal(t)
	write3(t, j)
	other := filepath.Join(t.TempDir(), "evidence-file")
	os.WriteFile(other, []byte("evidence without a final newline"), 0o600)
	if err := os.Link(other, j.Path("eve")); err != nil {
		t.Skip("no hard links here:", err)
	}
	if _, err := j.Append(context.Background(), Entry{Actor: "eve", Kind: "note", Summary: "x"}); err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Fatalf("append through a hard link: %v", err)
	}
	if _, err := j.Repair(context.Background()); err == nil || !strings.Contains(err.Error(), "left alone, not journal files: eve.jsonl") {
		t.Fatalf("repair through a hard link: %v", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "evidence without a final newline" {
		t.Fatalf("the other file changed: %q", b)
	}
	rep, err := j.Verify(context.Background(), VerifyOptions{})
	if err != nil || rep.Intact() || !strings.Contains(rep.Problems[0].Error(), "eve.jsonl: not a journal file: a file with 2 hard links") {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
}

// A journal directory relocated through a symlink, or stray files in it,
// went unnoticed.
func TestVerifyNamesARelocatedJournalAndStrayFiles(t *testing.T) {
	j := newJournal(t)
	write3(t, j)
	os.WriteFile(filepath.Join(j.Dir(), "notes.txt"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(j.Dir(), "alice.jsonl.torn"), []byte("x"), 0o400)
	rep, _ := j.Verify(context.Background(), VerifyOptions{})
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Error(), "notes.txt: not a journal file: a file firebreak did not write") {
		t.Fatalf("stray file: %+v", rep.Problems)
	}
	os.Remove(filepath.Join(j.Dir(), "notes.txt"))
	moved := filepath.Join(t.TempDir(), "copy")
	os.Rename(j.Dir(), moved)
	os.Symlink(moved, j.Dir())
	rep, _ = j.Verify(context.Background(), VerifyOptions{})
	if rep.Intact() || !strings.Contains(rep.Problems[0].Error(), "journal/: not a journal file: the journal directory is a symlink") {
		t.Fatalf("relocated journal: %+v", rep.Problems)
	}
	if _, err := j.Append(context.Background(), Entry{Actor: "alice", Kind: "note", Summary: "x"}); err == nil {
		t.Fatal("appended through a relocated journal directory")
	}
}

// A torn tail of several megabytes (longer than any line) could not be
// repaired: "no line end in the last … bytes", and the incident could never
// record again.
func TestRepairSetsAsideAHugeTornTail(t *testing.T) {
	j := newJournal(t)
	lines := write3(t, j)
	f, _ := os.OpenFile(j.Path("alice"), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(bytes.Repeat([]byte("A"), 3*MaxLine))
	f.Close()
	if _, err := j.Append(context.Background(), Entry{Actor: "alice", Kind: "note", Summary: "x"}); !errors.Is(err, ErrTorn) {
		t.Fatalf("append after a huge tail: %v (want a torn tail, which names repair)", err)
	}
	rs, err := j.Repair(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Len != 3*MaxLine || rs[0].Offset != int64(len(lines[0]+lines[1]+lines[2])) {
		t.Fatalf("repair: %v %+v", err, rs)
	}
	if fi, err := os.Stat(filepath.Join(j.Dir(), rs[0].TornFile)); err != nil || fi.Size() != 3*MaxLine {
		t.Fatalf("set aside: %v", err)
	}
	if e := mustAppend(t, j, "alice", "note", "after", nil); e.Seq != 4 {
		t.Fatalf("seq %d", e.Seq)
	}
}
