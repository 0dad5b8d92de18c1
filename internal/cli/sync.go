package cli

import (
	"flag"

	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/signing"
	homesync "github.com/firebreak-dev/firebreak/internal/sync"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

var cmdSyncInit = &command{
	name:    "sync init",
	args:    "--remote URL [--seal-key KEY] [--pubkey PUB]... [--require-sealed] [--json]",
	summary: "Make the firebreak home a git repository that syncs with URL (any git remote: a bare repository\non a shared host, a private GitHub repository), then sync. Only the incident record is shared:\nheaders, playbook snapshots, journals, comms and exports; never evidence bytes or keys (docs/sync.md).",
	minArgs: 0, maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		remote := fs.String("remote", "", "git remote `URL`")
		sf := syncFlags(a, fs)
		return func([]string) error {
			if *remote == "" {
				return usagef("firebreak sync init --remote URL", "--remote is required")
			}
			if err := homesync.Init(a.ctx, a.home, a.actor, *remote); err != nil {
				return err
			}
			if !a.json {
				a.printf("%s now syncs with %s.\n", textutil.Clean(a.home, false), textutil.Line(*remote))
			}
			return a.sync(sf)
		}
	},
}

var cmdSync = &command{
	name:    "sync",
	args:    "[--pubkey PUB]... [--release ACTOR] [--json]",
	summary: "Commit this machine's new records, fetch, check that the remote only adds to the record (no\nrewritten or forked journal, no changed header), merge, verify every journal chain and seal, push.\nA journal that does not verify, or one actor appending on two machines, stops it before a push.",
	minArgs: 0, maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		sf := syncFlags(a, fs)
		release := fs.String("release", "", "hand `ACTOR` over to other machines first: this machine will not write as ACTOR again")
		return func([]string) error {
			if *release != "" {
				n, err := homesync.Release(a.home, *release)
				if err != nil {
					return err
				}
				if !a.json {
					a.printf("This machine no longer writes as %s (%d incident journal(s)); appending as %s here again would fork, and sync would refuse it.\n", textutil.Line(*release), n, textutil.Line(*release))
				}
			}
			return a.sync(sf)
		}
	},
}

// syncSettings are the sealing flags; given, they are kept for every later
// sync of the home (the console's S included).
type syncSettings struct {
	pubkeys       multiFlag
	sealKey       string
	requireSealed bool
	set           func() map[string]bool
}

func syncFlags(a *invocation, fs *flag.FlagSet) *syncSettings {
	sf := &syncSettings{}
	fs.Var(&sf.pubkeys, "pubkey", "a team member's public key, `NAME=PUB` (NAME: the person, alice for alice@laptop): seals by it are checked, signature included (repeatable; kept for later syncs)")
	fs.StringVar(&sf.sealKey, "seal-key", "", "your Ed25519 private key `KEY`: each sync seals what you appended (kept for later syncs; - stops)")
	fs.BoolVar(&sf.requireSealed, "require-sealed", false, "refuse a journal the remote extends unless it ends with a seal by a --pubkey key (kept for later syncs)")
	sf.set = func() map[string]bool {
		m := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
		return m
	}
	jsonFlag(a, fs)
	return sf
}

func (a *invocation) sync(sf *syncSettings) error {
	st, err := homesync.LoadSettings(a.home)
	if err != nil {
		return err
	}
	set := sf.set()
	if set["pubkey"] || set["seal-key"] || set["require-sealed"] {
		if set["pubkey"] {
			st.PublicKeys = append(st.PublicKeys, sf.pubkeys...)
		}
		if set["seal-key"] {
			st.SealKey = sf.sealKey
			if sf.sealKey == "-" {
				st.SealKey = ""
			}
		}
		if set["require-sealed"] {
			st.RequireSealed = sf.requireSealed
		}
		// Checked before they are kept: a key that does not load is
		// named now, not at the next sync.
		if _, _, err := st.Keys(func(p string) signing.Passphrase { return a.passphrase("", p) }); err != nil {
			return err
		}
		if err := homesync.SaveSettings(a.home, st); err != nil {
			return err
		}
	}
	seal, keys, err := st.Keys(func(p string) signing.Passphrase { return a.passphrase("", p) })
	if err != nil {
		return err
	}
	names, err := st.Names(a.actor, seal)
	if err != nil {
		return err
	}
	rep, err := homesync.Sync(a.ctx, homesync.Options{Home: a.home, Actor: a.actor, Keys: keys, KeyNames: names, SealKey: seal, RequireSealed: st.RequireSealed, Now: a.now})
	if a.json && rep != nil && rep.Remote != "" {
		if perr := a.printJSON(rep); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if a.json {
		return nil
	}
	a.printf("Synced with %s at %s.\n", textutil.Line(rep.Remote), stampUTC(rep.At))
	a.printf("  committed %d file(s) from this machine\n", len(rep.Committed))
	a.printf("  received  %d file(s) from the remote\n", len(rep.Received))
	for _, p := range first(rep.Received, 10) {
		a.printf("    %s\n", textutil.Name(p))
	}
	var events int64
	files, seals, unknown := 0, 0, 0
	for _, v := range rep.Verified {
		events += v.Events
		files += v.Files
		seals += v.Seals
		unknown += v.UnknownKey
	}
	a.printf("  verified  %d incident journal(s): %d event(s) in %d file(s), chains intact", len(rep.Verified), events, files)
	if seals > 0 {
		a.printf("; %d seal(s) hold", seals)
		if unknown > 0 {
			a.printf(" (%d signed by a key not given: --pubkey to check the signature)", unknown)
		}
	}
	a.printf("\n")
	for _, p := range rep.Foreign {
		a.printf("  WARNING   %s: a journal under your name (%s) that this machine never wrote arrived: another machine uses the name, or someone who can push wrote it; read it (firebreak timeline ID), and use a name of this machine's own (--actor %s@HOST)\n", textutil.Name(p), textutil.Line(a.actor), textutil.Line(homesync.Person(a.actor)))
	}
	for _, p := range first(rep.Restored, 10) {
		a.printf("  RESTORED  %s: the remote held it cut short or deleted; this machine's copy was pushed back\n", textutil.Name(p))
	}
	for _, p := range first(rep.Rejected, 10) {
		a.printf("  REJECTED  %s; never merged, and this push leaves this machine's copy (or nothing) there\n", textutil.Name(p))
	}
	for _, p := range first(rep.Ignored, 10) {
		a.printf("  LEFT OUT  %s: on the remote, but not the record; never merged, and this push drops it from the branch\n", textutil.Name(p))
	}
	for _, p := range rep.TooLarge {
		a.printf("  NOT SYNCED %s: over %d MiB, more than git objects carry here; it stays on this machine (export the incident to share it)\n", textutil.Name(p), gitrepo.MaxOutput>>20)
	}
	if len(rep.Restored)+len(rep.Ignored)+len(rep.Rejected) > 0 {
		a.printf("  the remote was changed outside firebreak: its history says by whom (git -C %s log %s)\n", textutil.Clean(a.home, false), "refs/remotes/origin/main")
	}
	if rep.Pushed {
		a.printf("  pushed    %.12s\n", rep.Head)
	} else if rep.Head != "" {
		a.printf("  the remote already has %.12s: nothing to push\n", rep.Head)
	}
	return nil
}
