package sigstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// Signer is an identity (certificate SAN) and, optionally, its OIDC
// issuer: an expected signer, or a blocked one.
type Signer struct {
	Identity string `yaml:"identity" json:"identity"`
	Issuer   string `yaml:"issuer,omitempty" json:"issuer,omitempty"`
}

func (s Signer) String() string {
	if s.Issuer == "" {
		return s.Identity
	}
	return s.Identity + " (" + s.Issuer + ")"
}

// Matches says whether an identity and issuer are this signer's.
func (s Signer) Matches(identity, issuer string) bool {
	return s.Identity == identity && (s.Issuer == "" || s.Issuer == issuer)
}

// LoadSigners reads a YAML list of {identity, issuer}.
func LoadSigners(path string) ([]Signer, error) {
	raw, err := fsutil.ReadRegular(path, 1<<20)
	if err != nil {
		return nil, err
	}
	return ParseSigners(path, raw)
}

// ParseSigners reads a signers list; errors name the file and line.
func ParseSigners(name string, raw []byte) ([]Signer, error) {
	var out []Signer
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty: a YAML list of {identity: SAN, issuer: URL} is expected", name)
		}
		return nil, fmt.Errorf("%s: %v (a YAML list of {identity: SAN, issuer: URL} is expected)", name, err)
	}
	for i, s := range out {
		if strings.TrimSpace(s.Identity) == "" {
			return nil, fmt.Errorf("%s: entry %d has no identity", name, i+1)
		}
	}
	return out, nil
}

// Window is the incident window an audit looks at; a zero bound is open.
type Window struct {
	Since, Until time.Time
}

// Contains says whether t is inside; an unknown time counts as inside,
// since nothing shows it is not.
func (w Window) Contains(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	return (w.Since.IsZero() || !t.Before(w.Since)) && (w.Until.IsZero() || !t.After(w.Until))
}

func (w Window) String() string {
	f := func(t time.Time, open string) string {
		if t.IsZero() {
			return open
		}
		return t.UTC().Format(time.RFC3339)
	}
	return f(w.Since, "the beginning") + " to " + f(w.Until, "now")
}

// Finding is one signature an audit found.
type Finding struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"` // bundle or wasm
	Artifact string `json:"artifact"`
	// Digest is what the signature was checked against: the artifact file
	// beside a bundle, the module's hash, or the digest the bundle names.
	Digest         string    `json:"digest,omitempty"`
	ArtifactFile   string    `json:"artifact_file,omitempty"`
	Identity       string    `json:"identity,omitempty"`
	Issuer         string    `json:"issuer,omitempty"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
	// TimeVerified: the integrated time is one the verifier checked; an
	// unverified signature's time is only claimed, and it counts as
	// inside the window.
	TimeVerified bool      `json:"time_verified"`
	LogIndex     int64     `json:"log_index,omitempty"`
	LogID        string    `json:"log_id,omitempty"`
	Subjects     []Subject `json:"subjects,omitempty"` // a DSSE statement's, every one
	Verified     bool      `json:"verified"`
	Problem      string    `json:"problem,omitempty"`
	InWindow     bool      `json:"in_window"`
	// Signer is "expected", "unexpected", "blocked" or "" (no list given).
	Signer string   `json:"signer,omitempty"`
	Failed bool     `json:"failed"`
	Notes  []string `json:"notes,omitempty"`
}

// Why says in words why a finding fails the audit ("" when it does not).
func (f *Finding) Why() string {
	var why []string
	if f.Signer == "blocked" {
		why = append(why, "signed by a blocked identity")
	}
	if f.InWindow && !f.Verified {
		why = append(why, "does not verify")
	}
	if f.InWindow && f.Signer == "unexpected" {
		why = append(why, "signer not on the expected list")
	}
	return strings.Join(why, "; ")
}

// Skipped is a file an audit looked at and did not count as a signature.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summary counts an audit.
type Summary struct {
	Window     string    `json:"window"`
	RootSHA256 string    `json:"trusted_root_sha256"`
	Signatures int       `json:"signatures"`
	Verified   int       `json:"verified"`
	InWindow   int       `json:"in_window"`
	Failed     int       `json:"failed"`
	Unexpected int       `json:"unexpected"`
	Blocked    int       `json:"blocked"`
	Skipped    []Skipped `json:"skipped"`
	Identities []string  `json:"identities"` // distinct, in the window
	// Error is why the audit stopped before the end (the findings above
	// are those made until then).
	Error string `json:"error,omitempty"`
}

// Checker verifies one request: the verifier process (*Verifier), or a
// test's stand-in.
type Checker interface {
	Verify(*Request) (Result, error)
}

// AuditOptions is what an audit checks against.
type AuditOptions struct {
	Paths    []string
	Window   Window
	Signers  []Signer // expected; nil: no list
	Blocked  []Signer
	Verifier Checker
	// Found is called for each signature, in path order; Progress for
	// each file looked at.
	Found    func(Finding) error
	Progress func(path string, files int)
}

// Audit finds Sigstore bundles and keyless-signed modules under the paths
// and verifies each. Memory stays bounded: one bundle or module at a time.
func Audit(ctx context.Context, o AuditOptions) (*Summary, error) {
	sum := &Summary{Window: o.Window.String(), Skipped: []Skipped{}, Identities: []string{}}
	seen := map[string]bool{}
	files := 0
	visit := func(path string, explicit bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		files++
		if o.Progress != nil {
			o.Progress(path, files)
		}
		f, skip, err := inspect(path, explicit, o.Verifier)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if skip != "" {
			if skip != "-" {
				sum.Skipped = append(sum.Skipped, Skipped{path, skip})
			}
			return nil
		}
		judge(f, o)
		sum.Signatures++
		if f.Verified {
			sum.Verified++
		}
		if f.InWindow {
			sum.InWindow++
			if f.Identity != "" && !seen[f.Identity] {
				seen[f.Identity] = true
				sum.Identities = append(sum.Identities, f.Identity)
			}
		}
		switch f.Signer {
		case "unexpected":
			if f.InWindow {
				sum.Unexpected++
			}
		case "blocked":
			sum.Blocked++
		}
		if f.Failed {
			sum.Failed++
		}
		if o.Found != nil {
			return o.Found(*f)
		}
		return nil
	}
	done := map[string]bool{}
	for _, p := range o.Paths {
		// A path named on the command line is followed when it is a link
		// (the responder named it); links met while walking are not.
		fi, err := os.Stat(p)
		if err != nil {
			return sum, err
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return sum, err
		}
		if abs, err := filepath.Abs(real); err == nil {
			if done[abs] {
				continue
			}
			done[abs] = true
		}
		if !fi.IsDir() {
			if err := visit(real, true); err != nil {
				return sum, err
			}
			continue
		}
		err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				sum.Skipped = append(sum.Skipped, Skipped{path, "unreadable: " + err.Error()})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !candidate(d.Name()) && !d.Type().IsRegular() {
				return nil
			}
			return visit(path, false)
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// judge places a finding in the window and against the signer lists.
func judge(f *Finding, o AuditOptions) {
	// Only a verified time places a signature outside the window: a time
	// a signature claims for itself is whatever its maker wrote.
	f.InWindow = !(f.Verified && f.TimeVerified) || o.Window.Contains(f.IntegratedTime)
	for _, b := range o.Blocked {
		if b.Matches(f.Identity, f.Issuer) {
			f.Signer = "blocked"
		}
	}
	if f.Signer == "" && o.Signers != nil {
		f.Signer = "unexpected"
		for _, s := range o.Signers {
			if s.Matches(f.Identity, f.Issuer) {
				f.Signer = "expected"
				break
			}
		}
	}
	f.Failed = f.Why() != ""
}

// Bundle name suffixes, longest first.
var bundleSuffixes = []string{".sigstore.json", ".sigstore", ".bundle"}

// candidate: a name a bundle or module goes by (any case). Other regular
// files are looked at too, by their first four bytes: a module renamed
// (forged.wasm.1, no extension) is still a module.
func candidate(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".wasm") {
		return true
	}
	for _, s := range bundleSuffixes {
		if strings.HasSuffix(lower, s) && len(lower) > len(s) {
			return true
		}
	}
	return false
}

// inspect reads one file. skip is why it is not a signature ("-": not
// worth reporting, a module without a keyless signature found by a walk).
func inspect(path string, explicit bool, v Checker) (*Finding, string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, "unreadable: " + err.Error(), nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, "a symbolic link: not followed (name its target instead)", nil
	}
	if !fi.Mode().IsRegular() {
		return nil, "not a regular file (" + fsutil.TypeName(fi.Mode()) + ")", nil
	}
	head, err := readHead(path, 4)
	if err != nil {
		return nil, "unreadable: " + err.Error(), nil
	}
	if bytes.Equal(head, []byte{0x00, 0x61, 0x73, 0x6d}) {
		return inspectModule(path, explicit, v)
	}
	name := filepath.Base(path)
	if strings.HasSuffix(strings.ToLower(name), ".wasm") {
		return nil, "named .wasm but not a WebAssembly module", nil
	}
	if !explicit && !candidate(name) {
		return nil, "-", nil // an ordinary file
	}
	return inspectBundle(path, fi.Size(), v)
}

func readHead(path string, n int) ([]byte, error) {
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:k], nil
}

func inspectModule(path string, explicit bool, v Checker) (*Finding, string, error) {
	// A file that starts like a module and cannot be checked fails the
	// audit: whatever it carries, nothing vouches for it, and a forger
	// would rather have it left out.
	unchecked := func(why string) (*Finding, string, error) {
		return &Finding{Path: path, Kind: "wasm", Artifact: filepath.Base(path), Problem: why}, "", nil
	}
	raw, err := wasmsig.ReadFile(path)
	if err != nil {
		return unchecked("could not be read: " + err.Error())
	}
	inf, err := wasmsig.Describe(raw)
	if err != nil {
		return unchecked("not a valid module: " + err.Error())
	}
	if inf.Keyless == nil {
		if inf.Signature == "invalid" {
			// A signature section that does not parse (keyless or not) is
			// a finding that fails, never a module left out.
			return unchecked("its signature section does not parse: " + inf.Problem)
		}
		if len(inf.LateSignatureSections) > 0 {
			return nil, fmt.Sprintf("a signature section that is not first (section %d): verifiers ignore it, so the module is %s", inf.LateSignatureSections[0], inf.Signature), nil
		}
		if explicit {
			return nil, "no keyless signature (" + inf.Signature + ")", nil
		}
		return nil, "-", nil
	}
	f := &Finding{Path: path, Kind: "wasm", Artifact: filepath.Base(path), Digest: "sha256:" + inf.KeylessOK.ComputedHash}
	res, err := VerifyModule(v, inf, Policy{})
	if err != nil {
		return nil, "", err
	}
	fill(f, res)
	if len(inf.LateSignatureSections) > 0 {
		f.Notes = append(f.Notes, "it also carries a signature section that is not first (verifiers ignore it)")
	}
	return f, "", nil
}

func inspectBundle(path string, size int64, v Checker) (*Finding, string, error) {
	if size > MaxBundle {
		return nil, fmt.Sprintf("%d bytes: larger than the %d a bundle may be", size, MaxBundle), nil
	}
	raw, err := fsutil.ReadRegular(path, MaxBundle)
	if err != nil {
		return nil, "unreadable: " + err.Error(), nil
	}
	if !hasBundleName(path) {
		// Named on the command line under another name: a bundle only if
		// it says so. A file named like a bundle that is not one is a
		// finding that fails (a release's bundle may have been replaced).
		var head struct {
			MediaType string `json:"mediaType"`
		}
		if json.Unmarshal(raw, &head) != nil || !strings.HasPrefix(head.MediaType, "application/vnd.dev.sigstore.bundle") {
			return nil, "not a Sigstore bundle (no bundle media type) and not a module", nil
		}
	}
	f := &Finding{Path: path, Kind: "bundle", Artifact: artifactName(path)}
	req := &Request{Kind: "bundle", Bundle: raw}
	art, artProblem := artifactPath(path)
	if art != "" && artProblem == "" {
		ds, err := HashFile(art)
		if err != nil {
			artProblem = "the artifact " + filepath.Base(art) + " beside the bundle could not be read: " + err.Error()
		} else {
			f.ArtifactFile = art
			req.Artifact = ds
		}
	}
	res, err := v.Verify(req)
	if err != nil {
		return nil, "", err
	}
	fill(f, res)
	if artProblem != "" {
		// An artifact is there and could not be checked: the bundle's
		// own digest says nothing about it.
		f.Verified, f.TimeVerified = false, false
		f.Problem = joinProblems(artProblem, f.Problem)
	}
	switch {
	case res.BoundTo == "artifact" && len(req.Artifact) > 0:
		f.Digest = res.ArtifactDigest
	case len(res.Digests) == 1:
		f.Digest = res.Digests[0].String()
	case len(res.Subjects) > 0 && len(res.Subjects[0].Digests) > 0:
		f.Digest = res.Subjects[0].Digests[0].String()
		if res.Subjects[0].Name != "" {
			f.Artifact = res.Subjects[0].Name
		}
	}
	f.Subjects = res.Subjects
	if f.ArtifactFile == "" {
		f.Notes = append(f.Notes, "no artifact file beside the bundle: checked against the digest the bundle names")
	}
	return f, "", nil
}

func hasBundleName(path string) bool {
	lower := strings.ToLower(path)
	for _, s := range bundleSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

func fill(f *Finding, res Result) {
	f.Verified, f.Problem = res.Verified, res.Problem
	f.Identity, f.Issuer = res.Identity, res.Issuer
	f.IntegratedTime, f.LogIndex, f.LogID = res.IntegratedTime, res.LogIndex, res.LogID
	f.TimeVerified = res.Verified && res.TimeVerified
	f.Notes = append(f.Notes, res.Notes...)
}

func joinProblems(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

// artifactName is the bundle's name without its suffix.
func artifactName(path string) string {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, s := range bundleSuffixes {
		if strings.HasSuffix(lower, s) {
			return base[:len(base)-len(s)]
		}
	}
	return base
}

// artifactPath is the file beside a bundle that it signs, if there is
// one; problem says why one that is there cannot be checked (a link, not
// a regular file).
func artifactPath(path string) (art, problem string) {
	lower := strings.ToLower(path)
	for _, s := range bundleSuffixes {
		if strings.HasSuffix(lower, s) {
			p := path[:len(path)-len(s)]
			fi, err := os.Lstat(p)
			switch {
			case err != nil:
				return "", ""
			case fi.Mode()&fs.ModeSymlink != 0:
				return p, "the artifact " + filepath.Base(p) + " beside the bundle is a symbolic link (not followed): not checked"
			case !fi.Mode().IsRegular():
				return p, "the artifact " + filepath.Base(p) + " beside the bundle is not a regular file (" + fsutil.TypeName(fi.Mode()) + "): not checked"
			}
			return p, ""
		}
	}
	return "", ""
}

// HashFile computes a file's SHA-256, SHA-384 and SHA-512 in one pass
// (a bundle may name any of them).
func HashFile(path string) ([]Digest, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := []hash.Hash{sha256.New(), sha512.New384(), sha512.New()}
	if _, err := io.Copy(io.MultiWriter(hs[0], hs[1], hs[2]), f); err != nil {
		return nil, err
	}
	names := []string{"sha256", "sha384", "sha512"}
	out := make([]Digest, len(hs))
	for i, h := range hs {
		out[i] = Digest{names[i], hex.EncodeToString(h.Sum(nil))}
	}
	return out, nil
}

// ReportWriter writes an audit report as one JSON object, finding by
// finding: {"findings": [...], "summary": {...}}.
type ReportWriter struct {
	w   io.Writer
	n   int
	err error
}

// NewReportWriter starts a report.
func NewReportWriter(w io.Writer) *ReportWriter {
	r := &ReportWriter{w: w}
	_, r.err = io.WriteString(w, "{\n  \"findings\": [")
	return r
}

// Finding adds one finding.
func (r *ReportWriter) Finding(f Finding) error {
	if r.err != nil {
		return r.err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sep := ",\n    "
	if r.n == 0 {
		sep = "\n    "
	}
	r.n++
	if _, r.err = io.WriteString(r.w, sep); r.err == nil {
		_, r.err = r.w.Write(b)
	}
	return r.err
}

// Close ends the report with its summary.
func (r *ReportWriter) Close(s *Summary) error {
	if r.err != nil {
		return r.err
	}
	b, err := json.MarshalIndent(s, "  ", "  ")
	if err != nil {
		return err
	}
	end := "\n  ],\n  \"summary\": "
	if r.n == 0 {
		end = "],\n  \"summary\": "
	}
	_, r.err = io.WriteString(r.w, end+string(b)+"\n}\n")
	return r.err
}

// InspectFile reads one module or bundle: who signed it and its Rekor
// entry, verified against root when there is one. verdict is "verified",
// "untrusted: WHY" or "not verified: no trusted root".
func InspectFile(ctx context.Context, path string, root *Root, notify func(string)) (*Finding, string, error) {
	v, err := Start(ctx, root, notify)
	if err != nil {
		return nil, "", err
	}
	defer v.Close()
	f, skip, err := inspect(path, true, v)
	if err != nil {
		return nil, "", err
	}
	if skip != "" {
		return nil, "", fmt.Errorf("%s: %s", path, skip)
	}
	switch {
	case root == nil:
		f.Verified, f.Problem = false, NoRoot
		return f, "not verified: " + NoRoot, nil
	case f.Verified:
		return f, "verified against trusted root sha256 " + root.SHA256, nil
	}
	return f, "untrusted: " + f.Problem, nil
}

// NoRoot is what is said of a signature checked without a trusted root.
const NoRoot = "no trusted root"
