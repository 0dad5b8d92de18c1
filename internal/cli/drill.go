package cli

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/drill"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui"
)

// drillWrap, when set (tests), wraps the sandbox simulator's handler.
var drillWrap func(http.Handler) http.Handler

var cmdDrill = &command{
	name: "drill", args: "rotation|rollback [--yes] [--keep DIR] [--sabotage NAME] [--json]",
	summary: "Run a key-rotation or rollback drill against a sandbox: a git repository shaped like a signing repository,\n" +
		"a current signing key, and the GitHub simulator on loopback holding its workflows and signing secret. The drill\n" +
		"is an incident (flagged as a drill, never in metrics) of the DRILL-ROTATION or DRILL-ROLLBACK playbook whose\n" +
		"steps run the same actions as a real one. --yes runs every step; without it, on a terminal, the console opens on\n" +
		"the drill to work it step by step (with --accessible, the line console). The report (every step with its\n" +
		"duration and checks, the sandbox checks, and the runbook's acceptance criterion) goes to stdout and the\n" +
		"incident's exports/. Exit 0 only when every check passed. --sabotage stale-pin (rotation) or stuck-workflow\n" +
		"(rollback) builds the sandbox with a fault the checks must catch.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		yes := fs.Bool("yes", false, "run every step without asking (for CI)")
		keep := fs.String("keep", "", "build the sandbox in `DIR` (new or empty) and keep it; default: a temporary directory removed at the end")
		sabotage := fs.String("sabotage", "", "build the sandbox with a fault: `NAME` stale-pin (rotation) or stuck-workflow (rollback)")
		jsonFlag(a, fs)
		return func(args []string) error {
			kind, err := drill.ParseKind(args[0])
			if err != nil {
				return withHint(err, "firebreak drill rotation --yes")
			}
			return a.runDrill(kind, *yes, *keep, *sabotage)
		}
	},
}

var cmdDrillHistory = &command{
	name: "drill history", args: "[--json]",
	summary: "The sandbox drills in this workspace, oldest first: when, which, the result and how long it took — the\n" +
		"\"drills completed\" evidence the runbook's acceptance criterion asks for.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func([]string) error {
			rows, errs := drill.History(a.ws)
			for _, e := range errs {
				fmt.Fprintf(a.stderr, "firebreak: warning: %s\n", textutil.Line(e.Error()))
			}
			acc := drill.AcceptanceOf(rows)
			if a.json {
				if rows == nil {
					rows = []drill.HistoryRow{}
				}
				return a.printJSON(map[string]any{"drills": rows, "acceptance": acc})
			}
			if len(rows) == 0 {
				a.printf("No drills yet. Run one: firebreak drill rotation --yes\n")
			} else {
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "STARTED\tDRILL\tRESULT\tDURATION\tINCIDENT")
				for _, r := range rows {
					res := strings.ToUpper(r.Result)
					if r.Sabotage != "" {
						res += " (sabotage " + r.Sabotage + ")"
					}
					dur := "—"
					if r.Result != "unfinished" {
						dur = (time.Duration(r.DurationMS) * time.Millisecond).Round(time.Millisecond).String()
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Started.UTC().Format("2006-01-02 15:04Z"), r.Kind, res, dur, r.Incident)
				}
				tw.Flush()
			}
			met := "NOT MET yet"
			if acc.Met {
				met = "MET"
			}
			a.printf("Acceptance criterion (%s): %s\n", drill.Criterion, met)
			return nil
		}
	},
}

// runDrill builds the sandbox, opens the drill incident, works its steps
// (all of them with --yes, else in the console), then checks the sandbox
// and writes the report.
func (a *invocation) runDrill(kind drill.Kind, yes bool, keep, sabotage string) error {
	accessible := a.wantsAccessible(a.onTerminal())
	if !yes && !accessible && (a.noTTY || a.json || !a.onTerminal()) {
		return withHint(errors.New("a drill without --yes opens the console, and this is not a terminal"), "firebreak drill %s --yes (or --accessible, to work it as plain lines)", kind)
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	pb, ok := lib.Get(kind.Playbook())
	if !ok {
		return fmt.Errorf("no playbook %s", kind.Playbook())
	}
	if keep != "" {
		if err := actions.CheckOutput(keep, []string{a.ws.Home}); err != nil {
			return withHint(err, "keep the sandbox outside %s", a.ws.Home)
		}
	}
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "firebreak-drill-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	sb, err := drill.Build(a.ctx, kind, drill.Options{Dir: dir, Sabotage: sabotage, Now: a.now, Wrap: drillWrap})
	if err != nil {
		return err
	}
	defer sb.Close()
	title := fmt.Sprintf("%s drill", strings.ToUpper(string(kind[:1]))+string(kind[1:]))
	if sabotage != "" {
		title += " (sabotage " + sabotage + ")"
	}
	inc, err := a.ws.Open(a.ctx, incident.OpenOptions{Playbook: pb, Title: title, Drill: true, Actor: a.actor, Facts: sb.Facts})
	if err != nil {
		return err
	}
	// The drill's firebreak is this one, its GitHub the sandbox's
	// simulator: every action (steps, the console, the line console's
	// commands) reaches it.
	a.github = func() (*github.Client, error) {
		return github.New(github.Config{Token: sb.Token, BaseURL: sb.APIURL, Sleep: a.ghSleep})
	}
	if !a.json {
		a.printf("Drill %s: sandbox %s, GitHub simulator %s, incident %s\n", kind, dir, sb.APIURL, inc.Header.ID)
	}
	if err := a.workDrill(inc, lib, yes, accessible); err != nil {
		return err
	}
	return a.reportDrill(kind, sb, inc, sabotage, keep, dir)
}

// workDrill works the drill's steps: all of them with --yes, else in the
// line console or the console, every action reaching the sandbox.
func (a *invocation) workDrill(inc *incident.Incident, lib *playbooks.Library, yes, accessible bool) error {
	switch {
	case yes:
		progress := func(step playbooks.Step, state playbooks.State, took time.Duration, err error) {
			if a.json {
				return
			}
			word := "PASS"
			if state != playbooks.Done {
				word = "FAIL"
			}
			a.printf("  %-4s %s %-28s %s\n", step.Number, word, step.ID, took.Round(time.Millisecond))
			if err != nil {
				a.printf("       %s\n", textutil.Line(err.Error()))
			}
		}
		return drill.Run(a.ctx, a.consoleSession(), inc, progress)
	case accessible:
		// The line console, its commands reaching the sandbox's simulator.
		return a.accessibleConsole(inc.Header.ID)
	default:
		log, closer, err := a.consoleLog()
		if err != nil {
			return err
		}
		defer closer.Close()
		// No Executable: a hand-over to `firebreak run` in another process
		// would not reach this process's sandbox simulator.
		return tui.Run(a.ctx, tui.Options{Workspace: a.ws, Library: lib, Actor: a.actor, NoColor: a.noColor, Now: a.now,
			Session: a.consoleSession(), Log: log, Open: inc.Header.ID, Drill: true})
	}
}

// reportDrill runs the sandbox's checks, writes the report and says
// whether the drill passed.
func (a *invocation) reportDrill(kind drill.Kind, sb *drill.Sandbox, inc *incident.Incident, sabotage, keep, dir string) error {
	checks, err := sb.Check(a.ctx, inc, a.actor)
	if err != nil {
		return err
	}
	history, _ := drill.History(a.ws)
	rep, err := drill.NewReport(inc, checks, sabotage, history)
	if err != nil {
		return err
	}
	jsonPath, mdPath, err := rep.Save(a.ctx, inc, a.actor, a.now())
	if err != nil {
		return err
	}
	// The drill is over once reported: closed, it sorts below real
	// incidents instead of staying open above them. Another run is a new
	// drill.
	verdict := "FAILED"
	if rep.Passed {
		verdict = "PASSED"
	}
	if st, err := inc.State(); err == nil && !st.Closed {
		if err := inc.Close(a.ctx, a.actor, "drill "+verdict+"; report "+filepath.Base(mdPath), time.Time{}); err != nil {
			return err
		}
	}
	if a.json {
		if err := a.printJSON(rep); err != nil {
			return err
		}
	} else {
		a.printf("\n")
		rep.WriteText(a.stdout)
		a.printf("Report: %s and %s\n", jsonPath, mdPath)
		if keep != "" {
			a.printf("Sandbox kept in %s\n", dir)
		}
	}
	if !rep.Passed {
		err := fmt.Errorf("the %s drill did not pass", kind)
		if rep.StoppedAt != "" {
			err = fmt.Errorf("%w: stopped at step %s", err, rep.StoppedAt)
		}
		return err
	}
	return nil
}

// onTerminal reports whether stdin and stdout are a terminal.
func (a *invocation) onTerminal() bool {
	out, okOut := a.stdout.(*os.File)
	in, okIn := a.stdin.(*os.File)
	return okOut && okIn && term.IsTerminal(int(out.Fd())) && term.IsTerminal(int(in.Fd()))
}
