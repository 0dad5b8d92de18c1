// Package incident is the incident workspace: a directory per incident
// holding its immutable header (incident.json), a snapshot of its playbook,
// its journal and its evidence, keys, comms and exports. Everything that
// changes — severity, facts, step states, milestones — is derived from the
// journal.
package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// HeaderSchema names the incident.json format.
const HeaderSchema = "firebreak.incident/v1"

// Files and directories of an incident.
const (
	HeaderFile   = "incident.json"
	PlaybookFile = "playbook.yaml"
)

// Subdirs are created with every incident, mode 0700.
var Subdirs = []string{"journal", "evidence", "keys", "comms", "exports"}

// Header is incident.json: written once when the incident opens, never
// changed.
type Header struct {
	Schema    string         `json:"schema"`
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Playbook  PlaybookRef    `json:"playbook"`
	Severity  severity.Level `json:"severity"` // at opening; see State for the current one
	Drill     bool           `json:"drill"`
	Created   time.Time      `json:"created"`
	CreatedBy string         `json:"created_by"`
}

// PlaybookRef pins the playbook an incident follows.
type PlaybookRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Title   string `json:"title"`
	Digest  string `json:"digest"` // SHA-256 of the playbook.yaml snapshot
}

// Workspace is the directory holding all incidents.
type Workspace struct {
	Home string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// parsed caches playbook snapshots by the SHA-256 of their bytes: a
	// workspace of 200 incidents holds a handful of distinct playbooks, and
	// parsing dominated listing them. Entries are never modified.
	mu     sync.Mutex
	parsed map[[32]byte]*playbooks.Playbook
}

// DefaultHome is $FIREBREAK_HOME, else $XDG_STATE_HOME/firebreak, else
// ~/.local/state/firebreak.
func DefaultHome(getenv func(string) string) (string, error) {
	if h := getenv("FIREBREAK_HOME"); h != "" {
		return h, nil
	}
	if x := getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "firebreak"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", errors.New("cannot find a home directory: set --home or FIREBREAK_HOME")
		}
	}
	return filepath.Join(home, ".local", "state", "firebreak"), nil
}

func (w *Workspace) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Workspace) incidentsDir() string { return filepath.Join(w.Home, "incidents") }

// Dir is the directory of incident id.
func (w *Workspace) Dir(id string) string { return filepath.Join(w.incidentsDir(), id) }

// NotFoundError is returned for an unknown incident id.
type NotFoundError struct {
	ID      string
	Known   []string
	Partial []string // ids the reference is a prefix of, when more than one
	Invalid bool     // the reference cannot be an id at all
}

func (e *NotFoundError) Error() string {
	if e.Invalid {
		return fmt.Sprintf("%q is not an incident id: ids have no / or \\ and are not . or ..", e.ID)
	}
	if len(e.Partial) > 1 {
		return fmt.Sprintf("incident %q is ambiguous: it starts %d incident ids", e.ID, len(e.Partial))
	}
	return fmt.Sprintf("no incident %q", e.ID)
}

// Resolve turns an incident reference — a full id or a unique prefix of
// one — into the id.
func (w *Workspace) Resolve(ref string) (string, error) {
	if ref == "" || strings.ContainsAny(ref, `/\`) || ref == "." || ref == ".." || strings.ContainsRune(ref, 0) {
		ids, _ := w.IDs()
		return "", &NotFoundError{ID: ref, Invalid: true, Known: ids}
	}
	if fi, err := os.Stat(filepath.Join(w.Dir(ref), HeaderFile)); err == nil && fi.Mode().IsRegular() {
		return ref, nil
	}
	ids, err := w.IDs()
	if err != nil {
		return "", err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			match = append(match, id)
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	return "", &NotFoundError{ID: ref, Known: ids, Partial: match}
}

// IDs lists every incident id, newest first.
func (w *Workspace) IDs() ([]string, error) {
	ents, err := os.ReadDir(w.incidentsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read workspace: %w", err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(w.incidentsDir(), e.Name(), HeaderFile)); err == nil {
				ids = append(ids, e.Name())
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids, nil
}

// OpenOptions describes a new incident.
type OpenOptions struct {
	Playbook *playbooks.Playbook
	Title    string
	Severity severity.Level // zero: the playbook's default
	Drill    bool
	Actor    string
	Facts    map[string]string
	// Optional milestone times known at opening.
	DetectedAt    time.Time
	CompromisedAt time.Time
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// Slug makes the readable part of an id from a title: lowercase words joined
// by '-', at most 40 characters, cut at a word.
func Slug(title string) string {
	s := strings.Trim(slugRe.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 40 {
		s = s[:40]
		if i := strings.LastIndexByte(s, '-'); i > 10 {
			s = s[:i]
		}
		s = strings.Trim(s, "-")
	}
	if s == "" {
		s = "incident"
	}
	return s
}

// CheckTitle says what is wrong with an incident title, if anything: it
// must be one non-empty line of UTF-8 text, at most 200 characters (as the
// console's title field counts them).
func CheckTitle(title string) error {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return errors.New("the title is empty")
	case strings.ContainsAny(title, "\r\n"):
		return errors.New("the title must be one line")
	case !utf8.ValidString(title):
		return fmt.Errorf("the title %s is not UTF-8 text", strconv.QuoteToASCII(title))
	case utf8.RuneCountInString(title) > 200:
		return fmt.Errorf("the title is %d characters; keep it under 200", utf8.RuneCountInString(title))
	}
	return nil
}

// Open creates a new incident: its directory (0700) and subdirectories, the
// header and playbook snapshot (read-only), and the journal's first events
// (incident.opened, then any facts and milestones given). It returns the
// loaded incident.
func (w *Workspace) Open(ctx context.Context, o OpenOptions) (*Incident, error) {
	if o.Playbook == nil {
		return nil, errors.New("open incident: no playbook")
	}
	title := strings.TrimSpace(o.Title)
	if err := CheckTitle(title); err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	if !journal.ValidActor(o.Actor) {
		return nil, fmt.Errorf("open incident: actor %q is not a valid name", o.Actor)
	}
	sev := o.Severity
	if sev == 0 {
		sev = o.Playbook.Severity
	}
	facts, err := CheckFacts(o.Playbook, o.Facts, w.now())
	if err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	now := w.now()
	known := map[string]time.Time{}
	for name, t := range map[string]time.Time{"detected": o.DetectedAt, "compromised": o.CompromisedAt} {
		if !t.IsZero() && t.After(now.Add(MaxFuture)) {
			return nil, fmt.Errorf("open incident: %s time %s is in the future", name, journal.FormatTime(t))
		}
		if !t.IsZero() {
			known[name] = t
		}
	}
	if err := CheckMilestoneOrder(known); err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	if err := os.MkdirAll(w.incidentsDir(), 0o700); err != nil {
		return nil, fmt.Errorf("open incident: workspace %s: %w", w.Home, err)
	}
	base := now.Format("2006-01-02") + "-" + strings.ToLower(strings.ReplaceAll(o.Playbook.ID, "-", "")) + "-" + Slug(title)
	id, dir, err := w.claim(base)
	if err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir) // only what this call created
		}
	}()
	for _, sub := range Subdirs {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("open incident: %w", err)
		}
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, PlaybookFile), o.Playbook.Raw, 0o400); err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	h := Header{
		Schema: HeaderSchema, ID: id, Title: title,
		Playbook: PlaybookRef{ID: o.Playbook.ID, Version: o.Playbook.Version, Title: o.Playbook.Title, Digest: o.Playbook.Digest},
		Severity: sev, Drill: o.Drill, Created: now, CreatedBy: o.Actor,
	}
	hb, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	hb = append(hb, '\n')
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, HeaderFile), hb, 0o400); err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	// Not load: the event that commits to these files is written next.
	inc, _, _, err := w.read(id)
	if err != nil {
		return nil, err
	}
	drill := ""
	if o.Drill {
		drill = " (drill)"
	}
	if _, err := inc.record(ctx, journal.Entry{
		At: now, Actor: o.Actor, Kind: KindOpened,
		Summary: fmt.Sprintf("incident opened%s: %s — %s, %s", drill, title, o.Playbook.ID, sev.Both()),
		Data: map[string]any{
			"title": title, "playbook": o.Playbook.ID, "playbook_version": o.Playbook.Version,
			"severity": sev.String(), "sev": sev.SEV(), "drill": o.Drill,
			// The chain commits to the header and the playbook snapshot:
			// neither is covered by a chain of its own.
			CommitHeader: sha256Hex(hb), CommitPlaybook: sha256Hex(o.Playbook.Raw),
		},
	}); err != nil {
		return nil, err
	}
	ok = true // from here on the incident exists; later failures are reported, not undone
	for _, name := range slices.Sorted(maps.Keys(facts)) {
		if err := inc.SetFact(ctx, o.Actor, name, facts[name], time.Time{}); err != nil {
			return inc, err
		}
	}
	if !o.CompromisedAt.IsZero() {
		if err := inc.SetMilestone(ctx, o.Actor, MilestoneCompromised, o.CompromisedAt); err != nil {
			return inc, err
		}
	}
	if !o.DetectedAt.IsZero() {
		if err := inc.SetMilestone(ctx, o.Actor, MilestoneDetected, o.DetectedAt); err != nil {
			return inc, err
		}
	}
	return inc, nil
}

// claim creates the incident directory under a unique id: base, base-2, …
func (w *Workspace) claim(base string) (string, string, error) {
	for i := 1; i < 1000; i++ {
		id := base
		if i > 1 {
			id += "-" + strconv.Itoa(i)
		}
		dir := w.Dir(id)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return id, dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", "", err
		}
	}
	return "", "", fmt.Errorf("too many incidents named %s", base)
}

// Load reads an incident by reference (id or unique prefix).
func (w *Workspace) Load(ref string) (*Incident, error) {
	id, err := w.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return w.load(id)
}

// LoadForAudit reads an incident as Load does, except that a header or
// snapshot that does not match what the opening event committed to (or an
// opening event that cannot be read) does not stop it: the failure is in
// the incident's CommitErr, for timeline verify to report with the rest.
func (w *Workspace) LoadForAudit(ref string) (*Incident, error) {
	id, err := w.Resolve(ref)
	if err != nil {
		return nil, err
	}
	inc, hb, pb, err := w.read(id)
	if err != nil {
		return nil, err
	}
	inc.CommitErr = inc.checkCommitted(hb, pb)
	return inc, nil
}

// parse parses a playbook snapshot, once per distinct content. The
// result is a copy naming this file; its phases and steps are shared and
// read-only, as every parsed playbook's are.
func (w *Workspace) parse(path string, b []byte) (*playbooks.Playbook, error) {
	sum := sha256.Sum256(b)
	w.mu.Lock()
	p, ok := w.parsed[sum]
	w.mu.Unlock()
	if !ok {
		var err error
		if p, err = playbooks.Parse(path, b, playbooks.Options{}); err != nil {
			return nil, err
		}
		w.mu.Lock()
		if w.parsed == nil {
			w.parsed = make(map[[32]byte]*playbooks.Playbook)
		}
		w.parsed[sum] = p
		w.mu.Unlock()
	}
	c := *p
	c.File = path
	return &c, nil
}

func (w *Workspace) load(id string) (*Incident, error) {
	inc, hb, pb, err := w.read(id)
	if err != nil {
		return nil, err
	}
	if err := inc.checkCommitted(hb, pb); err != nil {
		return nil, err
	}
	return inc, nil
}

// read reads an incident's header and playbook snapshot, and returns their
// bytes too.
func (w *Workspace) read(id string) (*Incident, []byte, []byte, error) {
	dir := w.Dir(id)
	hb, err := fsutil.ReadRegular(filepath.Join(dir, HeaderFile), 1<<20)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("incident %s: %w", id, err)
	}
	var h Header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, nil, fmt.Errorf("incident %s: %s is malformed: %v", id, HeaderFile, err)
	}
	if h.Schema != HeaderSchema || h.ID != id {
		return nil, nil, nil, fmt.Errorf("incident %s: %s is not a %s header for this incident", id, HeaderFile, HeaderSchema)
	}
	pbPath := filepath.Join(dir, PlaybookFile)
	pb, err := playbooks.ReadFile(pbPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("incident %s: playbook snapshot: %w", id, err)
	}
	p, err := w.parse(pbPath, pb)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("incident %s: playbook snapshot does not parse:\n%w", id, err)
	}
	if p.Digest != h.Playbook.Digest {
		return nil, nil, nil, fmt.Errorf("incident %s: playbook snapshot was changed (digest %.12s…, header pins %.12s…)", id, p.Digest, h.Playbook.Digest)
	}
	j := journal.New(filepath.Join(dir, "journal"))
	j.Now = w.Now
	return &Incident{Header: h, Dir: dir, Playbook: p, Journal: j, now: w.now}, hb, pb, nil
}

// Members of the incident.opened event that commit to the header and the
// playbook snapshot.
const (
	CommitHeader   = "header_sha256"
	CommitPlaybook = "playbook_sha256"
)

// ErrNotCommitted marks an incident.json or playbook.yaml that does not
// match what the journal's incident.opened event committed to.
var ErrNotCommitted = errors.New("does not match what the journal committed to when the incident opened")

// ErrTwoOpenings marks an incident whose journal holds two opening events:
// which header is real cannot be told.
var ErrTwoOpenings = errors.New("the journal holds more than one opening event, so incident.json cannot be trusted")

// checkCommitted compares the header and the snapshot with the SHA-256s
// the creator's first event (incident.opened) recorded. Incidents opened
// before the commitment existed carry none; Legacy says so.
func (inc *Incident) checkCommitted(hb, pb []byte) error {
	id := inc.Header.ID
	if !journal.ValidActor(inc.Header.CreatedBy) {
		return fmt.Errorf("incident %s: %s: created_by %q is not an actor name", id, HeaderFile, inc.Header.CreatedBy)
	}
	first, err := inc.Journal.First(inc.Header.CreatedBy)
	if err != nil {
		return fmt.Errorf("incident %s: the event that opened it cannot be read: %w", id, err)
	}
	if first.Kind != KindOpened || first.Seq != 1 {
		return fmt.Errorf("incident %s: journal/%s%s does not begin with %s (it begins with %s)", id, inc.Header.CreatedBy, journal.Ext, KindOpened, first.Kind)
	}
	// The header names its creator, so it cannot be the only judge of
	// which opening event is the real one: an incident has exactly one.
	// (One planted at the start of another actor's file would otherwise
	// vouch for a rewritten header.)
	// Every file that reads as a journal file counts, the odd ones too: a
	// hard link to the real creator's file must not hide its opening.
	firsts, err := inc.Journal.FirstEvents()
	if err != nil {
		return fmt.Errorf("incident %s: %w", id, err)
	}
	for name, e := range firsts {
		if name == inc.Header.CreatedBy+journal.Ext {
			continue
		}
		if e.Kind == KindOpened {
			return fmt.Errorf("incident %s: %w: journal/%s%s and journal/%s both begin with %s", id, ErrTwoOpenings, inc.Header.CreatedBy, journal.Ext, name, KindOpened)
		}
	}
	var d map[string]any
	if err := json.Unmarshal(first.Data, &d); err != nil {
		return fmt.Errorf("incident %s: %s: %w", id, KindOpened, err)
	}
	hs, _ := d[CommitHeader].(string)
	ps, _ := d[CommitPlaybook].(string)
	if hs == "" && ps == "" {
		inc.Legacy = true
		return nil
	}
	for _, c := range []struct{ file, want, got string }{
		{HeaderFile, hs, sha256Hex(hb)},
		{PlaybookFile, ps, sha256Hex(pb)},
	} {
		if c.got != c.want {
			return fmt.Errorf("incident %s: %s %w (sha256 %.16s…, committed %.16s… by %s seq 1)", id, c.file, ErrNotCommitted, c.got, c.want, inc.Header.CreatedBy+journal.Ext)
		}
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
