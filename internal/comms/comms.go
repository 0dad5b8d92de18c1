// Package comms renders the runbooks' communication templates from an
// incident: the key compromise notification, the vulnerability disclosure,
// the incident advisory with its impacted window, and the post-incident
// summary. A template declares the fields it needs; rendering refuses while
// any is missing (naming them all) unless asked to mark them visibly, and
// never prints an empty value or "<no value>".
package comms

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Template is one communication template.
type Template struct {
	Name    string   // file name without .tmpl
	Title   string   // from the {{/* title: … */}} header
	Fields  []string // every field the body uses, from the {{/* fields: … */}} header
	Body    string
	File    string
	Subject string
}

// Library is the templates available: the shipped ones and those in extra
// directories (which replace shipped ones of the same name).
type Library struct {
	byName map[string]*Template
}

// Load reads the shipped templates and *.tmpl files from dirs.
func Load(dirs []string) (*Library, error) {
	lib := &Library{byName: map[string]*Template{}}
	names, _ := fs.Glob(embedded, "templates/*.tmpl")
	for _, n := range names {
		b, _ := embedded.ReadFile(n)
		if err := lib.add("embedded:"+n, b); err != nil {
			return nil, err
		}
	}
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(d, "*.tmpl"))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("templates directory: %w", err)
		}
		for _, f := range files {
			b, err := fsutil.ReadRegular(f, 1<<20)
			if err != nil {
				return nil, err
			}
			if err := lib.add(f, b); err != nil {
				return nil, err
			}
		}
	}
	return lib, nil
}

func (lib *Library) add(file string, b []byte) error {
	t := &Template{Name: strings.TrimSuffix(filepath.Base(file), ".tmpl"), File: file, Body: string(b)}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{{/*") {
			break
		}
		inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "{{/*"), "*/}}"))
		if k, v, ok := strings.Cut(inner, ":"); ok {
			switch strings.TrimSpace(k) {
			case "title":
				t.Title = strings.TrimSpace(v)
			case "fields":
				for _, f := range strings.Split(v, ",") {
					if f = strings.TrimSpace(f); f != "" {
						t.Fields = append(t.Fields, f)
					}
				}
			}
		}
	}
	if t.Title == "" || len(t.Fields) == 0 {
		return fmt.Errorf("%s: a template starts with {{/* title: … */}} and {{/* fields: a, b */}} lines", file)
	}
	// Every field the body uses must be declared, and parse must succeed.
	used := map[string]bool{}
	tmpl, err := template.New(t.Name).Option("missingkey=error").Funcs(template.FuncMap{"f": func(string) string { return "" }}).Parse(t.Body)
	if err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	_ = tmpl
	for _, m := range fieldRef(t.Body) {
		used[m] = true
	}
	declared := map[string]bool{}
	for _, f := range t.Fields {
		declared[f] = true
	}
	for u := range used {
		if !declared[u] {
			return fmt.Errorf("%s: uses field %q without declaring it", file, u)
		}
	}
	lib.byName[t.Name] = t
	return nil
}

// fieldRef lists the names used as {{f "name"}} in a template.
func fieldRef(body string) []string {
	var out []string
	rest := body
	for {
		i := strings.Index(rest, `f "`)
		if i < 0 {
			return out
		}
		rest = rest[i+3:]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			return out
		}
		out = append(out, rest[:j])
		rest = rest[j:]
	}
}

// All lists the templates by name.
func (lib *Library) All() []*Template {
	out := make([]*Template, 0, len(lib.byName))
	for _, t := range lib.byName {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get finds a template by name.
func (lib *Library) Get(name string) (*Template, bool) {
	t, ok := lib.byName[name]
	return t, ok
}

// MissingError names every field without a value.
type MissingError struct {
	Template string
	Fields   []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("template %s is missing %s", e.Template, strings.Join(e.Fields, ", "))
}

// Missing lists the template's fields that have no value in data.
func (t *Template) Missing(data map[string]string) []string {
	var out []string
	for _, f := range t.Fields {
		if strings.TrimSpace(data[f]) == "" {
			out = append(out, f)
		}
	}
	return out
}

// Render fills the template. Missing fields make it fail with a
// *MissingError unless allowMissing, which writes [MISSING: name] instead.
func (t *Template) Render(data map[string]string, allowMissing bool) (string, error) {
	missing := t.Missing(data)
	if len(missing) > 0 && !allowMissing {
		return "", &MissingError{Template: t.Name, Fields: missing}
	}
	get := func(name string) string {
		if v := strings.TrimSpace(data[name]); v != "" {
			return v
		}
		return "[MISSING: " + name + "]"
	}
	tmpl, err := template.New(t.Name).Option("missingkey=error").Funcs(template.FuncMap{"f": get}).Parse(t.Body)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("template %s: %w", t.Name, err)
	}
	out := strings.TrimLeft(b.String(), "\n")
	if strings.Contains(out, "<no value>") {
		return "", errors.New("template " + t.Name + " produced <no value>")
	}
	return out, nil
}

// Contact is one row of the runbook's "Fill In Your Contacts" table.
type Contact struct {
	Role    string `yaml:"role" json:"role"`
	Contact string `yaml:"contact" json:"contact"`
	Notes   string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// DefaultContacts are the runbook's rows, still to be filled in.
var DefaultContacts = []Contact{
	{Role: "Security Lead", Notes: "First escalation point"},
	{Role: "On-Call Engineer", Notes: "For critical severity"},
	{Role: "Legal/Compliance", Notes: "For data breach notification"},
	{Role: "Communications", Notes: "For public disclosure"},
	{Role: "Security Reports (WSC)", Contact: "https://github.com/pulseengine/wsc/security"},
	{Role: "Sigstore Security", Contact: "security@sigstore.dev", Notes: "Fulcio/Rekor incidents"},
	{Role: "GitHub Security", Contact: "security@github.com", Notes: "GitHub Actions token issues"},
}

// LoadContacts reads a contacts file (YAML: a list of {role, contact,
// notes}); a missing file gives the defaults.
func LoadContacts(path string) ([]Contact, error) {
	b, err := fsutil.ReadRegular(path, 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultContacts, nil
	}
	if err != nil {
		return nil, err
	}
	var cs []Contact
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, c := range cs {
		if c.Role == "" {
			return nil, fmt.Errorf("%s: contact %d has no role", path, i+1)
		}
	}
	return cs, nil
}

// FormatContacts renders contacts as lines, marking the unfilled.
func FormatContacts(cs []Contact) string {
	var b strings.Builder
	for _, c := range cs {
		contact := c.Contact
		if contact == "" {
			contact = "(fill in: firebreak contacts file)"
		}
		fmt.Fprintf(&b, "- %s: %s", c.Role, contact)
		if c.Notes != "" {
			fmt.Fprintf(&b, " (%s)", c.Notes)
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}
