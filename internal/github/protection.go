package github

import (
	"context"
	"errors"

	gh "github.com/google/go-github/v60/github"
)

// Protection reads a branch's protection (repos/get-branch-protection);
// found is false for a branch with none (GitHub's 404 "Branch not
// protected").
func (c *Client) Protection(ctx context.Context, r Repo, branch string) (*gh.Protection, bool, error) {
	p, resp, err := c.Repositories.GetBranchProtection(ctx, r.Owner, r.Name, branch)
	if errors.Is(err, gh.ErrBranchNotProtected) {
		return nil, false, nil
	}
	if err := Classify("repos/get-branch-protection", resp, err); err != nil {
		return nil, false, err // the branch or the repository is not there, or no access
	}
	return p, true, nil
}

// SetProtection replaces a branch's whole protection
// (repos/update-branch-protection).
func (c *Client) SetProtection(ctx context.Context, r Repo, branch string, p *gh.ProtectionRequest) (*gh.Protection, error) {
	out, resp, err := c.Repositories.UpdateBranchProtection(ctx, r.Owner, r.Name, branch, p)
	if err := Classify("repos/update-branch-protection", resp, err); err != nil {
		return nil, err
	}
	return out, nil
}

// RequestOf is the request that sets a protection exactly as it was read:
// what restoring it sends.
func RequestOf(p *gh.Protection) *gh.ProtectionRequest {
	req := &gh.ProtectionRequest{}
	if p == nil {
		return req
	}
	req.RequiredStatusChecks = p.RequiredStatusChecks
	if rs := req.RequiredStatusChecks; rs != nil {
		// The description requires contexts; GitHub takes one list of the
		// two. Checks pinned to an app keep their app ids (contexts then
		// empty); otherwise the context names say it all.
		cp := gh.RequiredStatusChecks{Strict: rs.Strict}
		var ctxs []string
		pinned := false
		if rs.Checks != nil {
			for _, c := range *rs.Checks {
				ctxs = append(ctxs, c.Context)
				pinned = pinned || c.AppID != nil
			}
		}
		if len(ctxs) == 0 && rs.Contexts != nil {
			ctxs = *rs.Contexts
		}
		if ctxs == nil {
			ctxs = []string{}
		}
		if pinned {
			checks := *rs.Checks
			cp.Checks, cp.Contexts = &checks, &[]string{}
		} else {
			cp.Contexts = &ctxs
		}
		req.RequiredStatusChecks = &cp
	}
	if rv := p.RequiredPullRequestReviews; rv != nil {
		r := &gh.PullRequestReviewsEnforcementRequest{
			DismissStaleReviews:          rv.DismissStaleReviews,
			RequireCodeOwnerReviews:      rv.RequireCodeOwnerReviews,
			RequiredApprovingReviewCount: rv.RequiredApprovingReviewCount,
			RequireLastPushApproval:      gh.Bool(rv.RequireLastPushApproval),
		}
		if d := rv.DismissalRestrictions; d != nil {
			users, teams, apps := names(d.Users, d.Teams, d.Apps)
			r.DismissalRestrictionsRequest = &gh.DismissalRestrictionsRequest{Users: &users, Teams: &teams, Apps: &apps}
		}
		if b := rv.BypassPullRequestAllowances; b != nil {
			users, teams, apps := names(b.Users, b.Teams, b.Apps)
			r.BypassPullRequestAllowancesRequest = &gh.BypassPullRequestAllowancesRequest{Users: users, Teams: teams, Apps: apps}
		}
		req.RequiredPullRequestReviews = r
	}
	if p.EnforceAdmins != nil {
		req.EnforceAdmins = p.EnforceAdmins.Enabled
	}
	if rs := p.Restrictions; rs != nil {
		users, teams, apps := names(rs.Users, rs.Teams, rs.Apps)
		req.Restrictions = &gh.BranchRestrictionsRequest{Users: users, Teams: teams, Apps: apps}
	}
	flag := func(b *bool) *bool { return gh.Bool(b != nil && *b) }
	if v := p.RequireLinearHistory; v != nil {
		req.RequireLinearHistory = gh.Bool(v.Enabled)
	}
	if v := p.AllowForcePushes; v != nil {
		req.AllowForcePushes = gh.Bool(v.Enabled)
	}
	if v := p.AllowDeletions; v != nil {
		req.AllowDeletions = gh.Bool(v.Enabled)
	}
	if v := p.RequiredConversationResolution; v != nil {
		req.RequiredConversationResolution = gh.Bool(v.Enabled)
	}
	if v := p.BlockCreations; v != nil {
		req.BlockCreations = flag(v.Enabled)
	}
	if v := p.LockBranch; v != nil {
		req.LockBranch = flag(v.Enabled)
	}
	if v := p.AllowForkSyncing; v != nil {
		req.AllowForkSyncing = flag(v.Enabled)
	}
	return req
}

func names(users []*gh.User, teams []*gh.Team, apps []*gh.App) (u, t, a []string) {
	u, t, a = []string{}, []string{}, []string{}
	for _, x := range users {
		u = append(u, x.GetLogin())
	}
	for _, x := range teams {
		t = append(t, x.GetSlug())
	}
	for _, x := range apps {
		a = append(a, x.GetSlug())
	}
	return u, t, a
}

// BranchExists reads a branch (repos/get-branch); false when it is not
// there.
func (c *Client) BranchExists(ctx context.Context, r Repo, branch string) (bool, error) {
	_, resp, err := c.Repositories.GetBranch(ctx, r.Owner, r.Name, branch, 0)
	if resp != nil && resp.StatusCode == 404 {
		return false, nil
	}
	if err := Classify("repos/get-branch", resp, err); err != nil {
		return false, err
	}
	return true, nil
}
