// Package published checks what consumers download: a ClawSec advisory
// feed, its detached signature, the published public key and the checksum
// manifest, fetched over the network and verified exactly as a ClawSec
// consumer verifies them (clawsec-suite's feed.mjs), with the public key's
// SPKI fingerprint compared with a pin.
package published

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// Bounds on what is fetched: a feed is tens of kilobytes; the rest less.
const (
	MaxFeed    = 16 << 20
	MaxSmall   = 1 << 20 // a signature, a key, a manifest
	Timeout    = 10 * time.Second
	maxRedirts = 5
)

// Target is what to fetch. PubKey is a URL or a local file (the pinned
// copy a consumer ships).
type Target struct {
	Feed, Sig, PubKey string
	Fingerprint       string // the pin: SHA-256 of the key's SPKI, hex
	Checksums         string // optional, with ChecksumsSig
	ChecksumsSig      string
}

// Fetched is one resource as it was downloaded.
type Fetched struct {
	URL    string `json:"url"`
	Final  string `json:"final_url,omitempty"` // after redirects, when different
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Check is one thing verified.
type Check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Report is what was fetched and what it proved.
type Report struct {
	Feed         Fetched  `json:"feed"`
	Sig          Fetched  `json:"sig"`
	PubKey       Fetched  `json:"pubkey"`
	Checksums    *Fetched `json:"checksums,omitempty"`
	ChecksumsSig *Fetched `json:"checksums_sig,omitempty"`
	Fingerprint  string   `json:"fingerprint"`
	Advisories   int      `json:"advisories"`
	Checks       []Check  `json:"checks"`
	OK           bool     `json:"ok"`
}

// FetchError is a resource that could not be fetched: it names the URL.
type FetchError struct {
	URL    string
	Status int
	Err    error
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: HTTP %d", e.URL, e.Status)
	}
	return fmt.Sprintf("%s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Client fetches under a consumer's rules: HTTPS only (plain HTTP to a
// loopback address, for a sandbox), redirects only within the same host,
// bounded sizes, a timeout per request.
type Client struct {
	HTTP *http.Client // nil: a client with these rules
}

func (c *Client) http() *http.Client {
	if c != nil && c.HTTP != nil {
		return c.HTTP
	}
	return NewHTTPClient()
}

// NewHTTPClient is an http.Client that follows redirects only to the same
// host and scheme rules.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirts {
				return fmt.Errorf("more than %d redirects", maxRedirts)
			}
			if req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("redirected to another host (%s): refused", req.URL.Host)
			}
			return allowed(req.URL)
		},
	}
}

// allowed: https, or http to a loopback address.
func allowed(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("plain HTTP is refused (HTTPS only, except to a loopback address)")
	}
	return errors.New("not an http(s) URL")
}

// IsURL says whether s names a URL rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// get fetches one URL, at most max bytes.
func (c *Client) get(ctx context.Context, raw string, max int64) ([]byte, Fetched, error) {
	f := Fetched{URL: raw}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, f, &FetchError{URL: raw, Err: err}
	}
	if err := allowed(u); err != nil {
		return nil, f, &FetchError{URL: raw, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, f, &FetchError{URL: raw, Err: err}
	}
	req.Header.Set("Accept", "application/json,text/plain;q=0.9,*/*;q=0.8")
	req.Header.Set("User-Agent", "firebreak-published-verify")
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, f, &FetchError{URL: raw, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, f, &FetchError{URL: raw, Status: resp.StatusCode}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, f, &FetchError{URL: raw, Err: err}
	}
	if int64(len(b)) > max {
		return nil, f, &FetchError{URL: raw, Err: fmt.Errorf("larger than %d bytes", max)}
	}
	if final := resp.Request.URL.String(); final != raw {
		f.Final = final
	}
	sum := sha256.Sum256(b)
	f.SHA256, f.Size = hex.EncodeToString(sum[:]), len(b)
	return b, f, nil
}

// load reads a URL or a local file.
func (c *Client) load(ctx context.Context, src string, max int64) ([]byte, Fetched, error) {
	if IsURL(src) {
		return c.get(ctx, src, max)
	}
	if abs, err := filepath.Abs(src); err == nil {
		src = abs // the record says which file, wherever it is read later
	}
	b, err := fsutil.ReadRegular(src, max)
	if err != nil {
		return nil, Fetched{URL: src}, err
	}
	sum := sha256.Sum256(b)
	return b, Fetched{URL: src, SHA256: hex.EncodeToString(sum[:]), Size: len(b)}, nil
}

// Verify fetches and verifies. An error is a resource that could not be
// fetched or a target that makes no sense; a failed check is in the report
// (Report.OK false).
func (c *Client) Verify(ctx context.Context, t Target) (*Report, error) {
	if t.Feed == "" || t.PubKey == "" {
		return nil, errors.New("a feed URL and a public key (URL or file) are needed")
	}
	if !IsURL(t.Feed) {
		return nil, fmt.Errorf("%s: the feed is checked where consumers fetch it: give its URL", t.Feed)
	}
	if t.Sig == "" {
		t.Sig = t.Feed + ".sig" // as consumers default it
	}
	if (t.Checksums == "") != (t.ChecksumsSig == "") {
		if t.Checksums != "" {
			t.ChecksumsSig = t.Checksums + ".sig"
		} else {
			return nil, errors.New("a checksums signature URL needs the checksums URL")
		}
	}
	rep := &Report{}
	feed, f, err := c.get(ctx, t.Feed, MaxFeed)
	rep.Feed = f
	if err != nil {
		return rep, err
	}
	sig, f, err := c.get(ctx, t.Sig, MaxSmall)
	rep.Sig = f
	if err != nil {
		return rep, err
	}
	keyPEM, f, err := c.load(ctx, t.PubKey, MaxSmall)
	rep.PubKey = f
	if err != nil {
		return rep, err
	}
	add := func(what string, ok bool, detail string) {
		rep.Checks = append(rep.Checks, Check{What: what, OK: ok, Detail: detail})
	}
	key, err := signing.ParseKey(keyPEM, t.PubKey, nil)
	switch {
	case err != nil:
		add("the public key "+t.PubKey+" is an Ed25519 public key", false, err.Error())
		return rep.done(), nil
	case key.Private != nil:
		// Never keep or repeat it: only say so.
		add("the public key "+t.PubKey+" holds no private key", false, "it holds a PRIVATE key: the signing key is published")
		return rep.done(), nil
	}
	rep.Fingerprint = key.Fingerprint()
	if t.Fingerprint == "" && IsURL(t.PubKey) {
		// A key fetched from the site that serves the feed vouches for
		// nothing: whoever replaced the feed replaced it too.
		add("the fetched public key is checked against a pin", false, "no pin given: give the fingerprint consumers pin (--fingerprint), or the pinned copy they ship as --pubkey FILE")
	}
	if t.Fingerprint != "" {
		pin := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(t.Fingerprint), ":", ""))
		add("the public key's fingerprint is the pinned "+pin, pin == rep.Fingerprint, "it is "+rep.Fingerprint)
	}
	_, err = signing.VerifyDetached(key.Public, feed, sig, "")
	add("the feed's signature ("+t.Sig+") verifies with the key, over the bytes fetched", err == nil, errText(err))
	n, verr := validFeed(feed)
	rep.Advisories = n
	add("the feed is a valid advisory feed (a version and an advisories array, each with id, severity and affected)", verr == nil, errText(verr))
	if t.Checksums != "" {
		man, mf, err := c.get(ctx, t.Checksums, MaxSmall)
		rep.Checksums = &mf
		if err != nil {
			return rep, err
		}
		msig, sf, err := c.get(ctx, t.ChecksumsSig, MaxSmall)
		rep.ChecksumsSig = &sf
		if err != nil {
			return rep, err
		}
		_, err = signing.VerifyDetached(key.Public, man, msig, "")
		add("the checksum manifest's signature ("+t.ChecksumsSig+") verifies with the key", err == nil, errText(err))
		pm, err := signing.ParseManifest(man)
		if err != nil {
			add("the checksum manifest parses", false, err.Error())
			return rep.done(), nil
		}
		// The consumer requires the feed and its signature; the key is
		// checked too when the manifest lists it.
		for _, e := range []struct {
			name     string
			sum      string
			required bool
		}{{baseOf(t.Feed), rep.Feed.SHA256, true}, {baseOf(t.Sig), rep.Sig.SHA256, true}, {baseOf(t.PubKey), rep.PubKey.SHA256, false}} {
			k, want, err := pm.Lookup(e.name)
			switch {
			case err != nil && e.required:
				add("the checksum manifest lists "+e.name, false, err.Error())
			case err != nil:
			default:
				add("the checksum manifest's "+k+" is the SHA-256 of what was fetched", want == e.sum, "manifest "+want+", fetched "+e.sum)
			}
		}
	}
	return rep.done(), nil
}

func (r *Report) done() *Report {
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	return r
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// baseOf is the file name a URL or path ends with.
func baseOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return path.Base(u.Path)
	}
	return path.Base(strings.ReplaceAll(s, `\`, "/"))
}

// validFeed is the consumer's isValidFeedPayload: an object with a
// non-blank string version and an array advisories, each advisory an
// object with non-empty string id and severity and an array affected of
// non-empty strings.
func validFeed(b []byte) (int, error) {
	var root struct {
		Version    *string           `json:"version"`
		Advisories []json.RawMessage `json:"advisories"`
	}
	if err := json.Unmarshal(b, &root); err != nil {
		return 0, fmt.Errorf("not a JSON object: %v", err)
	}
	if root.Version == nil || strings.TrimSpace(*root.Version) == "" {
		return 0, errors.New("no version")
	}
	if root.Advisories == nil {
		return 0, errors.New("no advisories array")
	}
	for i, raw := range root.Advisories {
		var a struct {
			ID       *string   `json:"id"`
			Severity *string   `json:"severity"`
			Affected *[]string `json:"affected"`
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			return i, fmt.Errorf("advisory %d: %v", i, err)
		}
		if a.ID == nil || *a.ID == "" || a.Severity == nil || *a.Severity == "" || a.Affected == nil {
			return i, fmt.Errorf("advisory %d lacks id, severity or affected", i)
		}
		for _, s := range *a.Affected {
			if s == "" {
				return i, fmt.Errorf("advisory %d: an empty affected entry", i)
			}
		}
	}
	return len(root.Advisories), nil
}
