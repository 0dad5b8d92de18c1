package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/tui"
)

const usageText = `firebreak — the incident console for software-signing incidents

Usage:
  firebreak                         open the console (prints the incident list when not on a terminal)
  firebreak COMMAND [ARGS] [FLAGS]

Incidents:
  incident open --playbook ID --title TEXT [--severity LEVEL] [--drill] [--fact NAME=VALUE]... [--detected TIME] [--compromised TIME]
  incident list [--all] [--json]
  incident show ID [--json]
  incident close ID [--reason TEXT]
  step ID STEP start|done|skip|fail|reopen [--reason TEXT] [--at TIME]
  run ID STEP [--set NAME=VALUE]... [--yes] [--dry-run]   do the step's action, then mark it done or failed
  note ID TEXT [--step STEP] [--at TIME]
  fact ID NAME=VALUE... [--at TIME]
  milestone ID NAME [--at TIME]       compromised, detected, contained, eradicated, recovered, reviewed
  severity ID LEVEL --reason TEXT     Critical, High, Medium, Low or SEV-1, SEV-2, SEV-3
  metrics [--json]                    response metrics over all incidents (drills excluded)

Timeline:
  timeline ID [--kind K] [--by ACTOR] [--step S] [--json]
  timeline verify ID [--pubkey PUB] [--json]
  timeline repair ID
  timeline seal ID --key KEY
  export ID [--format md|json|html] [-o FILE|-] [--force]

Evidence and keys (changes go through plan -> confirm -> execute -> verify -> record):
  evidence quarantine ID PATH... [--recursive] [--yes] [--dry-run] [--step STEP]
  evidence add ID PATH... [--recursive] [--yes] [--dry-run] [--step STEP]
  evidence verify ID [--json]
  evidence clean ID [--json]          remove what interrupted takes left (never recorded evidence)
  evidence list ID [--json]
  key isolate ID PATH [--to DIR] [--yes] [--dry-run] [--passphrase-file F]
  key generate --out PREFIX [--format pem|wsc] [--passphrase-file F | --encrypt] [--incident ID]
  key fingerprint FILE [--json]
  key check-consistency --pin HEX FILE... [--json]
  hash PATH...                        sha256sum-identical output, files hashed in parallel

Signatures and checksums (ClawSec formats):
  sign FILE --key KEY [-o SIG] [--passphrase-file F] [--incident ID]
  verify FILE --sig SIG --pubkey PUB [--fingerprint HEX] [--json]
  checksums make FILE... -o checksums.json [--sign KEY [--sig SIG]]
  checksums verify checksums.json [--sig SIG --pubkey PUB [--fingerprint HEX]] [--json]

WebAssembly module signatures (byte-compatible with wsc and wasmsign2):
  wasm show FILE [--json]
  wasm verify FILE --pubkey PUB [--strict] [--detached SIG]
  wasm sign FILE --key SEC [--pubkey PUB] [-o OUT] [--detached SIG] [--layout wsc|wasmsign2]
  wasm scan PATH... (--key-id HEX | --pubkey PUB) [--sha256] [--json]
  wasm resign PATH... (--drop-key-id HEX | --drop-pubkey PUB) --key NEWSEC [--pubkey NEWPUB] [--out-dir DIR] [--incident ID]

GitHub (token from GITHUB_TOKEN or GH_TOKEN; --api-url or GITHUB_API_URL for GitHub Enterprise):
  gh workflows --repo OWNER/REPO [--json]
  gh pause ID --repo OWNER/REPO [--workflow FILE]... [--yes] [--dry-run]
  gh resume ID --repo OWNER/REPO [--yes] [--dry-run]
  gh cancel-runs ID --repo OWNER/REPO [--force] [--deadline 2m] [--yes]
  gh secrets --repo OWNER/REPO [--env NAME] [--json]
  gh secret-set ID --repo OWNER/REPO --name NAME --from-file FILE [--env NAME] [--yes]
  gh secret-delete ID --repo OWNER/REPO --name NAME [--env NAME] [--yes]
  gh audit ID --repo OWNER/REPO --since TIME [--path P]...
  gh publish ID --repo OWNER/REPO (--issue | --comment N | --advisory) [--yes]
  gh sim [--addr 127.0.0.1:PORT] [--state FILE | --repo OWNER/REPO --workflows DIR --secret NAME...]

Communications:
  comms list [--templates DIR] [--json]
  comms render ID TEMPLATE [-o FILE|-] [--force] [--set FIELD=VALUE]... [--allow-missing]
  contacts [--init] [--contacts FILE] [--json]

Drills (the same steps and actions as a real incident, against a sandbox):
  drill rotation|rollback [--yes] [--keep DIR] [--sabotage NAME] [--json]   exit 0 only when every check passed
  drill history [--json]              past drills: date, kind, result, duration; the runbook's acceptance criterion

Playbooks:
  playbooks list [--json]
  playbooks show ID
  playbooks validate FILE...

Global flags:
  --home DIR       workspace (env FIREBREAK_HOME; default $XDG_STATE_HOME/firebreak or ~/.local/state/firebreak)
  --actor NAME     who is acting (env FIREBREAK_ACTOR; default: your login name)
  --playbooks DIR  load extra playbooks from DIR (repeatable)
  --no-color       no colour (also NO_COLOR)
  --accessible     the console as plain lines for screen readers (also ACCESSIBLE=1, TERM=dumb)

ID is an incident id or a unique prefix of one. TIME is RFC 3339, "YYYY-MM-DD HH:MM" (UTC),
or relative: -90m, -2h, -1d. Run "firebreak COMMAND --help" for a command's flags.
`

func (a *invocation) usage(w io.Writer) { fmt.Fprint(w, usageText) }

func (a *invocation) helpFor(args []string) error {
	cmd, _ := find(args)
	if cmd == nil {
		return usagef("firebreak help", "no command %q", strings.Join(args, " "))
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	a.globalFlags(fs)
	cmd.bind(a, fs)
	a.commandHelp(a.stdout, cmd, fs)
	return nil
}

func (a *invocation) commandHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: firebreak %s %s\n\n%s\n\nFlags:\n", cmd.name, cmd.args, cmd.summary)
	fs.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "help" {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n      %s\n", f.Name, name, usage)
	})
}

// wantsAccessible reports whether the console should be the line-based
// one: --accessible or ACCESSIBLE=1 anywhere, TERM=dumb on a terminal.
func (a *invocation) wantsAccessible(onTerminal bool) bool {
	return a.accessible || a.getenv("ACCESSIBLE") != "" || (onTerminal && a.getenv("TERM") == "dumb")
}

// console is what firebreak does with no command: the full-screen console
// on a terminal; otherwise (a pipe, a script, TERM=dumb) the incident list
// and the usage.
func (a *invocation) console() error {
	if err := a.setup(); err != nil {
		return err
	}
	out, okOut := a.stdout.(*os.File)
	in, okIn := a.stdin.(*os.File)
	onTerminal := okOut && okIn && !a.noTTY && term.IsTerminal(int(out.Fd())) && term.IsTerminal(int(in.Fd()))
	if a.wantsAccessible(onTerminal) {
		return a.accessibleConsole("")
	}
	if onTerminal {
		lib, err := a.library()
		if err != nil {
			return err
		}
		log, closer, err := a.consoleLog()
		if err != nil {
			return err
		}
		defer closer.Close()
		exe, _ := os.Executable() // empty: the console says to use firebreak run
		log.Info("console started", "home", a.home)
		err = tui.Run(a.ctx, tui.Options{Workspace: a.ws, Library: lib, Actor: a.actor, NoColor: a.noColor, Now: a.now,
			Executable: exe, Session: a.consoleSession(), Log: log})
		if err != nil {
			log.Error("console ended with an error", "err", err)
		}
		log.Info("console ended")
		return err
	}
	if err := a.listIncidents(false); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	a.usage(a.stdout)
	return nil
}
