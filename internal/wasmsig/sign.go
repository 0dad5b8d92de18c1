package wasmsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

// Errors with wsc's meaning.
var (
	ErrNoSignatures    = errors.New("no signatures found")
	ErrNoValid         = errors.New("no valid signatures")
	ErrDuplicate       = errors.New("duplicate signature: this key already signed this content")
	ErrIncompatible    = errors.New("incompatible signature version")
	ErrUnsupportedHash = errors.New("unsupported hash function (only 0x01, SHA-256)")
)

// SignOptions tunes Sign.
type SignOptions struct {
	// KeyID, when true, stores the signer's key id in the record, as
	// `wsc sign -K` does.
	KeyID bool
	// Layout is LayoutWsc (default) or LayoutWasmsign2.
	Layout string
	// Detached leaves the module without a new signature section: the
	// output is the input re-serialised, and the signature data is
	// returned on its own.
	Detached bool
}

// existing returns the module's signature data (or an empty one).
func existing(m *Module) (*SignatureData, error) {
	s := m.SignatureSectionOf()
	if s == nil {
		return &SignatureData{SpecVersion: 1, ContentType: 1, HashFn: 1}, nil
	}
	sd, err := ParseSignatureData(s.Data, s.Offset+s.Size-int64(len(s.Data)))
	if err != nil {
		return nil, err
	}
	if sd.SpecVersion != 1 || sd.ContentType != 1 || sd.HashFn != 1 {
		return nil, ErrIncompatible
	}
	return sd, nil
}

// Sign adds an Ed25519 signature exactly as wsc does: the hashes of the
// canonical sections after the signature section, "wasmsig" 01 01 01
// signed, the record appended to the set with identical hashes (or a new
// set), the signature section first. It returns the new module and the
// signature data.
func Sign(raw []byte, priv ed25519.PrivateKey, o SignOptions) (out, sigData []byte, err error) {
	m, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return signModule(m, priv, o)
}

func signModule(m *Module, priv ed25519.PrivateKey, o SignOptions) ([]byte, []byte, error) {
	sd, err := existing(m)
	if err != nil {
		if errors.Is(err, ErrKeyless) {
			return nil, nil, fmt.Errorf("cannot add an Ed25519 signature: %w", err)
		}
		return nil, nil, err
	}
	hashes := m.SignedHashes()
	rec := Record{Alg: AlgEd25519, Signature: ed25519.Sign(priv, Message(hashes)), Layout: o.Layout}
	if rec.Layout == "" {
		rec.Layout = LayoutWsc
	}
	if rec.Layout != LayoutWsc && rec.Layout != LayoutWasmsign2 {
		return nil, nil, fmt.Errorf("layout %q: use wsc or wasmsign2", o.Layout)
	}
	if o.KeyID {
		rec.KeyID = signing.WscKeyID(priv.Public().(ed25519.PublicKey))
	}
	placed := false
	for i := range sd.Sets {
		if !sameHashes(sd.Sets[i].Hashes, hashes) {
			continue
		}
		if sd.Sets[i].hasRecord(rec.KeyID, rec.Signature) {
			return nil, nil, ErrDuplicate
		}
		if len(sd.Sets[i].Records) >= MaxSignatures {
			return nil, nil, fmt.Errorf("the set already holds %d signatures", MaxSignatures)
		}
		sd.Sets[i].Records = append(sd.Sets[i].Records, rec)
		placed = true
		break
	}
	if !placed {
		if len(sd.Sets) >= MaxSets {
			return nil, nil, fmt.Errorf("the module already holds %d signed-hash sets", MaxSets)
		}
		sd.Sets = append(sd.Sets, Set{Hashes: hashes, Records: []Record{rec}})
	}
	data := sd.Bytes()
	if o.Detached {
		return m.WriteAll(), data, nil
	}
	sec := CustomSection(SignatureSection, data)
	return m.Write(&sec), data, nil
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	// Detached is signature data from a separate file; the module's own
	// signature section, if any, is then part of the signed content.
	Detached []byte
	// Strict refuses non-canonical encodings and extra signature sections,
	// and checks the hashes of the canonical re-serialisation rather than
	// the raw bytes.
	Strict bool
}

// VerifyResult says which signature verified.
type VerifyResult struct {
	KeyID   string `json:"key_id"` // the key's id
	Set     int    `json:"set"`
	Record  int    `json:"record"`
	ByKeyID bool   `json:"by_key_id"` // the record named the key; else it had no key id
	Digest  string `json:"digest"`
	Tried   int    `json:"tried"`   // records tried with the key
	Skipped int    `json:"skipped"` // records skipped: another key id
}

// Verify checks a module's signature with a public key as wsc does: records
// naming another key id are skipped, records without a key id are tried,
// and the SHA-256 of the raw bytes after the signature section must equal a
// hash of a set with a valid signature.
func Verify(raw []byte, pub ed25519.PublicKey, o VerifyOptions) (*VerifyResult, error) {
	m, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	var data []byte
	var base int64
	contentStart := len(m.Header)
	if o.Detached != nil {
		data = o.Detached
	} else {
		s := m.SignatureSectionOf()
		if s == nil {
			return nil, ErrNoSignatures
		}
		data, base = s.Data, s.Offset+s.Size-int64(len(s.Data))
		contentStart = int(s.Offset + s.Size)
	}
	sd, err := ParseSignatureData(data, base)
	if err != nil {
		return nil, err
	}
	if sd.HashFn != 0x01 {
		return nil, ErrUnsupportedHash
	}
	if o.Strict {
		if !m.Canonical() {
			for i := range m.Sections {
				if !m.Sections[i].Canonical {
					return nil, &ParseError{m.Sections[i].Offset, "strict: non-canonical LEB128 encoding"}
				}
			}
		}
		for i := range m.Sections {
			if i > 0 && m.Sections[i].IsCustom(SignatureSection) {
				return nil, &ParseError{m.Sections[i].Offset, "strict: a second signature section"}
			}
		}
	}
	kid := signing.WscKeyID(pub)
	res := &VerifyResult{KeyID: hex.EncodeToString(kid), Set: -1, Record: -1}
	var valid [][32]byte
	for si, set := range sd.Sets {
		msg := Message(set.Hashes)
		for ri, rec := range set.Records {
			if len(rec.KeyID) > 0 && !bytes.Equal(rec.KeyID, kid) {
				res.Skipped++
				continue
			}
			res.Tried++
			if len(rec.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, msg, rec.Signature) {
				valid = append(valid, set.Hashes...)
				if res.Set < 0 {
					res.Set, res.Record, res.ByKeyID = si, ri, len(rec.KeyID) > 0
				}
			}
		}
	}
	if len(valid) == 0 {
		return res, fmt.Errorf("%w with this key (%d record(s) tried, %d naming another key skipped)", ErrNoValid, res.Tried, res.Skipped)
	}
	var digests [][32]byte
	if o.Strict {
		// The whole module, re-serialised canonically, as the signer hashed it.
		all := m.SignedHashes()
		digests = all[len(all)-1:]
	} else {
		digests = [][32]byte{sha256.Sum256(raw[contentStart:])}
	}
	for _, d := range digests {
		for _, v := range valid {
			if subtle.ConstantTimeCompare(d[:], v[:]) == 1 {
				res.Digest = hex.EncodeToString(d[:])
				return res, nil
			}
		}
	}
	return res, fmt.Errorf("%w: a signature by this key is valid, but the module's content (sha256 %x) is not what it signed", ErrNoValid, digests[len(digests)-1])
}

// RecordMatches reports whether a record belongs to the key: by key id
// when it has one, else by verifying it over its set's hashes.
func RecordMatches(rec Record, set *Set, pub ed25519.PublicKey, kid []byte) bool {
	if len(rec.KeyID) > 0 {
		return bytes.Equal(rec.KeyID, kid)
	}
	return pub != nil && len(rec.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, Message(set.Hashes), rec.Signature)
}

// ResignResult says what Resign did.
type ResignResult struct {
	Dropped int `json:"dropped"` // records removed
	Kept    int `json:"kept"`    // records of other signers kept
}

// Resign removes the records of one key — matched by key id, and records
// without a key id that verify with dropPub — keeps every other signer,
// then adds a signature with priv. dropPub may be nil when only a key id is
// known (records without a key id are then kept).
func Resign(raw []byte, dropKID []byte, dropPub ed25519.PublicKey, priv ed25519.PrivateKey, o SignOptions) ([]byte, *ResignResult, error) {
	m, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	sd, err := existing(m)
	if err != nil {
		return nil, nil, err
	}
	res := &ResignResult{}
	var sets []Set
	for i := range sd.Sets {
		set := sd.Sets[i]
		var keep []Record
		for _, rec := range set.Records {
			if RecordMatches(rec, &set, dropPub, dropKID) {
				res.Dropped++
				continue
			}
			keep = append(keep, rec)
		}
		res.Kept += len(keep)
		if len(keep) > 0 {
			set.Records = keep
			sets = append(sets, set)
		}
	}
	sd.Sets = sets
	// Rebuild the module with the reduced section (or none), then sign it.
	var first *Section
	if len(sets) > 0 {
		s := sd.Section()
		first = &s
	}
	rebuilt, err := Parse(m.Write(first))
	if err != nil {
		return nil, nil, err
	}
	out, _, err := signModule(rebuilt, priv, o)
	if err != nil {
		return nil, nil, err
	}
	return out, res, nil
}
