package tui

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// evidenceModel lists the incident's evidence and isolated keys with their
// hashes, and re-hashes every store against what the journal recorded.
type evidenceModel struct {
	st   styles.Styles
	nav  keys.Nav
	w, h int
	top  int

	id        string
	inc       *incident.Incident
	stores    []*evidence.Store // the evidence store, then every key store
	files     []evidence.Entry
	keys      []keyEntry
	evDir     string
	verifying bool
	verified  bool
	problems  map[string]evidence.Problem // by storeKey
	checked   int
	bytes     int64
	err       error
	// remote says which actors work on other machines of a synced home;
	// elsewhere is what they took (by storeKey), held on their machine.
	remote    func(actor string) bool
	elsewhere map[string]string
}

type evidenceLoadedMsg struct {
	id     string
	evs    []journal.Event // the timeline the lists came from, for the first verification
	stores []*evidence.Store
	evDir  string
	files  []evidence.Entry
	keys   []keyEntry
	err    error
}

type evidenceVerifiedMsg struct {
	id        string
	elsewhere map[string]string // by storeKey: the actor whose machine holds it
	problems  map[string]evidence.Problem
	checked   int
	bytes     int64
	err       error
}

// keyEntry is an isolated key and the store it is in (the incident's
// keys/ or an offline location).
type keyEntry struct {
	evidence.Entry
	store string
}

// storeKey names a file of a store for the problems map.
func storeKey(dir, name string) string { return dir + "\x00" + name }

func loadEvidenceCmd(inc *incident.Incident) tea.Cmd {
	return func() tea.Msg {
		m := evidenceLoadedMsg{id: inc.Header.ID}
		evs, _, err := inc.Journal.Timeline()
		if err != nil {
			m.err = err
			return m
		}
		// Listed as the journal recorded them: a manifest can be edited.
		m.evs = evs
		ev, kss := actions.EvidenceStore(inc), actions.KeyStores(inc, evs)
		m.stores = append([]*evidence.Store{ev}, kss...)
		m.evDir, m.files = ev.Dir, actions.Recorded(inc, evs, ev.Dir)
		for _, ks := range kss {
			for _, e := range actions.Recorded(inc, evs, ks.Dir) {
				m.keys = append(m.keys, keyEntry{e, ks.Dir})
			}
		}
		return m
	}
}

// verifyEvidenceCmd re-hashes every store against what the journal
// recorded: streaming, in a command, so the screen stays live however large
// the evidence is. evs is the timeline the load just read, or nil to read it
// afresh (v, after the journal may have grown).
func verifyEvidenceCmd(ctx context.Context, inc *incident.Incident, evs []journal.Event, remote func(string) bool) tea.Cmd {
	return func() tea.Msg {
		out := evidenceVerifiedMsg{id: inc.Header.ID, problems: map[string]evidence.Problem{}, elsewhere: map[string]string{}}
		if evs == nil {
			var err error
			if evs, _, err = inc.Journal.Timeline(); err != nil {
				out.err = err
				return out
			}
		}
		reps, err := actions.VerifyEvidence(ctx, inc, evs, remote, nil)
		if err != nil {
			out.err = err
			return out
		}
		for _, rep := range reps {
			out.checked += rep.Checked
			out.bytes += rep.Bytes
			for _, p := range append(rep.Problems, rep.Leftovers...) {
				out.problems[storeKey(rep.Dir, p.Name)] = p
			}
			for _, e := range rep.Elsewhere {
				out.elsewhere[storeKey(rep.Dir, e.Name)] = e.Actor
			}
		}
		return out
	}
}

func newEvidence(st styles.Styles) evidenceModel {
	return evidenceModel{st: st, nav: keys.NewNav()}
}

func (e *evidenceModel) setSize(w, h int) { e.w, e.h = w, h }

// open resets the screen for an incident and loads it; verifying starts
// once the load has found the stores.
func (e *evidenceModel) open(inc *incident.Incident) tea.Cmd {
	*e = evidenceModel{st: e.st, nav: e.nav, w: e.w, h: e.h, id: inc.Header.ID, inc: inc, verifying: true, remote: e.remote}
	return loadEvidenceCmd(inc)
}

func (e evidenceModel) update(msg tea.Msg, ctx context.Context) (evidenceModel, tea.Cmd) {
	switch msg := msg.(type) {
	case evidenceLoadedMsg:
		if msg.id != e.id {
			break
		}
		e.stores, e.files, e.keys, e.evDir, e.err = msg.stores, msg.files, msg.keys, msg.evDir, msg.err
		if msg.err != nil {
			e.verifying = false
			break
		}
		return e, verifyEvidenceCmd(ctx, e.inc, msg.evs, e.remote)
	case evidenceVerifiedMsg:
		if msg.id == e.id {
			e.verifying, e.verified = false, msg.err == nil
			e.problems, e.checked, e.bytes, e.elsewhere = msg.problems, msg.checked, msg.bytes, msg.elsewhere
			if msg.err != nil {
				e.err = msg.err
			}
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, e.nav.Up):
			e.top = pageScroll(e.top, -1, len(e.lines()), e.h-2)
		case key.Matches(msg, e.nav.Down):
			e.top = pageScroll(e.top, 1, len(e.lines()), e.h-2)
		case msg.String() == "v" && !e.verifying && e.stores != nil:
			e.verifying = true
			return e, verifyEvidenceCmd(ctx, e.inc, nil, e.remote)
		}
	}
	return e, nil
}

func (e evidenceModel) status(dir, name string) string {
	switch {
	case e.verifying:
		return "…"
	case !e.verified:
		return "?"
	}
	if p, ok := e.problems[storeKey(dir, name)]; ok {
		return e.st.Bad.Render("FAIL " + p.Kind)
	}
	if _, ok := e.elsewhere[storeKey(dir, name)]; ok {
		return "away"
	}
	return "ok"
}

func (e evidenceModel) lines() []string {
	var out []string
	out = append(out, e.st.Header.Render(fmt.Sprintf("Evidence (%d)", len(e.files))))
	for _, f := range e.files {
		from := "← " + textutil.Name(f.Original.Path)
		if who, ok := e.elsewhere[storeKey(e.evDir, f.Name)]; ok {
			from = "held by " + clean(who) + " " + from // first: the width cuts the path
		}
		out = append(out, fmt.Sprintf("  %-4s %.16s…  %9d  %-10s %s  %s", e.status(e.evDir, f.Name), f.SHA256, f.Size, f.Operation,
			clean(f.Name), from))
	}
	out = append(out, "", e.st.Header.Render(fmt.Sprintf("Isolated keys (%d)", len(e.keys))))
	for _, k := range e.keys {
		fp := k.Fingerprint
		if fp == "" {
			fp = "unknown"
		}
		out = append(out, fmt.Sprintf("  %-4s %s  fingerprint %.16s…  ← %s", e.status(k.store, k.Name), clean(filepath.Join(k.store, k.Name)), fp, textutil.Name(k.Original.Path)))
	}
	// Problems with no manifest entry: unlisted files, interrupted copies.
	listed := map[string]bool{}
	for _, f := range e.files {
		listed[storeKey(e.evDir, f.Name)] = true
	}
	for _, k := range e.keys {
		listed[storeKey(k.store, k.Name)] = true
	}
	for _, sk := range slices.Sorted(maps.Keys(e.problems)) {
		if !listed[sk] {
			dir, name, _ := strings.Cut(sk, "\x00")
			p := e.problems[sk]
			out = append(out, e.st.Bad.Render(fmt.Sprintf("  FAIL %s: %s — %s", clean(filepath.Join(dir, name)), p.Kind, clean(p.Detail))))
		}
	}
	return out
}

func (e evidenceModel) view() string {
	var b strings.Builder
	head := "verifying: re-hashing every file against its manifest…"
	switch {
	case e.err != nil:
		head = e.st.Bad.Render("cannot read the evidence: " + clean(e.err.Error()))
	case e.verifying:
	case len(e.problems) == 0:
		head = fmt.Sprintf("verified: %d file(s), %d bytes, all match the journal", e.checked, e.bytes)
		if n := len(e.elsewhere); n > 0 {
			head += fmt.Sprintf("; %d away (held on a teammate's machine)", n)
		}
	default:
		head = e.st.Bad.Render(fmt.Sprintf("NOT VERIFIED: %d problem(s) in %d file(s)", len(e.problems), e.checked))
	}
	b.WriteString(e.st.Title.Render("Evidence and isolated keys") + "\n" + head + "\n")
	ls := e.lines()
	for _, l := range page(ls, e.top, e.h-2, e.st.Muted.Render) {
		b.WriteString(truncate(l, e.w) + "\n")
	}
	return b.String()
}

func (e evidenceModel) shortHelp() []key.Binding {
	return []key.Binding{e.nav.Up, e.nav.Down, key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify again"))}
}
