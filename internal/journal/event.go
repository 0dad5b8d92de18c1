// Package journal is firebreak's append-only, hash-chained event log: the
// incident timeline.
//
// Each responder (actor) writes to a file of their own, journal/<actor>.jsonl,
// one JSON object per line. Every event carries its position in the file
// (seq), its own id (the hex SHA-256 of its canonical encoding without the id)
// and the id of the event before it (prev), so any change to a written event,
// any removed, inserted or reordered line breaks the chain and is named by
// Verify. Signed checkpoints (Seal) extend that to a rewritten chain.
//
// The canonical encoding of an event without its id is the JSON object with
// exactly these members in this order and no insignificant whitespace:
//
//	{"seq":N,"prev":"…","logged":"…","at":"…","actor":"…","kind":"…","step":"…","summary":"…","data":{…}}
//
// where "step" is left out when empty, times are UTC RFC 3339 with exactly nine
// fractional digits, strings are escaped as Go's encoding/json does with HTML
// escaping off, and data is an object whose members are sorted by key at every
// depth (numbers are kept as written). The stored line is the same encoding
// with "id" inserted after "seq", followed by a newline.
package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// TimeLayout is the layout of the logged and at times: RFC 3339 in UTC with
// exactly nine fractional digits, so the text sorts as the time does.
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// MaxLine is the longest line, newline included, that the journal writes or
// reads. Events carry facts and references to evidence, never the evidence.
const MaxLine = 1 << 20

// Event is one entry of the timeline.
type Event struct {
	Seq     int64           `json:"seq"`
	ID      string          `json:"id"`
	Prev    string          `json:"prev"`
	Logged  time.Time       `json:"logged"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Kind    string          `json:"kind"`
	Step    string          `json:"step,omitempty"`
	Summary string          `json:"summary"`
	Data    json.RawMessage `json:"data"`
}

// Entry is what a caller appends: the journal fills in seq, id, prev and
// logged. A zero At means "now" (the logged time).
type Entry struct {
	At      time.Time
	Actor   string
	Kind    string
	Step    string
	Summary string
	// Data is any value that encodes as a JSON object (a map or a struct),
	// or nil for an empty object.
	Data any
}

// FormatTime formats t as the journal stores times.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// canonicalData returns the canonical encoding of a data object: members
// sorted by key at every depth, no whitespace, numbers as written. An empty
// input is the empty object.
func canonicalData(raw []byte) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if dec.More() {
		return nil, errors.New("data: trailing content after the object")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("data: not a JSON object")
	}
	return marshalNoHTML(v)
}

func marshalNoHTML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func appendString(dst []byte, s string) []byte {
	// Fast path: plain printable ASCII without quotes or backslashes.
	plain := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := marshalNoHTML(s) // a string always encodes
	return append(dst, b...)
}

// canonical appends the canonical encoding of e without its id, with data
// already canonical, to dst. idMember, when non-empty, is inserted after seq
// (that gives the stored line).
func canonical(dst []byte, e *Event, data []byte, withID bool) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, e.Seq, 10)
	if withID {
		dst = append(dst, `,"id":`...)
		dst = appendString(dst, e.ID)
	}
	dst = append(dst, `,"prev":`...)
	dst = appendString(dst, e.Prev)
	dst = append(dst, `,"logged":"`...)
	dst = e.Logged.UTC().AppendFormat(dst, TimeLayout)
	dst = append(dst, `","at":"`...)
	dst = e.At.UTC().AppendFormat(dst, TimeLayout)
	dst = append(dst, `","actor":`...)
	dst = appendString(dst, e.Actor)
	dst = append(dst, `,"kind":`...)
	dst = appendString(dst, e.Kind)
	if e.Step != "" {
		dst = append(dst, `,"step":`...)
		dst = appendString(dst, e.Step)
	}
	dst = append(dst, `,"summary":`...)
	dst = appendString(dst, e.Summary)
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}

// ComputeID returns the id e should have: the hex SHA-256 of its canonical
// encoding without the id.
func ComputeID(e *Event) (string, error) {
	data, err := canonicalData(e.Data)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical(nil, e, data, false))
	return hex.EncodeToString(sum[:]), nil
}

// EncodeLine seals e — sets its canonical data and its id — and returns the
// line to store, newline included. It does not check the chain: Append does
// that; EncodeLine serves importers and benchmarks that build a journal in
// bulk.
func EncodeLine(e *Event) ([]byte, error) { return encodeLine(e) }

func encodeLine(e *Event) ([]byte, error) {
	data, err := canonicalData(e.Data)
	if err != nil {
		return nil, err
	}
	e.Data = data
	c := canonical(make([]byte, 0, 256+len(data)), e, data, false)
	sum := sha256.Sum256(c)
	e.ID = hex.EncodeToString(sum[:])
	line := canonical(make([]byte, 0, len(c)+80), e, data, true)
	return append(line, '\n'), nil
}

// ParseError says why a line is not an event.
type ParseError struct {
	Reason string
}

func (e *ParseError) Error() string { return e.Reason }

// lineFields is the wire shape: times as text so that their exact form can be
// checked.
type lineFields struct {
	Seq     *int64          `json:"seq"`
	ID      *string         `json:"id"`
	Prev    *string         `json:"prev"`
	Logged  *string         `json:"logged"`
	At      *string         `json:"at"`
	Actor   *string         `json:"actor"`
	Kind    *string         `json:"kind"`
	Step    string          `json:"step"`
	Summary *string         `json:"summary"`
	Data    json.RawMessage `json:"data"`
}

// ParseLine decodes one stored line (without its newline). It checks the
// shape of every field but not the hash; see Check for that.
func ParseLine(line []byte) (Event, error) {
	var f lineFields
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Event{}, &ParseError{Reason: "not a journal event: " + jsonReason(err)}
	}
	if dec.More() {
		return Event{}, &ParseError{Reason: "not a journal event: trailing content after the object"}
	}
	missing := func(name string) (Event, error) {
		return Event{}, &ParseError{Reason: "not a journal event: missing " + strconv.Quote(name)}
	}
	switch {
	case f.Seq == nil:
		return missing("seq")
	case f.ID == nil:
		return missing("id")
	case f.Prev == nil:
		return missing("prev")
	case f.Logged == nil:
		return missing("logged")
	case f.At == nil:
		return missing("at")
	case f.Actor == nil:
		return missing("actor")
	case f.Kind == nil:
		return missing("kind")
	case f.Summary == nil:
		return missing("summary")
	case f.Data == nil:
		return missing("data")
	}
	e := Event{Seq: *f.Seq, ID: *f.ID, Prev: *f.Prev, Actor: *f.Actor, Kind: *f.Kind, Step: f.Step, Summary: *f.Summary, Data: f.Data}
	if e.Seq < 1 {
		return Event{}, &ParseError{Reason: fmt.Sprintf("seq %d is not positive", e.Seq)}
	}
	if !isHexID(e.ID) {
		return Event{}, &ParseError{Reason: "id is not 64 lowercase hex digits"}
	}
	if e.Prev != "" && !isHexID(e.Prev) {
		return Event{}, &ParseError{Reason: "prev is not empty or 64 lowercase hex digits"}
	}
	var err error
	if e.Logged, err = parseStoredTime(*f.Logged); err != nil {
		return Event{}, &ParseError{Reason: "logged: " + err.Error()}
	}
	if e.At, err = parseStoredTime(*f.At); err != nil {
		return Event{}, &ParseError{Reason: "at: " + err.Error()}
	}
	if !ValidActor(e.Actor) {
		return Event{}, &ParseError{Reason: fmt.Sprintf("actor %q is not a valid actor name", e.Actor)}
	}
	if !validKind(e.Kind) {
		return Event{}, &ParseError{Reason: fmt.Sprintf("kind %q is not a dotted lowercase name", e.Kind)}
	}
	if len(bytes.TrimSpace(e.Data)) == 0 || bytes.TrimSpace(e.Data)[0] != '{' {
		return Event{}, &ParseError{Reason: "data is not a JSON object"}
	}
	return e, nil
}

func parseStoredTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a UTC time with nine fractional digits", s)
	}
	if t.Location() != time.UTC {
		return time.Time{}, fmt.Errorf("%q is not in UTC", s)
	}
	return t, nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	return err.Error()
}

// Problem kinds, as Verify names them.
const (
	ProblemParse        = "unreadable line"
	ProblemContentHash  = "content hash"
	ProblemNonCanonical = "non-canonical encoding"
	ProblemBrokenLink   = "broken link"
	ProblemSeqGap       = "seq gap"
	ProblemReordered    = "reordered line"
	ProblemActor        = "wrong actor"
	ProblemTooLong      = "line too long"
	ProblemSeal         = "seal"
	ProblemNotFile      = "not a journal file"
)

// check verifies one parsed event's own integrity: that its id is the hash of
// its canonical encoding and that the line is exactly that encoding.
func check(e *Event, line []byte, scratch []byte) (kind, detail string, buf []byte) {
	data, err := canonicalData(e.Data)
	if err != nil {
		return ProblemParse, err.Error(), scratch
	}
	c := canonical(scratch[:0], e, data, false)
	sum := sha256.Sum256(c)
	var hexsum [64]byte
	hex.Encode(hexsum[:], sum[:])
	if string(hexsum[:]) != e.ID {
		return ProblemContentHash, fmt.Sprintf("id is %s but the content hashes to %s", short(e.ID), short(string(hexsum[:]))), c
	}
	want := canonical(c[len(c):], e, data, true)
	if !bytes.Equal(want, line) {
		return ProblemNonCanonical, "the line is not in canonical form (edited by hand?)", c
	}
	return "", "", c
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// parseAny parses a line by the fast path when it can. It does not check
// the hash (Verify does).
func parseAny(line []byte) (Event, error) {
	if e, _, _, ok := fastParse(line); ok {
		return e, nil
	}
	return ParseLine(line)
}
