// Package ghcontract holds a GitHub API server or client to GitHub's
// official API description: it wraps an http.Handler and checks every
// request it receives and every response it sends against the OpenAPI
// document (kin-openapi). Tests use it with the description in
// ../shared/github/openapi-subset.json.
package ghcontract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Checker validates traffic against a description.
type Checker struct {
	router routers.Router
	mu     sync.Mutex
	// Failures lists every mismatch: "METHOD path: …".
	Failures []string
	// Seen counts requests by operationId.
	Seen map[string]int
}

// Load reads and validates the description.
func Load(path string) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	// The upstream commit schema carries an invalid example; examples are
	// not the contract.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("description does not validate: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}, {URL: "/api/v3"}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Checker{router: r, Seen: map[string]int{}}, nil
}

func (c *Checker) fail(format string, args ...any) {
	c.mu.Lock()
	c.Failures = append(c.Failures, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// Wrap checks each request against the description before h serves it, and
// each response h writes. Documented statuses are checked in full;
// undocumented 4xx/5xx answers (GitHub sends 401, 403, 404, 429 on every
// operation, though few are described) must still be GitHub's basic error
// object.
func (c *Checker) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/_blobs/") {
			// A download URL the API redirected to (run logs): another
			// host's in GitHub, not an API operation.
			h.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := c.router.FindRoute(routable(req))
		if err != nil {
			c.fail("%s %s: no operation in the description: %v", req.Method, req.URL.Path, err)
			h.ServeHTTP(w, req)
			return
		}
		c.mu.Lock()
		c.Seen[route.Operation.OperationID]++
		c.mu.Unlock()
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			c.fail("%s %s (%s): request: %v", req.Method, req.URL.Path, route.Operation.OperationID, oneLine(err))
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		out := rec.Body.Bytes()
		documented := route.Operation.Responses.Status(res.StatusCode) != nil
		switch {
		case documented:
			rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
			rin.SetBodyBytes(out)
			if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
				c.fail("%s %s (%s): response %d: %v", req.Method, req.URL.Path, route.Operation.OperationID, res.StatusCode, oneLine(err))
			}
		case res.StatusCode >= 400:
			if !bytes.Contains(out, []byte(`"message"`)) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				c.fail("%s %s: undocumented %d without a JSON basic error", req.Method, req.URL.Path, res.StatusCode)
			}
		default:
			c.fail("%s %s (%s): status %d is not documented", req.Method, req.URL.Path, route.Operation.OperationID, res.StatusCode)
		}
		if res.StatusCode == http.StatusNoContent && len(out) > 0 {
			c.fail("%s %s: 204 with a body", req.Method, req.URL.Path)
		}
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		w.Write(out)
	})
}

// routable returns the request as the router can match it: GitHub's
// contents path and git ref parameters hold slashes, which the router's
// {path} and {ref} do not span, so they are escaped for the lookup only.
func routable(req *http.Request) *http.Request {
	p := req.URL.Path
	for _, seg := range []string{"/contents/", "/git/ref/"} {
		i := strings.Index(p, seg)
		if i < 0 || !strings.Contains(p[:i], "/repos/") {
			continue
		}
		r2 := req.Clone(req.Context())
		r2.URL.Path = p[:i+len(seg)] + strings.ReplaceAll(p[i+len(seg):], "/", "%2F")
		r2.URL.RawPath = r2.URL.Path
		return r2
	}
	return req
}

// Unseen lists the operationIds of ops that no request reached.
func (c *Checker) Unseen(ops []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, op := range ops {
		if c.Seen[op] == 0 {
			out = append(out, op)
		}
	}
	sort.Strings(out)
	return out
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
