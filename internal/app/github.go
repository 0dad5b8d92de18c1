package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/deps"
	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/published"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// DefaultAuditPaths are what gh.audit collects the commits of when no paths
// are given: workflows, advisories and the published key.
var DefaultAuditPaths = []string{".github/workflows", "advisories", "clawsec-signing-public.pem", ".github/actions"}

// publishLimit keeps an issue or comment body under GitHub's 65,536
// characters.
const publishLimit = 65000

// GitHub: workflows, runs, secrets, audit, publication.
func init() {
	gh := func(name, summary string, required, optional []string, build func(*builder, *github.Client, github.Repo) (actions.Action, error)) entry {
		return entry{Spec: actions.Spec{Name: name, Summary: summary, Required: append([]string{"repo"}, required...), Optional: optional},
			needsIncident: true, build: func(b *builder) (actions.Action, error) {
				c, repo, err := b.github()
				if err != nil {
					return nil, err
				}
				return build(b, c, repo)
			}}
	}
	register(
		gh(actions.NameGhPause, "disable the signing workflows", nil, []string{"workflows"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				return &actions.PauseWorkflows{Client: c, Repo: repo, Files: b.args.List("workflows"), Pattern: b.s.pattern()}, nil
			}),
		gh(actions.NameGhResume, "re-enable the workflows this incident paused", nil, nil,
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				evs, err := b.timeline()
				if err != nil {
					return nil, err
				}
				return &actions.ResumeWorkflows{Client: c, Repo: repo, Paused: actions.PausedBy(evs, repo.String())}, nil
			}),
		gh(actions.NameGhCancelRuns, "cancel queued and running runs of the paused or signing workflows", nil, []string{"force", "deadline"}, buildCancelRuns),
		gh(actions.NameGhSecretSet, "set a GitHub Actions secret from a file", []string{"name", "file"}, []string{"env"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				return &actions.SetSecret{Client: c, Repo: repo, Env: b.args.Get("env"), Name: b.args.Get("name"), File: b.args.Get("file")}, nil
			}),
		gh(actions.NameGhSecretDelete, "delete a GitHub Actions secret", []string{"name"}, []string{"env"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				return &actions.DeleteSecret{Client: c, Repo: repo, Env: b.args.Get("env"), Name: b.args.Get("name")}, nil
			}),
		gh(actions.NameGhAudit, "save commits touching signing paths and workflow runs, with the runs' logs, into the evidence", []string{"since"}, []string{"paths", "logs"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				since, err := incident.ParseTime(b.args.Get("since"), b.s.now())
				if err != nil {
					return nil, b.argErr("since", err)
				}
				paths := b.args.List("paths")
				if len(paths) == 0 {
					paths = DefaultAuditPaths
				}
				logs := strings.ToLower(strings.TrimSpace(b.args.Get("logs"))) != "false"
				return &actions.Audit{Client: c, Repo: repo, Since: since, Paths: paths, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor, Now: b.s.Now, Logs: logs}, nil
			}),
		gh(actions.NameGhPublish, "publish the record as an issue, a comment on issue N or a draft advisory", []string{"kind"}, []string{"issue"}, buildPublish),
		gh(actions.NameGhProtect, "lock a branch read-only (no pushes, no merges; a review required, enforced for admins), its protection kept as evidence first", []string{"branch"}, nil,
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				branch := b.args.Get("branch")
				if err := checkRefName(branch); err != nil {
					return nil, b.formErr("branch", err)
				}
				locked, err := b.lockedBy(repo, branch)
				if err != nil {
					return nil, err
				}
				if locked != nil {
					// Locking again would keep the locked state as "what was
					// there", and unprotect would restore the lock.
					return nil, fmt.Errorf("%s in %s is locked by this incident already (%s); gh unprotect first", branch, repo, locked.Evidence)
				}
				return &actions.Protect{Client: c, Repo: repo, Branch: branch, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor}, nil
			}),
		gh(actions.NameGhUnprotect, "restore the protection gh.protect found on a branch", []string{"branch"}, nil,
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				u := &actions.Unprotect{Client: c, Repo: repo, Branch: b.args.Get("branch")}
				if err := checkRefName(u.Branch); err != nil {
					return nil, b.formErr("branch", err)
				}
				var err error
				u.Before, err = b.lockedBy(repo, u.Branch)
				return u, err
			}),
		gh(actions.NameGhPinPR, "propose the new public key in place of the old in the repository's files as a pull request (the other way to key.pin-update's local edit)", []string{"old", "new", "paths"}, []string{"base", "branch"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				old, err := b.pub("old")
				if err != nil {
					return nil, err
				}
				nw, err := b.pub("new")
				if err != nil {
					return nil, err
				}
				p := &actions.PinPullRequest{Client: c, Repo: repo, Old: old, New: nw, Paths: b.args.List("paths"), Base: b.args.Get("base"), Branch: b.args.Get("branch")}
				if p.Base == "" {
					p.Base = "main"
				}
				if p.Branch == "" {
					p.Branch = "firebreak/pin-" + signing.Fingerprint(nw)[:12]
				}
				for _, ref := range [][2]string{{"branch", p.Branch}, {"base", p.Base}} {
					if err := checkRefName(ref[1]); err != nil {
						return nil, b.formErr(ref[0], err)
					}
				}
				seen := map[string]bool{}
				var paths []string
				for _, path := range p.Paths {
					if path == "" || filepath.IsAbs(path) || strings.Contains(path, "..") || strings.ContainsAny(path, "\x00\r\n\\") || textutil.Line(path) != path {
						return nil, b.formErr("paths", fmt.Errorf("%q: give paths in the repository, relative to its root", path))
					}
					if !seen[path] {
						seen[path] = true
						paths = append(paths, path)
					}
				}
				p.Paths = paths
				return p, nil
			}),
		gh(actions.NameGhLogs, "keep the log archives of workflow runs in the evidence (GitHub deletes them after the retention period)", []string{"runs"}, nil,
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				var runs []int64
				seen := map[int64]bool{}
				for _, r := range b.args.List("runs") {
					id, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
					if err != nil || id <= 0 {
						return nil, b.formErr("runs", fmt.Errorf("%q is not a run id", r))
					}
					if !seen[id] {
						seen[id] = true
						runs = append(runs, id)
					}
				}
				return &actions.SaveLogs{Client: c, Repo: repo, Runs: runs, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor}, nil
			}),
		gh(actions.NameGhDispatch, "run a workflow (a redeploy) and wait for the run it creates to finish", []string{"workflow"}, []string{"ref", "inputs", "wait"},
			func(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
				d := &actions.Dispatch{Client: c, Repo: repo, File: b.args.Get("workflow"), Ref: b.args.Get("ref"), Wait: 10 * time.Minute, Now: b.s.Now, Sleep: b.s.Sleep}
				if d.Ref == "" {
					d.Ref = "main"
				}
				if w := b.args.Get("wait"); w != "" {
					dur, err := time.ParseDuration(w)
					if err != nil || dur <= 0 || dur > 6*time.Hour {
						return nil, b.formErr("wait", fmt.Errorf("%q is not a duration up to 6h", w))
					}
					d.Wait = dur
				}
				for _, kv := range b.args.List("inputs") {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return nil, b.formErr("inputs", fmt.Errorf("%q is not KEY=VALUE", kv))
					}
					if d.Inputs == nil {
						d.Inputs = map[string]string{}
					}
					if _, dup := d.Inputs[k]; dup {
						return nil, b.formErr("inputs", fmt.Errorf("input %q given twice", k))
					}
					d.Inputs[k] = v
				}
				if err := checkRefName(d.Ref); err != nil {
					return nil, b.formErr("ref", err)
				}
				if len(d.Inputs) > 10 {
					return nil, b.formErr("inputs", errors.New("GitHub takes at most 10 inputs"))
				}
				return d, nil
			}),
	)
}

// github makes the client and reads the repository argument.
func (b *builder) github() (*github.Client, github.Repo, error) {
	repo, err := github.ParseRepo(b.args.Get("repo"))
	if err != nil {
		return nil, github.Repo{}, b.formErr("repo", err)
	}
	if b.s.GitHub == nil {
		return nil, github.Repo{}, errors.New("this session has no GitHub client")
	}
	c, err := b.s.GitHub()
	if err != nil {
		return nil, github.Repo{}, err
	}
	return c, repo, nil
}

// buildCancelRuns cancels the runs of the workflows this incident paused
// or, when it paused none, of every signing workflow.
func buildCancelRuns(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
	evs, err := b.timeline()
	if err != nil {
		return nil, err
	}
	x := &actions.CancelRuns{Client: c, Repo: repo, Workflows: actions.PausedBy(evs, repo.String()), Force: b.args.Bool("force"), Sleep: b.s.Sleep}
	if d := b.args.Get("deadline"); d != "" {
		if x.Deadline, err = time.ParseDuration(d); err != nil || x.Deadline <= 0 {
			return nil, b.formErr("deadline", fmt.Errorf("%q is not a positive duration (2m, 90s)", d))
		}
	}
	if len(x.Workflows) > 0 {
		return x, nil
	}
	all, err := c.Workflows(b.ctx, repo, b.s.pattern())
	if err != nil {
		return nil, err
	}
	if err := github.Unreadable(all); err != nil {
		return nil, &HintError{Err: err, Hint: "nothing was cancelled; retry once the cause is fixed"}
	}
	for _, w := range all {
		if w.Uses.IsSigning() {
			x.Workflows = append(x.Workflows, actions.PausedWorkflow{ID: w.ID, File: w.File, Name: w.Name, Prior: w.State})
		}
	}
	return x, nil
}

// buildPublish publishes the record as it is now: an issue, a comment on
// an issue, or a draft security advisory with the incident's severity.
func buildPublish(b *builder, c *github.Client, repo github.Repo) (actions.Action, error) {
	kind := b.args.Get("kind")
	p := &actions.Publish{Client: c, Repo: repo, Kind: kind, Title: "Incident " + b.inc.Header.ID + ": " + b.inc.Header.Title}
	switch kind {
	case "issue", "advisory":
	case "comment":
		n, err := strconv.Atoi(b.args.Get("issue"))
		if err != nil || n <= 0 {
			return nil, b.formErr("issue", fmt.Errorf("%q is not an issue number", b.args.Get("issue")))
		}
		p.Issue = n
	default:
		return nil, b.formErr("kind", fmt.Errorf("%q is not issue, comment or advisory", kind))
	}
	rec, _, done, err := b.s.Record(b.ctx, b.inc)
	if err != nil {
		return nil, err
	}
	defer done()
	var md strings.Builder
	if err := export.WriteMarkdown(&md, rec); err != nil {
		return nil, err
	}
	p.Body = md.String()
	if len(p.Body) > publishLimit {
		p.Body = p.Body[:publishLimit] + "\n\n… (truncated: the full record is in the incident's exports)\n"
	}
	if kind == "advisory" {
		evs, err := b.timeline()
		if err != nil {
			return nil, err
		}
		st := incident.Derive(b.inc.Header, b.inc.Playbook, evs)
		p.Advisory = github.AdvisoryRequest{
			Summary:         b.inc.Header.Title,
			Description:     "Incident " + b.inc.Header.ID + " (" + b.inc.Playbook.Title + ").\n\nAffected artifacts, impacted window and remediation will be added here before publication.",
			Severity:        advisorySeverity(st.Severity),
			Vulnerabilities: []github.AdvisoryVulnerability{{Package: github.AdvisoryPackage{Ecosystem: "other", Name: repo.Name}}},
		}
		if pkg := st.Facts[actions.FactPackage]; pkg != "" {
			fillFromDeps(&p.Advisory, st.Facts, b.inc.Header.ID)
		}
	}
	return p, nil
}

// advisorySeverity is the advisory severity GitHub takes for a level.
func advisorySeverity(l severity.Level) string {
	switch l {
	case severity.Critical:
		return "critical"
	case severity.High:
		return "high"
	case severity.Medium:
		return "medium"
	}
	return "low"
}

func init() {
	register(entry{Spec: actions.Spec{Name: actions.NamePublishedVerify, Summary: "fetch the published feed, its signature, the public key (URL or pinned file) and the checksum manifest, and verify them as a ClawSec consumer does (HTTPS, or loopback)",
		Required: []string{"feed_url", "pubkey"}, Optional: []string{"sig_url", "fingerprint", "checksums_url", "checksums_sig_url"}},
		build: func(b *builder) (actions.Action, error) {
			t := published.Target{Feed: b.args.Get("feed_url"), Sig: b.args.Get("sig_url"), PubKey: b.args.Get("pubkey"), Fingerprint: b.args.Get("fingerprint"),
				Checksums: b.args.Get("checksums_url"), ChecksumsSig: b.args.Get("checksums_sig_url")}
			if !published.IsURL(t.Feed) {
				return nil, b.formErr("feed_url", fmt.Errorf("%q is not an http(s) URL", t.Feed))
			}
			return &actions.PublishedVerify{Target: t, Client: &published.Client{HTTP: b.s.HTTP}}, nil
		}})
}

// lockedBy is the gh.protect of repo's branch this incident made and has
// not undone yet (nil when none).
func (b *builder) lockedBy(repo github.Repo, branch string) (*actions.ProtectResult, error) {
	evs, err := b.timeline()
	if err != nil {
		return nil, err
	}
	var locked *actions.ProtectResult
	for _, e := range evs {
		if e.Kind != actions.KindDone {
			continue
		}
		rec, ok := actions.ParseRecord(e)
		if !ok {
			continue
		}
		switch rec.Action {
		case actions.NameGhProtect:
			if r, ok := actions.Decode[actions.ProtectResult](rec); ok && r.Repo == repo.String() && r.Branch == branch {
				locked = &r
			}
		case actions.NameGhUnprotect:
			if r, ok := actions.Decode[actions.UnprotectResult](rec); ok && r.Repo == repo.String() && r.Branch == branch {
				locked = nil
			}
		}
	}
	return locked, nil
}

// checkRefName refuses what git refuses in a branch or tag name (and what
// would reach a URL or a file name unchanged): control characters, spaces,
// "..", the characters ~^:?*[\, and more than 255 bytes.
func checkRefName(s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > 255:
		return fmt.Errorf("%d bytes: a ref name has at most 255", len(s))
	case strings.Contains(s, ".."), strings.Contains(s, "//"), strings.Contains(s, "@{"),
		strings.HasPrefix(s, "/"), strings.HasPrefix(s, "-"), strings.HasSuffix(s, "/"), strings.HasSuffix(s, "."), strings.HasSuffix(s, ".lock"):
		return fmt.Errorf("%q is not a valid git ref name", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\#%", r) {
			return fmt.Errorf("%q is not a valid git ref name (it holds %q)", s, r)
		}
	}
	return nil
}

// cveRe is a CVE id as GitHub takes it.
var cveRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })

// fillFromDeps fills a draft advisory from what deps.check recorded (INC-4):
// the package and its ecosystem, each affected range, the patched version,
// the CVE id, and the advisory's ids and summary — nothing typed by hand.
func fillFromDeps(a *github.AdvisoryRequest, f map[string]string, id string) {
	eco := map[string]string{"crates.io": "rust", "Go": "go", "npm": "npm", "PyPI": "pip"}[f[actions.FactEcosystem]]
	if eco == "" {
		eco = "other"
	}
	pkg := f[actions.FactPackage]
	// One vulnerability per affected interval, each with the version that
	// closes it (patched_versions is recorded beside affected_versions);
	// versions as GitHub writes them (a Go module's without its v).
	ghv := func(v string) string { return deps.GitHubVersion(f[actions.FactEcosystem], v) }
	ranges := splitList(f[actions.FactAffectedVersions])
	patched := splitList(f[actions.FactPatchedVersions])
	a.Vulnerabilities = nil
	for i, r := range ranges {
		v := github.AdvisoryVulnerability{Package: github.AdvisoryPackage{Ecosystem: eco, Name: pkg}}
		if r != "every version" {
			var parts []string
			for _, c := range strings.Split(r, ", ") {
				op, ver, ok := strings.Cut(c, " ")
				if !ok {
					parts = append(parts, c)
					continue
				}
				parts = append(parts, op+" "+ghv(ver))
			}
			r := strings.Join(parts, ", ")
			v.VulnerableVersionRange = &r
		}
		if i < len(patched) && patched[i] != "" {
			p := ghv(patched[i])
			v.PatchedVersions = &p
		}
		a.Vulnerabilities = append(a.Vulnerabilities, v)
	}
	if len(ranges) == 0 {
		a.Vulnerabilities = []github.AdvisoryVulnerability{{Package: github.AdvisoryPackage{Ecosystem: eco, Name: pkg}}}
	}
	if cve := f[actions.FactCVE]; cveRe().MatchString(cve) {
		a.CVEID = cve
	}
	ids := f[actions.FactAdvisoryID]
	if al := f[actions.FactAdvisoryAliases]; al != "" {
		ids += " (" + al + ")"
	}
	summary := pkg + ": " + f[actions.FactDescription]
	if f[actions.FactDescription] == "" {
		summary = pkg + " " + f[actions.FactAffectedVersions] + " is affected by " + f[actions.FactAdvisoryID]
	}
	if r := []rune(summary); len(r) > 1000 {
		summary = string(r[:1000])
	}
	a.Summary = summary
	a.Description = fmt.Sprintf("%s (%s) %s is affected by %s.\n\nAffected versions: %s\nPatched versions: %s\n\nRecorded by firebreak in incident %s.",
		pkg, f[actions.FactEcosystem], f[actions.FactVersionInUse], ids, f[actions.FactAffectedVersions], orDash(f[actions.FactFixedVersion]), id)
}

// splitList reads a fact holding a "; "-separated list; empty items keep
// their place.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := strings.Split(s, ";")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}
