package journal

import (
	"bytes"
	"os"
	"testing"
)

func seedLines(t testing.TB) [][]byte {
	j := newJournal(t)
	mustAppend(t, j, "alice", "incident.opened", "opened", map[string]any{"playbook": "INC-1", "n": 1.5, "nested": map[string]any{"b": []any{1, "x"}, "a": nil}})
	mustAppend(t, j, "alice", "note", "unicode é \u2028 <tag> \"quoted\" \x1b[31m", nil)
	b, _ := os.ReadFile(j.Path("alice"))
	return bytes.SplitAfter(b, []byte("\n"))
}

// FuzzParseLine: never panics; a line that parses and checks clean
// re-encodes to itself byte for byte.
func FuzzParseLine(f *testing.F) {
	for _, l := range seedLines(f) {
		if len(l) > 0 {
			f.Add(bytes.TrimSuffix(l, []byte("\n")))
		}
	}
	f.Add([]byte(`{"seq":1}`))
	f.Add([]byte(`{"seq":1,"id":"","prev":"","logged":"","at":"","actor":"","kind":"","summary":"","data":[]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		// The fast path and the general path agree on every line they
		// both read.
		if fe, fkind, _, ok := fastCheck(line); ok {
			se, err := ParseLine(line)
			if err != nil {
				t.Fatalf("fast path read a line the general path rejects: %v", err)
			}
			skind, _, _ := check(&se, line, nil)
			if fkind != skind || fe.ID != se.ID || fe.Seq != se.Seq || !fe.At.Equal(se.At) || fe.Summary != se.Summary || string(fe.Data) != string(se.Data) {
				t.Fatalf("paths disagree: fast %q %+v, general %q %+v", fkind, fe, skind, se)
			}
		}
		e, err := ParseLine(line)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		kind, _, _ := check(&e, line, nil)
		if kind != "" {
			return
		}
		again := e
		out, err := encodeLine(&again)
		if err != nil {
			t.Fatalf("checked event does not encode: %v", err)
		}
		if !bytes.Equal(bytes.TrimSuffix(out, []byte("\n")), line) || again.ID != e.ID {
			t.Fatalf("round trip differs:\n in %q\nout %q", line, out)
		}
	})
}

// FuzzVerify: any file content gives a report, never a panic or an I/O
// error; an intact report means every line reads back.
func FuzzVerify(f *testing.F) {
	lines := seedLines(f)
	f.Add(bytes.Join(lines, nil))
	f.Add(append(bytes.Join(lines, nil), `{"seq":3`...))
	f.Add(append(append([]byte{}, lines[1]...), lines[0]...))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		fr, err := verifyReader(NewReader("alice.jsonl", bytes.NewReader(content)), "alice.jsonl", "alice", nil)
		if err != nil {
			t.Fatalf("verify returned an error, not a report: %v", err)
		}
		if fr.Problem != nil {
			return
		}
		// Clean: every complete line parses, chains, and the count matches.
		r := NewReader("alice.jsonl", bytes.NewReader(content))
		var n, prevSeq int64
		for {
			line, _, _, err := r.Next()
			if err != nil {
				break
			}
			e, perr := ParseLine(line)
			if perr != nil {
				t.Fatalf("verified clean but line %d does not parse: %v", n+1, perr)
			}
			if e.Seq != prevSeq+1 {
				t.Fatalf("verified clean but seq %d follows %d", e.Seq, prevSeq)
			}
			prevSeq = e.Seq
			n++
		}
		if n != fr.Events {
			t.Fatalf("verified %d events, read %d", fr.Events, n)
		}
		if (r.Torn() == nil) != (fr.Torn == nil) {
			t.Fatal("torn tail reported differently")
		}
	})
}
