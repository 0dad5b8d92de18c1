package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The token used to go over plain http to any host.
func TestTokenOnlyOverHTTPSOrLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://ghe.example.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://localhost:9", true},
		{"http://192.168.1.20/api/v3", false},
		{"http://ghe.example.com", false},
		{"ftp://ghe.example.com", false},
		{"https://", false},
	} {
		_, err := New(Config{Token: testToken, BaseURL: tc.url})
		if (err == nil) != tc.ok || !tc.ok && strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: err = %v", tc.url, err)
		}
		if !tc.ok && tc.url != "https://" && !errors.Is(err, ErrInsecureURL) {
			t.Errorf("%s: not refused as insecure: %v", tc.url, err)
		}
	}
}

// The token used to be re-sent after a redirect to another host (go-github
// sets it in its transport, below the client's redirect rules).
func TestTokenNeverFollowsARedirectToAnotherHost(t *testing.T) {
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		status(200, nil, repoJSON)(w, r)
	}))
	defer other.Close()
	// 127.0.0.1 and localhost are different hosts to the client.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	f := &fake{script: []func(http.ResponseWriter, *http.Request){
		func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, otherURL+r.URL.Path, http.StatusFound)
		},
	}}
	c, _ := newTestClient(t, f, 0)
	_, resp, err := c.Repositories.Get(context.Background(), "org", "tools")
	if err := Classify("repos/get", resp, err); err != nil {
		t.Fatal(err)
	}
	if f.auth[0] != "Bearer "+testToken {
		t.Fatalf("the API itself got %q", f.auth[0])
	}
	if len(elsewhere) != 1 || elsewhere[0] != "" {
		t.Fatalf("the other host got Authorization %q", elsewhere)
	}
}

// A Retry-After longer than the old 60 s client timeout is waited (up to
// MaxWait) instead of failing with "Client.Timeout exceeded".
func TestLongRetryAfterIsWaitedNotTimedOut(t *testing.T) {
	f := &fake{script: []func(http.ResponseWriter, *http.Request){
		status(429, map[string]string{"Retry-After": "90"}, `{"message":"slow down"}`),
		status(200, nil, repoJSON),
	}}
	c, slept := newTestClient(t, f, 2*time.Minute)
	_, resp, err := c.Repositories.Get(context.Background(), "org", "tools")
	if err := Classify("repos/get", resp, err); err != nil {
		t.Fatal(err)
	}
	if len(*slept) != 1 || (*slept)[0] != 90*time.Second {
		t.Fatalf("slept %v", *slept)
	}
	// No client-wide timeout may cut a wait short: limits are per attempt.
	if to := c.Client.Client().Timeout; to != 0 {
		t.Fatalf("http.Client.Timeout = %v: it counts the Retry-After waits", to)
	}
}

// A 200 MB answer used to take 1.4 GB of memory.
func TestResponseBodiesAreCapped(t *testing.T) {
	big := strings.Repeat(" ", 2<<20)
	f := &fake{script: []func(http.ResponseWriter, *http.Request){status(200, nil, `{"name":"tools"`+big+`}`)}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(Config{Token: testToken, BaseURL: srv.URL, MaxBody: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Repositories.Get(context.Background(), "org", "tools")
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v", err)
	}
	// A body of exactly the cap is fine.
	exact := `{"name":"tools"` + strings.Repeat(" ", (1<<20)-len(`{"name":"tools"}`)) + `}`
	f.script = []func(http.ResponseWriter, *http.Request){status(200, nil, exact)}
	if r, _, err := c.Repositories.Get(context.Background(), "org", "tools"); err != nil || r.GetName() != "tools" {
		t.Fatalf("exact cap: %v", err)
	}
}
