// Package textutil makes untrusted text safe to show: on a terminal, in
// Markdown and in tables. Incident data (titles, notes, file names, data from
// GitHub) can carry terminal escape sequences and bidirectional overrides;
// they are shown as visible escapes, never passed through.
package textutil

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s with every control character, bidirectional formatting
// character and invalid UTF-8 byte replaced by a visible escape (\x1b,
// \u202e). Newlines and tabs are kept when keepLines is true.
func Clean(s string, keepLines bool) string {
	if isPlain(s, keepLines) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0, isBidi(r), r == 0x2028, r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		case !unicode.IsPrint(r) && !unicode.IsSpace(r) && r != 0x200d:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func isPlain(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == 0x7f || (c < 0x20 && !(keepLines && (c == '\n' || c == '\t'))) {
			return false
		}
	}
	return true
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// Name shows a file name or path: on one line, with every control
// character — a newline too — written as a visible escape, never folded
// into a space (which would name another file).
func Name(s string) string { return Clean(s, false) }

// Line cleans s and folds it onto one line.
func Line(s string) string {
	return strings.Join(strings.Fields(Clean(s, true)), " ")
}

var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`, "#", `\#`,
)

// Markdown cleans s, folds it onto one line and escapes Markdown syntax and
// HTML, so it renders as the literal text (also inside a table cell).
func Markdown(s string) string { return mdReplacer.Replace(Line(s)) }

// Size is a byte count as people read it: 512 B, 8.0 KiB, 1.9 GiB
// (binary units, one decimal from KiB up).
func Size(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, unit := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for v /= 1024; v >= 1024 && unit < len(units)-1; unit++ {
		v /= 1024
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[unit]
}
