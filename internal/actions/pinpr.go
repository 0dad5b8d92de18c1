package actions

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// PinPullRequest proposes the pin update as a pull request: every pinned
// copy of the old public key in the repository's files (key files, PEM
// blocks, fingerprints) replaced by the new one, on a new branch, for
// review — the other way to key.pin-update's local edit and commit.
type PinPullRequest struct {
	Client   *github.Client
	Repo     github.Repo
	Old, New ed25519.PublicKey
	Paths    []string // repository-relative
	Base     string
	Branch   string
	edits    []pinEdit
	result   PinPRResult
}

type pinEdit struct {
	path, sha string
	content   []byte
	n         int
}

// PinPRResult is the result of gh.pin-pr.
type PinPRResult struct {
	V       int      `json:"v,omitempty"`
	Repo    string   `json:"repo"`
	Branch  string   `json:"branch"`
	Base    string   `json:"base"`
	Files   []string `json:"files"`
	Number  int      `json:"number,omitempty"`
	URL     string   `json:"url,omitempty"`
	Old     string   `json:"old"`
	New     string   `json:"new"`
	Commits []string `json:"commits,omitempty"`
}

// Plan reads each file on the base branch and works out the edits.
func (p *PinPullRequest) Plan(ctx context.Context) (*Plan, error) {
	if len(p.Paths) == 0 {
		return nil, errors.New("no file to update")
	}
	p.edits = nil
	var ch []string
	for _, path := range p.Paths {
		b, sha, found, err := p.Client.FileAt(ctx, p.Repo, path, p.Base)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("%s is not on %s in %s", path, p.Base, p.Repo)
		}
		out, n, err := signing.ReplaceKeyReferences(b, p.Old, p.New)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if n == 0 {
			ch = append(ch, "leave "+path+" (no reference to the old key)")
			continue
		}
		p.edits = append(p.edits, pinEdit{path: path, sha: sha, content: out, n: n})
		ch = append(ch, fmt.Sprintf("replace %d reference(s) to the old key in %s", n, path))
	}
	if len(p.edits) == 0 {
		return nil, fmt.Errorf("none of the %d file(s) refers to the old key %.16s… on %s", len(p.Paths), signing.Fingerprint(p.Old), p.Base)
	}
	ch = append([]string{fmt.Sprintf("create branch %s from %s in %s", p.Branch, p.Base, p.Repo)}, ch...)
	ch = append(ch, "open a pull request from "+p.Branch+" into "+p.Base+" — creating things on GitHub is not idempotent: running this again opens another")
	return &Plan{Action: NameGhPinPR, Destructive: true, Confirm: "propose",
		Summary: fmt.Sprintf("propose the new key %.16s… in place of %.16s… as a pull request in %s", signing.Fingerprint(p.New), signing.Fingerprint(p.Old), p.Repo), Changes: ch}, nil
}

// Execute branches, commits each file and opens the pull request.
func (p *PinPullRequest) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	p.result = PinPRResult{V: RecordVersion, Repo: p.Repo.String(), Branch: p.Branch, Base: p.Base, Old: signing.Fingerprint(p.Old), New: signing.Fingerprint(p.New)}
	res := &Result{Data: p.result}
	head, err := p.Client.BranchHead(ctx, p.Repo, p.Base)
	if err != nil {
		return res, err
	}
	if err := p.Client.CreateBranch(ctx, p.Repo, p.Branch, head); err != nil {
		return res, err
	}
	for _, e := range p.edits {
		c, err := p.Client.PutFile(ctx, p.Repo, e.path, p.Branch, "Pin the new signing key in "+e.path, e.content, e.sha)
		if err != nil {
			res.Data = p.result
			return res, err
		}
		p.result.Files = append(p.result.Files, e.path)
		p.result.Commits = append(p.result.Commits, c)
	}
	body := fmt.Sprintf("The signing key was revoked. This replaces every pinned copy of the old public key (fingerprint %s) with the new one (fingerprint %s) in:\n\n- %s\n\nOpened by firebreak.",
		p.result.Old, p.result.New, strings.Join(p.result.Files, "\n- "))
	n, url, err := p.Client.OpenPull(ctx, p.Repo, "Pin the new signing key", p.Branch, p.Base, body)
	if err != nil {
		res.Data = p.result
		return res, err
	}
	p.result.Number, p.result.URL = n, url
	return &Result{Summary: fmt.Sprintf("opened pull request #%d in %s: %d file(s) pin the new key (%s)", n, p.Repo, len(p.result.Files), url), Data: p.result}, nil
}

// Verify reads each file back from the branch: the new key is pinned, the
// old one is not.
func (p *PinPullRequest) Verify(ctx context.Context, _ *Result) (*Verification, error) {
	v := &Verification{}
	for _, path := range p.result.Files {
		b, _, found, err := p.Client.FileAt(ctx, p.Repo, path, p.Branch)
		if err != nil {
			return nil, err
		}
		ok := found && signing.CountKeyReferences(b, p.New) > 0 && signing.CountKeyReferences(b, p.Old) == 0
		v.Checks = append(v.Checks, check(path+" on "+p.Branch+" pins the new key and not the old", ok, nil))
	}
	v.Checks = append(v.Checks, check("the pull request is open", p.result.Number > 0, nil))
	return v, nil
}
