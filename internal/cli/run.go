package cli

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/export"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var cmdRun = &command{
	name: "run", args: "ID STEP [--set input=value]... [--yes] [--dry-run]",
	summary: "Do a step's work: run the action the playbook binds to STEP through the pipeline with the incident's\nfacts (--set adds facts first), then mark the step done, or failed with the error. A missing fact is\nasked for on a terminal; with --yes (or off a terminal) the command fails naming every missing one.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *app, fs *flag.FlagSet) func([]string) error {
		var sets multiFlag
		fs.Var(&sets, "set", "set a fact first, `NAME=VALUE` (repeatable)")
		passFile := passFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			step, ok := inc.Playbook.Step(args[1])
			if !ok {
				return &incident.UnknownStepError{Step: args[1], Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
			}
			if step.Action == nil {
				return withHint(fmt.Errorf("step %s (%s) is done by hand: it has no action", step.Number, step.Title),
					"follow its guidance (firebreak playbooks show %s), then: firebreak step %s %s done", inc.Playbook.ID, inc.Header.ID, step.ID)
			}
			facts := map[string]string{}
			for _, kv := range sets {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("--set key_path=/keys/prod.sec", "--set %q is not NAME=VALUE", kv)
				}
				facts[k] = v
			}
			if len(facts) > 0 {
				if _, err := incident.CheckFacts(inc.Playbook, facts, a.now()); err != nil {
					return err
				}
				for _, k := range slices.Sorted(maps.Keys(facts)) {
					if err := inc.SetFact(a.ctx, a.actor, k, facts[k], zeroTime); err != nil {
						return err
					}
				}
			}
			st, err := inc.State()
			if err != nil {
				return err
			}
			if cur := st.Steps[step.ID].State; cur.Closed() {
				return withHint(fmt.Errorf("step %s is %s", step.ID, cur), "reopen it first: firebreak step %s %s reopen --reason TEXT", inc.Header.ID, step.ID)
			}
			vals, err := a.stepArgs(inc, step, st.Facts, pf.yes)
			if err != nil {
				return err
			}
			act, err := a.buildAction(inc, step.Action.Name, vals, *passFile)
			if err != nil {
				return err
			}
			pf.step = step.ID
			out, runErr := a.runAction(inc, pf, act)
			marked, err := actions.FinishStep(a.ctx, inc, a.actor, step, out, runErr)
			if err == nil && marked != "" {
				a.printf("step %s %s: %s\n", step.Number, step.ID, marked)
			}
			return err
		}
	},
}

var zeroTime time.Time

// stepArgs fills the action's arguments from the facts. A required argument
// whose facts are missing is asked for — on the accessible console's lines,
// else on the terminal — and recorded as a fact, or named in the error; an
// optional one is left out.
func (a *app) stepArgs(inc *incident.Incident, step playbooks.Step, facts map[string]string, yes bool) (map[string]string, error) {
	for {
		out, err := actions.StepArgs(step, facts)
		var me *actions.MissingFactsError
		if !errors.As(err, &me) {
			return out, err
		}
		if yes || (a.noTTY && a.lineIn == nil) {
			return nil, withHint(err, "set them: firebreak run %s %s --set %s=VALUE", inc.Header.ID, step.ID, me.Names[0])
		}
		rd, w := a.lineIn, a.stdout
		if rd == nil {
			tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
			if err != nil {
				return nil, fmt.Errorf("%w (no terminal to ask on; use --set)", me)
			}
			defer tty.Close()
			rd, w = bufio.NewReader(tty), tty
		}
		for _, name := range me.Names {
			in, _ := inc.Playbook.Input(name)
			fmt.Fprintf(w, "%s (%s), needed by the action: ", in.Title, name)
			line, err := rd.ReadString('\n')
			if err != nil && line == "" {
				return nil, fmt.Errorf("%w (no answer: %v)", me, err)
			}
			v := strings.TrimSpace(line)
			if err := inc.SetFact(a.ctx, a.actor, name, v, zeroTime); err != nil { // SetFact checks the value
				return nil, err
			}
			facts[name] = v
		}
	}
}

// consoleStepAction builds a step's action for the console: the same
// arguments and executors as `firebreak run`, but it never prompts on the
// terminal (the console owns it): a missing fact is a
// *actions.MissingFactsError the console asks for itself, and an encrypted
// key is signing.ErrEncrypted (the console hands such a step to the CLI).
func (a *app) consoleStepAction(ctx context.Context, inc *incident.Incident, stepID string) (actions.Action, error) {
	quiet := *a
	quiet.ctx, quiet.noTTY, quiet.json = ctx, true, true
	quiet.stdout, quiet.stderr = io.Discard, io.Discard
	step, ok := inc.Playbook.Step(stepID)
	if !ok {
		return nil, &incident.UnknownStepError{Step: stepID, Playbook: inc.Playbook.ID, Known: inc.Playbook.StepIDs()}
	}
	st, err := inc.State()
	if err != nil {
		return nil, err
	}
	vals, err := actions.StepArgs(step, st.Facts)
	if err != nil {
		return nil, err
	}
	return quiet.buildAction(inc, step.Action.Name, vals, "")
}

// listArg splits a list argument: one item per line.
func listArg(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// buildAction makes the action a step names from its arguments.
func (a *app) buildAction(inc *incident.Incident, name string, args map[string]string, passFile string) (actions.Action, error) {
	evStore := func() *evidence.Store {
		st := evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
		st.Now = a.now
		return st
	}
	switch name {
	case "evidence.quarantine", "evidence.add":
		prot, err := a.protected(inc)
		if err != nil {
			return nil, err
		}
		return &actions.Take{Store: evStore(), Paths: listArg(args["paths"]), Recursive: args["recursive"] == "true", Move: name == "evidence.quarantine", Actor: a.actor, Protect: prot}, nil
	case "key.isolate":
		dir, err := a.keyStoreDir(inc, args["to"])
		if err != nil {
			return nil, err
		}
		st := evidence.NewKeyStore(dir)
		st.Now = a.now
		var pass signing.Passphrase
		if passFile != "" {
			pass = a.passphrase(passFile, args["path"])
		}
		prot, err := a.protected(inc)
		if err != nil {
			return nil, err
		}
		return &actions.IsolateKey{Store: st, Path: args["path"], Pass: pass, Actor: a.actor, Protect: prot}, nil
	case "key.generate":
		f := args["format"]
		if f == "" {
			f = "pem"
		}
		return &actions.GenerateKey{Prefix: args["out"], Format: f}, nil
	case "wasm.scan":
		kid, pub, err := keySelector(args["key_id"], args["pubkey"], "")
		if err != nil {
			return nil, fmt.Errorf("step action wasm.scan needs the fact key_id or public_key: %w", err)
		}
		return &actions.ScanModules{Paths: listArg(args["paths"]), KeyID: kid, Pub: pub, Store: evStore(), Scratch: filepath.Join(inc.Dir, "exports"), Actor: a.actor}, nil
	case "wasm.resign":
		kid, dpub, err := keySelector(args["drop_key_id"], args["drop_pubkey"], "drop-")
		if err != nil {
			return nil, fmt.Errorf("step action wasm.resign needs the fact key_id or public_key: %w", err)
		}
		k, withKID, err := a.moduleSigningKey(args["key"], args["pubkey"], passFile)
		if err != nil {
			return nil, err
		}
		files, bad := wasmsig.Walk(listArg(args["paths"]))
		if len(bad) > 0 {
			return nil, fmt.Errorf("%s: %s", bad[0].Path, bad[0].Error)
		}
		return &actions.ResignModules{Files: files, DropKID: kid, DropPub: dpub, Key: k.Private, OutDir: args["out_dir"], Actor: a.actor,
			Keep: evStore(), Opts: wasmsig.SignOptions{KeyID: withKID}}, nil
	case "wasm.sign":
		k, withKID, err := a.moduleSigningKey(args["key"], args["pubkey"], passFile)
		if err != nil {
			return nil, err
		}
		out := args["out"]
		if out == "" {
			out = args["file"]
		}
		return &actions.SignModule{File: args["file"], Out: out, Key: k.Private, Opts: wasmsig.SignOptions{KeyID: withKID}}, nil
	case "wasm.show":
		return &actions.ShowModule{File: args["file"], Store: evStore(), Scratch: filepath.Join(inc.Dir, "exports"), Actor: a.actor}, nil
	case "key.check-consistency":
		return &consistencyAction{pin: args["pin"], files: listArg(args["files"])}, nil
	case "file.sign":
		priv, err := signing.LoadPrivateKey(args["key"], a.passphrase(passFile, args["key"]))
		if err != nil {
			return nil, err
		}
		out := args["out"]
		if out == "" {
			out = args["file"] + ".sig"
		}
		return &actions.SignFile{File: args["file"], Out: out, Key: priv}, nil
	case "checksums.make":
		files := listArg(args["files"])
		m := &actions.MakeChecksums{Files: files, Out: args["out"], Now: a.now}
		if k := args["sign"]; k != "" {
			priv, err := signing.LoadPrivateKey(k, a.passphrase(passFile, k))
			if err != nil {
				return nil, err
			}
			m.SignKey, m.SigOut = priv, filepath.Join(filepath.Dir(args["out"]), "checksums.sig")
		}
		return m, nil
	case "record.export":
		f := args["format"]
		if f == "" {
			f = "md"
		}
		return &exportAction{a: a, inc: inc, format: f}, nil
	case "comms.render":
		lib, err := comms.Load(nil)
		if err != nil {
			return nil, err
		}
		t, ok := lib.Get(args["template"])
		if !ok {
			return nil, fmt.Errorf("no template %q", args["template"])
		}
		return &commsAction{a: a, inc: inc, tmpl: t}, nil
	}
	if strings.HasPrefix(name, "gh.") {
		return a.ghStepAction(inc, name, args)
	}
	return a.rotationStepAction(inc, name, args)
}

// rotationStepAction builds the rotation and rollback actions.
func (a *app) rotationStepAction(inc *incident.Incident, name string, args map[string]string) (actions.Action, error) {
	pub := func(arg string) (ed25519.PublicKey, error) {
		k, err := signing.LoadPublicKey(args[arg], nil)
		if err != nil {
			return nil, fmt.Errorf("step action %s %s: %w", name, arg, err)
		}
		return k, nil
	}
	repo := func() (*gitrepo.Repo, error) {
		fi, err := os.Stat(args["repo_dir"])
		if err != nil {
			return nil, fmt.Errorf("step action %s repo_dir: %w", name, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("step action %s repo_dir: %s is not a directory", name, args["repo_dir"])
		}
		return &gitrepo.Repo{Dir: args["repo_dir"], Author: a.actor, Email: a.actor + "@firebreak.invalid"}, nil
	}
	switch name {
	case "key.pin-update":
		old, err := pub("old")
		if err != nil {
			return nil, err
		}
		nw, err := pub("new")
		if err != nil {
			return nil, err
		}
		return &actions.UpdatePins{Old: old, New: nw, Files: listArg(args["files"])}, nil
	case "key.fingerprint":
		return &actions.CheckFingerprint{PubPath: args["pubkey"], Expect: args["expect"], RecordAs: args["record_as"]}, nil
	case "workflow.use-secret":
		return &actions.UseSecret{Files: listArg(args["files"]), From: args["from"], To: args["to"]}, nil
	case "signatures.verify", "signatures.openssl":
		signed, err := actions.ParseSignedFiles(listArg(args["signed"]))
		if err != nil {
			return nil, fmt.Errorf("step action %s signed: %w", name, err)
		}
		if name == "signatures.openssl" {
			return &actions.VerifyOpenSSL{PubPath: args["pubkey"], Signed: signed, Scratch: filepath.Join(inc.Dir, "exports")}, nil
		}
		k, err := pub("pubkey")
		if err != nil {
			return nil, err
		}
		var mods []string
		if m := listArg(args["modules"]); len(m) > 0 {
			files, bad := wasmsig.Walk(m)
			if len(bad) > 0 {
				return nil, fmt.Errorf("%s: %s", bad[0].Path, bad[0].Error)
			}
			mods = files
		}
		switch args["expect"] {
		case "", "valid", "invalid":
		default:
			return nil, fmt.Errorf("step action signatures.verify expect: %q is not valid or invalid", args["expect"])
		}
		return &actions.VerifySignatures{Pub: k, Signed: signed, Modules: mods, ExpectValid: args["expect"] != "invalid"}, nil
	case "git.first-bad":
		r, err := repo()
		if err != nil {
			return nil, err
		}
		k, err := pub("pubkey")
		if err != nil {
			return nil, err
		}
		return &actions.FindFirstBad{Repo: r, File: args["file"], Sig: args["sig"], Pub: k}, nil
	case "git.restore":
		r, err := repo()
		if err != nil {
			return nil, err
		}
		return &actions.RestoreFiles{Repo: r, Commit: args["commit"], Paths: listArg(args["paths"])}, nil
	case "git.commit":
		r, err := repo()
		if err != nil {
			return nil, err
		}
		return &actions.CommitFiles{Repo: r, Message: args["message"]}, nil
	case "record.window":
		from, err := incident.ParseTime(args["from"], a.now())
		if err != nil {
			return nil, fmt.Errorf("step action record.window from: %w", err)
		}
		return &actions.RecordWindow{From: from, Now: a.now}, nil
	}
	return nil, fmt.Errorf("action %s cannot be run from a step", name)
}

// ghStepAction builds the GitHub actions a step can name.
func (a *app) ghStepAction(inc *incident.Incident, name string, args map[string]string) (actions.Action, error) {
	c, repo, pat, err := a.ghClient(&ghFlags{repo: args["repo"], pattern: github.DefaultSecretPattern.String()})
	if err != nil {
		return nil, err
	}
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	switch name {
	case "gh.pause":
		return &actions.PauseWorkflows{Client: c, Repo: repo, Files: listArg(args["workflows"]), Pattern: pat}, nil
	case "gh.resume":
		return &actions.ResumeWorkflows{Client: c, Repo: repo, Paused: actions.PausedBy(evs, repo.String())}, nil
	case "gh.cancel-runs":
		wfs := actions.PausedBy(evs, repo.String())
		if len(wfs) == 0 {
			all, err := c.Workflows(a.ctx, repo, pat)
			if err != nil {
				return nil, err
			}
			if err := github.Unreadable(all); err != nil {
				return nil, err
			}
			for _, w := range all {
				if w.Uses.IsSigning() {
					wfs = append(wfs, actions.PausedWorkflow{ID: w.ID, File: w.File, Name: w.Name, Prior: w.State})
				}
			}
		}
		return &actions.CancelRuns{Client: c, Repo: repo, Workflows: wfs, Sleep: a.ghSleep}, nil
	case "gh.secret-set":
		return &actions.SetSecret{Client: c, Repo: repo, Env: args["env"], Name: args["name"], File: args["file"]}, nil
	case "gh.secret-delete":
		return &actions.DeleteSecret{Client: c, Repo: repo, Env: args["env"], Name: args["name"]}, nil
	case "gh.audit":
		since, err := incident.ParseTime(args["since"], a.now())
		if err != nil {
			return nil, fmt.Errorf("gh.audit since: %w", err)
		}
		paths := listArg(args["paths"])
		if len(paths) == 0 {
			paths = []string{".github/workflows", "advisories", "clawsec-signing-public.pem", ".github/actions"}
		}
		st := evidence.NewEvidenceStore(filepath.Join(inc.Dir, "evidence"))
		st.Now = a.now
		return &actions.Audit{Client: c, Repo: repo, Since: since, Paths: paths, Store: st, Scratch: filepath.Join(inc.Dir, "exports"), Actor: a.actor, Now: a.now}, nil
	case "gh.publish":
		rec, _, err := a.record(inc)
		if err != nil {
			return nil, err
		}
		var md strings.Builder
		if err := export.WriteMarkdown(&md, rec); err != nil {
			return nil, err
		}
		p := &actions.Publish{Client: c, Repo: repo, Kind: args["kind"], Title: "Incident " + inc.Header.ID + ": " + inc.Header.Title, Body: md.String()}
		if p.Kind == "advisory" {
			st := incident.Derive(inc.Header, inc.Playbook, evs)
			p.Advisory = github.AdvisoryRequest{Summary: inc.Header.Title, Description: "Incident " + inc.Header.ID + " (" + inc.Playbook.Title + ").",
				Severity: advisorySeverity(st.Severity), Vulnerabilities: []github.AdvisoryVulnerability{{Package: github.AdvisoryPackage{Ecosystem: "other", Name: repo.Name}}}}
		}
		return p, nil
	}
	return nil, fmt.Errorf("action %s cannot be run from a step", name)
}
