package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

var cmdTimeline = &command{
	name:    "timeline",
	args:    "ID [--kind K] [--by ACTOR] [--step S] [--json]",
	summary: "Print the timeline: every actor's journal merged by when things happened, with full UTC dates.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		kind := fs.String("kind", "", "only events of this `KIND` (prefix: step matches step.done)")
		actor := fs.String("by", "", "only events by this `ACTOR`")
		step := fs.String("step", "", "only events about this `STEP`")
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			evs, torn, err := inc.Journal.Timeline()
			if err != nil {
				return err
			}
			stepID := *step
			if stepID != "" {
				s, ok := inc.Playbook.Step(stepID)
				if !ok {
					return &incident.UnknownStepError{Step: stepID, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
				}
				stepID = s.ID
			}
			out := evs[:0]
			for _, e := range evs {
				if (*kind == "" || e.Kind == *kind || strings.HasPrefix(e.Kind, *kind+".")) &&
					(*actor == "" || e.Actor == *actor) && (stepID == "" || e.Step == stepID) {
					out = append(out, e)
				}
			}
			for _, t := range torn {
				fmt.Fprintf(a.stderr, "firebreak: warning: %s (firebreak timeline repair %s)\n", textutil.Line(t.Error()), inc.Header.ID)
			}
			if a.json {
				if out == nil {
					out = []journal.Event{}
				}
				return a.printJSON(out)
			}
			w := bufio.NewWriter(a.stdout)
			actorW := 10 // as wide as the longest actor (alice@laptop)
			for _, e := range out {
				actorW = max(actorW, len(textutil.Line(e.Actor)))
			}
			for _, e := range out {
				step := ""
				if e.Step != "" {
					step = " [" + textutil.Line(e.Step) + "]"
				}
				backdated := ""
				if e.Logged.Sub(e.At) > time.Minute {
					backdated = " (logged " + stampUTC(e.Logged) + ")"
				}
				fmt.Fprintf(w, "%s  %-*s %-17s %s%s%s\n", stampUTC(e.At), actorW, textutil.Line(e.Actor), e.Kind, textutil.Line(e.Summary), step, backdated)
			}
			return w.Flush()
		}
	},
}

var cmdTimelineVerify = &command{
	name:    "timeline verify",
	args:    "ID [--pubkey PUB] [--json]",
	summary: "Recompute every actor file's hash chain. Exit 0 with a one-line summary when intact;\nexit 1 naming the file, seq and what differs for the first bad event.\nWith --pubkey, also check every signed checkpoint (firebreak timeline seal).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var pubPaths multiFlag
		fs.Var(&pubPaths, "pubkey", "Ed25519 public key `PUB` (any supported form, or the private key) to check seals with; repeat for a team: each seal must be by one of them")
		passFile := passFlag(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.ws.LoadForAudit(args[0])
			if err != nil {
				return err
			}
			opts := journal.VerifyOptions{Scope: inc.Header.ID}
			for _, p := range pubPaths {
				k, err := signing.LoadPublicKey(p, a.passphrase(*passFile, p))
				if err != nil {
					return err
				}
				opts.Keys = append(opts.Keys, k)
			}
			if len(opts.Keys) == 1 {
				opts.PublicKey, opts.Keys = opts.Keys[0], nil
			}
			var openings []string
			opts.Visit = func(e *journal.Event) {
				if e.Kind == incident.KindOpened {
					openings = append(openings, fmt.Sprintf("%s%s seq %d", e.Actor, journal.Ext, e.Seq))
				}
			}
			rep, err := inc.Journal.Verify(a.ctx, opts)
			if err != nil {
				return err
			}
			if len(openings) > 1 {
				rep.Problems = append([]*journal.Problem{{File: strings.Join(openings, ", "), Kind: "opening", Detail: incident.ErrTwoOpenings.Error()}}, rep.Problems...)
			}
			if inc.CommitErr != nil {
				rep.Problems = append([]*journal.Problem{{File: incident.HeaderFile + ", " + incident.PlaybookFile, Kind: "commitment", Detail: inc.CommitErr.Error()}}, rep.Problems...)
			}
			if a.json {
				return a.jsonVerdict(struct {
					Intact bool `json:"intact"`
					*journal.Report
				}{rep.Intact(), rep}, rep.Intact())
			}
			return a.reportVerify(inc, rep)
		}
	},
}

// errSilent fails the command without a message: the output said it.
var errSilent = errors.New("")

// jsonVerdict prints a --json verdict and fails silently when it is
// negative: the JSON says why, and the exit status says it failed.
func (a *invocation) jsonVerdict(v any, ok bool) error {
	if err := a.printJSON(v); err != nil {
		return err
	}
	if !ok {
		return errSilent
	}
	return nil
}

func (a *invocation) reportVerify(inc *incident.Incident, rep *journal.Report) error {
	var problems []string
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
	}
	for _, f := range rep.Files {
		if f.Torn != nil {
			problems = append(problems, f.Torn.Error()+" — set it aside with: firebreak timeline repair "+inc.Header.ID)
		}
	}
	if rep.Seals != nil {
		for _, p := range rep.Seals.Failures {
			problems = append(problems, p.Error())
		}
		if rep.Seals.Checked == 0 {
			problems = append(problems, "no signed checkpoints to check (firebreak timeline seal "+inc.Header.ID+" --key KEY)")
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(a.stdout, "FAIL %s\n", textutil.Line(p))
		}
		more := ""
		if len(problems) > 1 {
			more = fmt.Sprintf(" (and %d more problem(s))", len(problems)-1)
		}
		return fmt.Errorf("journal of %s does not verify: %s%s", inc.Header.ID, problems[0], more)
	}
	seals := ""
	if rep.Seals != nil {
		seals = fmt.Sprintf("; %d seal(s) verified with key %.16s…", rep.Seals.Checked, rep.Seals.Key)
		if rep.Seals.Unsealed > 0 {
			seals += fmt.Sprintf(", %d event(s) after the last seal", rep.Seals.Unsealed)
		}
	}
	a.printf("OK %s: %d events in %d actor file(s), every chain intact%s\n", inc.Header.ID, rep.Events, len(rep.Files), seals)
	if inc.Legacy {
		fmt.Fprintf(a.stderr, "firebreak: warning: %s was opened before the journal committed to %s and %s: those two files are not covered\n", inc.Header.ID, incident.HeaderFile, incident.PlaybookFile)
	}
	return nil
}

var cmdTimelineRepair = &command{
	name:    "timeline repair",
	args:    "ID",
	summary: "Set aside torn final lines (left by a crash mid-write) into <actor>.jsonl.torn files,\nthen record the repair. Complete lines are never touched.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			rs, err := inc.Journal.Repair(a.ctx)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				a.printf("nothing to repair: no torn lines in %s\n", inc.Header.ID)
				return nil
			}
			for _, r := range rs {
				a.printf("set aside %d byte(s) from %s at offset %d into %s (sha256 %s)\n", r.Len, r.File, r.Offset, r.TornFile, r.SHA256)
				if _, err := inc.Record(a.ctx, journal.Entry{Actor: a.actor, Kind: incident.KindRepaired,
					Summary: fmt.Sprintf("torn line of %s (%d bytes at offset %d) set aside into %s", r.File, r.Len, r.Offset, r.TornFile),
					Data:    r}); err != nil {
					return err
				}
			}
			return nil
		}
	},
}

var cmdTimelineSeal = &command{
	name:    "timeline seal",
	args:    "ID --key KEY",
	summary: "Append a checkpoint signed with an Ed25519 key over the head of every actor file, so that\na rewritten chain is detected too (firebreak timeline verify ID --pubkey PUB).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		keyPath := fs.String("key", "", "Ed25519 private `KEY` (PKCS#8 PEM as openssl genpkey writes, encrypted PKCS#8, raw wsc .sec, OpenSSH)")
		passFile := passFlag(fs)
		return func(args []string) error {
			if *keyPath == "" {
				return usagef("firebreak timeline seal ID --key responder.pem", "--key is required")
			}
			key, err := signing.LoadPrivateKey(*keyPath, a.passphrase(*passFile, *keyPath))
			if err != nil {
				return err
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			e, err := inc.Journal.Seal(a.ctx, a.actor, inc.Header.ID, key)
			if err != nil {
				return err
			}
			a.printf("sealed: %s (seq %d of %s.jsonl)\n", e.Summary, e.Seq, e.Actor)
			return nil
		}
	},
}

var cmdExport = &command{
	name:    "export",
	args:    "ID [--format md|json|html] [-o FILE|-] [--force]",
	summary: "Write the post-incident record: header, severity history, steps with who did what when,\nmilestones and metrics with definitions, the full timeline, and the journal head ids.\nBy default it goes to the incident's exports/ directory; -o - writes to stdout.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		format := fs.String("format", "md", "`FORMAT`: md, json or html")
		out := fs.String("o", "", "output `FILE` (- for stdout; never inside the firebreak home)")
		force := fs.Bool("force", false, "replace -o FILE if it exists")
		return func(args []string) error {
			f := strings.ToLower(*format)
			if f == "markdown" {
				f = "md"
			}
			if !contains(export.Formats, f) {
				return usagef("formats: md, json, html", "unknown export format %q", *format)
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			return a.export(inc, f, *out, *force)
		}
	},
}

func (a *invocation) export(inc *incident.Incident, format, out string, force bool) error {
	if out == "-" {
		rec, _, done, err := a.session(sessionOpts{}).Record(a.ctx, inc)
		if err != nil {
			return err
		}
		defer done()
		rw := redact.NewWriter(a.stdout)
		if err := export.Write(rw, format, rec); err != nil {
			return err
		}
		return rw.Flush()
	}
	w, err := a.session(sessionOpts{}).WriteRecord(a.ctx, inc, format, out, force)
	if err != nil {
		return err
	}
	if _, err := inc.Record(a.ctx, w.Event); err != nil {
		return err
	}
	a.printf("%s\n", textutil.Clean(w.Path, false))
	if !w.Intact {
		fmt.Fprintf(a.stderr, "firebreak: warning: the journal does not verify; the record says so (firebreak timeline verify %s)\n", inc.Header.ID)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
