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

const usageHead = `firebreak — the incident console for software-signing incidents

Usage:
  firebreak                         open the console (prints the incident list when not on a terminal)
  firebreak COMMAND [ARGS] [FLAGS]
`

const usageFoot = `
Global flags:
  --home DIR       workspace (env FIREBREAK_HOME; default $XDG_STATE_HOME/firebreak or ~/.local/state/firebreak)
  --actor NAME     who is acting (env FIREBREAK_ACTOR; default: your login name)
  --playbooks DIR  load extra playbooks from DIR (repeatable)
  --no-color       no colour (also NO_COLOR)
  --accessible     the console as plain lines for screen readers (also ACCESSIBLE=1, TERM=dumb)

ID is an incident id or a unique prefix of one. TIME is RFC 3339, "YYYY-MM-DD HH:MM" (UTC),
or relative: -90m, -2h, -1d. Run "firebreak help COMMAND" for a command's flags.
`

// usageText is `firebreak help`: every command of the table, by group.
func usageText() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n", g.title)
		for _, c := range g.cmds {
			fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(c.name+" "+c.args))
		}
	}
	b.WriteString(usageFoot)
	return b.String()
}

func (a *invocation) usage(w io.Writer) { fmt.Fprint(w, usageText()) }

func (a *invocation) helpFor(args []string) error {
	cmd, rest := find(args)
	if cmd == nil || len(rest) > 0 {
		// A group's first word (help key, help gh) lists its commands.
		prefix := strings.Join(args, " ") + " "
		var names []string
		for _, c := range commands {
			if strings.HasPrefix(c.name+" ", prefix) {
				names = append(names, "  firebreak "+strings.TrimSpace(c.name+" "+c.args))
			}
		}
		if len(names) == 0 {
			return usagef("firebreak help", "no command %q", strings.Join(args, " "))
		}
		fmt.Fprintf(a.stdout, "Commands for %s (firebreak help %s COMMAND for one):\n%s\n", strings.Join(args, " "), strings.Join(args, " "), strings.Join(names, "\n"))
		return nil
	}
	a.commandHelp(a.stdout, cmd)
	return nil
}

// commandHelp is `firebreak help COMMAND` (and COMMAND --help): its usage,
// what it does and its flags, as docs/commands.md has them.
func (a *invocation) commandHelp(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "Usage: firebreak %s\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	if flags := flagDocs(cmd); len(flags) > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		for _, f := range flags {
			fmt.Fprintf(w, "  %s\n      %s\n", f.flag, f.usage)
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (--home, --actor, --playbooks, --no-color, --accessible): firebreak help\n")
}

// flagDoc is one flag of a command as its help and docs/commands.md show
// it: "-o FILE" or "--max-age SPAN", what it does, and its default.
type flagDoc struct{ flag, usage string }

// flagDocs lists a command's own flags (the global ones are said once).
func flagDocs(cmd *command) []flagDoc {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	cmd.bind(&invocation{}, fs)
	var out []flagDoc
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "help" {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		text := "--" + f.Name
		if len(f.Name) == 1 {
			text = "-" + f.Name
		}
		if name != "" {
			text += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += " (default " + f.DefValue + ")"
		}
		out = append(out, flagDoc{text, usage})
	})
	return out
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

// commandsMarkdown is docs/commands.md: the command table as a reference,
// each command with its usage, what it does and its flags. The file is
// checked against this (go test ./internal/cli -run TestCommandsDoc
// -update rewrites it), never edited by hand.
func commandsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Commands\n\n")
	b.WriteString("<!-- Generated from the command table in internal/cli; do not edit. Rewrite with:\n")
	b.WriteString("     go test ./internal/cli -run TestCommandsDoc -update -->\n\n")
	b.WriteString("`firebreak help` lists them; `firebreak help COMMAND` prints one of these sections.\n")
	b.WriteString("Every command takes the global flags `--home DIR`, `--actor NAME`, `--playbooks DIR`, `--no-color` and\n")
	b.WriteString("`--accessible`. ID is an incident id or a unique prefix of one; TIME is RFC 3339, \"YYYY-MM-DD HH:MM\"\n")
	b.WriteString("(UTC), or relative: -90m, -2h, -1d.\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n", g.title)
		for _, c := range g.cmds {
			fmt.Fprintf(&b, "\n### %s\n\n```\nfirebreak %s\n```\n\n%s\n", c.name, strings.TrimSpace(c.name+" "+c.args), strings.ReplaceAll(c.summary, "\n", " "))
			if flags := flagDocs(c); len(flags) > 0 {
				b.WriteString("\n| Flag | |\n|---|---|\n")
				for _, f := range flags {
					fmt.Fprintf(&b, "| `%s` | %s |\n", f.flag, strings.ReplaceAll(f.usage, "|", `\|`))
				}
			}
		}
	}
	return b.String()
}
