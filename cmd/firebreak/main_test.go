package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary doubles as firebreak when this variable is set, so the
// tests below run the real program as a separate process.
const asFirebreak = "FIREBREAK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asFirebreak) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func firebreak(t *testing.T, home string, args ...string) (string, string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asFirebreak+"=1", "FIREBREAK_HOME="+home, "FIREBREAK_ACTOR=oncall")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestProcessExitCodesAndStreams(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	keyFile := filepath.Join(t.TempDir(), "k.sec") // exists: a path that does not is warned of on stderr
	if err := os.WriteFile(keyFile, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := firebreak(t, home, "incident", "open", "--playbook", "INC-1", "--title", "e2e", "--fact", "key_path="+keyFile)
	if code != 0 || !strings.Contains(out, "-inc1-e2e") || errs != "" {
		t.Fatalf("open: %d %q %q", code, out, errs)
	}
	id := strings.TrimSpace(out)
	if _, _, code := firebreak(t, home, "step", id, "1.1", "done"); code != 0 {
		t.Fatalf("step: exit %d", code)
	}
	out, errs, code = firebreak(t, home, "timeline", "verify", id)
	if code != 0 || !strings.HasPrefix(out, "OK "+id) {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	out, errs, code = firebreak(t, home, "step", "no-such-incident", "1.1", "done")
	if code != 1 || out != "" || !strings.HasPrefix(errs, "firebreak: error: no incident") || !strings.Contains(errs, "firebreak: hint: recent incidents: "+id) {
		t.Fatalf("unknown incident: %d %q %q", code, out, errs)
	}
	_, errs, code = firebreak(t, home, "frobnicate")
	if code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Fatalf("usage error: %d %q", code, errs)
	}
	// Not a terminal: the bare command prints the list, never starts a UI.
	out, _, code = firebreak(t, home)
	if code != 0 || !strings.Contains(out, id) {
		t.Fatalf("bare: %d %q", code, out)
	}
}
