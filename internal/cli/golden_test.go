package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/app"
)

// updating reports -update: rewrite the golden files under testdata/. The
// flag is charmbracelet/x/exp/golden's, which teatest (console_test.go)
// brings in; defining it here too would panic.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/<test>/<name>.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", t.Name(), name+".golden")
	if updating() {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestGoldenOutput pins what a responder reads: the incident view, the
// timeline and the Markdown record, with hostile text in the title.
func TestGoldenOutput(t *testing.T) {
	e := newEnv(t)
	id := e.open("--fact", "key_path=/keys/prod.sec", "--compromised", "2026-11-21 22:00", "--detected", "-30m")
	e.advance(4 * time.Minute)
	e.ok("step", id, "isolate-key", "done", "--reason", "moved | offline <now>", "--at", "2026-11-22 03:12")
	e.ok("step", id, "identify-scope", "start")
	e.advance(7 * time.Minute)
	e.ok("step", id, "notify-stakeholders", "fail", "--reason", "mail relay down")
	e.ok("note", id, "title had \x1b[31mred\x1b[0m in it")
	e.advance(15 * time.Minute)
	e.ok("milestone", id, "contained")
	e.ok("--actor", "bob", "severity", id, "high", "--reason", "scope smaller than feared")
	e.advance(20 * time.Minute) // past the first deadline: 1.2 and 1.3 are overdue
	golden(t, "show", e.ok("incident", "show", id))
	golden(t, "timeline", e.ok("timeline", id))
	md := e.ok("export", id, "--format", "md", "-o", "-")
	// The generated time changes with each call of the clock; pin the rest.
	golden(t, "export.md", md)
	if strings.Contains(md, "\x1b") || strings.Contains(e.ok("timeline", id), "\x1b") {
		t.Fatal("a raw escape sequence reached the output")
	}
}

// TestCommandsDoc keeps docs/commands.md what the command table says;
// -update rewrites it.
func TestCommandsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "commands.md")
	want := commandsMarkdown()
	if updating() {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Error("docs/commands.md differs from the command table; rewrite it: go test ./internal/cli -run TestCommandsDoc -update")
	}
	for _, c := range commands {
		if !strings.Contains(want, "### "+c.name+"\n") {
			t.Errorf("docs/commands.md has no section for %s", c.name)
		}
	}
}

// TestActionsDoc keeps docs/playbooks.md's table of actions what the
// action table says; -update rewrites it.
func TestActionsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "playbooks.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	const end = "<!-- /actions -->"
	i, j := strings.Index(s, "-update -->\n"), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("docs/playbooks.md has no <!-- actions ... -update --> ... <!-- /actions --> block")
	}
	i += len("-update -->\n")
	if want := app.MarkdownTable(); s[i:j] != want {
		if !updating() {
			t.Fatal("docs/playbooks.md's table of actions differs from the action table; rewrite it: go test ./internal/cli -run TestActionsDoc -update")
		}
		if err := os.WriteFile(path, []byte(s[:i]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHelpForACommandAndAGroup: help COMMAND prints its flags as the docs
// do (with their defaults, -o with one dash); help GROUP lists the group.
func TestHelpForACommandAndAGroup(t *testing.T) {
	e := newEnv(t)
	out := e.ok("help", "export")
	for _, want := range []string{"Usage: firebreak export ID", "--format FORMAT", "(default md)", "-o FILE", "Global flags"} {
		if !strings.Contains(out, want) {
			t.Errorf("help export lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--o ") {
		t.Errorf("a one-letter flag is shown with two dashes:\n%s", out)
	}
	out = e.ok("help", "key")
	for _, want := range []string{"firebreak key isolate", "firebreak key age", "firebreak key generate"} {
		if !strings.Contains(out, want) {
			t.Errorf("help key lacks %q:\n%s", want, out)
		}
	}
	e.fail(2, "no command", "help", "nosuch")
}
