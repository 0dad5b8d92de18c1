package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

type openMsg struct{ id string }

// libraryMsg asks for the playbook library.
type libraryMsg struct{}

// newMsg asks for the new-incident wizard.
type newMsg struct{ drill bool }

// drillMsg asks to run a sandbox drill, as firebreak drill KIND does.
type drillMsg struct{ kind drill.Kind }

type homeModel struct {
	st     styles.Styles
	nav    keys.Nav
	now    func() time.Time
	rows   []app.Summary
	cursor int
	filter textinput.Model
	typing bool
	w, h   int
	// picking: D asked which sandbox drill to start; pick is the cursor.
	picking bool
	pick    int
	// titles are the drills' playbook titles, by kind (from the library).
	titles map[drill.Kind]string
	sync   *syncState
	// search looks inside every incident's journal for the filter's text
	// (3 characters or more), in the background; hits are the incidents
	// found for hitsFor, each with what matched.
	search    func(q string, seq int) tea.Cmd
	searchSeq int
	hits      map[string]string
	hitsFor   string
}

// homeHitsMsg is what a search inside the journals found.
type homeHitsMsg struct {
	q    string
	seq  int
	hits map[string]string
	err  error
}

// minSearch is the shortest filter that is also searched for inside the
// incidents' journals.
const minSearch = 3

// homeSearchCmd finds the incidents whose journal holds q, with the first
// matching event of each.
func homeSearchCmd(ctx context.Context, ws *incident.Workspace, q string, seq int) tea.Cmd {
	return func() tea.Msg {
		hits := map[string]string{}
		err := ws.Search(ctx, incident.SearchOptions{Text: q}, func(h incident.Hit) error {
			if _, ok := hits[h.Incident]; !ok {
				what := h.Summary
				if h.Excerpt != "" {
					what = h.Excerpt
				}
				hits[h.Incident] = h.Actor + " " + h.Kind + ": " + what
			}
			return nil
		})
		return homeHitsMsg{q: q, seq: seq, hits: hits, err: err}
	}
}

func newHome(st styles.Styles, now func() time.Time) homeModel {
	ti := newInput("/ ", "filter by id, title, playbook; 3+ letters also search inside")
	return homeModel{st: st, nav: keys.NewNav(), now: now, filter: ti}
}

func (h *homeModel) setSize(w, ht int) { h.w, h.h = w, ht }

// setRows shows a new list, the cursor staying on the incident it was on
// (the list is sorted by urgency, so rows move as incidents change).
func (h *homeModel) setRows(rows []app.Summary) {
	selected := ""
	if vis := h.visible(); h.cursor < len(vis) {
		selected = vis[h.cursor].ID
	}
	h.rows = rows
	vis := h.visible()
	for i, r := range vis {
		if r.ID == selected {
			h.cursor = i
			return
		}
	}
	h.cursor = min(h.cursor, max(len(vis)-1, 0))
}

func (h homeModel) filtering() bool { return h.typing || h.picking }

func (h homeModel) visible() []app.Summary {
	q := strings.ToLower(strings.TrimSpace(h.filter.Value()))
	if q == "" {
		return h.rows
	}
	var out []app.Summary
	for _, r := range h.rows {
		_, found := h.hits[r.ID]
		if strings.Contains(strings.ToLower(r.ID+" "+r.Title+" "+r.Playbook), q) || found && h.hitsFor == q {
			out = append(out, r)
		}
	}
	return out
}

// searchCmd starts a search inside the journals for the filter's text, or
// forgets the last one when the text is too short.
func (h *homeModel) searchCmd() tea.Cmd {
	q := strings.ToLower(strings.TrimSpace(h.filter.Value()))
	h.searchSeq++
	if len([]rune(q)) < minSearch || h.search == nil {
		h.hits, h.hitsFor = nil, ""
		return nil
	}
	return h.search(q, h.searchSeq)
}

func (h homeModel) update(msg tea.Msg) (homeModel, tea.Cmd) {
	if hm, ok := msg.(homeHitsMsg); ok {
		if hm.seq == h.searchSeq && hm.err == nil {
			h.hits, h.hitsFor = hm.hits, hm.q
		}
		return h, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return h, nil
	}
	if h.typing {
		switch km.Type {
		case tea.KeyEnter:
			h.typing = false
			h.filter.Blur()
			return h, nil
		case tea.KeyEsc:
			h.typing = false
			h.filter.Blur()
			h.filter.SetValue("")
			h.searchCmd()
			return h, nil
		}
		before := h.filter.Value()
		var cmd tea.Cmd
		h.filter, cmd = h.filter.Update(msg)
		h.cursor = 0
		if h.filter.Value() != before {
			return h, tea.Batch(cmd, h.searchCmd())
		}
		return h, cmd
	}
	if h.picking {
		return h.updatePick(km)
	}
	vis := h.visible()
	switch {
	case km.Type == tea.KeyEsc && h.filter.Value() != "":
		selected := ""
		if h.cursor < len(vis) {
			selected = vis[h.cursor].ID
		}
		h.filter.SetValue("")
		h.searchCmd()
		h.cursor = 0
		for i, r := range h.visible() {
			if r.ID == selected {
				h.cursor = i // the incident chosen through the filter stays chosen
			}
		}
	case key.Matches(km, h.nav.Up):
		h.cursor = max(h.cursor-1, 0)
	case key.Matches(km, h.nav.Down):
		h.cursor = min(h.cursor+1, max(len(vis)-1, 0))
	case key.Matches(km, h.nav.Top):
		h.cursor = 0
	case key.Matches(km, h.nav.Bottom):
		h.cursor = max(len(vis)-1, 0)
	case key.Matches(km, h.nav.Filter):
		h.typing = true
		return h, h.filter.Focus()
	case key.Matches(km, h.nav.New):
		return h, func() tea.Msg { return newMsg{} }
	case key.Matches(km, h.nav.Drill):
		// Only the sandbox drills: a "drill" of a real playbook would ask
		// for the real key and act on it.
		h.picking, h.pick = true, 0
	case key.Matches(km, h.nav.Library):
		return h, func() tea.Msg { return libraryMsg{} }
	case key.Matches(km, h.nav.Open):
		if h.cursor < len(vis) && vis[h.cursor].Status != "unreadable" {
			id := vis[h.cursor].ID
			return h, func() tea.Msg { return openMsg{id: id} }
		}
	}
	return h, nil
}

// updatePick chooses the sandbox drill: ↑/↓ or its number, enter starts
// it, esc gives up.
func (h homeModel) updatePick(km tea.KeyMsg) (homeModel, tea.Cmd) {
	switch {
	case km.Type == tea.KeyEsc || km.String() == "q":
		h.picking = false
	case key.Matches(km, h.nav.Up):
		h.pick = max(h.pick-1, 0)
	case key.Matches(km, h.nav.Down):
		h.pick = min(h.pick+1, len(drill.Kinds)-1)
	case len(km.Runes) == 1 && km.Runes[0] >= '1' && int(km.Runes[0]-'1') < len(drill.Kinds):
		h.pick = int(km.Runes[0] - '1')
		fallthrough
	case km.Type == tea.KeyEnter:
		h.picking = false
		kind := drill.Kinds[h.pick]
		return h, func() tea.Msg { return drillMsg{kind: kind} }
	}
	return h, nil
}

func (h homeModel) viewPick() string {
	var b strings.Builder
	b.WriteString(h.st.Title.Render("Start a sandbox drill") + "\n\n")
	b.WriteString(strings.Join(wrap("A drill works its playbook against a throwaway sandbox (a git repository, keys, modules and a simulated GitHub, all in a temporary directory), with the same actions as a real incident, then checks the sandbox and reports PASS or FAIL. Nothing outside the sandbox is touched.", h.w), "\n") + "\n\n")
	for i, k := range drill.Kinds {
		line := fmt.Sprintf("  %d  %-15s %s", i+1, k.Playbook(), clean(h.titles[k]))
		if i == h.pick {
			line = h.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), h.w))
		}
		b.WriteString(truncate(line, h.w) + "\n")
	}
	b.WriteString("\n" + h.st.Muted.Render("enter or 1/2 start it (the console steps aside while it runs) · esc cancel") + "\n")
	return b.String()
}

func (h homeModel) view() string {
	if h.picking {
		return h.viewPick()
	}
	var b strings.Builder
	vis := h.visible()
	title := fmt.Sprintf("Incidents (%d)", len(vis))
	if s := h.sync.text(h.now()); s != "" {
		title += h.st.Muted.Render(" · " + s)
	}
	b.WriteString(truncate(h.st.Title.Render(title), h.w))
	b.WriteString("\n")
	if h.typing || h.filter.Value() != "" {
		b.WriteString(h.filter.View() + "\n")
	}
	if len(vis) == 0 {
		if len(h.rows) > 0 {
			b.WriteString(h.st.Muted.Render(fmt.Sprintf("No incident matches %q (of %d). esc clears the filter.", clean(h.filter.Value()), len(h.rows))) + "\n")
			return b.String()
		}
		b.WriteString(h.st.Muted.Render("No incidents. n opens one; D starts a drill.") + "\n")
		return b.String()
	}
	// The title says what the incident is; it takes what the fixed
	// columns leave. The selected incident's id (what commands take) is
	// shown in full under the list.
	const fixed = 2 + 5 + 1 + 10 + 1 + 1 + 14 + 1 + 5 + 1 + 6
	titleW := max(h.w-fixed, 12)
	b.WriteString(h.st.Header.Render(fmt.Sprintf("  %-5s %-10s %-*s %-14s %5s %6s", "SEV", "STATUS", titleW, "TITLE", "PLAYBOOK", "STEPS", "AGE")) + "\n")
	now := h.now()
	rows := make([]string, 0, len(vis))
	for i, r := range vis {
		var line string
		if r.Status == "unreadable" {
			line = fmt.Sprintf("  %-5s %-10s %s", "?", "UNREADABLE", clean(r.ID)+": "+clean(r.Error))
		} else {
			title := clean(r.Title)
			if r.Drill {
				title = "[drill] " + title
			}
			line = fmt.Sprintf("  %-5s %-10s %s %-14s %5s %6s", r.Level.SEV(), homeStatus(r), pad(truncate(title, titleW), titleW),
				truncate(r.Playbook, 14), fmt.Sprintf("%d/%d", r.StepsClosed, r.StepsTotal), incident.FormatSpan(now.Sub(r.Created)))
		}
		line = truncate(line, h.w)
		if i == h.cursor {
			line = h.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), h.w))
		}
		rows = append(rows, line)
	}
	used := strings.Count(b.String(), "\n")
	for _, line := range scrollList(rows, h.cursor, max(h.h-used-2, 1), h.st.Muted.Render) {
		b.WriteString(line + "\n")
	}
	if h.cursor < len(vis) {
		r := vis[h.cursor]
		// Under the list: severity and deadline, then the full id (what
		// the commands take) on a line of its own.
		detail := "id " + clean(r.ID)
		if r.Status != "unreadable" {
			when := ""
			switch {
			case r.Closed():
				when = "closed"
			case r.Level.Response() == 0:
				when = "response: immediate"
			case r.ResponseDeadline.After(now):
				when = "response due in " + incident.FormatSpan(r.ResponseDeadline.Sub(now))
			default:
				when = "response deadline PASSED"
			}
			detail = r.Level.Both() + " · " + when + "\n" + detail
		}
		if found, ok := h.hits[r.ID]; ok && h.hitsFor == strings.ToLower(strings.TrimSpace(h.filter.Value())) {
			detail += "\nfound: " + clean(found)
		}
		for _, l := range strings.Split(detail, "\n") {
			b.WriteString(h.st.Muted.Render(truncate(l, h.w)) + "\n")
		}
	}
	return b.String()
}

// homeStatus is a row's status in at most ten columns: what needs doing
// first.
func homeStatus(r app.Summary) string {
	switch {
	case r.Closed():
		return "closed"
	case r.Overdue > 0:
		return fmt.Sprintf("%d OVERDUE", min(r.Overdue, 99))
	case r.Failed > 0:
		return fmt.Sprintf("%d FAILED", min(r.Failed, 99))
	}
	return "open"
}

func (h homeModel) shortHelp() []key.Binding {
	// Arrows need no introduction; what is on screen must fit 80 columns.
	return []key.Binding{h.nav.Open, h.nav.New, h.nav.Drill, h.nav.Library, h.nav.Filter}
}
