package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "ghp_testtokenNEVERPRINTED000000000000000"

// fake answers each request with the next scripted status.
type fake struct {
	mu      sync.Mutex
	script  []func(w http.ResponseWriter, r *http.Request)
	paths   []string
	methods []string
	auth    []string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.methods = append(f.methods, r.Method)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	step := f.script[0]
	if len(f.script) > 1 {
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	step(w, r)
}

func status(code int, headers map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		if body != "" && code != http.StatusNoContent {
			fmt.Fprint(w, body)
		}
	}
}

var repoJSON = `{"id":1,"name":"tools","full_name":"org/tools"}`

func newTestClient(t *testing.T, f *fake, maxWait time.Duration) (*Client, *[]time.Duration) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var slept []time.Duration
	c, err := New(Config{Token: testToken, BaseURL: srv.URL, MaxWait: maxWait,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c, &slept
}

func TestEnterpriseURLAndToken(t *testing.T) {
	f := &fake{script: []func(http.ResponseWriter, *http.Request){status(200, nil, repoJSON)}}
	c, _ := newTestClient(t, f, 0)
	repo, resp, err := c.Repositories.Get(context.Background(), "org", "tools")
	if err := Classify("repos/get", resp, err); err != nil || repo.GetFullName() != "org/tools" {
		t.Fatalf("%v %v", err, repo)
	}
	if f.paths[0] != "/api/v3/repos/org/tools" || f.auth[0] != "Bearer "+testToken {
		t.Fatalf("path %s auth %q", f.paths[0], f.auth[0])
	}
	if _, err := New(Config{}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("no token: %v", err)
	}
	env := map[string]string{"GH_TOKEN": " abc "}
	if TokenFromEnv(func(k string) string { return env[k] }) != "abc" {
		t.Fatal("GH_TOKEN not read")
	}
	env["GITHUB_TOKEN"] = "first"
	if TokenFromEnv(func(k string) string { return env[k] }) != "first" {
		t.Fatal("GITHUB_TOKEN does not win")
	}
}

func TestRetriesAndErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		script   []func(http.ResponseWriter, *http.Request)
		post     bool
		maxWait  time.Duration
		requests int
		status   int
		hint     string
		slept    int
	}{
		{"429 then ok", []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": "2"}, `{"message":"slow down"}`), status(200, nil, repoJSON)}, false, 0, 2, 0, "", 1},
		{"429 past the deadline", []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": "600"}, `{"message":"slow down"}`)}, false, time.Minute, 1, 429, "rate limited: GitHub asks to wait 10m0s", 0},
		{"secondary 403 with retry-after", []func(http.ResponseWriter, *http.Request){status(403, map[string]string{"Retry-After": "1"}, `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`), status(200, nil, repoJSON)}, false, 0, 2, 0, "", 1},
		{"primary 403 remaining 0, reset far", []func(http.ResponseWriter, *http.Request){status(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(time.Now().Add(time.Hour).Unix())}, `{"message":"API rate limit exceeded"}`)}, false, time.Minute, 1, 403, "rate limited", 0},
		{"500 retried then ok", []func(http.ResponseWriter, *http.Request){status(500, nil, `{"message":"boom"}`), status(502, nil, ""), status(200, nil, repoJSON)}, false, 0, 3, 0, "", 2},
		{"500 keeps failing", []func(http.ResponseWriter, *http.Request){status(500, nil, `{"message":"boom"}`)}, false, 0, 4, 500, "GitHub is failing", 3},
		{"500 on POST is not retried", []func(http.ResponseWriter, *http.Request){status(500, nil, `{"message":"boom"}`)}, true, 0, 1, 500, "GitHub is failing", 0},
		{"401", []func(http.ResponseWriter, *http.Request){status(401, nil, `{"message":"Bad credentials"}`)}, false, 0, 1, 401, "the token was refused", 0},
		{"403 with accepted permissions", []func(http.ResponseWriter, *http.Request){status(403, map[string]string{"X-Accepted-GitHub-Permissions": "actions=write"}, `{"message":"Resource not accessible by personal access token"}`)}, false, 0, 1, 403, "GitHub accepts: actions=write", 0},
		{"403 without the header", []func(http.ResponseWriter, *http.Request){status(403, nil, `{"message":"Resource not accessible by integration"}`)}, false, 0, 1, 403, "this needs Metadata: read", 0},
		{"404", []func(http.ResponseWriter, *http.Request){status(404, nil, `{"message":"Not Found"}`)}, false, 0, 1, 404, "cannot see it", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{script: tc.script}
			c, slept := newTestClient(t, f, tc.maxWait)
			var err error
			if tc.post {
				_, resp, e := c.Issues.Create(ctx, "org", "tools", nil)
				err = Classify("issues/create", resp, e)
			} else {
				_, resp, e := c.Repositories.Get(ctx, "org", "tools")
				err = Classify("repos/get", resp, e)
			}
			if len(f.paths) != tc.requests || len(*slept) != tc.slept {
				t.Fatalf("%d requests, %d sleeps; want %d, %d", len(f.paths), len(*slept), tc.requests, tc.slept)
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(ae.Hint, tc.hint) {
				t.Fatalf("err = %#v, want status %d hint ~%q", err, tc.status, tc.hint)
			}
			if strings.Contains(err.Error()+ae.Hint, testToken) {
				t.Fatal("the token leaked into an error")
			}
		})
	}
}

func TestCancelAcceptedIsSuccess(t *testing.T) {
	f := &fake{script: []func(http.ResponseWriter, *http.Request){status(202, nil, `{}`)}}
	c, _ := newTestClient(t, f, 0)
	resp, err := c.Actions.CancelWorkflowRunByID(context.Background(), "org", "tools", 42)
	if err == nil {
		t.Fatal("go-github v60 is expected to report 202 as an AcceptedError")
	}
	if err := Classify("actions/cancel-workflow-run", resp, err); err != nil {
		t.Fatalf("202 not treated as success: %v", err)
	}
	if f.methods[0] != http.MethodPost || f.paths[0] != "/api/v3/repos/org/tools/actions/runs/42/cancel" {
		t.Fatalf("%s %s", f.methods[0], f.paths[0])
	}
}

func TestRetryDelay(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	mk := func(h map[string]string) *http.Response {
		r := &http.Response{Header: http.Header{}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{map[string]string{"Retry-After": now.Add(time.Minute).UTC().Format(http.TimeFormat)}, time.Minute},
		{map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(now.Add(90 * time.Second).Unix())}, 90 * time.Second},
		{map[string]string{"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": fmt.Sprint(now.Add(90 * time.Second).Unix())}, 0},
		{map[string]string{}, 0},
	} {
		if got := RetryDelay(mk(tc.h), now); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.h, got, tc.want)
		}
	}
}
