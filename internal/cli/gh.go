package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/ghsim"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// ghFlags are the flags every gh command has.
type ghFlags struct {
	repo, apiURL, pattern string
}

func ghFlagSet(fs *flag.FlagSet) *ghFlags {
	g := &ghFlags{}
	fs.StringVar(&g.repo, "repo", "", "the repository, `OWNER/REPO`")
	fs.StringVar(&g.apiURL, "api-url", "", "API `URL` (env GITHUB_API_URL; GitHub Enterprise: https://HOST, /api/v3/ is added)")
	fs.StringVar(&g.pattern, "secret-pattern", github.DefaultSecretPattern.String(), "`REGEXP` of secret names that mark a signing workflow")
	return g
}

// client builds the GitHub client from the token in the environment.
func (a *app) ghClient(g *ghFlags) (*github.Client, github.Repo, *regexp.Regexp, error) {
	if g.repo == "" {
		return nil, github.Repo{}, nil, usagef("--repo org/name", "--repo is required")
	}
	repo, err := github.ParseRepo(g.repo)
	if err != nil {
		return nil, github.Repo{}, nil, usagef("", "%v", err)
	}
	pat, err := regexp.Compile(g.pattern)
	if err != nil {
		return nil, github.Repo{}, nil, usagef("", "--secret-pattern: %v", err)
	}
	base := g.apiURL
	if base == "" {
		base = github.BaseURLFromEnv(a.getenv)
	}
	c, err := github.New(github.Config{Token: github.TokenFromEnv(a.getenv), BaseURL: base, Sleep: a.ghSleep})
	switch {
	case errors.Is(err, github.ErrNoToken):
		return nil, github.Repo{}, nil, withHint(err, "create a token with the permissions the command needs (Actions, Secrets, Contents, Issues) and export it")
	case errors.Is(err, github.ErrInsecureURL):
		return nil, github.Repo{}, nil, withHint(err, "use the https URL of the API (GitHub Enterprise: https://HOST), or run the simulator on loopback: firebreak gh sim")
	case err != nil:
		return nil, github.Repo{}, nil, err
	}
	return c, repo, pat, nil
}

var cmdGhWorkflows = &command{
	name: "gh workflows", args: "--repo OWNER/REPO [--json]",
	summary: "List the repository's workflows with their state, and find the signing workflows by reading each\nworkflow file for signing-secret references (names matching --secret-pattern).",
	maxArgs: 0,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		jsonFlag(a, fs)
		return func([]string) error {
			c, repo, pat, err := a.ghClient(g)
			if err != nil {
				return err
			}
			wfs, err := c.Workflows(a.ctx, repo, pat)
			if err != nil {
				return err
			}
			partial := github.Unreadable(wfs)
			if a.json {
				if wfs == nil {
					wfs = []github.Workflow{}
				}
				if err := a.printJSON(wfs); err != nil {
					return err
				}
				return partial
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FILE\tSTATE\tSIGNING\tSECRETS\tNAME")
			for _, w := range wfs {
				sign := "-"
				if w.Uses.IsSigning() {
					sign = "YES: " + strings.Join(w.Uses.Signing, ", ")
				} else if w.Uses.Inherits {
					sign = "maybe (secrets: inherit)"
				}
				if w.ReadError != "" {
					sign = "? (" + textutil.Line(w.ReadError) + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", textutil.Line(w.File), w.State, sign, len(w.Uses.Secrets), textutil.Line(w.Name))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return partial
		}
	},
}

// ghTarget is what a gh command that acts for an incident works with.
type ghTarget struct {
	inc  *incident.Incident
	evs  []journal.Event // the incident's timeline
	c    *github.Client
	repo github.Repo
	pat  *regexp.Regexp
}

// ghFor loads the incident (first, so an unknown id is reported before
// anything about GitHub) and builds the client.
func (a *app) ghFor(ref string, g *ghFlags) (*ghTarget, error) {
	inc, err := a.load(ref)
	if err != nil {
		return nil, err
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	c, repo, pat, err := a.ghClient(g)
	if err != nil {
		return nil, err
	}
	return &ghTarget{inc: inc, evs: evs, c: c, repo: repo, pat: pat}, nil
}

var cmdGhPause = &command{
	name: "gh pause", args: "ID --repo OWNER/REPO [--workflow FILE]... [--yes] [--dry-run]",
	summary: "Disable the signing workflows (or the ones named), skipping those already disabled, and record\nexactly which workflows firebreak disabled, so that gh resume re-enables only those.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		var files multiFlag
		fs.Var(&files, "workflow", "workflow `FILE` to pause (repeatable; default: every signing workflow)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			_, err = a.runAction(x.inc, pf, &actions.PauseWorkflows{Client: x.c, Repo: x.repo, Files: files, Pattern: x.pat})
			return err
		}
	},
}

var cmdGhResume = &command{
	name: "gh resume", args: "ID --repo OWNER/REPO [--yes] [--dry-run]",
	summary: "Re-enable exactly the workflows this incident paused (and that are still disabled by hand);\nworkflows disabled before the incident stay as they were.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			_, err = a.runAction(x.inc, pf, &actions.ResumeWorkflows{Client: x.c, Repo: x.repo, Paused: actions.PausedBy(x.evs, x.repo.String())})
			return err
		}
	},
}

var cmdGhCancel = &command{
	name: "gh cancel-runs", args: "ID --repo OWNER/REPO [--force] [--deadline 2m] [--yes] [--dry-run]",
	summary: "Cancel the queued and running runs of the workflows this incident paused (or, if none, of the\nsigning workflows), wait until each has stopped, and force-cancel the stragglers with --force.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		force := fs.Bool("force", false, "force-cancel runs that have not stopped by the deadline")
		deadline := fs.Duration("deadline", 2*time.Minute, "how long to wait for each run to stop")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			wfs := actions.PausedBy(x.evs, x.repo.String())
			if len(wfs) == 0 {
				all, err := x.c.Workflows(a.ctx, x.repo, x.pat)
				if err != nil {
					return err
				}
				if err := github.Unreadable(all); err != nil {
					return withHint(err, "nothing was cancelled; retry once the cause is fixed")
				}
				for _, w := range all {
					if w.Uses.IsSigning() {
						wfs = append(wfs, actions.PausedWorkflow{ID: w.ID, File: w.File, Name: w.Name, Prior: w.State})
					}
				}
			}
			_, err = a.runAction(x.inc, pf, &actions.CancelRuns{Client: x.c, Repo: x.repo, Workflows: wfs, Force: *force, Deadline: *deadline, Sleep: a.ghSleep})
			return err
		}
	},
}

var cmdGhSecrets = &command{
	name: "gh secrets", args: "--repo OWNER/REPO [--env NAME] [--json]",
	summary: "List the repository's (or an environment's) Actions secrets: names and dates; GitHub never returns values.",
	maxArgs: 0,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		env := fs.String("env", "", "environment `NAME`")
		jsonFlag(a, fs)
		return func([]string) error {
			c, repo, pat, err := a.ghClient(g)
			if err != nil {
				return err
			}
			ss, err := c.Secrets(a.ctx, repo, *env)
			if err != nil {
				return err
			}
			if a.json {
				if ss == nil {
					ss = []github.Secret{}
				}
				return a.printJSON(ss)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSIGNING\tCREATED\tUPDATED")
			for _, s := range ss {
				sign := ""
				if pat.MatchString(s.Name) {
					sign = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", textutil.Line(s.Name), sign, stampUTC(s.Created), stampUTC(s.Updated))
			}
			return tw.Flush()
		}
	},
}

var cmdGhSecretSet = &command{
	name: "gh secret-set", args: "ID --repo OWNER/REPO --name NAME --from-file FILE [--env NAME] [--yes] [--dry-run]",
	summary: "Create or update an Actions secret from a file (a new signing key, say), sealed to the repository's\nor environment's public key. The journal records the file's SHA-256, never its contents.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		name := fs.String("name", "", "secret `NAME`")
		file := fs.String("from-file", "", "`FILE` holding the value")
		env := fs.String("env", "", "environment `NAME`")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *name == "" || *file == "" {
				return usagef("firebreak gh secret-set ID --repo org/repo --name SIGNING_KEY --from-file new-signing-key.pem", "--name and --from-file are required")
			}
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			_, err = a.runAction(x.inc, pf, &actions.SetSecret{Client: x.c, Repo: x.repo, Env: *env, Name: *name, File: *file})
			return err
		}
	},
}

var cmdGhSecretDelete = &command{
	name: "gh secret-delete", args: "ID --repo OWNER/REPO --name NAME [--env NAME] [--yes] [--dry-run]",
	summary: "Delete an Actions secret (the compromised signing key). On a terminal you type the secret's name to confirm.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		name := fs.String("name", "", "secret `NAME`")
		env := fs.String("env", "", "environment `NAME`")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *name == "" {
				return usagef("", "--name is required")
			}
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			_, err = a.runAction(x.inc, pf, &actions.DeleteSecret{Client: x.c, Repo: x.repo, Env: *env, Name: *name})
			return err
		}
	},
}

var cmdGhAudit = &command{
	name: "gh audit", args: "ID --repo OWNER/REPO --since TIME [--path P]...",
	summary: "Collect the commits touching signing paths (default .github/workflows, advisories and key files) and\nthe workflow runs (actor, event, head SHA, conclusion) since TIME, and save them into the incident's\nevidence as JSON with its hash.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		since := fs.String("since", "", "from `TIME` (RFC 3339, \"YYYY-MM-DD HH:MM\" UTC, -2d)")
		var paths multiFlag
		fs.Var(&paths, "path", "a `PATH` to audit (repeatable)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *since == "" {
				return usagef("--since -2d", "--since is required")
			}
			t, err := incident.ParseTime(*since, a.now())
			if err != nil {
				return usagef("", "--since: %v", err)
			}
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			inc := x.inc
			ps := []string(paths)
			if len(ps) == 0 {
				ps = []string{".github/workflows", "advisories", "clawsec-signing-public.pem", ".github/actions"}
			}
			store := evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
			store.Now = a.now
			pf.yes = true // it only adds to the evidence
			_, err = a.runAction(inc, pf, &actions.Audit{Client: x.c, Repo: x.repo, Since: t, Paths: ps, Store: store, Scratch: filepath.Join(inc.Dir, "exports"), Actor: a.actor, Now: a.now})
			return err
		}
	},
}

var cmdGhPublish = &command{
	name: "gh publish", args: "ID --repo OWNER/REPO (--issue | --comment N | --advisory) [--yes] [--dry-run]",
	summary: "Publish the incident: an issue carrying the exported timeline (Markdown), a comment with the current\nrecord on issue N, or a draft repository security advisory (severity from the incident's).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		asIssue := fs.Bool("issue", false, "open an issue with the timeline")
		comment := fs.Int("comment", 0, "comment on issue `N` with the current record")
		asAdvisory := fs.Bool("advisory", false, "file a draft security advisory")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			n := 0
			for _, b := range []bool{*asIssue, *comment > 0, *asAdvisory} {
				if b {
					n++
				}
			}
			if n != 1 {
				return usagef("", "give exactly one of --issue, --comment N, --advisory")
			}
			x, err := a.ghFor(args[0], g)
			if err != nil {
				return err
			}
			inc, evs, c, repo := x.inc, x.evs, x.c, x.repo
			st := incident.Derive(inc.Header, inc.Playbook, evs)
			rep, err := inc.Journal.Verify(a.ctx, journal.VerifyOptions{})
			if err != nil {
				return err
			}
			var md bytes.Buffer
			if err := export.WriteMarkdown(&md, export.Build(inc, st, evs, rep, a.now())); err != nil {
				return err
			}
			body := md.String()
			const limit = 65000 // GitHub's body limit is 65,536 characters
			if len(body) > limit {
				body = body[:limit] + "\n\n… (truncated: the full record is in the incident's exports)\n"
			}
			p := &actions.Publish{Client: c, Repo: repo, Title: "Incident " + inc.Header.ID + ": " + inc.Header.Title, Body: body, Issue: *comment}
			switch {
			case *asIssue:
				p.Kind = "issue"
			case *comment > 0:
				p.Kind = "comment"
			default:
				p.Kind = "advisory"
				p.Advisory = github.AdvisoryRequest{
					Summary:         inc.Header.Title,
					Description:     "Incident " + inc.Header.ID + " (" + inc.Playbook.Title + ").\n\nAffected artifacts, impacted window and remediation will be added here before publication.",
					Severity:        strings.ToLower(advisorySeverity(st.Severity)),
					Vulnerabilities: []github.AdvisoryVulnerability{{Package: github.AdvisoryPackage{Ecosystem: "other", Name: repo.Name}}},
				}
			}
			_, err = a.runAction(inc, pf, p)
			return err
		}
	},
}

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

var cmdGhSim = &command{
	name: "gh sim", args: "[--addr 127.0.0.1:PORT] [--state FILE | --repo OWNER/REPO [--workflows DIR] [--secret NAME]...] [--token T]",
	summary: "Run the GitHub simulator on loopback (for demos and drills) until interrupted, and print its URL and\ntoken. --state FILE seeds it from JSON (repositories, workflow files, disabled workflows, runs,\nsecrets, environments); otherwise --repo, --workflows DIR and --secret seed one repository.",
	maxArgs: 0,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		addr := fs.String("addr", "127.0.0.1:0", "loopback `ADDR` to listen on")
		stateFile := fs.String("state", "", "JSON `FILE` to seed the simulator from")
		repo := fs.String("repo", "demo/signing", "`OWNER/REPO` to create")
		wfDir := fs.String("workflows", "", "`DIR` of workflow files to load")
		token := fs.String("token", "ghp_firebreaksimulator000000000000000000", "the `TOKEN` the simulator accepts")
		var secrets multiFlag
		fs.Var(&secrets, "secret", "a repository secret `NAME` to create (repeatable)")
		return func([]string) error {
			st := &ghsim.State{Token: *token, Repos: []ghsim.RepoState{{Name: *repo, WorkflowsDir: *wfDir, Secrets: secrets}}}
			if *stateFile != "" {
				var err error
				if st, err = ghsim.LoadState(*stateFile); err != nil {
					return err
				}
				if st.Token == "" {
					st.Token = *token
				}
			}
			for _, r := range st.Repos {
				if _, err := github.ParseRepo(r.Name); err != nil {
					return usagef("", "%v", err)
				}
			}
			s := ghsim.New(st.Token)
			if err := s.Apply(st); err != nil {
				return err
			}
			url, stop, err := s.Listen(*addr)
			if err != nil {
				return err
			}
			defer stop()
			for _, r := range st.Repos {
				a.printf("GitHub simulator at %s, repository %s\n", url, r.Name)
			}
			a.printf("export GITHUB_API_URL=%s GITHUB_TOKEN=%s\n", url, st.Token)
			<-a.ctx.Done()
			return nil
		}
	},
}
