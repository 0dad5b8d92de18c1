package deps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"golang.org/x/mod/modfile"

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
}

// Lockfile is what one lockfile pins.
type Lockfile struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Deps   []Dep  `json:"deps"`
	// Unpinned are requirements that name no exact version
	// (requirements.txt: flask>=2): the check cannot tell for them.
	Unpinned []string `json:"unpinned,omitempty"`
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
	case strings.HasSuffix(base, ".txt") && strings.Contains(base, "requirements"):
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

// readGoMod reads go.mod's requirements (replacements applied) and, from
// the go.sum beside it, every other module of the build graph it records
// with a module hash.
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
	seen := map[string]bool{}
	add := func(mod, ver string, direct bool) {
		if r, ok := replaced[mod+"@"+ver]; ok {
			mod, ver = r.New.Path, r.New.Version
		} else if r, ok := replaced[mod]; ok {
			mod, ver = r.New.Path, r.New.Version
		}
		if ver == "" || seen[mod+"@"+ver] {
			return // a directory replacement: not a published module
		}
		seen[mod+"@"+ver] = true
		lf.Deps = append(lf.Deps, Dep{Ecosystem: Go, Name: mod, Version: ver, Direct: direct})
	}
	for _, r := range f.Require {
		add(r.Mod.Path, r.Mod.Version, !r.Indirect)
	}
	sum := filepath.Join(filepath.Dir(path), "go.sum")
	if sb, err := fsutil.ReadRegular(sum, maxLockfile); err == nil {
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
			if strings.HasSuffix(fields[1], "/go.mod") {
				continue // only its go.mod was read: not built
			}
			add(fields[0], fields[1], false)
		}
		if err := sc.Err(); err != nil {
			return nil, &InputError{Path: sum, Err: err}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, &InputError{Path: sum, Err: err}
	}
	return lf, nil
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
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonError(path, b, err)
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
	var walk func(deps map[string]json.RawMessage, depth int) error
	walk = func(deps map[string]json.RawMessage, depth int) error {
		if depth > 64 {
			return &InputError{Path: path, Err: errors.New("dependencies nest deeper than 64")}
		}
		for name, raw := range deps {
			var d struct {
				Version      string                     `json:"version"`
				Dependencies map[string]json.RawMessage `json:"dependencies"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return &InputError{Path: path, Err: fmt.Errorf("dependency %q: %v", name, err)}
			}
			if !strings.Contains(d.Version, ":") { // not file:, git+…: a registry version
				add(name, d.Version)
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

// readRequirements reads a pip requirements file: name==version lines,
// following -r includes (relative to the file, each once). Lines that pin
// no exact version are listed as unpinned.
func readRequirements(path string, b []byte, seen map[string]bool) (*Lockfile, error) {
	abs, _ := filepath.Abs(path)
	if seen[abs] {
		return &Lockfile{Path: path, Format: "requirements.txt"}, nil
	}
	seen[abs] = true
	if len(seen) > 64 {
		return nil, &InputError{Path: path, Err: errors.New("more than 64 requirement files include each other")}
	}
	lf := &Lockfile{Path: path, Format: "requirements.txt"}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cont string
	for n := 1; sc.Scan(); n++ {
		line := cont + sc.Text()
		cont = ""
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSuffix(line, `\`)
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "-r ") || strings.HasPrefix(line, "--requirement") {
			inc := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "--requirement"), "-r"))
			inc = strings.TrimSpace(strings.TrimPrefix(inc, "="))
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
			lf.Deps = append(lf.Deps, sub.Deps...)
			lf.Unpinned = append(lf.Unpinned, sub.Unpinned...)
			continue
		}
		if strings.HasPrefix(line, "-") {
			continue // other options (-i, --hash on its own line, -e …)
		}
		// --hash options after the requirement are not part of it.
		if i := strings.Index(line, " --"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		m := requirementRe().FindStringSubmatch(line)
		if m == nil {
			lf.Unpinned = append(lf.Unpinned, fmt.Sprintf("%s:%d: %s", path, n, line))
			continue
		}
		lf.Deps = append(lf.Deps, Dep{Ecosystem: PyPI, Name: pep503(m[1]), Version: m[2], Direct: true})
	}
	if err := sc.Err(); err != nil {
		return nil, &InputError{Path: path, Err: err}
	}
	return lf, nil
}
