package signing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// ChecksumFile is one entry of a checksums manifest.
type ChecksumFile struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Path   string `json:"path"`
}

// Manifest is the checksums manifest firebreak writes: the per-file object
// form of ClawSec's release and advisory manifests, with algorithm and
// schema_version so every ClawSec consumer accepts it.
type Manifest struct {
	SchemaVersion string                  `json:"schema_version"`
	Algorithm     string                  `json:"algorithm"`
	Version       string                  `json:"version,omitempty"`
	GeneratedAt   string                  `json:"generated_at"`
	Repository    string                  `json:"repository,omitempty"`
	Tag           string                  `json:"tag,omitempty"`
	Files         map[string]ChecksumFile `json:"files"`
}

// MarshalManifest encodes m as ClawSec's tools do: keys sorted, two-space
// indentation, a trailing newline.
func MarshalManifest(m *Manifest) ([]byte, error) {
	if m.GeneratedAt == "" {
		m.GeneratedAt = time.Now().UTC().Format("2006-01-02T15:04:05Z")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var hex64 = regexp.MustCompile(`^[a-f0-9]{64}$`)

// ParsedManifest is a manifest as a consumer reads it: name -> sha256.
type ParsedManifest struct {
	SchemaVersion string
	Entries       map[string]string
}

// ParseManifest reads any of the ClawSec manifest shapes with the consumers'
// rules: algorithm optional and sha256 only; files an object whose values
// are a hex string or an object with a sha256 field; every entry valid; at
// least one entry.
func ParseManifest(b []byte) (*ParsedManifest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("checksums manifest is not a JSON object: %v", err)
	}
	if a, ok := raw["algorithm"]; ok {
		var s string
		if json.Unmarshal(a, &s) != nil || !strings.EqualFold(s, "sha256") {
			return nil, fmt.Errorf("checksums manifest algorithm %s is not sha256", string(a))
		}
	}
	pm := &ParsedManifest{SchemaVersion: "1", Entries: map[string]string{}}
	for _, k := range []string{"schema_version", "version", "generated_at"} {
		var s string
		if v, ok := raw[k]; ok && json.Unmarshal(v, &s) == nil && s != "" {
			pm.SchemaVersion = s
			break
		}
	}
	var files map[string]json.RawMessage
	if f, ok := raw["files"]; !ok || json.Unmarshal(f, &files) != nil || files == nil {
		return nil, errors.New(`checksums manifest has no "files" object`)
	}
	for name, v := range files {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var obj struct {
				SHA256 *string `json:"sha256"`
			}
			if json.Unmarshal(v, &obj) != nil || obj.SHA256 == nil {
				return nil, fmt.Errorf("checksums manifest entry %q has no sha256", name)
			}
			s = *obj.SHA256
		}
		s = strings.ToLower(strings.TrimSpace(s))
		if !hex64.MatchString(s) {
			return nil, fmt.Errorf("checksums manifest entry %q: %q is not a SHA-256 hex digest", name, s)
		}
		pm.Entries[name] = s
	}
	if len(pm.Entries) == 0 {
		return nil, errors.New("checksums manifest lists no files")
	}
	return pm, nil
}

// NormalizeName normalises a file name as ClawSec's consumers do: \ to /,
// leading ./ and / removed.
func NormalizeName(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	for {
		switch {
		case strings.HasPrefix(n, "./"):
			n = n[2:]
		case strings.HasPrefix(n, "/"):
			n = n[1:]
		default:
			return n
		}
	}
}

// Lookup finds the manifest key for a file name with the consumers' rules:
// exact normalised name, its basename, advisories/<basename>, then a unique
// key with that basename.
func (pm *ParsedManifest) Lookup(name string) (key, sum string, err error) {
	n := NormalizeName(name)
	base := path.Base(n)
	for _, k := range []string{n, base, "advisories/" + base} {
		if s, ok := pm.Entries[k]; ok {
			return k, s, nil
		}
	}
	var match []string
	for k := range pm.Entries {
		if path.Base(NormalizeName(k)) == base {
			match = append(match, k)
		}
	}
	sort.Strings(match)
	switch len(match) {
	case 1:
		return match[0], pm.Entries[match[0]], nil
	case 0:
		return "", "", fmt.Errorf("missing required entry for %s", name)
	}
	return "", "", fmt.Errorf("ambiguous entries for %s: %s", name, strings.Join(match, ", "))
}

// SafeRelative reports whether a manifest key names a file below the
// manifest's directory (no absolute path, no ..).
func SafeRelative(key string) bool {
	n := NormalizeName(key)
	if n == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\x00") {
		return false
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}
