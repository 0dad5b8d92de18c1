package journal

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const helperEnv = "FIREBREAK_JOURNAL_CRASH_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		crashHelper(dir)
		return
	}
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(filepath.Dir(bigDir)) // the benchmarks' 100k journal
	}
	os.Exit(code)
}

// crashHelper appends forever and prints each seq once Append has returned,
// that is once the line is fsynced. Every other event is large, so that a
// kill can land inside a write.
func crashHelper(dir string) {
	j := New(dir)
	w := bufio.NewWriter(os.Stdout)
	big := strings.Repeat("x", 256<<10)
	for i := 0; ; i++ {
		data := map[string]any{"i": i}
		if i%2 == 1 {
			data["pad"] = big
		}
		e, err := j.Append(context.Background(), Entry{Actor: "crash", Kind: "note", Summary: "crash loop " + strconv.Itoa(i), Data: data})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintln(w, e.Seq)
		w.Flush()
	}
}

// TestKillAtRandomMoments kills appending processes with SIGKILL at random
// moments, round after round on the same journal. After each kill the chain
// verifies (at most a torn tail, which Repair sets aside) and every event
// acknowledged as fsynced is still there.
func TestKillAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "journal")
	j := New(dir)
	rng := rand.New(rand.NewSource(1))
	rounds := 12
	var acked int64
	torn := 0
	for round := 0; round < rounds; round++ {
		// Two processes append to the same file at once; both are killed.
		var cmds []*exec.Cmd
		var outs []*bufio.Scanner
		for p := 0; p < 2; p++ {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
			outs = append(outs, bufio.NewScanner(out))
		}
		// Kill once the first helper has announced a random number of
		// fsynced appends (never on a timer: on a loaded machine a timer can
		// fire before a helper has done anything). The other helper is
		// wherever it happens to be, mid-write or waiting for the lock.
		want := 1 + rng.Intn(4)
		seen := 0
		for seen < want && outs[0].Scan() {
			if n, err := strconv.ParseInt(outs[0].Text(), 10, 64); err == nil {
				seen++
				acked = max(acked, n)
			}
		}
		if seen < want {
			t.Fatalf("round %d: the helper stopped after %d appends", round, seen)
		}
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGKILL)
		}
		for i, c := range cmds {
			for outs[i].Scan() {
				if n, err := strconv.ParseInt(outs[i].Text(), 10, 64); err == nil && n > acked {
					acked = n
				}
			}
			_ = c.Wait()
		}
		rep, err := j.Verify(context.Background(), VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) > 0 {
			t.Fatalf("round %d: chain broken after SIGKILL: %v", round, rep.Problems[0])
		}
		if len(rep.Files) > 0 && rep.Files[0].Torn != nil {
			torn++
			if _, err := j.Repair(context.Background()); err != nil {
				t.Fatal(err)
			}
			if rep, _ = j.Verify(context.Background(), VerifyOptions{}); !rep.Intact() {
				t.Fatalf("round %d: not intact after repair", round)
			}
		}
		var head int64
		if len(rep.Files) > 0 {
			head = rep.Files[0].HeadSeq
		}
		if head < acked {
			t.Fatalf("round %d: seq %d was acknowledged but the journal ends at %d", round, acked, head)
		}
	}
	if acked == 0 {
		t.Fatal("the helpers never appended: the test proved nothing")
	}
	t.Logf("%d rounds, %d events acknowledged, %d torn tails repaired", rounds, acked, torn)
}
