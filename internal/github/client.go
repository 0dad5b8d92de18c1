package github

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
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
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, ErrNoToken
	}
	rt := &RetryTransport{Base: cfg.Transport, MaxWait: cfg.MaxWait, MaxRetries: cfg.MaxRetries, Sleep: cfg.Sleep}
	hc := &http.Client{Transport: rt, Timeout: 60 * time.Second}
	c := gh.NewClient(hc).WithAuthToken(cfg.Token)
	if cfg.BaseURL != "" && strings.TrimRight(cfg.BaseURL, "/") != "https://api.github.com" {
		var err error
		if c, err = c.WithEnterpriseURLs(cfg.BaseURL, cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	c.UserAgent = "firebreak"
	return &Client{Client: c}, nil
}

// RetryTransport retries what is safe to retry, within bounds.
type RetryTransport struct {
	Base       http.RoundTripper
	MaxWait    time.Duration
	MaxRetries int
	Sleep      func(context.Context, time.Duration) error
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
		resp, err := t.base().RoundTrip(r)
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
