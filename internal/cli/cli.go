// Package cli is firebreak's command line: every thing the console does also
// exists here as a command, with --json where it prints data. Run is the
// whole program; main only wires the signal context and the process's
// streams to it.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// invocation is one run of firebreak: streams, environment and global
// options. Its actions are built in a session (session.go).
type invocation struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time

	home         string
	actor        string
	playbookDirs multiFlag
	noColor      bool
	json         bool
	noTTY        bool // never prompt on the terminal (tests, CI)
	accessible   bool // line-based console (--accessible, ACCESSIBLE=1, TERM=dumb)
	// lineIn, in the accessible console, is where confirmations and
	// missing facts are read from (the session's own lines).
	lineIn *bufio.Reader
	// ghSleep waits between GitHub polls and retries; nil is a real wait.
	ghSleep func(context.Context, time.Duration) error

	// github, when set, is the GitHub every action talks to (a drill's
	// simulator); nil is the token and API from the environment.
	github func() (*github.Client, error)

	ws  *incident.Workspace
	lib *playbooks.Library
}

// Run runs firebreak with args (without the program name) and returns the
// process exit status: 0 success, 1 failure, 2 usage error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &invocation{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	return a.run(args)
}

func (a *invocation) run(args []string) int {
	err := a.dispatch(args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == errSilent {
		return 1
	}
	msg := textutil.Clean(err.Error(), true)
	for _, line := range strings.Split(msg, "\n") {
		fmt.Fprintf(a.stderr, "firebreak: error: %s\n", line)
	}
	if h := hintFor(err); h != "" {
		fmt.Fprintf(a.stderr, "firebreak: hint: %s\n", textutil.Clean(h, false))
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// group is a heading of the command table: `firebreak help` and
// docs/commands.md are written from these, never by hand.
type group struct {
	title string
	cmds  []*command
}

var (
	groups   []group
	commands []*command // every command, in the groups' order
)

func init() {
	groups = []group{
		{"Incidents", []*command{cmdIncidentOpen, cmdIncidentList, cmdIncidentShow, cmdIncidentClose, cmdIncidentReopen,
			cmdStep, cmdRun, cmdNote, cmdFact, cmdMilestone, cmdSeverity, cmdMetrics}},
		{"Team (sync through git, roles, approvals, follow-ups, search)", []*command{cmdSyncInit, cmdSync, cmdRole, cmdHandoff, cmdAssign, cmdApprove,
			cmdFollowupAdd, cmdFollowupList, cmdFollowupDone, cmdSearch}},
		{"Timeline", []*command{cmdTimeline, cmdTimelineVerify, cmdTimelineRepair, cmdTimelineSeal, cmdExport}},
		{"Evidence and keys (changes go through plan -> confirm -> execute -> verify -> record)", []*command{
			cmdEvidenceQuarantine, cmdEvidenceAdd, cmdEvidenceVerify, cmdEvidenceClean, cmdEvidenceList,
			cmdKeyIsolate, cmdKeyGenerate, cmdKeyFingerprint, cmdKeyAge, cmdKeyCheck, cmdHash}},
		{"Signatures and checksums (ClawSec formats)", []*command{cmdSign, cmdVerify, cmdChecksumsMake, cmdChecksumsVerify, cmdPublishedVerify}},
		{"WebAssembly module signatures (byte-compatible with wsc and wasmsign2)", []*command{
			cmdWasmShow, cmdWasmVerify, cmdWasmSign, cmdWasmScan, cmdWasmResign}},
		{"Sigstore, offline (a trusted_root.json; the verifier is sigstore-go, run as firebreak-sigstore)", []*command{
			cmdSigstoreVerify, cmdSigstoreAudit, cmdSigstoreRootDiff, cmdSigstorePin, cmdSigstoreBlock}},
		{"Dependencies (OSV advisories against lockfiles, offline)", []*command{cmdDepsCheck}},
		{"GitHub (token from GITHUB_TOKEN or GH_TOKEN; --api-url or GITHUB_API_URL for GitHub Enterprise)", []*command{
			cmdGhWorkflows, cmdGhPause, cmdGhResume, cmdGhCancel, cmdGhSecrets, cmdGhSecretSet, cmdGhSecretDelete,
			cmdGhAudit, cmdGhLogs, cmdGhProtect, cmdGhUnprotect, cmdGhPinPR, cmdGhDispatch, cmdGhPublish, cmdGhSim}},
		{"Communications", []*command{cmdCommsList, cmdCommsRender, cmdContacts}},
		{"Drills (the same steps and actions as a real incident, against a sandbox)", []*command{cmdDrill, cmdDrillHistory}},
		{"Playbooks", []*command{cmdPlaybooksList, cmdPlaybooksShow, cmdPlaybooksValidate}},
		{"Other", []*command{cmdVersion}},
	}
	for _, g := range groups {
		commands = append(commands, g.cmds...)
	}
}

// find returns the command named by the leading arguments.
func find(args []string) (*command, []string) {
	var best *command
	bestLen := 0
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(words) > len(args) || len(words) <= bestLen {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, bestLen = c, len(words)
		}
	}
	if best == nil {
		return nil, args
	}
	return best, args[bestLen:]
}

func (a *invocation) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.home, "home", a.home, "workspace `DIR` (env FIREBREAK_HOME)")
	fs.StringVar(&a.actor, "actor", a.actor, "who is acting, for the journal (env FIREBREAK_ACTOR; default: login name)")
	fs.Var(&a.playbookDirs, "playbooks", "extra playbook `DIR` (repeatable)")
	fs.BoolVar(&a.noColor, "no-color", a.noColor, "no colour (also NO_COLOR)")
	fs.BoolVar(&a.accessible, "accessible", a.accessible, "line-based console for screen readers (also ACCESSIBLE=1, TERM=dumb)")
}

func (a *invocation) dispatch(args []string) error {
	// Global flags may come before the command.
	pre := flag.NewFlagSet("firebreak", flag.ContinueOnError)
	a.globalFlags(pre)
	help := pre.Bool("help", false, "")
	pre.BoolVar(help, "h", false, "")
	pre.SetOutput(io.Discard)
	if err := pre.Parse(args); err != nil {
		return usagef("firebreak help", "%v", err)
	}
	args = pre.Args()
	if *help || (len(args) > 0 && args[0] == "help") {
		if len(args) > 1 {
			return a.helpFor(args[1:])
		}
		a.usage(a.stdout)
		return nil
	}
	if len(args) == 0 {
		return a.console()
	}
	cmd, rest := find(args)
	if cmd == nil {
		return usagef(suggest(args), "unknown command %q", strings.Join(args[:min(2, len(args))], " "))
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	a.globalFlags(fs)
	run := cmd.bind(a, fs)
	cmdHelp := fs.Bool("help", false, "")
	pos, err := parse(fs, rest)
	if errors.Is(err, flag.ErrHelp) || *cmdHelp {
		a.commandHelp(a.stdout, cmd)
		return nil
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			ue.hint = "firebreak " + cmd.name + " " + cmd.args
		}
		return err
	}
	if len(pos) < cmd.minArgs || (cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs) {
		return usagef("firebreak "+cmd.name+" "+cmd.args, "wrong number of arguments for %q", cmd.name)
	}
	if err := a.setup(); err != nil {
		return err
	}
	return run(pos)
}

var actorClean = regexp.MustCompile(`[^A-Za-z0-9._@-]+`)

// setup resolves the workspace, actor and playbook library.
func (a *invocation) setup() error {
	if a.home == "" {
		h, err := incident.DefaultHome(a.getenv)
		if err != nil {
			return err
		}
		a.home = h
	}
	if a.actor == "" {
		a.actor = a.getenv("FIREBREAK_ACTOR")
	}
	if a.actor == "" {
		name := a.getenv("USER")
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username
		}
		name = strings.Trim(actorClean.ReplaceAllString(name, "-"), "-._@")
		if !journal.ValidActor(name) {
			name = "responder"
		}
		a.actor = name
	}
	if !journal.ValidActor(a.actor) {
		return usagef("use letters, digits, '.', '_', '@' and '-' (at most 64)", "actor %q is not a valid name", a.actor)
	}
	if a.getenv("NO_COLOR") != "" {
		a.noColor = true
	}
	// The home is held absolute: records name stores by path, and a
	// relative home would name a different place from another directory.
	if abs, err := filepath.Abs(a.home); err == nil {
		a.home = abs
	}
	a.ws = &incident.Workspace{Home: a.home, Now: a.now}
	return nil
}

// library loads the playbooks once.
func (a *invocation) library() (*playbooks.Library, error) {
	if a.lib != nil {
		return a.lib, nil
	}
	lib, err := playbooks.Load(a.playbookDirs, playbooks.Options{Actions: app.CheckArgs})
	if err != nil {
		return nil, err
	}
	a.lib = lib
	return lib, nil
}

func (a *invocation) load(ref string) (*incident.Incident, error) {
	return a.ws.Load(ref)
}

// parseAt reads an --at value; empty means now.
func (a *invocation) parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := incident.ParseTime(s, a.now())
	if err != nil {
		return time.Time{}, usagef("", "--at: %v", err)
	}
	return t, nil
}

func (a *invocation) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf writes to stdout; user-derived text must already be cleaned.
func (a *invocation) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// hintFor gives the hint line for an error.
func hintFor(err error) string {
	var (
		he  *hintError
		ue  *usageError
		nf  *incident.NotFoundError
		us  *incident.UnknownStepError
		fe  *incident.FactError
		te  *playbooks.TransitionError
		tor *journal.TornError
		se  *redact.SecretError
		ge  *github.APIError
		ah  *app.HintError
		sr  *homesync.RefusedError
		sf  *homesync.ForkError
		sn  *homesync.NotInitializedError
		ae  *incident.ApprovalError
		re  *incident.RoleError
		nc  *incident.NotCommanderError
	)
	switch {
	case errors.As(err, &nc):
		return nc.Hint()
	case errors.As(err, &ae):
		return ae.Hint()
	case errors.As(err, &re):
		return "firebreak incident show ID lists who holds which role"
	case errors.As(err, &sf):
		return sf.Hint()
	case errors.As(err, &sr):
		return sr.Hint
	case errors.As(err, &sn):
		return "firebreak sync init --remote URL (docs/sync.md)"
	case errors.As(err, &ge):
		return ge.Hint
	case errors.As(err, &ah):
		return ah.Hint
	case errors.As(err, &he):
		return he.hint
	case errors.As(err, &ue):
		return ue.hint
	case errors.As(err, &nf):
		if len(nf.Partial) > 1 {
			return "matches: " + strings.Join(first(nf.Partial, 5), ", ")
		}
		if len(nf.Known) == 0 && !nf.Invalid {
			return "there are no incidents yet: firebreak incident open --playbook INC-1 --title TEXT"
		}
		if len(nf.Known) == 0 {
			return "firebreak incident list shows the ids"
		}
		return "recent incidents: " + strings.Join(first(nf.Known, 5), ", ") + " (firebreak incident list)"
	case errors.As(err, &us):
		return "steps of " + us.Playbook + ": " + strings.Join(us.Known, ", ")
	case errors.As(err, &fe):
		if len(fe.Known) > 0 {
			return "inputs: " + strings.Join(fe.Known, ", ")
		}
	case errors.As(err, &te):
		return te.Hint
	case errors.As(err, &tor):
		return "a write was cut short; set the torn bytes aside with: firebreak timeline repair ID"
	case errors.As(err, &se):
		return "record where the secret is (a path, a fingerprint), never the secret itself"
	case errors.Is(err, os.ErrPermission):
		return "check the permissions of the workspace (--home, FIREBREAK_HOME)"
	}
	return ""
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string{}, s[:n]...), "…")
	}
	return s
}

func suggest(args []string) string {
	var names []string
	for _, c := range commands {
		if strings.HasPrefix(c.name, args[0]) {
			names = append(names, "firebreak "+c.name)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return strings.Join(first(names, 6), ", ")
	}
	return "firebreak help"
}
