package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/journal"
)

// hook sets a test hook for the rest of the test.
func hook(t *testing.T, h *func(string), f func(string)) {
	t.Helper()
	*h = f
	t.Cleanup(func() { *h = nil })
}

// A file replaced by another of the same name during the read-back (mv P
// P.old; echo NEW > P), or appended to, used to be removed — the new data
// lost, exit 0. Now the original is removed only while it is the very file
// copied: otherwise both stay, the copy is recorded marked
// changed-during-copy, and Take fails naming it.
func TestQuarantineKeepsAnOriginalThatChangedWhileCopied(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p string)
		when   *func(string)
	}{
		{"replaced during the read-back", func(p string) { os.Rename(p, p+".old"); os.WriteFile(p, []byte("NEW"), 0o600) }, &testHookAfterReadBack},
		{"appended during the read-back", func(p string) { appendTo(p, "MORE") }, &testHookAfterReadBack},
		{"replaced after the record", func(p string) { os.Rename(p, p+".old"); os.WriteFile(p, []byte("NEW"), 0o600) }, &testHookBeforeRemove},
		{"appended after the record", func(p string) { appendTo(p, "MORE") }, &testHookBeforeRemove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, root := newStore(t)
			p := write(t, filepath.Join(root, "src", "mod.wasm"), []byte("ORIGINAL"))
			other := write(t, filepath.Join(root, "src", "other.wasm"), []byte("other"))
			hook(t, tc.when, func(path string) {
				if filepath.Base(path) == "mod.wasm" {
					tc.change(path)
				}
			})
			var recorded []Entry
			es, err := s.Take(context.Background(), []string{p, other}, Options{Move: true, Operation: "quarantine", Record: func(e Entry) error { recorded = append(recorded, e); return nil }})
			// Whatever happened, nothing written after the copy began is lost.
			now, rerr := os.ReadFile(p)
			if rerr != nil {
				t.Fatalf("the original was removed: %v", rerr)
			}
			if string(now) != "NEW" && string(now) != "ORIGINALMORE" {
				t.Fatalf("original now %q", now)
			}
			if len(es) != 2 || len(recorded) != 2 || es[0].SourceRemoved || es[0].SHA256 != sha([]byte("ORIGINAL")) {
				t.Fatalf("entries %+v recorded %d", es, len(recorded))
			}
			if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) || !es[1].SourceRemoved {
				t.Fatalf("the unchanged file beside it was not quarantined: %v", err)
			}
			if tc.when == &testHookAfterReadBack {
				if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "mod.wasm") || !es[0].ChangedDuringCopy || !recorded[0].ChangedDuringCopy || recorded[0].RemoveOriginal {
					t.Fatalf("err %v, entry %+v", err, es[0])
				}
			} else if err != nil || es[0].RemoveError == "" || !recorded[0].RemoveOriginal {
				t.Fatalf("err %v, entry %+v", err, es[0])
			}
			// The copy is what was read, and verifies.
			if rep, err := s.Verify(context.Background(), recorded, nil); err != nil || !rep.OK() {
				t.Fatalf("verify: %v %+v", err, rep)
			}
		})
	}
}

func appendTo(p, s string) {
	f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(s)
	f.Close()
}

// The record comes before the removal: an original is never gone while
// its copy is unrecorded, and a record that fails keeps it.
func TestQuarantineRecordsBeforeItRemoves(t *testing.T) {
	s, root := newStore(t)
	a := write(t, filepath.Join(root, "a"), []byte("a"))
	b := write(t, filepath.Join(root, "b"), []byte("b"))
	var seen []string
	var recorded []Entry
	_, err := s.Take(context.Background(), []string{a, b}, Options{Move: true, Incident: "inc-1", Record: func(e Entry) error {
		if _, err := os.Stat(e.Original.Path); err != nil {
			t.Errorf("%s was removed before it was recorded", e.Original.Path)
		}
		if e.Store != s.Dir || !e.RemoveOriginal || e.SourceRemoved {
			t.Errorf("record %+v", e)
		}
		seen = append(seen, e.Name)
		if e.Name == "b" {
			return errors.New("disk full")
		}
		recorded = append(recorded, e)
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "original was kept") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(a); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a was recorded but not moved")
	}
	if got, _ := os.ReadFile(b); string(got) != "b" {
		t.Fatal("b was removed though its record failed")
	}
	// What the failed record left is a leftover, cleaned without touching
	// the recorded evidence.
	rep, _ := s.Verify(context.Background(), recorded, nil)
	if len(rep.Leftovers) == 0 || rep.OK() {
		t.Fatalf("leftovers not reported: %+v", rep)
	}
	cl, err := s.Clean(context.Background(), "inc-1", func(n string) bool { return n == "a" })
	if err != nil || len(cl) != 2 {
		t.Fatalf("clean: %v %+v", err, cl)
	}
	rep, _ = s.Verify(context.Background(), recorded, nil)
	if !rep.OK() || len(rep.Leftovers) != 0 {
		t.Fatalf("after clean: %+v", rep)
	}
}

// Quarantine used to take the workspace itself: the home, a parent of it
// with --recursive, incident.json, a journal, or stored evidence through a
// symlinked directory. All are refused before anything moves.
func TestTakeRefusesTheRecordItself(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "state", "firebreak")
	inc := filepath.Join(home, "incidents", "2026-11-22-inc1-x")
	s := NewEvidenceStore(filepath.Join(inc, "evidence"))
	s.Protect = []string{home}
	write(t, filepath.Join(inc, "incident.json"), []byte("{}"))
	write(t, filepath.Join(inc, "journal", "alice.jsonl"), []byte("{}\n"))
	stored := write(t, filepath.Join(inc, "evidence", "kept.bin"), []byte("evidence"))
	other := filepath.Join(home, "incidents", "2026-11-23-inc2-y")
	write(t, filepath.Join(other, "playbook.yaml"), []byte("x"))
	link := filepath.Join(root, "innocent")
	os.Symlink(filepath.Join(inc, "evidence"), link)
	homeLink := filepath.Join(root, "homelink")
	os.Symlink(home, homeLink)
	for _, tc := range []struct {
		path string
		want error
	}{
		{home, ErrProtected},
		{filepath.Join(root, "state"), ErrContains},
		{root, ErrContains},
		{filepath.Join(inc, "incident.json"), ErrProtected},
		{filepath.Join(inc, "journal", "alice.jsonl"), ErrProtected},
		{filepath.Join(other, "playbook.yaml"), ErrProtected},
		{filepath.Join(link, "kept.bin"), ErrInStore},
		{filepath.Join(homeLink, "incidents"), ErrProtected},
		{homeLink, ErrIntoStore},
	} {
		_, err := s.Take(context.Background(), []string{tc.path}, Options{Move: true, Recursive: true})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.path, err, tc.want)
		}
		if _, perr := s.Preview([]string{tc.path}, true); !errors.Is(perr, tc.want) {
			t.Errorf("preview %s: %v", tc.path, perr)
		}
	}
	if b, _ := os.ReadFile(stored); string(b) != "evidence" {
		t.Fatal("stored evidence moved")
	}
	if _, err := os.Stat(filepath.Join(inc, "incident.json")); err != nil {
		t.Fatal("the header moved")
	}
}

// Names with control bytes, bidi overrides and bytes that are not UTF-8
// are stored under safe names (%XX), kept exactly in the record, and
// hashes.txt stays sha256sum -c compatible with no raw control byte.
func TestHostileNamesAreStoredSafelyAndRecordedExactly(t *testing.T) {
	s, root := newStore(t)
	names := []string{"esc\x1b[2J.txt", "bell\x07", "rlo\u202etxt.exe", "latin\xe9.txt", "new\nline", "50%.txt", "..", ".incoming-123456789012-x"}
	var paths []string
	for i, n := range names {
		dir := filepath.Join(root, "src", string(rune('a'+i)))
		if n == ".." {
			continue
		}
		paths = append(paths, write(t, filepath.Join(dir, n), []byte(n)))
	}
	var recorded []Entry
	es, err := s.Take(context.Background(), paths, Options{Move: true, Record: func(e Entry) error { recorded = append(recorded, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if strings.ContainsFunc(e.Name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x202e || r == 0xfffd }) {
			t.Errorf("unsafe store name %q", e.Name)
		}
		exact := e.Original.Path
		if e.Original.PathBytes != nil {
			exact = string(e.Original.PathBytes)
		}
		if exact != paths[i] {
			t.Errorf("original path %q recorded as %q / %q", paths[i], e.Original.Path, e.Original.PathBytes)
		}
	}
	want := map[string]bool{"esc%1B[2J.txt": true, "bell%07": true, "rlo%E2%80%AEtxt.exe": true, "latin%E9.txt": true, "new%0Aline": true, "50%25.txt": true, "%2Eincoming-123456789012-x": true}
	for _, e := range es {
		delete(want, e.Name)
	}
	if len(want) > 0 {
		t.Errorf("names not as expected, missing %v in %+v", want, es)
	}
	h, _ := os.ReadFile(filepath.Join(s.Dir, HashesFile))
	if bytes.ContainsFunc(h, func(r rune) bool { return (r < 0x20 && r != '\n') || r == 0x7f || r == 0x202e }) {
		t.Fatalf("hashes.txt carries control bytes: %q", h)
	}
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "-c", "--quiet", HashesFile)
		cmd.Dir = s.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	if rep, err := s.Verify(context.Background(), recorded, nil); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

// FuzzSafeName: a store name is valid UTF-8 without control or formatting
// characters, never escapes the store, and different names stay different.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a", "..", ".", "a/../b", "\xff", "%", "%25", "\x1b", "\u202e", ".incoming-x", "manifest.json", "a/./b"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, n := range []string{a, b} {
			if strings.Contains(n, "/") || n == "" {
				return
			}
		}
		sa, sb := SafeName(a), SafeName(b)
		if a != b && sa == sb {
			t.Fatalf("%q and %q both map to %q", a, b, sa)
		}
		if strings.ContainsFunc(sa, unsafeRune) || strings.ContainsRune(sa, 0xfffd) && !strings.ContainsRune(a, 0xfffd) {
			t.Fatalf("%q -> %q", a, sa)
		}
		if !filepath.IsLocal(sa) || strings.HasPrefix(sa, incomingPfx) || sa == ManifestFile || sa == HashesFile || sa == lockFile {
			t.Fatalf("%q -> %q escapes or shadows the store", a, sa)
		}
	})
}

// FuzzRecordedName: a file name of any bytes goes into the journal as an
// evidence record that verifies, and comes back exactly.
func FuzzRecordedName(f *testing.F) {
	for _, s := range []string{"plain.txt", "latin\xe9.txt", "new\nline", "\x1b]52;c;AA\x07", "\u202etxt.exe", "\xff\xfe", `\ufffd`, "%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		j := journal.New(filepath.Join(t.TempDir(), "journal"))
		path := "/src/" + name
		shown, raw := ShowPath(path)
		e := Entry{Name: SafeName(name), Type: TypeFile, SHA256: sha([]byte(name)), Original: Original{Path: shown, PathBytes: raw}}
		if _, err := j.Append(context.Background(), journal.Entry{Actor: "fz", Kind: "evidence.added", Summary: "x", Data: e}); err != nil {
			t.Fatalf("a name was not recordable: %v", err)
		}
		rep, err := j.Verify(context.Background(), journal.VerifyOptions{})
		if err != nil || !rep.Intact() {
			t.Fatalf("does not verify: %v %+v", err, rep)
		}
		evs, _, _ := j.ReadAll()
		var got Entry
		if err := json.Unmarshal(evs["fz"][0].Data, &got); err != nil {
			t.Fatal(err)
		}
		exact := got.Original.Path
		if got.Original.PathBytes != nil {
			exact = string(got.Original.PathBytes)
		}
		if exact != path || got.Name != SafeName(name) {
			t.Fatalf("recorded %q / %q, want %q", exact, got.Name, path)
		}
	})
}

// A name of 255 bytes, or one that escaping makes longer, used to fail on
// the .incoming- name half way through a recursive quarantine.
func TestLongNamesAreStoredShortened(t *testing.T) {
	s, root := newStore(t)
	long := strings.Repeat("n", 251) + ".txt"
	escaped := strings.Repeat("\x1b", 80) + ".wasm"
	var paths []string
	for i, n := range []string{long, escaped, long[:200]} {
		paths = append(paths, write(t, filepath.Join(root, "src", string(rune('a'+i)), n), []byte(n)))
	}
	var recorded []Entry
	es, err := s.Take(context.Background(), paths, Options{Move: true, Record: func(e Entry) error { recorded = append(recorded, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if len(filepath.Base(e.Name)) > maxComponent || e.Original.Path != paths[i] {
			t.Errorf("%d: stored as %q (%d bytes) from %q", i, e.Name, len(e.Name), e.Original.Path)
		}
	}
	if !strings.HasSuffix(es[0].Name, ".txt") || !strings.HasSuffix(es[1].Name, ".wasm") || es[2].Name != long[:200] {
		t.Errorf("names: %q %q %q", es[0].Name, es[1].Name, es[2].Name)
	}
	if rep, err := s.Verify(context.Background(), recorded, nil); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

// A long name starting with .incoming- kept its prefix when it was
// shortened, so the stored evidence looked like a leftover (and clean
// removed it).
func TestLongIncomingNamesAreEscaped(t *testing.T) {
	n := SafeName(incomingPfx + strings.Repeat("a", 240) + ".log")
	if strings.HasPrefix(n, incomingPfx) || len(n) > maxComponent {
		t.Fatalf("%q", n)
	}
}

// Clean never deletes a copy it cannot prove is its incident's own: an
// offline store shared by two incidents, a file planted with a twin.
func TestCleanLeavesOtherIncidentsCopies(t *testing.T) {
	s, root := newStore(t)
	b := write(t, filepath.Join(root, "kb"), []byte("B's key"))
	var recB []Entry
	if _, err := s.Take(context.Background(), []string{b}, Options{Move: true, Incident: "B", Record: func(e Entry) error { recB = append(recB, e); return nil }}); err != nil {
		t.Fatal(err)
	}
	// The state a kill leaves between B's record and its twin's removal,
	// seen from incident A, which recorded nothing here.
	os.Link(filepath.Join(s.Dir, "kb"), filepath.Join(s.Dir, incomingPfx+"aaaaaaaaaaaa-kb"))
	cl, err := s.Clean(context.Background(), "A", func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(s.Dir, "kb")); string(got) != "B's key" {
		t.Fatalf("A's clean deleted B's evidence: %+v", cl)
	}
	s.Owner = "B"
	if rep, _ := s.Verify(context.Background(), recB, nil); !rep.OK() {
		t.Fatalf("B's evidence: %+v", rep)
	}
	s.Owner = "A"
	if rep, _ := s.Verify(context.Background(), []Entry{}, nil); !rep.OK() {
		t.Fatalf("A sees B's entries as its own problems: %+v", rep)
	}
}

// Looking for a store above a path read manifest.json there: a named pipe
// called so must not block the take.
func TestAPipeNamedManifestDoesNotBlock(t *testing.T) {
	s, root := newStore(t)
	src := write(t, filepath.Join(root, "src", "f"), []byte("x"))
	if err := syscall.Mkfifo(filepath.Join(root, "src", ManifestFile), 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	if _, err := s.Take(context.Background(), []string{src}, Options{Move: true}); err != nil {
		t.Fatal(err)
	}
}
