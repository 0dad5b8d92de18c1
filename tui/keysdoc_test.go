package tui

import (
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
)

// TestConsoleDocNamesEveryKey keeps docs/console.md's key table equal to
// the help screens: every key a screen's full help lists (what ? shows)
// appears, in backticks, in that screen's row of the table, and every
// global key in the "Everywhere" row.
func TestConsoleDocNamesEveryKey(t *testing.T) {
	b, err := os.ReadFile("../docs/console.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if cells := strings.SplitN(l, "|", 3); len(cells) == 3 && strings.HasPrefix(l, "| ") {
			rows[strings.TrimSpace(cells[1])] = cells[2]
		}
	}
	row := func(prefix string) string {
		for name, r := range rows {
			if strings.HasPrefix(name, prefix) {
				return r
			}
		}
		t.Fatalf("docs/console.md has no row for %q", prefix)
		return ""
	}
	f := newFixture(t)
	f.open("INC-1", "Key leak")
	m := f.model(120, 40)
	check := func(where, docRow string, bs []key.Binding) {
		t.Helper()
		for _, k := range bs {
			for _, part := range strings.Split(k.Help().Key, "/") {
				if part == "" {
					continue
				}
				if !strings.Contains(docRow, "`"+part+"`") {
					t.Errorf("%s: help lists %q (%s), docs/console.md's row does not", where, k.Help().Key, k.Help().Desc)
				}
			}
		}
	}
	check("home", row("Incidents (home)"), m.home.shortHelp())
	m = drive(t, m, enter)
	check("incident", row("Incident (steps"), m.runner.fullHelp())
	check("timeline", row("Timeline"), m.timeline.fullHelp())
	check("comms", row("Comms"), m.comms.fullHelp())
	check("facts", row("Facts"), m.facts.shortHelp())
	check("everywhere", row("Everywhere"), []key.Binding{m.gk.Help, m.gk.Quit, m.gk.ForceQuit})
}
