package cli

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/ghsim"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
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

// ghNew builds the GitHub client from the token in the environment and the
// API URL (the flag's, else the environment's).
func (a *invocation) ghNew(apiURL string) (*github.Client, error) {
	if apiURL == "" {
		apiURL = github.BaseURLFromEnv(a.getenv)
	}
	c, err := github.New(github.Config{Token: github.TokenFromEnv(a.getenv), BaseURL: apiURL, Sleep: a.ghSleep})
	switch {
	case errors.Is(err, github.ErrNoToken):
		return nil, withHint(err, "export GITHUB_TOKEN: a token with the permissions the command needs (Actions, Secrets, Contents, Issues; Repository security advisories for a draft advisory)")
	case errors.Is(err, github.ErrInsecureURL):
		return nil, withHint(err, "use the https URL of the API (GitHub Enterprise: https://HOST), or run the simulator on loopback: firebreak gh sim")
	}
	return c, err
}

// ghTarget checks the gh flags: the repository and the secret pattern.
func ghTarget(g *ghFlags) (github.Repo, *regexp.Regexp, error) {
	if g.repo == "" {
		return github.Repo{}, nil, usagef("--repo org/name", "--repo is required")
	}
	repo, err := github.ParseRepo(g.repo)
	if err != nil {
		return github.Repo{}, nil, usagef("", "%v", err)
	}
	pat, err := regexp.Compile(g.pattern)
	if err != nil {
		return github.Repo{}, nil, usagef("", "--secret-pattern: %v", err)
	}
	return repo, pat, nil
}

// ghClient is the client, repository and pattern of a command that only
// reads (the drill's simulator in a drill).
func (a *invocation) ghClient(g *ghFlags) (*github.Client, github.Repo, *regexp.Regexp, error) {
	repo, pat, err := ghTarget(g)
	if err != nil {
		return nil, github.Repo{}, nil, err
	}
	c, err := a.session(sessionOpts{gh: g}).GitHub()
	if err != nil {
		return nil, github.Repo{}, nil, err
	}
	return c, repo, pat, nil
}

// ghAct loads the incident (first, so an unknown id is reported before
// anything about GitHub), checks the gh flags, and runs the GitHub action
// name for it.
func (a *invocation) ghAct(ref string, g *ghFlags, pf *pipeFlags, name string, args app.Args) error {
	inc, err := a.load(ref)
	if err != nil {
		return err
	}
	_, pat, err := ghTarget(g)
	if err != nil {
		return err
	}
	_, err = a.act(inc, pf, sessionOpts{gh: g, pattern: pat}, name, args.With("repo", g.repo))
	return err
}

var cmdGhWorkflows = &command{
	name: "gh workflows", args: "--repo OWNER/REPO [--json]",
	summary: "List the repository's workflows with their state, and find the signing workflows by reading each\nworkflow file for signing-secret references (names matching --secret-pattern).",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
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

var cmdGhPause = &command{
	name: "gh pause", args: "ID --repo OWNER/REPO [--workflow FILE]... [--yes] [--dry-run]",
	summary: "Disable the signing workflows (or the ones named), skipping those already disabled, and record\nexactly which workflows firebreak disabled, so that gh resume re-enables only those.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		var files multiFlag
		fs.Var(&files, "workflow", "workflow `FILE` to pause (repeatable; default: every signing workflow)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			return a.ghAct(args[0], g, pf, actions.NameGhPause, app.Args{}.WithList("workflows", files))
		}
	},
}

var cmdGhResume = &command{
	name: "gh resume", args: "ID --repo OWNER/REPO [--yes] [--dry-run]",
	summary: "Re-enable exactly the workflows this incident paused (and that are still disabled by hand);\nworkflows disabled before the incident stay as they were.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			return a.ghAct(args[0], g, pf, actions.NameGhResume, app.Args{})
		}
	},
}

var cmdGhCancel = &command{
	name: "gh cancel-runs", args: "ID --repo OWNER/REPO [--force] [--deadline 2m] [--yes] [--dry-run]",
	summary: "Cancel the queued and running runs of the workflows this incident paused (or, if none, of the\nsigning workflows), wait until each has stopped, and force-cancel the stragglers with --force.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		force := fs.Bool("force", false, "force-cancel runs that have not stopped by the deadline")
		deadline := fs.Duration("deadline", 2*time.Minute, "how long to wait for each run to stop")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *deadline <= 0 {
				return usagef("--deadline 2m", "--deadline must be positive")
			}
			return a.ghAct(args[0], g, pf, actions.NameGhCancelRuns, app.Args{}.With("force", strconv.FormatBool(*force)).With("deadline", deadline.String()))
		}
	},
}

var cmdGhSecrets = &command{
	name: "gh secrets", args: "--repo OWNER/REPO [--env NAME] [--json]",
	summary: "List the repository's (or an environment's) Actions secrets: names and dates; GitHub never returns values.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
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
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		name := fs.String("name", "", "secret `NAME`")
		file := fs.String("from-file", "", "`FILE` holding the value")
		env := fs.String("env", "", "environment `NAME`")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *name == "" || *file == "" {
				return usagef("firebreak gh secret-set ID --repo org/repo --name SIGNING_KEY --from-file new-signing-key.pem", "--name and --from-file are required")
			}
			return a.ghAct(args[0], g, pf, actions.NameGhSecretSet, app.Args{}.With("name", *name).With("file", *file).With("env", *env))
		}
	},
}

var cmdGhSecretDelete = &command{
	name: "gh secret-delete", args: "ID --repo OWNER/REPO --name NAME [--env NAME] [--yes] [--dry-run]",
	summary: "Delete an Actions secret (the compromised signing key). On a terminal you type the secret's name to confirm.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		name := fs.String("name", "", "secret `NAME`")
		env := fs.String("env", "", "environment `NAME`")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *name == "" {
				return usagef("", "--name is required")
			}
			return a.ghAct(args[0], g, pf, actions.NameGhSecretDelete, app.Args{}.With("name", *name).With("env", *env))
		}
	},
}

var cmdGhAudit = &command{
	name: "gh audit", args: "ID --repo OWNER/REPO --since TIME [--path P]... [--no-logs]",
	summary: "Collect the commits touching signing paths (default .github/workflows, advisories and key files) and\nthe workflow runs (actor, event, head SHA, conclusion) since TIME, and save them into the incident's\nevidence as JSON with its hash, with each run's log archive (GitHub deletes them after the retention\nperiod; --no-logs skips them).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		since := fs.String("since", "", "from `TIME` (RFC 3339, \"YYYY-MM-DD HH:MM\" UTC, -2d)")
		var paths multiFlag
		fs.Var(&paths, "path", "a `PATH` to audit (repeatable)")
		noLogs := fs.Bool("no-logs", false, "do not download the runs' log archives")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *since == "" {
				return usagef("--since -2d", "--since is required")
			}
			if _, err := incident.ParseTime(*since, a.now()); err != nil {
				return usagef("", "--since: %v", err)
			}
			pf.yes = true // it only adds to the evidence
			logs := ""
			if *noLogs {
				logs = "false"
			}
			return a.ghAct(args[0], g, pf, actions.NameGhAudit, app.Args{}.With("since", *since).WithList("paths", paths).With("logs", logs))
		}
	},
}

// branchCmd is a gh command on one branch of the incident's repository.
func branchCmd(name, summary, action string) *command {
	return &command{
		name: name, args: "ID --repo OWNER/REPO --branch B [--yes] [--dry-run]", summary: summary,
		minArgs: 1, maxArgs: 1,
		bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
			g := ghFlagSet(fs)
			branch := fs.String("branch", "", "the `BRANCH` (e.g. main)")
			pf := pipelineFlags(fs)
			return func(args []string) error {
				if *branch == "" {
					return usagef("firebreak "+name+" ID --repo org/repo --branch main", "--branch is required")
				}
				return a.ghAct(args[0], g, pf, action, app.Args{}.With("branch", *branch))
			}
		},
	}
}

var cmdGhProtect = branchCmd("gh protect",
	"Block merges and pushes to branch B while authenticity is uncertain: keep its protection as evidence\n(update replaces all of it), then lock it read-only, require an approving review, enforce it for\nadmins, forbid force pushes and deletion. gh unprotect restores exactly what was there.",
	actions.NameGhProtect)

var cmdGhUnprotect = branchCmd("gh unprotect",
	"Restore the protection gh protect found on branch B in this incident (a branch that had none keeps an\nempty rule: GitHub removes rules only by deleting them, which firebreak does not do; the plan says how).",
	actions.NameGhUnprotect)

var cmdGhPinPR = &command{
	name: "gh pin-pr", args: "ID --repo OWNER/REPO --old PUB --new PUB --path P... [--base main] [--branch B] [--yes] [--dry-run]",
	summary: "Propose the pin update as a pull request instead of a local commit: on a new branch from --base, replace\nevery pinned copy of the old public key (key files, PEM blocks, fingerprints) in the repository files\n--path with the new one, one commit per file, and open a pull request (git/get-ref, git/create-ref,\nrepos/create-or-update-file-contents, pulls/create). Asks first.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		old := fs.String("old", "", "the revoked public key `PUB`")
		nw := fs.String("new", "", "the replacement public key `PUB`")
		var paths multiFlag
		fs.Var(&paths, "path", "a repository `PATH` that pins the key (repeatable)")
		base := fs.String("base", "", "the branch to propose into (default main)")
		branch := fs.String("branch", "", "the new branch (default firebreak/pin-FINGERPRINT)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *old == "" || *nw == "" || len(paths) == 0 {
				return usagef("firebreak gh pin-pr ID --repo org/repo --old old.pub.pem --new new.pub.pem --path advisories/feed-signing-public.pem", "--old, --new and --path are required")
			}
			return a.ghAct(args[0], g, pf, actions.NameGhPinPR, app.Args{}.With("old", *old).With("new", *nw).WithList("paths", paths).With("base", *base).With("branch", *branch))
		}
	},
}

var cmdGhLogs = &command{
	name: "gh logs", args: "ID --repo OWNER/REPO --run N [--run N]...",
	summary: "Keep the log archives (zip) of workflow runs in the incident's evidence, with their hashes: GitHub\ndeletes run logs after the repository's retention period (gh audit keeps those of the runs in its window).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		var runs multiFlag
		fs.Var(&runs, "run", "a workflow run `N` (repeatable)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if len(runs) == 0 {
				return usagef("firebreak gh logs ID --repo org/repo --run 123456", "--run is required")
			}
			pf.yes = true // it only adds to the evidence
			return a.ghAct(args[0], g, pf, actions.NameGhLogs, app.Args{}.WithList("runs", runs))
		}
	},
}

var cmdGhDispatch = &command{
	name: "gh dispatch", args: "ID --repo OWNER/REPO --workflow FILE [--ref REF] [--input K=V]... [--wait 10m] [--yes] [--dry-run]",
	summary: "Redeploy: run a workflow (actions/create-workflow-dispatch) on REF (default main) with inputs, then\nwait for the run it creates to appear and finish, and report its conclusion. Asks first (it publishes\nwhat the workflow publishes). Exit 1 unless the run succeeded within --wait.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		g := ghFlagSet(fs)
		workflow := fs.String("workflow", "", "the workflow `FILE` (e.g. deploy-pages.yml)")
		ref := fs.String("ref", "", "the branch or tag to run on (default main)")
		var inputs multiFlag
		fs.Var(&inputs, "input", "an input `KEY=VALUE` (repeatable, at most 10)")
		wait := fs.String("wait", "", "how long the run may take (default 10m)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *workflow == "" {
				return usagef("firebreak gh dispatch ID --repo org/repo --workflow deploy-pages.yml", "--workflow is required")
			}
			return a.ghAct(args[0], g, pf, actions.NameGhDispatch, app.Args{}.With("workflow", *workflow).With("ref", *ref).With("wait", *wait).WithList("inputs", inputs))
		}
	},
}

var cmdGhPublish = &command{
	name: "gh publish", args: "ID --repo OWNER/REPO (--issue | --comment N | --advisory) [--yes] [--dry-run]",
	summary: "Publish the incident: an issue carrying the exported timeline (Markdown), a comment with the current\nrecord on issue N, or a draft repository security advisory (severity from the incident's).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
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
			kind := app.Args{}.With("kind", "advisory")
			switch {
			case *asIssue:
				kind = kind.With("kind", "issue")
			case *comment > 0:
				kind = kind.With("kind", "comment").With("issue", strconv.Itoa(*comment))
			}
			return a.ghAct(args[0], g, pf, actions.NameGhPublish, kind)
		}
	},
}

var cmdGhSim = &command{
	name: "gh sim", args: "[--addr 127.0.0.1:PORT] [--state FILE | --repo OWNER/REPO [--workflows DIR] [--secret NAME]...] [--token T]",
	summary: "Run the GitHub simulator on loopback (for demos and drills) until interrupted, and print its URL and\ntoken. --state FILE seeds it from JSON (repositories, workflow files, disabled workflows, runs,\nsecrets, environments); otherwise --repo, --workflows DIR and --secret seed one repository.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
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
