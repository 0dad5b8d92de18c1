package wasmsig

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

var sectionNames = map[byte]string{
	1: "types", 2: "imports", 3: "functions", 4: "table", 5: "memory", 6: "global", 7: "exports",
	8: "start", 9: "elements", 10: "code", 11: "data", 12: "datacount", 13: "tag",
}

// SectionInfo describes one section for display.
type SectionInfo struct {
	Index  int    `json:"index"`
	ID     byte   `json:"id"`
	Kind   string `json:"kind"` // "types section", "custom section: [name]" …, as wsc show prints
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	// Signed says whether a signature in the module covers the section.
	Signed bool `json:"signed"`
}

// RecordInfo is a record for display.
type RecordInfo struct {
	KeyID     string `json:"key_id,omitempty"` // empty: no key id
	Alg       string `json:"alg"`
	Signature string `json:"signature"`
	Layout    string `json:"layout"`
	Certs     int    `json:"certs"`
}

// SetInfo is a signed-hash set for display.
type SetInfo struct {
	Hashes  []string     `json:"hashes"`
	Records []RecordInfo `json:"records"`
	Dropped int          `json:"dropped_records"`
	// Current says whether one of the set's hashes is the module's content
	// now (so the set's valid signatures still cover it).
	Current bool `json:"current"`
}

// Info is everything `wasm show` reports.
type Info struct {
	Kind        string        `json:"kind"` // module | component
	Size        int           `json:"size"`
	Sections    []SectionInfo `json:"sections"`
	Signature   string        `json:"signature"` // none | ed25519 | keyless | invalid
	SpecVersion byte          `json:"spec_version,omitempty"`
	HashFn      byte          `json:"hash_fn,omitempty"`
	Sets        []SetInfo     `json:"sets,omitempty"`
	Keyless     *Keyless      `json:"keyless,omitempty"`
	KeylessOK   *KeylessCheck `json:"keyless_check,omitempty"`
	Problem     string        `json:"problem,omitempty"`
	// LateSignatureSections lists signature sections that are not first:
	// verifiers ignore them and signers drop them.
	LateSignatureSections []int  `json:"late_signature_sections,omitempty"`
	Canonical             bool   `json:"canonical"`
	ContentSHA256         string `json:"content_sha256"` // raw bytes after the signature section
}

// Describe parses a module and reports its sections and signatures.
func Describe(raw []byte) (*Info, error) {
	m, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	inf := &Info{Kind: "module", Size: len(raw), Signature: "none", Canonical: m.Canonical()}
	if m.Component {
		inf.Kind = "component"
	}
	contentStart := len(m.Header)
	for i := range m.Sections {
		s := &m.Sections[i]
		kind := "section id#" + fmt.Sprint(s.ID)
		if n, ok := sectionNames[s.ID]; ok {
			kind = n + " section"
		}
		if s.ID == 0 {
			kind = "custom section: [" + s.Name + "]"
		}
		inf.Sections = append(inf.Sections, SectionInfo{Index: i, ID: s.ID, Kind: kind, Offset: s.Offset, Size: s.Size})
		if i > 0 && s.IsCustom(SignatureSection) {
			inf.LateSignatureSections = append(inf.LateSignatureSections, i)
		}
	}
	if sec := m.SignatureSectionOf(); sec != nil {
		contentStart = int(sec.Offset + sec.Size)
		base := sec.Offset + sec.Size - int64(len(sec.Data))
		sd, err := ParseSignatureData(sec.Data, base)
		switch {
		case errors.Is(err, ErrKeyless):
			inf.Signature = "keyless"
			k, kerr := ParseKeyless(sec.Data, base)
			if kerr != nil {
				inf.Signature, inf.Problem = "invalid", "undecodable keyless signature: "+kerr.Error()
				break
			}
			inf.Keyless = k
			chk := VerifyKeyless(m, k)
			inf.KeylessOK = &chk
			if chk.ModuleHashOK {
				for i := 1; i < len(inf.Sections); i++ {
					inf.Sections[i].Signed = true
				}
			}
		case err != nil:
			inf.Signature, inf.Problem = "invalid", err.Error()
		default:
			inf.Signature, inf.SpecVersion, inf.HashFn = "ed25519", sd.SpecVersion, sd.HashFn
			inf.markSigned(m, sd)
		}
	}
	sum := sha256.Sum256(raw[contentStart:])
	inf.ContentSHA256 = hex.EncodeToString(sum[:])
	return inf, nil
}

// markSigned fills the sets and marks the sections a current set covers:
// every section up to the delimiter (or end) whose running hash a set holds.
func (inf *Info) markSigned(m *Module, sd *SignatureData) {
	// The running hash after each signed-over section, as the signer saw it.
	snapshots := m.SignedHashes()
	// Which section ends each snapshot.
	var ends []int
	for i := range m.Sections {
		s := &m.Sections[i]
		if s.IsCustom(DelimiterSection) {
			ends = append(ends, i)
		}
	}
	if len(ends) < len(snapshots) {
		ends = append(ends, len(m.Sections)-1)
	}
	coveredTo := -1
	for _, set := range sd.Sets {
		si := SetInfo{Dropped: set.Dropped}
		for _, h := range set.Hashes {
			si.Hashes = append(si.Hashes, hex.EncodeToString(h[:]))
			for k, snap := range snapshots {
				if snap == h {
					si.Current = true
					coveredTo = max(coveredTo, ends[k])
				}
			}
		}
		for _, r := range set.Records {
			si.Records = append(si.Records, RecordInfo{KeyID: hex.EncodeToString(r.KeyID), Alg: "ed25519", Signature: hex.EncodeToString(r.Signature), Layout: r.Layout, Certs: len(r.Certs)})
		}
		inf.Sets = append(inf.Sets, si)
	}
	for i := range inf.Sections {
		inf.Sections[i].Signed = i <= coveredTo && !m.Sections[i].IsCustom(SignatureSection)
	}
}
