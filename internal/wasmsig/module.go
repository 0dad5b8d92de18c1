// Package wasmsig reads, verifies, signs and re-signs WebAssembly module
// signatures, byte-compatible with wsc and wasmsign2: the Ed25519
// "signature" custom section (spec version 1, both record layouts) and
// wsc's keyless (Sigstore) section.
//
// Everything is parsed from bytes with every size checked against what is
// left: a malformed module is an error naming the byte offset, never a
// panic.
package wasmsig

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Module headers.
var (
	HeaderCore      = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	HeaderComponent = []byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}
)

// Section names with a meaning here.
const (
	SignatureSection = "signature"
	DelimiterSection = "signature_delimiter"
)

// ParseError says what is wrong and where.
type ParseError struct {
	Offset int64
	Msg    string
}

func (e *ParseError) Error() string { return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg) }

// Section is one section of a module.
type Section struct {
	ID      byte
	Name    string // custom sections (ID 0)
	Payload []byte // the whole payload; for a custom section it starts with the name
	Data    []byte // custom sections: the payload after the name
	Offset  int64  // offset of the id byte in the file
	Size    int64  // bytes the section takes in the file (id, size, payload)
	// Canonical reports whether the size and name-length encodings were
	// minimal, so that re-writing the section gives the same bytes.
	Canonical bool
}

// IsCustom reports whether s is a custom section named name.
func (s *Section) IsCustom(name string) bool { return s.ID == 0 && s.Name == name }

// Module is a parsed module: its header and sections, slices of Raw.
type Module struct {
	Header    []byte
	Component bool
	Sections  []Section
	Raw       []byte
}

// readLEB reads an unsigned LEB128 of at most 5 bytes, as wsc does: a fifth
// byte with the continuation bit is an error; bits past 32 are dropped.
// It returns the value, the bytes used, and whether the encoding is minimal.
func readLEB(b []byte, off int64) (uint32, int, bool, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, false, &ParseError{off + int64(i), "LEB128 runs past the end of the data"}
		}
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			minimal := i == 0 || c != 0
			return uint32(v), i + 1, minimal, nil
		}
	}
	return 0, 0, false, &ParseError{off + 4, "LEB128 longer than 5 bytes (continuation bit set in the 5th byte)"}
}

// appendLEB writes a minimal unsigned LEB128.
func appendLEB(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// Parse reads a module. Sizes are checked against the data; custom section
// names must be UTF-8.
func Parse(raw []byte) (*Module, error) {
	if len(raw) < 8 {
		return nil, &ParseError{0, fmt.Sprintf("%d bytes is too short for a WebAssembly module", len(raw))}
	}
	m := &Module{Header: raw[:8], Raw: raw}
	switch {
	case bytes.Equal(raw[:8], HeaderCore):
	case bytes.Equal(raw[:8], HeaderComponent):
		m.Component = true
	case bytes.Equal(raw[:4], HeaderCore[:4]):
		return nil, &ParseError{4, fmt.Sprintf("unsupported module version % x", raw[4:8])}
	default:
		return nil, &ParseError{0, "not a WebAssembly module (no \\0asm header)"}
	}
	off := 8
	for off < len(raw) {
		start := off
		id := raw[off]
		if id >= 0x80 {
			return nil, &ParseError{int64(off), fmt.Sprintf("section id 0x%02x is not a 1-byte LEB128", id)}
		}
		off++
		size, n, minimal, err := readLEB(raw[off:], int64(off))
		if err != nil {
			return nil, err
		}
		off += n
		if uint64(size) > uint64(len(raw)-off) {
			return nil, &ParseError{int64(start), fmt.Sprintf("section %d says it is %d bytes but only %d remain", len(m.Sections), size, len(raw)-off)}
		}
		s := Section{ID: id, Payload: raw[off : off+int(size)], Offset: int64(start), Canonical: minimal}
		if id == 0 {
			nl, nn, nmin, err := readLEB(s.Payload, int64(off))
			if err != nil {
				return nil, err
			}
			if uint64(nl) > uint64(len(s.Payload)-nn) {
				return nil, &ParseError{int64(off), fmt.Sprintf("custom section name of %d bytes runs past its section", nl)}
			}
			name := s.Payload[nn : nn+int(nl)]
			if !utf8.Valid(name) {
				return nil, &ParseError{int64(off + nn), "custom section name is not valid UTF-8"}
			}
			s.Name, s.Data = string(name), s.Payload[nn+int(nl):]
			s.Canonical = s.Canonical && nmin
		}
		off += int(size)
		s.Size = int64(off - start)
		m.Sections = append(m.Sections, s)
	}
	return m, nil
}

// AppendSection writes a section in canonical form: id, minimal LEB128
// size, payload — a custom section's payload rebuilt as minimal LEB128 name
// length, name, data.
func AppendSection(dst []byte, s *Section) []byte {
	dst = append(dst, s.ID)
	if s.ID != 0 {
		dst = appendLEB(dst, uint64(len(s.Payload)))
		return append(dst, s.Payload...)
	}
	n := len(s.Name)
	var nl [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(nl[:], uint64(n))
	dst = appendLEB(dst, uint64(k+n+len(s.Data)))
	dst = append(dst, nl[:k]...)
	dst = append(dst, s.Name...)
	return append(dst, s.Data...)
}

// CustomSection builds a custom section.
func CustomSection(name string, data []byte) Section {
	return Section{ID: 0, Name: name, Data: data, Canonical: true}
}

// SignatureSectionOf returns the first section when it is the signature
// section, or nil.
func (m *Module) SignatureSectionOf() *Section {
	if len(m.Sections) > 0 && m.Sections[0].IsCustom(SignatureSection) {
		return &m.Sections[0]
	}
	return nil
}

// Canonical reports whether writing the module again gives the same bytes.
func (m *Module) Canonical() bool {
	for i := range m.Sections {
		if !m.Sections[i].Canonical {
			return false
		}
	}
	return true
}

// SignedHashes computes the hashes wsc signs: one SHA-256 fed the canonical
// encoding of every section except signature sections, snapshotted after
// each delimiter section and at the end (unless the last section was a
// delimiter).
func (m *Module) SignedHashes() [][32]byte {
	h := sha256.New()
	var out [][32]byte
	var buf []byte
	lastDelim := false
	for i := range m.Sections {
		s := &m.Sections[i]
		if s.IsCustom(SignatureSection) {
			continue
		}
		buf = AppendSection(buf[:0], s)
		h.Write(buf)
		lastDelim = s.IsCustom(DelimiterSection)
		if lastDelim {
			var d [32]byte
			h.Sum(d[:0])
			out = append(out, d)
		}
	}
	if !lastDelim {
		var d [32]byte
		h.Sum(d[:0])
		out = append(out, d)
	}
	return out
}

// Write serialises the module canonically: header, then first (when not
// nil), then every section except signature sections.
func (m *Module) Write(first *Section) []byte {
	out := make([]byte, 0, len(m.Raw)+256)
	out = append(out, m.Header...)
	if first != nil {
		out = AppendSection(out, first)
	}
	for i := range m.Sections {
		if m.Sections[i].IsCustom(SignatureSection) {
			continue
		}
		out = AppendSection(out, &m.Sections[i])
	}
	return out
}

// WriteAll serialises the module canonically with every section, signature
// sections included, where they are.
func (m *Module) WriteAll() []byte {
	out := make([]byte, 0, len(m.Raw))
	out = append(out, m.Header...)
	for i := range m.Sections {
		out = AppendSection(out, &m.Sections[i])
	}
	return out
}

// ReadFile reads a module file: a regular file of at most MaxModule bytes.
func ReadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fsutil.NotRegularError{Path: path, Type: fsutil.TypeName(fi.Mode())}
	}
	if fi.Size() > MaxModule {
		return nil, fmt.Errorf("%s is %d bytes; modules up to %d are read", path, fi.Size(), MaxModule)
	}
	return fsutil.ReadRegular(path, MaxModule)
}
