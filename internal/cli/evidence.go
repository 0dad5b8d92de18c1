package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// pipeFlags are the flags of every command that changes something.
type pipeFlags struct {
	yes, dryRun bool
	step        string
}

func pipelineFlags(fs *flag.FlagSet) *pipeFlags {
	p := &pipeFlags{}
	fs.BoolVar(&p.yes, "yes", false, "do it without asking (for scripts)")
	fs.BoolVar(&p.dryRun, "dry-run", false, "print the plan and change nothing")
	fs.StringVar(&p.step, "step", "", "the playbook `STEP` this does (recorded with it)")
	return p
}

// runAction runs an action through the pipeline, printing the plan,
// asking when needed, then the result and the verification.
func (a *invocation) runAction(inc *incident.Incident, pf *pipeFlags, act actions.Action) (*actions.Outcome, error) {
	r := &actions.Runner{Incident: inc, Actor: a.actor, DryRun: pf.dryRun, Yes: pf.yes, Protect: []string{a.ws.Home}}
	if pf.step != "" && inc != nil {
		s, ok := inc.Playbook.Step(pf.step)
		if !ok {
			return nil, &incident.UnknownStepError{Step: pf.step, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
		}
		r.Step = s.ID
	}
	if !a.json {
		r.Progress = a.progressPrinter()
	}
	asked := false
	if a.lineIn != nil {
		r.Confirm = func(p *actions.Plan) (bool, error) { asked = true; return confirmOnLines(a.lineIn, a.stdout, p) }
	} else if !a.noTTY {
		if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil && term.IsTerminal(int(tty.Fd())) {
			defer tty.Close()
			r.Confirm = func(p *actions.Plan) (bool, error) { asked = true; return confirmOnTTY(a.ctx, tty, p) }
		}
	}
	showPlan := func(p *actions.Plan) {
		if a.json || p == nil {
			return
		}
		if f, ok := a.stdout.(*os.File); asked && (a.lineIn != nil || ok && term.IsTerminal(int(f.Fd()))) {
			return // the confirmation showed it on this terminal; a redirected stdout still gets it
		}
		a.printf("plan: %s\n", textutil.Line(p.Summary))
		for _, c := range p.Changes {
			a.printf("  - %s\n", textutil.Name(c))
		}
	}
	out, err := r.Run(a.ctx, act)
	if out != nil {
		showPlan(out.Plan)
	}
	if err != nil {
		if errors.Is(err, actions.ErrNotConfirmed) && out != nil && out.Plan != nil {
			if asked {
				return out, withHint(err, "nothing was changed")
			}
			return out, withHint(err, "nothing was changed; add --yes to go ahead, or run it on a terminal to be asked")
		}
		if out != nil && !a.json { // --json prints the outcome itself: stdout stays one document
			if out.Executed && out.Result != nil && out.Result.Summary != "" {
				a.printf("before it failed: %s\n", textutil.Line(out.Result.Summary))
			}
			if out.Verification != nil {
				a.printVerification(out.Verification)
			}
		}
		return out, err
	}
	if out.DryRun {
		if !a.json {
			a.printf("dry run: nothing was changed\n")
		}
		return out, nil
	}
	if !a.json {
		a.printf("done: %s\n", textutil.Line(out.Result.Summary))
		a.printVerification(out.Verification)
	}
	return out, nil
}

func (a *invocation) printVerification(v *actions.Verification) {
	for _, c := range v.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		d := ""
		if c.Detail != "" {
			d = " — " + textutil.Line(c.Detail)
		}
		a.printf("  %s %s%s\n", mark, textutil.Line(c.What), d)
	}
}

// progressPrinter shows progress of long copies on stderr when it is a
// terminal; otherwise it stays quiet.
func (a *invocation) progressPrinter() func(actions.Progress) {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	last := -1
	return func(p actions.Progress) {
		if p.Total < 64<<20 {
			return
		}
		pct := int(p.Done * 100 / p.Total)
		if pct != last {
			last = pct
			fmt.Fprintf(f, "\r%3d%% %s", pct, textutil.Line(filepath.Base(p.Item)))
			if p.Done == p.Total {
				fmt.Fprintln(f)
			}
		}
	}
}

// confirmOnTTY asks on the terminal; a plan with a confirmation word must
// be answered with that word. Ctrl+C (ctx cancelled) stops waiting at once:
// nothing is changed.
func confirmOnTTY(ctx context.Context, tty *os.File, p *actions.Plan) (bool, error) {
	want := askPlan(tty, p)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() { // left blocked on the terminal if ctx ends first; the process is about to exit
		line, err := bufio.NewReader(tty).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(tty)
		return false, fmt.Errorf("%w: interrupted", actions.ErrNotConfirmed)
	case a := <-ch:
		if a.err != nil {
			return false, a.err
		}
		return strings.EqualFold(strings.TrimSpace(a.line), want), nil
	}
}

// askPlan shows a plan and asks for its answer: the confirmation word of
// a destructive plan, else y. It returns the answer wanted.
func askPlan(w io.Writer, p *actions.Plan) string {
	fmt.Fprintf(w, "Plan: %s\n", textutil.Line(p.Summary))
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  - %s\n", textutil.Name(c))
	}
	if p.Confirm != "" {
		fmt.Fprintf(w, "Type %s to go ahead, anything else cancels: ", p.Confirm)
		return p.Confirm
	}
	fmt.Fprintf(w, "Go ahead? [y/N] ")
	return "y"
}

func takeCommand(move bool) *command {
	name, verb := "evidence add", "Copy files into the incident's evidence (the originals stay)"
	if move {
		name, verb = "evidence quarantine", "Move files into the incident's evidence: copy with SHA-256, sync, re-read and compare,\nthen remove the originals"
	}
	return &command{
		name:    name,
		args:    "ID PATH... [--recursive] [--yes] [--dry-run] [--step STEP] [--json]",
		summary: verb + ". Files become read-only (0400), names never collide, symlinks are taken as\nlinks (never followed), and evidence/hashes.txt stays sha256sum -c compatible.",
		minArgs: 2, maxArgs: -1,
		bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
			recursive := fs.Bool("recursive", false, "take directories' contents")
			pf := pipelineFlags(fs)
			jsonFlag(a, fs)
			return func(args []string) error {
				inc, err := a.load(args[0])
				if err != nil {
					return err
				}
				name := actions.NameEvidenceAdd
				if move {
					name = actions.NameEvidenceQuarantine
				}
				out, err := a.act(inc, pf, sessionOpts{}, name, app.Args{}.WithList("paths", args[1:]).With("recursive", strconv.FormatBool(*recursive)))
				if a.json && out != nil {
					if jerr := a.printJSON(out); jerr != nil {
						return jerr
					}
				}
				return err
			}
		},
	}
}

var (
	cmdEvidenceQuarantine = takeCommand(true)
	cmdEvidenceAdd        = takeCommand(false)
)

var cmdEvidenceVerify = &command{
	name:    "evidence verify",
	args:    "ID [--json]",
	summary: "Re-hash every file of the incident's evidence and isolated keys against what the journal recorded\n(its evidence.added events; manifest.json must agree). Exit 1 naming each mismatch, missing or\nunrecorded file. Leftovers of interrupted takes are listed apart (firebreak evidence clean).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			evs, _, err := inc.Journal.Timeline()
			if err != nil {
				return err
			}
			reps, err := actions.VerifyEvidence(a.ctx, inc, evs, homesync.RemoteActors(a.home, a.actor, inc.Header.ID), nil)
			if err != nil {
				return err
			}
			bad, left := 0, 0
			for _, r := range reps {
				bad += len(r.Problems)
				left += len(r.Leftovers)
			}
			if a.json {
				return a.jsonVerdict(map[string]any{"ok": bad+left == 0, "stores": reps}, bad+left == 0)
			}
			for _, r := range reps {
				for _, p := range r.Problems {
					a.printf("FAIL %s: %s — %s\n", textutil.Name(filepath.Join(filepath.Base(r.Dir), p.Name)), p.Kind, textutil.Line(p.Detail))
				}
			}
			for _, r := range reps {
				for _, p := range r.Leftovers {
					a.printf("LEFTOVER %s — %s\n", textutil.Name(filepath.Join(filepath.Base(r.Dir), p.Name)), textutil.Line(p.Detail))
				}
			}
			if bad > 0 {
				return fmt.Errorf("evidence of %s does not verify: %d problem(s)", inc.Header.ID, bad)
			}
			if left > 0 {
				// Not a failure of the recorded evidence, but not a pass:
				// an unrecorded file in a store is not evidence.
				return withHint(fmt.Errorf("the recorded evidence of %s verifies, but %d leftover(s) of interrupted takes are in its stores (unrecorded; no original was removed)", inc.Header.ID, left), "firebreak evidence clean %s", inc.Header.ID)
			}
			keys, away := 0, 0
			for _, r := range reps[1:] {
				keys += r.Checked
			}
			for _, r := range reps {
				for _, e := range r.Elsewhere {
					away++
					a.printf("ELSEWHERE %s — taken by %s on another machine (sha256 %s, %d bytes); its bytes are not synced\n", textutil.Name(filepath.Join(filepath.Base(r.Dir), e.Name)), textutil.Line(e.Actor), e.SHA256, e.Size)
				}
			}
			if away > 0 {
				a.printf("%d item(s) are held on other machines: evidence verify there checks them\n", away)
			}
			a.printf("OK %s: %d evidence file(s) (%d bytes) and %d isolated key(s) in %d key store(s) match what the journal recorded\n", inc.Header.ID, reps[0].Checked, reps[0].Bytes, keys, len(reps)-1)
			return nil
		}
	},
}

var cmdEvidenceClean = &command{
	name:    "evidence clean",
	args:    "ID [--json]",
	summary: "Remove what interrupted takes left in the incident's stores: .incoming- copies, and copies\nlinked but never recorded (their originals were never removed). Recorded evidence is never touched.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			evs, _, err := inc.Journal.Timeline()
			if err != nil {
				return err
			}
			done, err := actions.CleanEvidence(a.ctx, inc, evs)
			if a.json {
				if jerr := a.printJSON(done); jerr != nil {
					return jerr
				}
				return err
			}
			n := 0
			for dir, cs := range done {
				for _, c := range cs {
					n++
					a.printf("removed %s — %s\n", textutil.Name(filepath.Join(filepath.Base(dir), c.Name)), c.Detail)
				}
			}
			if err != nil {
				return err
			}
			if n == 0 {
				a.printf("nothing to clean in %s\n", inc.Header.ID)
			}
			return nil
		}
	},
}

var cmdEvidenceList = &command{
	name:    "evidence list",
	args:    "ID [--json]",
	summary: "List the incident's evidence and isolated keys with hashes, origins and fingerprints, as the journal\nrecorded them (evidence verify checks the files against the same records).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			// The journal's records are the list: a manifest can be edited.
			evs, _, err := inc.Journal.Timeline()
			if err != nil {
				return err
			}
			ev := struct{ Files []evidence.Entry }{Files: actions.Recorded(inc, evs, actions.EvidenceStore(inc).Dir)}
			type keyEntry struct {
				evidence.Entry
				Store string `json:"store"`
			}
			keys := struct{ Files []keyEntry }{Files: []keyEntry{}}
			for _, st := range actions.KeyStores(inc, evs) {
				for _, e := range actions.Recorded(inc, evs, st.Dir) {
					keys.Files = append(keys.Files, keyEntry{e, st.Dir})
				}
			}
			if a.json {
				return a.printJSON(map[string]any{"evidence": ev.Files, "keys": keys.Files})
			}
			for _, e := range ev.Files {
				a.printf("%s  %s  (%s from %s, %s)\n", textutil.Name(e.SHA256), textutil.Name(e.Name), textutil.Name(e.Operation), textutil.Name(e.Original.Path), stampUTC(e.Added))
			}
			for _, e := range keys.Files {
				a.printf("key %s  fingerprint %s  (file sha256 %s, from %s)\n", textutil.Name(filepath.Join(e.Store, e.Name)), textutil.Name(orUnknown(e.Fingerprint)), textutil.Name(e.SHA256), textutil.Name(e.Original.Path))
			}
			if len(ev.Files)+len(keys.Files) == 0 {
				a.printf("no evidence in %s yet\n", inc.Header.ID)
			}
			return nil
		}
	},
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// regularFilesUnder lists the regular files under each path (a file is
// itself), each path's in byte order of the full path, as find -type f
// and a C-locale sort list them. Links are not followed.
func regularFilesUnder(paths []string) ([]string, error) {
	var out []string
	for _, root := range paths {
		var files []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		out = append(out, files...)
	}
	return out, nil
}

var cmdHash = &command{
	name:    "hash",
	args:    "PATH... [--recursive] [--jobs N]",
	summary: "Print SHA-256 sums exactly as sha256sum does, hashing files in parallel with streaming reads.\nWith --recursive, a directory is every regular file under it, in byte order of the path, as\nfind DIR -type f | LC_ALL=C sort | xargs sha256sum prints them (links and special files are left out).",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		workers := fs.Int("jobs", 0, "files hashed at once (`N`; default twice the CPUs)")
		recursive := fs.Bool("recursive", false, "hash every regular file under each directory")
		return func(args []string) error {
			if *recursive {
				files, err := regularFilesUnder(args)
				if err != nil {
					return err
				}
				args = files
			}
			w := bufio.NewWriterSize(a.stdout, 64<<10)
			failed := 0
			err := evidence.HashFiles(a.ctx, args, *workers, func(r evidence.HashResult) error {
				if r.Err != nil {
					w.Flush()
					fmt.Fprintf(a.stderr, "firebreak: %s\n", textutil.Line(strings.TrimPrefix(r.Err.Error(), "open ")))
					failed++
					return nil
				}
				_, err := w.WriteString(evidence.SumLine(r.Sum, r.Path))
				return err
			})
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			if failed > 0 {
				return errSilent
			}
			return nil
		}
	},
}
