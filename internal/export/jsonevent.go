package export

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
)

// A timeline is most of a JSON export. Its events are written by hand in
// exactly the bytes encoding/json's indenting encoder gives them when every
// string is plain printable ASCII and the data is ASCII — nearly every
// event — and by encoding/json otherwise. The equivalence is tested and
// fuzzed (TestEventJSONIsEncodingJSON, FuzzEventJSON).

// eventPrefix is the indentation of a timeline element.
const eventPrefix = "    "

// appendEventJSON appends e as an element of the timeline array. ok is
// false when e needs encoding/json.
func appendEventJSON(dst []byte, e *journal.Event) (out []byte, ok bool) {
	const in = eventPrefix + "  "
	if !plainJSON(e.ID) || !plainJSON(e.Prev) || !plainJSON(e.Actor) || !plainJSON(e.Kind) || !plainJSON(e.Step) ||
		!plainJSON(e.Summary) || !plainTime(e.Logged) || !plainTime(e.At) {
		return dst, false
	}
	data := bytes.Trim(e.Data, " \t\n\r") // JSON white space, not unicode.IsSpace
	for _, c := range data {
		if c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return dst, false
		}
	}
	start := len(dst)
	dst = append(dst, "{\n"+in+`"seq": `...)
	dst = strconv.AppendInt(dst, e.Seq, 10)
	dst = appendMember(dst, in, "id", e.ID)
	dst = appendMember(dst, in, "prev", e.Prev)
	dst = append(dst, ",\n"+in+`"logged": "`...)
	dst = e.Logged.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, "\",\n"+in+`"at": "`...)
	dst = e.At.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = appendMember(dst, in, "actor", e.Actor)
	dst = appendMember(dst, in, "kind", e.Kind)
	if e.Step != "" {
		dst = appendMember(dst, in, "step", e.Step)
	}
	dst = appendMember(dst, in, "summary", e.Summary)
	dst = append(dst, ",\n"+in+`"data": `...)
	var b bytes.Buffer
	if len(data) == 0 || json.Indent(&b, data, in, "  ") != nil {
		return dst[:start], false
	}
	dst = append(dst, b.Bytes()...)
	return append(dst, "\n"+eventPrefix+"}"...), true
}

func appendMember(dst []byte, in, name, v string) []byte {
	dst = append(dst, ",\n"...)
	dst = append(dst, in...)
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, `": "`...)
	dst = append(dst, v...)
	return append(dst, '"')
}

// plainJSON reports whether s encodes as itself between quotes: printable
// ASCII without quote or backslash.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainTime reports whether t is a time encoding/json writes as RFC 3339
// with nanoseconds in UTC (a journal time always is, unless its year is
// out of range).
func plainTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999 && t.Location() == time.UTC
}
