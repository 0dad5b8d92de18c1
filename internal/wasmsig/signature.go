package wasmsig

import (
	"bytes"
	"fmt"
)

// Limits, as wsc enforces them.
const (
	MaxSets       = 64
	MaxHashes     = 64
	MaxSignatures = 256
	MaxCerts      = 16
	MaxSlice      = 16 << 20
)

// Layouts of a signature record.
const (
	LayoutWsc       = "wsc"       // trailing cert_count (wsc >= 0.2.7-rc3)
	LayoutWasmsign2 = "wasmsign2" // no cert_count (wasmsign2, older wsc)
)

// AlgEd25519 is the only signature algorithm.
const AlgEd25519 = 0x01

// Record is one signature (SignatureForHashes).
type Record struct {
	KeyID     []byte   `json:"key_id"`
	Alg       byte     `json:"alg"`
	Signature []byte   `json:"signature"`
	Layout    string   `json:"layout"`
	Certs     [][]byte `json:"certs,omitempty"` // DER, leaf first
}

// Set is one SignedHashes: hashes and the signatures over them.
type Set struct {
	Hashes  [][32]byte `json:"hashes"`
	Records []Record   `json:"records"`
	// Dropped counts records that did not parse (or had another
	// algorithm): wsc skips them silently; firebreak reports them.
	Dropped int `json:"dropped"`
}

// SignatureData is the Ed25519 signature section's payload after its name,
// which is also exactly a detached signature file.
type SignatureData struct {
	SpecVersion byte  `json:"spec_version"`
	ContentType byte  `json:"content_type"`
	HashFn      byte  `json:"hash_fn"`
	Sets        []Set `json:"sets"`
	// Trailing counts bytes after the declared sets (ignored by wsc).
	Trailing int `json:"trailing"`
}

type reader struct {
	b    []byte
	pos  int
	base int64 // file offset of b[0], for errors
}

func (r *reader) errf(format string, args ...any) error {
	return &ParseError{Offset: r.base + int64(r.pos), Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) byte1() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errf("unexpected end of signature data")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) u32() (uint32, error) {
	v, n, _, err := readLEB(r.b[r.pos:], r.base+int64(r.pos))
	if err != nil {
		return 0, err
	}
	r.pos += n
	return v, nil
}

// slice reads a LEB128 length and that many bytes (at most MaxSlice).
func (r *reader) slice() ([]byte, error) {
	at := r.pos
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if n > MaxSlice {
		r.pos = at
		return nil, r.errf("a %d-byte field is larger than the %d allowed", n, MaxSlice)
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		r.pos = at
		return nil, r.errf("a %d-byte field runs past the end (%d bytes left)", n, len(r.b)-r.pos-1)
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s, nil
}

// ErrKeyless is returned when an Ed25519 signature parse meets a keyless
// section.
var ErrKeyless = fmt.Errorf("the signature section is a keyless (Sigstore) signature, not Ed25519 signature data")

// ParseSignatureData reads Ed25519 signature data; base is the file offset
// of data[0] for error messages.
func ParseSignatureData(data []byte, base int64) (*SignatureData, error) {
	r := &reader{b: data, base: base}
	if len(data) >= 2 && data[0] == 0x02 && data[1] == 0x02 {
		return nil, ErrKeyless
	}
	sd := &SignatureData{}
	var err error
	if sd.SpecVersion, err = r.byte1(); err != nil {
		return nil, err
	}
	if sd.SpecVersion != 0x01 {
		return nil, &ParseError{base, fmt.Sprintf("signature spec version 0x%02x is not 0x01", sd.SpecVersion)}
	}
	if sd.ContentType, err = r.byte1(); err != nil {
		return nil, err
	}
	if sd.ContentType != 0x01 {
		return nil, &ParseError{base + 1, fmt.Sprintf("signature content type 0x%02x is not 0x01", sd.ContentType)}
	}
	if sd.HashFn, err = r.byte1(); err != nil {
		return nil, err
	}
	at := r.pos
	count, err := r.u32()
	if err != nil {
		return nil, err
	}
	if count > MaxSets {
		r.pos = at
		return nil, r.errf("%d signed-hash sets; at most %d are allowed", count, MaxSets)
	}
	for i := uint32(0); i < count; i++ {
		raw, err := r.slice()
		if err != nil {
			return nil, err
		}
		set, err := parseSet(raw, base+int64(r.pos-len(raw)))
		if err != nil {
			return nil, err
		}
		sd.Sets = append(sd.Sets, *set)
	}
	sd.Trailing = len(data) - r.pos
	return sd, nil
}

func parseSet(b []byte, base int64) (*Set, error) {
	r := &reader{b: b, base: base}
	at := r.pos
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if n > MaxHashes {
		r.pos = at
		return nil, r.errf("%d hashes in a set; at most %d are allowed", n, MaxHashes)
	}
	s := &Set{}
	for i := uint32(0); i < n; i++ {
		if len(b)-r.pos < 32 {
			return nil, r.errf("hash %d of the set runs past the end", i)
		}
		var h [32]byte
		copy(h[:], b[r.pos:])
		r.pos += 32
		s.Hashes = append(s.Hashes, h)
	}
	at = r.pos
	ns, err := r.u32()
	if err != nil {
		return nil, err
	}
	if ns > MaxSignatures {
		r.pos = at
		return nil, r.errf("%d signatures in a set; at most %d are allowed", ns, MaxSignatures)
	}
	for i := uint32(0); i < ns; i++ {
		raw, err := r.slice()
		if err != nil {
			return nil, err
		}
		rec, ok := parseRecord(raw)
		if !ok {
			s.Dropped++
			continue
		}
		s.Records = append(s.Records, rec)
	}
	return s, nil
}

// parseRecord reads a SignatureForHashes; a record that does not parse is
// dropped, as wsc does.
func parseRecord(b []byte) (Record, bool) {
	r := &reader{b: b}
	kid, err := r.slice()
	if err != nil {
		return Record{}, false
	}
	alg, err := r.byte1()
	if err != nil || alg != AlgEd25519 {
		return Record{}, false
	}
	sig, err := r.slice()
	if err != nil {
		return Record{}, false
	}
	rec := Record{KeyID: kid, Alg: alg, Signature: sig, Layout: LayoutWasmsign2}
	if r.pos == len(b) {
		return rec, true
	}
	rec.Layout = LayoutWsc
	nc, err := r.u32()
	if err != nil || nc > MaxCerts {
		return Record{}, false
	}
	for i := uint32(0); i < nc; i++ {
		c, err := r.slice()
		if err != nil {
			return Record{}, false
		}
		rec.Certs = append(rec.Certs, c)
	}
	return rec, true
}

// Bytes writes the signature data: every set and every record
// length-prefixed, records in their own layout.
func (sd *SignatureData) Bytes() []byte {
	out := []byte{sd.SpecVersion, sd.ContentType, sd.HashFn}
	out = appendLEB(out, uint64(len(sd.Sets)))
	for _, s := range sd.Sets {
		var sb []byte
		sb = appendLEB(sb, uint64(len(s.Hashes)))
		for _, h := range s.Hashes {
			sb = append(sb, h[:]...)
		}
		sb = appendLEB(sb, uint64(len(s.Records)))
		for _, rec := range s.Records {
			rb := appendSlice(nil, rec.KeyID)
			rb = append(rb, rec.Alg)
			rb = appendSlice(rb, rec.Signature)
			if rec.Layout != LayoutWasmsign2 {
				rb = appendLEB(rb, uint64(len(rec.Certs)))
				for _, c := range rec.Certs {
					rb = appendSlice(rb, c)
				}
			}
			sb = appendSlice(sb, rb)
		}
		out = appendSlice(out, sb)
	}
	return out
}

func appendSlice(dst, b []byte) []byte {
	dst = appendLEB(dst, uint64(len(b)))
	return append(dst, b...)
}

// Message is what the Ed25519 signature of a set covers:
// "wasmsig" || 01 01 01 || h1 || … || hn.
func Message(hashes [][32]byte) []byte {
	m := make([]byte, 0, 10+32*len(hashes))
	m = append(m, "wasmsig"...)
	m = append(m, 0x01, 0x01, 0x01)
	for _, h := range hashes {
		m = append(m, h[:]...)
	}
	return m
}

// sameHashes reports whether two hash lists are equal.
func sameHashes(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SignatureSection wraps signature data in a custom section.
func (sd *SignatureData) Section() Section { return CustomSection(SignatureSection, sd.Bytes()) }

// hasRecord reports whether a set has a record with this key id and
// signature.
func (s *Set) hasRecord(kid, sig []byte) bool {
	for _, r := range s.Records {
		if bytes.Equal(r.KeyID, kid) && bytes.Equal(r.Signature, sig) {
			return true
		}
	}
	return false
}
