// Package tui is firebreak's console: a Bubble Tea program over the same
// incident record the CLI writes (one code path: every change is the same
// journal event). The root model routes between screens; all I/O happens in
// commands, never in Update or View.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// Options configure the console.
type Options struct {
	Workspace *incident.Workspace
	// Library is the playbook library new incidents and drills start
	// from; nil turns the new-incident keys off.
	Library *playbooks.Library
	Actor   string
	NoColor bool
	Now     func() time.Time
	// DarkBackground picks the guidance colours; Run asks the terminal.
	DarkBackground bool
	// Session builds the actions the console runs (a) and the messages it
	// writes, through the same table and pipeline as the command line;
	// nil leaves only the hand-over to the terminal.
	Session *app.Session
	// Executable is the firebreak binary, run as `firebreak run ID STEP`
	// on the released terminal for a step's action (A, and a without
	// Session); empty turns that off.
	Executable string
	// Clipboard is the terminal OSC 52 copies are written to; Run uses
	// stderr when it is a terminal, nil turns copying off.
	Clipboard io.Writer
	// Open is an incident to open at start (a drill the CLI just
	// built); empty starts on the incident list.
	Open string
	// Log receives the console's diagnostics (never the screen); nil
	// discards them.
	Log *slog.Logger
	// Drill: this console works a sandbox drill (firebreak drill), which
	// quitting ends and reports; q asks first.
	Drill bool
}

type screen int

const (
	screenHome screen = iota
	screenRunner
	screenTimeline
	screenNew
	screenEvidence
	screenComms
	screenLibrary
	screenFacts
)

func (s screen) String() string {
	switch s {
	case screenRunner:
		return "runner"
	case screenTimeline:
		return "timeline"
	case screenNew:
		return "new incident"
	case screenEvidence:
		return "evidence"
	case screenComms:
		return "comms"
	case screenLibrary:
		return "library"
	case screenFacts:
		return "facts"
	}
	return "home"
}

// Model is the root model.
type Model struct {
	ctx     context.Context
	opts    Options
	st      styles.Styles
	gk      keys.Global
	help    help.Model
	screen  screen
	width   int
	height  int
	showAll bool // full help
	err     error
	// quitAsked: q was pressed while an action ran (a second q cancels it
	// and quits); quitting: quit once the cancelled action has reported.
	quitAsked, quitting bool

	home     homeModel
	runner   runnerModel
	timeline timelineModel
	newinc   newIncidentModel
	evidence evidenceModel
	comms    commsModel
	library  libraryModel
	facts    factsModel
	// sh is what the screens share: the session, the open incident.
	sh shared
	// sync is the home's sync (S), shown by the list and the runner.
	sync *syncState

	// watching is the incident whose journal the watch tick is checking
	// (one watch at a time).
	watching string
	// homeStamp is what the incident list was loaded from (see
	// workspaceStamp): the home screen reloads when it changes.
	homeStamp string

	// tick schedules the clock and journal-watch ticks; tests replace it
	// so that driving the model never sleeps.
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

var _ tea.Model = Model{}

// New returns the root model.
func New(ctx context.Context, o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	st := styles.New(o.NoColor)
	m := Model{ctx: ctx, opts: o, st: st, gk: keys.NewGlobal(), help: help.New(), width: 80, height: 24, tick: tea.Tick}
	m.home = newHome(st, o.Now)
	m.home.titles = map[drill.Kind]string{}
	if o.Library != nil {
		for _, k := range drill.Kinds {
			if p, ok := o.Library.Get(k.Playbook()); ok {
				m.home.titles[k] = p.Title
			}
		}
	}
	m.runner = newRunner(st, o.Now)
	m.runner.exe, m.runner.home, m.runner.actor = o.Executable, o.Workspace.Home, o.Actor
	m.runner.log, m.runner.act = o.Log, newAction(st, o.NoColor)
	m.sh = shared{ctx: ctx, opts: o, sess: o.Session}
	if m.sh.sess != nil {
		m.runner.build = m.sh.sess.StepAction
	} else {
		// Messages still go through the pipeline; only actions that
		// need more than the workspace (GitHub, passphrases) are off.
		m.sh.sess = &app.Session{Workspace: o.Workspace, Actor: o.Actor, Now: o.Now}
	}
	m.runner.tick = tea.Tick
	m.sync = &syncState{repo: homesync.IsRepo(o.Workspace.Home)}
	if m.sync.repo {
		m.sync.last, _ = homesync.LastSync(o.Workspace.Home)
	}
	m.runner.sync, m.home.sync = m.sync, m.sync
	ws := o.Workspace
	m.home.search = func(q string, seq int) tea.Cmd { return homeSearchCmd(ctx, ws, q, seq) }
	m.runner.guide = newGuide(o.NoColor, o.DarkBackground)
	m.timeline = newTimeline(st)
	m.evidence = newEvidence(st)
	m.comms = newComms(st)
	m.comms.clip = o.Clipboard
	m.library = newLibrary(st, o.Library)
	m.facts = newFacts(st)
	return m
}

// Run starts the console on the terminal and returns when it quits.
func Run(ctx context.Context, o Options) error {
	// The console ends on its own keys and signals (Bubble Tea turns SIGINT
	// and SIGTERM into quitting). The caller's context is cancelled by
	// SIGINT too, and a Ctrl+C typed while `a` has handed the terminal to
	// `firebreak run` must stop that action, not close the console.
	ctx = context.WithoutCancel(ctx)
	o.DarkBackground = lipgloss.HasDarkBackground() // once, before the program owns the terminal
	if o.Clipboard == nil && term.IsTerminal(int(os.Stderr.Fd())) {
		o.Clipboard = os.Stderr // the same terminal, written apart from the frames on stdout
	}
	// The console handles the signals itself: a closed terminal (SIGHUP),
	// SIGTERM and SIGINT each do what ctrl+c does — a running action is
	// cancelled, records how far it got and removes its partial copy
	// before the console ends (Bubble Tea's own handler would quit at
	// once, leaving the record without the end of the action).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer func() { signal.Stop(sigs); close(sigs) }() // ends the forwarding goroutine
	p := tea.NewProgram(New(ctx, o), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithoutSignalHandler())
	go func() {
		for s := range sigs {
			if child := execChild.Load(); child != nil {
				_ = child.Signal(s) // it owns the terminal now: it ends first
			}
			p.Send(signalMsg{s})
		}
	}()
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted) {
		return nil
	}
	return err
}

// Messages.
type (
	incidentsLoadedMsg struct {
		rows  []app.Summary
		stamp string // what the rows were read from
		err   error
	}
	incidentLoadedMsg struct {
		inc    *incident.Incident
		st     *incident.State
		events []journal.Event
		stamp  string   // the journal files' sizes and times, to notice changes
		chain  string   // the journal's verification, in words
		absent []string // file and directory facts whose path does not exist
		err    error
	}
	changedMsg struct {
		id  string
		err error
	}
	tickMsg    time.Time
	journalMsg struct {
		id    string
		stamp string
	}
	homeStampMsg string
	// signalMsg is a signal the console caught (a closed terminal).
	signalMsg struct{ os.Signal }
)

func (m Model) tickCmd() tea.Cmd {
	return m.tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func loadIncidentsCmd(ws *incident.Workspace, now time.Time) tea.Cmd {
	return func() tea.Msg {
		stamp := workspaceStamp(ws, now) // before reading: a write during the read shows on the next tick
		rows, err := app.Summaries(ws, now, true)
		return incidentsLoadedMsg{rows: rows, stamp: stamp, err: err}
	}
}

func loadIncidentCmd(ctx context.Context, ws *incident.Workspace, id string) tea.Cmd {
	return func() tea.Msg {
		inc, err := ws.Load(id)
		if err != nil {
			return incidentLoadedMsg{err: err}
		}
		evs, _, err := inc.Journal.Timeline()
		if err != nil {
			return incidentLoadedMsg{err: err}
		}
		st := incident.Derive(inc.Header, inc.Playbook, evs)
		return incidentLoadedMsg{inc: inc, st: st, events: evs,
			stamp: journalStamp(inc.Journal.Dir()), chain: chainStatus(ctx, inc), absent: incident.AbsentPaths(inc.Playbook, st.Facts)}
	}
}

// chainStatus verifies the journal's hash chains (streaming, one line in
// memory) and says what it found.
func chainStatus(ctx context.Context, inc *incident.Incident) string {
	rep, err := inc.Journal.Verify(ctx, journal.VerifyOptions{})
	switch {
	case err != nil:
		return "journal NOT VERIFIED: " + err.Error()
	case len(rep.Problems) > 0:
		return fmt.Sprintf("journal BROKEN: %s (firebreak timeline verify %s says more)", rep.Problems[0].Error(), inc.Header.ID)
	case !rep.Intact():
		return "journal has a torn last line (a crash mid-write); firebreak repairs it on the next write"
	}
	chains := "chains"
	if len(rep.Files) == 1 {
		chains = "chain"
	}
	return fmt.Sprintf("journal verified: %d events, %d hash %s intact", rep.Events, len(rep.Files), chains)
}

// watchCmd checks, once a second, whether another process (the CLI, a
// second responder) wrote to the journal.
func (m Model) watchCmd(dir, id string) tea.Cmd {
	return m.tick(time.Second, func(time.Time) tea.Msg { return journalMsg{id: id, stamp: journalStamp(dir)} })
}

// workspaceStamp changes when an incident is opened or removed, when any
// journal is written, and once a minute (ages and deadlines move on their
// own): a stat of each journal file, no read.
func workspaceStamp(ws *incident.Workspace, now time.Time) string {
	ids, err := ws.IDs()
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	b.WriteString(now.Truncate(time.Minute).Format(time.RFC3339))
	for _, id := range ids {
		b.WriteString("|" + id + ":")
		b.WriteString(journalStamp(filepath.Join(ws.Dir(id), "journal")))
	}
	return b.String()
}

func journalStamp(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

// Init loads the incidents.
func (m Model) Init() tea.Cmd {
	if m.opts.Open != "" {
		return tea.Batch(loadIncidentsCmd(m.opts.Workspace, m.opts.Now()), loadIncidentCmd(m.ctx, m.opts.Workspace, m.opts.Open), m.tickCmd())
	}
	return tea.Batch(loadIncidentsCmd(m.opts.Workspace, m.opts.Now()), m.tickCmd())
}

// Update routes: sizes to every screen, the global keys, the incident's
// loading and watching; each screen's own messages to that screen, and
// everything else (the keys) to the active screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.route(msg)
	return m, cmd
}

// screens is every screen, in their constants' order.
var screens = []screen{screenHome, screenRunner, screenTimeline, screenNew, screenEvidence, screenComms, screenLibrary, screenFacts}

// screenOf is the model of a screen.
func (m *Model) screenOf(s screen) screenModel {
	switch s {
	case screenRunner:
		return &m.runner
	case screenTimeline:
		return &m.timeline
	case screenNew:
		return &m.newinc
	case screenEvidence:
		return &m.evidence
	case screenComms:
		return &m.comms
	case screenLibrary:
		return &m.library
	case screenFacts:
		return &m.facts
	}
	return &m.home
}

func (m *Model) active() screenModel { return m.screenOf(m.screen) }

// deliver gives a message to a screen, then goes where it asked.
func (m *Model) deliver(s screen, msg tea.Msg) tea.Cmd {
	m.sh.going = false
	cmd := m.screenOf(s).Update(msg, &m.sh)
	if m.sh.going {
		m.sh.going = false
		return tea.Batch(cmd, m.goTo(m.sh.next))
	}
	return cmd
}

// goTo makes a screen the active one.
func (m *Model) goTo(s screen) tea.Cmd {
	m.screen = s
	return m.screenOf(s).Enter(&m.sh)
}

func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		for _, s := range screens {
			m.screenOf(s).SetSize(msg.Width, m.bodyHeight())
		}
		return nil
	case tea.KeyMsg:
		if done, cmd := m.globalKey(msg); done {
			return cmd
		}
	case signalMsg:
		return m.forceQuit()
	case syncDoneMsg:
		m.sync.running = false
		if msg.rep != nil && msg.rep.Remote != "" {
			m.sync.last = msg.rep
		}
		if msg.err != nil {
			m.err = syncError(msg.err)
			m.opts.Log.Warn("sync failed", "err", msg.err.Error())
		} else if rep := msg.rep; rep != nil {
			m.opts.Log.Info("synced", "remote", rep.Remote, "committed", len(rep.Committed), "received", len(rep.Received), "pushed", rep.Pushed,
				"restored", rep.Restored, "rejected", rep.Rejected, "left_out", rep.Ignored, "foreign", rep.Foreign, "too_large", rep.TooLarge)
			if n := len(rep.Restored) + len(rep.Ignored) + len(rep.Rejected) + len(rep.Foreign) + len(rep.TooLarge); n > 0 {
				// Synced, but something needs a look: said at once.
				m.err = fmt.Errorf("synced, but %d restored (the remote held them cut short or deleted), %d rejected (did not verify), %d left out (not the record), %d journal(s) under your name this machine never wrote, %d too large to sync (the console log names them)",
					len(rep.Restored), len(rep.Rejected), len(rep.Ignored), len(rep.Foreign), len(rep.TooLarge))
			}
		}
		cmds := []tea.Cmd{loadIncidentsCmd(m.opts.Workspace, m.opts.Now())}
		if m.runner.inc != nil && m.screen != screenHome {
			cmds = append(cmds, loadIncidentCmd(m.ctx, m.opts.Workspace, m.runner.inc.Header.ID))
		}
		return tea.Batch(cmds...)
	case homeHitsMsg:
		return m.deliver(screenHome, msg)
	case statusRecordedMsg:
		if msg.err != nil {
			m.err = msg.err
		} else if m.runner.state != nil {
			m.runner.message = "status update recorded: the next is due in " + incident.CadenceText(m.runner.state.Severity)
		}
		return loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id)
	case tickMsg:
		if m.screen == screenHome && !m.showAll {
			// The list follows what other processes do (an incident
			// opened from the command line, a step closed), checked with
			// a stat of each journal, not a read.
			ws, now := m.opts.Workspace, m.opts.Now()
			return tea.Batch(m.tickCmd(), func() tea.Msg { return homeStampMsg(workspaceStamp(ws, now)) })
		}
		return m.tickCmd()
	case homeStampMsg:
		if string(msg) == m.homeStamp || m.screen != screenHome {
			return nil
		}
		m.homeStamp = string(msg)
		return loadIncidentsCmd(m.opts.Workspace, m.opts.Now())
	case incidentsLoadedMsg:
		if msg.err != nil {
			m.err = msg.err
			return nil
		}
		m.home.setRows(msg.rows)
		m.library.setRotation(msg.rows, m.opts.Now())
		m.homeStamp = msg.stamp
		return nil
	case incidentLoadedMsg:
		return m.incidentLoaded(msg)
	case journalMsg:
		if m.runner.inc == nil || m.runner.inc.Header.ID != msg.id || m.screen == screenHome || m.watching != msg.id {
			m.watching = "" // the next incident opened starts a new watch
			return nil
		}
		next := m.watchCmd(m.runner.inc.Journal.Dir(), msg.id)
		if msg.stamp != m.runner.stamp {
			return tea.Batch(next, loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id))
		}
		return next
	case openMsg:
		return loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id)
	case actionDoneMsg:
		if msg.err != nil {
			m.err = fmt.Errorf("the action for %s did not complete (%v); the terminal showed why, and the timeline has whatever it did", msg.step, msg.err)
		}
		return loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id)
	case actionFinishedMsg:
		cmd := m.deliver(screenRunner, msg)
		if m.quitting {
			return tea.Quit
		}
		return tea.Batch(cmd, loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id))
	case actionPlanMsg, actionProgressMsg, factSetMsg, previewDueMsg, previewMsg:
		return m.deliver(screenRunner, msg)
	case commsLoadedMsg, commsWrittenMsg, commsCopiedMsg:
		return m.deliver(screenComms, msg)
	case evidenceLoadedMsg, evidenceVerifiedMsg:
		return m.deliver(screenEvidence, msg)
	case factRecordedMsg:
		cmd := m.deliver(screenFacts, msg)
		if msg.err == nil && m.runner.inc != nil {
			return tea.Batch(cmd, loadIncidentCmd(m.ctx, m.opts.Workspace, m.runner.inc.Header.ID))
		}
		return cmd
	case libraryMsg:
		return m.goTo(screenLibrary)
	case drillMsg:
		if m.opts.Executable == "" {
			m.err = fmt.Errorf("drills start from the command line here: firebreak drill %s", msg.kind)
			return nil
		}
		return runDrillCmd(m.opts.Executable, m.opts.Workspace.Home, m.opts.Actor, string(msg.kind))
	case drillDoneMsg:
		if msg.err != nil {
			m.err = fmt.Errorf("the %s drill did not pass or did not finish (%v); its report and timeline say why", msg.kind, msg.err)
		}
		return loadIncidentsCmd(m.opts.Workspace, m.opts.Now())
	case newMsg:
		if m.opts.Library == nil {
			m.err = errors.New("no playbook library loaded; open incidents with: firebreak incident open")
			return nil
		}
		var cmd tea.Cmd
		m.newinc, cmd = newNewIncident(m.opts.Library, m.opts.Now, m.opts.NoColor, m.width, m.bodyHeight(), msg.drill)
		return tea.Batch(cmd, m.goTo(screenNew))
	case changedMsg:
		if msg.err != nil {
			m.err = msg.err
		}
		if msg.id == "" {
			return loadIncidentsCmd(m.opts.Workspace, m.opts.Now())
		}
		return loadIncidentCmd(m.ctx, m.opts.Workspace, msg.id)
	}
	return m.deliver(m.screen, msg)
}

// globalKey handles ctrl+c, q, ? and esc; done false passes the key on to
// the active screen.
func (m *Model) globalKey(msg tea.KeyMsg) (done bool, cmd tea.Cmd) {
	if key.Matches(msg, m.gk.ForceQuit) {
		return true, m.forceQuit()
	}
	if m.showAll {
		// Help is a modal overlay: ? and esc close it, and no other key
		// reaches the screen under it (a key acting unseen could record a
		// step change nobody saw).
		if key.Matches(msg, m.gk.Help) || key.Matches(msg, m.gk.Back) {
			m.showAll = false
		}
		return true, nil
	}
	if m.typing() { // focus guard: a text field gets every key
		return false, nil
	}
	quitAsked := m.quitAsked
	m.quitAsked = false
	switch {
	case key.Matches(msg, m.gk.Quit):
		if !m.runner.act.busy() {
			if m.opts.Drill && !quitAsked {
				m.quitAsked = true // q again ends the drill
				return true, nil
			}
			return true, tea.Quit
		}
		if quitAsked {
			m.quitting = true
			return true, m.runner.act.stop()
		}
		m.quitAsked = true
		return true, nil
	case key.Matches(msg, m.gk.Help):
		m.showAll = !m.showAll
		return true, nil
	case key.Matches(msg, m.home.nav.Sync) && (m.screen == screenHome || m.screen == screenRunner) && !m.home.filtering():
		return true, m.startSync()
	case key.Matches(msg, m.gk.Back):
		if m.err != nil {
			m.err = nil
			return true, nil
		}
		if to, ok := m.active().Back(&m.sh); ok {
			return true, m.goTo(to)
		}
	}
	return false, nil
}

// startSync syncs the home in the background (S): the console stays live,
// and the result, or why it was refused, shows when it ends.
func (m *Model) startSync() tea.Cmd {
	home := m.opts.Workspace.Home
	switch {
	case !homesync.IsRepo(home):
		m.err = fmt.Errorf("this home does not sync: firebreak sync init --remote URL makes it a git repository shared with the team (docs/sync.md)")
		return nil
	case m.sync.running:
		return nil
	case m.runner.act.busy():
		m.err = errors.New("an action is running: sync when it ends (its record is being written)")
		return nil
	}
	m.sync.repo, m.sync.running = true, true
	return syncCmd(m.ctx, home, m.opts.Actor, m.opts.Now)
}

// forceQuit is ctrl+c, and a signal: safe, a running action is cancelled
// and records how far it got before the console ends; a second one does
// not wait.
func (m *Model) forceQuit() tea.Cmd {
	if m.runner.act.busy() && !m.quitting {
		m.quitting = true
		return m.runner.act.stop()
	}
	return tea.Quit
}

// incidentLoaded shows a (re)loaded incident and starts watching its
// journal.
func (m *Model) incidentLoaded(msg incidentLoadedMsg) tea.Cmd {
	if msg.err != nil {
		m.err = msg.err
		return nil
	}
	m.sh.inc = msg.inc
	m.runner.set(msg.inc, msg.st, msg.events, msg.stamp)
	numbers := map[string]string{}
	for _, s := range msg.inc.Playbook.Steps() {
		numbers[s.Number] = s.ID
	}
	m.timeline.setSteps(numbers)
	m.timeline.set(msg.events, msg.chain)
	m.facts.set(msg.inc, msg.st.Facts)
	m.facts.absent, m.runner.absent = msg.absent, msg.absent
	preview := m.runner.schedulePreview()
	if m.screen == screenHome {
		m.screen = screenRunner
	}
	if m.watching != msg.inc.Header.ID {
		m.watching = msg.inc.Header.ID
		return tea.Batch(preview, m.watchCmd(msg.inc.Journal.Dir(), msg.inc.Header.ID))
	}
	return preview
}

func (m Model) typing() bool { return m.active().Typing() }

func (m Model) bodyHeight() int { return max(m.height-2, 1) }

// Smallest terminal the console lays out for.
const minWidth, minHeight = 80, 24

// View draws the status bar, the active screen and the help footer.
func (m Model) View() string {
	if m.width < minWidth || m.height < minHeight {
		msg := fmt.Sprintf("firebreak needs a terminal of at least %dx%d; this one is %dx%d.\nEnlarge the window or reduce the font size. q quits.", minWidth, minHeight, m.width, m.height)
		return fitLines(strings.Join(wrap(msg, m.width), "\n"), m.height, m.width)
	}
	var b strings.Builder
	b.WriteString(m.statusBar())
	b.WriteByte('\n')
	body := m.active().View()
	if m.err != nil {
		// Whole, on up to four lines: the reason and the way out are at
		// the end of the message.
		lines := wrap("ERROR: "+m.err.Error(), m.width)
		if len(lines) > 4 {
			lines = append(lines[:3], truncate(lines[3]+" …", m.width))
		}
		for i := range lines {
			lines[i] = m.st.Bad.Render(lines[i])
		}
		body = strings.Join(lines, "\n") + "\n" + m.st.Muted.Render("esc: dismiss") + "\n" + body
	}
	switch {
	case m.quitting:
		body = m.st.Warn.Render("Quitting: cancelling the running action and recording how far it got… (ctrl+c again: quit now)") + "\n" + body
	case m.quitAsked && m.opts.Drill && !m.runner.act.busy():
		body = m.st.Warn.Render(truncate("q again ends the drill (then its report); any other key goes on.", m.width)) + "\n" + body
	case m.quitAsked && m.runner.act.busy():
		body = m.st.Warn.Render("An action is running: q again cancels it and quits; any other key keeps it running.") + "\n" + body
	}
	if m.showAll {
		body = m.help.FullHelpView(m.fullHelp())
	}
	b.WriteString(fitLines(body, m.bodyHeight(), m.width))
	b.WriteByte('\n')
	// help.ShortHelpView can overrun its width when even "…" does not fit.
	b.WriteString(truncate(m.help.ShortHelpView(m.shortHelp()), m.width))
	return b.String()
}

func (m Model) statusBar() string {
	left := " firebreak"
	onIncident := m.screen == screenRunner || m.screen == screenTimeline || m.screen == screenEvidence || m.screen == screenComms || m.screen == screenFacts
	if inc := m.runner.inc; inc != nil && onIncident {
		st := m.runner.state
		now := m.opts.Now()
		// What a responder acts on first (severity, the response deadline),
		// then the age, the id last: a long id is what a narrow
		// terminal cuts.
		response := "response: immediate"
		if d := st.ResponseDeadline(); st.Severity.Response() > 0 {
			if left2 := d.Sub(now); left2 > 0 {
				response = "response due in " + incident.FormatSpan(left2)
			} else {
				response = "response deadline PASSED"
			}
		}
		left = fmt.Sprintf(" %s · %s · open %s · %s", st.Severity.Both(), response, incident.FormatSpan(now.Sub(inc.Header.Created)), inc.Header.ID)
		if st.Closed {
			// First, so that no width cuts it: a closed incident must not
			// look like one still being worked.
			left = fmt.Sprintf(" CLOSED %s · %s · %s", st.ClosedAt.UTC().Format("2006-01-02 15:04Z"), st.Severity.Both(), inc.Header.ID)
		}
		if inc.Header.Drill {
			// First, so that no width cuts it off: a drill must never be
			// mistaken for the real thing, nor the real thing for a drill.
			left = " DRILL — practice, not counted in metrics ·" + left
		}
		if c := m.timeline.chain; strings.HasPrefix(c, "journal BROKEN") || strings.HasPrefix(c, "journal NOT VERIFIED") {
			// On every screen of the incident, before anything else: what
			// it shows may not be what was recorded.
			left = " JOURNAL DOES NOT VERIFY (t: timeline says why) ·" + left
		}
	}
	return m.st.Status.Render(pad(truncate(left, m.width), m.width))
}

func (m Model) shortHelp() []key.Binding {
	if m.screen == screenNew {
		return []key.Binding{m.gk.Cancel, m.gk.ForceQuit} // the form has every key; esc cancels it
	}
	g := []key.Binding{m.gk.Help, m.gk.Quit}
	if m.typing() {
		// A field has every key, ? and q included: only ctrl+c is global.
		g = []key.Binding{m.gk.ForceQuit}
	}
	return append(m.active().Help(), g...)
}

func (m Model) fullHelp() [][]key.Binding {
	if m.screen == screenRunner && m.runner.act.busy() {
		// esc cancels the action here, it does not go back.
		return [][]key.Binding{m.active().FullHelp(), {m.gk.Help, m.gk.Quit, m.gk.ForceQuit}}
	}
	return [][]key.Binding{m.active().FullHelp(), {m.gk.Help, m.gk.Back, m.gk.Quit, m.gk.ForceQuit}}
}
