// Package sync shares a firebreak home between responders on several
// machines through git: the home becomes a repository whose remote is any
// git URL, and Sync commits what this machine recorded, fetches, checks,
// merges, verifies and pushes.
//
// What goes into git is the record, never the material: each incident's
// header (incident.json), playbook snapshot (playbook.yaml), journal files
// (journal/<actor>.jsonl), rendered messages (comms/) and exports
// (exports/). Evidence bytes and the evidence manifest, isolated keys, logs
// and everything else in the home stay on the machine that holds them: a
// quarantined file can be the leaked private key or the malicious module
// itself, and pushing it would spread it to every clone of the remote. The
// journal's evidence.added events carry each file's name, size and SHA-256,
// so every responder sees what was taken, by whom and its hash.
//
// The record only grows, so a sync accepts only growth: from this machine
// and from the remote, a file may be added, and a journal file may be
// extended; anything else — a header, snapshot, message or export that
// changed, a journal rewritten or cut short, a file deleted, a link, a path
// firebreak never writes — stops the sync before anything is merged or
// pushed, naming the path. Two machines appending to the same actor's
// journal fork its chain: that too is refused, with the way out (one actor
// name per machine).
package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
)

// Branch is the branch every home shares.
const Branch = "main"

// StateFile, inside .git, holds the outcome of the last sync on this machine.
const StateFile = "firebreak-sync.json"

// localFile, inside .git, lists the journals this machine committed first.
const localFile = "firebreak-local.json"

// exclude is .git/info/exclude: git itself sees only what firebreak
// syncs, so a `git add -A` by hand cannot pick up evidence or keys. It is
// local to the clone (never pushed), so a remote cannot widen it.
const exclude = `# firebreak sync: only the incident record is shared (see docs/sync.md)
/*
!/incidents/
/incidents/*/*
!/incidents/*/incident.json
!/incidents/*/playbook.yaml
!/incidents/*/journal/
!/incidents/*/comms/
!/incidents/*/exports/
/incidents/*/journal/*
!/incidents/*/journal/*.jsonl
`

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// Kind says what a synced path is.
type Kind int

// The kinds of synced path.
const (
	NotSynced Kind = iota
	Header         // incident.json
	Snapshot       // playbook.yaml
	Journal        // journal/<actor>.jsonl
	Record         // comms/<name>, exports/<name>: written once
)

// Classify says whether a slash-separated path relative to the home is one
// that sync carries, and what it is.
func Classify(p string) Kind {
	parts := strings.Split(p, "/")
	if len(parts) < 3 || parts[0] != "incidents" || !idRe.MatchString(parts[1]) {
		return NotSynced
	}
	for _, s := range parts {
		if s == "" || s == "." || s == ".." || strings.HasPrefix(s, ".") {
			return NotSynced
		}
	}
	switch {
	case len(parts) == 3 && parts[2] == "incident.json":
		return Header
	case len(parts) == 3 && parts[2] == "playbook.yaml":
		return Snapshot
	case len(parts) == 4 && parts[2] == "journal" && strings.HasSuffix(parts[3], journal.Ext) &&
		journal.ValidActor(strings.TrimSuffix(parts[3], journal.Ext)):
		return Journal
	case len(parts) == 4 && (parts[2] == "comms" || parts[2] == "exports"):
		return Record
	}
	return NotSynced
}

// Options configure one sync.
type Options struct {
	Home  string
	Actor string
	// Keys are the public keys seals are checked against; a seal by
	// another key has its heads checked, and is counted as unknown.
	Keys []ed25519.PublicKey
	Now  func() time.Time
	// Progress, when set, hears each stage ("commit", "fetch", …).
	Progress func(stage string)
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func (o *Options) stage(s string) {
	if o.Progress != nil {
		o.Progress(s)
	}
}

// Report is what a sync did.
type Report struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Remote    string    `json:"remote"`
	Committed []string  `json:"committed"` // paths this machine added or extended
	Received  []string  `json:"received"`  // paths the remote added or extended
	Skipped   []string  `json:"skipped,omitempty"`
	Head      string    `json:"head,omitempty"`
	Pushed    bool      `json:"pushed"`
	// Verified is every incident's journal after the merge.
	Verified []Verified `json:"verified"`
	Error    string     `json:"error,omitempty"`
}

// Verified is one incident's journal checked after a merge.
type Verified struct {
	Incident   string `json:"incident"`
	Intact     bool   `json:"intact"`
	Events     int64  `json:"events"`
	Files      int    `json:"files"`
	Seals      int    `json:"seals"`
	UnknownKey int    `json:"seals_unknown_key,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

// Intact reports whether every journal verified.
func (r *Report) Intact() bool {
	for _, v := range r.Verified {
		if !v.Intact {
			return false
		}
	}
	return true
}

// RefusedError is a sync stopped before anything was merged or pushed:
// what was found, where, and what to do.
type RefusedError struct {
	Path   string
	Reason string
	Hint   string
}

func (e *RefusedError) Error() string {
	if e.Path == "" {
		return "sync refused: " + e.Reason
	}
	return fmt.Sprintf("sync refused: %s: %s", e.Path, e.Reason)
}

// ForkError is the same actor's journal extended differently on this
// machine and on the remote: two chains from one point.
type ForkError struct {
	Path        string
	Actor       string
	Common      int64 // events both sides share
	Local       int64 // events this machine has after them
	Remote      int64 // events the remote has after them
	LocalFirst  string
	RemoteFirst string
}

func (e *ForkError) Error() string {
	if e.Common < 0 {
		return fmt.Sprintf("sync refused: %s: the journal of %q, which this machine wrote first, was extended on another machine (%d event(s), first %s): one actor on two machines forks its chain; nothing was merged or pushed",
			e.Path, e.Actor, e.Remote, e.RemoteFirst)
	}
	return fmt.Sprintf("sync refused: %s: the journal of %q forked: this machine and the remote both appended after seq %d (this machine %d event(s), first %s; the remote %d, first %s); nothing was merged or pushed",
		e.Path, e.Actor, e.Common, e.Local, e.LocalFirst, e.Remote, e.RemoteFirst)
}

// Hint is the way out.
func (e *ForkError) Hint() string {
	if e.Common < 0 {
		return fmt.Sprintf("one actor name per machine; this home changed nothing. If this machine will not write as %s again (someone ran --actor %s here once), hand the name over: firebreak sync --release %s; otherwise the other machine takes its own name (firebreak --actor %s@HOST)", e.Actor, e.Actor, e.Actor, e.Actor)
	}
	return fmt.Sprintf("one actor name per machine (firebreak --actor %s@HOST, or FIREBREAK_ACTOR): both records are intact, this machine's in %s and the remote's at origin/%s; keep this home as it is and clone the remote into a new home (firebreak --home NEW sync init --remote URL), then record this machine's %d event(s) there under the new name", e.Actor, e.Path, Branch, e.Local)
}

// NotInitializedError is a home that is not a sync repository yet.
type NotInitializedError struct{ Home string }

func (e *NotInitializedError) Error() string {
	return fmt.Sprintf("%s is not set up to sync", e.Home)
}

// repo opens the home's repository.
func repo(home, actor string) *gitrepo.Repo {
	return &gitrepo.Repo{Dir: home, Author: actor, Email: actor}
}

// netEnv is the environment for commands that reach the remote: never a
// prompt (the console owns the terminal), never an interactive ssh.
// Only transports that move data: never ext:: (which runs a command).
var netEnv = []string{"GIT_SSH_COMMAND=ssh -o BatchMode=yes", "GIT_TERMINAL_PROMPT=0", "GIT_ALLOW_PROTOCOL=file:git:http:https:ssh"}

// IsRepo reports whether home is a sync repository (its own .git, not a
// repository somewhere above it).
func IsRepo(home string) bool {
	fi, err := os.Lstat(filepath.Join(home, ".git"))
	return err == nil && fi.IsDir()
}

// Init makes home a repository syncing with remote. Run again with the same
// remote it changes nothing; with another it refuses.
func Init(ctx context.Context, home, actor, remote string) error {
	if remote == "" || strings.HasPrefix(remote, "-") || strings.ContainsAny(remote, "\n\r\x00") {
		return &RefusedError{Reason: fmt.Sprintf("%q is not a git remote URL", remote), Hint: "a URL git can fetch: ssh://host/path.git, git@github.com:org/repo.git, /srv/firebreak.git"}
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	r := repo(home, actor)
	if IsRepo(home) {
		cur, err := r.Run(ctx, "remote", "get-url", "origin")
		if err == nil && strings.TrimSpace(string(cur)) == remote {
			return writeExclude(home)
		}
		if err == nil {
			return &RefusedError{Path: home, Reason: fmt.Sprintf("already syncs with %s", strings.TrimSpace(string(cur))), Hint: "one home, one remote: use another --home for another team"}
		}
		return &RefusedError{Path: home, Reason: "is a git repository firebreak did not set up (no origin)", Hint: "use another --home"}
	} else if _, err := os.Lstat(filepath.Join(home, ".git")); err == nil {
		return &RefusedError{Path: filepath.Join(home, ".git"), Reason: "is not a directory", Hint: "remove it or use another --home"}
	}
	if _, err := gitrepo.Init(ctx, home); err != nil {
		return err
	}
	if err := setup(ctx, r, remote); err != nil {
		// Nothing half set up is left: the repository made here goes.
		_ = os.RemoveAll(filepath.Join(home, ".git"))
		return err
	}
	return writeExclude(home)
}

// setup configures a new repository and checks that the remote answers.
func setup(ctx context.Context, r *gitrepo.Repo, remote string) error {
	for _, args := range [][]string{
		{"remote", "add", "origin", remote},
		{"config", "core.autocrlf", "false"},
		{"config", "core.symlinks", "false"},
		{"config", "core.hooksPath", "/dev/null"},
		{"config", "merge.renames", "false"},
		{"config", "gc.auto", "0"},
	} {
		if _, err := r.Run(ctx, args...); err != nil {
			return err
		}
	}
	if _, err := r.RunWith(ctx, netEnv, nil, "ls-remote", "--heads", "origin"); err != nil {
		return &RefusedError{Reason: fmt.Sprintf("cannot reach %s: %v; nothing was set up", remote, err),
			Hint: "check the URL and your access (an ssh URL uses your ssh agent; for https, see docs/sync.md)"}
	}
	return nil
}

func writeExclude(home string) error {
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", "info", "exclude"), []byte(exclude), 0o644)
}

// Remote is the URL the home syncs with.
func Remote(ctx context.Context, home string) (string, error) {
	if !IsRepo(home) {
		return "", &NotInitializedError{Home: home}
	}
	out, err := repo(home, "").Run(ctx, "remote", "get-url", "origin")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Sync commits this machine's new records, fetches, checks what arrived,
// merges it, verifies every journal and pushes. Only one sync runs in a
// home at a time. The report is returned with the error too, as far as it
// got, and saved as the home's last sync.
func Sync(ctx context.Context, o Options) (*Report, error) {
	rep := &Report{At: o.now(), Actor: o.Actor, Committed: []string{}, Received: []string{}, Verified: []Verified{}}
	remote, err := Remote(ctx, o.Home)
	if err != nil {
		return rep, err
	}
	rep.Remote = remote
	unlock, err := lock(o.Home)
	if err != nil {
		return rep, err
	}
	defer unlock()
	err = run(ctx, &o, rep)
	if err != nil {
		rep.Error = err.Error()
	}
	if serr := saveState(o.Home, rep); serr != nil && err == nil {
		err = serr
	}
	return rep, err
}

func run(ctx context.Context, o *Options, rep *Report) error {
	r := repo(o.Home, o.Actor)
	if err := writeExclude(o.Home); err != nil {
		return err
	}
	o.stage("commit")
	if err := commitLocal(ctx, o, r, rep); err != nil {
		return err
	}
	// A push refused because the remote moved on is fetched and merged
	// again; three rounds, then the remote is too busy to wait for.
	for attempt := 0; ; attempt++ {
		o.stage("fetch")
		has, err := fetch(ctx, r)
		if err != nil {
			return err
		}
		if has {
			o.stage("check")
			received, err := check(ctx, o, r)
			if err != nil {
				return err
			}
			if len(received) > 0 {
				o.stage("merge")
				if err := merge(ctx, r); err != nil {
					return err
				}
				if err := settle(o.Home, received); err != nil {
					return err
				}
				rep.Received = appendNew(rep.Received, received...)
			}
		}
		o.stage("verify")
		if err := verifyAll(ctx, o, rep); err != nil {
			return err
		}
		if !rep.Intact() {
			return &RefusedError{Reason: "a journal does not verify after the merge; nothing was pushed", Hint: "firebreak timeline verify ID names the file and event"}
		}
		if _, err := r.Run(ctx, "rev-parse", "-q", "--verify", "HEAD"); err != nil {
			return nil // nothing recorded here and nothing on the remote
		}
		head, _ := r.Head(ctx)
		if rb, err := r.Run(ctx, "rev-parse", "-q", "--verify", remoteRef); err == nil && strings.TrimSpace(string(rb)) == head {
			rep.Head = head // the remote has it all: nothing to push
			return nil
		}
		o.stage("push")
		out, err := r.RunWith(ctx, netEnv, nil, "push", "--porcelain", "origin", "HEAD:refs/heads/"+Branch)
		if err == nil {
			rep.Pushed, rep.Head = true, head
			_, _ = r.Run(ctx, "update-ref", remoteRef, head) // what the remote now has
			return nil
		}
		var ge *gitrepo.Error
		rejected := errors.As(err, &ge) && (bytes.Contains(out, []byte("[rejected]")) || strings.Contains(ge.Stderr, "[rejected]") || strings.Contains(ge.Stderr, "fetch first") || strings.Contains(ge.Stderr, "non-fast-forward"))
		if !rejected || attempt == 2 {
			return fmt.Errorf("push to %s: %w", rep.Remote, err)
		}
	}
}

func appendNew(list []string, add ...string) []string {
	seen := map[string]bool{}
	for _, s := range list {
		seen[s] = true
	}
	for _, s := range add {
		if !seen[s] {
			list = append(list, s)
			seen[s] = true
		}
	}
	sort.Strings(list)
	return list
}

// commitLocal stages every synced file this machine added or extended and
// commits it, after checking each change is growth and holds no secret.
func commitLocal(ctx context.Context, o *Options, r *gitrepo.Repo, rep *Report) error {
	out, err := r.Run(ctx, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
	if err != nil {
		return err
	}
	head := map[string]treeEntry{}
	if _, err := r.Run(ctx, "rev-parse", "-q", "--verify", "HEAD"); err == nil {
		if head, err = tree(ctx, r, "HEAD"); err != nil {
			return err
		}
	}
	var stage []string
	var finder redact.Finder
	for _, rec := range strings.Split(string(out), "\x00") {
		if len(rec) < 4 {
			continue
		}
		code, p := rec[:2], rec[3:]
		kind := Classify(p)
		if kind == NotSynced {
			rep.Skipped = append(rep.Skipped, p)
			continue
		}
		full := filepath.Join(o.Home, filepath.FromSlash(p))
		if strings.Contains(code, "D") {
			return &RefusedError{Path: p, Reason: "was deleted from this home since the last sync; the record only grows, so nothing was committed", Hint: "restore it: git -C " + o.Home + " checkout -- " + p}
		}
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return &RefusedError{Path: p, Reason: fmt.Sprintf("is a %s, not a file firebreak wrote; nothing was committed", fsutil.TypeName(fi.Mode())), Hint: "remove it from the home"}
		}
		if was, tracked := head[p]; tracked {
			if kind != Journal {
				return &RefusedError{Path: p, Reason: "was changed since the last sync, and it is written once; nothing was committed", Hint: "restore it: git -C " + o.Home + " checkout -- " + p}
			}
			if err := checkExtends(ctx, r, was.oid, full, p); err != nil {
				return err
			}
		}
		if what, err := scanFile(&finder, full); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		} else if what != "" {
			return &RefusedError{Path: p, Reason: "looks like it holds " + what + "; secrets never leave this machine, so nothing was committed", Hint: "find the line with firebreak timeline verify, and keep the secret out of the record"}
		}
		stage = append(stage, p)
	}
	if len(stage) == 0 {
		return nil
	}
	sort.Strings(stage)
	// Journals this machine commits first are its own: their evidence
	// bytes are here (LocalActors).
	var mine []string
	for _, p := range stage {
		if _, tracked := head[p]; !tracked && Classify(p) == Journal {
			mine = append(mine, p)
		}
	}
	if err := addLocal(o.Home, mine); err != nil {
		return err
	}
	if _, err := r.RunWith(ctx, nil, []byte(strings.Join(stage, "\x00")), "add", "--pathspec-from-file=-", "--pathspec-file-nul", "--"); err != nil {
		return err
	}
	msg := fmt.Sprintf("firebreak sync: %s: %d file(s)\n\n%s\n", o.Actor, len(stage), strings.Join(stage, "\n"))
	if _, err := r.RunWith(ctx, gitDate(o.now(), r), nil, "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", msg); err != nil {
		return err
	}
	rep.Committed = stage
	return nil
}

func gitDate(at time.Time, r *gitrepo.Repo) []string {
	d := at.UTC().Format(time.RFC3339)
	return append(r.Ident(), "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
}

// scanFile runs the redaction filter over a file as a stream.
func scanFile(finder *redact.Finder, path string) (string, error) {
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return finder.Find(f)
}

// checkExtends refuses a journal file that is not the committed version
// plus whole lines.
func checkExtends(ctx context.Context, r *gitrepo.Repo, oid, full, p string) error {
	old, err := blob(ctx, r, oid)
	if err != nil {
		return err
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	cur := make([]byte, len(old))
	n, err := io.ReadFull(f, cur)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if n < len(old) || !bytes.Equal(cur, old) {
		return &RefusedError{Path: p, Reason: "no longer begins with the events already synced (rewritten or cut short); nothing was committed", Hint: "firebreak timeline verify ID names the first bad event; the synced version is in git: git -C HOME show HEAD:" + p}
	}
	return nil
}

// blob reads one object by id.
func blob(ctx context.Context, r *gitrepo.Repo, oid string) ([]byte, error) {
	var data []byte
	err := r.Blobs(ctx, []string{oid}, func(_ int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("object %s is missing", oid)
		}
		data = b
		return nil
	})
	return data, err
}

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

// fetch brings origin/main up to date; false when the remote has no
// branch yet (a new, empty remote).
func fetch(ctx context.Context, r *gitrepo.Repo) (bool, error) {
	out, err := r.RunWith(ctx, netEnv, nil, "ls-remote", "--heads", "origin", "refs/heads/"+Branch)
	if err != nil {
		return false, fmt.Errorf("reach the remote: %w", err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return false, nil
	}
	if _, err := r.RunWith(ctx, netEnv, nil, "fetch", "-q", "--no-tags", "origin", "+refs/heads/"+Branch+":refs/remotes/origin/"+Branch); err != nil {
		return false, fmt.Errorf("fetch: %w", err)
	}
	return true, nil
}

const remoteRef = "refs/remotes/origin/" + Branch

// check compares the remote's tree with this machine's and returns the
// paths the merge would bring in, or refuses when the remote holds anything
// but growth of the record. Journals it extends or adds are verified
// (chains and seals) before they can reach the working tree.
func check(ctx context.Context, o *Options, r *gitrepo.Repo) ([]string, error) {
	remote, err := tree(ctx, r, remoteRef)
	if err != nil {
		return nil, err
	}
	local := map[string]treeEntry{}
	base := map[string]treeEntry{}
	if _, err := r.Run(ctx, "rev-parse", "-q", "--verify", "HEAD"); err == nil {
		if local, err = tree(ctx, r, "HEAD"); err != nil {
			return nil, err
		}
		if mb, err := r.Run(ctx, "merge-base", "HEAD", remoteRef); err == nil {
			if base, err = tree(ctx, r, strings.TrimSpace(string(mb))); err != nil {
				return nil, err
			}
		}
	}
	var received []string
	touched := map[string]bool{} // incidents whose journals the remote adds to
	for _, p := range sortedKeys(remote) {
		re := remote[p]
		kind := Classify(p)
		if kind == NotSynced {
			return nil, &RefusedError{Path: p, Reason: "is on the remote but is not part of the incident record firebreak syncs; nothing was merged", Hint: "remove it from the remote repository (a commit made outside firebreak)"}
		}
		if re.typ != "blob" || (re.mode != "100644" && re.mode != "100755") {
			return nil, &RefusedError{Path: p, Reason: fmt.Sprintf("is a %s (mode %s) on the remote, not a file; nothing was merged", re.typ, re.mode), Hint: "remove it from the remote repository"}
		}
		le, here := local[p]
		switch {
		case here && le.oid == re.oid:
			continue
		case !here:
			if _, was := base[p]; was {
				continue // deleted here: caught when this machine commits
			}
			received = append(received, p)
			if kind == Journal {
				touched[incidentOf(p)] = true
			}
		case kind == Journal:
			ext, err := compareJournal(ctx, r, p, le.oid, re.oid)
			if err != nil {
				return nil, err
			}
			if ext {
				// A journal this machine writes, extended elsewhere: the
				// same actor on two machines, even one after the other.
				actor := strings.TrimSuffix(path.Base(p), journal.Ext)
				if local, _ := LocalActors(o.Home, incidentOf(p)); local[actor] {
					n, first := describeTail(mustTail(ctx, r, le.oid, re.oid))
					return nil, &ForkError{Path: p, Actor: actor, Common: -1, Remote: n, RemoteFirst: first}
				}
				received = append(received, p)
				touched[incidentOf(p)] = true
			}
		default:
			what := map[Kind]string{Header: "the incident header", Snapshot: "the playbook snapshot", Record: "a message or export"}[kind]
			return nil, &RefusedError{Path: p, Reason: fmt.Sprintf("differs between this machine and the remote; %s is written once, so nothing was merged", what), Hint: headerHint(kind)}
		}
	}
	for p := range local {
		if _, there := remote[p]; !there {
			if _, was := base[p]; was {
				return nil, &RefusedError{Path: p, Reason: "was deleted on the remote; the record only grows, so nothing was merged", Hint: "restore it on the remote from any clone that has it (this one does)"}
			}
		}
	}
	for _, id := range sortedKeys(touched) {
		if err := verifyRemote(ctx, o, r, id, remote); err != nil {
			return nil, err
		}
	}
	return received, nil
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

// compareJournal says whether the remote's version of a journal file
// extends this machine's (true), is this machine's cut short (false: this
// machine is ahead), or forks from it (error).
func compareJournal(ctx context.Context, r *gitrepo.Repo, p, localOID, remoteOID string) (bool, error) {
	var l, rm []byte
	err := r.Blobs(ctx, []string{localOID, remoteOID}, func(i int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("%s: object missing", p)
		}
		if i == 0 {
			l = b
		} else {
			rm = b
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	switch {
	case bytes.HasPrefix(rm, l) && (len(l) == 0 || l[len(l)-1] == '\n'):
		return true, nil
	case bytes.HasPrefix(l, rm) && (len(rm) == 0 || rm[len(rm)-1] == '\n'):
		return false, nil
	}
	common := 0
	for common < len(l) && common < len(rm) && l[common] == rm[common] {
		common++
	}
	common = bytes.LastIndexByte(l[:common], '\n') + 1
	fe := &ForkError{Path: p, Actor: strings.TrimSuffix(path.Base(p), journal.Ext), Common: int64(bytes.Count(l[:common], []byte{'\n'}))}
	fe.Local, fe.LocalFirst = describeTail(l[common:])
	fe.Remote, fe.RemoteFirst = describeTail(rm[common:])
	return false, fe
}

// mustTail is what the remote's version of a journal adds to this
// machine's (the caller knows it extends it); empty if it cannot be read.
func mustTail(ctx context.Context, r *gitrepo.Repo, localOID, remoteOID string) []byte {
	var sizes [2][]byte
	_ = r.Blobs(ctx, []string{localOID, remoteOID}, func(i int, b []byte, ok bool) error {
		sizes[i] = b
		return nil
	})
	if len(sizes[1]) < len(sizes[0]) {
		return nil
	}
	return sizes[1][len(sizes[0]):]
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

// verifyRemote checks the remote's journal of one incident — chains and
// seals — in a scratch directory, before any of it is merged.
func verifyRemote(ctx context.Context, o *Options, r *gitrepo.Repo, id string, remote map[string]treeEntry) error {
	dir, err := os.MkdirTemp("", "firebreak-sync-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	jdir := filepath.Join(dir, "journal")
	if err := os.Mkdir(jdir, 0o700); err != nil {
		return err
	}
	var specs, names []string
	prefix := "incidents/" + id + "/journal/"
	for _, p := range sortedKeys(remote) {
		if strings.HasPrefix(p, prefix) && Classify(p) == Journal {
			specs = append(specs, remote[p].oid)
			names = append(names, path.Base(p))
		}
	}
	err = r.Blobs(ctx, specs, func(i int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("%s%s: object missing", prefix, names[i])
		}
		return os.WriteFile(filepath.Join(jdir, names[i]), b, 0o600)
	})
	if err != nil {
		return err
	}
	v, err := verifyJournal(ctx, o, journal.New(jdir), id)
	if err != nil {
		return err
	}
	if !v.Intact {
		return &RefusedError{Path: "incidents/" + id + "/journal (remote)", Reason: v.Problem + "; nothing was merged", Hint: "the remote's copy was changed outside firebreak; every clone that synced before holds the good one"}
	}
	return nil
}

func verifyJournal(ctx context.Context, o *Options, j *journal.Journal, id string) (Verified, error) {
	v := Verified{Incident: id}
	rep, err := j.Verify(ctx, journal.VerifyOptions{Scope: id, Seals: true, Keys: o.Keys})
	if err != nil {
		return v, err
	}
	v.Events, v.Files = rep.Events, len(rep.Files)
	var problems []string
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
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

// merge merges the remote into this machine's branch. check has made sure
// it adds files and extends journals only, so git has nothing to resolve;
// if it still stops, the merge is undone and named.
func merge(ctx context.Context, r *gitrepo.Repo) error {
	_, err := r.RunWith(ctx, r.Ident(), nil, "merge", "-q", "--no-edit", "--no-verify", "--no-gpg-sign", "--allow-unrelated-histories",
		"-m", "firebreak sync: merge origin/"+Branch, remoteRef)
	if err != nil {
		_, _ = r.Run(ctx, "merge", "--abort")
		return fmt.Errorf("merge: %w (the merge was undone; nothing was pushed)", err)
	}
	return nil
}

// settle gives what a merge brought in the modes firebreak gives what it
// writes itself (git writes with the umask): folders 0700, the header and
// snapshot read-only, journals and messages 0600.
func settle(home string, received []string) error {
	if err := os.Chmod(filepath.Join(home, "incidents"), 0o700); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, p := range received {
		id := incidentOf(p)
		dir := filepath.Join(home, "incidents", id)
		if !done[id] {
			done[id] = true
			if err := os.Chmod(dir, 0o700); err != nil {
				return err
			}
			// git carries no empty folder: an incident that arrived gets
			// the folders every incident has here.
			for _, sub := range incident.Subdirs {
				if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
					return err
				}
				if err := os.Chmod(filepath.Join(dir, sub), 0o700); err != nil {
					return err
				}
			}
		}
		mode := os.FileMode(0o600)
		if k := Classify(p); k == Header || k == Snapshot {
			mode = 0o400
		}
		if err := os.Chmod(filepath.Join(home, filepath.FromSlash(p)), mode); err != nil {
			return err
		}
	}
	return nil
}

// verifyAll checks every incident's journal in the home.
func verifyAll(ctx context.Context, o *Options, rep *Report) error {
	rep.Verified = rep.Verified[:0]
	ents, err := os.ReadDir(filepath.Join(o.Home, "incidents"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() || !idRe.MatchString(e.Name()) {
			continue
		}
		jdir := filepath.Join(o.Home, "incidents", e.Name(), "journal")
		if _, err := os.Lstat(jdir); err != nil {
			continue
		}
		v, err := verifyJournal(ctx, o, journal.New(jdir), e.Name())
		if err != nil {
			return err
		}
		rep.Verified = append(rep.Verified, v)
	}
	return nil
}

// LastSync reads the home's last sync; ok is false when it never synced.
func LastSync(home string) (*Report, bool) {
	b, err := os.ReadFile(filepath.Join(home, ".git", StateFile))
	if err != nil {
		return nil, false
	}
	var rep Report
	if json.Unmarshal(b, &rep) != nil || rep.At.IsZero() {
		return nil, false
	}
	return &rep, true
}

func saveState(home string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", StateFile), append(b, '\n'), 0o600)
}

// ErrBusy is another sync of the same home still running.
var ErrBusy = errors.New("another sync of this home is running")

// lock holds the home's sync lock (one sync at a time: the console's and a
// command's never interleave their commits and merges).
func lock(home string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(home, ".git", "firebreak-sync.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := fsutil.Lock(ctx, f); err != nil {
		f.Close()
		return nil, ErrBusy
	}
	return func() { fsutil.Unlock(f); f.Close() }, nil
}

// LocalActors returns, for a home that syncs, the actors whose journal of
// incident id this machine committed first — their evidence bytes are on
// this machine — and true; for a home that does not sync, false: every
// actor is local.
func LocalActors(home, id string) (map[string]bool, bool) {
	if !IsRepo(home) {
		return nil, false
	}
	m := readLocal(home)
	out := map[string]bool{}
	for _, a := range m[id] {
		out[a] = true
	}
	return out, true
}

func readLocal(home string) map[string][]string {
	m := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(home, ".git", localFile)); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// Release hands actor over to other machines: this machine no longer
// counts as writing actor's journals, so what another machine adds to them
// is taken in (and appending as actor here again would fork, which sync
// refuses). It returns how many incidents' journals it released.
func Release(home, actor string) (int, error) {
	if !IsRepo(home) {
		return 0, &NotInitializedError{Home: home}
	}
	if !journal.ValidActor(actor) {
		return 0, fmt.Errorf("%s is not an actor name", strconv.QuoteToASCII(actor))
	}
	m := readLocal(home)
	n := 0
	for id, actors := range m {
		if i := slices.Index(actors, actor); i >= 0 {
			m[id] = slices.Delete(actors, i, i+1)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, writeLocal(home, m)
}

func writeLocal(home string, m map[string][]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(home, ".git", localFile), append(b, '\n'), 0o600)
}

func addLocal(home string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	m := readLocal(home)
	for _, p := range paths {
		id, actor := incidentOf(p), strings.TrimSuffix(path.Base(p), journal.Ext)
		if !slices.Contains(m[id], actor) {
			m[id] = append(m[id], actor)
		}
	}
	return writeLocal(home, m)
}

// RemoteActors says, in a home that syncs, which actors of incident id work
// on other machines: not actor (who runs this), and not an actor whose
// journal this machine committed first. Their evidence bytes are on their
// machines. nil for a home that does not sync (every actor is local).
func RemoteActors(home, actor, id string) func(string) bool {
	local, synced := LocalActors(home, id)
	if !synced {
		return nil
	}
	return func(a string) bool { return a != actor && !local[a] }
}
