package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeExamples returns the lines of the README's ```sh blocks.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in:
			lines = append(lines, l)
		}
	}
	return lines
}

var (
	exportTemp = regexp.MustCompile(`^export ([A-Z_]+)=\$\(mktemp -d\)$`)
	assignCmd  = regexp.MustCompile(`^([A-Z_]+)=\$\(firebreak (.*)\)$`)
	varRef     = regexp.MustCompile(`\$([A-Z_]+)`)
)

// TestREADMEExamplesWork runs every line of the README's shell examples,
// as pasted, against a scratch workspace: each must succeed. A line the
// test cannot run (another command, a pipe) fails it, so an example can
// never go untested.
func TestREADMEExamplesWork(t *testing.T) {
	lines := readmeExamples(t)
	if len(lines) < 5 {
		t.Fatalf("only %d example lines in the README", len(lines))
	}
	e := newEnv(t)
	vars := map[string]string{}
	ran := 0
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := exportTemp.FindStringSubmatch(line); m != nil {
			vars[m[1]] = t.TempDir()
			if m[1] == "FIREBREAK_HOME" {
				e.home = vars[m[1]]
			}
			continue
		}
		target, cmd := "", ""
		if m := assignCmd.FindStringSubmatch(line); m != nil {
			target, cmd = m[1], m[2]
		} else if rest, ok := strings.CutPrefix(line, "firebreak "); ok {
			cmd = rest
		} else {
			t.Fatalf("README example %q is not a firebreak command this test can run", line)
		}
		args, err := splitWords(varRef.ReplaceAllStringFunc(cmd, func(v string) string {
			val, ok := vars[v[1:]]
			if !ok {
				t.Fatalf("README example %q uses %s before it is set", line, v)
			}
			return val
		}))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out, errs, code := e.run(args...)
		if code != 0 {
			t.Fatalf("README example %q: exit %d\nstdout: %s\nstderr: %s", line, code, out, errs)
		}
		if target != "" {
			vars[target] = strings.TrimSpace(out)
		}
		ran++
	}
	if ran < 5 {
		t.Fatalf("only %d README examples ran", ran)
	}
}

// TestREADMEIsForNewcomers keeps the README short (the reference is in
// docs/) and its links to docs/ alive.
func TestREADMEIsForNewcomers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 250 {
		t.Errorf("README.md is %d lines: the reference belongs in docs/", n)
	}
	for _, m := range regexp.MustCompile(`\]\(((?:docs|bench)/[^)#]+)`).FindAllStringSubmatch(string(b), -1) {
		if _, err := os.Stat(filepath.Join("..", "..", m[1])); err != nil {
			t.Errorf("README links to %s: %v", m[1], err)
		}
	}
}
