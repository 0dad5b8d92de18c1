package tui

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// guide renders step guidance (Markdown) to lines of at most w cells, and
// remembers the result: the same step is drawn every second. Text is
// cleaned of control characters before rendering, so facts substituted
// into guidance cannot reach the terminal as escape sequences.
//
// The renderer is firebreak's own, for the Markdown playbooks use:
// paragraphs, bullet and numbered lists, headings, code blocks, and inline
// code, bold and italic. Code blocks are never wrapped (a command broken
// over two lines is a wrong command when pasted); the pane cuts a longer
// line with "…". A Markdown library with syntax highlighting cost every
// process, the command line's included, 25 ms and 10 MiB at start-up.
type guide struct {
	plain                bool // NO_COLOR: no styles, and no Markdown markers either
	strong, em, code, h1 lipgloss.Style
	memo                 map[guideKey][]string
}

type guideKey struct {
	text string
	w    int
}

func newGuide(noColor, dark bool) *guide {
	g := &guide{plain: noColor, memo: map[guideKey][]string{}}
	codeColor := lipgloss.Color("24")
	if dark {
		codeColor = lipgloss.Color("117")
	}
	g.strong = lipgloss.NewStyle().Bold(true)
	g.em = lipgloss.NewStyle().Italic(true)
	g.code = lipgloss.NewStyle().Foreground(codeColor)
	g.h1 = lipgloss.NewStyle().Bold(true).Underline(true)
	return g
}

func (g *guide) lines(md string, w int) []string {
	k := guideKey{md, w}
	if l, ok := g.memo[k]; ok {
		return l
	}
	out := g.render(md, w)
	if len(g.memo) > 256 { // a long session's worth of steps and widths
		clear(g.memo)
	}
	g.memo[k] = out
	return out
}

// render lays the guidance out in blocks, with a margin of two cells.
func (g *guide) render(md string, w int) []string {
	const margin = "  "
	w = max(w-len(margin), 10)
	var out []string
	fence := false
	for _, line := range strings.Split(unwrapParagraphs(textutil.Clean(md, true)), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "```"):
			fence = !fence
			if !fence {
				out = append(out, "")
			}
		case fence:
			out = append(out, codeMark+margin+"  "+g.codeLine(strings.TrimRight(line, " ")))
		case t == "":
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "")
			}
		case strings.HasPrefix(t, "#"):
			title := strings.TrimSpace(strings.TrimLeft(t, "#"))
			for _, l := range g.wrapInline(title, w, "", "") {
				if !g.plain {
					l = g.h1.Render(l)
				}
				out = append(out, margin+l)
			}
		case listItem.MatchString(t):
			m := listItem.FindString(t)
			bullet := strings.TrimSpace(m)
			if bullet == "-" || bullet == "*" || bullet == "+" {
				bullet = "•"
			}
			first := bullet + " "
			out = append(out, prefixed(g.wrapInline(t[len(m):], w, first, strings.Repeat(" ", len([]rune(first)))), margin)...)
		default:
			out = append(out, prefixed(g.wrapInline(t, w, "", ""), margin)...)
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func prefixed(lines []string, p string) []string {
	for i := range lines {
		lines[i] = p + lines[i]
	}
	return lines
}

// codeMark starts a line of a code block in what lines returns: the pane
// that shows it removes the mark and scrolls such lines sideways (←/→)
// instead of wrapping them, so a long command stays one line to copy.
const codeMark = "\uE000"

// showCode removes the mark from the lines of a code block and shifts
// them left by off cells (ANSI styles kept), keeping their indent.
func showCode(lines []string, off int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, codeMark)
		switch {
		case !ok:
			out[i] = l
		case off == 0:
			out[i] = rest
		default:
			const indent = 4
			out[i] = strings.Repeat(" ", indent) + "…" + ansi.Cut(rest, indent+off+1, ansi.StringWidth(rest))
		}
	}
	return out
}

// codeLine is a line of a code block: as it is, in the code style.
func (g *guide) codeLine(l string) string {
	if g.plain {
		return l
	}
	return g.code.Render(l)
}

// span is a run of inline text in one style.
type span struct {
	text  string
	style int // 0 plain, 1 strong, 2 em, 3 code
}

// inline splits a paragraph into styled spans: `code`, **strong**,
// *em* and _em_. An unmatched marker is text.
func inline(s string) []span {
	var out []span
	for len(s) > 0 {
		i := strings.IndexAny(s, "`*_")
		if i < 0 {
			out = append(out, span{s, 0})
			break
		}
		marker, style := s[i:i+1], 0
		switch {
		case s[i] == '`':
			style = 3
		case strings.HasPrefix(s[i:], "**"):
			marker, style = "**", 1
		case s[i] == '_' && i > 0 && isWordByte(s[i-1]):
			// snake_case: a word's own underscore, not emphasis
			out = append(out, span{s[:i+1], 0})
			s = s[i+1:]
			continue
		default:
			style = 2
		}
		end := strings.Index(s[i+len(marker):], marker)
		if end <= 0 {
			out = append(out, span{s[:i+len(marker)], 0})
			s = s[i+len(marker):]
			continue
		}
		if i > 0 {
			out = append(out, span{s[:i], 0})
		}
		out = append(out, span{s[i+len(marker) : i+len(marker)+end], style})
		s = s[i+len(marker)+end+len(marker):]
	}
	return out
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// wrapInline wraps a paragraph's words to w cells (first and rest are the
// first line's and the following lines' prefixes), measuring the plain
// text and styling each word as its span says. A word longer than a line
// stays whole on its own line: the pane cuts it, it is never broken.
func (g *guide) wrapInline(s string, w int, first, rest string) []string {
	// A word is the spans glued together between spaces (`key`: or
	// **now**, is one word of two spans).
	var words [][]span
	glued := false // the span before ended inside a word
	for _, sp := range inline(s) {
		for j, f := range strings.Split(sp.text, " ") {
			if f == "" {
				continue
			}
			if j == 0 && glued && len(words) > 0 {
				words[len(words)-1] = append(words[len(words)-1], span{f, sp.style})
				continue
			}
			words = append(words, []span{{f, sp.style}})
		}
		glued = sp.text != "" && !strings.HasSuffix(sp.text, " ")
	}
	var out []string
	line, width := first, len([]rune(first))
	started := false
	for _, wd := range words {
		n := 0
		var styled strings.Builder
		for _, sp := range wd {
			n += lipgloss.Width(sp.text)
			styled.WriteString(g.apply(sp.text, sp.style))
		}
		if started && width+1+n > w {
			out = append(out, line)
			line, width, started = rest, len([]rune(rest)), false
		}
		if started {
			line += " "
			width++
		}
		line += styled.String()
		width += n
		started = true
	}
	return append(out, line)
}

func (g *guide) apply(s string, style int) string {
	if g.plain || style == 0 {
		return s
	}
	switch style {
	case 1:
		return g.strong.Render(s)
	case 2:
		return g.em.Render(s)
	}
	return g.code.Render(s)
}

var listItem = regexp.MustCompile(`^([-*+]|\d+[.)])\s`)

// unwrapParagraphs joins the hard-wrapped lines of paragraphs and list
// items (playbook YAML wraps guidance at about 100 columns), so the
// renderer can wrap to the pane instead of breaking twice. Code fences,
// headings, quotes, tables and new list items keep their lines.
func unwrapParagraphs(md string) string {
	var out []string
	fence := false
	for _, line := range strings.Split(md, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			fence = !fence
			out = append(out, line)
			continue
		}
		n := len(out)
		if !fence && n > 0 && t != "" && !listItem.MatchString(t) && !strings.ContainsAny(t[:1], "#>|") {
			prev := strings.TrimSpace(out[n-1])
			if prev != "" && !strings.HasPrefix(prev, "```") && !strings.HasPrefix(prev, "#") && !strings.HasPrefix(prev, "|") {
				out[n-1] = strings.TrimRight(out[n-1], " ") + " " + t
				continue
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
