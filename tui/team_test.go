package tui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	homesync "github.com/firebreak-dev/firebreak/internal/sync"
)

// TestTeamViews: the runner shows the commander, the responder's roles and
// steps, assignees, approvals and the status-update reminder; a step that
// needs approval is refused before anything is asked, naming who may
// approve; the assignee cannot approve it; M goes to my steps.
func TestTeamViews(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		f := newFixture(t)
		inc := f.open("REVOCATION", "Revoke the leaked release key")
		ctx := context.Background()
		for _, r := range [][2]string{{"Security owner", "carol"}, {"scribe", "bob"}} {
			if _, err := inc.SetRole(ctx, "alice", r[0], r[1], time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := inc.Assign(ctx, "alice", "remove-secret", "bob", time.Time{}); err != nil {
			t.Fatal(err)
		}
		f.now = t0.Add(40 * time.Minute) // SEV-1: a status update was due at 30 min
		m := f.model(size.w, size.h)     // bob's console
		name := func(s string) string { return s + "-" + strconv.Itoa(size.w) + "x" + strconv.Itoa(size.h) }
		m = drive(t, m, enter)
		m = drive(t, m, typed("M")...) // to bob's step, remove-secret
		v := m.View()
		checkFrame(t, v, size.w, size.h)
		for _, want := range []string{"commander alice", "you: scribe", "my steps 1 (M)", "STATUS UPDATE OVERDUE 10m (u)", "@bob", "NEEDS APPROVAL"} {
			if !strings.Contains(v, want) {
				t.Fatalf("%dx%d: the runner lacks %q:\n%s", size.w, size.h, want, v)
			}
		}
		golden(t, name("runner-team"), v)

		// a: refused before any fact is asked for, naming who may approve.
		m = drive(t, m, typed("a")...)
		if m.runner.prompt != promptNone || m.runner.act.busy() || !strings.Contains(m.runner.message, "1.2 needs approval from the commander or Security owner before it runs. may approve: alice, carol (y in their console, or firebreak approve ID remove-secret)") {
			t.Fatalf("run without approval: prompt %v, message %q", m.runner.prompt, m.runner.message)
		}
		// y by the assignee: self-approval refused, before a reason is asked.
		m = drive(t, m, typed("y")...)
		if m.runner.prompt != promptNone || !strings.Contains(m.runner.message, "self-approval is refused") {
			t.Fatalf("self-approval: prompt %v, message %q", m.runner.prompt, m.runner.message)
		}
		// carol approves from her own console (or the command line).
		if _, err := inc.Approve(ctx, "carol", "remove-secret", "custody checked", time.Time{}); err != nil {
			t.Fatal(err)
		}
		m = drive(t, m, typed("r")...)
		v = m.View()
		if strings.Contains(v, "NEEDS APPROVAL") || !strings.Contains(v, "approved by carol") {
			t.Fatalf("approval not shown:\n%s", v)
		}
		// u: a status update clears the reminder.
		m = drive(t, m, typed("u")...)
		m = drive(t, m, append(typed("revoking now"), enter)...)
		if v := m.View(); strings.Contains(v, "OVERDUE 10m") || !strings.Contains(v, "status update recorded: the next is due in 30 min") {
			t.Fatalf("status update:\n%s", v)
		}
	}
}

// TestSyncKey: S syncs a home set up to sync, in the background, and the
// list and runner say when; in a home that does not sync it says how.
func TestSyncKey(t *testing.T) {
	f := newFixture(t)
	f.open("INC-1", "Release key leaked in CI logs")
	m := f.model(80, 24)
	m = drive(t, m, typed("S")...)
	if m.err == nil || !strings.Contains(m.err.Error(), "firebreak sync init --remote URL") {
		t.Fatalf("S in a home that does not sync: %v", m.err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	remote := filepath.Join(t.TempDir(), "remote.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", remote).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := homesync.Init(context.Background(), f.ws.Home, "bob", remote); err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(5 * time.Minute)
	m = f.model(80, 24)
	if v := m.View(); !strings.Contains(v, "not synced yet (S)") {
		t.Fatalf("home before a sync:\n%s", v)
	}
	// The key returns the sync as a command: nothing runs on the key.
	next, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("S")})
	m = next.(Model)
	if cmd == nil || !strings.Contains(m.View(), "syncing…") {
		t.Fatalf("S did not start a background sync:\n%s", m.View())
	}
	m = run(t, m, cmd)
	f.now = t0.Add(8 * time.Minute)
	v := m.View()
	if m.err != nil || !strings.Contains(v, "synced 3m ago (S)") {
		t.Fatalf("after the sync: %v\n%s", m.err, v)
	}
	golden(t, "home-synced-80x24", v)
	if _, err := os.Stat(filepath.Join(remote, "refs", "heads", "main")); err != nil {
		t.Fatalf("nothing was pushed: %v", err)
	}
	m = drive(t, m, enter)
	if v := m.View(); !strings.Contains(v, "synced 3m ago (S)") {
		t.Fatalf("runner:\n%s", v)
	}
}

// TestHomeSearchesInsideIncidents: / with 3 letters or more also finds
// incidents whose journal holds the text, and says what matched.
func TestHomeSearchesInsideIncidents(t *testing.T) {
	f := newFixture(t)
	one := f.open("INC-1", "Release key leaked in CI logs")
	f.now = t0.Add(time.Minute)
	f.open("INC-4", "libwasm CVE-2026-1234")
	if err := one.Note(context.Background(), "alice", "the PAT was found in a gist by Mallory", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m := f.model(80, 24)
	m = drive(t, m, typed("/")...)
	m = drive(t, m, typed("mallory")...)
	v := m.View()
	if !strings.Contains(v, "Incidents (1)") || !strings.Contains(v, "Release key leaked") || !strings.Contains(v, "found: alice note: the PAT was found in a gist by Mallory") {
		t.Fatalf("search inside:\n%s", v)
	}
	golden(t, "home-search-80x24", v)
	// Two letters filter the titles only.
	m = drive(t, m, esc)
	m = drive(t, m, typed("/ma")...)
	if v := m.View(); !strings.Contains(v, "No incident matches") {
		t.Fatalf("a 2-letter filter searched inside:\n%s", v)
	}
}
