package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/published"
)

// PublishedVerify fetches what consumers download — the feed, its
// signature, the public key, the checksum manifest — and verifies it as a
// ClawSec consumer does. It changes nothing.
type PublishedVerify struct {
	Target published.Target
	Client *published.Client
	rep    *published.Report
}

// Plan names what is fetched.
func (p *PublishedVerify) Plan(context.Context) (*Plan, error) {
	t := p.Target
	if t.Feed == "" || t.PubKey == "" {
		return nil, errors.New("a feed URL and a public key are needed")
	}
	if !published.IsURL(t.Feed) {
		return nil, fmt.Errorf("%s: the feed is checked where consumers fetch it: give its URL", t.Feed)
	}
	sig := t.Sig
	if sig == "" {
		sig = t.Feed + ".sig"
	}
	ch := []string{"fetch " + t.Feed, "fetch " + sig, "read the public key " + t.PubKey}
	if t.Checksums != "" {
		ch = append(ch, "fetch "+t.Checksums+" and its signature")
	}
	pin := "no pin given: the key's fingerprint is reported, not compared"
	if t.Fingerprint != "" {
		pin = "compare the key's fingerprint with the pin " + t.Fingerprint
	}
	ch = append(ch, pin, "nothing is changed")
	return &Plan{Action: NamePublishedVerify, Summary: "verify what consumers download from " + t.Feed + ", as a ClawSec consumer does", Changes: ch}, nil
}

// Execute fetches and verifies.
func (p *PublishedVerify) Execute(ctx context.Context, _ func(Progress)) (*Result, error) {
	rep, err := p.Client.Verify(ctx, p.Target)
	if err != nil {
		return &Result{Data: PublishedResult{V: RecordVersion, Report: rep}}, err
	}
	p.rep = rep
	verdict := "verifies"
	if !rep.OK {
		verdict = "does NOT verify"
	}
	return &Result{Summary: fmt.Sprintf("published feed %s %s (sha256 %s, %d advisories; key fingerprint %s)", p.Target.Feed, verdict, rep.Feed.SHA256, rep.Advisories, rep.Fingerprint),
		Data: PublishedResult{V: RecordVersion, Report: rep}}, nil
}

// Verify reports each check the fetch made.
func (p *PublishedVerify) Verify(context.Context, *Result) (*Verification, error) {
	v := &Verification{}
	if p.rep == nil {
		return v, nil
	}
	for _, c := range p.rep.Checks {
		var err error
		if !c.OK && c.Detail != "" {
			err = errors.New(strings.TrimSpace(c.Detail))
		}
		v.Checks = append(v.Checks, check(c.What, c.OK, err))
	}
	return v, nil
}
