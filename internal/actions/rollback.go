package actions

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// The actions of a rollback: find the first commit whose signed artifact
// does not verify, restore the artifacts from the commit before it, commit
// the repair, and record the impacted window.

// FindFirstBad walks the history of a signed file, oldest first, and
// verifies each version with the pinned key: the first version that fails
// after one that verified is the first bad commit, and the one before it is
// known good. It records first_bad_commit, first_bad_at and
// known_good_commit as facts.
type FindFirstBad struct {
	Repo     *gitrepo.Repo
	File     string // repository-relative, e.g. advisories/feed.json
	Sig      string // its signature; default File + ".sig"
	Pub      ed25519.PublicKey
	Verified []VersionCheck

	good, bad *gitrepo.Commit
}

// VersionCheck is one version of the signed file and whether it verified.
type VersionCheck struct {
	Commit gitrepo.Commit `json:"commit"`
	OK     bool           `json:"ok"`
	Detail string         `json:"detail,omitempty"`
	// SHA256 is the file's content at the commit: what consumers
	// downloaded while it was published (an advisory names it).
	SHA256 string `json:"sha256,omitempty"`
}

func (f *FindFirstBad) sig() string {
	if f.Sig != "" {
		return f.Sig
	}
	return f.File + ".sig"
}

func (f *FindFirstBad) Plan(context.Context) (*Plan, error) {
	if !signing.SafeRelative(f.File) || !signing.SafeRelative(f.sig()) {
		return nil, fmt.Errorf("git.first-bad: %s and %s must be paths inside the repository", f.File, f.sig())
	}
	return &Plan{Action: NameGitFirstBad, Summary: fmt.Sprintf("verify every committed version of %s (with %s) in %s with key %s, oldest first",
		f.File, f.sig(), f.Repo.Dir, signing.Fingerprint(f.Pub)[:16])}, nil
}

// errWalked ends a walk of the history early.
var errWalked = errors.New("walked far enough")

// walk verifies the versions of the signed file at each commit, in order,
// reading them all through one git process; fn returns false to stop.
func (f *FindFirstBad) walk(ctx context.Context, cs []gitrepo.Commit, fn func(VersionCheck) bool) error {
	specs := make([]string, 0, 2*len(cs))
	for _, c := range cs {
		specs = append(specs, c.Hash+":"+f.File, c.Hash+":"+f.sig())
	}
	var data []byte
	err := f.Repo.Blobs(ctx, specs, func(i int, b []byte, ok bool) error {
		c := cs[i/2]
		if i%2 == 0 { // the file; its signature comes next
			if data = b; !ok {
				data = nil
			}
			return nil
		}
		vc := VersionCheck{Commit: c}
		if data != nil {
			sum := sha256.Sum256(data)
			vc.SHA256 = hex.EncodeToString(sum[:])
		}
		switch _, err := signing.VerifyDetached(f.Pub, data, b, ""); {
		case data == nil:
			vc.Detail = f.File + " is not in this commit"
		case !ok:
			vc.Detail = f.sig() + " is not in this commit"
		case err != nil:
			vc.Detail = err.Error()
		default:
			vc.OK = true
		}
		if !fn(vc) {
			return errWalked
		}
		return nil
	})
	if errors.Is(err, errWalked) {
		return nil
	}
	return err
}

func (f *FindFirstBad) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	hist, err := f.Repo.History(ctx, f.File)
	if err != nil {
		return nil, err
	}
	sigHist, err := f.Repo.History(ctx, f.sig())
	if err != nil {
		return nil, err
	}
	// A commit that changed only the signature is a version too.
	seen := map[string]bool{}
	var all []gitrepo.Commit
	for _, c := range append(hist, sigHist...) {
		if !seen[c.Hash] {
			seen[c.Hash] = true
			all = append(all, c)
		}
	}
	order, err := f.Repo.Run(ctx, "rev-list", "--reverse", "HEAD")
	if err != nil {
		return nil, err
	}
	rank := map[string]int{}
	for i, h := range strings.Fields(string(order)) {
		rank[h] = i
	}
	slices.SortFunc(all, func(a, b gitrepo.Commit) int { return rank[a.Hash] - rank[b.Hash] })
	if len(all) == 0 {
		return nil, fmt.Errorf("git.first-bad: %s has no history in %s", f.File, f.Repo.Dir)
	}
	f.Verified, f.good, f.bad = nil, nil, nil
	err = f.walk(ctx, all, func(vc VersionCheck) bool {
		progress(Progress{Item: short(vc.Commit.Hash) + " " + vc.Commit.Subject, Done: int64(len(f.Verified)), Total: int64(len(all))})
		f.Verified = append(f.Verified, vc)
		c := vc.Commit
		switch {
		case vc.OK:
			f.good = &c
		case f.good != nil:
			f.bad = &c
			return false
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	data := FirstBadResult{V: RecordVersion, File: f.File, Versions: f.Verified}
	switch {
	case f.good == nil:
		return &Result{Data: data}, fmt.Errorf("no committed version of %s verifies with key %s: there is no known-good commit to go back to", f.File, signing.Fingerprint(f.Pub)[:16])
	case f.bad == nil:
		return &Result{Summary: fmt.Sprintf("every version of %s verifies (%d checked): nothing to roll back", f.File, len(f.Verified)), Data: data},
			fmt.Errorf("no bad commit: every committed version of %s verifies", f.File)
	}
	data.FirstBad, data.KnownGood = f.bad, f.good
	return &Result{
		Summary: fmt.Sprintf("first bad commit %s at %s (%q); known good %s", short(f.bad.Hash), journal.FormatTime(f.bad.At)[:19]+"Z", f.bad.Subject, short(f.good.Hash)),
		Data:    data,
		Events: []journal.Entry{
			incident.FactEntry("first_bad_commit", f.bad.Hash),
			incident.FactEntry("first_bad_at", journal.FormatTime(f.bad.At)),
			incident.FactEntry("known_good_commit", f.good.Hash),
		},
	}, nil
}

func (f *FindFirstBad) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	var got []VersionCheck
	if err := f.walk(ctx, []gitrepo.Commit{*f.good, *f.bad}, func(vc VersionCheck) bool { got = append(got, vc); return true }); err != nil {
		return nil, err
	}
	if len(got) != 2 {
		return nil, fmt.Errorf("git.first-bad: re-read %d of 2 versions", len(got))
	}
	return &Verification{Checks: []Check{
		{What: "known-good " + short(f.good.Hash) + " verifies", OK: got[0].OK, Detail: got[0].Detail},
		{What: "first bad " + short(f.bad.Hash) + " does not verify", OK: !got[1].OK, Detail: got[1].Detail},
	}}, nil
}

// RestoreFiles writes repository files back to their content at a commit
// (git checkout COMMIT -- PATHS, done with git show and an atomic write, so
// that nothing is staged behind the responder's back).
type RestoreFiles struct {
	Repo   *gitrepo.Repo
	Commit string
	Paths  []string // repository-relative

	want map[string]string // path -> sha256 at the commit
}

func (r *RestoreFiles) Plan(ctx context.Context) (*Plan, error) {
	if r.Commit == "" {
		return nil, errors.New("git.restore: no commit to restore from (find the first bad commit first)")
	}
	r.want = map[string]string{}
	p := &Plan{Action: NameGitRestore, Destructive: true, Confirm: "restore",
		Summary: fmt.Sprintf("restore %d file(s) in %s to their content at %s", len(r.Paths), r.Repo.Dir, short(r.Commit))}
	for _, rel := range r.Paths {
		if !signing.SafeRelative(rel) {
			return nil, fmt.Errorf("git.restore: %q is not a path inside the repository", rel)
		}
		b, ok, err := r.Repo.Show(ctx, r.Commit, rel)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("git.restore: %s is not in commit %s", rel, short(r.Commit))
		}
		r.want[rel] = evidence.SumBytes(b)
		cur, _ := sha256File(filepath.Join(r.Repo.Dir, filepath.FromSlash(rel)))
		if cur == r.want[rel] {
			p.Changes = append(p.Changes, rel+": already as at "+short(r.Commit))
		} else {
			p.Changes = append(p.Changes, fmt.Sprintf("%s: %s → %s (as at %s)", rel, shortSum(cur), shortSum(r.want[rel]), short(r.Commit)))
		}
	}
	return p, nil
}

func (r *RestoreFiles) Execute(ctx context.Context, progress func(Progress)) (*Result, error) {
	var done []string
	for i, rel := range r.Paths {
		progress(Progress{Item: rel, Done: int64(i), Total: int64(len(r.Paths))})
		b, _, err := r.Repo.Show(ctx, r.Commit, rel)
		if err != nil {
			return &Result{Data: RestoreResult{V: RecordVersion, Restored: done}}, err
		}
		path := filepath.Join(r.Repo.Dir, filepath.FromSlash(rel))
		mode := os.FileMode(0o644)
		if fi, err := os.Lstat(path); err == nil {
			mode = fi.Mode().Perm()
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return &Result{Data: RestoreResult{V: RecordVersion, Restored: done}}, err
		}
		if err := fsutil.WriteFileAtomic(path, b, mode); err != nil {
			return &Result{Data: RestoreResult{V: RecordVersion, Restored: done}}, err
		}
		done = append(done, rel)
	}
	return &Result{Summary: fmt.Sprintf("restored %d file(s) to their content at %s", len(done), short(r.Commit)),
		Data: RestoreResult{V: RecordVersion, Commit: r.Commit, Restored: done, SHA256: r.want}}, nil
}

func (r *RestoreFiles) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	for _, rel := range r.Paths {
		got, err := sha256File(filepath.Join(r.Repo.Dir, filepath.FromSlash(rel)))
		c := Check{What: rel + " is as at " + short(r.Commit), OK: err == nil && got == r.want[rel], Detail: got}
		if err != nil {
			c.Detail = err.Error()
		}
		v.Checks = append(v.Checks, c)
	}
	return v, nil
}

// CommitFiles commits the repository's changes (the repair a rollback or
// rotation made) so the history says what was done and when.
type CommitFiles struct {
	Repo    *gitrepo.Repo
	Message string
	Paths   []string // empty: every change

	changes []string
	commit  string
}

func (c *CommitFiles) Plan(ctx context.Context) (*Plan, error) {
	st, err := c.Repo.Status(ctx)
	if err != nil {
		return nil, err
	}
	if len(st) == 0 {
		return nil, fmt.Errorf("git.commit: nothing to commit in %s", c.Repo.Dir)
	}
	c.changes = st
	msg := strings.TrimSpace(c.Message)
	if msg == "" {
		return nil, errors.New("git.commit: a commit message is needed")
	}
	return &Plan{Action: NameGitCommit, Summary: fmt.Sprintf("commit %d change(s) in %s: %q", len(st), c.Repo.Dir, msg), Changes: st}, nil
}

func (c *CommitFiles) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	h, err := c.Repo.CommitAll(ctx, strings.TrimSpace(c.Message), time.Time{}, c.Paths...)
	if err != nil {
		return nil, err
	}
	c.commit = h
	return &Result{Summary: "committed " + short(h) + ": " + strings.TrimSpace(c.Message), Data: CommitResult{V: RecordVersion, Commit: h, Changes: c.changes}}, nil
}

func (c *CommitFiles) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	head, err := c.Repo.Head(ctx)
	if err != nil {
		return nil, err
	}
	v := &Verification{Checks: []Check{{What: "HEAD is the new commit", OK: head == c.commit, Detail: head}}}
	if len(c.Paths) == 0 {
		st, err := c.Repo.Status(ctx)
		v.Checks = append(v.Checks, Check{What: "nothing left uncommitted", OK: err == nil && len(st) == 0, Detail: strings.Join(st, "; ")})
	}
	return v, nil
}

// RecordWindow records the impacted window of a bad release: from the first
// bad commit's time to now (the artifacts restored), as the compromised and
// recovered milestones and the impacted_window fact.
type RecordWindow struct {
	From time.Time
	Now  func() time.Time

	to time.Time
}

func (w *RecordWindow) Plan(context.Context) (*Plan, error) {
	if w.From.IsZero() {
		return nil, errors.New("record.window: the first-bad time is not known (find the first bad commit first)")
	}
	return &Plan{Action: NameRecordWindow, Summary: "record the impacted window from the first bad commit (" + journal.FormatTime(w.From)[:19] + "Z) to now",
		Changes: []string{"milestone compromised at the first bad commit", "milestone recovered now", "fact impacted_window"}}, nil
}

func (w *RecordWindow) Execute(context.Context, func(Progress)) (*Result, error) {
	w.to = w.Now().UTC()
	if w.to.Before(w.From) {
		return nil, fmt.Errorf("record.window: the first bad commit (%s) is in the future", journal.FormatTime(w.From))
	}
	window := fmt.Sprintf("%s to %s (%s)", w.From.UTC().Format("2006-01-02 15:04Z"), w.to.Format("2006-01-02 15:04Z"), incident.FormatSpan(w.to.Sub(w.From)))
	return &Result{Summary: "impacted window: " + window, Data: WindowResult{V: RecordVersion, From: w.From, To: w.to, Window: window},
		Events: []journal.Entry{incident.MilestoneEntry("compromised", w.From), incident.MilestoneEntry("recovered", w.to), incident.FactEntry("impacted_window", window)}}, nil
}

func (w *RecordWindow) Verify(context.Context, *Result) (*Verification, error) {
	return &Verification{Checks: []Check{{What: "the window ends after it starts", OK: !w.to.Before(w.From), Detail: incident.FormatSpan(w.to.Sub(w.From))}}}, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func shortSum(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s[:12]
}
