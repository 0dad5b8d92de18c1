package actions

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// Take moves (quarantine) or copies (add) files into an evidence store.
type Take struct {
	Store     *evidence.Store
	Paths     []string
	Recursive bool
	Move      bool
	Actor     string
	// Protect lists directories nothing may be taken from (see Protected):
	// the firebreak home and the key stores.
	Protect []string
	// RecordAs, when set and exactly one file is taken, records where the
	// evidence holds it as that fact (INC-2's quarantined_module), so the
	// steps after this one find it without anyone typing the path.
	RecordAs string

	entries []evidence.Entry
	record  func(journal.Entry) error
	inc     string
}

// SetRecorder records each copy as it is made, before its original goes.
func (t *Take) SetRecorder(f func(journal.Entry) error, incident string) {
	t.record, t.inc = f, incident
}

// show is a path as people read it (textutil.Name): a plan line names
// exactly one file.
func show(p string) string { return textutil.Name(p) }

// evidenceEvent is the evidence.added record of one entry.
func evidenceEvent(op string, e evidence.Entry) journal.Entry {
	summary := fmt.Sprintf("evidence %s: %s sha256 %s (%d bytes) from %s", op, e.Name, e.SHA256, e.Size, show(e.Original.Path))
	if e.Type == evidence.TypeSymlink {
		summary = fmt.Sprintf("evidence %s: symlink %s -> %s from %s", op, e.Name, show(e.LinkTarget), show(e.Original.Path))
	}
	if e.ChangedDuringCopy {
		summary += " — CHANGED WHILE COPIED, original kept"
	} else if e.RemoveOriginal {
		summary += "; the original goes next if unchanged"
	}
	return journal.Entry{Kind: KindEvidence, Summary: textutil.Line(summary), Data: e}
}

// evidenceTaker is embedded by actions that put files into a store as a
// side of their work (saved reports, originals kept before re-signing):
// each entry is recorded as it is made when the Runner gives a recorder,
// else returned as an event to record after.
type evidenceTaker struct {
	record func(journal.Entry) error
	inc    string
}

// SetRecorder records each entry as it is made.
func (t *evidenceTaker) SetRecorder(f func(journal.Entry) error, incident string) {
	t.record, t.inc = f, incident
}

// take takes paths into st and returns the entries and the events still
// to record (none when they were recorded already).
func (t *evidenceTaker) take(ctx context.Context, st *evidence.Store, paths []string, o evidence.Options, summary func(evidence.Entry) string) ([]evidence.Entry, []journal.Entry, error) {
	event := func(e evidence.Entry) journal.Entry {
		ev := evidenceEvent(o.Operation, e)
		if summary != nil {
			ev.Summary = textutil.Line(summary(e))
		}
		return ev
	}
	if t.record != nil {
		o.Record = func(e evidence.Entry) error { return t.record(event(e)) }
	}
	o.Incident = t.inc
	es, err := st.Take(ctx, paths, o)
	var evs []journal.Entry
	if t.record == nil {
		for _, e := range es {
			evs = append(evs, event(e))
		}
	}
	return es, evs, err
}

// recorder turns an evidence.Options.Record out of an event recorder.
func recorder(op string, rec func(journal.Entry) error) func(evidence.Entry) error {
	if rec == nil {
		return nil
	}
	return func(e evidence.Entry) error { return rec(evidenceEvent(op, e)) }
}

func (t *Take) name() string {
	if t.Move {
		return NameEvidenceQuarantine
	}
	return NameEvidenceAdd
}

// Plan lists every file, the name it will get, and whether its original
// goes.
func (t *Take) Plan(ctx context.Context) (*Plan, error) {
	t.Store.Protect = t.Protect
	items, err := t.Store.Preview(t.Paths, t.Recursive)
	if err != nil {
		return nil, err
	}
	p := &Plan{Action: t.name(), Destructive: t.Move}
	var total int64
	if len(items) == 0 {
		return nil, fmt.Errorf("nothing to take: %s holds no file", strings.Join(t.Paths, ", "))
	}
	for _, it := range items {
		if t.RecordAs != "" && it.Type == evidence.TypeSymlink {
			// A step that takes one file to work on it (INC-2's module)
			// taking a link would leave the file itself in place and the
			// step marked done.
			target, _ := os.Readlink(it.Path)
			return nil, &evidence.Error{Path: it.Path, Err: fmt.Errorf("is a symlink (to %s): name the file it points to instead", show(target))}
		}
		if t.Move && it.Links > 1 {
			return nil, &evidence.Error{Path: it.Path, Err: fmt.Errorf("%w (it has %d)", evidence.ErrHardLinks, it.Links)}
		}
		verb := "copy"
		if t.Move {
			verb = "move"
		}
		what := fmt.Sprintf("%s, %d bytes", textutil.Size(it.Size), it.Size)
		if it.Type == evidence.TypeSymlink {
			what = "a symlink, taken as a link"
		}
		p.Changes = append(p.Changes, fmt.Sprintf("%s %s (%s) to %s", verb, show(it.Path), what, filepath.Join(t.Store.Dir, filepath.FromSlash(it.Name))))
		total += it.Size
	}
	if t.Move {
		p.Summary = fmt.Sprintf("quarantine %d file(s), %s: copy with SHA-256, sync, re-read, then remove the originals", len(items), textutil.Size(total))
		p.Confirm = "quarantine"
	} else {
		p.Summary = fmt.Sprintf("add %d file(s), %s, to the evidence (originals kept)", len(items), textutil.Size(total))
	}
	return p, nil
}

// Execute takes the files.
func (t *Take) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	op := "add"
	if t.Move {
		op = "quarantine"
	}
	t.Store.Protect = t.Protect
	es, err := t.Store.Take(ctx, t.Paths, evidence.Options{
		Move: t.Move, Recursive: t.Recursive, Actor: t.Actor, Operation: op,
		Progress: func(p string, done, total int64) { progress(Progress{Item: p, Done: done, Total: total}) },
		Record:   recorder(op, t.record),
		Incident: t.inc,
	})
	t.entries = es
	res := &Result{Data: TakeResult{V: RecordVersion, Entries: es}}
	if t.record == nil {
		for _, e := range es {
			res.Events = append(res.Events, evidenceEvent(op, e))
		}
	}
	res.Summary = fmt.Sprintf("%s: %d file(s) into %s", op, len(es), t.Store.Dir)
	if t.RecordAs != "" && err == nil && len(es) == 1 && es[0].Type != evidence.TypeSymlink {
		if p, aerr := filepath.Abs(filepath.Join(t.Store.Dir, filepath.FromSlash(es[0].Name))); aerr == nil {
			res.Events = append(res.Events, incident.FactEntry(t.RecordAs, p))
		}
	}
	return res, err
}

// Verify re-hashes what was stored and checks the originals are gone (for
// a quarantine).
func (t *Take) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return verifyEntries(ctx, t.Store, t.entries, t.Move)
}

func verifyEntries(ctx context.Context, st *evidence.Store, es []evidence.Entry, moved bool) (*Verification, error) {
	v := &Verification{}
	for _, e := range es {
		p := filepath.Join(st.Dir, filepath.FromSlash(e.Name))
		switch e.Type {
		case evidence.TypeSymlink:
			target, err := os.Readlink(p)
			want := e.LinkTarget
			if e.LinkTargetBytes != nil {
				want = string(e.LinkTargetBytes)
			}
			shown, _ := evidence.ShowPath(target)
			v.Checks = append(v.Checks, Check{What: "link " + e.Name, OK: err == nil && target == want, Detail: "target " + shown})
		default:
			fi, err := os.Lstat(p)
			if err != nil {
				v.Checks = append(v.Checks, Check{What: "stored " + e.Name, Detail: err.Error()})
				continue
			}
			if fi.Mode().Perm() != st.Mode {
				v.Checks = append(v.Checks, Check{What: "mode of " + e.Name, Detail: fmt.Sprintf("%04o, want %04o", fi.Mode().Perm(), st.Mode)})
				continue
			}
			if e.ReadBack != "" {
				// The store read the synced copy back before the original
				// was touched: one verification read, shared, not a third
				// pass over the file. The stored file is still checked to
				// be there, with its mode and size.
				v.Checks = append(v.Checks, Check{What: "re-hash " + e.Name, OK: e.ReadBack == e.SHA256 && fi.Size() == e.Size,
					Detail: "sha256 " + e.ReadBack + ", read back from the synced copy"})
				break
			}
			sum, n, err := evidence.HashFile(ctx, p)
			switch {
			case errors.Is(err, fs.ErrPermission):
				// Mode 0000 and not root: size only.
				v.Checks = append(v.Checks, Check{What: "stored " + e.Name, OK: fi.Size() == e.Size, Detail: fmt.Sprintf("mode %04o, %d bytes (not re-read: no permission)", st.Mode, fi.Size())})
			case err != nil:
				v.Checks = append(v.Checks, Check{What: "re-hash " + e.Name, Detail: err.Error()})
			default:
				v.Checks = append(v.Checks, Check{What: "re-hash " + e.Name, OK: sum == e.SHA256 && n == e.Size, Detail: "sha256 " + sum})
			}
		}
		if moved {
			orig := e.Original.Path
			if e.Original.PathBytes != nil {
				orig = string(e.Original.PathBytes)
			}
			switch {
			case e.ChangedDuringCopy:
				v.Checks = append(v.Checks, Check{What: "original " + show(e.Original.Path), Detail: "changed while it was copied: kept, and the copy is marked changed-during-copy; take it again"})
			case e.SourceRemoved:
				_, err := os.Lstat(orig)
				detail := "removed"
				if err == nil {
					detail = "removed, and a new file of that name is there now"
				}
				v.Checks = append(v.Checks, Check{What: "original " + show(e.Original.Path), OK: true, Detail: detail})
			default:
				detail := "still present"
				if e.RemoveError != "" {
					detail += ": " + e.RemoveError
				}
				v.Checks = append(v.Checks, Check{What: "original " + show(e.Original.Path), Detail: detail})
			}
		}
	}
	return v, nil
}

// IsolateKey moves a private key out of service into a key store (mode
// 0000), recording its file hash and public key fingerprint — never its
// contents.
type IsolateKey struct {
	Store *evidence.Store
	Path  string
	Pass  signing.Passphrase
	Actor string
	// Protect: as for Take.
	Protect []string

	fingerprint, keyID, note string
	entries                  []evidence.Entry
	record                   func(journal.Entry) error
	inc                      string
}

// SetRecorder records the isolated copy before the original key goes.
func (k *IsolateKey) SetRecorder(f func(journal.Entry) error, incident string) {
	k.record, k.inc = f, incident
}

// Plan reads the key to name it and says where it goes.
func (k *IsolateKey) Plan(ctx context.Context) (*Plan, error) {
	fi, err := os.Lstat(k.Path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &evidence.Error{Path: k.Path, Err: errors.New("is a symlink: isolate the key file it points to (firebreak moves files, never through links)")}
	}
	if !fi.Mode().IsRegular() {
		return nil, &evidence.Error{Path: k.Path, Err: fmt.Errorf("is a %s, not a key file", fsutil.TypeName(fi.Mode()))}
	}
	k.describe()
	k.Store.Protect = k.Protect
	items, err := k.Store.Preview([]string{k.Path}, false)
	if err != nil {
		return nil, err
	}
	if items[0].Links > 1 {
		return nil, &evidence.Error{Path: k.Path, Err: fmt.Errorf("%w (it has %d)", evidence.ErrHardLinks, items[0].Links)}
	}
	dest := filepath.Join(k.Store.Dir, filepath.FromSlash(items[0].Name))
	who := "fingerprint " + k.fingerprint
	if k.fingerprint == "" {
		who = k.note
	}
	return &Plan{
		Action:      NameKeyIsolate,
		Summary:     fmt.Sprintf("isolate key %s (%s): move to %s, mode 0000", show(k.Path), who, dest),
		Changes:     []string{"move " + show(k.Path) + " to " + dest + " (copy with SHA-256, sync, re-read, remove the original)", "set " + dest + " to mode 0000"},
		Destructive: true,
		Confirm:     "isolate",
	}, nil
}

// describe derives the public key fingerprint from the key, if it can.
func (k *IsolateKey) describe() {
	key, err := signing.LoadKey(k.Path, k.Pass)
	switch {
	case err == nil:
		k.fingerprint, k.keyID = key.Fingerprint(), key.KeyID()
		k.note = "key form " + key.Form
	case errors.Is(err, signing.ErrEncrypted):
		k.note = "fingerprint not derived: the key is encrypted and no passphrase was given"
	default:
		k.note = "fingerprint not derived: " + err.Error()
	}
}

// Execute moves the key.
func (k *IsolateKey) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	k.Store.Protect = k.Protect
	rec := k.record
	es, err := k.Store.Take(ctx, []string{k.Path}, evidence.Options{
		Move: true, Actor: k.Actor, Operation: "isolate", Incident: k.inc,
		Fingerprint: func(string) (string, string) { return k.fingerprint, k.note },
		Record: recorder("isolate", func(e journal.Entry) error {
			if rec == nil {
				return nil
			}
			e.Summary = textutil.Line(fmt.Sprintf("key %s isolated: copy recorded before the original goes (file sha256 %s, public key fingerprint %s)", k.Path, e.Data.(evidence.Entry).SHA256, orNone(k.fingerprint)))
			return rec(e)
		}),
	})
	k.entries = es
	if err != nil {
		return &Result{Data: IsolateResult{V: RecordVersion, Entries: es}}, err
	}
	e := es[0]
	data := IsolateResult{V: RecordVersion, Entry: &e, Fingerprint: k.fingerprint, KeyID: k.keyID, Store: k.Store.Dir}
	summary := fmt.Sprintf("key %s isolated to %s (file sha256 %s, public key fingerprint %s)", k.Path, filepath.Join(k.Store.Dir, e.Name), e.SHA256, orNone(k.fingerprint))
	res := &Result{Summary: summary, Data: data}
	if rec == nil {
		res.Events = []journal.Entry{{Kind: KindEvidence, Summary: summary, Data: e}}
	}
	return res, nil
}

// Verify checks the stored key and that the original is gone.
func (k *IsolateKey) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	return verifyEntries(ctx, k.Store, k.entries, true)
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
