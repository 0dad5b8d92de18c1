package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/playbooks"
)

func TestLibraryScreen(t *testing.T) {
	f := newFixture(t)
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(context.Background(), Options{Workspace: f.ws, Library: lib, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m = drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = run(t, m, m.Init())
	m = drive(t, m, typed("p")...)
	if m.screen != screenLibrary {
		t.Fatalf("p: screen %v", m.screen)
	}
	v := m.View()
	checkFrame(t, v, 120, 40)
	first := lib.All()[0]
	for _, want := range []string{"Playbook library", first.ID + " " + first.Title, "Indicators", "Facts it asks for", "[key.isolate]"} {
		if !strings.Contains(v, want) {
			t.Errorf("library lacks %q:\n%s", want, v)
		}
	}
	m = drive(t, m, down)
	if second := lib.All()[1]; !strings.Contains(m.View(), second.ID+" "+second.Title) {
		t.Errorf("down did not show %s:\n%s", second.ID, m.View())
	}
	m = drive(t, m, esc)
	if m.screen != screenHome {
		t.Fatalf("esc: screen %v", m.screen)
	}
}
