package sigstore

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// MaxRoot bounds a trusted root file (the public-good one is 7 KB).
const MaxRoot = 4 << 20

// Root is a trusted_root.json: its bytes, their SHA-256 and what is in it.
type Root struct {
	Path   string      `json:"path"`
	SHA256 string      `json:"sha256"`
	Raw    []byte      `json:"-"`
	CAs    []Authority `json:"certificate_authorities"`
	TSAs   []Authority `json:"timestamp_authorities"`
	Tlogs  []Log       `json:"tlogs"`
	CTLogs []Log       `json:"ctlogs"`
}

// Authority is a certificate authority (Fulcio) or timestamp authority.
type Authority struct {
	URI     string   `json:"uri"`
	Subject string   `json:"subject"`
	Certs   []string `json:"certs"` // SHA-256 of each certificate, in the root's order
	Valid   Validity `json:"valid"`
	// CertSubjects are the certificates' subjects and their own validity.
	CertSubjects []string `json:"cert_subjects"`
}

// Log is a transparency log (Rekor) or a certificate-transparency log.
type Log struct {
	BaseURL  string   `json:"base_url"`
	LogID    string   `json:"log_id"` // hex
	KeyType  string   `json:"key_type"`
	KeySHA   string   `json:"key_sha256"`
	Valid    Validity `json:"valid"`
	HashAlgo string   `json:"hash_algorithm,omitempty"`
}

// Validity is when a key or CA may be trusted; a zero End is open.
type Validity struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

func (v Validity) String() string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "open"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	}
	return f(v.Start) + " to " + f(v.End)
}

// Contains says whether t is inside the validity.
func (v Validity) Contains(t time.Time) bool {
	return (v.Start.IsZero() || !t.Before(v.Start)) && (v.End.IsZero() || !t.After(v.End))
}

type rawValidity struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type rawLog struct {
	BaseURL       string `json:"baseUrl"`
	HashAlgorithm string `json:"hashAlgorithm"`
	PublicKey     struct {
		RawBytes   string      `json:"rawBytes"`
		KeyDetails string      `json:"keyDetails"`
		ValidFor   rawValidity `json:"validFor"`
	} `json:"publicKey"`
	LogID struct {
		KeyID string `json:"keyId"`
	} `json:"logId"`
}

type rawAuthority struct {
	Subject struct {
		Organization string `json:"organization"`
		CommonName   string `json:"commonName"`
	} `json:"subject"`
	URI       string `json:"uri"`
	CertChain struct {
		Certificates []struct {
			RawBytes string `json:"rawBytes"`
		} `json:"certificates"`
	} `json:"certChain"`
	ValidFor rawValidity `json:"validFor"`
}

type rawRoot struct {
	MediaType string         `json:"mediaType"`
	Tlogs     []rawLog       `json:"tlogs"`
	CAs       []rawAuthority `json:"certificateAuthorities"`
	CTLogs    []rawLog       `json:"ctlogs"`
	TSAs      []rawAuthority `json:"timestampAuthorities"`
}

// LoadRoot reads a trusted root from a regular file (not through a
// symlink's target type check: a root is read, never written).
func LoadRoot(path string) (*Root, error) {
	raw, err := fsutil.ReadRegular(path, MaxRoot)
	if err != nil {
		return nil, err
	}
	r, err := ParseRoot(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.Path = path
	return r, nil
}

// ParseRoot reads a trusted root's bytes. It checks the form and reads
// what a diff shows; the verifier (sigstore-go) is what trusts it.
func ParseRoot(raw []byte) (*Root, error) {
	var rr rawRoot
	if err := json.Unmarshal(raw, &rr); err != nil {
		return nil, fmt.Errorf("not a trusted root (JSON): %w", err)
	}
	if !strings.HasPrefix(rr.MediaType, "application/vnd.dev.sigstore.trustedroot") {
		return nil, fmt.Errorf("not a trusted root: media type %q", rr.MediaType)
	}
	sum := sha256.Sum256(raw)
	r := &Root{SHA256: hex.EncodeToString(sum[:]), Raw: raw}
	var err error
	if r.Tlogs, err = logs("tlogs", rr.Tlogs); err != nil {
		return nil, err
	}
	if r.CTLogs, err = logs("ctlogs", rr.CTLogs); err != nil {
		return nil, err
	}
	if r.CAs, err = authorities("certificateAuthorities", rr.CAs); err != nil {
		return nil, err
	}
	if r.TSAs, err = authorities("timestampAuthorities", rr.TSAs); err != nil {
		return nil, err
	}
	if len(r.CAs) == 0 || len(r.Tlogs) == 0 {
		return nil, fmt.Errorf("a trusted root for keyless verification needs a certificate authority and a transparency log; this one has %d and %d", len(r.CAs), len(r.Tlogs))
	}
	return r, nil
}

func validity(where string, v rawValidity) (Validity, error) {
	var out Validity
	var err error
	if v.Start != "" {
		if out.Start, err = time.Parse(time.RFC3339Nano, v.Start); err != nil {
			return out, fmt.Errorf("%s: validFor.start %q: not an RFC 3339 time", where, v.Start)
		}
	}
	if v.End != "" {
		if out.End, err = time.Parse(time.RFC3339Nano, v.End); err != nil {
			return out, fmt.Errorf("%s: validFor.end %q: not an RFC 3339 time", where, v.End)
		}
	}
	return out, nil
}

func logs(field string, in []rawLog) ([]Log, error) {
	var out []Log
	for i, l := range in {
		where := fmt.Sprintf("%s[%d]", field, i)
		id, err := base64.StdEncoding.DecodeString(l.LogID.KeyID)
		if err != nil || len(id) == 0 {
			return nil, fmt.Errorf("%s: logId.keyId is not base64", where)
		}
		key, err := base64.StdEncoding.DecodeString(l.PublicKey.RawBytes)
		if err != nil || len(key) == 0 {
			return nil, fmt.Errorf("%s: publicKey.rawBytes is not base64", where)
		}
		v, err := validity(where+".publicKey", l.PublicKey.ValidFor)
		if err != nil {
			return nil, err
		}
		ks := sha256.Sum256(key)
		out = append(out, Log{BaseURL: l.BaseURL, LogID: hex.EncodeToString(id), KeyType: l.PublicKey.KeyDetails,
			KeySHA: hex.EncodeToString(ks[:]), Valid: v, HashAlgo: l.HashAlgorithm})
	}
	return out, nil
}

func authorities(field string, in []rawAuthority) ([]Authority, error) {
	var out []Authority
	for i, a := range in {
		where := fmt.Sprintf("%s[%d]", field, i)
		v, err := validity(where, a.ValidFor)
		if err != nil {
			return nil, err
		}
		au := Authority{URI: a.URI, Valid: v, Subject: strings.Trim(a.Subject.Organization+"/"+a.Subject.CommonName, "/")}
		for j, c := range a.CertChain.Certificates {
			der, err := base64.StdEncoding.DecodeString(c.RawBytes)
			if err != nil {
				return nil, fmt.Errorf("%s.certChain.certificates[%d]: not base64", where, j)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("%s.certChain.certificates[%d]: %v", where, j, err)
			}
			s := sha256.Sum256(der)
			au.Certs = append(au.Certs, hex.EncodeToString(s[:]))
			au.CertSubjects = append(au.CertSubjects, fmt.Sprintf("%s (%s to %s)", cert.Subject, cert.NotBefore.UTC().Format("2006-01-02"), cert.NotAfter.UTC().Format("2006-01-02")))
		}
		if len(au.Certs) == 0 {
			return nil, fmt.Errorf("%s: no certificate in certChain", where)
		}
		out = append(out, au)
	}
	return out, nil
}

// Change is one difference between two trusted roots.
type Change struct {
	Op     string `json:"op"`   // added, removed, changed
	What   string `json:"what"` // certificate authority, timestamp authority, transparency log, CT log
	Name   string `json:"name"` // URI or base URL, and the key or certificate
	Detail string `json:"detail"`
}

func (c Change) String() string {
	sign := map[string]string{"added": "+", "removed": "-", "changed": "~"}[c.Op]
	return fmt.Sprintf("%s %s %s: %s", sign, c.What, c.Name, c.Detail)
}

// Diff says what changed from old to new: what a verifier pinned to old
// must learn (added), forget (removed) or re-date (changed).
func Diff(old, new *Root) []Change {
	var out []Change
	out = append(out, diffAuth("certificate authority", old.CAs, new.CAs)...)
	out = append(out, diffLogs("transparency log", old.Tlogs, new.Tlogs)...)
	out = append(out, diffLogs("CT log", old.CTLogs, new.CTLogs)...)
	out = append(out, diffAuth("timestamp authority", old.TSAs, new.TSAs)...)
	return out
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func diffAuth(what string, old, new []Authority) []Change {
	return diffItems(what, old, new,
		func(a Authority) string { return a.URI + " " + a.Certs[0] },
		func(a Authority) string {
			return fmt.Sprintf("%s %s (certificate sha256 %s)", a.URI, a.Subject, short(a.Certs[0]))
		},
		func(a Authority) Validity { return a.Valid },
		func(a Authority) string {
			return "valid " + a.Valid.String() + "; " + strings.Join(a.CertSubjects, "; ")
		},
		func(a, b Authority) []string {
			if strings.Join(a.Certs, ",") != strings.Join(b.Certs, ",") {
				return []string{fmt.Sprintf("chain of %d certificate(s) -> %d", len(a.Certs), len(b.Certs))}
			}
			return nil
		})
}

func diffLogs(what string, old, new []Log) []Change {
	return diffItems(what, old, new,
		func(l Log) string { return l.LogID },
		func(l Log) string { return fmt.Sprintf("%s (log id %s, %s)", l.BaseURL, short(l.LogID), l.KeyType) },
		func(l Log) Validity { return l.Valid },
		func(l Log) string { return "valid " + l.Valid.String() + ", key sha256 " + short(l.KeySHA) },
		func(a, b Log) []string {
			var out []string
			if a.KeySHA != b.KeySHA {
				out = append(out, "public key sha256 "+short(a.KeySHA)+" -> "+short(b.KeySHA))
			}
			if a.BaseURL != b.BaseURL {
				out = append(out, "base URL "+a.BaseURL+" -> "+b.BaseURL)
			}
			return out
		})
}

// diffItems compares two lists of one kind by key: removed, re-dated or
// otherwise changed (what other says), added; in key order.
func diffItems[T any](what string, old, new []T, key, name func(T) string, valid func(T) Validity, added func(T) string, other func(a, b T) []string) []Change {
	om, nm := map[string]T{}, map[string]T{}
	for _, x := range old {
		om[key(x)] = x
	}
	for _, x := range new {
		nm[key(x)] = x
	}
	var out []Change
	for _, k := range sortedKeys(om) {
		a := om[k]
		b, ok := nm[k]
		if !ok {
			out = append(out, Change{"removed", what, name(a), "was valid " + valid(a).String()})
			continue
		}
		if valid(a) != valid(b) {
			out = append(out, Change{"changed", what, name(a), "validity " + valid(a).String() + " -> " + valid(b).String()})
		}
		for _, d := range other(a, b) {
			out = append(out, Change{"changed", what, name(a), d})
		}
	}
	for _, k := range sortedKeys(nm) {
		if _, ok := om[k]; !ok {
			out = append(out, Change{"added", what, name(nm[k]), added(nm[k])})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
