package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/firebreak-dev/firebreak/playbooks"
)

func TestWindowKeepsTheCursorVisible(t *testing.T) {
	for _, tc := range []struct{ n, cursor, h, from, to int }{
		{5, 0, 10, 0, 5},
		{5, 4, 5, 0, 5},
		{30, 0, 10, 0, 10},
		{30, 29, 10, 20, 30},
		{30, 15, 10, 10, 20},
		{30, 99, 10, 20, 30},
		{30, 3, 0, 3, 4},
	} {
		from, to := window(tc.n, tc.cursor, tc.h)
		if from != tc.from || to != tc.to {
			t.Errorf("window(%d, %d, %d) = %d, %d; want %d, %d", tc.n, tc.cursor, tc.h, from, to, tc.from, tc.to)
		}
	}
	// Every cursor of every list length stays inside its window.
	for n := 1; n < 40; n++ {
		for h := 1; h < 12; h++ {
			for c := 0; c < n; c++ {
				if from, to := window(n, c, h); c < from || c >= to || to-from > h {
					t.Fatalf("window(%d, %d, %d) = %d, %d", n, c, h, from, to)
				}
			}
		}
	}
}

// visibleLine reports whether a line of the screen holds all of want.
func visibleLine(view string, want ...string) bool {
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestSelectedRowStaysVisibleAt80x24: at 80×24 the last step of the
// SIGNING process and the 25th incident of the list used to be off
// screen when selected; the selected row (marked "> ") is always drawn,
// and the frame still fits.
func TestSelectedRowStaysVisibleAt80x24(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 25; i++ {
		f.open("INC-4", fmt.Sprintf("incident number %02d", i))
	}
	m := f.model(80, 24)
	for i := 0; i < 24; i++ {
		m = drive(t, m, down)
		if !visibleLine(m.View(), "> ") {
			t.Fatalf("after %d downs the selected incident is off screen:\n%s", i+1, m.View())
		}
		checkFrame(t, m.View(), 80, 24)
	}
	if !strings.Contains(m.View(), "more") {
		t.Fatalf("a clipped list does not say so:\n%s", m.View())
	}

	f2 := newFixture(t)
	inc := f2.open("SIGNING", "signing key leaked")
	m = f2.model(80, 24)
	m = drive(t, m, enter)
	if m.screen != screenRunner {
		t.Fatalf("screen %v", m.screen)
	}
	steps := inc.Playbook.Steps()
	for i := 1; i < len(steps); i++ {
		m = drive(t, m, down)
		s := steps[i]
		if !visibleLine(m.View(), "> ", s.Number) {
			t.Fatalf("step %s (%d of %d) selected but not on screen:\n%s", s.Number, i+1, len(steps), m.View())
		}
		checkFrame(t, m.View(), 80, 24)
	}
	for range steps {
		m = drive(t, m, tea.KeyMsg{Type: tea.KeyUp})
	}
	if !visibleLine(m.View(), "> ", steps[0].Number) {
		t.Fatalf("back at the first step it is not on screen:\n%s", m.View())
	}
}

func TestPageNeverScrollsIntoNothing(t *testing.T) {
	body := make([]string, 30)
	for i := range body {
		body[i] = fmt.Sprint(i)
	}
	id := func(s ...string) string { return strings.Join(s, "") }
	for _, tc := range []struct{ top, delta, n, h, want int }{
		{0, 8, 30, 10, 8},
		{15, 10, 30, 10, 21}, // the last page (9 lines under the ↑ line) stays full
		{20, 100, 30, 10, 21},
		{20, -100, 30, 10, 0},
		{0, 5, 5, 10, 0}, // it all fits
	} {
		if got := pageScroll(tc.top, tc.delta, tc.n, tc.h); got != tc.want {
			t.Errorf("pageScroll(%d, %d, %d, %d) = %d, want %d", tc.top, tc.delta, tc.n, tc.h, got, tc.want)
		}
	}
	got := page(body, 99, 10, id)
	if len(got) != 10 || got[9] != "29" || !strings.Contains(got[0], "↑ 21 more") {
		t.Fatalf("page past the end: %q", got)
	}
	if got := page(body, 0, 10, id); len(got) != 10 || got[0] != "0" || !strings.Contains(got[9], "↓ 21 more") {
		t.Fatalf("the first page: %q", got)
	}
	if got := page(body[:5], 3, 10, id); len(got) != 5 {
		t.Fatalf("a body that fits: %q", got)
	}
}

// TestPagingNeverSkipsALine: page down from the top to the end shows every
// line of the text (each page keeps the last line of the one before).
func TestPagingNeverSkipsALine(t *testing.T) {
	id := func(s ...string) string { return strings.Join(s, "") }
	for n := 1; n < 60; n += 7 {
		for h := 3; h < 25; h += 4 {
			body := make([]string, n)
			for i := range body {
				body[i] = fmt.Sprint("line ", i)
			}
			seen := map[string]bool{}
			top := 0
			for range n + 2 {
				for _, l := range page(body, top, h, id) {
					seen[l] = true
				}
				if len(page(body, top, h, id)) > h {
					t.Fatalf("n %d h %d: more than h lines", n, h)
				}
				top = pageScroll(top, pageStep(n, top, h), n, h)
			}
			for _, l := range body {
				if !seen[l] {
					t.Fatalf("n %d h %d: %q was never shown", n, h, l)
				}
			}
		}
	}
}

// TestPageDownStopsAtTheEnd: paging the library's detail far past its end
// leaves its last page on screen, and one page up moves back at once (it
// used to scroll into an empty pane, and take as many presses to return).
func TestPageDownStopsAtTheEnd(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	m := New(t.Context(), Options{Workspace: f.ws, Library: lib, Actor: "bob", NoColor: true, Now: func() time.Time { return f.now }})
	m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.runner.tick, m.runner.act.tick = m.tick, m.tick
	m = drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(t, m, libraryMsg{})
	pgdn, pgup := tea.KeyMsg{Type: tea.KeyPgDown}, tea.KeyMsg{Type: tea.KeyPgUp}
	m = drive(t, m, pgdn)
	once := m.View()
	for range 50 {
		m = drive(t, m, pgdn)
	}
	end := m.View()
	if !strings.Contains(end, "│ ") || strings.Count(end, "│ \n") > 12 {
		t.Fatalf("paged into an empty pane:\n%s", end)
	}
	m = drive(t, m, pgup)
	if m.View() == end {
		t.Fatalf("one page up did not move back:\n%s", m.View())
	}
	checkFrame(t, once, 80, 24)
	checkFrame(t, end, 80, 24)
}

// TestHelpIsModal: while the full help is open no key reaches the screen
// under it (s used to start the selected step unseen), and esc closes it
// without leaving the incident.
func TestHelpIsModal(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-1", "help test")
	m := f.model(80, 24)
	m = drive(t, m, enter)
	help := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}}
	m = drive(t, m, help, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'s'}}, down)
	if st := stepState(t, f, inc.Header.ID, "isolate-key"); st.State != playbooks.Pending {
		t.Fatalf("a key under the help changed the step: %v", st.State)
	}
	if !m.showAll || m.runner.cursor != 0 {
		t.Fatalf("help open %v, cursor %d", m.showAll, m.runner.cursor)
	}
	m = drive(t, m, esc)
	if m.showAll || m.screen != screenRunner {
		t.Fatalf("esc: help open %v, screen %v", m.showAll, m.screen)
	}
	m = drive(t, m, help, help)
	if m.showAll {
		t.Fatal("? does not close the help")
	}
}

// TestScrollListShowsTheCursorAndCountsTheRest: for every list length,
// height and cursor, the cursor's line is drawn, the frame is at most h
// lines, and the hidden lines are counted exactly.
func TestScrollListShowsTheCursorAndCountsTheRest(t *testing.T) {
	id := func(s ...string) string { return strings.Join(s, "") }
	for n := 0; n < 40; n++ {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprint("row ", i)
		}
		for h := 1; h < 15; h++ {
			for c := 0; c < n; c++ {
				out := scrollList(lines, c, h, id)
				if len(out) > h {
					t.Fatalf("n %d h %d c %d: %d lines", n, h, c, len(out))
				}
				shown, hidden := 0, 0
				found := false
				for _, l := range out {
					var k int
					switch {
					case l == lines[c]:
						found = true
						shown++
					case strings.HasPrefix(l, "row "):
						shown++
					default:
						if _, err := fmt.Sscanf(strings.TrimLeft(l, " ↑↓"), "%d more", &k); err == nil {
							hidden += k
						}
					}
				}
				if !found || (h >= 3 && shown+hidden != n) {
					t.Fatalf("n %d h %d c %d: cursor shown %v, %d shown + %d counted of %d: %q", n, h, c, found, shown, hidden, n, out)
				}
			}
		}
	}
}
