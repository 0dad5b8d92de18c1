package tui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

func TestCommsScreenPreviewsAndWrites(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "Key leak")
	m := drive(t, f.model(120, 40), enter, typed("c")[0])
	if m.screen != screenComms {
		t.Fatalf("c: screen %v", m.screen)
	}
	v := m.View()
	checkFrame(t, v, 120, 40)
	if !strings.Contains(v, "Missing: ") || !strings.Contains(v, "[MISSING: ") {
		t.Fatalf("a fresh incident should lack fields, marked in the preview:\n%s", v)
	}
	tmpl, text, missing := m.comms.selected()
	m = drive(t, m, typed("w")...)
	if m.comms.err != nil {
		t.Fatal(m.comms.err)
	}
	if !strings.Contains(m.View(), "wrote comms/"+tmpl.Name+"-20261122T030000Z.txt — marked missing: ") {
		t.Fatalf("no word of the write:\n%s", m.View())
	}
	path := comms.DefaultPath(inc.Dir, tmpl.Name, t0)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != text {
		t.Fatal("the file is not the preview")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	var last journal.Event
	for _, e := range evs {
		if e.Kind == comms.KindRendered {
			last = e
		}
	}
	if last.Kind != comms.KindRendered || !strings.Contains(string(last.Data), comms.Sum(text)) || !strings.Contains(string(last.Data), missing[0]) {
		t.Fatalf("event %+v data %s", last, last.Data)
	}
	// Moving to another template clears the note and changes the preview.
	m = drive(t, m, down)
	if t2, _, _ := m.comms.selected(); t2 == tmpl || strings.Contains(m.View(), "wrote comms/") {
		t.Fatalf("down did not move on:\n%s", m.View())
	}
	m = drive(t, m, esc)
	if m.screen != screenRunner {
		t.Fatal("esc did not go back")
	}
}

func TestCommsFillAMissingField(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := drive(t, f.model(120, 40), enter, typed("c")[0])
	_, _, before := m.comms.selected()
	if len(before) == 0 {
		t.Skip("nothing missing in the first template")
	}
	m = drive(t, m, typed("f")...)
	if !m.typing() {
		t.Fatal("f did not open the field prompt")
	}
	m = drive(t, m, typed("q — 2026-11-21 to 2026-11-22")...)
	m = drive(t, m, enter)
	_, text, after := m.comms.selected()
	if len(after) != len(before)-1 || !strings.Contains(text, "q — 2026-11-21 to 2026-11-22") {
		t.Fatalf("missing %v → %v; text:\n%s", before, after, text)
	}
	// esc abandons a value.
	m = drive(t, m, typed("f")...)
	m = drive(t, m, typed("nope")...)
	m = drive(t, m, esc)
	if _, _, again := m.comms.selected(); len(again) != len(after) || m.screen != screenComms {
		t.Fatalf("esc filled a field or left the screen: %v %v", again, m.screen)
	}
}

func TestCommsCopyWithOSC52(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key \x1b]52;c;ZXZpbA==\x07leak")
	m := f.model(120, 40)
	// Without a terminal clipboard, y says what to do instead.
	m = drive(t, m, enter, typed("c")[0], typed("y")[0])
	if !strings.Contains(m.View(), "no terminal clipboard here") {
		t.Fatalf("y without a clipboard:\n%s", m.View())
	}
	var clip bytes.Buffer
	m.comms.clip = &clip
	// The first template has fields missing: the first y warns and copies
	// nothing; the second copies it as it is.
	m = drive(t, m, typed("y")...)
	if _, _, missing := m.comms.selected(); len(missing) == 0 {
		t.Fatal("the test needs a template with fields missing")
	}
	if v := m.View(); clip.Len() != 0 || !strings.Contains(v, "still missing") || !strings.Contains(v, "y again copies it as it is") {
		t.Fatalf("a message with missing fields was copied without a word:\n%s", v)
	}
	m = drive(t, m, typed("y")...)
	_, text, _ := m.comms.selected()
	out := clip.String()
	const start, end = "\x1b]52;c;", "\x07"
	if !strings.HasPrefix(out, start) || !strings.HasSuffix(out, end) {
		t.Fatalf("not an OSC 52 sequence: %q", out)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(out, start), end))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != textutil.Clean(text, true) || strings.ContainsRune(string(got), '\x1b') {
		t.Fatalf("clipboard holds %q", got)
	}
	if !strings.Contains(string(got), "leak") {
		t.Fatalf("clipboard lacks the message: %q", got)
	}
	if !strings.Contains(m.View(), fmt.Sprintf("copied %d bytes", len(got))) {
		t.Fatalf("no word of the copy:\n%s", m.View())
	}
}

// TestCommsKeepsFilledFields: a value filled with f survives leaving the
// comms screen and coming back (until another incident is opened).
func TestCommsKeepsFilledFields(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(120, 40)
	m = drive(t, m, enter, typed("c")[0])
	_, _, missing := m.comms.selected()
	if len(missing) == 0 {
		t.Fatal("nothing missing to fill")
	}
	m = drive(t, m, typed("f")...)
	m = drive(t, m, typed("VALUE-KEPT")...)
	m = drive(t, m, enter, esc, typed("c")[0])
	if _, text, _ := m.comms.selected(); !strings.Contains(text, "VALUE-KEPT") {
		t.Fatalf("the filled value was lost on leaving the screen:\n%s", text)
	}
}
