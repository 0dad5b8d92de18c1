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
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/journal"
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
/incidents/*
!/incidents/*/
/incidents/*/*
!/incidents/*/incident.json
!/incidents/*/playbook.yaml
!/incidents/*/journal/
!/incidents/*/comms/
!/incidents/*/exports/
/incidents/*/journal/*
!/incidents/*/journal/*.jsonl
/incidents/*/comms/*/
/incidents/*/exports/*/
`

// idRe is an incident id; compiled on first use (start-up pays every
// package's initialisation).
var idRe = gosync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`) })

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
	if len(parts) < 3 || parts[0] != "incidents" || !idRe().MatchString(parts[1]) {
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
	// SealKey, when set, seals what this machine appended before it is
	// committed; RequireSealed refuses a journal the remote extends that
	// does not end with a seal by one of Keys (see Settings).
	SealKey       ed25519.PrivateKey
	RequireSealed bool
	// KeyNames binds keys (by fingerprint) to the people or actors whose
	// journals they may seal (Settings.Names).
	KeyNames map[string][]string
	Now      func() time.Time
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
	// Restored are files the remote held cut short or deleted: this
	// machine's copy was kept and pushed back.
	Restored []string `json:"restored,omitempty"`
	// Ignored are paths on the remote that are not the record: never
	// merged, and dropped from the branch by this sync's push.
	Ignored []string `json:"ignored,omitempty"`
	// Rejected are what the remote added that does not verify ("path:
	// why"): never merged; the push leaves this machine's copy there.
	Rejected []string `json:"rejected,omitempty"`
	// Foreign are journals under this machine's own actor name that it
	// never wrote (among Received): another machine uses the name, or
	// someone who can push wrote them.
	Foreign []string `json:"foreign,omitempty"`
	// TooLarge are journals over what git objects carry here: not synced.
	TooLarge []string `json:"too_large,omitempty"`
	Head     string   `json:"head,omitempty"`
	Pushed   bool     `json:"pushed"`
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
	if e.Common == -2 {
		return fmt.Sprintf("sync refused: %s: a journal under this machine's name %q arrived from the remote (%d event(s), first %s), but this machine never wrote it: another machine uses the name; nothing was merged or pushed",
			e.Path, e.Actor, e.Remote, e.RemoteFirst)
	}
	if e.Common < 0 {
		return fmt.Sprintf("sync refused: %s: the journal of %q, which this machine wrote first, was extended on another machine (%d event(s), first %s): one actor on two machines forks its chain; nothing was merged or pushed",
			e.Path, e.Actor, e.Remote, e.RemoteFirst)
	}
	return fmt.Sprintf("sync refused: %s: the journal of %q forked: this machine and the remote both appended after seq %d (this machine %d event(s), first %s; the remote %d, first %s); nothing was merged or pushed",
		e.Path, e.Actor, e.Common, e.Local, e.LocalFirst, e.Remote, e.RemoteFirst)
}

// Hint is the way out.
func (e *ForkError) Hint() string {
	if e.Common == -2 {
		return fmt.Sprintf("one actor name per machine: work here under a name of this machine's own (firebreak --actor %s@HOST, or FIREBREAK_ACTOR); this home changed nothing", e.person())
	}
	if e.Common < 0 {
		return fmt.Sprintf("one actor name per machine; this home changed nothing. If this machine will not write as %s again (someone ran --actor %s here once), hand the name over: firebreak sync --release %s; otherwise the other machine takes its own name (firebreak --actor %s@HOST)", e.Actor, e.Actor, e.Actor, e.person())
	}
	return fmt.Sprintf("one actor name per machine (firebreak --actor %s@HOST, or FIREBREAK_ACTOR): both records are intact, this machine's in %s and the remote's at origin/%s; keep this home as it is and clone the remote into a new home (firebreak --home NEW sync init --remote URL), then record this machine's %d event(s) there under the new name", e.person(), e.Path, Branch, e.Local)
}

// person is the actor's name without a machine: alice for alice@laptop.
func (e *ForkError) person() string { return strings.SplitN(e.Actor, "@", 2)[0] }

// NotInitializedError is a home that is not a sync repository yet.
type NotInitializedError struct{ Home string }

func (e *NotInitializedError) Error() string {
	return fmt.Sprintf("%s is not set up to sync", e.Home)
}

// gitConfig holds on every git command sync runs, whatever the
// repository's own configuration says: no hooks, no links, no line-ending
// or attribute conversion (the user's attributes file included), no
// rename detection, no automatic gc, no askpass, literal paths.
var gitConfig = gosync.OnceValue(func() []string {
	kv := [][2]string{
		{"core.hooksPath", "/dev/null"}, {"core.symlinks", "false"}, {"core.autocrlf", "false"},
		{"core.attributesFile", "/dev/null"}, {"core.excludesFile", "/dev/null"}, {"core.fsmonitor", "false"},
		{"core.askPass", ""}, {"merge.renames", "false"}, {"diff.renames", "false"}, {"gc.auto", "0"},
		{"commit.gpgSign", "false"}, {"credential.interactive", "false"},
		{"push.followTags", "false"}, {"core.commitGraph", "false"},
	}
	// No replace objects or grafts: what is checked is what is sent.
	env := []string{fmt.Sprintf("GIT_CONFIG_COUNT=%d", len(kv)), "GIT_LITERAL_PATHSPECS=1", "GIT_NO_REPLACE_OBJECTS=1", "GIT_GRAFT_FILE=/dev/null"}
	for i, p := range kv {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, p[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, p[1]))
	}
	return env
})

// repo opens the home's repository.
func repo(home, actor string) *gitrepo.Repo {
	return &gitrepo.Repo{Dir: home, Author: actor, Email: actor, Env: gitConfig()}
}

// netEnv is the environment for commands that reach the remote: never a
// prompt (the console owns the terminal), never an interactive ssh.
// Only transports that move data: never ext:: (which runs a command).
// A transfer slower than 1 KB/s for 30 s is given up.
var netEnv = []string{
	"GIT_SSH_COMMAND=ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=2",
	"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "SSH_ASKPASS_REQUIRE=never",
	"GIT_ALLOW_PROTOCOL=file:git:http:https:ssh", "GIT_HTTP_LOW_SPEED_LIMIT=1000", "GIT_HTTP_LOW_SPEED_TIME=30",
}

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
	// Two inits of one home at once: the second waits, then finds the
	// first's repository (and never removes it).
	lf, err := os.OpenFile(filepath.Join(home, ".firebreak-sync-init.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	lctx, cancel := context.WithTimeout(ctx, netTimeout+10*time.Second)
	defer cancel()
	if err := fsutil.Lock(lctx, lf); err != nil {
		return ErrBusy
	}
	defer fsutil.Unlock(lf)
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
	if _, err := r.Run(ctx, "remote", "add", "origin", remote); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
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
	at := func() []string { return gitDate(o.now(), r) }
	// A push refused because the remote moved on is fetched and merged
	// again; three rounds, then the remote is too busy to wait for.
	for attempt := 0; ; attempt++ {
		o.stage("fetch")
		has, err := fetch(ctx, r)
		if err != nil {
			return err
		}
		if has {
			if _, err := r.Run(ctx, "merge-base", "--is-ancestor", remoteRef, "HEAD"); err != nil {
				// The remote has commits this machine has not merged.
				o.stage("check")
				pl, err := check(ctx, o, r)
				if err != nil {
					return err
				}
				o.stage("merge")
				if err := merge(ctx, r, pl, at); err != nil {
					return err
				}
				if err := settle(o.Home, pl.received); err != nil {
					return err
				}
				rep.Received = appendNew(rep.Received, pl.received...)
				rep.Restored = appendNew(rep.Restored, pl.restored...)
				rep.Ignored = appendNew(rep.Ignored, pl.ignored...)
				rep.Foreign = appendNew(rep.Foreign, pl.foreign...)
				rep.Rejected = appendNew(rep.Rejected, pl.rejected...)
			}
		}
		o.stage("verify")
		if err := verifyAll(ctx, o, rep); err != nil {
			return err
		}
		if !rep.Intact() {
			return &RefusedError{Reason: "a journal does not verify after the merge; nothing was pushed", Hint: "firebreak timeline verify ID names the file and event"}
		}
		if !headExists(ctx, r) {
			return nil // nothing recorded here and nothing on the remote
		}
		head, _ := r.Head(ctx)
		if rb, err := r.Run(ctx, "rev-parse", "-q", "--verify", remoteRef); err == nil && strings.TrimSpace(string(rb)) == head {
			rep.Head = head // the remote has it all: nothing to push
			return nil
		}
		skip := append([]string{}, rep.Ignored...)
		for _, p := range rep.Rejected {
			skip = append(skip, strings.SplitN(p, ": ", 2)[0])
		}
		if err := prePush(ctx, o, r, has, skip); err != nil {
			return err
		}
		o.stage("push")
		pctx, cancel := context.WithTimeout(ctx, netTimeout)
		out, err := r.RunWith(pctx, netEnv, nil, "push", "--porcelain", "--no-follow-tags", "origin", "HEAD:refs/heads/"+Branch)
		cancel()
		if err == nil {
			rep.Pushed, rep.Head = true, head
			_, _ = r.Run(ctx, "update-ref", remoteRef, head) // what the remote now has
			return nil
		}
		var ge *gitrepo.Error
		moved := func(s string) bool {
			for _, w := range []string{"[rejected]", "fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref", "remote rejected"} {
				if strings.Contains(s, w) {
					return true
				}
			}
			return false
		}
		rejected := errors.As(err, &ge) && (moved(string(out)) || moved(ge.Stderr))
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
