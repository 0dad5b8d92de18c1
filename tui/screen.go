package tui

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/tui/keys"
)

// screenModel is one screen of the console. The root model owns only the
// global keys (quit, help, back) and the incident's loading and watching;
// it routes every key to the active screen and each screen's own messages
// to that screen. Adding a screen is a type implementing this, a screen
// constant and its line in Model.screenOf.
type screenModel interface {
	// Update handles a message; it may ask to go to another screen with
	// sh.goTo.
	Update(msg tea.Msg, sh *shared) tea.Cmd
	View() string
	// Help is the screen's own keys (short); FullHelp all of them, for ?.
	Help() []key.Binding
	FullHelp() []key.Binding
	SetSize(w, h int)
	// Typing: a text field has every key (the global ones included,
	// but ctrl+c).
	Typing() bool
	// Back is where esc goes from here; ok false leaves esc to the screen.
	Back(sh *shared) (to screen, ok bool)
	// Enter is called when the console goes to the screen.
	Enter(sh *shared) tea.Cmd
}

// shared is what every screen works with: the session, the options and the
// open incident.
type shared struct {
	ctx  context.Context
	opts Options
	sess *app.Session
	inc  *incident.Incident // the incident open in the runner (nil until one is)

	next  screen // where a screen asked to go
	going bool
}

// backKey is esc, shown in the short help of the screens it leaves.
var backKey = keys.NewGlobal().Back

// goTo asks the root model to go to a screen after the update.
func (sh *shared) goTo(s screen) { sh.next, sh.going = s, true }

// Home.

func (h *homeModel) Update(msg tea.Msg, _ *shared) tea.Cmd {
	var cmd tea.Cmd
	*h, cmd = h.update(msg)
	return cmd
}
func (h *homeModel) View() string                { return h.view() }
func (h *homeModel) Help() []key.Binding         { return h.shortHelp() }
func (h *homeModel) FullHelp() []key.Binding     { return append(h.shortHelp(), h.nav.Sync) }
func (h *homeModel) SetSize(w, ht int)           { h.setSize(w, ht) }
func (h *homeModel) Typing() bool                { return h.filtering() }
func (h *homeModel) Back(*shared) (screen, bool) { return screenHome, false }
func (h *homeModel) Enter(sh *shared) tea.Cmd {
	return loadIncidentsCmd(sh.opts.Workspace, sh.opts.Now())
}
func (r *runnerModel) View() string              { return r.view() }
func (r *runnerModel) Help() []key.Binding       { return r.shortHelp() }
func (r *runnerModel) FullHelp() []key.Binding   { return r.fullHelp() }
func (r *runnerModel) SetSize(w, h int)          { r.setSize(w, h) }
func (r *runnerModel) Typing() bool              { return r.prompting() }
func (r *runnerModel) Enter(*shared) tea.Cmd     { return nil }
func (t *timelineModel) View() string            { return t.view() }
func (t *timelineModel) Help() []key.Binding     { return append(t.shortHelp(), backKey) }
func (t *timelineModel) FullHelp() []key.Binding { return t.shortHelp() }
func (t *timelineModel) SetSize(w, h int)        { t.setSize(w, h) }
func (t *timelineModel) Typing() bool            { return t.filtering }
func (t *timelineModel) Back(*shared) (screen, bool) {
	// esc first closes the open event, or clears the filter (the screen's).
	return screenRunner, !t.open && t.filter.Value() == ""
}
func (t *timelineModel) Enter(*shared) tea.Cmd { return nil }

// Runner: its keys, and the messages of the action it runs.

func (r *runnerModel) Update(msg tea.Msg, sh *shared) tea.Cmd {
	var cmd tea.Cmd
	switch msg.(type) {
	case actionPlanMsg, actionProgressMsg, actionFinishedMsg, factSetMsg, previewDueMsg, previewMsg:
		*r, cmd = r.updateAction(msg, sh.ctx)
		return cmd
	}
	var to screen
	*r, cmd, to = r.update(msg, sh.opts.Actor, sh.ctx)
	if to != screenRunner {
		sh.goTo(to)
	}
	return cmd
}

// Back leaves the incident for the list, unless an action is shown (esc
// then cancels or dismisses it: the runner's).
func (r *runnerModel) Back(sh *shared) (screen, bool) {
	if r.act.state != actIdle {
		return screenRunner, false
	}
	if sh.opts.Drill {
		// A drill's console works the drill only: the real incidents
		// (and another drill) are not a key away.
		r.message = "this console works the drill: q ends it (then its report)"
		return screenRunner, false
	}
	return screenHome, true
}

func (t *timelineModel) Update(msg tea.Msg, _ *shared) tea.Cmd {
	var cmd tea.Cmd
	*t, cmd = t.update(msg)
	return cmd
}

// Evidence.

func (e *evidenceModel) Update(msg tea.Msg, sh *shared) tea.Cmd {
	var cmd tea.Cmd
	*e, cmd = e.update(msg, sh.ctx)
	return cmd
}
func (e *evidenceModel) View() string                { return e.view() }
func (e *evidenceModel) Help() []key.Binding         { return append(e.shortHelp(), backKey) }
func (e *evidenceModel) FullHelp() []key.Binding     { return e.shortHelp() }
func (e *evidenceModel) SetSize(w, h int)            { e.setSize(w, h) }
func (e *evidenceModel) Typing() bool                { return false }
func (e *evidenceModel) Back(*shared) (screen, bool) { return screenRunner, true }
func (e *evidenceModel) Enter(sh *shared) tea.Cmd {
	e.remote = homesync.RemoteActors(sh.opts.Workspace.Home, sh.opts.Actor, sh.inc.Header.ID)
	return e.open(sh.inc)
}

// Communications.

func (c *commsModel) Update(msg tea.Msg, sh *shared) tea.Cmd {
	var cmd tea.Cmd
	*c, cmd = c.update(msg, sh.ctx, sh.sess, sh.inc)
	return cmd
}
func (c *commsModel) View() string                { return c.view() }
func (c *commsModel) Help() []key.Binding         { return append(c.shortHelp(), backKey) }
func (c *commsModel) FullHelp() []key.Binding     { return c.fullHelp() }
func (c *commsModel) SetSize(w, h int)            { c.setSize(w, h) }
func (c *commsModel) Typing() bool                { return c.typing() }
func (c *commsModel) Back(*shared) (screen, bool) { return screenRunner, true }
func (c *commsModel) Enter(sh *shared) tea.Cmd    { return c.open(sh.inc, sh.sess) }

// Library.

func (l *libraryModel) Update(msg tea.Msg, _ *shared) tea.Cmd {
	var cmd tea.Cmd
	*l, cmd = l.update(msg)
	return cmd
}
func (l *libraryModel) View() string                { return l.view() }
func (l *libraryModel) Help() []key.Binding         { return append(l.shortHelp(), backKey) }
func (l *libraryModel) FullHelp() []key.Binding     { return l.shortHelp() }
func (l *libraryModel) SetSize(w, h int)            { l.setSize(w, h) }
func (l *libraryModel) Typing() bool                { return false }
func (l *libraryModel) Back(*shared) (screen, bool) { return screenHome, true }
func (l *libraryModel) Enter(*shared) tea.Cmd       { return nil }

// New incident: the form has every key; esc cancels it (the form's).

func (n *newIncidentModel) Update(msg tea.Msg, sh *shared) tea.Cmd {
	var (
		cmd  tea.Cmd
		done bool
	)
	*n, cmd, done = n.update(msg, sh.ctx, sh.opts.Workspace, sh.opts.Actor)
	if done {
		sh.goTo(screenHome)
	}
	return cmd
}
func (n *newIncidentModel) View() string                { return n.view() }
func (n *newIncidentModel) Help() []key.Binding         { return nil }
func (n *newIncidentModel) FullHelp() []key.Binding     { return nil }
func (n *newIncidentModel) SetSize(int, int)            {}
func (n *newIncidentModel) Typing() bool                { return true }
func (n *newIncidentModel) Back(*shared) (screen, bool) { return screenNew, false }
func (n *newIncidentModel) Enter(*shared) tea.Cmd       { return nil }

// Facts.

func (f *factsModel) Update(msg tea.Msg, sh *shared) tea.Cmd {
	var cmd tea.Cmd
	*f, cmd = f.update(msg, sh.ctx, sh.opts.Actor)
	return cmd
}
func (f *factsModel) View() string                { return f.view() }
func (f *factsModel) Help() []key.Binding         { return append(f.shortHelp(), backKey) }
func (f *factsModel) FullHelp() []key.Binding     { return append(f.shortHelp(), backKey) }
func (f *factsModel) SetSize(w, h int)            { f.setSize(w, h) }
func (f *factsModel) Typing() bool                { return f.editing }
func (f *factsModel) Back(*shared) (screen, bool) { return screenRunner, true }
func (f *factsModel) Enter(*shared) tea.Cmd       { return nil }
