package tui

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	osc52 "github.com/aymanbagabas/go-osc52/v2"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/tui/keys"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// commsModel picks a communication template, shows which fields the
// incident cannot fill yet and a preview, and writes it into comms/ with
// the same comms.rendered event `firebreak comms render` records.
type commsModel struct {
	st     styles.Styles
	nav    keys.Nav
	write  key.Binding
	fill   key.Binding
	copy   key.Binding
	clip   io.Writer // where the OSC 52 copy goes (the terminal); nil: no clipboard
	input  textinput.Model
	field  string // the field being filled, when the input is open
	w, h   int
	id     string
	tmpls  []*comms.Template
	data   map[string]string
	filled map[string]string // the fields filled here (by field name), kept while the incident stays open
	// copyAsIs is the template a first y warned about (fields still
	// missing); a second y copies it as it is.
	copyAsIs string
	cursor   int
	scroll   int
	msg      string
	err      error
}

type commsLoadedMsg struct {
	id    string
	tmpls []*comms.Template
	data  map[string]string
	err   error
}

type commsCopiedMsg struct {
	n   int
	err error
}

// copyCmd puts text on the terminal's clipboard with OSC 52 (the terminal
// decodes it; over ssh and in tmux too where they allow it). Control
// characters from incident data are made visible first, so a paste cannot
// carry an escape sequence.
func copyCmd(w io.Writer, text string) tea.Cmd {
	return func() tea.Msg {
		text = textutil.Clean(text, true)
		seq := osc52.New(text)
		if os.Getenv("TMUX") == "" && strings.HasPrefix(os.Getenv("TERM"), "screen") {
			seq = seq.Screen()
		}
		_, err := seq.WriteTo(w)
		return commsCopiedMsg{n: len(text), err: err}
	}
}

type commsWrittenMsg struct {
	id, path string
	missing  []string
	err      error
}

func newComms(st styles.Styles) commsModel {
	return commsModel{st: st, nav: keys.NewNav(),
		write: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write to comms/")),
		fill:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fill a field")),
		copy:  key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy")),
		input: newInput("", "")}
}

func (c *commsModel) setSize(w, h int) { c.w, c.h = w, h }

// open loads the templates and the incident's data (facts, milestones,
// what its actions did, contacts) in a command.
func (c *commsModel) open(inc *incident.Incident, sess *app.Session) tea.Cmd {
	filled := c.filled
	if c.id != inc.Header.ID {
		filled = nil // values typed for another incident's messages
	}
	*c = commsModel{st: c.st, nav: c.nav, write: c.write, fill: c.fill, copy: c.copy, clip: c.clip, input: c.input, w: c.w, h: c.h, id: inc.Header.ID, filled: filled}
	return func() tea.Msg {
		out := commsLoadedMsg{id: inc.Header.ID}
		lib, err := comms.Load(nil)
		if err != nil {
			out.err = err
			return out
		}
		out.data, out.err = sess.CommsData(inc)
		out.tmpls = lib.All()
		return out
	}
}

// writeCommsCmd writes the message through the pipeline, as the
// comms.render action a step runs: the same file, the same events.
func writeCommsCmd(ctx context.Context, sess *app.Session, inc *incident.Incident, t *comms.Template, filled map[string]string) tea.Cmd {
	return func() tea.Msg {
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(filled)) {
			fields = append(fields, k+"="+filled[k])
		}
		args := app.Args{}.With("template", t.Name).With("allow_missing", "true").WithList("fields", fields)
		act, err := sess.Build(ctx, inc, actions.NameCommsRender, args)
		if err != nil {
			return commsWrittenMsg{id: inc.Header.ID, err: err}
		}
		r := &actions.Runner{Incident: inc, Actor: sess.Actor, Yes: true}
		out, err := r.Run(ctx, act)
		if err != nil {
			return commsWrittenMsg{id: inc.Header.ID, err: err}
		}
		w, _ := out.Result.Data.(actions.FileResult)
		return commsWrittenMsg{id: inc.Header.ID, path: w.Path, missing: w.Missing}
	}
}

func (c commsModel) selected() (*comms.Template, string, []string) {
	if c.cursor >= len(c.tmpls) {
		return nil, "", nil
	}
	t := c.tmpls[c.cursor]
	text, err := t.Render(c.data, true)
	if err != nil {
		text = "cannot render: " + err.Error()
	}
	return t, text, t.Missing(c.data)
}

func (c commsModel) update(msg tea.Msg, ctx context.Context, sess *app.Session, inc *incident.Incident) (commsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case commsLoadedMsg:
		if msg.id == c.id {
			c.tmpls, c.data, c.err = msg.tmpls, msg.data, msg.err
			if len(c.filled) > 0 && c.data != nil {
				// What was typed here before leaving the screen still
				// fills the messages.
				c.data = maps.Clone(c.data)
				maps.Copy(c.data, c.filled)
			}
		}
	case commsWrittenMsg:
		if msg.id == c.id {
			c.err = msg.err
			if msg.err == nil {
				c.msg = "wrote " + filepath.Join("comms", filepath.Base(msg.path))
				if len(msg.missing) > 0 {
					c.msg += " — marked missing: " + strings.Join(msg.missing, ", ")
				}
			}
		}
	case commsCopiedMsg:
		if msg.err != nil {
			c.msg = "could not copy: " + msg.err.Error()
		} else {
			c.msg = fmt.Sprintf("copied %d bytes (OSC 52: if the terminal allows it; w writes a file)", msg.n)
		}
	case tea.KeyMsg:
		if c.field != "" {
			return c.updateField(msg)
		}
		switch {
		case key.Matches(msg, c.copy):
			t, text, missing := c.selected()
			switch {
			case t == nil:
			case c.clip == nil:
				c.msg = "no terminal clipboard here; w writes the message to comms/"
			case len(missing) > 0 && c.copyAsIs != t.Name:
				// A message with [MISSING: …] in it is one paste away from
				// a public notice: say so first.
				c.copyAsIs = t.Name
				c.msg = fmt.Sprintf("%d field(s) still missing (%s): f fills them; y again copies it as it is", len(missing), strings.Join(missing, ", "))
			default:
				c.copyAsIs = ""
				return c, copyCmd(c.clip, text)
			}
		case key.Matches(msg, c.fill):
			if _, _, missing := c.selected(); len(missing) > 0 {
				c.field = missing[0]
				c.input.SetValue("")
				c.input.Prompt = c.field + " = "
				return c, c.input.Focus()
			}
			c.msg = "nothing is missing"
		case key.Matches(msg, c.nav.Up):
			c.cursor, c.scroll, c.msg, c.copyAsIs = max(c.cursor-1, 0), 0, "", ""
		case key.Matches(msg, c.nav.Down):
			c.cursor, c.scroll, c.msg, c.copyAsIs = min(c.cursor+1, max(len(c.tmpls)-1, 0)), 0, "", ""
		case key.Matches(msg, c.nav.PageDown):
			c.scroll = c.scrollBy(1)
		case key.Matches(msg, c.nav.PageUp):
			c.scroll = c.scrollBy(-1)
		case key.Matches(msg, c.write):
			if t, _, _ := c.selected(); t != nil && inc != nil {
				return c, writeCommsCmd(ctx, sess, inc, t, c.filled)
			}
		}
	}
	return c, nil
}

// updateField handles the value being typed for a missing field. The
// value fills this rendering only (as --set does); a value the incident
// should keep belongs in a fact or milestone.
func (c commsModel) updateField(msg tea.KeyMsg) (commsModel, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		c.field = ""
		c.input.Blur()
		return c, nil
	case tea.KeyEnter:
		if v := strings.TrimSpace(c.input.Value()); v != "" {
			data := maps.Clone(c.data) // the loaded data stays as the incident gave it
			data[c.field] = v
			c.data = data
			c.filled = maps.Clone(c.filled)
			if c.filled == nil {
				c.filled = map[string]string{}
			}
			c.filled[c.field] = v
			c.msg = "filled " + c.field
		}
		c.field = ""
		c.input.Blur()
		return c, nil
	}
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	return c, cmd
}

func (c commsModel) typing() bool { return c.field != "" }

func (c commsModel) widths() (left, right int) {
	left = min(max(c.w/3, 24), 40)
	return left, max(c.w-left-3, 20)
}

// preview is the selected message: what stays at the top (its file,
// what is missing) and its text below, which scrolls.
func (c commsModel) preview() (head, body []string) {
	t, text, missing := c.selected()
	if t == nil {
		return nil, nil
	}
	head = []string{c.st.Header.Render(clean(t.Name) + " → comms/" + t.Name + "-TIME.txt")}
	if len(missing) > 0 {
		head = append(head, c.st.Bad.Render("Missing: "+strings.Join(missing, ", ")),
			c.st.Muted.Render("record the facts or milestones they come from, or set them: firebreak comms render "+c.id+" "+t.Name+" --set FIELD=VALUE"))
	} else {
		head = append(head, "Every field is filled from the incident.")
	}
	_, rightW := c.widths()
	return append(head, ""), wrap(text, rightW)
}

// paneHeight is the panes' height: the screen less the title and the
// message or field line.
func (c commsModel) paneHeight() int {
	h := max(c.h-2, 1)
	switch {
	case c.field != "":
		h--
	case c.msg != "":
		h -= len(wrap(clean(c.msg), c.w))
	}
	return max(h, 1)
}

// scrollBy pages the preview: pages is +1 (down) or -1 (up).
func (c commsModel) scrollBy(pages int) int {
	head, body := c.preview()
	h := c.paneHeight() - len(head)
	return pageScroll(c.scroll, pages*pageStep(len(body), c.scroll, h), len(body), h)
}

func (c commsModel) view() string {
	var b strings.Builder
	b.WriteString(c.st.Title.Render("Communications") + "\n")
	if c.err != nil {
		b.WriteString(c.st.Bad.Render("ERROR: "+clean(c.err.Error())) + "\n")
	}
	if c.tmpls == nil {
		return b.String() + c.st.Muted.Render("Loading…")
	}
	leftW, rightW := c.widths()
	var left []string
	for i, t := range c.tmpls {
		status := "ready"
		if n := len(t.Missing(c.data)); n > 0 {
			status = fmt.Sprintf("%d miss", n)
		}
		line := fmt.Sprintf("  %-6s %s", status, clean(t.Title))
		line = truncate(line, leftW)
		if i == c.cursor {
			line = c.st.Selected.Render(pad("> "+strings.TrimPrefix(line, "  "), leftW))
		}
		left = append(left, line)
	}
	head, body := c.preview()
	h := c.paneHeight()
	right := append(head, page(body, c.scroll, h-len(head), c.st.Muted.Render)...)
	panes(&b, scrollList(left, c.cursor, h, c.st.Muted.Render), right, leftW, rightW, h, c.st.Border.Render(" │ "))
	if c.field != "" {
		b.WriteString(c.input.View() + "\n")
	} else if c.msg != "" {
		for _, l := range wrap(clean(c.msg), c.w) {
			b.WriteString(c.st.Good.Render(l) + "\n")
		}
	}
	return b.String()
}

func (c commsModel) shortHelp() []key.Binding {
	return []key.Binding{c.fill, c.write, c.copy}
}

func (c commsModel) fullHelp() []key.Binding {
	return []key.Binding{c.nav.Up, c.nav.Down, c.fill, c.write, c.copy, c.nav.PageDown, c.nav.PageUp}
}
