package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The fast path reads a line that is already in canonical form and made of
// plain ASCII strings (the usual case) without encoding/json, and hashes the
// line bytes around the id member directly. A line with anything unusual
// (escapes, non-ASCII, another layout) takes the general path, which decodes
// and re-encodes it; both paths accept exactly the same lines.

type cursor struct {
	b  []byte
	i  int
	ok bool
}

func (c *cursor) lit(s string) {
	if !c.ok || len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		c.ok = false
		return
	}
	c.i += len(s)
}

func (c *cursor) peek(s string) bool {
	return c.ok && len(c.b)-c.i >= len(s) && string(c.b[c.i:c.i+len(s)]) == s
}

// str reads a string of printable ASCII with no escapes.
func (c *cursor) str() string {
	if !c.ok || c.i >= len(c.b) || c.b[c.i] != '"' {
		c.ok = false
		return ""
	}
	start := c.i + 1
	for j := start; j < len(c.b); j++ {
		ch := c.b[j]
		if ch == '"' {
			c.i = j + 1
			return string(c.b[start:j])
		}
		if ch < 0x20 || ch >= 0x7f || ch == '\\' {
			break
		}
	}
	c.ok = false
	return ""
}

// skipStr passes over what str would read, without copying it.
func (c *cursor) skipStr() {
	if !c.ok || c.i >= len(c.b) || c.b[c.i] != '"' {
		c.ok = false
		return
	}
	for j := c.i + 1; j < len(c.b); j++ {
		ch := c.b[j]
		if ch == '"' {
			c.i = j + 1
			return
		}
		if ch < 0x20 || ch >= 0x7f || ch == '\\' {
			break
		}
	}
	c.ok = false
}

func (c *cursor) int() int64 {
	if !c.ok {
		return 0
	}
	start := c.i
	var n int64
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' && c.i-start < 18 {
		n = n*10 + int64(c.b[c.i]-'0')
		c.i++
	}
	if c.i == start || (c.b[start] == '0' && c.i-start > 1) {
		c.ok = false
	}
	return n
}

// stamp reads a quoted time in exactly TimeLayout.
func (c *cursor) stamp() time.Time {
	const n = len(`"2006-01-02T15:04:05.000000000Z"`)
	if !c.ok || len(c.b)-c.i < n {
		c.ok = false
		return time.Time{}
	}
	s := c.b[c.i : c.i+n]
	c.i += n
	if s[0] != '"' || s[5] != '-' || s[8] != '-' || s[11] != 'T' || s[14] != ':' || s[17] != ':' || s[20] != '.' || s[30] != 'Z' || s[31] != '"' {
		c.ok = false
		return time.Time{}
	}
	num := func(from, to int) int {
		v := 0
		for k := from; k < to; k++ {
			d := s[k] - '0'
			if d > 9 {
				c.ok = false
				return 0
			}
			v = v*10 + int(d)
		}
		return v
	}
	y, mo, d := num(1, 5), num(6, 8), num(9, 11)
	h, mi, se, ns := num(12, 14), num(15, 17), num(18, 20), num(21, 30)
	if !c.ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 {
		c.ok = false
		return time.Time{}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, ns, time.UTC)
	if t.Day() != d { // 31 February and the like
		c.ok = false
	}
	return t
}

// canonicalObject checks that b is exactly one compact JSON object whose
// strings are plain ASCII without escapes and whose keys ascend strictly at
// every depth: then it is its own canonical encoding.
func canonicalObject(b []byte) bool {
	c := &cursor{b: b, ok: true}
	if !c.value() || c.i != len(b) {
		return false
	}
	return len(b) > 0 && b[0] == '{'
}

func (c *cursor) value() bool {
	if c.i >= len(c.b) {
		return false
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		c.i++
		if c.peek("}") {
			c.i++
			return true
		}
		var prev string
		for first := true; ; first = false {
			k := c.str()
			if !c.ok || (!first && k <= prev) {
				return false
			}
			prev = k
			c.lit(":")
			if !c.ok || !c.value() {
				return false
			}
			if c.peek(",") {
				c.i++
				continue
			}
			c.lit("}")
			return c.ok
		}
	case ch == '[':
		c.i++
		if c.peek("]") {
			c.i++
			return true
		}
		for {
			if !c.value() {
				return false
			}
			if c.peek(",") {
				c.i++
				continue
			}
			c.lit("]")
			return c.ok
		}
	case ch == '"':
		c.str()
		return c.ok
	case ch == 't':
		c.lit("true")
		return c.ok
	case ch == 'f':
		c.lit("false")
		return c.ok
	case ch == 'n':
		c.lit("null")
		return c.ok
	default:
		return c.number()
	}
}

// number checks JSON number syntax.
func (c *cursor) number() bool {
	b, i := c.b, c.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - s
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	c.i = i
	return true
}

// fastParse parses a canonical plain-ASCII line without checking its
// hash. ok is false when the line needs the general path. idStart and idEnd
// bound the id member, which the hash leaves out.
func fastParse(line []byte) (e Event, idStart, idEnd int, ok bool) {
	c := &cursor{b: line, ok: true}
	c.lit(`{"seq":`)
	e.Seq = c.int()
	idStart = c.i
	c.lit(`,"id":`)
	e.ID = c.str()
	idEnd = c.i
	c.lit(`,"prev":`)
	e.Prev = c.str()
	c.lit(`,"logged":`)
	e.Logged = c.stamp()
	c.lit(`,"at":`)
	e.At = c.stamp()
	c.lit(`,"actor":`)
	e.Actor = c.str()
	c.lit(`,"kind":`)
	e.Kind = c.str()
	if c.peek(`,"step":`) {
		c.lit(`,"step":`)
		e.Step = c.str()
		if e.Step == "" {
			c.ok = false // canonical form omits an empty step
		}
	}
	c.lit(`,"summary":`)
	e.Summary = c.str()
	c.lit(`,"data":`)
	if !c.ok || len(line)-c.i < 3 || line[len(line)-1] != '}' {
		return Event{}, 0, 0, false
	}
	e.Data = line[c.i : len(line)-1]
	if !canonicalObject(e.Data) || e.Seq < 1 || !isHexID(e.ID) || (e.Prev != "" && !isHexID(e.Prev)) ||
		!ValidActor(e.Actor) || !validKind(e.Kind) {
		return Event{}, 0, 0, false
	}
	return e, idStart, idEnd, true
}

// fastCheck parses a canonical plain-ASCII line and checks its hash. ok is
// false when the line needs the general path; otherwise kind is empty when
// the event is sound or names the problem.
func fastCheck(line []byte) (e Event, kind, detail string, ok bool) {
	e, idStart, idEnd, ok := fastParse(line)
	if !ok {
		return Event{}, "", "", false
	}
	h := sha256.New()
	h.Write(line[:idStart])
	h.Write(line[idEnd:])
	var sum [sha256.Size]byte
	var hexsum [64]byte
	hex.Encode(hexsum[:], h.Sum(sum[:0]))
	if string(hexsum[:]) != e.ID {
		return e, ProblemContentHash, "id is " + short(e.ID) + " but the content hashes to " + short(string(hexsum[:])), true
	}
	return e, "", "", true
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	bad := byte(0)
	for i := 0; i < len(s); i++ {
		bad |= notLowerHex[s[i]]
	}
	return bad == 0
}

// notLowerHex is 1 for every byte that is not a lowercase hex digit.
var notLowerHex = func() (t [256]byte) {
	for i := range t {
		if !(i >= '0' && i <= '9' || i >= 'a' && i <= 'f') {
			t[i] = 1
		}
	}
	return t
}()

// ValidActor reports whether name can be an actor: 1–64 characters of
// letters, digits, '.', '_', '@' and '-', starting with a letter or digit
// (it names a file).
func ValidActor(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != '.' && c != '_' && c != '@' && c != '-')) {
			return false
		}
	}
	return true
}

// validKind reports whether k is a dotted lowercase name: step.done.
func validKind(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	start := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z':
		case (c >= '0' && c <= '9' || c == '_') && !start:
		case c == '.' && !start && i != len(k)-1:
			start = true
			continue
		default:
			return false
		}
		start = false
	}
	return true
}
