package ghsim

import (
	"fmt"
	"time"
)

// The builders below produce GitHub's JSON shapes with every field the
// official description requires, so a client sees what GitHub would send.

type obj = map[string]any

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Sim) api(path string, args ...any) string { return s.base + "/" + fmt.Sprintf(path, args...) }
func (s *Sim) web(path string, args ...any) string {
	return "https://github.example/" + fmt.Sprintf(path, args...)
}

func (s *Sim) userJSON(login string, id int64) obj {
	u := s.api("users/%s", login)
	return obj{
		"login": login, "id": id, "node_id": fmt.Sprintf("U_%d", id), "type": "User", "site_admin": false,
		"avatar_url": s.web("avatars/%s", login), "gravatar_id": "", "url": u, "html_url": s.web("%s", login),
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}", "gists_url": u + "/gists{/gist_id}",
		"starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}", "received_events_url": u + "/received_events",
	}
}

func (s *Sim) privateUserJSON(login string, id int64) obj {
	u := s.userJSON(login, id)
	for k, v := range (obj{
		"name": login, "company": nil, "blog": "", "location": nil, "email": nil, "hireable": nil, "bio": nil,
		"public_repos": 1, "public_gists": 0, "followers": 0, "following": 0, "created_at": stamp(s.epoch), "updated_at": stamp(s.epoch),
		"private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0, "disk_usage": 0, "collaborators": 0,
		"two_factor_authentication": true, "user_view_type": "private",
	}) {
		u[k] = v
	}
	return u
}

func (s *Sim) minimalRepoJSON(r *repo) obj {
	u := s.api("repos/%s", r.full)
	m := obj{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.name, "full_name": r.full, "private": r.private,
		"owner": s.userJSON(r.owner, r.ownerID), "html_url": s.web("%s", r.full), "description": nil, "fork": false, "url": u,
	}
	for _, f := range []string{"archive_url:/{archive_format}{/ref}", "assignees_url:/assignees{/user}", "blobs_url:/git/blobs{/sha}",
		"branches_url:/branches{/branch}", "collaborators_url:/collaborators{/collaborator}", "comments_url:/comments{/number}",
		"commits_url:/commits{/sha}", "compare_url:/compare/{base}...{head}", "contents_url:/contents/{+path}",
		"contributors_url:/contributors", "deployments_url:/deployments", "downloads_url:/downloads", "events_url:/events",
		"forks_url:/forks", "git_commits_url:/git/commits{/sha}", "git_refs_url:/git/refs{/sha}", "git_tags_url:/git/tags{/sha}",
		"hooks_url:/hooks", "issue_comment_url:/issues/comments{/number}", "issue_events_url:/issues/events{/number}",
		"issues_url:/issues{/number}", "keys_url:/keys{/key_id}", "labels_url:/labels{/name}", "languages_url:/languages",
		"merges_url:/merges", "milestones_url:/milestones{/number}", "notifications_url:/notifications{?since,all,participating}",
		"pulls_url:/pulls{/number}", "releases_url:/releases{/id}", "stargazers_url:/stargazers", "statuses_url:/statuses/{sha}",
		"subscribers_url:/subscribers", "subscription_url:/subscription", "tags_url:/tags", "teams_url:/teams", "trees_url:/git/trees{/sha}"} {
		for i := 0; i < len(f); i++ {
			if f[i] == ':' {
				m[f[:i]] = u + f[i+1:]
				break
			}
		}
	}
	return m
}

func (s *Sim) fullRepoJSON(r *repo) obj {
	m := s.minimalRepoJSON(r)
	for k, v := range (obj{
		"clone_url": s.web("%s.git", r.full), "git_url": "git://github.example/" + r.full + ".git", "ssh_url": "git@github.example:" + r.full + ".git",
		"svn_url": s.web("%s", r.full), "mirror_url": nil, "homepage": nil, "language": "Go", "default_branch": "main",
		"forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0, "size": 1, "open_issues": len(r.issues),
		"open_issues_count": len(r.issues), "has_issues": r.hasIssues, "has_projects": false, "has_wiki": false, "has_pages": false,
		"has_discussions": false, "archived": false, "disabled": false, "license": nil, "pushed_at": stamp(s.now()),
		"created_at": stamp(s.epoch), "updated_at": stamp(s.now()), "network_count": 0, "subscribers_count": 0,
	}) {
		m[k] = v
	}
	return m
}

func (s *Sim) workflowJSON(r *repo, w *workflow) obj {
	return obj{
		"id": w.id, "node_id": fmt.Sprintf("W_%d", w.id), "name": w.name, "path": w.path, "state": w.state,
		"created_at": stamp(w.created), "updated_at": stamp(w.updated),
		"url": s.api("repos/%s/actions/workflows/%d", r.full, w.id), "html_url": s.web("%s/blob/main/%s", r.full, w.path),
		"badge_url": s.web("%s/workflows/%s/badge.svg", r.full, w.name),
	}
}

func (s *Sim) runJSON(r *repo, run *run) obj {
	u := s.api("repos/%s/actions/runs/%d", r.full, run.id)
	var concl any
	if run.conclusion != "" {
		concl = run.conclusion
	}
	w := r.workflowByID(run.workflowID)
	return obj{
		"id": run.id, "node_id": fmt.Sprintf("WFR_%d", run.id), "name": w.name, "head_branch": run.branch(), "head_sha": run.headSHA,
		"path": w.path, "run_number": run.number, "display_title": run.title, "event": run.event, "status": run.status,
		"conclusion": concl, "workflow_id": run.workflowID, "url": u, "html_url": s.web("%s/actions/runs/%d", r.full, run.id),
		"created_at": stamp(run.created), "updated_at": stamp(run.updated), "run_started_at": stamp(run.created),
		"actor": s.userJSON(run.actor, 1000+int64(len(run.actor))), "triggering_actor": s.userJSON(run.actor, 1000+int64(len(run.actor))),
		"pull_requests": []any{}, "jobs_url": u + "/jobs", "logs_url": u + "/logs", "check_suite_url": s.api("repos/%s/check-suites/%d", r.full, run.id),
		"cancel_url": u + "/cancel", "rerun_url": u + "/rerun", "artifacts_url": u + "/artifacts", "workflow_url": s.api("repos/%s/actions/workflows/%d", r.full, run.workflowID),
		"head_commit": obj{"id": run.headSHA, "tree_id": run.headSHA, "message": run.title, "timestamp": stamp(run.created),
			"author": obj{"name": run.actor, "email": run.actor + "@example.com"}, "committer": obj{"name": run.actor, "email": run.actor + "@example.com"}},
		"repository": s.minimalRepoJSON(r), "head_repository": s.minimalRepoJSON(r),
	}
}

func (s *Sim) jobJSON(r *repo, run *run) obj {
	var concl, completed any
	if run.conclusion != "" {
		concl, completed = run.conclusion, stamp(run.updated)
	}
	u := s.api("repos/%s/actions/jobs/%d", r.full, run.id*10)
	return obj{
		"id": run.id * 10, "node_id": fmt.Sprintf("J_%d", run.id), "run_id": run.id, "run_url": s.api("repos/%s/actions/runs/%d", r.full, run.id),
		"head_sha": run.headSHA, "workflow_name": r.workflowByID(run.workflowID).name, "head_branch": "main", "name": "sign",
		"url": u, "html_url": s.web("%s/actions/runs/%d/job/%d", r.full, run.id, run.id*10), "status": run.status, "conclusion": concl,
		"started_at": stamp(run.created), "completed_at": completed, "check_run_url": s.api("repos/%s/check-runs/%d", r.full, run.id*10),
		"labels": []string{"ubuntu-latest"}, "runner_id": nil, "runner_name": nil, "runner_group_id": nil, "runner_group_name": nil,
		"created_at": stamp(run.created), "steps": []any{},
	}
}

func secretJSON(name string, sec *secret) obj {
	return obj{"name": name, "created_at": stamp(sec.created), "updated_at": stamp(sec.updated)}
}

func (s *Sim) commitJSON(r *repo, c *commit) obj {
	u := s.api("repos/%s/commits/%s", r.full, c.sha)
	person := obj{"name": c.author, "email": c.author + "@example.com", "date": stamp(c.date)}
	files := []any{}
	for _, f := range c.files {
		files = append(files, obj{"sha": c.sha, "filename": f, "status": "modified", "additions": 1, "deletions": 0, "changes": 1,
			"blob_url": s.web("%s/blob/%s/%s", r.full, c.sha, f), "raw_url": s.web("%s/raw/%s/%s", r.full, c.sha, f),
			"contents_url": s.api("repos/%s/contents/%s?ref=%s", r.full, f, c.sha)})
	}
	parents := []any{}
	if c.parent != "" {
		parents = append(parents, obj{"sha": c.parent, "url": s.api("repos/%s/commits/%s", r.full, c.parent), "html_url": s.web("%s/commit/%s", r.full, c.parent)})
	}
	return obj{
		"url": u, "sha": c.sha, "node_id": "C_" + c.sha[:8], "html_url": s.web("%s/commit/%s", r.full, c.sha), "comments_url": u + "/comments",
		"commit": obj{"url": s.api("repos/%s/git/commits/%s", r.full, c.sha), "author": person, "committer": person, "message": c.message,
			"comment_count": 0, "tree": obj{"sha": c.sha, "url": s.api("repos/%s/git/trees/%s", r.full, c.sha)}},
		"author": s.userJSON(c.author, 2000+int64(len(c.author))), "committer": s.userJSON(c.author, 2000+int64(len(c.author))),
		"parents": parents, "files": files, "stats": obj{"additions": len(c.files), "deletions": 0, "total": len(c.files)},
	}
}

func (s *Sim) issueJSON(r *repo, is *issue) obj {
	u := s.api("repos/%s/issues/%d", r.full, is.number)
	return obj{
		"id": is.id, "node_id": fmt.Sprintf("I_%d", is.id), "number": is.number, "title": is.title, "body": is.body, "state": "open",
		"locked": false, "comments": len(is.comments), "url": u, "repository_url": s.api("repos/%s", r.full),
		"labels_url": u + "/labels{/name}", "comments_url": u + "/comments", "events_url": u + "/events",
		"html_url": s.web("%s/issues/%d", r.full, is.number), "labels": []any{}, "assignee": nil, "milestone": nil, "closed_at": nil,
		"user": s.userJSON(s.login, 1), "created_at": stamp(is.created), "updated_at": stamp(is.created), "author_association": "OWNER",
	}
}

func (s *Sim) commentJSON(r *repo, is *issue, c *comment) obj {
	return obj{
		"id": c.id, "node_id": fmt.Sprintf("IC_%d", c.id), "body": c.body, "url": s.api("repos/%s/issues/comments/%d", r.full, c.id),
		"html_url": s.web("%s/issues/%d#issuecomment-%d", r.full, is.number, c.id), "issue_url": s.api("repos/%s/issues/%d", r.full, is.number),
		"user": s.userJSON(s.login, 1), "created_at": stamp(c.created), "updated_at": stamp(c.created), "author_association": "OWNER",
	}
}

// branch is the branch a run ran on: a dispatch's ref, else main.
func (r *run) branch() string {
	if r.ref != "" {
		return r.ref
	}
	return "main"
}
