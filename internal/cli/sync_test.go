package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// git runs git in dir for a test, with no user configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// team is a bare remote and responders, each with their own home.
type team struct {
	t      *testing.T
	remote string
}

func newTeam(t *testing.T) *team {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	remote := filepath.Join(t.TempDir(), "remote.git")
	git(t, filepath.Dir(remote), "init", "-q", "--bare", "-b", "main", remote)
	return &team{t: t, remote: remote}
}

func (tm *team) responder(actor string) *env {
	e := newEnv(tm.t)
	e.vars["FIREBREAK_ACTOR"] = actor
	return e
}

// head is the remote's main.
func (tm *team) head() string { return git(tm.t, tm.remote, "rev-parse", "main") }

// syncJSON syncs and decodes the report.
func syncJSON(e *env) (rep struct {
	Committed, Received []string
	Pushed              bool
	Verified            []struct {
		Incident   string
		Intact     bool
		Events     int
		Seals      int
		UnknownKey int `json:"seals_unknown_key"`
	}
}) {
	e.t.Helper()
	out := e.ok("sync", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		e.t.Fatalf("sync --json: %v\n%s", err, out)
	}
	return rep
}

func TestSyncTwoResponders(t *testing.T) {
	tm := newTeam(t)
	alice, bob := tm.responder("alice@laptop"), tm.responder("bob@desk")

	id := alice.open()
	ev := filepath.Join(t.TempDir(), "leaked.pem")
	os.WriteFile(ev, []byte("not really a key\n"), 0o600)
	alice.ok("evidence", "add", id, ev, "--yes")
	if out := alice.ok("sync", "init", "--remote", tm.remote); !strings.Contains(out, "now syncs with") || !strings.Contains(out, "pushed") {
		t.Fatalf("alice init: %s", out)
	}
	// Only the record is in git: no evidence bytes, no manifest, no keys.
	files := git(t, alice.home, "ls-files")
	for _, f := range strings.Split(files, "\n") {
		if !strings.HasPrefix(f, "incidents/"+id+"/") || strings.Contains(f, "/evidence/") || strings.Contains(f, "/keys/") {
			t.Fatalf("synced a file that is not the record: %q\n%s", f, files)
		}
	}
	if !strings.Contains(files, "journal/alice@laptop.jsonl") || !strings.Contains(files, "incident.json") || !strings.Contains(files, "playbook.yaml") {
		t.Fatalf("record not synced:\n%s", files)
	}

	out := bob.ok("sync", "init", "--remote", tm.remote)
	if !strings.Contains(out, "received  3 file(s)") {
		t.Fatalf("bob init: %s", out)
	}
	// Bob has the incident with the folders firebreak gives it, and modes.
	for _, sub := range []string{"evidence", "keys", "comms", "exports"} {
		if fi, err := os.Stat(filepath.Join(bob.home, "incidents", id, sub)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("bob's %s: %v %v", sub, fi, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(bob.home, "incidents", id, "incident.json")); fi.Mode().Perm() != 0o400 {
		t.Fatalf("header mode %v", fi.Mode())
	}
	// Bob works on it: his evidence verify knows alice's file is on her machine.
	out = bob.ok("evidence", "verify", id)
	if !strings.Contains(out, "ELSEWHERE evidence/leaked.pem — taken by alice@laptop") {
		t.Fatalf("bob evidence verify: %s", out)
	}

	// Both work concurrently, then sync in every order.
	for round := 0; round < 3; round++ {
		alice.advance(time.Minute)
		bob.advance(time.Minute)
		alice.ok("note", id, "alice round "+itoa(round))
		bob.ok("note", id, "bob round "+itoa(round))
		bob.ok("fact", id, "key_id=abcd0"+itoa(round))
		if round%2 == 0 {
			syncJSON(alice)
			syncJSON(bob)
		} else {
			syncJSON(bob)
			syncJSON(alice)
		}
	}
	syncJSON(alice) // bob's last round
	at := alice.ok("timeline", id)
	bt := bob.ok("timeline", id)
	if at != bt || !strings.Contains(at, "bob round 2") || !strings.Contains(at, "alice round 2") {
		t.Fatalf("timelines differ or miss work:\nalice:\n%s\nbob:\n%s", at, bt)
	}
	for _, e := range []*env{alice, bob} {
		if out := e.ok("timeline", "verify", id); !strings.Contains(out, "OK") {
			t.Fatalf("verify: %s", out)
		}
	}

	// A seal by alice arrives at bob and is checked: heads always, the
	// signature with her public key.
	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	dir := t.TempDir()
	privPEM, _ := signing.MarshalPrivateKeyPEM(priv)
	pubPEM, _ := signing.MarshalPublicKeyPEM(pub)
	os.WriteFile(filepath.Join(dir, "k.pem"), privPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "p.pem"), pubPEM, 0o600)
	alice.ok("timeline", "seal", id, "--key", filepath.Join(dir, "k.pem"))
	syncJSON(alice)
	rep := syncJSON(bob)
	if len(rep.Verified) != 1 || !rep.Verified[0].Intact || rep.Verified[0].Seals != 1 || rep.Verified[0].UnknownKey != 1 {
		t.Fatalf("bob's sync of the seal: %+v", rep)
	}
	if out := bob.ok("sync", "--pubkey", filepath.Join(dir, "p.pem")); !strings.Contains(out, "1 seal(s) hold") || strings.Contains(out, "not given") {
		t.Fatalf("seal with key: %s", out)
	}
	if out := bob.ok("timeline", "verify", id, "--pubkey", filepath.Join(dir, "p.pem")); !strings.Contains(out, "1 seal(s) verified") {
		t.Fatalf("bob verifies alice's seal: %s", out)
	}
}

// TestSyncRefusesAnythingButGrowth: what a remote holds beyond growth of
// the record never reaches a home. A rewritten or broken journal, or a
// changed header, is refused before any merge; a journal cut short or a
// file deleted on the remote is kept here and pushed back; a path that is
// not the record is left out, and the push drops it. Locally, a change
// that is not growth, a torn line, a secret, or a file staged by hand
// never leaves the machine.
func TestSyncRefusesAnythingButGrowth(t *testing.T) {
	tm := newTeam(t)
	alice, bob := tm.responder("alice@a"), tm.responder("bob@b")
	id := alice.open()
	alice.ok("note", id, "first")
	alice.ok("note", id, "second")
	alice.ok("sync", "init", "--remote", tm.remote)
	bob.ok("sync", "init", "--remote", tm.remote)
	jpath := "incidents/" + id + "/journal/alice@a.jsonl"
	bobJournal := filepath.Join(bob.home, filepath.FromSlash(jpath))
	kept, _ := os.ReadFile(bobJournal)

	// An attacker with push access to the remote, working in a clone.
	work := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(work), "clone", "-q", tm.remote, work)
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755)
		os.Chmod(filepath.Join(work, p), 0o644)
		os.WriteFile(filepath.Join(work, p), []byte(s), 0o644)
	}
	attack := func(name string, change func()) string {
		t.Helper()
		git(t, work, "fetch", "-q", "origin")
		git(t, work, "reset", "-q", "--hard", "origin/main")
		change()
		git(t, work, "add", "-A")
		git(t, work, "commit", "-q", "--allow-empty", "-m", name)
		git(t, work, "push", "-q", "-f", "origin", "HEAD:main")
		return tm.head()
	}
	// refused: the whole sync stops (a conflict people must settle).
	refused := func(name string, change func(), want string) {
		t.Helper()
		base := tm.head()
		pushed := attack(name, change)
		bob.fail(1, want, "sync")
		if got, _ := os.ReadFile(bobJournal); !bytes.Equal(got, kept) {
			t.Fatalf("%s: bob's copy of the journal changed", name)
		}
		if tm.head() != pushed {
			t.Fatalf("%s: bob pushed over the remote", name)
		}
		git(t, work, "push", "-q", "-f", "origin", base+":refs/heads/main")
	}
	// rejected: what does not verify is left out, the rest syncs, and
	// bob's push leaves his copy of the record there.
	rejected := func(name string, change func(), want string) {
		t.Helper()
		attack(name, change)
		out := bob.ok("sync", "--json")
		var rep struct{ Rejected []string }
		json.Unmarshal([]byte(out), &rep)
		if !strings.Contains(strings.Join(rep.Rejected, "\n"), want) {
			t.Fatalf("%s: rejected %v, want %q", name, rep.Rejected, want)
		}
		if got, _ := os.ReadFile(bobJournal); !bytes.Equal(got, kept) {
			t.Fatalf("%s: bob's copy of the journal changed", name)
		}
		if git(t, tm.remote, "show", "main:"+jpath)+"\n" != string(kept) {
			t.Fatalf("%s: the record was not put back on the remote", name)
		}
	}
	orig := kept
	lines := strings.SplitAfter(string(orig), "\n")
	rejected("rewrite", func() { write(jpath, strings.Replace(string(orig), "second", "secnod", 1)) }, "rewritten on the remote")
	rejected("extend with a broken chain", func() {
		last := strings.TrimSuffix(lines[len(lines)-2], "\n")
		write(jpath, string(orig)+strings.Replace(last, `"seq":3`, `"seq":4`, 1)+"\n")
	}, "alice@a.jsonl: ")
	refused("header", func() { write("incidents/"+id+"/incident.json", "{}") }, "the incident header is written once")
	rejected("a torn line", func() { write(jpath, string(orig)+`{"seq":4,"id":"ab`) }, "torn")
	rejected("unrecorded message", func() { write("incidents/"+id+"/comms/fake.txt", "all clear") }, "is not a message or export its journal recorded")
	rejected("a new incident with only a header", func() {
		write("incidents/2026-11-22-inc1-fake/incident.json", "{}")
		write("incidents/2026-11-22-inc1-fake/playbook.yaml", "id: X")
	}, "incidents/2026-11-22-inc1-fake/incident.json: the incident does not load")
	draft := filepath.Join(bob.home, "incidents", id, "comms", "draft.txt")
	os.WriteFile(draft, []byte("bob's own draft"), 0o600)
	refused("in the way", func() { write("incidents/"+id+"/comms/draft.txt", "the attacker's") }, "this machine already has something there that is not in its record")
	if b, _ := os.ReadFile(draft); string(b) != "bob's own draft" {
		t.Fatal("bob's draft was replaced")
	}
	os.Remove(draft)
	rejected("two openings", func() {
		dir := t.TempDir()
		j := journal.New(dir)
		j.Now = bob.now
		first, _ := journal.ParseLine([]byte(strings.TrimSuffix(lines[0], "\n")))
		j.Append(context.Background(), journal.Entry{Actor: "carol", Kind: "note", Summary: "hi"})
		j.Append(context.Background(), journal.Entry{Actor: "carol", Kind: first.Kind, Summary: first.Summary, Data: first.Data})
		b, _ := os.ReadFile(filepath.Join(dir, "carol.jsonl"))
		write("incidents/"+id+"/journal/carol.jsonl", string(b))
	}, "more than one opening")

	// Cut short, deleted, and not the record: bob keeps the record, takes in
	// nothing else, and his push puts it back.
	for _, c := range []struct {
		name   string
		change func()
		report string
	}{
		{"cut", func() { write(jpath, lines[0]) }, "restored"},
		{"emptied", func() { write(jpath, "") }, "restored"},
		{"delete", func() { os.Remove(filepath.Join(work, filepath.FromSlash(jpath))) }, "restored"},
		{"keys", func() { write("incidents/"+id+"/keys/stolen.pem", "x") }, "ignored"},
		{"gitignore", func() { write(".gitignore", "!*") }, "ignored"},
		{"link", func() {
			os.MkdirAll(filepath.Join(work, "incidents", id, "exports"), 0o755)
			os.Symlink("/etc/passwd", filepath.Join(work, "incidents", id, "exports", "x.md"))
		}, "ignored"},
		{"empty commit", func() {}, ""},
	} {
		git(t, work, "fetch", "-q", "origin")
		git(t, work, "reset", "-q", "--hard", "origin/main")
		c.change()
		git(t, work, "add", "-A")
		git(t, work, "commit", "-q", "--allow-empty", "-m", c.name)
		git(t, work, "push", "-q", "-f", "origin", "HEAD:main")
		bob.ok("note", id, "bob after "+c.name) // something of bob's own to push, whatever the remote did
		out := bob.ok("sync", "--json")
		var rep map[string]any
		json.Unmarshal([]byte(out), &rep)
		if (c.report != "" && rep[c.report] == nil) || rep["pushed"] != true {
			t.Fatalf("%s: %s", c.name, out)
		}
		if got, _ := os.ReadFile(bobJournal); !bytes.Equal(got, kept) {
			t.Fatalf("%s: bob's copy of alice's journal changed", c.name)
		}
		if git(t, tm.remote, "show", "main:"+jpath)+"\n" != string(kept) {
			t.Fatalf("%s: the record was not put back on the remote", c.name)
		}
		if files := git(t, tm.remote, "ls-tree", "-r", "--name-only", "main"); strings.Contains(files, "stolen") || strings.Contains(files, ".gitignore") || strings.Contains(files, "x.md") {
			t.Fatalf("%s: the push kept what is not the record:\n%s", c.name, files)
		}
	}
	bob.ok("timeline", "verify", id)
	for _, p := range []string{"keys/stolen.pem", "exports/x.md"} {
		if _, err := os.Lstat(filepath.Join(bob.home, "incidents", id, filepath.FromSlash(p))); err == nil {
			t.Fatalf("%s reached bob's home", p)
		}
	}
	syncJSON(alice) // alice, who never saw any of it, is fine too
	alice.ok("timeline", "verify", id)

	// Local: a journal cut short, a deleted file, a torn line, a message
	// firebreak did not write, a key staged or committed by hand.
	own := filepath.Join(alice.home, filepath.FromSlash(jpath))
	os.WriteFile(own, orig[:bytes.IndexByte(orig, '\n')+1], 0o600)
	alice.fail(1, "no longer begins with the events already synced", "sync")
	os.WriteFile(own, orig, 0o600)
	os.Remove(own)
	alice.fail(1, "was deleted from this home", "sync")
	os.WriteFile(own, append(append([]byte{}, orig...), `{"seq":4,"id":"ab`...), 0o600)
	alice.fail(1, "ends with a torn line", "sync")
	os.WriteFile(own, orig, 0o600)
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	pemKey, _ := signing.MarshalPrivateKeyPEM(priv)
	secret := filepath.Join(alice.home, "incidents", id, "comms", "oops.md")
	os.WriteFile(secret, append([]byte("here is the key\n"), pemKey...), 0o600)
	if rep := syncJSON(alice); len(rep.Committed) != 0 {
		t.Fatalf("a message firebreak did not write was committed: %+v", rep)
	}
	os.Remove(secret)
	leak := filepath.Join(alice.home, "incidents", "leak.pem")
	os.WriteFile(leak, pemKey, 0o600)
	os.MkdirAll(filepath.Join(alice.home, "incidents", id, "exports", "sub"), 0o700)
	os.WriteFile(filepath.Join(alice.home, "incidents", id, "exports", "sub", "k.pem"), pemKey, 0o600)
	if out := git(t, alice.home, "status", "--porcelain", "--untracked-files=all"); out != "" {
		t.Fatalf("git sees what is not the record:\n%s", out)
	}
	git(t, alice.home, "add", "-f", "incidents/leak.pem")
	alice.ok("note", id, "third")
	syncJSON(alice)
	if log := git(t, tm.remote, "log", "--all", "--name-only"); strings.Contains(log, "leak.pem") || strings.Contains(log, "k.pem") {
		t.Fatal("a key staged by hand was pushed")
	}
	// Committed by hand: the push is refused.
	git(t, alice.home, "add", "-f", "incidents/leak.pem")
	git(t, alice.home, "commit", "-q", "-m", "by hand")
	before := tm.head()
	alice.fail(1, "incidents/leak.pem: was committed (commit ", "sync")
	if tm.head() != before {
		t.Fatal("a commit made by hand was pushed")
	}
	// Taken out again by a second commit: still in the history the push
	// would send, still refused; the hint's way out works.
	git(t, alice.home, "rm", "-q", "--cached", "incidents/leak.pem")
	git(t, alice.home, "commit", "-q", "-m", "not the record")
	errs := alice.fail(1, "incidents/leak.pem: was committed (commit ", "sync")
	if !strings.Contains(errs, "reset --soft refs/remotes/origin/main") {
		t.Fatalf("hint: %s", errs)
	}
	git(t, alice.home, "reset", "-q", "--soft", "refs/remotes/origin/main")
	syncJSON(alice)
	if log := git(t, tm.remote, "log", "--all", "--name-only"); strings.Contains(log, "leak.pem") {
		t.Fatal("the key reached the remote")
	}
	// A message added to comms by hand and committed with git is not the
	// record either.
	os.WriteFile(filepath.Join(alice.home, "incidents", id, "comms", "draft.md"), []byte("draft"), 0o600)
	git(t, alice.home, "add", "-f", "incidents/"+id+"/comms/draft.md")
	git(t, alice.home, "commit", "-q", "-m", "wip")
	alice.fail(1, "no journal records a message or export with that content", "sync")
}

func TestSyncRefusesAFork(t *testing.T) {
	tm := newTeam(t)
	one := tm.responder("alice")
	id := one.open()
	one.ok("sync", "init", "--remote", tm.remote)

	// A second machine under the same name is warned when a journal under
	// its own name that it never wrote arrives.
	same := tm.responder("alice")
	if out := same.ok("sync", "init", "--remote", tm.remote); !strings.Contains(out, "WARNING   incidents/"+id+"/journal/alice.jsonl: a journal under your name (alice) that this machine never wrote arrived") {
		t.Fatalf("same name: %s", out)
	}

	// Someone writes as alice on bob's machine while alice writes on hers:
	// two chains from one point.
	two := tm.responder("bob")
	two.ok("sync", "init", "--remote", tm.remote)
	one.ok("note", id, "from the laptop")
	two.ok("--actor", "alice", "note", id, "from the desktop")
	syncJSON(one)
	before := tm.head()
	journal := filepath.Join(two.home, "incidents", id, "journal", "alice.jsonl")
	mine, _ := os.ReadFile(journal)
	errs := two.fail(1, `the journal of "alice" forked`, "sync")
	for _, want := range []string{"after seq 1", "this machine 1 event(s), first note", "nothing was merged or pushed", "hint: one actor name per machine", "--actor alice@HOST"} {
		if !strings.Contains(errs, want) {
			t.Fatalf("fork message lacks %q:\n%s", want, errs)
		}
	}
	if tm.head() != before {
		t.Fatal("a forked chain was pushed")
	}
	if now, _ := os.ReadFile(journal); !bytes.Equal(now, mine) {
		t.Fatal("the local journal changed")
	}
	two.ok("timeline", "verify", id)
	if out := two.ok("timeline", id); strings.Contains(out, "from the laptop") {
		t.Fatalf("the fork was merged: %s", out)
	}

	// One after the other is refused too: a third machine writes as alice
	// and syncs; the first, which started alice's journal, will not take
	// events it did not write into it.
	three := tm.responder("carol")
	three.ok("sync", "init", "--remote", tm.remote)
	three.ok("--actor", "alice", "note", id, "from a third machine")
	syncJSON(three)
	errs = one.fail(1, "which this machine wrote first, was extended on another machine (1 event(s), first note", "sync")
	if !strings.Contains(errs, "firebreak sync --release alice") {
		t.Fatalf("sequential use hint: %s", errs)
	}
	// The way out when this machine will not write as alice again.
	if out := one.ok("sync", "--release", "alice"); !strings.Contains(out, "no longer writes as alice (1 incident") || !strings.Contains(out, "received  1 file(s)") {
		t.Fatalf("release: %s", out)
	}
	if out := one.ok("timeline", id); !strings.Contains(out, "from a third machine") {
		t.Fatalf("released journal not taken in: %s", out)
	}
	// Writing as alice here again forks, and is refused.
	one.ok("note", id, "alice on the laptop again")
	three.ok("--actor", "alice", "note", id, "alice on the third machine")
	syncJSON(three)
	one.fail(1, `the journal of "alice" forked`, "sync")
}

func TestSyncSetupErrors(t *testing.T) {
	tm := newTeam(t)
	e := tm.responder("alice@a")
	e.fail(1, "is not set up to sync", "sync")
	if _, errs, _ := e.run("sync"); !strings.Contains(errs, "hint: firebreak sync init --remote URL") {
		t.Fatalf("hint: %s", errs)
	}
	e.fail(2, "--remote is required", "sync", "init")
	e.fail(1, "is not a git remote URL", "sync", "init", "--remote", "--upload-pack=touch /tmp/x")
	// A transport that runs a command is never used.
	marker := filepath.Join(t.TempDir(), "ran")
	other := tm.responder("bob@b")
	other.fail(1, "cannot reach ext::", "sync", "init", "--remote", "ext::sh -c touch% "+marker)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the ext:: transport ran a command")
	}
	if _, err := os.Stat(filepath.Join(other.home, ".git")); err == nil {
		t.Fatal("a failed init left a repository behind")
	}
	other.ok("sync", "init", "--remote", tm.remote) // and the right URL works then
	e.ok("sync", "init", "--remote", tm.remote)
	e.ok("sync", "init", "--remote", tm.remote) // again: nothing changes
	e.fail(1, "already syncs with "+tm.remote, "sync", "init", "--remote", tm.remote+"x")
	rep := syncJSON(e)
	if len(rep.Committed) != 0 || len(rep.Received) != 0 {
		t.Fatalf("an empty home synced something: %+v", rep)
	}
}

// TestSyncSealed: with sealing keys, each sync seals what the responder
// appended, and a home that requires seals takes in no journal growth
// that a team key did not sign for — however valid its chain.
func TestSyncSealed(t *testing.T) {
	tm := newTeam(t)
	alice, bob := tm.responder("alice@a"), tm.responder("bob@b")
	keys := t.TempDir()
	alice.ok("key", "generate", "--out", filepath.Join(keys, "alice"))
	bob.ok("key", "generate", "--out", filepath.Join(keys, "bob"))
	id := alice.open()
	alice.ok("note", id, "contained")
	alice.fail(1, "names nobody: give it as --pubkey NAME=", "sync", "init", "--remote", tm.remote, "--seal-key", filepath.Join(keys, "alice.pem"), "--pubkey", filepath.Join(keys, "bob.pub.pem"), "--require-sealed")
	alice.ok("sync", "--seal-key", filepath.Join(keys, "alice.pem"), "--pubkey", "bob="+filepath.Join(keys, "bob.pub.pem"), "--require-sealed")
	out := bob.ok("sync", "init", "--remote", tm.remote, "--seal-key", filepath.Join(keys, "bob.pem"), "--pubkey", "alice="+filepath.Join(keys, "alice.pub.pem"), "--require-sealed")
	if !strings.Contains(out, "1 seal(s) hold") || strings.Contains(out, "not given") {
		t.Fatalf("bob takes in alice's sealed journal: %s", out)
	}
	if last := lastKind(t, filepath.Join(alice.home, "incidents", id, "journal", "alice@a.jsonl")); last != "checkpoint" {
		t.Fatalf("alice's sync did not seal: last event %s", last)
	}
	// The settings hold for later syncs, the console's included.
	bob.ok("note", id, "rotating")
	syncJSON(bob)
	if out := alice.ok("sync"); !strings.Contains(out, "received  1 file(s)") {
		t.Fatalf("alice takes in bob's sealed note: %s", out)
	}

	// An attacker with push access appends to alice's journal: a valid
	// chain, unsealed, then sealed by a key of their own.
	work := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(work), "clone", "-q", tm.remote, work)
	jpath := filepath.Join(work, "incidents", id, "journal", "alice@a.jsonl")
	forge := func(seal bool) {
		git(t, work, "fetch", "-q", "origin")
		git(t, work, "reset", "-q", "--hard", "origin/main")
		dir := t.TempDir()
		b, _ := os.ReadFile(jpath)
		os.WriteFile(filepath.Join(dir, "alice@a.jsonl"), b, 0o600)
		j := journal.New(dir)
		j.Now = bob.now // within the clock bob accepts: the seal is what stops it
		if _, err := j.Append(context.Background(), journal.Entry{Actor: "alice@a", Kind: "note", Summary: "all clear, stand down"}); err != nil {
			t.Fatal(err)
		}
		if seal {
			_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{5}, 64)))
			if _, err := j.Seal(context.Background(), "alice@a", id, priv); err != nil {
				t.Fatal(err)
			}
		}
		b, _ = os.ReadFile(filepath.Join(dir, "alice@a.jsonl"))
		os.WriteFile(jpath, b, 0o644)
		git(t, work, "commit", "-q", "-am", "forged")
		git(t, work, "push", "-q", "origin", "HEAD:main")
	}
	forge(false)
	sealedOut := func() {
		t.Helper()
		out := bob.ok("sync", "--json")
		if !strings.Contains(out, "does not end with a seal by alice@a's key") {
			t.Fatalf("unsealed growth not rejected: %s", out)
		}
	}
	sealedOut()
	forge(true)
	sealedOut()

	// A team seal replayed at the end of a forged journal does not cover
	// it; and bob's key does not seal for a journal under another name.
	git(t, work, "fetch", "-q", "origin")
	git(t, work, "reset", "-q", "--hard", "origin/main")
	b, _ := os.ReadFile(jpath)
	var cp journal.Event
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if e, err := journal.ParseLine([]byte(l)); err == nil && e.Kind == journal.KindCheckpoint {
			cp = e
		}
	}
	mdir := t.TempDir()
	mj := journal.New(mdir)
	mj.Now = bob.now
	mj.Append(context.Background(), journal.Entry{Actor: "mallory", Kind: "incident.closed", Summary: "closed"})
	mj.Append(context.Background(), journal.Entry{Actor: "mallory", Kind: journal.KindCheckpoint, Summary: "checkpoint", Data: cp.Data})
	mb, _ := os.ReadFile(filepath.Join(mdir, "mallory.jsonl"))
	os.WriteFile(filepath.Join(work, "incidents", id, "journal", "mallory.jsonl"), mb, 0o644)
	git(t, work, "add", "-A")
	git(t, work, "commit", "-q", "-m", "replay")
	git(t, work, "push", "-q", "-f", "origin", "HEAD:main")
	if out := bob.ok("sync", "--json"); !strings.Contains(out, "mallory.jsonl") || !strings.Contains(out, "rejected") {
		t.Fatalf("the replayed seal was not rejected: %s", out)
	}
	if out := bob.ok("incident", "show", id); strings.Contains(out, "closed at") {
		t.Fatal("the replayed seal let a forged close in")
	}
	if out := bob.ok("timeline", id); strings.Contains(out, "stand down") {
		t.Fatalf("a forged event reached bob's home: %s", out)
	}
}

func lastKind(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var e struct{ Kind string }
	json.Unmarshal([]byte(lines[len(lines)-1]), &e)
	return e.Kind
}
