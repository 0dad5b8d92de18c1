package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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

func TestGuideRendersTheMarkdownPlaybooksUse(t *testing.T) {
	g := newGuide(true, false)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"strong and code lose their markers", "Take it out **now**: `chmod 000` it.", []string{"  Take it out now: chmod 000 it."}},
		{"a numbered item hangs its lines", "1. Move the key file to a secure offline location", []string{"  1. Move the key file to a", "     secure offline location"}},
		{"a bullet", "- a bullet item that wraps over", []string{"  • a bullet item that wraps", "    over"}},
		{"a code block is never wrapped", "```sh\nmv \"$module\" \"$module.resigned\" && chmod 000 x\n```", []string{`    mv "$module" "$module.resigned" && chmod 000 x`}},
		{"snake_case stays", "set key_path and offline_dir", []string{"  set key_path and offline_dir"}},
		{"unmatched markers are text", "a ** b ` c _d", []string{"  a ** b ` c _d"}},
		{"a heading", "## Check it", []string{"  Check it"}},
		{"paragraphs keep one blank line", "one\n\n\n\ntwo", []string{"  one", "", "  two"}},
	} {
		got := showCode(g.lines(tc.in, 32), 0)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestCodeScrollsSideways: a code line longer than the pane is shown from
// an offset (→), its indent kept and a … saying the start is off to the
// left; other lines do not move.
func TestCodeScrollsSideways(t *testing.T) {
	for _, g := range []*guide{newGuide(true, false), newGuide(false, true)} {
		lines := g.lines("Run this:\n\n```sh\nwsc sign -k new-signing-key.sec -K new-signing-key.pub -i module.wasm -o module.signed.wasm\n```", 40)
		got := showCode(lines, 16)
		if ansi.Strip(got[0]) != "  Run this:" {
			t.Errorf("prose moved: %q", got[0])
		}
		code := ansi.Strip(got[2])
		if !strings.HasPrefix(code, "    …") || !strings.Contains(code, "-K new-signing-key.pub -i module.wasm -o module.signed.wasm") || strings.Contains(code, "wsc sign") {
			t.Errorf("shifted code line: %q", code)
		}
	}
}

// TestGuideInColourFitsThePane: styled lines are no wider than the pane
// (measured without their escape sequences), except code lines.
func TestGuideInColourFitsThePane(t *testing.T) {
	g := newGuide(false, true)
	md := "Take the key out of service **now**: nothing may sign with it again, *ever*, with `key_path` or `offline_dir`.\n\n- one bullet with **strong** words and more words to wrap around the pane"
	for _, l := range g.lines(md, 30) {
		if w := ansi.StringWidth(l); w > 30 {
			t.Errorf("%d cells: %q", w, l)
		}
	}
}

func FuzzGuide(f *testing.F) {
	for _, s := range []string{"**a**", "`x`y", "1. a\n   b", "```\ncode\n", "_a_b_", "# h", "- **`x`**", "\x1b[2J**\x00**"} {
		f.Add(s, 20)
	}
	g := newGuide(true, false)
	f.Fuzz(func(t *testing.T, md string, w int) {
		w = 10 + (w%80+80)%80
		for _, l := range g.render(md, w) {
			if strings.ContainsAny(l, "\x1b\x07\x00") {
				t.Fatalf("control character in %q", l)
			}
		}
	})
}
