package github

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Permissions names the fine-grained permission each operation needs, to
// say what is missing on a 403.
var Permissions = map[string]string{
	"actions/list-repo-workflows":                    "Actions: read",
	"actions/get-workflow":                           "Actions: read",
	"actions/disable-workflow":                       "Actions: write",
	"actions/enable-workflow":                        "Actions: write",
	"actions/list-workflow-runs":                     "Actions: read",
	"actions/list-workflow-runs-for-repo":            "Actions: read",
	"actions/get-workflow-run":                       "Actions: read",
	"actions/cancel-workflow-run":                    "Actions: write",
	"actions/force-cancel-workflow-run":              "Actions: write",
	"actions/list-jobs-for-workflow-run":             "Actions: read",
	"actions/list-repo-secrets":                      "Secrets: read",
	"actions/get-repo-secret":                        "Secrets: read",
	"actions/get-repo-public-key":                    "Secrets: read",
	"actions/create-or-update-repo-secret":           "Secrets: write",
	"actions/delete-repo-secret":                     "Secrets: write",
	"actions/list-environment-secrets":               "Environments: read (and Secrets: read)",
	"actions/get-environment-public-key":             "Environments: read (and Secrets: read)",
	"actions/create-or-update-environment-secret":    "Environments: write (and Secrets: write)",
	"actions/delete-environment-secret":              "Environments: write (and Secrets: write)",
	"repos/get":                                      "Metadata: read",
	"repos/list-commits":                             "Contents: read",
	"repos/get-commit":                               "Contents: read",
	"repos/get-content":                              "Contents: read",
	"repos/get-all-environments":                     "Actions: read (or Environments: read)",
	"issues/create":                                  "Issues: write",
	"issues/create-comment":                          "Issues: write",
	"security-advisories/create-repository-advisory": "Repository security advisories: write (and admin or security manager role)",
}

// APIError is a GitHub failure in words a responder can act on.
type APIError struct {
	Op         string        // operationId
	Status     int           // HTTP status, 0 for a transport failure
	Message    string        // what GitHub said
	Hint       string        // what to do
	RetryAfter time.Duration // for rate limits: how long GitHub asked to wait
	Err        error
}

func (e *APIError) Error() string {
	s := "GitHub " + e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *APIError) Unwrap() error { return e.Err }

// Classify turns a go-github result into an *APIError with a clear message
// and hint, or returns nil for success. A 202 (go-github's AcceptedError) is
// success: that is how cancel answers.
func Classify(op string, resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	var acc *gh.AcceptedError
	if errors.As(err, &acc) {
		return nil
	}
	e := &APIError{Op: op, Err: err}
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var hr *http.Response
	switch {
	case errors.As(err, &rl):
		hr = rl.Response
		e.Message = rl.Message
		e.RetryAfter = time.Until(rl.Rate.Reset.Time)
	case errors.As(err, &ab):
		hr = ab.Response
		e.Message = ab.Message
		if ab.RetryAfter != nil {
			e.RetryAfter = *ab.RetryAfter
		}
	case errors.As(err, &er):
		hr = er.Response
		e.Message = er.Message
		for _, d := range er.Errors {
			if d.Message != "" {
				e.Message += "; " + d.Message
			} else if d.Field != "" {
				e.Message += fmt.Sprintf("; %s %s: %s", d.Resource, d.Field, d.Code)
			}
		}
	default:
		if resp == nil {
			e.Message = err.Error()
			e.Hint = "check the network and --api-url / GITHUB_API_URL"
			return e
		}
	}
	if hr == nil && resp != nil {
		hr = resp.Response
	}
	if hr != nil {
		e.Status = hr.StatusCode
		if e.RetryAfter == 0 {
			e.RetryAfter = RetryDelay(hr, time.Now())
		}
	}
	e.Hint = hintFor(op, e, hr)
	return e
}

func hintFor(op string, e *APIError, hr *http.Response) string {
	perm := Permissions[op]
	switch e.Status {
	case http.StatusUnauthorized:
		return "the token was refused (revoked or expired?): set a valid GITHUB_TOKEN or GH_TOKEN"
	case http.StatusForbidden:
		if e.RetryAfter > 0 || isRateLimited(hr) {
			return fmt.Sprintf("rate limited: GitHub asks to wait %s", e.RetryAfter.Round(time.Second))
		}
		if hr != nil {
			if acc := hr.Header.Get("X-Accepted-GitHub-Permissions"); acc != "" {
				return "the token lacks a permission; GitHub accepts: " + acc
			}
		}
		if perm != "" {
			return "the token lacks a permission: this needs " + perm
		}
		return "the token lacks a permission for this operation"
	case http.StatusNotFound:
		return "not found, or the token cannot see it (GitHub answers 404 for private repositories without access): check --repo and the token's repository access"
	case http.StatusConflict:
		return "conflict: the resource is not in a state that allows this (a completed run cannot be cancelled)"
	case http.StatusGone:
		return "the feature is turned off for this repository (issues disabled?)"
	case http.StatusUnprocessableEntity:
		return "GitHub refused the request's content"
	case http.StatusTooManyRequests:
		return fmt.Sprintf("rate limited: GitHub asks to wait %s", e.RetryAfter.Round(time.Second))
	}
	if e.Status >= 500 {
		return "GitHub is failing; try again later"
	}
	return ""
}

func isRateLimited(hr *http.Response) bool {
	return hr != nil && (hr.Header.Get("X-RateLimit-Remaining") == "0" || hr.Header.Get("Retry-After") != "")
}

// RetryDelay is how long a rate-limited response asks the client to wait:
// Retry-After (seconds) when present, else until X-RateLimit-Reset when no
// requests remain, else 0.
func RetryDelay(hr *http.Response, now time.Time) time.Duration {
	if hr == nil {
		return 0
	}
	if ra := strings.TrimSpace(hr.Header.Get("Retry-After")); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if hr.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(hr.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(now), 0)
		}
	}
	return 0
}
