package cli

import (
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

var cmdWasmShow = &command{
	name:    "wasm show",
	args:    "FILE [--json]",
	summary: "Show a WebAssembly module's sections and signatures: signed-hash sets, records (key id, algorithm,\nlayout, certificates), keyless details (certificate subjects, Rekor entry, module hash checked), and\nwhich sections a current signature covers. Replaces the runbook's non-existent `wsc info`.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		rootPath, incRef := trustFlags(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			raw, err := wasmsig.ReadFile(args[0])
			if err != nil {
				return err
			}
			inf, err := wasmsig.Describe(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			var verdict *sigstore.Verdict
			if inf.Keyless != nil {
				root, blocked, err := a.trustedRoot(*incRef, *rootPath)
				if err != nil {
					return err
				}
				if verdict, err = sigstore.CheckModule(a.ctx, inf, root, a.notify); err != nil {
					return err
				}
				if b, ok := blockedBy(blocked, verdict.Identity, verdict.Issuer); ok {
					verdict.Status, verdict.Reason = sigstore.StatusUntrusted, "signed by "+b.String()+", blocked in incident "+*incRef+sepReason(verdict.Reason)
				}
			}
			if a.json {
				if verdict == nil {
					return a.printJSON(inf)
				}
				return a.printJSON(struct {
					*wasmsig.Info
					Sigstore *sigstore.Verdict `json:"sigstore"`
				}{inf, verdict})
			}
			a.printWasmInfo(args[0], inf, verdict)
			return nil
		}
	},
}

// trustFlags are the flags naming the trusted root a keyless signature is
// checked against.
func trustFlags(fs *flag.FlagSet) (*string, *string) {
	return fs.String("trusted-root", "", "check keyless signatures against the trusted root `FILE` (trusted_root.json)"),
		fs.String("incident", "", "check keyless signatures against incident `ID`'s pinned trusted root")
}

// trustedRoot is the root named by --trusted-root or --incident's pin,
// and the identities the incident blocked.
func (a *invocation) trustedRoot(incRef, given string) (*sigstore.Root, []sigstore.Signer, error) {
	inc, err := a.optionalIncident(incRef)
	if err != nil {
		return nil, nil, err
	}
	sess := a.session(sessionOpts{})
	root, err := sess.TrustedRoot(a.ctx, inc, given)
	if err != nil {
		return nil, nil, err
	}
	blocked, err := sess.Blocked(inc)
	return root, blocked, err
}

// blockedBy names the blocked signer an identity and issuer match.
func blockedBy(blocked []sigstore.Signer, identity, issuer string) (sigstore.Signer, bool) {
	for _, b := range blocked {
		if identity != "" && b.Matches(identity, issuer) {
			return b, true
		}
	}
	return sigstore.Signer{}, false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func (a *invocation) printWasmInfo(path string, inf *wasmsig.Info, verdict *sigstore.Verdict) {
	canon := ""
	if !inf.Canonical {
		canon = ", non-canonical LEB128 encodings (wsc re-encodes them when signing)"
	}
	a.printf("%s: WebAssembly %s, %d bytes, %d sections%s\n", textutil.Name(path), inf.Kind, inf.Size, len(inf.Sections), canon)
	for _, s := range inf.Sections {
		mark := "  "
		if s.Signed {
			mark = "S "
		}
		a.printf("  %s%3d  %-40s %8d bytes at %d\n", mark, s.Index, textutil.Line(s.Kind), s.Size, s.Offset)
	}
	a.printf("  (S = covered by a signature that matches the content)\n\nSignature: %s\n", inf.Signature)
	if inf.Problem != "" {
		a.printf("  PROBLEM: %s\n", textutil.Line(inf.Problem))
	}
	for _, i := range inf.LateSignatureSections {
		a.printf("  WARNING: section %d is a signature section that is not first: verifiers ignore it, signers drop it\n", i)
	}
	for i, set := range inf.Sets {
		cur := "does NOT match the content now"
		if set.Current {
			cur = "matches the content"
		}
		a.printf("  set %d: %d hash(es), %d signature(s); %s\n", i, len(set.Hashes), len(set.Records), cur)
		for _, h := range set.Hashes {
			a.printf("    hash %s\n", h)
		}
		for _, r := range set.Records {
			kid := "no key id"
			if r.KeyID != "" {
				kid = "key id " + r.KeyID
			}
			certs := ""
			if r.Certs > 0 {
				certs = fmt.Sprintf(", %d certificate(s)", r.Certs)
			}
			a.printf("    %s, %s, %s layout%s\n      signature %s\n", kid, r.Alg, r.Layout, certs, r.Signature)
		}
		if set.Dropped > 0 {
			a.printf("    %d record(s) that do not parse (wsc ignores them)\n", set.Dropped)
		}
	}
	if k := inf.Keyless; k != nil {
		for i, c := range k.Certs {
			a.printf("  certificate %d: subject %s; issuer %s; SAN %s; expires %s\n", i, textutil.Line(c.Subject), textutil.Line(c.Issuer), textutil.Line(strings.Join(c.SANs, ", ")), c.NotAfter)
		}
		for _, e := range k.CertErrors {
			a.printf("  PROBLEM: %s\n", textutil.Line(e))
		}
		a.printf("  rekor: uuid %s, log index %d, integrated %s\n", textutil.Line(k.Rekor.UUID), k.Rekor.LogIndex, textutil.Line(k.Rekor.IntegratedTime))
		a.printf("  module hash %x\n", k.ModuleHash)
		a.printf("  claims to be signed by %s (issuer %s)\n", textutil.Line(orNone(k.Identity)), textutil.Line(orNone(k.OIDCIssuer)))
		if c := inf.KeylessOK; c != nil {
			a.printf("  module hash matches the module: %s\n", yesNo(c.ModuleHashOK))
		}
		switch {
		case verdict == nil || verdict.Status == sigstore.StatusNotVerified:
			a.printf("  Sigstore: NOT VERIFIED: no trusted root (give --trusted-root FILE, or --incident ID with one pinned);\n")
			a.printf("  anyone can make a certificate naming any identity: do not trust this signature yet\n")
		case verdict.Status == sigstore.StatusVerified:
			a.printf("  Sigstore: VERIFIED against trusted root sha256 %s: the chain reaches its CA at the\n  integrated time, the Rekor entry is signed by its log, and the signature covers the module\n", verdict.RootSHA256)
		default:
			a.printf("  Sigstore: UNTRUSTED against trusted root sha256 %s: %s\n", verdict.RootSHA256, textutil.Line(verdict.Reason))
		}
	}
	a.printf("  content sha256 (after the signature section): %s\n", inf.ContentSHA256)
}

var cmdWasmVerify = &command{
	name:    "wasm verify",
	args:    "FILE (--pubkey PUB [--strict] [--detached SIG] | --trusted-root FILE | --incident ID [--identity SAN] [--issuer URL]) [--json]",
	summary: "Verify a module's signature with a public key exactly as wsc does (records naming another key id are\nskipped; the raw bytes after the signature section must match a signed hash). --strict also refuses\nnon-canonical encodings and extra signature sections. A keyless (Sigstore) signature is verified against a\ntrusted root instead: the chain, the Rekor entry, the signature and the module hash, and the signer\nwhen given. Exit 0 valid, 1 invalid with the reason.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		pubPath := fs.String("pubkey", "", "public key `PUB` (raw wsc .pub or any supported form)")
		strict := fs.Bool("strict", false, "refuse non-canonical encodings")
		detached := fs.String("detached", "", "detached signature `FILE` (wsc sign -S)")
		rootPath, incRef := trustFlags(fs)
		idf := identityFlagSet(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			keyless := *rootPath != "" || *incRef != "" || idf.identity != "" || idf.identityRe != "" || idf.issuer != "" || idf.issuerRe != ""
			if *pubPath != "" && keyless {
				return usagef("", "--pubkey verifies an Ed25519 signature; --trusted-root, --incident, --identity and --issuer a keyless one: give one kind")
			}
			if *pubPath == "" && (*rootPath != "" || *incRef != "") {
				return a.verifyKeylessModule(args[0], *incRef, *rootPath, idf)
			}
			if *pubPath == "" {
				return usagef("firebreak wasm verify module.wasm --pubkey signer.pub", "--pubkey is required (or, for a keyless signature, --trusted-root FILE or --incident ID)")
			}
			pub, err := signing.LoadPublicKey(*pubPath, nil)
			if err != nil {
				return err
			}
			raw, err := wasmsig.ReadFile(args[0])
			if err != nil {
				return err
			}
			o := wasmsig.VerifyOptions{Strict: *strict}
			if *detached != "" {
				if o.Detached, err = fsutil.ReadRegular(*detached, 16<<20); err != nil {
					return fmt.Errorf("detached signature: %w", err)
				}
			}
			res, err := wasmsig.Verify(raw, pub, o)
			if a.json {
				out := map[string]any{"valid": err == nil, "file": args[0], "key_id": hex.EncodeToString(signing.WscKeyID(pub)), "result": res}
				if err != nil {
					out["reason"] = err.Error()
				}
				return a.jsonVerdict(out, err == nil)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			how := "a record without a key id"
			if res.ByKeyID {
				how = "the record naming key id " + res.KeyID
			}
			a.printf("OK %s: signature is valid (set %d, %s)\n", textutil.Line(args[0]), res.Set, how)
			return nil
		}
	},
}

var cmdWasmSign = &command{
	name:    "wasm sign",
	args:    "FILE --key SEC [--pubkey PUB] [-o OUT] [--detached SIG] [--layout wsc|wasmsign2] [--yes]",
	summary: "Sign a module exactly as wsc does; the signature is added to any existing ones. The record carries the\nkey id (as wsc sign -K) when --pubkey is given or the key file holds the public key (wsc .sec, OpenSSH).\nWithout -o the module is replaced in place (atomically; asks first).",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		keyPath := fs.String("key", "", "private `KEY` (raw wsc .sec or any supported form)")
		pubPath := fs.String("pubkey", "", "the signer's public key `PUB`: store its key id")
		out := fs.String("o", "", "output `FILE` (default: FILE itself)")
		detached := fs.String("detached", "", "write the signature to `SIG` instead of into the module")
		layout := fs.String("layout", wasmsig.LayoutWsc, "record `LAYOUT`: wsc (trailing certificate count) or wasmsign2")
		passFile := passFlag(fs)
		incRef := incidentFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *keyPath == "" {
				return usagef("firebreak wasm sign module.wasm --key new-signing-key.sec", "--key is required")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			wa := app.Args{}.With("file", args[0]).With("key", *keyPath).With("pubkey", *pubPath).With("out", *out).
				With("detached", *detached).With("layout", *layout)
			_, err = a.act(inc, pf, sessionOpts{passFile: *passFile}, actions.NameWasmSign, wa)
			return err
		}
	},
}

// keySelector reads --key-id / --pubkey into a key id and optional key.
func keySelector(kidHex, pubPath, what string) ([]byte, ed25519.PublicKey, error) {
	switch {
	case kidHex != "" && pubPath != "":
		return nil, nil, usagef("", "give --%skey-id or --%spubkey, not both", what, what)
	case pubPath != "":
		pub, err := signing.LoadPublicKey(pubPath, nil)
		if err != nil {
			return nil, nil, err
		}
		return signing.WscKeyID(pub), pub, nil
	case kidHex != "":
		kid, err := hex.DecodeString(strings.TrimSpace(kidHex))
		if err != nil || len(kid) != signing.WscKeyIDLen {
			// A shorter id would match nothing and read as an all-clear.
			return nil, nil, usagef("a wsc key id is 24 hex digits (12 bytes), e.g. 5a64496e13b2692d0cee20b2; firebreak key fingerprint KEY prints it", "--%skey-id %q is not a wsc key id", what, kidHex)
		}
		return kid, nil, nil
	}
	return nil, nil, usagef("", "give --%skey-id HEX or --%spubkey PUB", what, what)
}

var cmdWasmScan = &command{
	name:    "wasm scan",
	args:    "PATH... (--key-id HEX | --pubkey PUB) [--sha256] [--json]",
	summary: "Find every module signed by a key: walks directories (*.wasm; symlinks to directories skipped), parses\nmodules in parallel, matches records by key id and, with --pubkey, records without a key id by trial\nverification. Lists the matches and counts the rest. Exit 0 when the scan completed, whatever it found.",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		kidHex := fs.String("key-id", "", "the key id `HEX` (24 hex digits)")
		pubPath := fs.String("pubkey", "", "the key `PUB`: also finds records without a key id")
		jobs := fs.Int("jobs", 0, "modules read at once (`N`; default twice the CPUs)")
		fileHash := fs.Bool("sha256", false, "also print each matching module's SHA-256 (hashes those files twice)")
		jsonFlag(a, fs)
		return func(args []string) error {
			kid, pub, err := keySelector(*kidHex, *pubPath, "")
			if err != nil {
				return err
			}
			files, bad := wasmsig.Walk(args)
			sc := &wasmsig.Scanner{KeyID: kid, Pub: pub, Jobs: *jobs, FileHash: *fileHash}
			if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !a.json {
				sc.Report = func(done, total int) { fmt.Fprintf(f, "\rscanned %d/%d", done, total) }
				defer fmt.Fprint(f, "\r\033[K")
			}
			res, err := sc.Scan(a.ctx, files)
			if err != nil {
				return err
			}
			res = append(res, bad...)
			c := wasmsig.Summary(res)
			unreadable := func() error {
				if n := c[wasmsig.StatusUnreadable]; n > 0 {
					return withHint(fmt.Errorf("%d path(s) could not be read: the scan is not the whole scope", n), "check the paths and permissions, then scan again")
				}
				return nil
			}
			if a.json {
				for _, r := range res {
					if err := a.printJSON(r); err != nil {
						return err
					}
				}
				return unreadable()
			}
			for _, r := range res {
				if r.Status != wasmsig.StatusSignedByKey {
					continue
				}
				state := "signature VALID for the content"
				if !r.Valid {
					state = "signature does not match the content"
				}
				sum := ""
				if r.SHA256 != "" {
					sum = r.SHA256 + "  "
				}
				a.printf("%s%s  (by %s; %s)\n", sum, textutil.Name(r.Path), r.MatchedBy, state)
			}
			for _, r := range res {
				if r.Status == wasmsig.StatusUnreadable || r.Status == wasmsig.StatusUnparseable {
					a.printf("%s: %s: %s\n", r.Status, textutil.Name(r.Path), textutil.Line(r.Error))
				}
			}
			a.printf("%d module(s) scanned for key %x: %d signed by the key, %d signed by other keys only, %d unsigned, %d keyless, %d unparseable, %d unreadable\n",
				len(res), kid, c[wasmsig.StatusSignedByKey], c[wasmsig.StatusOthers], c[wasmsig.StatusUnsigned], c[wasmsig.StatusKeyless], c[wasmsig.StatusUnparseable], c[wasmsig.StatusUnreadable])
			if c[wasmsig.StatusKeyless] > 0 {
				a.printf("the %d keyless-signed module(s) are not verified here: firebreak sigstore audit PATH --trusted-root FILE checks them\n", c[wasmsig.StatusKeyless])
			}
			return unreadable()
		}
	},
}

var cmdWasmResign = &command{
	name:    "wasm resign",
	args:    "PATH... (--drop-key-id HEX | --drop-pubkey PUB) --key NEWSEC [--pubkey NEWPUB] [--out-dir DIR] [--incident ID] [--yes] [--dry-run]",
	summary: "Remove only the compromised key's signatures from modules, keep every other signer, add a signature\nwith the new key, write atomically, and verify that the new key verifies and the dropped key no longer\ndoes. Inside an incident each original is first copied into the evidence and old and new SHA-256 are\nrecorded. Without --out-dir the modules are replaced in place (asks first).",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		dropKID := fs.String("drop-key-id", "", "key id `HEX` of the compromised key")
		dropPub := fs.String("drop-pubkey", "", "public key `PUB` of the compromised key (also finds records without a key id)")
		keyPath := fs.String("key", "", "the new private `KEY`")
		pubPath := fs.String("pubkey", "", "the new public key `PUB`: store its key id")
		outDir := fs.String("out-dir", "", "write the re-signed modules into `DIR` instead of in place")
		layout := fs.String("layout", wasmsig.LayoutWsc, "record `LAYOUT`: wsc or wasmsign2")
		passFile := passFlag(fs)
		incRef := incidentFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *keyPath == "" {
				return usagef("", "--key (the new signing key) is required")
			}
			if *dropKID == "" && *dropPub == "" {
				return usagef("", "give --drop-key-id HEX or --drop-pubkey PUB")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			ra := app.Args{}.WithList("paths", args).With("drop_key_id", *dropKID).With("drop_pubkey", *dropPub).With("key", *keyPath).
				With("pubkey", *pubPath).With("out_dir", *outDir).With("layout", *layout)
			_, err = a.act(inc, pf, sessionOpts{passFile: *passFile}, actions.NameWasmResign, ra)
			return err
		}
	},
}

// verifyKeylessModule verifies a module's keyless signature against a
// trusted root, and its signer when the flags name one.
func (a *invocation) verifyKeylessModule(path, incRef, given string, idf *identityFlags) error {
	pol, err := idf.policy()
	if err != nil {
		return err
	}
	root, blocked, err := a.trustedRoot(incRef, given)
	if err != nil {
		return err
	}
	if root == nil {
		return fmt.Errorf("incident %s has no trusted root pinned: give --trusted-root FILE", incRef)
	}
	raw, err := wasmsig.ReadFile(path)
	if err != nil {
		return err
	}
	inf, err := wasmsig.Describe(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if inf.Keyless == nil {
		return fmt.Errorf("%s: no keyless signature (%s): verify it with --pubkey", path, inf.Signature)
	}
	v, err := sigstore.Start(a.ctx, root, a.notify)
	if err != nil {
		return err
	}
	defer v.Close()
	res, err := sigstore.VerifyModule(v, inf, pol)
	if err != nil {
		return err
	}
	if b, ok := blockedBy(blocked, res.Identity, res.Issuer); ok {
		res.Verified = false
		res.Problem = joinNonEmpty("signed by "+b.String()+", blocked in incident "+incRef, res.Problem)
	}
	if a.json {
		return a.jsonVerdict(map[string]any{"valid": res.Verified, "file": path, "trusted_root_sha256": root.SHA256, "result": res}, res.Verified)
	}
	a.printSigstoreResult(path, root, res)
	if !res.Verified {
		return errSilent
	}
	return nil
}

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func sepReason(r string) string {
	if r == "" {
		return ""
	}
	return "; " + r
}
