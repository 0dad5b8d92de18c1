package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v60/github"
)

// FileAt reads a file at a ref (repos/get-content): its content and blob
// sha; found is false when it is not there.
func (c *Client) FileAt(ctx context.Context, r Repo, path, ref string) ([]byte, string, bool, error) {
	f, _, resp, err := c.Repositories.GetContents(ctx, r.Owner, r.Name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == 404 {
		return nil, "", false, nil
	}
	if err := Classify("repos/get-content", resp, err); err != nil {
		return nil, "", false, err
	}
	if f == nil {
		return nil, "", false, fmt.Errorf("%s is a directory", path)
	}
	s, err := f.GetContent()
	if err != nil {
		return nil, "", false, err
	}
	return []byte(s), f.GetSHA(), true, nil
}

// BranchHead is the commit a branch points at (git/get-ref).
func (c *Client) BranchHead(ctx context.Context, r Repo, branch string) (string, error) {
	ref, resp, err := c.Git.GetRef(ctx, r.Owner, r.Name, "heads/"+branch)
	if err := Classify("git/get-ref", resp, err); err != nil {
		return "", err
	}
	return ref.GetObject().GetSHA(), nil
}

// CreateBranch makes a branch at a commit (git/create-ref).
func (c *Client) CreateBranch(ctx context.Context, r Repo, branch, sha string) error {
	_, resp, err := c.Git.CreateRef(ctx, r.Owner, r.Name, &gh.Reference{Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(sha)}})
	return Classify("git/create-ref", resp, err)
}

// PutFile commits a file's new content on a branch
// (repos/create-or-update-file-contents); sha is the blob it replaces.
func (c *Client) PutFile(ctx context.Context, r Repo, path, branch, message string, content []byte, sha string) (string, error) {
	opts := &gh.RepositoryContentFileOptions{Message: gh.String(message), Content: content, Branch: gh.String(branch)}
	if sha != "" {
		opts.SHA = gh.String(sha)
	}
	res, resp, err := c.Repositories.UpdateFile(ctx, r.Owner, r.Name, path, opts)
	if err := Classify("repos/create-or-update-file-contents", resp, err); err != nil {
		return "", err
	}
	return res.Commit.GetSHA(), nil
}

// OpenPull opens a pull request (pulls/create).
func (c *Client) OpenPull(ctx context.Context, r Repo, title, head, base, body string) (int, string, error) {
	pr, resp, err := c.PullRequests.Create(ctx, r.Owner, r.Name, &gh.NewPullRequest{Title: gh.String(title), Head: gh.String(head), Base: gh.String(base), Body: gh.String(body)})
	if err := Classify("pulls/create", resp, err); err != nil {
		return 0, "", err
	}
	return pr.GetNumber(), pr.GetHTMLURL(), nil
}
