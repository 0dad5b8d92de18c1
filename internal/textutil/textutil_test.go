package textutil

import "testing"

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in        string
		keepLines bool
		want      string
	}{
		{"plain text", false, "plain text"},
		{"red \x1b[31mALERT\x1b[0m", false, `red \x1b[31mALERT\x1b[0m`},
		{"title\x07bell", false, `title\x07bell`},
		{"a\nb\tc", true, "a\nb\tc"},
		{"a\nb", false, `a\x0ab`},
		{"evil\u202egnp.exe", false, `evil\u202egnp.exe`},
		{"csi \u009b31m", false, `csi \u009b31m`},
		{"bad \xff byte", false, `bad \xff byte`},
		{"héllo wörld ✓", false, "héllo wörld ✓"},
	} {
		if got := Clean(tc.in, tc.keepLines); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	for in, want := range map[string]string{
		"a | b":                     `a \| b`,
		"<script>alert(1)</script>": `&lt;script&gt;alert(1)&lt;/script&gt;`,
		"*bold* [link](x) `code`":   "\\*bold\\* \\[link\\](x) \\`code\\`",
		"two\nlines":                "two lines",
		"# heading":                 `\# heading`,
	} {
		if got := Markdown(in); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameKeepsANewlineVisible(t *testing.T) {
	if got := Name("two\nlines\x1b.wasm"); got != `two\x0alines\x1b.wasm` {
		t.Fatalf("%q", got)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 8192: "8.0 KiB", 2_000_000_000: "1.9 GiB", 1 << 40: "1.0 TiB", 1<<62 + 1<<61: "6.0 EiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
