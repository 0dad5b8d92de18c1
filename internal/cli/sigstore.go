package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// notify tells the responder of slow one-off work, on stderr.
func (a *invocation) notify(msg string) {
	fmt.Fprintf(a.stderr, "firebreak: %s\n", textutil.Line(msg))
}

type identityFlags struct{ identity, identityRe, issuer, issuerRe string }

func identityFlagSet(fs *flag.FlagSet) *identityFlags {
	f := &identityFlags{}
	fs.StringVar(&f.identity, "identity", "", "the signer's certificate identity `SAN` (email or URI), exactly")
	fs.StringVar(&f.identityRe, "identity-regexp", "", "the signer's identity must match `RE` (Go syntax, unanchored: use ^…$)")
	fs.StringVar(&f.issuer, "issuer", "", "the OIDC issuer `URL` of the signer's certificate, exactly")
	fs.StringVar(&f.issuerRe, "issuer-regexp", "", "the OIDC issuer must match `RE` (unanchored)")
	return f
}

func (f *identityFlags) policy() (sigstore.Policy, error) {
	if f.identity != "" && f.identityRe != "" {
		return sigstore.Policy{}, usagef("", "give --identity or --identity-regexp, not both")
	}
	if f.issuer != "" && f.issuerRe != "" {
		return sigstore.Policy{}, usagef("", "give --issuer or --issuer-regexp, not both")
	}
	ids, iss := f.identity != "" || f.identityRe != "", f.issuer != "" || f.issuerRe != ""
	if iss && !ids {
		return sigstore.Policy{}, usagef("--identity release@example.com --issuer https://accounts.google.com", "--issuer checks the signer's issuer and needs --identity or --identity-regexp too")
	}
	if ids && !iss {
		// An identity means nothing without the issuer that vouched for it.
		return sigstore.Policy{}, usagef("--identity release@example.com --issuer https://accounts.google.com", "--identity needs --issuer or --issuer-regexp: an identity is only as good as the OIDC issuer that vouched for it")
	}
	for flag, re := range map[string]string{"--identity-regexp": f.identityRe, "--issuer-regexp": f.issuerRe} {
		if re == "" {
			continue
		}
		if _, err := regexp.Compile(re); err != nil {
			return sigstore.Policy{}, usagef("", "%s: %v", flag, err)
		}
	}
	return sigstore.Policy{Identity: f.identity, IdentityRegexp: f.identityRe, Issuer: f.issuer, IssuerRegexp: f.issuerRe}, nil
}

// parseDigest reads ALG:HEX.
func parseDigest(s string) (*sigstore.Digest, error) {
	alg, h, ok := strings.Cut(s, ":")
	want := map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}[strings.ToLower(alg)]
	if !ok || want == 0 {
		return nil, usagef("--digest sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "--digest %q: ALG:HEX with ALG sha256, sha384 or sha512", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != want {
		return nil, usagef("", "--digest: %d hex digits expected for %s", 2*want, alg)
	}
	return &sigstore.Digest{Algorithm: strings.ToLower(alg), Hex: strings.ToLower(h)}, nil
}

var cmdSigstoreVerify = &command{
	name:    "sigstore verify",
	args:    "BUNDLE --trusted-root FILE (--artifact FILE | --digest ALG:HEX) [(--identity SAN | --identity-regexp RE) (--issuer URL | --issuer-regexp RE)] [--json]",
	summary: "Verify a Sigstore bundle offline against a trusted root (trusted_root.json) with sigstore-go: the\nFulcio chain at the log's integrated time, the Rekor entry and its signed timestamp, SCTs, RFC 3161\ntimestamps, and the signature over the artifact; and the signer, when given. A wsc keyless-signed\nmodule may be given as BUNDLE (the module is its own artifact). Exit 0 verified, 1 not.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		rootPath := fs.String("trusted-root", "", "the trusted root `FILE` (trusted_root.json)")
		artifact := fs.String("artifact", "", "the signed artifact `FILE`")
		digest := fs.String("digest", "", "the signed artifact's digest `ALG:HEX` (sha256, sha384, sha512)")
		idf := identityFlagSet(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			if *rootPath == "" {
				return usagef("firebreak sigstore verify x.sigstore.json --trusted-root trusted_root.json --artifact x", "--trusted-root is required: offline verification needs the trust material")
			}
			pol, err := idf.policy()
			if err != nil {
				return err
			}
			root, err := sigstore.LoadRoot(*rootPath)
			if err != nil {
				return err
			}
			head, err := readHead(args[0])
			if err != nil {
				return err
			}
			var req *sigstore.Request
			var module *wasmsig.Info
			if bytes.HasPrefix(head, []byte("\x00asm")) {
				if *artifact != "" || *digest != "" {
					return usagef("", "%s is a module: it is its own artifact (no --artifact or --digest)", args[0])
				}
				raw, err := wasmsig.ReadFile(args[0])
				if err != nil {
					return err
				}
				inf, err := wasmsig.Describe(raw)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if inf.Keyless == nil {
					return fmt.Errorf("%s: no keyless signature (%s)", args[0], inf.Signature)
				}
				module = inf
			} else {
				if (*artifact == "") == (*digest == "") {
					return usagef("firebreak sigstore verify x.sigstore.json --trusted-root trusted_root.json --artifact x", "give exactly one of --artifact FILE and --digest ALG:HEX")
				}
				raw, err := fsutil.ReadRegular(args[0], sigstore.MaxBundle)
				if err != nil {
					return err
				}
				req = &sigstore.Request{Kind: "bundle", Bundle: raw}
				if *digest != "" {
					if req.Digest, err = parseDigest(*digest); err != nil {
						return err
					}
				} else if req.Artifact, err = sigstore.HashFile(*artifact); err != nil {
					return err
				}
			}
			v, err := sigstore.Start(a.ctx, root, a.notify)
			if err != nil {
				return err
			}
			defer v.Close()
			var res sigstore.Result
			if module != nil {
				res, err = sigstore.VerifyModule(v, module, pol)
			} else {
				req.Policy = pol
				res, err = v.Verify(req)
			}
			if err != nil {
				return err
			}
			if a.json {
				return a.jsonVerdict(map[string]any{"verified": res.Verified, "bundle": args[0], "trusted_root_sha256": root.SHA256, "result": res}, res.Verified)
			}
			a.printSigstoreResult(args[0], root, res)
			if !res.Verified {
				return errSilent
			}
			return nil
		}
	},
}

func readHead(path string) ([]byte, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 4)
	n, _ := f.Read(b)
	return b[:n], nil
}

func (a *invocation) printSigstoreResult(name string, root *sigstore.Root, res sigstore.Result) {
	if res.Verified {
		a.printf("OK %s: verified offline against trusted root sha256 %s\n", textutil.Line(name), root.SHA256)
	} else {
		a.printf("FAIL %s: %s\n", textutil.Line(name), textutil.Line(res.Problem))
	}
	if res.Identity != "" {
		a.printf("  signer     %s (issuer %s)\n", textutil.Line(res.Identity), textutil.Line(orNone(res.Issuer)))
	}
	if !res.IntegratedTime.IsZero() {
		a.printf("  logged     %s, Rekor log index %d\n", res.IntegratedTime.UTC().Format(time.RFC3339), res.LogIndex)
	}
	for _, s := range res.Subjects {
		for _, d := range s.Digests {
			a.printf("  subject    %s %s\n", textutil.Line(s.Name), d)
		}
	}
	for _, d := range res.Digests {
		a.printf("  signs      %s\n", d)
	}
	if res.ArtifactDigest != "" {
		a.printf("  artifact   %s\n", res.ArtifactDigest)
	}
	for _, n := range res.Notes {
		a.printf("  note: %s\n", textutil.Line(n))
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

var cmdSigstoreAudit = &command{
	name:    "sigstore audit",
	args:    "PATH... (--trusted-root FILE | --incident ID) [--since TIME] [--until TIME] [--signers FILE] [--deny FILE] [--json]",
	summary: "Find the Sigstore bundles (*.sigstore.json, *.sigstore, *.bundle) and wsc keyless-signed modules under\nthe paths and verify each offline: artifact, signer and issuer, Rekor integrated time (UTC), verified or\nwhy not, inside the window or not, expected or not. --signers is a YAML list of {identity, issuer}.\nExit 1 when a signature in the window fails or is by a signer not on the list (or a blocked one).\nWith --incident, it runs as the action sigstore.audit: the incident's pinned trusted root, its blocked\nidentities, and the report saved into its evidence.",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		rootPath := fs.String("trusted-root", "", "the trusted root `FILE` (trusted_root.json)")
		since := fs.String("since", "", "the window starts at `TIME` (RFC 3339, \"YYYY-MM-DD HH:MM\" UTC, -2d)")
		until := fs.String("until", "", "the window ends at `TIME`")
		signers := fs.String("signers", "", "the expected signers `FILE` (YAML list of {identity, issuer})")
		deny := fs.String("deny", "", "blocked identities `FILE` (the same YAML form)")
		incRef := incidentFlag(fs)
		pf := pipelineFlags(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			if *incRef != "" {
				if *deny != "" {
					return usagef("", "--deny is for an audit outside an incident; in one, block identities with firebreak sigstore block")
				}
				inc, err := a.load(*incRef)
				if err != nil {
					return err
				}
				pf.yes = true // it only adds to the evidence
				_, err = a.act(inc, pf, sessionOpts{}, actions.NameSigstoreAudit, app.Args{}.WithList("paths", args).
					With("trusted_root", *rootPath).With("since", *since).With("until", *until).With("signers", *signers))
				return err
			}
			if *rootPath == "" {
				return usagef("firebreak sigstore audit modules/ --trusted-root trusted_root.json --since -2d", "--trusted-root (or --incident) is required")
			}
			o := sigstore.AuditOptions{Paths: args}
			var err error
			for _, tf := range []struct {
				flag string
				v    string
				t    *time.Time
			}{{"--since", *since, &o.Window.Since}, {"--until", *until, &o.Window.Until}} {
				if tf.v == "" {
					continue
				}
				if *tf.t, err = incident.ParseTime(tf.v, a.now()); err != nil {
					return usagef("", "%s: %v", tf.flag, err)
				}
			}
			if !o.Window.Since.IsZero() && !o.Window.Until.IsZero() && o.Window.Until.Before(o.Window.Since) {
				return usagef("", "--until %s is before --since %s", o.Window.Until.Format(time.RFC3339), o.Window.Since.Format(time.RFC3339))
			}
			if *signers != "" {
				if o.Signers, err = sigstore.LoadSigners(*signers); err != nil {
					return err
				}
			}
			if *deny != "" {
				if o.Blocked, err = sigstore.LoadSigners(*deny); err != nil {
					return err
				}
			}
			root, err := sigstore.LoadRoot(*rootPath)
			if err != nil {
				return err
			}
			for _, p := range args {
				if _, err := os.Lstat(p); err != nil {
					return err
				}
			}
			v, err := sigstore.Start(a.ctx, root, a.notify)
			if err != nil {
				return err
			}
			defer v.Close()
			o.Verifier = v
			o.Progress = a.auditProgress()
			var rep *sigstore.ReportWriter
			if a.json {
				rep = sigstore.NewReportWriter(a.stdout)
				o.Found = rep.Finding
			} else {
				o.Found = func(f sigstore.Finding) error { a.printFinding(f); return nil }
			}
			sum, err := sigstore.Audit(a.ctx, o)
			if o.Progress != nil {
				o.Progress("", -1)
			}
			if err != nil {
				if a.json && sum != nil {
					// The report so far stays valid JSON, and says why it ends.
					sum.Error = err.Error()
					sum.RootSHA256 = root.SHA256
					rep.Close(sum)
				}
				return err
			}
			sum.RootSHA256 = root.SHA256
			if a.json {
				if err := rep.Close(sum); err != nil {
					return err
				}
			} else {
				a.printAuditSummary(sum, o.Signers != nil)
			}
			if sum.Failed > 0 {
				return errSilent
			}
			if sum.Signatures == 0 {
				if !a.json {
					a.printf("no Sigstore bundle and no keyless-signed module under %s: nothing was audited\n", textutil.Line(strings.Join(args, ", ")))
				}
				return errSilent
			}
			return nil
		}
	},
}

// auditProgress counts files on stderr when it is a terminal; n < 0 ends.
func (a *invocation) auditProgress() func(string, int) {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	last := time.Time{}
	return func(path string, n int) {
		if n < 0 {
			fmt.Fprint(f, "\r\x1b[K")
			return
		}
		if time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(f, "\r\x1b[K%d files looked at: %s", n, textutil.Line(clip(path, 60)))
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

func (a *invocation) printFinding(f sigstore.Finding) {
	mark := "ok  "
	if f.Failed {
		mark = "FAIL"
	} else if !f.Verified {
		mark = "--  "
	}
	a.printf("%s %s  (%s)\n", mark, textutil.Name(f.Artifact), textutil.Name(f.Path))
	a.printf("     signer   %s (issuer %s)\n", textutil.Line(orNone(f.Identity)), textutil.Line(orNone(f.Issuer)))
	when := "no integrated time"
	if !f.IntegratedTime.IsZero() {
		when = f.IntegratedTime.UTC().Format(time.RFC3339) + fmt.Sprintf(", log index %d", f.LogIndex)
		if !f.TimeVerified {
			when = "claims " + when + " (unverified)"
		}
	}
	place := "outside the window"
	switch {
	case f.InWindow && !f.TimeVerified:
		place = "counted inside the window (its time is not verified)"
	case f.InWindow:
		place = "inside the window"
	}
	signer := ""
	if f.Signer != "" {
		signer = ", " + f.Signer + " signer"
	}
	a.printf("     logged   %s; %s%s\n", when, place, signer)
	if len(f.Subjects) > 1 {
		for _, sub := range f.Subjects {
			for _, d := range sub.Digests {
				a.printf("     subject  %s %s\n", textutil.Line(sub.Name), textutil.Line(d.String()))
			}
		}
	} else if f.Digest != "" {
		a.printf("     digest   %s\n", textutil.Line(f.Digest))
	}
	if f.Verified {
		a.printf("     verified\n")
	} else {
		a.printf("     not verified: %s\n", textutil.Line(f.Problem))
	}
	for _, n := range f.Notes {
		a.printf("     note: %s\n", textutil.Line(n))
	}
	if w := f.Why(); w != "" {
		a.printf("     FAILS THE AUDIT: %s\n", textutil.Line(w))
	}
}

func (a *invocation) printAuditSummary(s *sigstore.Summary, withList bool) {
	a.printf("\n%d signature(s), %d verified; %d in the window (%s); %d fail the audit", s.Signatures, s.Verified, s.InWindow, s.Window, s.Failed)
	if withList {
		a.printf(" (%d by unexpected signers", s.Unexpected)
		a.printf(", %d by blocked ones)", s.Blocked)
	}
	a.printf("\n")
	if len(s.Identities) > 0 {
		a.printf("identities in the window: %s\n", textutil.Line(strings.Join(s.Identities, ", ")))
	}
	for _, sk := range s.Skipped {
		a.printf("skipped %s: %s\n", textutil.Name(sk.Path), textutil.Line(sk.Reason))
	}
	a.printf("trusted root sha256 %s\n", s.RootSHA256)
}

var cmdSigstoreRootDiff = &command{
	name:    "sigstore root diff",
	args:    "OLD NEW [--json]",
	summary: "What changed between two trusted roots: certificate authorities, transparency-log and CT-log keys,\ntimestamp authorities, and their validity; what a verifier pinned to OLD must learn or forget.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		jsonFlag(a, fs)
		return func(args []string) error {
			old, err := sigstore.LoadRoot(args[0])
			if err != nil {
				return err
			}
			nw, err := sigstore.LoadRoot(args[1])
			if err != nil {
				return err
			}
			ch := sigstore.Diff(old, nw)
			if a.json {
				if ch == nil {
					ch = []sigstore.Change{}
				}
				return a.printJSON(map[string]any{"old": old, "new": nw, "changes": ch})
			}
			a.printf("old %s sha256 %s\nnew %s sha256 %s\n", textutil.Line(args[0]), old.SHA256, textutil.Line(args[1]), nw.SHA256)
			if len(ch) == 0 {
				a.printf("no change in certificate authorities, logs or timestamp authorities\n")
				return nil
			}
			for _, c := range ch {
				a.printf("%s\n", textutil.Line(c.String()))
			}
			return nil
		}
	},
}

var cmdSigstorePin = &command{
	name:    "sigstore pin",
	args:    "ID FILE [--reason TEXT] [--yes] [--dry-run]",
	summary: "Pin a trusted root to the incident: its copy goes into the evidence and its SHA-256 into the record;\nevery Sigstore check in the incident then uses it. A different root replaces the pin only with --reason\n(for example: Sigstore rotated its root).",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		reason := fs.String("reason", "", "why the pin changes (required to replace one)")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			pf.yes = true // it only adds to the evidence
			_, err = a.act(inc, pf, sessionOpts{}, actions.NameSigstorePin, app.Args{}.With("file", args[1]).With("reason", *reason))
			var re *actions.RepinError
			if errors.As(err, &re) {
				return &usageError{msg: err.Error()}
			}
			return err
		}
	},
}

var cmdSigstoreBlock = &command{
	name:    "sigstore block",
	args:    "ID --identity SAN [--issuer URL] --reason TEXT [--yes]",
	summary: "Block a signing identity in the incident: every later audit in it fails the identity's signatures,\ninside the window or not (INC-2's \"block the signing identity\").",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		identity := fs.String("identity", "", "the certificate identity `SAN` to block")
		issuer := fs.String("issuer", "", "only with this OIDC issuer `URL`")
		reason := fs.String("reason", "", "why")
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *identity == "" || *reason == "" {
				return usagef("firebreak sigstore block ID --identity evil@example.com --reason \"signed the malicious module\"", "--identity and --reason are required")
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			_, err = a.act(inc, pf, sessionOpts{}, actions.NameSigstoreBlock, app.Args{}.With("identity", *identity).With("issuer", *issuer).With("reason", *reason))
			return err
		}
	},
}
