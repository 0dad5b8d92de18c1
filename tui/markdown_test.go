package tui

import (
	"strings"
	"testing"
)

func TestUnwrapParagraphs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"one\ntwo", "one two"},
		{"para one\n\npara two\ncontinued", "para one\n\npara two continued"},
		{"1. Move the key\n   somewhere safe\n2. Chmod it", "1. Move the key somewhere safe\n2. Chmod it"},
		{"- a\n- b\n  more", "- a\n- b more"},
		{"text\n```sh\nmv a\nchmod b\n```\nafter", "text\n```sh\nmv a\nchmod b\n```\nafter"},
		{"# Title\nbody", "# Title\nbody"},
		{"| a | b |\n| - | - |", "| a | b |\n| - | - |"},
		{"> quote\n> more", "> quote\n> more"},
	} {
		if got := unwrapParagraphs(tc.in); got != tc.want {
			t.Errorf("unwrapParagraphs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGuideNeutralizesEscapesAndMemoizes(t *testing.T) {
	g := newGuide(true, false)
	lines := g.lines("Move **now**: \x1b[2J `key`\x07 then go", 40)
	joined := strings.Join(lines, "\n")
	if strings.ContainsRune(joined, '\x1b') || strings.ContainsRune(joined, '\x07') {
		t.Fatalf("control characters reached the output: %q", joined)
	}
	if !strings.Contains(joined, "then") || !strings.Contains(joined, "go") || !strings.Contains(joined, `\x1b[2J`) {
		t.Fatalf("text lost: %q", joined)
	}
	again := g.lines("Move **now**: \x1b[2J `key`\x07 then go", 40)
	if &again[0] != &lines[0] {
		t.Error("the same guidance at the same width was rendered twice")
	}
	for _, l := range g.lines(strings.Repeat("word ", 60), 30) {
		if len(l) > 30 {
			t.Errorf("line wider than the pane: %q", l)
		}
	}
}
