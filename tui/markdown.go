package tui

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/glamour"

	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// guide renders step guidance (Markdown) to lines of at most w cells, and
// remembers the result: rendering is slow next to drawing a frame, and the
// same step is drawn every second. Text is cleaned of control characters
// before rendering, so facts substituted into guidance cannot reach the
// terminal as escape sequences.
type guide struct {
	style string // glamour standard style: "dark", "light" or "notty"
	memo  map[guideKey][]string
}

type guideKey struct {
	text string
	w    int
}

func newGuide(noColor, dark bool) *guide {
	style := "light"
	switch {
	case noColor:
		style = "notty"
	case dark:
		style = "dark"
	}
	return &guide{style: style, memo: map[guideKey][]string{}}
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

func (g *guide) render(md string, w int) []string {
	clean := unwrapParagraphs(textutil.Clean(md, true))
	r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(g.style), glamour.WithWordWrap(max(w-2, 10)))
	if err != nil {
		return wrap(clean, w)
	}
	s, err := r.Render(clean)
	if err != nil {
		return wrap(clean, w)
	}
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
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
