package ghcontract

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckerCatchesViolations proves the checker can fail: a response
// missing required fields, an undocumented path, an advisory body with an
// extra field and an undocumented error without a JSON body are all named.
func TestCheckerCatchesViolations(t *testing.T) {
	spec := filepath.Join("..", "..", "..", "..", "shared", "github", "openapi-subset.json")
	if _, err := os.Stat(spec); err != nil {
		t.Skip("../shared is absent")
	}
	c, err := Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/actions/workflows/7"):
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write([]byte(`{"id":7,"name":"release"}`))
		case strings.HasSuffix(r.URL.Path, "/disable"):
			w.WriteHeader(404)
			w.Write([]byte("nope"))
		default:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(201)
			w.Write([]byte(`{}`))
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	http.Get(srv.URL + "/repos/o/r/actions/workflows/7")
	req, _ := http.NewRequest("PUT", srv.URL+"/repos/o/r/actions/workflows/7/disable", nil)
	http.DefaultClient.Do(req)
	http.Get(srv.URL + "/repos/o/r/not-an-endpoint")
	http.Post(srv.URL+"/repos/o/r/security-advisories", "application/json", strings.NewReader(`{"summary":"s","description":"d","vulnerabilities":[],"ghsa_id":"GHSA-x"}`))
	all := strings.Join(c.Failures, "\n")
	for _, want := range []string{
		"actions/get-workflow): response 200",
		"undocumented 404 without a JSON basic error",
		"not-an-endpoint: no operation in the description",
		`create-repository-advisory): request`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
}
