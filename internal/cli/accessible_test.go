package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccessibleConsole drives the line-based console as a screen reader
// user would: open an incident through the questions, work steps, run an
// action whose plan is read out and confirmed on the same lines, and end.
func TestAccessibleConsole(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.ok("key", "generate", "--out", filepath.Join(dir, "leaked"))
	key := filepath.Join(dir, "leaked.pem")
	script := strings.Join([]string{
		"help",
		"new",
		"INC-1",
		"Release key on a public gist",
		"SEV-1",
		key,
		"-40m",
		"start 1.1",
		"guide 1.1",
		"skip 1.3", // no reason: asked for one
		"note 'first look: the gist is 2 hours old'",
		"run isolate-key",
		"nope", // the wrong word: not confirmed, nothing moved
		"run isolate-key",
		"isolate",
		"milestone contained",
		"status contained, rotating",
		"assign 2.1 bob",
		"followup move the key into an HSM",
		"approve 2.1", // no reason: asked for one
		"sync",        // not set up: says how
		"timeline",
		"back",
		"list",
		"quit",
	}, "\n") + "\n"
	var out, errb bytes.Buffer
	a := e.app(&out, &errb)
	a.stdin = strings.NewReader(script)
	if code := a.run([]string{"--accessible"}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	got := out.String()
	if !strings.Contains(errb.String(), "hint: firebreak sync init --remote URL") {
		t.Fatalf("sync in a home that does not sync: %s", errb.String())
	}
	for _, want := range []string{
		"accessible mode",
		"Commands:",
		"Playbook number or id",
		"Critical (SEV-1)",
		"Compromised private key file (key_path, required): ",
		"Opened 2026-11-22-inc1-release-key-on-a-public-gist.",
		"1.1 isolate-key: started",
		"Step 1.1, Isolate the key (isolate-key). State: started.",
		"Action: key.isolate.",
		"Say why: skip STEP REASON.",
		"Say which step and why: approve STEP REASON.",
		"status: contained, rotating",
		"step 2.1 assigned to bob",
		"follow-up: move the key into an HSM",
		"Type isolate to go ahead, anything else cancels: ",
		"step 1.1 isolate-key: done",
		"first look: the gist is 2 hours old",
		"milestone",
		"Active incidents:",
		"1. INC-1 incident, 2026-11-22-inc1-release-key-on-a-public-gist, severity Critical (SEV-1)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Error("escape sequences in accessible output")
	}
	if !strings.Contains(errb.String(), "not confirmed") || strings.Count(got, "Type isolate to go ahead") != 2 {
		t.Errorf("the wrong word should not confirm; stderr:\n%s", errb.String())
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", got, errb.String())
	}
	if _, err := os.Lstat(key); !os.IsNotExist(err) {
		t.Errorf("the key was not isolated: %v", err)
	}
	isolated := filepath.Join(e.home, "incidents", "2026-11-22-inc1-release-key-on-a-public-gist", "keys", "leaked.pem")
	if fi, err := os.Lstat(isolated); err != nil || fi.Mode().Perm() != 0 {
		t.Errorf("not isolated in keys/ with mode 0000: %v %v", fi, err)
	}
	// Ended by EOF as well as by quit.
	a = e.app(&out, &errb)
	a.stdin = strings.NewReader("list\n")
	if code := a.run([]string{"--accessible"}); code != 0 {
		t.Fatalf("EOF: exit %d", code)
	}
}

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  done  1.1 ", []string{"done", "1.1"}, false},
		{`note "two words" 'and three more'`, []string{"note", "two words", "and three more"}, false},
		{`note ""`, []string{"note", ""}, false},
		{`note "open`, nil, true},
		{"a\tb", []string{"a", "b"}, false},
	} {
		got, err := splitWords(tc.in)
		if (err != nil) != tc.err || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("splitWords(%q) = %q, %v", tc.in, got, err)
		}
	}
}
