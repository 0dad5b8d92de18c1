package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// The record's own actions: exports and messages.
func init() {
	register(
		entry{Spec: actions.Spec{Name: actions.NameRecordExport, Summary: "export the post-incident record", Optional: []string{"format"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) {
				f := b.args.Get("format")
				if f == "" {
					f = "md"
				}
				if !slices.Contains(export.Formats, f) && f != "markdown" {
					return nil, b.formErr("format", fmt.Errorf("%q is not one of %s", f, strings.Join(export.Formats, ", ")))
				}
				return &exportAction{s: b.s, inc: b.inc, format: f}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameCommsRender, Summary: "render a communication template into comms/", Required: []string{"template"}, Optional: []string{"fields", "allow_missing"}},
			needsIncident: true, build: buildComms},
	)
}

// Record builds the post-incident record of an incident as it is now: a
// snapshot of the journal, verified, its state derived, its timeline
// streamed when the record is written. Call done once it is written.
func (s *Session) Record(ctx context.Context, inc *incident.Incident) (rec *export.Record, rep *journal.Report, done func(), err error) {
	snap, err := inc.Journal.Snapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			snap.Close()
		}
	}()
	// The report is about exactly the events the record holds.
	if rep, err = inc.Journal.Verify(ctx, journal.VerifyOptions{Snapshot: snap}); err != nil {
		return nil, nil, nil, err
	}
	st, err := inc.StateOf(ctx, snap)
	if err != nil {
		return nil, nil, nil, err
	}
	timeline := func(fn func(*journal.Event) error) error { return snap.Each(ctx, journal.ByAt, fn) }
	return export.Build(inc, st, timeline, rep, s.now()), rep, func() { snap.Close() }, nil
}

// CheckOutput refuses an output a person named when it is inside the
// firebreak home (the record), or exists and force was not given.
func (s *Session) CheckOutput(path string, force bool) error {
	if err := actions.CheckOutput(path, []string{s.Home()}); err != nil {
		return &HintError{Err: err, Hint: "leave -o out to write into the incident's own exports/ or comms/, or name a file outside " + s.Home()}
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", path)
	case err == nil && !force:
		return &HintError{Err: fmt.Errorf("%s exists", path), Hint: "add --force to replace it"}
	}
	return nil
}

// Written is a file a use case wrote, and the event that records it.
type Written struct {
	Path   string
	SHA256 string
	Event  journal.Entry
	Intact bool // an export: the journal verified when it was made
}

// WriteRecord writes the record in format to out (default: a new file in
// the incident's exports/), scrubbed of secrets, and returns the
// export.made event to record.
func (s *Session) WriteRecord(ctx context.Context, inc *incident.Incident, format, out string, force bool) (*Written, error) {
	unique := false
	if out == "" {
		out, unique = filepath.Join(inc.Dir, "exports", inc.Header.ID+"-"+s.now().UTC().Format("20060102T150405Z")+"."+format), true
	} else if err := s.CheckOutput(out, force); err != nil {
		return nil, err
	}
	rec, rep, done, err := s.Record(ctx, inc)
	if err != nil {
		return nil, err
	}
	defer done()
	out, sum, err := fsutil.WriteNew(out, 0o600, unique, force, func(w io.Writer) error {
		// The journal refuses secrets; a record from before a pattern was
		// known is scrubbed on the way out.
		rw := redact.NewWriter(w)
		if err := export.Write(rw, format, rec); err != nil {
			return err
		}
		return rw.Flush()
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	heads := map[string]journal.Head{}
	for _, f := range rep.Files {
		heads[f.Actor] = journal.Head{Seq: f.HeadSeq, ID: f.HeadID}
	}
	e := journal.Entry{Actor: s.Actor, Kind: incident.KindExport,
		Summary: fmt.Sprintf("exported %s record to %s", format, filepath.Base(out)),
		Data:    ExportMade{Format: format, Path: out, SHA256: sum, Events: rep.Events, Heads: heads, Intact: rep.Intact()}}
	return &Written{Path: out, SHA256: sum, Event: e, Intact: rep.Intact()}, nil
}

// ExportMade is the data of an export.made event.
type ExportMade struct {
	Events int64                   `json:"events"`
	Format string                  `json:"format"`
	Heads  map[string]journal.Head `json:"heads"`
	Intact bool                    `json:"intact"`
	Path   string                  `json:"path"`
	SHA256 string                  `json:"sha256"`
}

// ContactsPath is the contacts file the templates use.
func (s *Session) ContactsPath() string {
	if s.Contacts != "" {
		return s.Contacts
	}
	return filepath.Join(s.Home(), "contacts.yaml")
}

// CommsData is what the templates are filled from: the incident's facts,
// milestones, what its actions did, and the contacts.
func (s *Session) CommsData(inc *incident.Incident) (map[string]string, error) {
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	cs, err := comms.LoadContacts(s.ContactsPath())
	if err != nil {
		return nil, err
	}
	return comms.Data(inc, incident.Derive(inc.Header, inc.Playbook, evs), evs, cs, s.now()), nil
}

// RenderComms fills a template from the incident, with overrides on top.
// Without allowMissing a field nothing fills is an error naming it.
func (s *Session) RenderComms(inc *incident.Incident, t *comms.Template, overrides map[string]string, allowMissing bool) (text string, missing []string, err error) {
	data, err := s.CommsData(inc)
	if err != nil {
		return "", nil, err
	}
	return renderComms(t, data, overrides, allowMissing)
}

// renderComms fills a template from gathered data, overrides on top.
func renderComms(t *comms.Template, data, overrides map[string]string, allowMissing bool) (text string, missing []string, err error) {
	maps.Copy(data, overrides)
	missing = t.Missing(data)
	text, err = t.Render(data, allowMissing)
	if err != nil && len(missing) > 0 {
		return "", missing, &HintError{Err: err, Hint: "give them with --set FIELD=VALUE (or record the facts and milestones they come from), or use --allow-missing"}
	}
	return text, missing, err
}

// WriteComms writes a rendered message into the incident's comms/ (or to
// out) and returns the comms.rendered event to record.
func (s *Session) WriteComms(inc *incident.Incident, t *comms.Template, text string, missing []string, out string, force bool) (*Written, error) {
	path, unique := out, false
	if path == "" {
		path, unique = comms.DefaultPath(inc.Dir, t.Name, s.now()), true
	} else if err := s.CheckOutput(path, force); err != nil {
		return nil, err
	}
	path, sum, err := comms.Write(path, text, unique, force)
	if err != nil {
		return nil, err
	}
	return &Written{Path: path, SHA256: sum, Event: comms.RenderedEntry(s.Actor, t.Name, path, sum, missing)}, nil
}

func buildComms(b *builder) (actions.Action, error) {
	lib, err := comms.Load(nil)
	if err != nil {
		return nil, err
	}
	t, ok := lib.Get(b.args.Get("template"))
	if !ok {
		return nil, b.argErr("template", fmt.Errorf("no template %q", b.args.Get("template")))
	}
	fields := map[string]string{}
	for _, kv := range b.args.List("fields") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, b.formErr("fields", fmt.Errorf("%q is not FIELD=VALUE", kv))
		}
		fields[k] = v
	}
	x := &commsAction{s: b.s, inc: b.inc, tmpl: t, fields: fields, allow: b.args.Bool("allow_missing")}
	data, err := b.s.CommsData(b.inc)
	if err != nil {
		return nil, err
	}
	x.data = data // the plan renders from it: the timeline is read once
	if !x.allow {
		// Fields the playbook asks for as facts (INC-3's remediation) are
		// asked for like any missing fact, before the plan.
		withFields := maps.Clone(data)
		maps.Copy(withFields, fields)
		if missing := t.Missing(withFields); len(missing) > 0 {
			inputs := map[string]bool{}
			for _, in := range b.inc.Playbook.Inputs {
				inputs[in.Name] = true
			}
			all := true
			for _, m := range missing {
				all = all && inputs[m]
			}
			if all {
				// Asked in the playbook's order (what it is, then the dates),
				// not alphabetically.
				order := map[string]int{}
				for i, in := range b.inc.Playbook.Inputs {
					order[in.Name] = i
				}
				sort.Slice(missing, func(i, j int) bool { return order[missing[i]] < order[missing[j]] })
				return nil, &actions.MissingFactsError{Names: missing}
			}
		}
	}
	return x, nil
}

// The actions below wrap the record's use cases so that playbook steps and
// the console run them through the same pipeline.

type exportAction struct {
	s      *Session
	inc    *incident.Incident
	format string
	w      *Written
}

func (x *exportAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: actions.NameRecordExport, Summary: "export the " + x.format + " record into the incident's exports/",
		Changes: []string{"write exports/" + x.inc.Header.ID + "-TIME." + x.format}}, nil
}

func (x *exportAction) Execute(ctx context.Context, _ func(actions.Progress)) (*actions.Result, error) {
	w, err := x.s.WriteRecord(ctx, x.inc, x.format, "", false)
	if err != nil {
		return nil, err
	}
	x.w = w
	return &actions.Result{Summary: "exported the record to " + w.Path, Data: actions.FileResult{V: actions.RecordVersion, Path: w.Path, SHA256: w.SHA256}, Events: []journal.Entry{w.Event}}, nil
}

func (x *exportAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	return verifyWritten(x.w), nil
}

func verifyWritten(w *Written) *actions.Verification {
	b, err := os.ReadFile(w.Path)
	ok := err == nil && evidence.SumBytes(b) == w.SHA256
	return &actions.Verification{Checks: []actions.Check{{What: w.Path + " reads back with its hash", OK: ok, Detail: w.SHA256}}}
}

type commsAction struct {
	s      *Session
	inc    *incident.Incident
	tmpl   *comms.Template
	fields map[string]string
	allow  bool
	data   map[string]string // gathered when built
	text   string
	missed []string
	w      *Written
}

func (x *commsAction) Plan(context.Context) (*actions.Plan, error) {
	text, missing, err := renderComms(x.tmpl, maps.Clone(x.data), x.fields, x.allow)
	if err != nil {
		return nil, err
	}
	x.text, x.missed = text, missing
	p := &actions.Plan{Action: actions.NameCommsRender, Summary: "render " + x.tmpl.Name + " (" + x.tmpl.Title + ") into the incident's comms/",
		Changes: []string{"write comms/" + x.tmpl.Name + "-TIME.txt"}}
	if len(missing) > 0 {
		p.Changes = append(p.Changes, "marked missing: "+strings.Join(missing, ", "))
	}
	return p, nil
}

func (x *commsAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	w, err := x.s.WriteComms(x.inc, x.tmpl, x.text, x.missed, "", false)
	if err != nil {
		return nil, err
	}
	x.w = w
	return &actions.Result{Summary: "rendered " + x.tmpl.Name + " into " + w.Path, Data: actions.FileResult{V: actions.RecordVersion, Missing: x.missed, Path: w.Path, SHA256: w.SHA256}, Events: []journal.Entry{w.Event}}, nil
}

func (x *commsAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	return verifyWritten(x.w), nil
}

type consistencyAction struct {
	pin   string
	files []string
	found []signing.Finding
}

func (x *consistencyAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: actions.NameKeyCheckConsistency, Summary: fmt.Sprintf("check %d file(s) for key references against %s", len(x.files), x.pin)}, nil
}

func (x *consistencyAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	found, err := signing.CheckConsistency(x.pin, x.files, nil)
	if err != nil {
		return nil, err
	}
	x.found = found
	return &actions.Result{Summary: fmt.Sprintf("checked %d key reference(s) against %s", len(found), x.pin), Data: actions.ConsistencyResult{V: actions.RecordVersion, Pin: x.pin, Findings: found}}, nil
}

func (x *consistencyAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	v := &actions.Verification{}
	for _, f := range x.found {
		v.Checks = append(v.Checks, actions.Check{What: fmt.Sprintf("%s:%d %s", f.File, f.Line, f.What), OK: f.OK, Detail: f.Problem})
	}
	return v, nil
}
