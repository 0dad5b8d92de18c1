package cli

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestKeyAge: the key age command says whether a rotation is due (exit 1
// when it is), records it in an incident when given one, and refuses a
// cadence it cannot read as a usage error.
func TestKeyAge(t *testing.T) {
	e := newEnv(t)
	prefix := filepath.Join(t.TempDir(), "signing")
	e.ok("key", "generate", "--out", prefix)
	out := e.ok("key", "age", prefix+".pub.pem", "--since", "-10d", "--json")
	var r struct {
		Due         bool   `json:"rotation_due"`
		Fingerprint string `json:"fingerprint"`
		Age         int64  `json:"age_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Due || r.Fingerprint == "" || r.Age != 10*86400 {
		t.Fatalf("%v %+v\n%s", err, r, out)
	}
	e.fail(1, "verification failed", "key", "age", prefix+".pub.pem", "--since", "-91d")
	// A failed check keeps --json's stdout one JSON document.
	out, _, code := e.run("key", "age", prefix+".pub.pem", "--since", "-91d", "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || !r.Due {
		t.Fatalf("exit %d, %v: %q", code, err, out)
	}
	e.fail(2, "max_age", "key", "age", prefix+".pub.pem", "--max-age", "soon")
	e.fail(2, "before 1970", "key", "age", prefix+".pub.pem", "--since", "0001-01-01T00:00:00Z")
	id := e.open()
	e.ok("key", "age", prefix+".pem", "--since", "-1d", "--incident", id)
	if tl := e.ok("timeline", id, "--kind", "action"); !strings.Contains(tl, "key.age") && !strings.Contains(tl, "in service") {
		t.Fatalf("the check is not on the record:\n%s", tl)
	}
}

// TestPlansShowNamesExactly: a file named with a leading space is shown
// with it in the plan (it read as its neighbour without it).
func TestPlansShowNamesExactly(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	for _, n := range []string{"lead", " lead"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := e.ok("evidence", "add", id, filepath.Join(dir, " lead"), "--dry-run")
	if !strings.Contains(out, dir+"/ lead") {
		t.Fatalf("the plan does not show the name as it is:\n%s", out)
	}
}

// TestAFileNamedLikeAFlagIsRefused: a glob that expands to a file named
// --yes or --json (a hostile directory) is refused, not taken as the flag.
func TestAFileNamedLikeAFlagIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, n := range []string{"a.txt", "--yes"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.fail(2, "is both a flag and a file", "evidence", "quarantine", id, "a.txt", "--yes")
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal("the file was quarantined")
	}
	out := e.ok("evidence", "add", id, "--dry-run", "--", "a.txt", "--yes")
	if !strings.Contains(out, "--yes") {
		t.Fatalf("after -- the file is a path:\n%s", out)
	}
}

// TestDryRunRecordsNothing: run --dry-run --set shows the plan with the
// facts given and records none of them.
func TestDryRunRecordsNothing(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	before := e.ok("timeline", id, "--json")
	out := e.ok("run", id, "generate-key", "--set", "new_key_name="+filepath.Join(t.TempDir(), "next"), "--dry-run")
	if !strings.Contains(out, "dry run") {
		t.Fatalf("%s", out)
	}
	if after := e.ok("timeline", id, "--json"); after != before {
		t.Fatalf("a dry run recorded something:\n%s", after)
	}
}

// TestHashRecursive: hash --recursive prints every regular file under the
// directories in byte order of the path (find -type f | LC_ALL=C sort),
// leaving out links and special files, in sha256sum's format; where
// sha256sum is installed the output is byte-identical to it.
func TestHashRecursive(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	files := map[string]string{"a/b/c": "1\n", "a/b-x/d": "2\n", "a/sp ace": "3\n", "z": "4\n"}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(name), 0o700)
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("b/c", "a/link")
	syscall.Mkfifo("a/fifo", 0o600)
	out := e.ok("hash", "--recursive", "a", "z")
	var want strings.Builder
	for _, name := range []string{"a/b-x/d", "a/b/c", "a/sp ace", "z"} {
		fmt.Fprintf(&want, "%x  %s\n", sha256.Sum256([]byte(files[name])), name)
	}
	if out != want.String() {
		t.Fatalf("got\n%s\nwant\n%s", out, want.String())
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		ref, err := exec.Command("sha256sum", "a/b-x/d", "a/b/c", "a/sp ace", "z").Output()
		if err != nil || string(ref) != out {
			t.Fatalf("sha256sum says\n%s(%v)", ref, err)
		}
	}
}

// TestOpenWarnsOfAPathThatDoesNotExist: a mistyped key path is noticed
// when it is given, not when isolate-key fails on it.
func TestOpenWarnsOfAPathThatDoesNotExist(t *testing.T) {
	e := newEnv(t)
	_, stderr, code := e.run("incident", "open", "--playbook", "INC-1", "--title", "typo", "--fact", "key_path=/no/such/key.sec")
	if code != 0 || !strings.Contains(stderr, "warning: key_path: /no/such/key.sec does not exist") || !strings.Contains(stderr, "firebreak fact") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestRunOnAClosedIncidentDoesNothing: run refuses a closed incident's
// step before it plans, sets a fact or moves anything (it used to
// quarantine the module, then refuse).
func TestRunOnAClosedIncidentDoesNothing(t *testing.T) {
	e := newEnv(t)
	mod := filepath.Join(t.TempDir(), "m.wasm")
	os.WriteFile(mod, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	id := strings.TrimSpace(e.ok("incident", "open", "--playbook", "INC-2", "--title", "closed", "--fact", "module_path="+mod))
	e.ok("incident", "close", id, "--reason", "done")
	_, stderr, code := e.run("run", id, "quarantine-module", "--yes", "--set", "signer_key_id=abcd")
	if code == 0 || !strings.Contains(stderr, "is closed") || !strings.Contains(stderr, "incident reopen") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(mod); err != nil {
		t.Fatal("the module was moved")
	}
	if tl := e.ok("timeline", id); strings.Contains(tl, "evidence.added") || strings.Contains(tl, "signer_key_id") {
		t.Fatalf("something was recorded:\n%s", tl)
	}
}

// TestFactWarnsOfAPathThatDoesNotExist: firebreak fact warns as
// incident open does.
func TestFactWarnsOfAPathThatDoesNotExist(t *testing.T) {
	e := newEnv(t)
	key := filepath.Join(t.TempDir(), "k.sec")
	os.WriteFile(key, nil, 0o600)
	id := strings.TrimSpace(e.ok("incident", "open", "--playbook", "INC-1", "--title", "f", "--fact", "key_path="+key))
	_, stderr, code := e.run("fact", id, "key_path=/no/such.sec")
	if code != 0 || !strings.Contains(stderr, "warning: key_path: /no/such.sec does not exist") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
