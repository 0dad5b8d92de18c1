package incident

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

// SearchOptions say what to look for.
type SearchOptions struct {
	// Text is matched, case aside, against each event's summary and every
	// text value of its data (a note's text, a fact's value, a reason).
	Text string
	// Kinds, when set, keeps events of these kinds; "step" keeps step.*.
	Kinds []string
	// Since keeps events that happened (at) at or after it.
	Since time.Time
	// Incidents, when set, limits the search to these ids.
	Incidents []string
}

// Hit is one event that matched.
type Hit struct {
	Incident string    `json:"incident"`
	Seq      int64     `json:"seq"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Step     string    `json:"step,omitempty"`
	Summary  string    `json:"summary"`
	// In says where the text was found: "summary" or the data field.
	In string `json:"in"`
	// Excerpt is the matching text around the match, when it was in data.
	Excerpt string `json:"excerpt,omitempty"`
}

// Search streams every journal of the workspace (or of opts.Incidents)
// and hands each matching event to fn, incident by incident (newest
// incident first), in each file's order. Memory stays at one line: a line
// is only parsed when its raw bytes can hold the text.
func (w *Workspace) Search(ctx context.Context, opts SearchOptions, fn func(Hit) error) error {
	needle := strings.ToLower(strings.TrimSpace(opts.Text))
	if needle == "" && len(opts.Kinds) == 0 && opts.Since.IsZero() {
		return errors.New("search for what? give text, --kind or --since")
	}
	ids := opts.Incidents
	if ids == nil {
		var err error
		if ids, err = w.IDs(); err != nil {
			return err
		}
	}
	// A raw-line prefilter is exact only for text JSON writes as it is:
	// ASCII without quotes, backslashes or controls.
	prefilter := needle != ""
	for i := 0; i < len(needle); i++ {
		if c := needle[i]; c >= utf8.RuneSelf || c < 0x20 || strings.IndexByte(`"\\<>&`, c) >= 0 {
			prefilter = false
		}
	}
	m := &matcher{needle: needle, kinds: opts.Kinds, since: opts.Since, prefilter: prefilter, lower: make([]byte, 0, 4096)}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		jdir := filepath.Join(w.Dir(id), "journal")
		ents, err := os.ReadDir(jdir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			name := e.Name()
			if !e.Type().IsRegular() || !strings.HasSuffix(name, journal.Ext) || !journal.ValidActor(strings.TrimSuffix(name, journal.Ext)) {
				continue
			}
			if err := m.file(id, filepath.Join(jdir, name), fn); err != nil {
				return err
			}
		}
	}
	return nil
}

type matcher struct {
	needle    string
	kinds     []string
	since     time.Time
	prefilter bool
	lower     []byte
	r         *journal.Reader // reused from file to file
}

func (m *matcher) file(id, path string, fn func(Hit) error) error {
	// Not through a link, never blocking on a pipe: as the journal reads.
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	if m.r == nil {
		m.r = journal.NewReader(path, f)
	} else {
		m.r.Reset(path, f)
	}
	r := m.r
	for {
		line, _, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // a bad line ends this file's search; timeline verify names it
		}
		if m.prefilter && !m.rawHas(line) {
			continue
		}
		e, err := journal.ParseLine(line)
		if err != nil {
			continue
		}
		if !m.since.IsZero() && e.At.Before(m.since) {
			continue
		}
		if len(m.kinds) > 0 && !kindIn(e.Kind, m.kinds) {
			continue
		}
		h := Hit{Incident: id, Seq: e.Seq, Actor: e.Actor, At: e.At, Kind: e.Kind, Step: e.Step, Summary: e.Summary}
		if m.needle != "" {
			if strings.Contains(strings.ToLower(e.Summary), m.needle) {
				h.In = "summary"
				if len(e.Summary) > 100 {
					h.Excerpt = excerpt(e.Summary, m.needle)
				}
			} else if field, text, ok := m.inData(e.Data); ok {
				h.In, h.Excerpt = field, excerpt(text, m.needle)
			} else {
				continue
			}
		}
		if err := fn(h); err != nil {
			return err
		}
	}
}

// rawHas reports whether the line, ASCII-lowered, holds the needle.
func (m *matcher) rawHas(line []byte) bool {
	m.lower = m.lower[:0]
	for _, c := range line {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		m.lower = append(m.lower, c)
	}
	return bytes.Contains(m.lower, []byte(m.needle))
}

// inData finds the needle in a text value of the event's data, and names
// the field.
func (m *matcher) inData(raw json.RawMessage) (string, string, bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return "", "", false
	}
	var field, text string
	var walk func(path string, v any) bool
	walk = func(path string, v any) bool {
		switch x := v.(type) {
		case string:
			if strings.Contains(strings.ToLower(x), m.needle) {
				field, text = path, x
				return true
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if walk(p, x[k]) {
					return true
				}
			}
		case []any:
			for _, y := range x {
				if walk(path, y) {
					return true
				}
			}
		}
		return false
	}
	ok := walk("", v)
	return "data." + field, text, ok
}

func kindIn(kind string, kinds []string) bool {
	for _, k := range kinds {
		if kind == k || strings.HasPrefix(kind, k+".") {
			return true
		}
	}
	return false
}

// excerpt is up to 40 characters either side of the needle, on one line.
func excerpt(text, needle string) string {
	low := strings.ToLower(text)
	i := strings.Index(low, needle)
	if i < 0 || len(low) != len(text) {
		return oneLine(text, 120)
	}
	start, end := max(0, i-40), min(len(text), i+len(needle)+40)
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, text[start:end])
	s = strings.TrimSpace(s)
	if start > 0 {
		s = "…" + s
	}
	if end < len(text) {
		s += "…"
	}
	return s
}
