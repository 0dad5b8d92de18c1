package deps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	goversion "go/version"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// The ecosystems, as OSV names them.
const (
	CratesIO = "crates.io"
	Go       = "Go"
	NPM      = "npm"
	PyPI     = "PyPI"
)

// Dep is one package a lockfile pins.
type Dep struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	// Direct: the project names it itself (go.mod's require without
	// // indirect, requirements.txt); false when the lockfile cannot say.
	Direct bool `json:"direct,omitempty"`
	// File is where it is pinned when that is not the lockfile named (a
	// requirements file included with -r).
	File string `json:"file,omitempty"`
	// Minimum: the lockfile names the least version, not the one built
	// (go.mod's go and toolchain lines, for the standard library).
	Minimum bool `json:"minimum,omitempty"`
}

// Lockfile is what one lockfile pins.
type Lockfile struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Deps   []Dep  `json:"deps"`
	// Unpinned are requirements that name no exact version
	// (requirements.txt: flask>=2): the check cannot tell for them.
	Unpinned []string `json:"unpinned,omitempty"`
	// Loose are the packages of those requirements, by name (File is
	// FILE:LINE): an advisory naming one leaves the check undecided.
	Loose []Dep `json:"-"`
}

// maxLockfile bounds what is read: a large monorepo's package-lock.json is
// tens of megabytes.
const maxLockfile = 256 << 20

// ReadLockfile reads a lockfile by its name: Cargo.lock, go.mod (with the
// go.sum beside it when there is one), package-lock.json (or
// npm-shrinkwrap.json), requirements*.txt, poetry.lock.
func ReadLockfile(path string) (*Lockfile, error) {
	base := filepath.Base(path)
	b, err := fsutil.ReadRegular(path, maxLockfile)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	var lf *Lockfile
	switch {
	case base == "Cargo.lock":
		lf, err = readCargoLock(path, b)
	case base == "go.mod":
		lf, err = readGoMod(path, b)
	case base == "go.sum":
		return nil, &InputError{Path: path, Err: errors.New("give the go.mod beside it: go.sum alone does not say which module is ours")}
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		lf, err = readPackageLock(path, b)
	case base == "poetry.lock":
		lf, err = readPoetryLock(path, b)
	case isRequirements(path):
		lf, err = readRequirements(path, b, map[string]bool{})
	default:
		return nil, &InputError{Path: path, Err: errors.New("is not a lockfile firebreak reads (Cargo.lock, go.mod, package-lock.json, requirements.txt, poetry.lock)")}
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(lf.Deps, func(i, j int) bool {
		if lf.Deps[i].Name != lf.Deps[j].Name {
			return lf.Deps[i].Name < lf.Deps[j].Name
		}
		return lf.Deps[i].Version < lf.Deps[j].Version
	})
	if lf.Deps == nil {
		lf.Deps = []Dep{}
	}
	return lf, nil
}

func tomlError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &InputError{Path: path, Line: pe.Position.Line, Col: pe.Position.Col, Err: fmt.Errorf("not valid TOML: %s", pe.Message)}
	}
	return &InputError{Path: path, Err: err}
}

// IsLockfile reports whether ReadLockfile reads path, by its name.
func IsLockfile(path string) bool {
	switch filepath.Base(path) {
	case "Cargo.lock", "go.mod", "package-lock.json", "npm-shrinkwrap.json", "poetry.lock":
		return true
	}
	return isRequirements(path)
}

// isRequirements reports whether path names a pip requirements file:
// requirements*.txt (requirements-dev.txt, dev-requirements.txt), or any
// *.txt in a requirements directory (requirements/prod.txt).
func isRequirements(path string) bool {
	base := strings.ToLower(filepath.Base(path))
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	return strings.Contains(base, "requirements") || strings.EqualFold(filepath.Base(filepath.Dir(path)), "requirements")
}

// readCargoLock reads Cargo.lock's [[package]] tables; only packages from
// a registry are crates.io's (path and git dependencies are not).
func readCargoLock(path string, b []byte) (*Lockfile, error) {
	var doc struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
			Source  string `toml:"source"`
		} `toml:"package"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, tomlError(path, err)
	}
	lf := &Lockfile{Path: path, Format: "Cargo.lock"}
	for i, p := range doc.Package {
		if p.Name == "" || p.Version == "" {
			return nil, &InputError{Path: path, Err: fmt.Errorf("package %d has no name or version", i+1)}
		}
		if strings.HasPrefix(p.Source, "registry+") || strings.HasPrefix(p.Source, "sparse+") {
			lf.Deps = append(lf.Deps, Dep{Ecosystem: CratesIO, Name: p.Name, Version: p.Version})
		}
	}
	return lf, nil
}

// readGoMod reads go.mod's requirements (replacements applied). From Go
// 1.17 on, go.mod lists every module the build uses (module graph
// pruning), so it is the whole answer; for an older go line, the modules
// of the build graph come from the go.sum beside it, each at the highest
// version it records (what minimal version selection builds). The
// standard library is added at the version the go (or toolchain) line
// names: the least the module builds with.
func readGoMod(path string, b []byte) (*Lockfile, error) {
	f, err := modfile.Parse(path, b, nil)
	if err != nil {
		var el modfile.ErrorList
		if errors.As(err, &el) && len(el) > 0 {
			return nil, &InputError{Path: path, Line: el[0].Pos.Line, Col: el[0].Pos.LineRune, Err: el[0].Err}
		}
		return nil, &InputError{Path: path, Err: err}
	}
	lf := &Lockfile{Path: path, Format: "go.mod"}
	replaced := map[string]modfile.Replace{}
	for _, r := range f.Replace {
		replaced[r.Old.Path+"@"+r.Old.Version] = *r
		if r.Old.Version == "" {
			replaced[r.Old.Path] = *r
		}
	}
	chosen := map[string]int{} // module → its index in lf.Deps
	add := func(mod, ver string, direct bool) {
		if r, ok := replaced[mod+"@"+ver]; ok {
			mod, ver = r.New.Path, r.New.Version
		} else if r, ok := replaced[mod]; ok {
			mod, ver = r.New.Path, r.New.Version
		}
		if ver == "" {
			return // a directory replacement: not a published module
		}
		if i, ok := chosen[mod]; ok {
			if semver.Compare(ver, lf.Deps[i].Version) > 0 {
				lf.Deps[i].Version = ver
			}
			lf.Deps[i].Direct = lf.Deps[i].Direct || direct
			return
		}
		chosen[mod] = len(lf.Deps)
		lf.Deps = append(lf.Deps, Dep{Ecosystem: Go, Name: mod, Version: ver, Direct: direct})
	}
	for _, r := range f.Require {
		add(r.Mod.Path, r.Mod.Version, !r.Indirect)
	}
	goVer := ""
	if f.Go != nil {
		goVer = f.Go.Version
	}
	if std := stdlibVersion(f); std != "" {
		lf.Deps = append(lf.Deps, Dep{Ecosystem: Go, Name: "stdlib", Version: std, Minimum: true},
			Dep{Ecosystem: Go, Name: "toolchain", Version: std, Minimum: true})
	}
	if goVer != "" && goversion.Compare("go"+goVer, "go1.17") >= 0 {
		return lf, nil // go.mod is complete; go.sum also holds versions no longer built
	}
	sum := filepath.Join(filepath.Dir(path), "go.sum")
	sb, err := fsutil.ReadRegular(sum, maxLockfile)
	if errors.Is(err, os.ErrNotExist) {
		return lf, nil
	}
	if err != nil {
		return nil, &InputError{Path: sum, Err: err}
	}
	sc := bufio.NewScanner(bytes.NewReader(sb))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 || !strings.HasPrefix(fields[2], "h1:") {
			return nil, &InputError{Path: sum, Line: n, Col: 1, Err: errors.New("not a go.sum line (MODULE VERSION h1:HASH)")}
		}
		if strings.HasSuffix(fields[1], "/go.mod") || !semver.IsValid(fields[1]) {
			continue // only its go.mod was read: not built
		}
		add(fields[0], fields[1], false)
	}
	if err := sc.Err(); err != nil {
		return nil, &InputError{Path: sum, Err: err}
	}
	return lf, nil
}

// stdlibVersion is the least Go release a go.mod builds with, as the Go
// vulnerability database writes versions: its toolchain line, or its go
// line, whichever is higher. 1.22 (a language version) is released as
// 1.22.0; a pre-release go1.21rc2 is 1.21.0-rc.2.
func stdlibVersion(f *modfile.File) string {
	v := ""
	if f.Toolchain != nil {
		v = strings.TrimPrefix(f.Toolchain.Name, "go")
	}
	if f.Go != nil && (v == "" || !goversion.IsValid("go"+v) || goversion.Compare("go"+f.Go.Version, "go"+v) > 0) {
		v = f.Go.Version
	}
	if v == "" || !goversion.IsValid("go"+v) {
		return ""
	}
	base, pre := v, ""
	for _, kind := range []string{"rc", "beta"} {
		if i := strings.Index(v, kind); i > 0 {
			base, pre = v[:i], "-"+kind+"."+v[i+len(kind):]
			break
		}
	}
	if strings.Count(base, ".") == 1 {
		base += ".0"
	}
	return base + pre
}

// readPackageLock reads package-lock.json, lockfile version 1 (nested
// "dependencies") and 2 or 3 ("packages", keyed by node_modules path).
func readPackageLock(path string, b []byte) (*Lockfile, error) {
	var doc struct {
		LockfileVersion int `json:"lockfileVersion"`
		Packages        map[string]struct {
			Version string `json:"version"`
			Name    string `json:"name"`
			Link    bool   `json:"link"`
			Dev     bool   `json:"dev"`
		} `json:"packages"`
		Dependencies map[string]*npmV1Dep `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonError(path, "not a package-lock.json", b, -1, err)
	}
	if doc.LockfileVersion < 1 || doc.LockfileVersion > 3 {
		return nil, &InputError{Path: path, Err: fmt.Errorf("has lockfileVersion %d: firebreak reads versions 1 to 3 (npm 5 to 10)", doc.LockfileVersion)}
	}
	lf := &Lockfile{Path: path, Format: "package-lock.json"}
	seen := map[string]bool{}
	add := func(name, ver string) {
		if name == "" || ver == "" || seen[name+"@"+ver] {
			return
		}
		seen[name+"@"+ver] = true
		lf.Deps = append(lf.Deps, Dep{Ecosystem: NPM, Name: name, Version: ver})
	}
	if len(doc.Packages) > 0 {
		for key, p := range doc.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if key == "" || p.Link || i < 0 {
				continue // the project itself, a link, a workspace folder
			}
			name := p.Name
			if name == "" {
				name = key[i+len("node_modules/"):]
			}
			add(name, p.Version)
		}
		return lf, nil
	}
	var walk func(deps map[string]*npmV1Dep, depth int) error
	walk = func(deps map[string]*npmV1Dep, depth int) error {
		if depth > 64 {
			return &InputError{Path: path, Err: errors.New("dependencies nest deeper than 64")}
		}
		for name, d := range deps {
			if d == nil {
				continue
			}
			switch v := d.Version; {
			case strings.HasPrefix(v, "npm:"):
				// An alias ("my-lodash": "npm:lodash@4.17.20") installs lodash.
				spec := strings.TrimPrefix(v, "npm:")
				if i := strings.LastIndex(spec, "@"); i > 0 {
					add(spec[:i], spec[i+1:])
				}
			case !strings.Contains(v, ":"): // not file:, git+…: a registry version
				add(name, v)
			}
			if err := walk(d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Dependencies, 0); err != nil {
		return nil, err
	}
	return lf, nil
}

// npmV1Dep is an entry of package-lock.json version 1's nested
// "dependencies": decoded once, as a tree.
type npmV1Dep struct {
	Version      string               `json:"version"`
	Dependencies map[string]*npmV1Dep `json:"dependencies"`
}

// readPoetryLock reads poetry.lock's [[package]] tables.
func readPoetryLock(path string, b []byte) (*Lockfile, error) {
	var doc struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
		} `toml:"package"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, tomlError(path, err)
	}
	lf := &Lockfile{Path: path, Format: "poetry.lock"}
	for i, p := range doc.Package {
		if p.Name == "" || p.Version == "" {
			return nil, &InputError{Path: path, Err: fmt.Errorf("package %d has no name or version", i+1)}
		}
		lf.Deps = append(lf.Deps, Dep{Ecosystem: PyPI, Name: pep503(p.Name), Version: p.Version})
	}
	return lf, nil
}

// pep503 is a PyPI project name normalised (PEP 503): Flask_SQLAlchemy
// and flask-sqlalchemy are one project.
func pep503(name string) string {
	return strings.ToLower(pep503Re().ReplaceAllString(name, "-"))
}

// The regular expressions are compiled on first use: every firebreak
// command pays package initialisation at start-up.
var pep503Re = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

// requirementRe is a pinned requirement: name, optional extras, ==
// or === version, then an optional environment marker or comment.
var requirementRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9._+!-]+)\s*(?:;.*)?$`)
})

// requirementNameRe is the project a requirement names (flask>=2,
// flask[async] ~= 2.0, "flask @ https://…").
var requirementNameRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;@]|$)`)
})

// readRequirements reads a pip requirements file: name==version lines,
// following -r includes (relative to the file, each once; a package is
// attributed to the file that pins it). Lines that pin no exact version
// are listed as unpinned, with any password in a URL hidden. The file may
// be UTF-8 (with or without a BOM) or UTF-16 with a BOM, as Windows
// editors and PowerShell's redirection write it.
func readRequirements(path string, b []byte, seen map[string]bool) (*Lockfile, error) {
	abs, _ := filepath.Abs(path)
	if seen[abs] {
		return &Lockfile{Path: path, Format: "requirements.txt"}, nil
	}
	seen[abs] = true
	if len(seen) > 64 {
		return nil, &InputError{Path: path, Err: errors.New("more than 64 requirement files include each other")}
	}
	text, err := decodeText(b)
	if err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	lf := &Lockfile{Path: path, Format: "requirements.txt"}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSuffix(lines[i], "\r")
		// A line ending in \ goes on with the next (the last line's \ joins
		// nothing).
		for strings.HasSuffix(line, `\`) {
			line = strings.TrimSuffix(line, `\`)
			if i+1 >= len(lines) {
				break
			}
			i++
			line += strings.TrimSuffix(lines[i], "\r")
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		if j := strings.Index(line, "\t#"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if inc, ok := includeOf(line); ok {
			if inc == "" {
				return nil, &InputError{Path: path, Line: n, Col: 1, Err: errors.New("-r names no file")}
			}
			if !filepath.IsAbs(inc) {
				inc = filepath.Join(filepath.Dir(path), inc)
			}
			ib, err := fsutil.ReadRegular(inc, maxLockfile)
			if err != nil {
				return nil, &InputError{Path: path, Line: n, Col: 1, Err: fmt.Errorf("-r %s: %w", inc, err)}
			}
			sub, err := readRequirements(inc, ib, seen)
			if err != nil {
				return nil, err
			}
			for _, d := range sub.Deps {
				if d.File == "" {
					d.File = inc
				}
				lf.Deps = append(lf.Deps, d)
			}
			lf.Unpinned = append(lf.Unpinned, sub.Unpinned...)
			lf.Loose = append(lf.Loose, sub.Loose...)
			continue
		}
		if strings.HasPrefix(line, "-") {
			continue // other options (-i, -c, --hash on its own line, -e …)
		}
		// --hash options after the requirement are not part of it.
		if j := strings.Index(line, " --"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		m := requirementRe().FindStringSubmatch(line)
		if m == nil {
			lf.Unpinned = append(lf.Unpinned, fmt.Sprintf("%s:%d: %s", path, n, hidePasswords(line)))
			if name := requirementNameRe().FindStringSubmatch(line); name != nil {
				lf.Loose = append(lf.Loose, Dep{Ecosystem: PyPI, Name: pep503(name[1]), File: fmt.Sprintf("%s:%d", path, n)})
			}
			continue
		}
		lf.Deps = append(lf.Deps, Dep{Ecosystem: PyPI, Name: pep503(m[1]), Version: m[2], Direct: true})
	}
	return lf, nil
}

// includeOf reads a -r / --requirement line: -r FILE, -rFILE,
// --requirement FILE, --requirement=FILE.
func includeOf(line string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(line, "--requirement"):
		rest = strings.TrimPrefix(line, "--requirement")
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '=' {
			return "", false
		}
	case strings.HasPrefix(line, "-r"):
		rest = strings.TrimPrefix(line, "-r")
	default:
		return "", false
	}
	rest = strings.TrimSpace(rest)
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
	return rest, true
}

// decodeText is a text file's content as UTF-8: a UTF-8 BOM is dropped,
// UTF-16 with a BOM is decoded.
func decodeText(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		if len(b)%2 != 0 {
			return "", errors.New("is UTF-16 with an odd number of bytes (cut short?)")
		}
		be := b[0] == 0xFE
		u := make([]uint16, 0, len(b)/2-1)
		for i := 2; i+1 < len(b); i += 2 {
			if be {
				u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
			} else {
				u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
			}
		}
		return string(utf16.Decode(u)), nil
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "", errors.New("holds NUL bytes: UTF-16 without a BOM? (save it as UTF-8)")
	}
	if !utf8.Valid(b) {
		return "", errors.New("is not UTF-8 text (nor UTF-16 with a BOM)")
	}
	return string(b), nil
}

// hidePasswords hides who a URL logs in as, with what
// (https://user:secret@host → https://***@host): a token is often the
// user itself (https://TOKEN@host).
func hidePasswords(s string) string {
	return urlUserRe().ReplaceAllString(s, "${1}***@")
}

var urlUserRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s]*@`)
})
