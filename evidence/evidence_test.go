package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
)

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func write(t testing.TB, path string, b []byte) string {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func newStore(t *testing.T) (*Store, string) {
	root := t.TempDir()
	s := NewEvidenceStore(filepath.Join(root, "evidence"))
	return s, root
}

func TestQuarantineMovesVerifiesAndRecords(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	a := write(t, filepath.Join(root, "src", "malicious.wasm"), []byte("\x00asm evil"))
	b := write(t, filepath.Join(root, "other", "malicious.wasm"), []byte("\x00asm evil 2"))
	odd := write(t, filepath.Join(root, "src", "name with spaces\nand a newline\\.txt"), []byte("odd"))
	empty := write(t, filepath.Join(root, "src", "empty"), nil)
	mt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(a, mt, mt)
	es, err := s.Take(ctx, []string{a, b, odd, empty}, Options{Move: true, Actor: "alice", Operation: "quarantine"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 4 || es[0].Name != "malicious.wasm" || es[1].Name != "malicious-2.wasm" {
		t.Fatalf("names: %+v", es)
	}
	for _, p := range []string{a, b, odd, empty} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("original %s still there", p)
		}
	}
	e := es[0]
	if e.SHA256 != sha([]byte("\x00asm evil")) || e.Size != 9 || !e.SourceRemoved || e.Original.Path != a || e.Original.Perm != "0640" || !e.Original.MTime.Equal(mt) || e.AddedBy != "alice" {
		t.Fatalf("entry: %+v", e)
	}
	fi, _ := os.Stat(filepath.Join(s.Dir, "malicious.wasm"))
	if fi.Mode().Perm() != 0o400 || !fi.ModTime().Equal(mt) {
		t.Fatalf("stored mode %v mtime %v", fi.Mode().Perm(), fi.ModTime())
	}
	if es[3].SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatal("empty file hash")
	}
	m, _ := s.ReadManifest()
	if len(m.Files) != 4 {
		t.Fatalf("manifest has %d files", len(m.Files))
	}
	// sha256sum -c passes in the evidence directory, odd names included.
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "-c", HashesFile)
		cmd.Dir = s.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	rep, err := s.Verify(ctx, nil, nil)
	if err != nil || !rep.OK() || rep.Checked != 4 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestSameFileTwiceIsTakenOnce(t *testing.T) {
	s, root := newStore(t)
	p := write(t, filepath.Join(root, "dup.bin"), []byte("d"))
	plan, err := s.Preview([]string{p, p}, false)
	if err != nil || len(plan) != 1 {
		t.Fatalf("preview: %v %+v", err, plan)
	}
	es, err := s.Take(context.Background(), []string{p, filepath.Join(root, ".", "dup.bin")}, Options{Move: true})
	if err != nil || len(es) != 1 {
		t.Fatalf("take: %v %+v", err, es)
	}
}

func TestAddCopiesAndKeepsTheOriginal(t *testing.T) {
	s, root := newStore(t)
	src := write(t, filepath.Join(root, "log.txt"), []byte("workflow log"))
	es, err := s.Take(context.Background(), []string{src}, Options{Actor: "bob", Operation: "add"})
	if err != nil || len(es) != 1 || es[0].SourceRemoved {
		t.Fatalf("%v %+v", err, es)
	}
	if b, _ := os.ReadFile(src); string(b) != "workflow log" {
		t.Fatal("original changed")
	}
}

func TestRefusalsChangeNothing(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	good := write(t, filepath.Join(root, "good"), []byte("g"))
	dir := filepath.Join(root, "dir")
	write(t, filepath.Join(dir, "x"), []byte("x"))
	fifo := filepath.Join(root, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(s.Dir, 0o700)
	inside := write(t, filepath.Join(s.Dir, "already"), []byte("a"))
	into := filepath.Join(root, "link-into")
	os.Symlink(inside, into)
	for _, tc := range []struct {
		path string
		want error
	}{
		{dir, ErrDirectory},
		{fifo, ErrSpecial},
		{inside, ErrInStore},
		{into, ErrIntoStore},
		{filepath.Join(root, "missing"), os.ErrNotExist},
		{"/dev/null", ErrSpecial},
	} {
		// A good file first: the bad one must stop the batch before anything moves.
		_, err := s.Take(ctx, []string{good, tc.path}, Options{Move: true, Operation: "quarantine"})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: err = %v, want %v", tc.path, err, tc.want)
		}
		if _, err := os.Stat(good); err != nil {
			t.Fatalf("%s: the good file moved although the batch was refused", tc.path)
		}
	}
	if m, _ := s.ReadManifest(); len(m.Files) != 0 {
		t.Fatal("manifest changed")
	}
}

func TestSymlinksAndRecursive(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	tree := filepath.Join(root, "drop")
	write(t, filepath.Join(tree, "a.wasm"), []byte("a"))
	write(t, filepath.Join(tree, "sub", "b.wasm"), []byte("b"))
	os.Symlink("/etc/passwd", filepath.Join(tree, "sub", "link"))
	es, err := s.Take(ctx, []string{tree}, Options{Move: true, Recursive: true, Operation: "quarantine"})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]Entry{}
	for _, e := range es {
		names[e.Name] = e
	}
	if len(es) != 3 || names["drop/sub/b.wasm"].SHA256 != sha([]byte("b")) || names["drop/sub/link"].Type != TypeSymlink || names["drop/sub/link"].LinkTarget != "/etc/passwd" {
		t.Fatalf("entries: %+v", es)
	}
	if _, err := os.Stat(tree); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("emptied tree not removed")
	}
	if got, _ := os.Readlink(filepath.Join(s.Dir, "drop", "sub", "link")); got != "/etc/passwd" {
		t.Fatalf("link stored as %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(s.Dir, HashesFile)); bytes.Contains(b, []byte("link")) {
		t.Fatal("a symlink in hashes.txt would make sha256sum -c follow it")
	}
	if rep, _ := s.Verify(ctx, nil, nil); !rep.OK() {
		t.Fatalf("verify: %+v", rep.Problems)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	var paths []string
	for _, n := range []string{"a", "b", "c"} {
		paths = append(paths, write(t, filepath.Join(root, n), []byte(n)))
	}
	if _, err := s.Take(ctx, paths, Options{Move: true}); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(s.Dir, "a"), 0o600)
	os.WriteFile(filepath.Join(s.Dir, "a"), []byte("A"), 0o600)
	os.Remove(filepath.Join(s.Dir, "b"))
	os.WriteFile(filepath.Join(s.Dir, "planted"), []byte("p"), 0o600)
	os.WriteFile(filepath.Join(s.Dir, incomingPfx+"0000-c"), []byte("half"), 0o600)
	rep, err := s.Verify(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, p := range rep.Problems {
		kinds[p.Name] = p.Kind
	}
	want := map[string]string{"a": ProblemMismatch, "b": ProblemMissing, "planted": ProblemUnlisted}
	for k, v := range want {
		if kinds[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, kinds[k], v, kinds)
		}
	}
	if len(rep.Problems) != 3 {
		t.Fatalf("problems: %+v", rep.Problems)
	}
	// An interrupted copy is a leftover, not a failure of good evidence.
	if len(rep.Leftovers) != 1 || rep.Leftovers[0].Name != incomingPfx+"0000-c" || rep.Leftovers[0].Kind != ProblemIncomplete {
		t.Fatalf("leftovers: %+v", rep.Leftovers)
	}
}

func TestSumLineMatchesSha256sum(t *testing.T) {
	for name, want := range map[string]string{
		"plain.txt":  "x  plain.txt\n",
		"a\nb":       `\x  a\nb` + "\n",
		`c\d`:        `\x  c\\d` + "\n",
		"with space": "x  with space\n",
	} {
		if got := SumLine("x", name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}

func TestHashFilesMatchesSha256sum(t *testing.T) {
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum not installed")
	}
	dir := t.TempDir()
	var paths []string
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		b := make([]byte, rng.Intn(3*BufSize))
		rng.Read(b)
		paths = append(paths, write(t, filepath.Join(dir, fmt.Sprintf("f%02d", i)), b))
	}
	paths = append(paths, write(t, filepath.Join(dir, "odd\nname"), []byte("odd")))
	var ours strings.Builder
	err = HashFiles(context.Background(), paths, 3, func(r HashResult) error {
		if r.Err != nil {
			return r.Err
		}
		ours.WriteString(SumLine(r.Sum, r.Path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := exec.Command(sum, paths...).Output()
	if err != nil {
		t.Fatal(err)
	}
	if ours.String() != string(theirs) {
		t.Fatal("output differs from sha256sum's")
	}
}

const crashEnv = "FIREBREAK_EVIDENCE_CRASH_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashHelper(dir)
		return
	}
	os.Exit(m.Run())
}

// crashHelper quarantines fresh files forever, announcing each file's hash
// before it starts.
func crashHelper(dir string) {
	s := NewEvidenceStore(filepath.Join(dir, "evidence"))
	j := journal.New(filepath.Join(dir, "journal"))
	w := bufio.NewWriter(os.Stdout)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; ; i++ {
		b := make([]byte, BufSize/2+rng.Intn(4*BufSize))
		rng.Read(b)
		p := filepath.Join(dir, "src", fmt.Sprintf("f%d-%d", os.Getpid(), i))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			os.Exit(3)
		}
		fmt.Fprintf(w, "%s %s\n", p, sha(b))
		w.Flush()
		rec := func(e Entry) error {
			_, err := j.Append(context.Background(), journal.Entry{Actor: "crash", Kind: "evidence.added", Summary: "x", Data: e})
			return err
		}
		if _, err := s.Take(context.Background(), []string{p}, Options{Move: true, Operation: "quarantine", Record: rec, Incident: "crash-inc"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}

// TestKillDuringQuarantine kills a quarantining process at random moments:
// every file announced is afterwards at its source, intact, or in the
// evidence directory with its hash — never neither.
func TestKillDuringQuarantine(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, _ := os.Executable()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(2))
	files := map[string]string{}
	rounds := 40
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the first announcement (a slow start, under -race say,
		// must not make the round empty), then kill at a random moment.
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			if p, h, ok := strings.Cut(sc.Text(), " "); ok {
				files[p] = h
			}
		}
		// The kill's moment is random; what is checked does not depend on it.
		time.Sleep(time.Duration(rng.Intn(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() {
			if p, h, ok := strings.Cut(sc.Text(), " "); ok {
				files[p] = h
			}
		}
		cmd.Wait()
	}
	if len(files) < rounds {
		t.Fatalf("only %d files announced in %d rounds: the test proved little", len(files), rounds)
	}
	// What the journal recorded, by hash, and whether the stored copy
	// still reads as recorded. A torn final record (the kill landed in the
	// write) is set aside first: it recorded nothing.
	j := journal.New(filepath.Join(dir, "journal"))
	if _, err := j.Repair(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, _, err := j.Timeline()
	if err != nil {
		t.Fatal(err)
	}
	s := NewEvidenceStore(filepath.Join(dir, "evidence"))
	var recorded []Entry
	held := map[string]bool{}
	for _, ev := range evs {
		var e Entry
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, e)
		if h, _, err := HashFile(context.Background(), filepath.Join(s.Dir, e.Name)); err == nil && h == e.SHA256 {
			held[h] = true
		}
	}
	moved, stayed, both := 0, 0, 0
	for p, h := range files {
		b, err := os.ReadFile(p)
		switch {
		case err == nil && sha(b) == h:
			stayed++
			if held[h] {
				both++
			}
		case err == nil:
			t.Errorf("%s changed at its source", p)
		case held[h]:
			moved++
		default:
			t.Errorf("%s (sha256 %s…) was removed without a record of its copy", p, h[:12])
		}
	}
	// Every recorded copy verifies; what the kills left is leftovers,
	// which clean removes, after which the store verifies clean.
	rep, err := s.Verify(context.Background(), recorded, nil)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("verify against the journal: %v %+v", err, rep.Problems)
	}
	names := map[string]bool{}
	for _, e := range recorded {
		names[e.Name] = true
	}
	if _, err := s.Clean(context.Background(), "crash-inc", func(n string) bool { return names[n] }); err != nil {
		t.Fatal(err)
	}
	// Clean removed this incident's unrecorded copies; a copy killed
	// before its manifest line names no incident and is left in place
	// for a person — its original must still be at its source.
	rep, _ = s.Verify(context.Background(), recorded, nil)
	atSource := map[string]bool{}
	for p, h := range files {
		if b, err := os.ReadFile(p); err == nil && sha(b) == h {
			atSource[h] = true
		}
	}
	for _, p := range rep.Problems {
		h, _, err := HashFile(context.Background(), filepath.Join(s.Dir, p.Name))
		if p.Kind != ProblemUnlisted && p.Kind != ProblemUnrecorded || err != nil || !atSource[h] {
			t.Fatalf("after clean: %+v", p)
		}
	}
	if len(rep.Leftovers) != 0 {
		t.Fatalf("leftovers after clean: %+v", rep.Leftovers)
	}
	t.Logf("%d files, %d kills: %d moved, %d still at the source (%d of them also recorded in evidence: killed between record and removal)", len(files), rounds, moved, stayed, both)
}

// BenchmarkHashFile64MiB is the streaming hash of one file (see bench/hash.sh
// for the comparison with openssl and sha256sum).
func BenchmarkHashFile64MiB(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f")
	buf := make([]byte, 64<<20)
	rand.New(rand.NewSource(3)).Read(buf)
	os.WriteFile(p, buf, 0o600)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, _, err := HashFile(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuarantineAcrossFilesystems moves a file from tmpfs (/dev/shm) into a
// store on the disk: a rename cannot do that, the copy must.
func TestQuarantineAcrossFilesystems(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "firebreak-*")
	if err != nil {
		t.Skip("no writable /dev/shm")
	}
	defer os.RemoveAll(shm)
	var a, b syscall.Statfs_t
	s, _ := newStore(t)
	os.MkdirAll(s.Dir, 0o700)
	if syscall.Statfs(shm, &a) != nil || syscall.Statfs(s.Dir, &b) != nil || a.Type == b.Type {
		t.Skip("/dev/shm is not a different filesystem here")
	}
	src := write(t, filepath.Join(shm, "payload.bin"), bytes.Repeat([]byte("x"), 3*BufSize+7))
	es, err := s.Take(context.Background(), []string{src}, Options{Move: true})
	if err != nil || len(es) != 1 || !es[0].SourceRemoved {
		t.Fatalf("%v %+v", err, es)
	}
	if rep, _ := s.Verify(context.Background(), nil, nil); !rep.OK() {
		t.Fatalf("%+v", rep.Problems)
	}
}
