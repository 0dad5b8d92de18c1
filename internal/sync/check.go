package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
)

type treeEntry struct {
	mode, typ, oid string
}

// tree lists every file of a commit.
func tree(ctx context.Context, r *gitrepo.Repo, rev string) (map[string]treeEntry, error) {
	out, err := r.Run(ctx, "ls-tree", "-r", "-z", "--full-tree", rev)
	if err != nil {
		return nil, err
	}
	t := map[string]treeEntry{}
	for _, rec := range strings.Split(string(out), "\x00") {
		if rec == "" {
			continue
		}
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git ls-tree %s: unexpected line %q", rev, rec)
		}
		t[p] = treeEntry{mode: f[0], typ: f[1], oid: f[2]}
	}
	return t, nil
}

// netTimeout bounds each command that reaches the remote: a remote that
// accepts the connection and never answers does not hold the sync (and
// its lock) forever.
const netTimeout = 2 * time.Minute

// fetch brings origin/main up to date; false when the remote has no
// branch yet (a new, empty remote).
func fetch(ctx context.Context, r *gitrepo.Repo) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	out, err := r.RunWith(ctx, netEnv, nil, "ls-remote", "--heads", "origin", "refs/heads/"+Branch)
	if err != nil {
		return false, fmt.Errorf("reach the remote: %w", err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return false, nil
	}
	if _, err := r.RunWith(ctx, netEnv, nil, "fetch", "-q", "--no-tags", "origin", "+refs/heads/"+Branch+":"+remoteRef); err != nil {
		return false, fmt.Errorf("fetch: %w", err)
	}
	return true, nil
}

const remoteRef = "refs/remotes/origin/" + Branch

// plan is what a merge takes from the remote, decided by check.
type plan struct {
	// received are the files the remote adds or extends: the only paths
	// the merge takes from it.
	received []string
	// restored are files the remote holds cut short or not at all, though
	// they were synced: this machine's copy is kept and pushed back.
	restored []string
	// ignored are paths on the remote that are not the record (or not
	// files): never merged, and dropped from the branch by the push.
	ignored []string
	// rejected are what the remote adds that does not verify (an incident
	// whose chain, seal or header fails; a teammate's journal rewritten
	// there), each "path: why": never merged; this machine's copy, or
	// nothing, is what the push leaves there.
	rejected []string
	// foreign are journals under this machine's own name that it never
	// wrote (among received).
	foreign []string
	// behind: this machine's branch is an ancestor of the remote's.
	behind bool
}

func (pl *plan) clean() bool {
	return len(pl.restored) == 0 && len(pl.ignored) == 0 && len(pl.rejected) == 0
}

// reject takes an incident's paths out of what the merge receives.
func (pl *plan) reject(prefix, why string) {
	var keep []string
	for _, p := range pl.received {
		if strings.HasPrefix(p, prefix) {
			pl.rejected = append(pl.rejected, p+": "+why)
		} else {
			keep = append(keep, p)
		}
	}
	pl.received = keep
}

// check compares the remote's tree with this machine's and decides what
// the merge takes: files the remote adds, and journals it extends. It
// refuses a fork (a journal both sides extended differently), a journal
// this machine writes that grew elsewhere, a header, snapshot, message or
// export that differs, and anything that arrives and does not verify —
// each journal the remote adds to is checked (chains, seals, the header
// and snapshot it commits to, no event logged in the future) as it would
// stand after the merge, in a scratch directory.
func check(ctx context.Context, o *Options, r *gitrepo.Repo) (*plan, error) {
	remote, err := tree(ctx, r, remoteRef)
	if err != nil {
		return nil, err
	}
	local := map[string]treeEntry{}
	base := map[string]treeEntry{}
	pl := &plan{}
	if headExists(ctx, r) {
		if local, err = tree(ctx, r, "HEAD"); err != nil {
			return nil, err
		}
		if mb, err := r.Run(ctx, "merge-base", "HEAD", remoteRef); err == nil {
			if base, err = tree(ctx, r, strings.TrimSpace(string(mb))); err != nil {
				return nil, err
			}
		}
		_, err := r.Run(ctx, "merge-base", "--is-ancestor", "HEAD", remoteRef)
		pl.behind = err == nil
	} else {
		pl.behind = true
	}
	touched := map[string]bool{} // incidents whose record the remote adds to
	for _, p := range sortedKeys(remote) {
		re := remote[p]
		kind := Classify(p)
		if kind == NotSynced || re.typ != "blob" || (re.mode != "100644" && re.mode != "100755") {
			pl.ignored = append(pl.ignored, p)
			continue
		}
		le, here := local[p]
		be, was := base[p]
		actor := strings.TrimSuffix(path.Base(p), journal.Ext)
		switch {
		case here && le.oid == re.oid:
		case !here && was:
			// Deleted here since the last sync: refused when this machine
			// commits; never taken back in silently.
		case !here:
			if kind == Journal && actor == o.Actor {
				// A journal under this machine's own name that this
				// machine never wrote: another machine uses the name, or
				// someone with push access wrote it. Taken in like any
				// other (refusing would lock this machine out for good),
				// and said; --require-sealed refuses it unless this
				// responder's key sealed it.
				pl.foreign = append(pl.foreign, p)
			}
			if err := notInTheWay(ctx, o, r, p, re.oid); err != nil {
				return nil, err
			}
			pl.received = append(pl.received, p)
			touched[incidentOf(p)] = true
		case kind == Journal:
			rel, err := compareJournal(ctx, r, p, le.oid, re.oid)
			var fe *ForkError
			if errors.As(err, &fe) && was && be.oid == le.oid {
				// This machine has not written to it since the last sync,
				// and the remote's no longer extends that copy: rewritten
				// on the remote. The copy this machine took in is kept and
				// the push puts it back. A machine that appended to it too
				// is refused as a fork: it must choose.
				pl.rejected = append(pl.rejected, p+": rewritten on the remote (it no longer extends the copy this machine took in); this machine's copy is kept")
				continue
			}
			if err != nil {
				return nil, err
			}
			switch rel {
			case remoteExtends:
				if local, _ := LocalActors(o.Home, incidentOf(p)); local[actor] {
					// A journal this machine writes, extended elsewhere:
					// the same actor on two machines, one after the other.
					n, first := describeTail(mustTail(ctx, r, le.oid, re.oid))
					return nil, &ForkError{Path: p, Actor: actor, Common: -1, Remote: n, RemoteFirst: first}
				}
				pl.received = append(pl.received, p)
				touched[incidentOf(p)] = true
			case localExtends:
				if was && be.oid != re.oid && shorter(ctx, r, re.oid, be.oid) {
					pl.restored = append(pl.restored, p) // the remote's is shorter than what was synced
				}
			}
		default:
			what := map[Kind]string{Header: "the incident header", Snapshot: "the playbook snapshot", Record: "a message or export"}[kind]
			return nil, &RefusedError{Path: p, Reason: fmt.Sprintf("differs between this machine and the remote; %s is written once, so nothing was merged", what), Hint: headerHint(kind)}
		}
	}
	for _, p := range sortedKeys(local) {
		if _, there := remote[p]; !there {
			if _, was := base[p]; was {
				pl.restored = append(pl.restored, p) // deleted on the remote
			}
		}
	}
	for _, id := range sortedKeys(touched) {
		err := verifyIncoming(ctx, o, r, id, local, remote, pl.received)
		var re *RefusedError
		if errors.As(err, &re) {
			// Left out, not a refusal of the whole sync: one bad incident
			// on the remote must not stop every responder's work.
			pl.reject("incidents/"+id+"/", re.Reason)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// notInTheWay refuses a file the remote adds where this machine already
// has something its record does not hold (a draft in comms/, a folder):
// the merge would replace it. The same content is no conflict.
func notInTheWay(ctx context.Context, o *Options, r *gitrepo.Repo, p, oid string) error {
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ { // its folders: a file there would be replaced by one
		dir := strings.Join(parts[:i], "/")
		if fi, err := os.Lstat(filepath.Join(o.Home, filepath.FromSlash(dir))); err == nil && !fi.IsDir() {
			return &RefusedError{Path: dir, Reason: "the remote adds " + p + " beneath it, but on this machine it is a " + fsutil.TypeName(fi.Mode()) + ", not a folder; nothing was merged",
				Hint: "move this machine's " + dir + " out of the home, then sync again"}
		}
	}
	full := filepath.Join(o.Home, filepath.FromSlash(p))
	fi, err := os.Lstat(full)
	if err != nil {
		return nil // nothing there
	}
	if fi.Mode().IsRegular() {
		out, err := r.Run(ctx, "hash-object", "--no-filters", "--", p)
		if err == nil && strings.TrimSpace(string(out)) == oid {
			return nil
		}
	}
	return &RefusedError{Path: p, Reason: "the remote adds it, but this machine already has something there that is not in its record (a file put there by hand?); nothing was merged",
		Hint: "move this machine's " + p + " out of the home, then sync again"}
}

func headerHint(k Kind) string {
	if k == Header || k == Snapshot {
		return "the same incident id was opened on two machines: open it on one and sync before the others work on it; keep this home, and clone the remote into a new one to see the other"
	}
	return "two machines wrote a file of the same name: rename this machine's copy outside firebreak's folders, or remove the remote's"
}

func incidentOf(p string) string { return strings.Split(p, "/")[1] }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type relation int

const (
	same relation = iota
	remoteExtends
	localExtends
)

// compareJournal says whether the remote's version of a journal file
// extends this machine's, or this machine's extends it (the remote is
// behind), or refuses a fork.
func compareJournal(ctx context.Context, r *gitrepo.Repo, p, localOID, remoteOID string) (relation, error) {
	l, rm, err := twoBlobs(ctx, r, localOID, remoteOID)
	if err != nil {
		return same, fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case bytes.Equal(l, rm):
		return same, nil
	case bytes.HasPrefix(rm, l) && (len(l) == 0 || l[len(l)-1] == '\n'):
		return remoteExtends, nil
	case bytes.HasPrefix(l, rm) && (len(rm) == 0 || rm[len(rm)-1] == '\n'):
		return localExtends, nil
	}
	common := 0
	for common < len(l) && common < len(rm) && l[common] == rm[common] {
		common++
	}
	common = bytes.LastIndexByte(l[:common], '\n') + 1
	fe := &ForkError{Path: p, Actor: strings.TrimSuffix(path.Base(p), journal.Ext), Common: int64(bytes.Count(l[:common], []byte{'\n'}))}
	fe.Local, fe.LocalFirst = describeTail(l[common:])
	fe.Remote, fe.RemoteFirst = describeTail(rm[common:])
	return same, fe
}

func twoBlobs(ctx context.Context, r *gitrepo.Repo, a, b string) ([]byte, []byte, error) {
	var out [2][]byte
	err := r.Blobs(ctx, []string{a, b}, func(i int, data []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("object missing")
		}
		out[i] = data
		return nil
	})
	return out[0], out[1], err
}

// shorter reports whether object a is smaller than object b.
func shorter(ctx context.Context, r *gitrepo.Repo, a, b string) bool {
	size := func(oid string) int64 {
		out, err := r.Run(ctx, "cat-file", "-s", oid)
		if err != nil {
			return -1
		}
		var n int64
		fmt.Sscan(string(out), &n)
		return n
	}
	return size(a) < size(b)
}

func mustBlob(ctx context.Context, r *gitrepo.Repo, oid string) []byte {
	b, _ := blob(ctx, r, oid)
	return b
}

// mustTail is what the remote's version of a journal adds to this
// machine's (the caller knows it extends it); empty if it cannot be read.
func mustTail(ctx context.Context, r *gitrepo.Repo, localOID, remoteOID string) []byte {
	l, rm, err := twoBlobs(ctx, r, localOID, remoteOID)
	if err != nil || len(rm) < len(l) {
		return nil
	}
	return rm[len(l):]
}

// describeTail counts the events in b and describes the first.
func describeTail(b []byte) (int64, string) {
	n := int64(bytes.Count(b, []byte{'\n'}))
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	var e struct {
		Kind   string    `json:"kind"`
		Logged time.Time `json:"logged"`
	}
	if json.Unmarshal(line, &e) != nil || e.Kind == "" {
		return n, "an unreadable line"
	}
	return n, fmt.Sprintf("%s logged %s", e.Kind, e.Logged.UTC().Format("2006-01-02 15:04:05Z"))
}

// verifyIncoming checks one incident as it would stand after the merge —
// this machine's files, with what the remote adds or extends — in a
// scratch home: the header and snapshot the opening event commits to,
// every chain (a torn line fails), every seal, no event the remote brings
// logged in the future, and every message or export it brings recorded by
// the journal with that content.
func verifyIncoming(ctx context.Context, o *Options, r *gitrepo.Repo, id string, local, remote map[string]treeEntry, received []string) error {
	scratch, err := os.MkdirTemp("", "firebreak-sync-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	prefix := "incidents/" + id + "/"
	incoming := map[string]bool{}
	for _, p := range received {
		if strings.HasPrefix(p, prefix) {
			incoming[p] = true
		}
	}
	var specs, dests []string
	for _, p := range sortedKeys(remote) {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		k := Classify(p)
		if k == Record {
			continue // checked below, by hash
		}
		oid := remote[p].oid
		if le, ok := local[p]; ok && !incoming[p] {
			oid = le.oid // this machine's copy is the merge's
		}
		specs = append(specs, oid)
		dests = append(dests, filepath.Join(scratch, filepath.FromSlash(p)))
	}
	for _, p := range sortedKeys(local) {
		if _, ok := remote[p]; !ok && strings.HasPrefix(p, prefix) && Classify(p) != Record {
			specs = append(specs, local[p].oid)
			dests = append(dests, filepath.Join(scratch, filepath.FromSlash(p)))
		}
	}
	err = r.Blobs(ctx, specs, func(i int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("%s: object missing", dests[i])
		}
		if err := os.MkdirAll(filepath.Dir(dests[i]), 0o700); err != nil {
			return err
		}
		return os.WriteFile(dests[i], b, 0o600)
	})
	if err != nil {
		return err
	}
	refuse := func(reason string) error {
		return &RefusedError{Path: prefix + " (from the remote)", Reason: reason}
	}
	ws := &incident.Workspace{Home: scratch}
	inc, err := ws.LoadForAudit(id)
	if err != nil {
		return refuse("the incident does not load: " + err.Error())
	}
	if inc.CommitErr != nil {
		return refuse(inc.CommitErr.Error())
	}
	late := o.now().Add(incident.MaxFuture)
	var future string
	fromRemote := map[string]bool{}
	for p := range incoming {
		if Classify(p) == Journal {
			fromRemote[strings.TrimSuffix(path.Base(p), journal.Ext)] = true
		}
	}
	openings := 0
	v, err := verifyJournal(ctx, o, inc.Journal, id, func(e *journal.Event) {
		if future == "" && fromRemote[e.Actor] && e.Logged.After(late) {
			future = fmt.Sprintf("%s seq %d is logged at %s, in the future", e.Actor, e.Seq, e.Logged.UTC().Format(time.RFC3339))
		}
		if e.Kind == incident.KindOpened {
			openings++
		}
	})
	if err != nil {
		return err
	}
	switch {
	case !v.Intact:
		return refuse(v.Problem)
	case future != "":
		return refuse(future)
	case openings > 1:
		return refuse(incident.ErrTwoOpenings.Error())
	}
	if o.RequireSealed {
		for p := range incoming {
			actor := strings.TrimSuffix(path.Base(p), journal.Ext)
			if Classify(p) == Journal && !sealedBy(filepath.Join(scratch, filepath.FromSlash(p)), actor, o.KeyNames) {
				return refuse(p + " does not end with a seal by " + actor + "'s key, and this home requires one (an unsealed event is a name, not a signature)")
			}
		}
	}
	recorded, err := recordedFiles(filepath.Join(scratch, "incidents", id, "journal"))
	if err != nil {
		return err
	}
	var finder redact.Finder
	for _, p := range received {
		if !strings.HasPrefix(p, prefix) || Classify(p) != Record {
			continue
		}
		b, err := blob(ctx, r, remote[p].oid)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		if !recorded[recordKey(p, hex.EncodeToString(sum[:]))] {
			return refuse(p + " is not a message or export its journal recorded with that content")
		}
		if what, _ := finder.Find(bytes.NewReader(b)); what != "" {
			return refuse(p + " looks like it holds " + what)
		}
	}
	return nil
}

func verifyJournal(ctx context.Context, o *Options, j *journal.Journal, id string, visit func(*journal.Event)) (Verified, error) {
	v := Verified{Incident: id}
	rep, err := j.Verify(ctx, journal.VerifyOptions{Scope: id, Seals: true, Keys: o.Keys, Visit: visit})
	if err != nil {
		return v, err
	}
	v.Events, v.Files = rep.Events, len(rep.Files)
	var problems []string
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
	}
	for _, f := range rep.Files {
		if f.Torn != nil {
			problems = append(problems, f.Torn.Error())
		}
	}
	if rep.Seals != nil {
		v.Seals, v.UnknownKey = rep.Seals.Checked, rep.Seals.UnknownKey
		for _, p := range rep.Seals.Failures {
			problems = append(problems, p.Error())
		}
	}
	v.Intact = len(problems) == 0
	v.Problem = strings.Join(problems, "; ")
	return v, nil
}

// prePush checks everything this machine is about to push, however it was
// committed (by firebreak, or with git by hand): every commit the push
// sends adds or changes only record paths, as files, holding no secret
// (nor does its message); and the tree it leaves on the remote only grows
// the remote's (journals extended, nothing else changed or deleted) and
// holds no message or export the journals did not record.
func prePush(ctx context.Context, o *Options, r *gitrepo.Repo, hasRemote bool, leftOut []string) error {
	rng, undo := "HEAD", "git -C "+o.Home+" update-ref -d HEAD"
	if hasRemote {
		rng, undo = remoteRef+"..HEAD", "git -C "+o.Home+" reset --soft "+remoteRef
	}
	hint := func(what string) string {
		return what + "; drop this machine's unpushed commits, keeping the files (" + undo + "), then sync again: firebreak commits only the record"
	}
	out, err := r.Run(ctx, "rev-list", rng)
	if err != nil {
		return err
	}
	var finder redact.Finder
	blobs := map[string]string{} // oid -> a path it is at
	for _, c := range strings.Fields(string(out)) {
		msg, err := r.Run(ctx, "log", "-1", "--format=%an%n%ae%n%cn%n%ce%n%B", c)
		if err != nil {
			return err
		}
		if what := redact.Find(msg); what != "" {
			return &RefusedError{Path: "commit " + c[:12], Reason: "its message looks like it holds " + what + "; nothing was pushed", Hint: hint("the message stays on this machine")}
		}
		raw, err := r.Run(ctx, "diff-tree", "-r", "-z", "--no-commit-id", "--root", "-m", "--no-renames", c)
		if err != nil {
			return err
		}
		f := strings.Split(string(raw), "\x00")
		for i := 0; i+1 < len(f); i += 2 {
			meta := strings.Fields(strings.TrimPrefix(f[i], ":"))
			p := f[i+1]
			if len(meta) != 5 || meta[4] == "D" {
				continue // a deletion adds nothing; the final tree is checked below
			}
			mode, oid := meta[1], meta[3]
			if Classify(p) == NotSynced || (mode != "100644" && mode != "100755") {
				return &RefusedError{Path: p, Reason: "was committed (commit " + c[:12] + "), but it is not part of the record; nothing was pushed", Hint: hint("it stays on this machine")}
			}
			blobs[oid] = p
		}
	}
	oids := sortedKeys(blobs)
	err = r.Blobs(ctx, oids, func(i int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("%s: object missing", blobs[oids[i]])
		}
		if what, _ := finder.Find(bytes.NewReader(b)); what != "" {
			return &RefusedError{Path: blobs[oids[i]], Reason: "looks like it holds " + what + " (in a commit this push would send); nothing was pushed", Hint: hint("it stays on this machine")}
		}
		return nil
	})
	if err != nil {
		return err
	}
	head, err := tree(ctx, r, "HEAD")
	if err != nil {
		return err
	}
	old := map[string]treeEntry{}
	if hasRemote {
		if old, err = tree(ctx, r, remoteRef); err != nil {
			return err
		}
	}
	dropped := map[string]bool{}
	for _, p := range leftOut {
		dropped[p] = true
	}
	for _, p := range sortedKeys(old) {
		if e := old[p]; Classify(p) == NotSynced || dropped[p] || e.typ != "blob" || (e.mode != "100644" && e.mode != "100755") {
			continue // left out: the push drops it
		}
		he, ok := head[p]
		switch {
		case !ok:
			return &RefusedError{Path: p, Reason: "this push would delete it from the remote (a commit made outside firebreak?); nothing was pushed", Hint: hint("the record only grows")}
		case he.oid == old[p].oid:
		case Classify(p) != Journal:
			return &RefusedError{Path: p, Reason: "this push would change it on the remote, and it is written once; nothing was pushed", Hint: hint("the record only grows")}
		default:
			rel, err := compareJournal(ctx, r, p, he.oid, old[p].oid)
			if err != nil || rel == remoteExtends {
				return &RefusedError{Path: p, Reason: "this push would rewrite or cut it short on the remote; nothing was pushed", Hint: hint("the record only grows")}
			}
		}
	}
	recorded := map[string]map[string]bool{}
	for _, p := range sortedKeys(head) {
		if Classify(p) != Record {
			continue
		}
		if e, ok := old[p]; ok && e.oid == head[p].oid {
			continue
		}
		id := incidentOf(p)
		if recorded[id] == nil {
			if recorded[id], err = recordedFiles(filepath.Join(o.Home, "incidents", id, "journal")); err != nil {
				return err
			}
		}
		b, err := blob(ctx, r, head[p].oid)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		if !recorded[id][recordKey(p, hex.EncodeToString(sum[:]))] {
			return &RefusedError{Path: p, Reason: "was committed, but no journal records a message or export with that content (a file put there by hand?); nothing was pushed", Hint: hint("it stays on this machine")}
		}
	}
	return nil
}
