package playbooks

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

//go:embed *.yaml fragments/*.yaml
var embedded embed.FS

// includeRe matches a phase written as "- include: NAME": the phase comes
// from fragments/NAME.yaml (the shared post-incident actions, say).
var includeRe = regexp.MustCompile(`(?m)^(\s*)- include:\s*([a-z][a-z0-9-]*)\s*$`)

// ExpandIncludes replaces include lines with their fragment, indented, so
// that a playbook's bytes — and the snapshot an incident keeps of it — are
// self-contained.
func ExpandIncludes(file string, b []byte) ([]byte, error) {
	var err error
	out := includeRe.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := includeRe.FindSubmatch(m)
		indent, name := string(sub[1]), string(sub[2])
		frag, ferr := embedded.ReadFile("fragments/" + name + ".yaml")
		if ferr != nil {
			err = Errors{{File: file, Msg: fmt.Sprintf("include %q: no such fragment", name)}}
			return m
		}
		var lines []string
		for i, l := range strings.Split(strings.TrimRight(string(frag), "\n"), "\n") {
			switch {
			case strings.HasPrefix(strings.TrimSpace(l), "#"):
				continue
			case i == 0 || len(lines) == 0:
				lines = append(lines, indent+"- "+l)
			case l == "":
				lines = append(lines, "")
			default:
				lines = append(lines, indent+"  "+l)
			}
		}
		return []byte(strings.Join(lines, "\n"))
	})
	return out, err
}

// Library is the set of playbooks available: the shipped ones, overridden
// by those in extra directories with the same id.
type Library struct {
	byID  map[string]*Playbook
	order []string
}

// Load reads the embedded playbooks, then every *.yaml and *.yml in dirs.
// A playbook in a directory replaces a shipped one with the same id; two
// files with one id in the same source are an error. All problems of all
// files are reported together.
func Load(dirs []string, opts Options) (*Library, error) {
	lib := &Library{byID: map[string]*Playbook{}}
	var errs Errors
	names, _ := fs.Glob(embedded, "*.yaml") // fragments/ are not playbooks
	sort.Strings(names)
	srcIDs := map[string]string{}
	for _, n := range names {
		b, _ := embedded.ReadFile(n)
		lib.add("embedded:"+n, b, opts, srcIDs, &errs)
	}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("playbooks directory: %w", err)
		}
		srcIDs = map[string]string{}
		for _, e := range ents {
			ext := filepath.Ext(e.Name())
			if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			b, err := ReadFile(path)
			if err != nil {
				return nil, err
			}
			lib.add(path, b, opts, srcIDs, &errs)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return lib, nil
}

// ReadFile reads a playbook file, refusing anything but a regular file of at
// most MaxFile bytes.
func ReadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > MaxFile {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d a playbook may be", path, fi.Size(), MaxFile)
	}
	return fsutil.ReadRegular(path, MaxFile)
}

func (lib *Library) add(file string, b []byte, opts Options, srcIDs map[string]string, errs *Errors) {
	b, err := ExpandIncludes(file, b)
	if err != nil {
		*errs = append(*errs, err.(Errors)...)
		return
	}
	p, err := Parse(file, b, opts)
	if err != nil {
		var pe Errors
		if errors.As(err, &pe) {
			*errs = append(*errs, pe...)
			return
		}
		*errs = append(*errs, Error{File: file, Msg: err.Error()})
		return
	}
	if other, dup := srcIDs[p.ID]; dup {
		*errs = append(*errs, Error{File: file, Msg: fmt.Sprintf("playbook id %s is also defined in %s", p.ID, other)})
		return
	}
	srcIDs[p.ID] = file
	if _, exists := lib.byID[p.ID]; !exists {
		lib.order = append(lib.order, p.ID)
	}
	lib.byID[p.ID] = p
}

// All returns the playbooks, incidents first, then by id.
func (lib *Library) All() []*Playbook {
	out := make([]*Playbook, 0, len(lib.order))
	for _, id := range lib.order {
		out = append(out, lib.byID[id])
	}
	rank := map[string]int{KindIncident: 0, KindProcedure: 1, KindDrill: 2}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Kind] != rank[out[j].Kind] {
			return rank[out[i].Kind] < rank[out[j].Kind]
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Get finds a playbook by id, case-insensitively.
func (lib *Library) Get(id string) (*Playbook, bool) {
	for k, p := range lib.byID {
		if strings.EqualFold(k, id) {
			return p, true
		}
	}
	return nil, false
}

// IDs lists the playbook ids, for hints.
func (lib *Library) IDs() []string {
	var out []string
	for _, p := range lib.All() {
		out = append(out, p.ID)
	}
	return out
}
