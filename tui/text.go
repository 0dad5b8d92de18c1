package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// clean makes incident text safe to draw: escape sequences and control
// characters become visible, lines fold.
func clean(s string) string { return textutil.Line(s) }

func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

func pad(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// fitLines cuts or pads text to exactly h lines of at most w cells.
func fitLines(s string, h, w int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// wrap folds text to width w, keeping blank lines.
func wrap(s string, w int) []string {
	if w < 10 {
		w = 10
	}
	var out []string
	for _, para := range strings.Split(textutil.Clean(s, true), "\n") {
		if strings.TrimSpace(para) == "" {
			out = append(out, "")
			continue
		}
		indent := para[:len(para)-len(strings.TrimLeft(para, " "))]
		line := indent
		for _, word := range strings.Fields(para) {
			// A word wider than the line (a path, a hash) is cut into
			// pieces rather than lost off the edge.
			for room := w - ansi.StringWidth(indent); ansi.StringWidth(word) > room && room > 0; {
				if strings.TrimSpace(line) != "" {
					out = append(out, line)
					line = indent
				}
				out = append(out, indent+ansi.Cut(word, 0, room))
				word = ansi.Cut(word, room, ansi.StringWidth(word))
			}
			if ansi.StringWidth(line)+1+ansi.StringWidth(word) > w && strings.TrimSpace(line) != "" {
				out = append(out, line)
				line = indent
			}
			if strings.TrimSpace(line) != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return out
}

// panes draws two columns side by side, h lines tall: left cut or padded
// to leftW cells, right cut to rightW, with sep between them.
func panes(b *strings.Builder, left, right []string, leftW, rightW, h int, sep string) {
	for i := range h {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		b.WriteString(pad(truncate(l, leftW), leftW) + sep + truncate(r, rightW) + "\n")
	}
}

// newInput returns a text field with a steady cursor: nothing on screen
// moves unless the responder or the incident does.
func newInput(prompt, placeholder string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// window picks which of n rows fit in h lines so that the cursor row is
// always among them: all of them when they fit, else h rows with the
// cursor kept in the middle (clamped at both ends).
func window(n, cursor, h int) (from, to int) {
	h = max(h, 1)
	if n <= h {
		return 0, n
	}
	cursor = min(max(cursor, 0), n-1)
	from = min(max(cursor-h/2, 0), n-h)
	return from, from + h
}

// scrollList fits a list's lines into h lines with its cursor line always
// visible: every list of the console (incidents, steps, templates,
// playbooks) goes through it. A longer list shows a window around the
// cursor with a line saying how much is above and one saying how much is
// below, each only when there is: near either end the list stays put.
func scrollList(lines []string, cursor, h int, muted func(...string) string) []string {
	n := len(lines)
	if n <= h || h < 3 {
		if n > h && h > 0 {
			from, to := window(n, cursor, h)
			return lines[from:to]
		}
		return lines
	}
	cursor = min(max(cursor, 0), n-1)
	switch {
	case cursor < h-1: // the top of the list
		return append(slices.Clone(lines[:h-1]), muted(fmt.Sprintf("  ↓ %d more", n-(h-1))))
	case cursor >= n-(h-1): // its end
		return append([]string{muted(fmt.Sprintf("  ↑ %d more", n-(h-1)))}, lines[n-(h-1):]...)
	}
	from, to := window(n, cursor, h-2)
	out := make([]string, 0, h)
	out = append(out, muted(fmt.Sprintf("  ↑ %d more", from)))
	out = append(out, lines[from:to]...)
	return append(out, muted(fmt.Sprintf("  ↓ %d more", n-to)))
}

// clampTop moves the first shown row of n rows, rows at a time on
// screen, by delta, never past either end.
func clampTop(top, delta, n, rows int) int {
	return min(max(top+delta, 0), max(n-max(rows, 1), 0))
}

// pageRows is how many lines of a text of n lines h lines show from top:
// all of them when it fits, else h less a line saying what is above (when
// top > 0) and one saying what is below (when more is).
func pageRows(n, top, h int) int {
	h = max(h, 1)
	if n <= h {
		return n
	}
	r := h
	if top > 0 {
		r--
	}
	if n-top > r {
		r--
	}
	return max(r, 1)
}

// pageStep is how far pgup and pgdn move from top: a page less one line,
// which stays on screen for context, so that no line is ever skipped.
func pageStep(n, top, h int) int { return max(pageRows(n, top, h)-1, 1) }

// pageScroll moves a text's scroll position by delta lines; the last page
// stays full, so a page down too many never scrolls into nothing.
func pageScroll(top, delta, n, h int) int {
	if n <= max(h, 1) {
		return 0
	}
	return min(max(top+delta, 0), max(n-max(h-1, 1), 0))
}

// page is what h lines show of body from top. A body longer than h shows
// a window of it with a line saying how much is above (pgup) and one
// saying how much is below (pgdn), each only when there is. Every
// scrolled text of the console (guidance, previews, playbooks, evidence)
// goes through page and pageScroll.
func page(body []string, top, h int, muted func(...string) string) []string {
	if len(body) <= max(h, 1) {
		return body
	}
	top = pageScroll(top, 0, len(body), h)
	rows := pageRows(len(body), top, h)
	out := make([]string, 0, rows+2)
	if top > 0 {
		out = append(out, muted(fmt.Sprintf("  ↑ %d more (pgup)", top)))
	}
	out = append(out, body[top:min(top+rows, len(body))]...)
	if rest := len(body) - top - rows; rest > 0 {
		out = append(out, muted(fmt.Sprintf("  ↓ %d more (pgdn)", rest)))
	}
	return out
}
