package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Config says how to reach GitHub.
type Config struct {
	// Token authenticates; TokenFromEnv reads it. It is sent in the
	// Authorization header and nowhere else: never printed or recorded.
	Token string
	// BaseURL is the API root: empty for api.github.com, or a GitHub
	// Enterprise Server URL (https://ghe.example.com, /api/v3/ is added).
	BaseURL string
	// MaxWait bounds the total time spent waiting on rate limits for one
	// request before giving up with a clear error (default 2 minutes).
	MaxWait time.Duration
	// MaxRetries bounds retries of idempotent requests on 5xx (default 3).
	MaxRetries int
	// Transport is the underlying transport (tests inject one).
	Transport http.RoundTripper
	// MaxBody bounds a response body (default DefaultMaxBody, 32 MiB).
	MaxBody int64
	// Sleep waits (tests make it instant); nil means a real, cancellable wait.
	Sleep func(context.Context, time.Duration) error
}

// ErrNoToken is returned when no token is configured.
var ErrNoToken = errors.New("no GitHub token: set GITHUB_TOKEN or GH_TOKEN")

// TokenFromEnv reads GITHUB_TOKEN, else GH_TOKEN.
func TokenFromEnv(getenv func(string) string) string {
	if t := strings.TrimSpace(getenv("GITHUB_TOKEN")); t != "" {
		return t
	}
	return strings.TrimSpace(getenv("GH_TOKEN"))
}

// BaseURLFromEnv reads GITHUB_API_URL (set in GitHub Actions and by GHES).
func BaseURLFromEnv(getenv func(string) string) string {
	return strings.TrimSpace(getenv("GITHUB_API_URL"))
}

// Client is a go-github client with firebreak's retry policy.
type Client struct {
	*gh.Client
}

// New builds a client. Requests are retried by the transport: rate limits
// (429, and 403 with Retry-After or no requests remaining) are waited out up
// to MaxWait, idempotent requests are retried on 5xx with backoff, and
// nothing is retried blindly past that.
//
// The token is sent only to the API's own scheme and host: over https, or
// plain http to a loopback address (the simulator), never after a redirect
// to another host (GitHub redirects log downloads to storage hosts). Each
// attempt has its own time limits, so a Retry-After wait is never cut
// short by a client-wide timeout, and a response body larger than
// MaxBody is an error, not memory.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, ErrNoToken
	}
	api, err := apiURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	base := cfg.Transport
	if base == nil {
		base = defaultTransport()
	}
	rt := &RetryTransport{Base: base, MaxWait: cfg.MaxWait, MaxRetries: cfg.MaxRetries, Sleep: cfg.Sleep, MaxBody: cfg.MaxBody}
	auth := &authTransport{base: rt, token: cfg.Token, scheme: api.Scheme, host: api.Host}
	hc := &http.Client{Transport: auth, CheckRedirect: checkRedirect}
	c := gh.NewClient(hc)
	if cfg.BaseURL != "" && strings.TrimRight(cfg.BaseURL, "/") != "https://api.github.com" {
		if c, err = c.WithEnterpriseURLs(cfg.BaseURL, cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	c.UserAgent = "firebreak"
	return &Client{Client: c}, nil
}

// ErrInsecureURL refuses an API URL the token must not be sent to.
var ErrInsecureURL = errors.New("the GitHub token is only sent over https (plain http only to a loopback address)")

// apiURL parses and checks the API base.
func apiURL(base string) (*url.URL, error) {
	if base == "" {
		base = "https://api.github.com/"
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("GitHub API URL %q: %w", base, err)
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("GitHub API URL %q has no host", base)
	case u.Scheme == "https":
	case u.Scheme == "http" && Loopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("refusing GitHub API URL %s: %w", u.Redacted(), ErrInsecureURL)
	}
	return u, nil
}

// Loopback reports whether host is localhost or a loopback address.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkRedirect follows at most 5 redirects and never from https to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing a redirect from https to %s", req.URL.Redacted())
	}
	return nil
}

// authTransport adds the token to requests for the API's own scheme and
// host, and strips any Authorization header from every other request.
type authTransport struct {
	base         http.RoundTripper
	token        string
	scheme, host string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		r.Header.Set("Authorization", "Bearer "+t.token)
	} else {
		r.Header.Del("Authorization")
	}
	return t.base.RoundTrip(r)
}

// Attempt limits: connecting and getting the response headers, and reading
// a body. They apply to each attempt, not to waits between attempts.
const (
	headerTimeout = 60 * time.Second
	bodyTimeout   = 5 * time.Minute
)

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = headerTimeout
	t.TLSHandshakeTimeout = 15 * time.Second
	return t
}

// DefaultMaxBody bounds a response body (API answers are small JSON).
const DefaultMaxBody = 32 << 20

// ErrBodyTooLarge is returned when a response body exceeds MaxBody.
var ErrBodyTooLarge = errors.New("the response body is larger than firebreak accepts from the GitHub API")

// capBody ends a body at max bytes with ErrBodyTooLarge, and cancels the
// attempt when the body is closed or has been read for too long.
type capBody struct {
	rc     io.ReadCloser
	left   int64
	max    int64
	cancel func()
}

func (b *capBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly max from a larger one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w (%d MiB)", ErrBodyTooLarge, b.max>>20)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *capBody) Close() error {
	b.cancel()
	return b.rc.Close()
}

// RetryTransport retries what is safe to retry, within bounds.
type RetryTransport struct {
	Base       http.RoundTripper
	MaxWait    time.Duration
	MaxRetries int
	Sleep      func(context.Context, time.Duration) error
	// MaxBody bounds each response body (default DefaultMaxBody).
	MaxBody int64
}

func (t *RetryTransport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func idempotent(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPut || m == http.MethodDelete
}

// RoundTrip sends req, waiting out rate limits up to MaxWait and retrying
// idempotent requests on 5xx up to MaxRetries times.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	maxWait, maxRetries := t.MaxWait, t.MaxRetries
	if maxWait == 0 {
		maxWait = 2 * time.Minute
	}
	if maxRetries == 0 {
		maxRetries = 3
	}
	sleep := t.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		actx, cancel := context.WithCancel(req.Context())
		r = r.WithContext(actx)
		resp, err := t.base().RoundTrip(r)
		if err != nil {
			cancel()
		} else {
			// The body gets its own deadline; waits between attempts do
			// not count against it.
			timer := time.AfterFunc(bodyTimeout, cancel)
			maxBody := t.MaxBody
			if maxBody <= 0 {
				maxBody = DefaultMaxBody
			}
			resp.Body = &capBody{rc: resp.Body, left: maxBody, max: maxBody, cancel: func() { timer.Stop(); cancel() }}
		}
		backoff := time.Duration(1<<attempt)*250*time.Millisecond + time.Duration(rand.Int64N(int64(100*time.Millisecond)))
		if err != nil {
			if idempotent(req.Method) && attempt < maxRetries && req.Context().Err() == nil {
				if serr := sleep(req.Context(), backoff); serr != nil {
					return nil, serr
				}
				continue
			}
			return nil, err
		}
		limited := resp.StatusCode == http.StatusTooManyRequests ||
			(resp.StatusCode == http.StatusForbidden && (resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0"))
		var wait time.Duration
		switch {
		case limited:
			wait = RetryDelay(resp, time.Now())
			if wait == 0 {
				wait = max(backoff, time.Second)
			}
			if waited+wait > maxWait {
				return resp, nil // the caller reports how long GitHub asked to wait
			}
		case resp.StatusCode >= 500 && idempotent(req.Method) && attempt < maxRetries:
			wait = backoff
		default:
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}
