package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// FactRotationDue is the fact key.age records: when the key's rotation
// is (or was) due.
const FactRotationDue = "rotation_due_on"

// DefaultRotation is the routine rotation cadence of the ClawSec runbook:
// every 90 days (or a stricter policy).
const DefaultRotation = 90 * 24 * time.Hour

// KeyAge says how long a signing key has been in service against the
// rotation cadence: the verification fails when a rotation is due. It
// reads only the key's public half and its file's time; it changes
// nothing.
type KeyAge struct {
	Path   string        // the key file, public or private
	Since  time.Time     // when it went into service; zero: from git, else the file's modification time
	MaxAge time.Duration // the cadence; zero is DefaultRotation
	Now    func() time.Time
	// Repo, when set, dates the key by the commit that introduced it: the
	// oldest of the commits, counting back from the newest, whose version
	// of Path holds the current key.
	Repo *gitrepo.Repo

	res KeyAgeResult
}

// KeyAgeResult is the result of key.age.
type KeyAgeResult struct {
	V             int       `json:"v,omitempty"`
	Path          string    `json:"path"`
	Fingerprint   string    `json:"fingerprint,omitempty"`
	Since         time.Time `json:"since"`
	SinceFrom     string    `json:"since_from"` // "given", "file time" or "git: commit HASH (subject)"
	Commit        string    `json:"commit,omitempty"`
	AgeSeconds    int64     `json:"age_seconds"`
	MaxAgeSeconds int64     `json:"max_age_seconds"`
	Due           bool      `json:"rotation_due"`
}

func (k *KeyAge) maxAge() time.Duration {
	if k.MaxAge > 0 {
		return k.MaxAge
	}
	return DefaultRotation
}

func (k *KeyAge) Plan(context.Context) (*Plan, error) {
	return &Plan{Action: NameKeyAge, Summary: fmt.Sprintf("check how long %s has been in service against the %s rotation cadence (changes nothing)", k.Path, playbooks.FormatDuration(k.maxAge()))}, nil
}

func (k *KeyAge) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	fi, err := os.Stat(k.Path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", k.Path)
	}
	r := KeyAgeResult{V: RecordVersion, Path: k.Path, Since: k.Since, SinceFrom: "given", MaxAgeSeconds: int64(k.maxAge() / time.Second)}
	// The fingerprint names the key; an encrypted private key is still
	// timed, without one.
	pub, err := signing.LoadPublicKey(k.Path, nil)
	switch {
	case err == nil:
		r.Fingerprint = signing.Fingerprint(pub)
	case !errors.Is(err, signing.ErrEncrypted):
		return nil, err
	}
	if r.Since.IsZero() && k.Repo != nil {
		if r.Fingerprint == "" {
			return nil, fmt.Errorf("%s is encrypted: its key cannot be followed through git history (give --since)", k.Path)
		}
		c, err := k.introduced(ctx, r.Fingerprint)
		if err != nil {
			return nil, err
		}
		r.Since, r.Commit = c.At.UTC(), c.Hash
		r.SinceFrom = fmt.Sprintf("git: commit %.12s (%s)", c.Hash, c.Subject)
	}
	if r.Since.IsZero() {
		r.Since, r.SinceFrom = fi.ModTime().UTC(), "file time"
	}
	age := k.Now().Sub(r.Since)
	if age < 0 {
		return nil, fmt.Errorf("%s went into service in the future (%s)", k.Path, r.Since.Format(time.RFC3339))
	}
	r.AgeSeconds, r.Due = int64(age/time.Second), age > k.maxAge()
	k.res = r
	verdict := "within the cadence"
	if r.Due {
		verdict = "ROTATION DUE"
	}
	// Recorded as a fact: incident show warns once the date has passed.
	due := incident.FactEntry(FactRotationDue, r.Since.Add(k.maxAge()).UTC().Format(time.RFC3339))
	return &Result{Summary: fmt.Sprintf("%s in service %s (since %s, %s): %s", k.Path, incident.FormatSpan(age), r.Since.Format("2006-01-02"), r.SinceFrom, verdict), Data: r,
		Events: []journal.Entry{due}}, nil
}

func (k *KeyAge) Verify(context.Context, *Result) (*Verification, error) {
	age := time.Duration(k.res.AgeSeconds) * time.Second
	detail := fmt.Sprintf("in service since %s (%s)", k.res.Since.Format(time.RFC3339), k.res.SinceFrom)
	if k.res.Due {
		detail += "; rotation was due on " + k.res.Since.Add(k.maxAge()).Format("2006-01-02")
	}
	return &Verification{Checks: []Check{{
		What:   fmt.Sprintf("key in service %s, the rotation cadence is %s", incident.FormatSpan(age), playbooks.FormatDuration(k.maxAge())),
		OK:     !k.res.Due,
		Detail: detail,
	}}}, nil
}

// introduced finds the commit that put the current key in the file.
func (k *KeyAge) introduced(ctx context.Context, fingerprint string) (gitrepo.Commit, error) {
	dir, err := filepath.Abs(k.Repo.Dir)
	if err != nil {
		return gitrepo.Commit{}, err
	}
	path, err := filepath.Abs(k.Path)
	if err != nil {
		return gitrepo.Commit{}, err
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return gitrepo.Commit{}, fmt.Errorf("%s is not inside the repository %s", k.Path, k.Repo.Dir)
	}
	rel = filepath.ToSlash(rel)
	hist, err := k.Repo.History(ctx, rel)
	if err != nil {
		return gitrepo.Commit{}, err
	}
	if len(hist) == 0 {
		return gitrepo.Commit{}, fmt.Errorf("%s has no history in %s: commit it, or give --since", rel, k.Repo.Dir)
	}
	specs := make([]string, len(hist))
	for i, c := range hist {
		specs[i] = c.Hash + ":" + rel
	}
	fps := make([]string, len(hist))
	err = k.Repo.Blobs(ctx, specs, func(i int, b []byte, ok bool) error {
		if ok {
			if key, err := signing.ParseKey(b, rel, nil); err == nil {
				fps[i] = key.Fingerprint()
			}
		}
		return nil
	})
	if err != nil {
		return gitrepo.Commit{}, err
	}
	// Newest first: the run of versions holding this key; its oldest
	// commit introduced it.
	found := -1
	for i := len(hist) - 1; i >= 0; i-- {
		if fps[i] != fingerprint {
			break
		}
		found = i
	}
	if found < 0 {
		return gitrepo.Commit{}, fmt.Errorf("the key in %s (fingerprint %.16s…) is not the one committed: commit it, or give --since", k.Path, fingerprint)
	}
	return hist[found], nil
}
