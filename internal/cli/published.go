package cli

import (
	"flag"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
)

var cmdPublishedVerify = &command{
	name:    "published verify",
	args:    "--feed URL [--sig URL] --pubkey URL|FILE [--fingerprint HEX] [--checksums URL [--checksums-sig URL]] [--incident ID] [--json]",
	summary: "Fetch what consumers download — the advisory feed, its detached signature (default FEED.sig), the\npublished public key (or your pinned copy) and the checksum manifest with its signature — and verify\nthem exactly as a ClawSec consumer does: the pin against the key's SPKI fingerprint, the signatures,\nthe feed's form, the manifest's entries re-hashed. HTTPS only (plain HTTP to loopback), redirects only\nwithin the host, bounded sizes, 10 s per request. Exit 0 verified, 1 not (a 404 names the URL).",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		feed := fs.String("feed", "", "the feed's `URL` (as consumers fetch it)")
		sig := fs.String("sig", "", "its signature's `URL` (default: the feed URL + .sig)")
		pub := fs.String("pubkey", "", "the public key: its `URL`, or the pinned copy consumers ship (a file)")
		fp := fs.String("fingerprint", "", "the pin: the key's SPKI SHA-256 `HEX`")
		sums := fs.String("checksums", "", "the checksum manifest's `URL`")
		sumsSig := fs.String("checksums-sig", "", "its signature's `URL` (default: the manifest URL + .sig)")
		incRef := incidentFlag(fs)
		jsonFlag(a, fs)
		return func([]string) error {
			if *feed == "" || *pub == "" {
				return usagef("firebreak published verify --feed https://clawsec.prompt.security/advisories/feed.json --pubkey feed-signing-public.pem", "--feed and --pubkey are required")
			}
			if *sumsSig != "" && *sums == "" {
				return usagef("", "--checksums-sig needs --checksums")
			}
			inc, err := a.optionalIncident(*incRef)
			if err != nil {
				return err
			}
			pf := &pipeFlags{yes: true} // it changes nothing
			out, err := a.act(inc, pf, sessionOpts{}, actions.NamePublishedVerify, app.Args{}.With("feed_url", *feed).With("sig_url", *sig).With("pubkey", *pub).
				With("fingerprint", *fp).With("checksums_url", *sums).With("checksums_sig_url", *sumsSig))
			if a.json && out != nil && out.Result != nil {
				if jerr := a.printJSON(out.Result.Data); jerr != nil {
					return jerr
				}
			}
			return err
		}
	},
}
