package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// optionalIncident loads --incident when given, for commands that work with
// or without one.
func (a *invocation) optionalIncident(ref string) (*incident.Incident, error) {
	if ref == "" {
		return nil, nil
	}
	return a.load(ref)
}

func incidentFlag(fs *flag.FlagSet) *string {
	return fs.String("incident", "", "record this in incident `ID`'s timeline")
}

var cmdKeyIsolate = &command{
	name:    "key isolate",
	args:    "ID PATH [--to DIR] [--yes] [--dry-run] [--passphrase-file F]",
	summary: "Move a private key out of service into the incident's keys/ (or an offline DIR), mode 0000,\nrecording the file's SHA-256 and the public key's fingerprint — never the key's contents.\nAn encrypted key is isolated even without its passphrase (its fingerprint is then not derived).",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		to := fs.String("to", "", "offline `DIR` to move the key into instead of the incident's keys/")
		passFile := passFlag(fs)
		pf := pipelineFlags(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			out, err := a.act(inc, pf, sessionOpts{passFile: *passFile}, actions.NameKeyIsolate, app.Args{}.With("path", args[1]).With("to", *to))
			if a.json && out != nil {
				if jerr := a.printJSON(out); jerr != nil {
					return jerr
				}
			}
			return err
		}
	},
}

var cmdKeyGenerate = &command{
	name:    "key generate",
	args:    "--out PREFIX [--format pem|wsc] [--passphrase-file F | --encrypt] [--incident ID] [--json]",
	summary: "Generate an Ed25519 key pair. pem: PREFIX.pem (PKCS#8, 0600; encrypted with a passphrase)\nand PREFIX.pub.pem (SPKI). wsc: PREFIX.sec (65 bytes) and PREFIX.pub (33 bytes).\nPrints the fingerprint and the wsc key id. Never overwrites. With --incident, a relative PREFIX\nis a name in the incident's newkeys/ (0700). A leading ~/ is the home directory.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		prefix := fs.String("out", "", "`PREFIX` of the files to write")
		format := fs.String("format", "pem", "`FORMAT`: pem or wsc")
		passFile := passFlag(fs)
		encrypt := fs.Bool("encrypt", false, "encrypt the private key with a passphrase asked on the terminal")
		incRef := incidentFlag(fs)
		jsonFlag(a, fs)
		return func([]string) error {
			if *prefix == "" {
				return usagef("firebreak key generate --out new-signing-key", "--out is required")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			var pw []byte
			switch {
			case *passFile != "":
				if pw, err = readPassFile(*passFile); err != nil {
					return err
				}
			case *encrypt:
				if pw, err = a.askNewPassphrase(); err != nil {
					return err
				}
			}
			defer clear(pw)
			sess := sessionOpts{newPass: pw}
			out, err := a.act(inc, &pipeFlags{yes: true}, sess, actions.NameKeyGenerate, app.Args{}.With("out", *prefix).With("format", *format))
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(out.Result.Data)
			}
			return nil
		}
	},
}

func (a *invocation) askNewPassphrase() ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || a.noTTY {
		return nil, errors.New("--encrypt needs a terminal to ask for the passphrase; use --passphrase-file")
	}
	defer tty.Close()
	fmt.Fprint(tty, "New passphrase: ")
	p1, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(tty, "Again: ")
	p2, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, err
	}
	defer clear(p2)
	if string(p1) != string(p2) || len(p1) == 0 {
		clear(p1)
		return nil, errors.New("the passphrases differ or are empty")
	}
	return p1, nil
}

var cmdKeyFingerprint = &command{
	name:    "key fingerprint",
	args:    "FILE [--json] [--passphrase-file F]",
	summary: "Print a key's fingerprint — the SHA-256 of its DER SPKI, as `openssl pkey -pubin -outform DER | sha256sum`\nprints — and its wsc key id. Reads PEM PKCS#8 (plain or encrypted), SPKI, DER, raw wsc .sec/.pub, OpenSSH ed25519.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		passFile := passFlag(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			k, err := signing.LoadKey(args[0], a.passphrase(*passFile, args[0]))
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"file": args[0], "form": k.Form, "private": k.Private != nil, "fingerprint": k.Fingerprint(), "key_id": k.KeyID()})
			}
			a.printf("%s  %s\n", k.Fingerprint(), textutil.Line(args[0]))
			a.printf("wsc key id %s, %s\n", k.KeyID(), k.Form)
			return nil
		}
	},
}

var cmdKeyCheck = &command{
	name:    "key check-consistency",
	args:    "--pin HEX FILE... [--json]",
	summary: "Check that every key file, and every PEM key block or fingerprint found in the given text files,\nhas the pinned fingerprint (the drift guard ClawSec runs in CI). Exit 1 on any mismatch, and for\na text file with nothing to check.",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		pin := fs.String("pin", "", "the expected fingerprint (64 hex digits)")
		jsonFlag(a, fs)
		return func(args []string) error {
			if *pin == "" {
				return usagef("firebreak key check-consistency --pin 711424e4… clawsec-signing-public.pem SKILL.md", "--pin is required")
			}
			found, err := signing.CheckConsistency(*pin, args, nil)
			if err != nil {
				return usagef("", "%v", err)
			}
			bad := 0
			for _, f := range found {
				if !f.OK {
					bad++
				}
			}
			if a.json {
				return a.jsonVerdict(map[string]any{"ok": bad == 0, "pin": strings.ToLower(*pin), "findings": found}, bad == 0)
			}
			for _, f := range found {
				mark, d := "ok  ", ""
				if !f.OK {
					mark, d = "FAIL", " — "+textutil.Line(f.Problem)
				}
				a.printf("%s %s:%d %s%s\n", mark, textutil.Name(f.File), f.Line, f.What, d)
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d key references do not match the pinned fingerprint", bad, len(found))
			}
			a.printf("All %d key references are consistent: %s\n", len(found), strings.ToLower(*pin))
			return nil
		}
	},
}

var cmdSign = &command{
	name:    "sign",
	args:    "FILE --key KEY [-o SIG] [--passphrase-file F] [--incident ID] [--yes]",
	summary: "Sign a file with pure Ed25519 over its raw bytes; write standard base64 on one line without a\ntrailing newline (default FILE.sig): byte-identical to ClawSec's sign-and-verify action.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		keyPath := fs.String("key", "", "private `KEY` (any supported form)")
		out := fs.String("o", "", "signature `FILE` (default FILE.sig)")
		passFile := passFlag(fs)
		incRef := incidentFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *keyPath == "" {
				return usagef("firebreak sign feed.json --key signing.pem", "--key is required")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			_, err = a.act(inc, pf, sessionOpts{passFile: *passFile}, actions.NameFileSign, app.Args{}.With("file", args[0]).With("key", *keyPath).With("out", *out))
			return err
		}
	},
}

var cmdVerify = &command{
	name:    "verify",
	args:    "FILE --sig SIG --pubkey PUB [--fingerprint HEX] [--json]",
	summary: "Verify a detached Ed25519 signature as ClawSec's consumers do (whitespace, a trailing newline and a\n{\"signature\": …} wrapper are accepted). Exit 0 with one line when valid; exit 1 with the reason.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		sigPath := fs.String("sig", "", "signature `FILE` (default FILE.sig)")
		pubPath := fs.String("pubkey", "", "public key `PUB` (any supported form)")
		pin := fs.String("fingerprint", "", "pinned fingerprint `HEX` the key must have")
		jsonFlag(a, fs)
		return func(args []string) error {
			if *pubPath == "" {
				return usagef("firebreak verify feed.json --sig feed.json.sig --pubkey feed-signing-public.pem", "--pubkey is required")
			}
			sp := *sigPath
			if sp == "" {
				sp = args[0] + ".sig"
			}
			pub, err := signing.LoadPublicKey(*pubPath, nil)
			if err != nil {
				return err
			}
			res, err := signing.VerifyFile(args[0], sp, pub, *pin)
			if a.json {
				out := map[string]any{"valid": err == nil, "file": args[0], "signature": sp, "fingerprint": signing.Fingerprint(pub)}
				if err != nil {
					out["reason"] = err.Error()
				}
				return a.jsonVerdict(out, err == nil)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			a.printf("OK %s: valid Ed25519 signature %s by key %s (%d bytes)\n", textutil.Name(args[0]), textutil.Name(sp), res.Fingerprint, res.Size)
			return nil
		}
	},
}

var cmdChecksumsMake = &command{
	name:    "checksums make",
	args:    "FILE... -o checksums.json [--sign KEY [--sig SIG]] [--version V] [--repository R] [--tag T]",
	summary: "Write a ClawSec checksums manifest (files as {sha256, size, path}, names relative to the\nmanifest's directory) and, with --sign, its detached signature (default checksums.sig).",
	minArgs: 1, maxArgs: -1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		out := fs.String("o", "", "manifest `FILE` to write")
		signKey := fs.String("sign", "", "private `KEY` to sign the manifest with")
		sigOut := fs.String("sig", "", "signature `FILE` (default checksums.sig beside the manifest)")
		version := fs.String("version", "", "version to record")
		repo := fs.String("repository", "", "owner/name to record")
		tag := fs.String("tag", "", "tag to record")
		passFile := passFlag(fs)
		incRef := incidentFlag(fs)
		pf := pipelineFlags(fs)
		return func(args []string) error {
			if *out == "" {
				return usagef("firebreak checksums make advisories/feed.json -o checksums.json", "-o is required")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			ca := app.Args{}.WithList("files", args).With("out", *out).With("sign", *signKey).With("sig", *sigOut).
				With("version", *version).With("repository", *repo).With("tag", *tag)
			_, err = a.act(inc, pf, sessionOpts{passFile: *passFile}, actions.NameChecksumsMake, ca)
			return err
		}
	},
}

var cmdChecksumsVerify = &command{
	name:    "checksums verify",
	args:    "checksums.json [--sig SIG --pubkey PUB [--fingerprint HEX]] [--json]",
	summary: "Check a checksums manifest (any ClawSec shape): its signature when --sig is given, then every\nlisted file re-hashed relative to the manifest's directory. Exit 1 naming each mismatch.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		sigPath := fs.String("sig", "", "the manifest's signature `FILE`")
		pubPath := fs.String("pubkey", "", "public key `PUB`")
		pin := fs.String("fingerprint", "", "pinned fingerprint `HEX`")
		jsonFlag(a, fs)
		return func(args []string) error {
			sigOK := ""
			if *sigPath != "" || *pubPath != "" {
				if *sigPath == "" || *pubPath == "" {
					return usagef("", "--sig and --pubkey go together")
				}
				pub, err := signing.LoadPublicKey(*pubPath, nil)
				if err != nil {
					return err
				}
				if _, err := signing.VerifyFile(args[0], *sigPath, pub, *pin); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				sigOK = signing.Fingerprint(pub)
			}
			res, err := actions.VerifyChecksums(a.ctx, args[0])
			if err != nil {
				return err
			}
			bad := 0
			for _, r := range res {
				if !r.OK {
					bad++
				}
			}
			if a.json {
				return a.jsonVerdict(map[string]any{"ok": bad == 0, "signed_by": sigOK, "files": res}, bad == 0)
			}
			for _, r := range res {
				if r.OK {
					a.printf("%s: OK\n", textutil.Name(r.Key))
				} else {
					a.printf("%s: FAILED — %s\n", textutil.Name(r.Key), textutil.Line(r.Problem))
				}
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d files listed in %s do not match", bad, len(res), args[0])
			}
			if sigOK != "" {
				a.printf("signature OK, key %s\n", sigOK)
			}
			return nil
		}
	},
}

var cmdKeyAge = &command{
	name:    "key age",
	args:    "PATH [--repo DIR | --since TIME] [--max-age 90d] [--incident ID] [--json]",
	summary: "Say how long a signing key has been in service against the rotation cadence (every 90 days in the\nClawSec runbook, or --max-age): since the commit that introduced the current key in --repo (git\nhistory, followed by fingerprint), else --since, else the file's time. Exit 1 when a rotation is due.",
	minArgs: 1, maxArgs: 1,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		maxAge := fs.String("max-age", "", "the rotation cadence, `SPAN` such as 90d or 36h (default 90d)")
		since := fs.String("since", "", "when the key went into service (`TIME`; default: from --repo, else the file's modification time)")
		repo := fs.String("repo", "", "date the key by the commit that introduced it in the git repository `DIR` (PATH may be relative to it)")
		incRef := incidentFlag(fs)
		jsonFlag(a, fs)
		return func(args []string) error {
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			pf := &pipeFlags{yes: true} // it changes nothing
			if *repo != "" && *since != "" {
				return usagef("", "give --repo (the commit that introduced the key) or --since, not both")
			}
			out, err := a.act(inc, pf, sessionOpts{}, actions.NameKeyAge, app.Args{}.With("path", args[0]).With("max_age", *maxAge).With("since", *since).With("repo_dir", *repo))
			if a.json && out != nil && out.Result != nil {
				if jerr := a.printJSON(out.Result.Data); jerr != nil {
					return jerr
				}
			}
			return err
		}
	},
}
