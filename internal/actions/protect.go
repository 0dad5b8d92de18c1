package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	gh "github.com/google/go-github/v60/github"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/github"
)

// ProtectResult is the result of gh.protect: the protection that was
// there (kept in the evidence, for gh.unprotect) and what was set.
type ProtectResult struct {
	V        int    `json:"v,omitempty"`
	Repo     string `json:"repo"`
	Branch   string `json:"branch"`
	Had      bool   `json:"had_protection"`
	Evidence string `json:"evidence"`
	SHA256   string `json:"sha256"`
	// Previous is the request that restores what was there.
	Previous *gh.ProtectionRequest `json:"previous,omitempty"`
}

// UnprotectResult is the result of gh.unprotect.
type UnprotectResult struct {
	V        int    `json:"v,omitempty"`
	Repo     string `json:"repo"`
	Branch   string `json:"branch"`
	Restored bool   `json:"restored"` // what was there is back; false: the branch had none, and a rule with nothing in it remains
}

// Protect blocks merges and pushes to a branch while the feed's
// authenticity is uncertain: it reads the branch's protection first (kept
// as evidence, since update replaces the whole of it), then locks the
// branch read-only, requires a review and enforces it for admins.
type Protect struct {
	Client  *github.Client
	Repo    github.Repo
	Branch  string
	Store   *evidence.Store
	Scratch string
	Actor   string
	prev    *gh.Protection
	had     bool
	set     *gh.ProtectionRequest
	evidenceTaker
}

func (p *Protect) lock(prev *gh.Protection) *gh.ProtectionRequest {
	req := github.RequestOf(prev)
	req.EnforceAdmins = true
	req.LockBranch = gh.Bool(true)
	req.AllowForcePushes, req.AllowDeletions = gh.Bool(false), gh.Bool(false)
	if req.RequiredPullRequestReviews == nil {
		req.RequiredPullRequestReviews = &gh.PullRequestReviewsEnforcementRequest{}
	}
	if req.RequiredPullRequestReviews.RequiredApprovingReviewCount < 1 {
		req.RequiredPullRequestReviews.RequiredApprovingReviewCount = 1
	}
	req.RequiredPullRequestReviews.DismissStaleReviews = true
	return req
}

// Plan reads the protection now and says what changes.
func (p *Protect) Plan(ctx context.Context) (*Plan, error) {
	exists, err := p.Client.BranchExists(ctx, p.Repo, p.Branch)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("no branch %s in %s", p.Branch, p.Repo)
	}
	prev, had, err := p.Client.Protection(ctx, p.Repo, p.Branch)
	if err != nil {
		return nil, err
	}
	p.prev, p.had, p.set = prev, had, p.lock(prev)
	was := "no protection"
	if had {
		was = "its protection"
	}
	return &Plan{Action: NameGhProtect, Destructive: true, Confirm: "protect",
		Summary: fmt.Sprintf("block merges and pushes to %s in %s until its authenticity is established", p.Branch, p.Repo),
		Changes: []string{"keep " + was + " as evidence (gh unprotect restores it)", "lock the branch read-only (no pushes, no merges)",
			fmt.Sprintf("require %d approving review(s), dismiss stale reviews, enforce for admins, no force pushes or deletion", p.set.RequiredPullRequestReviews.RequiredApprovingReviewCount)}}, nil
}

// Execute keeps the old protection, then sets the new one.
func (p *Protect) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	out := ProtectResult{V: RecordVersion, Repo: p.Repo.String(), Branch: p.Branch, Had: p.had}
	if p.had {
		out.Previous = github.RequestOf(p.prev)
	}
	e, events, err := p.save(ctx, p.Store, p.Scratch, fmt.Sprintf("branch-protection-%s-%s-%s.json", p.Repo.Owner, p.Repo.Name, safeName(p.Branch)), p.Actor,
		"branch protection before it was locked", func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"repo": p.Repo.String(), "branch": p.Branch, "protected": p.had, "protection": p.prev})
		})
	if err != nil {
		return &Result{Events: events}, err
	}
	out.Evidence, out.SHA256 = e.Name, e.SHA256
	if _, err := p.Client.SetProtection(ctx, p.Repo, p.Branch, p.set); err != nil {
		return &Result{Data: out, Events: events}, err
	}
	return &Result{Summary: fmt.Sprintf("locked %s in %s (was: %s); the previous protection is evidence %s", p.Branch, p.Repo, map[bool]string{true: "protected", false: "unprotected"}[p.had], e.Name),
		Data: out, Events: events}, nil
}

// Verify reads the protection back.
func (p *Protect) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	got, found, err := p.Client.Protection(ctx, p.Repo, p.Branch)
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	v.Checks = append(v.Checks, check(p.Branch+" is locked read-only", found && got.GetLockBranch().GetEnabled(), nil))
	v.Checks = append(v.Checks, check(p.Branch+" requires an approving review, enforced for admins",
		found && got.GetRequiredPullRequestReviews() != nil && got.GetRequiredPullRequestReviews().RequiredApprovingReviewCount >= 1 && got.GetEnforceAdmins().Enabled, nil))
	return v, nil
}

// Unprotect restores what gh.protect found.
type Unprotect struct {
	Client *github.Client
	Repo   github.Repo
	Branch string
	Before *ProtectResult // the record of the protect it undoes
	want   *gh.ProtectionRequest
}

func (u *Unprotect) restore() *gh.ProtectionRequest {
	if u.Before.Had && u.Before.Previous != nil {
		return u.Before.Previous
	}
	// No protection before: GitHub removes a rule only by deleting it,
	// which firebreak does not do; the nearest is a rule with nothing in
	// it.
	return &gh.ProtectionRequest{}
}

// Plan says what comes back.
func (u *Unprotect) Plan(context.Context) (*Plan, error) {
	if u.Before == nil {
		return nil, fmt.Errorf("no gh.protect of %s in %s in this incident: nothing to restore", u.Branch, u.Repo)
	}
	u.want = u.restore()
	what := "restore the protection kept in " + u.Before.Evidence
	if !u.Before.Had {
		what = "remove every requirement (the branch had no protection; the empty rule stays: delete it with gh api -X DELETE repos/" + u.Repo.String() + "/branches/" + u.Branch + "/protection)"
	}
	return &Plan{Action: NameGhUnprotect, Destructive: true, Confirm: "unprotect", Summary: "unlock " + u.Branch + " in " + u.Repo.String(), Changes: []string{what}}, nil
}

// Execute sets it back.
func (u *Unprotect) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	if _, err := u.Client.SetProtection(ctx, u.Repo, u.Branch, u.want); err != nil {
		return nil, err
	}
	return &Result{Summary: "unlocked " + u.Branch + " in " + u.Repo.String(),
		Data: UnprotectResult{V: RecordVersion, Repo: u.Repo.String(), Branch: u.Branch, Restored: u.Before.Had}}, nil
}

// Verify reads it back: the same protection as before the lock.
func (u *Unprotect) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	got, found, err := u.Client.Protection(ctx, u.Repo, u.Branch)
	if err != nil {
		return nil, err
	}
	a, _ := json.Marshal(github.RequestOf(got))
	b, _ := json.Marshal(github.RequestOf(protectionOf(u.want)))
	var why error
	if string(a) != string(b) {
		why = errors.New("read back " + string(a))
	}
	return &Verification{Checks: []Check{check(u.Branch+" has the protection it had before the lock", found && string(a) == string(b), why)}}, nil
}

// protectionOf reads a request as the protection GitHub then reports, to
// compare what was set with what is read back.
func protectionOf(r *gh.ProtectionRequest) *gh.Protection {
	p := &gh.Protection{RequiredStatusChecks: r.RequiredStatusChecks, EnforceAdmins: &gh.AdminEnforcement{Enabled: r.EnforceAdmins}}
	if rv := r.RequiredPullRequestReviews; rv != nil {
		p.RequiredPullRequestReviews = &gh.PullRequestReviewsEnforcement{DismissStaleReviews: rv.DismissStaleReviews, RequireCodeOwnerReviews: rv.RequireCodeOwnerReviews,
			RequiredApprovingReviewCount: rv.RequiredApprovingReviewCount, RequireLastPushApproval: rv.RequireLastPushApproval != nil && *rv.RequireLastPushApproval}
		if d := rv.DismissalRestrictionsRequest; d != nil && d.Users != nil {
			dr := &gh.DismissalRestrictions{}
			for _, l := range *d.Users {
				dr.Users = append(dr.Users, &gh.User{Login: gh.String(l)})
			}
			p.RequiredPullRequestReviews.DismissalRestrictions = dr
		}
	}
	if rs := r.Restrictions; rs != nil {
		br := &gh.BranchRestrictions{}
		for _, l := range rs.Users {
			br.Users = append(br.Users, &gh.User{Login: gh.String(l)})
		}
		p.Restrictions = br
	}
	b := func(v *bool) bool { return v != nil && *v }
	p.RequireLinearHistory = &gh.RequireLinearHistory{Enabled: b(r.RequireLinearHistory)}
	p.AllowForcePushes = &gh.AllowForcePushes{Enabled: b(r.AllowForcePushes)}
	p.AllowDeletions = &gh.AllowDeletions{Enabled: b(r.AllowDeletions)}
	p.RequiredConversationResolution = &gh.RequiredConversationResolution{Enabled: b(r.RequiredConversationResolution)}
	p.BlockCreations = &gh.BlockCreations{Enabled: gh.Bool(b(r.BlockCreations))}
	p.LockBranch = &gh.LockBranch{Enabled: gh.Bool(b(r.LockBranch))}
	p.AllowForkSyncing = &gh.AllowForkSyncing{Enabled: gh.Bool(b(r.AllowForkSyncing))}
	return p
}

// safeName is a branch name fit for a file name.
func safeName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '/' || r == '\\' || r < ' ' || r == ':' {
			r = '-'
		}
		out = append(out, r)
	}
	return string(out)
}
