package ghsim

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

type route struct {
	method, pattern, op string
	h                   func(s *Sim, w http.ResponseWriter, r *http.Request, rp *repo)
}

var routes = []route{
	{"GET", "/rate_limit", "rate-limit/get", (*Sim).rateLimit},
	{"GET", "/user", "users/get-authenticated", (*Sim).user},
	{"GET", "/repos/{owner}/{repo}", "repos/get", (*Sim).getRepo},
	{"GET", "/repos/{owner}/{repo}/actions/workflows", "actions/list-repo-workflows", (*Sim).listWorkflows},
	{"GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}", "actions/get-workflow", (*Sim).getWorkflow},
	{"PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable", "actions/disable-workflow", setWorkflow("disabled_manually")},
	{"PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable", "actions/enable-workflow", setWorkflow("active")},
	{"GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", "actions/list-workflow-runs", (*Sim).listRuns},
	{"GET", "/repos/{owner}/{repo}/actions/runs", "actions/list-workflow-runs-for-repo", (*Sim).listRuns},
	{"GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", "actions/get-workflow-run", (*Sim).getRun},
	{"POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel", "actions/cancel-workflow-run", cancelRun(false)},
	{"POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel", "actions/force-cancel-workflow-run", cancelRun(true)},
	{"GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", "actions/list-jobs-for-workflow-run", (*Sim).listJobs},
	{"GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/logs", "actions/download-workflow-run-logs", (*Sim).runLogs},
	{"POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "actions/create-workflow-dispatch", (*Sim).dispatch},
	{"GET", "/repos/{owner}/{repo}/branches/{branch}", "repos/get-branch", (*Sim).getBranch},
	{"GET", "/repos/{owner}/{repo}/branches/{branch}/protection", "repos/get-branch-protection", (*Sim).getProtection},
	{"PUT", "/repos/{owner}/{repo}/branches/{branch}/protection", "repos/update-branch-protection", (*Sim).putProtection},
	{"GET", "/repos/{owner}/{repo}/actions/secrets", "actions/list-repo-secrets", (*Sim).listSecrets},
	{"GET", "/repos/{owner}/{repo}/actions/secrets/public-key", "actions/get-repo-public-key", (*Sim).publicKey},
	{"GET", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", "actions/get-repo-secret", (*Sim).getSecret},
	{"PUT", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", "actions/create-or-update-repo-secret", (*Sim).putSecret},
	{"DELETE", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", "actions/delete-repo-secret", (*Sim).deleteSecret},
	{"GET", "/repos/{owner}/{repo}/environments", "repos/get-all-environments", (*Sim).listEnvironments},
	{"GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets", "actions/list-environment-secrets", (*Sim).listSecrets},
	{"GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key", "actions/get-environment-public-key", (*Sim).publicKey},
	{"PUT", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}", "actions/create-or-update-environment-secret", (*Sim).putSecret},
	{"DELETE", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}", "actions/delete-environment-secret", (*Sim).deleteSecret},
	{"GET", "/repos/{owner}/{repo}/commits", "repos/list-commits", (*Sim).listCommits},
	{"GET", "/repos/{owner}/{repo}/commits/{ref}", "repos/get-commit", (*Sim).getCommit},
	{"GET", "/repos/{owner}/{repo}/contents/{path...}", "repos/get-content", (*Sim).getContent},
	{"PUT", "/repos/{owner}/{repo}/contents/{path...}", "repos/create-or-update-file-contents", (*Sim).putContent},
	{"GET", "/repos/{owner}/{repo}/git/ref/{ref...}", "git/get-ref", (*Sim).getRef},
	{"POST", "/repos/{owner}/{repo}/git/refs", "git/create-ref", (*Sim).createRef},
	{"POST", "/repos/{owner}/{repo}/pulls", "pulls/create", (*Sim).createPull},
	{"POST", "/repos/{owner}/{repo}/issues", "issues/create", (*Sim).createIssue},
	{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "issues/create-comment", (*Sim).createComment},
	{"POST", "/repos/{owner}/{repo}/security-advisories", "security-advisories/create-repository-advisory", (*Sim).createAdvisory},
}

var noMatch = route{op: "unknown"}

// router matches requests to routes; built on first use, not at start-up
// (every firebreak command links the simulator for `gh sim`).
var router = sync.OnceValues(func() (*http.ServeMux, map[string]route) {
	mux, opOf := http.NewServeMux(), map[string]route{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		opOf[key] = rt
		mux.HandleFunc(key, func(http.ResponseWriter, *http.Request) {})
	}
	return mux, opOf
})

// Ops lists the operationIds the simulator serves.
func Ops() []string {
	out := make([]string, 0, len(routes))
	for _, r := range routes {
		out = append(out, r.op)
	}
	return out
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// ServeHTTP answers like GitHub. A /api/v3 prefix (GitHub Enterprise) is
// accepted.
func (s *Sim) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/api/v3/") {
		req.URL.Path = strings.TrimPrefix(req.URL.Path, "/api/v3")
		// Keep an escaped slash escaped (a branch named feature/x).
		req.URL.RawPath = strings.TrimPrefix(req.URL.RawPath, "/api/v3")
	}
	if strings.HasPrefix(req.URL.Path, blobPrefix) {
		// The short-lived download URLs GitHub redirects to: another
		// host's, no API operation, no token.
		s.blob(w, req)
		return
	}
	rec := &recorder{ResponseWriter: w, status: 200}
	defer func() {
		s.mu.Lock()
		s.Log = append(s.Log, fmt.Sprintf("%s %s -> %d", req.Method, req.URL.Path, rec.status))
		s.mu.Unlock()
	}()
	mux, opOf := router()
	_, pattern := mux.Handler(req)
	rt, ok := opOf[pattern]
	if !ok {
		rt = noMatch
	}
	s.mu.Lock()
	s.Requests[rt.op]++
	var fault *Fault
	for i, f := range s.faults {
		if f.Op == "" || f.Op == rt.op {
			fault = f
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	authOK := len(s.tokens) == 0 || s.tokens[strings.TrimPrefix(strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "), "token ")]
	s.mu.Unlock()
	if fault != nil {
		if fault.Latency > 0 {
			time.Sleep(fault.Latency)
		}
		if fault.Status != 0 {
			for k, v := range fault.Headers {
				rec.Header().Set(k, v)
			}
			msg := fault.Message
			if msg == "" {
				msg = http.StatusText(fault.Status)
			}
			writeError(rec, fault.Status, msg)
			return
		}
	}
	if !authOK {
		writeError(rec, http.StatusUnauthorized, "Bad credentials")
		return
	}
	if !ok {
		writeError(rec, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Copy the path values the mux found.
	for _, name := range []string{"owner", "repo", "workflow_id", "run_id", "secret_name", "environment_name", "ref", "path", "issue_number", "branch"} {
		req.SetPathValue(name, pathValue(pattern, req.URL.EscapedPath(), name))
	}
	var rp *repo
	if strings.HasPrefix(rt.pattern, "/repos/") {
		rp = s.repos[req.PathValue("owner")+"/"+req.PathValue("repo")]
		if rp == nil {
			writeError(rec, http.StatusNotFound, "Not Found")
			return
		}
	}
	rt.h(s, rec, req, rp)
}

// pathValue extracts a named segment of a ServeMux pattern from a path.
func pathValue(pattern, p, name string) string {
	_, pat, _ := strings.Cut(pattern, " ")
	ps, xs := strings.Split(strings.Trim(pat, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/")
	for i, seg := range ps {
		if i >= len(xs) {
			return ""
		}
		switch seg {
		case "{" + name + "}":
			v, err := url.PathUnescape(xs[i])
			if err != nil {
				return xs[i]
			}
			return v
		case "{" + name + "...}":
			v, err := url.PathUnescape(strings.Join(xs[i:], "/"))
			if err != nil {
				return strings.Join(xs[i:], "/")
			}
			return v
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, obj{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// page slices a list by per_page/page and sets the Link header.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pg <= 0 {
		pg = 1
	}
	last := (len(items) + per - 1) / per
	if pg < last {
		q := r.URL.Query()
		link := func(n int) string {
			q.Set("page", strconv.Itoa(n))
			q.Set("per_page", strconv.Itoa(per))
			return "<http://" + r.Host + r.URL.Path + "?" + q.Encode() + ">"
		}
		w.Header().Set("Link", link(pg+1)+`; rel="next", `+link(last)+`; rel="last"`)
	}
	start := (pg - 1) * per
	if start >= len(items) {
		return nil
	}
	return items[start:min(start+per, len(items))]
}

func (s *Sim) rateLimit(w http.ResponseWriter, r *http.Request, _ *repo) {
	core := obj{"limit": 5000, "remaining": 4999, "reset": s.now().Add(time.Hour).Unix(), "used": 1}
	writeJSON(w, 200, obj{"resources": obj{"core": core, "search": core}, "rate": core})
}

func (s *Sim) user(w http.ResponseWriter, r *http.Request, _ *repo) {
	writeJSON(w, 200, s.privateUserJSON(s.login, 1))
}

func (s *Sim) getRepo(w http.ResponseWriter, r *http.Request, rp *repo) {
	writeJSON(w, 200, s.fullRepoJSON(rp))
}

func (s *Sim) listWorkflows(w http.ResponseWriter, r *http.Request, rp *repo) {
	items := []any{}
	for _, wf := range page(w, r, rp.workflows) {
		items = append(items, s.workflowJSON(rp, wf))
	}
	writeJSON(w, 200, obj{"total_count": len(rp.workflows), "workflows": items})
}

func (s *Sim) getWorkflow(w http.ResponseWriter, r *http.Request, rp *repo) {
	wf := rp.workflowByRef(r.PathValue("workflow_id"))
	if wf == nil {
		writeError(w, 404, "Not Found")
		return
	}
	writeJSON(w, 200, s.workflowJSON(rp, wf))
}

// setWorkflow disables or enables a workflow. Disabling one that is already
// disabled is a 204 no-op (GitHub does not document it; firebreak checks
// the state first anyway).
func setWorkflow(state string) func(*Sim, http.ResponseWriter, *http.Request, *repo) {
	return func(s *Sim, w http.ResponseWriter, r *http.Request, rp *repo) {
		wf := rp.workflowByRef(r.PathValue("workflow_id"))
		if wf == nil {
			writeError(w, 404, "Not Found")
			return
		}
		if state == "active" || wf.state == "active" {
			wf.state = state
			wf.updated = s.now()
		}
		noContent(w)
	}
}

// progress moves runs on: a cancel request completes the run as cancelled
// the next time it is read; a dispatched run is queued, then in progress,
// then completed (successfully, unless its workflow was set to fail), one
// step each time it is read.
func (s *Sim) progress(rp *repo) {
	for _, run := range rp.runs {
		if run.cancelRequested && !run.stuck && run.status != "completed" {
			run.status, run.conclusion, run.updated = "completed", "cancelled", s.now()
			continue
		}
		if !run.dispatched || run.status == "completed" {
			continue
		}
		switch run.status {
		case "queued":
			run.status = "in_progress"
		case "in_progress":
			run.status, run.conclusion = "completed", "success"
			if wf := rp.workflowByID(run.workflowID); wf != nil && wf.fails {
				run.conclusion = "failure"
			}
		}
		run.updated = s.now()
	}
}

// dispatch starts a workflow: a queued workflow_dispatch run on ref.
func (s *Sim) dispatch(w http.ResponseWriter, r *http.Request, rp *repo) {
	wf := rp.workflowByRef(r.PathValue("workflow_id"))
	if wf == nil {
		writeError(w, 404, "Not Found")
		return
	}
	var body struct {
		Ref    string         `json:"ref"`
		Inputs map[string]any `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Ref == "" {
		writeJSON(w, 422, obj{"message": "Invalid request.\n\n\"ref\" wasn't supplied.", "documentation_url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"})
		return
	}
	if _, ok := s.headSHA(rp, body.Ref); !ok {
		writeJSON(w, 422, obj{"message": "No ref found for: " + body.Ref, "documentation_url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"})
		return
	}
	if wf.state != "active" {
		writeJSON(w, 422, obj{"message": "Cannot trigger a 'workflow_dispatch' on a disabled workflow", "documentation_url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"})
		return
	}
	if len(body.Inputs) > 10 {
		writeJSON(w, 422, obj{"message": "you may only define up to 10 `inputs` for a `workflow_dispatch` event", "documentation_url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"})
		return
	}
	now := s.now()
	run := &run{id: s.id(), workflowID: wf.id, number: len(rp.runs) + 1, title: wf.name, event: "workflow_dispatch", actor: s.login,
		headSHA: fmt.Sprintf("%040x", s.nextID), status: "queued", created: now, updated: now, dispatched: true, ref: body.Ref}
	rp.runs = append(rp.runs, run)
	noContent(w)
}

const blobPrefix = "/_blobs/"

// runLogs redirects to the run's log archive, as GitHub does.
func (s *Sim) runLogs(w http.ResponseWriter, r *http.Request, rp *repo) {
	run := s.findRun(rp, r.PathValue("run_id"))
	if run == nil || run.logsExpired {
		writeError(w, 404, "Not Found")
		return
	}
	origin := s.base
	if u, err := url.Parse(s.base); err == nil {
		origin = u.Scheme + "://" + u.Host // a download host, not the API's path
	}
	w.Header().Set("Location", origin+blobPrefix+"logs/"+rp.full+"/"+strconv.FormatInt(run.id, 10)+".zip")
	w.WriteHeader(http.StatusFound)
}

// blob serves a run's log archive: a zip with one text file per job.
func (s *Sim) blob(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rest := strings.TrimPrefix(req.URL.Path, blobPrefix+"logs/")
	full, file, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	name, file, _ := strings.Cut(file, "/")
	if file != "" || !strings.HasSuffix(name, ".zip") {
		full += "/" + name
		name = file
	}
	rp := s.repos[full]
	if rp == nil {
		http.NotFound(w, req)
		return
	}
	run := s.findRun(rp, strings.TrimSuffix(name, ".zip"))
	if run == nil {
		http.NotFound(w, req)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, _ := zw.Create("0_" + run.title + ".txt")
	fmt.Fprintf(f, "%s run %d (%s, %s) on %s\n", run.title, run.id, run.event, run.status, run.headSHA)
	fmt.Fprintf(f, "%s Run ./scripts/sign.sh advisories/feed.json\n", run.created.Format(time.RFC3339))
	fmt.Fprintf(f, "%s conclusion: %s\n", run.updated.Format(time.RFC3339), run.conclusion)
	zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Write(buf.Bytes())
}

func (s *Sim) listRuns(w http.ResponseWriter, r *http.Request, rp *repo) {
	s.progress(rp)
	var wfID int64
	if ref := r.PathValue("workflow_id"); ref != "" {
		wf := rp.workflowByRef(ref)
		if wf == nil {
			writeError(w, 404, "Not Found")
			return
		}
		wfID = wf.id
	}
	status := r.URL.Query().Get("status")
	created := r.URL.Query().Get("created")
	var sel []*run
	for i := len(rp.runs) - 1; i >= 0; i-- {
		run := rp.runs[i]
		if wfID != 0 && run.workflowID != wfID {
			continue
		}
		if status != "" && run.status != status && run.conclusion != status {
			continue
		}
		if since, ok := strings.CutPrefix(created, ">="); ok {
			if t, err := time.Parse(time.RFC3339, since); err == nil && run.created.Before(t) {
				continue
			}
		}
		sel = append(sel, run)
	}
	items := []any{}
	for _, run := range page(w, r, sel) {
		items = append(items, s.runJSON(rp, run))
	}
	writeJSON(w, 200, obj{"total_count": len(sel), "workflow_runs": items})
}

func (s *Sim) findRun(rp *repo, id string) *run {
	for _, run := range rp.runs {
		if strconv.FormatInt(run.id, 10) == id {
			return run
		}
	}
	return nil
}

func (s *Sim) getRun(w http.ResponseWriter, r *http.Request, rp *repo) {
	s.progress(rp)
	run := s.findRun(rp, r.PathValue("run_id"))
	if run == nil {
		writeError(w, 404, "Not Found")
		return
	}
	writeJSON(w, 200, s.runJSON(rp, run))
}

func cancelRun(force bool) func(*Sim, http.ResponseWriter, *http.Request, *repo) {
	return func(s *Sim, w http.ResponseWriter, r *http.Request, rp *repo) {
		run := s.findRun(rp, r.PathValue("run_id"))
		if run == nil {
			writeError(w, 404, "Not Found")
			return
		}
		if run.status == "completed" {
			writeError(w, 409, "Cannot cancel a workflow run that is completed.")
			return
		}
		run.cancelRequested = true
		if force {
			run.status, run.conclusion, run.updated = "completed", "cancelled", s.now()
		}
		writeJSON(w, 202, obj{})
	}
}

func (s *Sim) listJobs(w http.ResponseWriter, r *http.Request, rp *repo) {
	run := s.findRun(rp, r.PathValue("run_id"))
	if run == nil {
		writeError(w, 404, "Not Found")
		return
	}
	writeJSON(w, 200, obj{"total_count": 1, "jobs": []any{s.jobJSON(rp, run)}})
}

// secretsOf picks the repository's or the environment's secrets.
func (s *Sim) secretsOf(w http.ResponseWriter, r *http.Request, rp *repo) (map[string]*secret, *[32]byte, *[32]byte, string, bool) {
	if env := r.PathValue("environment_name"); env != "" {
		e, ok := rp.envs[env]
		if !ok {
			writeError(w, 404, "Not Found")
			return nil, nil, nil, "", false
		}
		return e.secrets, e.pub, e.priv, e.keyID, true
	}
	return rp.secrets, rp.pub, rp.priv, rp.keyID, true
}

func (s *Sim) listSecrets(w http.ResponseWriter, r *http.Request, rp *repo) {
	m, _, _, _, ok := s.secretsOf(w, r, rp)
	if !ok {
		return
	}
	items := []any{}
	for _, n := range page(w, r, sortedNames(m)) {
		items = append(items, secretJSON(n, m[n]))
	}
	writeJSON(w, 200, obj{"total_count": len(m), "secrets": items})
}

func (s *Sim) publicKey(w http.ResponseWriter, r *http.Request, rp *repo) {
	_, pub, _, kid, ok := s.secretsOf(w, r, rp)
	if ok {
		writeJSON(w, 200, keyJSON(pub, kid))
	}
}

func (s *Sim) getSecret(w http.ResponseWriter, r *http.Request, rp *repo) {
	sec, ok := rp.secrets[r.PathValue("secret_name")]
	if !ok {
		writeError(w, 404, "Not Found")
		return
	}
	writeJSON(w, 200, secretJSON(r.PathValue("secret_name"), sec))
}

func (s *Sim) putSecret(w http.ResponseWriter, r *http.Request, rp *repo) {
	m, pub, priv, kid, ok := s.secretsOf(w, r, rp)
	if !ok {
		return
	}
	if !validSecretName(r.PathValue("secret_name")) {
		writeError(w, 422, "Invalid request: secret names can only contain alphanumeric characters or underscores, must not start with a number or with GITHUB_")
		return
	}
	var body struct {
		EncryptedValue string `json:"encrypted_value"`
		KeyID          string `json:"key_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.EncryptedValue == "" || body.KeyID == "" {
		writeError(w, 422, "Invalid request: encrypted_value and key_id are required")
		return
	}
	if body.KeyID != kid {
		writeError(w, 422, "Invalid request: key_id does not match the current public key")
		return
	}
	value, err := decryptUpload(body.EncryptedValue, pub, priv)
	if err != nil {
		writeError(w, 422, "Invalid request: encrypted_value does not decrypt with the public key")
		return
	}
	name := r.PathValue("secret_name")
	now := s.now()
	if old, exists := m[name]; exists {
		old.value, old.updated = value, now
		noContent(w)
		return
	}
	m[name] = &secret{value: value, created: now, updated: now}
	writeJSON(w, 201, obj{})
}

func (s *Sim) deleteSecret(w http.ResponseWriter, r *http.Request, rp *repo) {
	m, _, _, _, ok := s.secretsOf(w, r, rp)
	if !ok {
		return
	}
	name := r.PathValue("secret_name")
	if _, exists := m[name]; !exists {
		writeError(w, 404, "Not Found")
		return
	}
	delete(m, name)
	noContent(w)
}

func (s *Sim) listEnvironments(w http.ResponseWriter, r *http.Request, rp *repo) {
	items := []any{}
	for _, n := range sortedNames(rp.envs) {
		e := rp.envs[n]
		items = append(items, obj{"id": e.id, "node_id": fmt.Sprintf("EN_%d", e.id), "name": e.name,
			"url": s.api("repos/%s/environments/%s", rp.full, e.name), "html_url": s.web("%s/deployments/activity_log?environments_filter=%s", rp.full, e.name),
			"created_at": stamp(e.created), "updated_at": stamp(e.created)})
	}
	writeJSON(w, 200, obj{"total_count": len(items), "environments": items})
}

func (s *Sim) listCommits(w http.ResponseWriter, r *http.Request, rp *repo) {
	q := r.URL.Query()
	p := strings.TrimSuffix(q.Get("path"), "/")
	var since, until time.Time
	if v := q.Get("since"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	if v := q.Get("until"); v != "" {
		until, _ = time.Parse(time.RFC3339, v)
	}
	var sel []*commit
	for _, c := range rp.commits {
		if !since.IsZero() && c.date.Before(since) || !until.IsZero() && c.date.After(until) {
			continue
		}
		if p != "" {
			hit := false
			for _, f := range c.files {
				hit = hit || f == p || strings.HasPrefix(f, p+"/")
			}
			if !hit {
				continue
			}
		}
		sel = append(sel, c)
	}
	items := []any{}
	for _, c := range page(w, r, sel) {
		j := s.commitJSON(rp, c)
		delete(j, "files")
		delete(j, "stats")
		items = append(items, j)
	}
	writeJSON(w, 200, items)
}

func (s *Sim) getCommit(w http.ResponseWriter, r *http.Request, rp *repo) {
	ref := r.PathValue("ref")
	for _, c := range rp.commits {
		if c.sha == ref || strings.HasPrefix(c.sha, ref) && len(ref) >= 7 {
			writeJSON(w, 200, s.commitJSON(rp, c))
			return
		}
	}
	writeError(w, 404, "No commit found for SHA: "+ref)
}

// filesOf is a branch's files ("" or the default branch: the repository's).
func (rp *repo) filesOf(branch string) (map[string][]byte, bool) {
	if branch == "" || branch == "main" {
		return rp.files, true
	}
	b, ok := rp.branches[branch]
	if !ok {
		return nil, false
	}
	return b.files, true
}

// blobSHA is git's blob id of content.
func blobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return fmt.Sprintf("%x", h.Sum(nil))
}

func (s *Sim) getContent(w http.ResponseWriter, r *http.Request, rp *repo) {
	p := r.PathValue("path")
	files, ok := rp.filesOf(r.URL.Query().Get("ref"))
	if !ok {
		writeError(w, 404, "No commit found for the ref "+r.URL.Query().Get("ref"))
		return
	}
	b, ok := files[p]
	if !ok {
		writeError(w, 404, "Not Found")
		return
	}
	u := s.api("repos/%s/contents/%s", rp.full, p)
	sha := blobSHA(b)
	writeJSON(w, 200, obj{"type": "file", "encoding": "base64", "size": len(b), "name": p[strings.LastIndex(p, "/")+1:], "path": p,
		"content": base64.StdEncoding.EncodeToString(b), "sha": sha, "url": u, "git_url": s.api("repos/%s/git/blobs/%s", rp.full, sha),
		"html_url": s.web("%s/blob/main/%s", rp.full, p), "download_url": s.web("%s/raw/main/%s", rp.full, p),
		"_links": obj{"self": u, "git": s.api("repos/%s/git/blobs/%s", rp.full, sha), "html": s.web("%s/blob/main/%s", rp.full, p)}})
}

func (s *Sim) createIssue(w http.ResponseWriter, r *http.Request, rp *repo) {
	if !rp.hasIssues {
		writeError(w, 410, "Issues are disabled for this repo")
		return
	}
	var body struct {
		Title any    `json:"title"`
		Body  string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == nil || fmt.Sprint(body.Title) == "" {
		writeJSON(w, 422, obj{"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
			"errors": []any{obj{"resource": "Issue", "field": "title", "code": "missing_field"}}})
		return
	}
	is := &issue{id: s.id(), number: len(rp.issues) + 1, title: fmt.Sprint(body.Title), body: body.Body, created: s.now()}
	rp.issues = append(rp.issues, is)
	w.Header().Set("Location", s.api("repos/%s/issues/%d", rp.full, is.number))
	writeJSON(w, 201, s.issueJSON(rp, is))
}

func (s *Sim) createComment(w http.ResponseWriter, r *http.Request, rp *repo) {
	n, _ := strconv.Atoi(r.PathValue("issue_number"))
	if n < 1 || n > len(rp.issues) {
		writeError(w, 404, "Not Found")
		return
	}
	var body struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Body == "" {
		writeError(w, 422, "Validation Failed: body is required")
		return
	}
	is := rp.issues[n-1]
	c := &comment{id: s.id(), body: body.Body, created: s.now()}
	is.comments = append(is.comments, c)
	w.Header().Set("Location", s.api("repos/%s/issues/comments/%d", rp.full, c.id))
	writeJSON(w, 201, s.commentJSON(rp, is, c))
}

func (s *Sim) createAdvisory(w http.ResponseWriter, r *http.Request, rp *repo) {
	if !rp.advisoryEnabled {
		writeError(w, 404, "Not Found")
		return
	}
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&body); err != nil {
		writeError(w, 400, "Problems parsing JSON")
		return
	}
	allowed := map[string]bool{"summary": true, "description": true, "cve_id": true, "vulnerabilities": true, "cwe_ids": true,
		"credits": true, "severity": true, "cvss_vector_string": true, "start_private_fork": true}
	for k := range body {
		if !allowed[k] {
			writeError(w, 422, "Validation Failed: property "+strconv.Quote(k)+" is not allowed")
			return
		}
	}
	summary, _ := body["summary"].(string)
	desc, _ := body["description"].(string)
	if summary == "" || desc == "" || body["vulnerabilities"] == nil {
		writeError(w, 422, "Validation Failed: summary, description and vulnerabilities are required")
		return
	}
	rp.advisories = append(rp.advisories, body)
	ghsa := fmt.Sprintf("GHSA-%04x-%04x-%04x", s.id()%65536, len(rp.advisories), 0xf1b)
	now := stamp(s.now())
	sev := body["severity"]
	vulns := []any{}
	if vs, ok := body["vulnerabilities"].([]any); ok {
		for _, v := range vs {
			vm, _ := v.(map[string]any)
			pkg, _ := vm["package"].(map[string]any)
			vulns = append(vulns, obj{"package": obj{"ecosystem": pkg["ecosystem"], "name": pkg["name"]},
				"vulnerable_version_range": vm["vulnerable_version_range"], "patched_versions": vm["patched_versions"], "vulnerable_functions": vm["vulnerable_functions"]})
		}
	}
	repoJSON := s.minimalRepoJSON(rp)
	writeJSON(w, 201, obj{
		"ghsa_id": ghsa, "cve_id": nil, "url": s.api("repos/%s/security-advisories/%s", rp.full, ghsa),
		"html_url": s.web("%s/security/advisories/%s", rp.full, ghsa), "summary": summary, "description": desc, "severity": sev,
		"author": s.userJSON(s.login, 1), "publisher": nil, "identifiers": []any{obj{"type": "GHSA", "value": ghsa}},
		"state": "draft", "created_at": now, "updated_at": now, "published_at": nil, "closed_at": nil, "withdrawn_at": nil,
		"submission": nil, "vulnerabilities": vulns, "cvss": nil, "cwes": []any{}, "cwe_ids": []any{}, "credits": []any{},
		"credits_detailed": []any{}, "collaborating_users": []any{}, "collaborating_teams": []any{}, "private_fork": repoJSON,
	})
}

// validSecretName is GitHub's rule for Actions secret names (the simulator
// keeps its own copy: it models GitHub, not firebreak's client).
func validSecretName(n string) bool {
	if n == "" || n[0] >= '0' && n[0] <= '9' || strings.HasPrefix(strings.ToUpper(n), "GITHUB_") {
		return false
	}
	for _, c := range n {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// protection is a branch's protection as it was set (the request's
// fields, which is what GitHub keeps).
type protection struct {
	StatusChecks *struct {
		Strict   bool     `json:"strict"`
		Contexts []string `json:"contexts"`
		Checks   []struct {
			Context string `json:"context"`
			AppID   *int64 `json:"app_id"`
		} `json:"checks"`
	} `json:"required_status_checks"`
	EnforceAdmins *bool `json:"enforce_admins"`
	Reviews       *struct {
		DismissStale        bool  `json:"dismiss_stale_reviews"`
		CodeOwners          bool  `json:"require_code_owner_reviews"`
		Count               int   `json:"required_approving_review_count"`
		LastPush            *bool `json:"require_last_push_approval"`
		DismissalRestricted *struct {
			Users []string `json:"users"`
			Teams []string `json:"teams"`
			Apps  []string `json:"apps"`
		} `json:"dismissal_restrictions"`
	} `json:"required_pull_request_reviews"`
	Restrictions *struct {
		Users []string `json:"users"`
		Teams []string `json:"teams"`
		Apps  []string `json:"apps"`
	} `json:"restrictions"`
	LinearHistory          *bool `json:"required_linear_history"`
	ForcePushes            *bool `json:"allow_force_pushes"`
	Deletions              *bool `json:"allow_deletions"`
	BlockCreations         *bool `json:"block_creations"`
	ConversationResolution *bool `json:"required_conversation_resolution"`
	Lock                   *bool `json:"lock_branch"`
	ForkSyncing            *bool `json:"allow_fork_syncing"`
}

func (s *Sim) getProtection(w http.ResponseWriter, r *http.Request, rp *repo) {
	if _, ok := s.headSHA(rp, r.PathValue("branch")); !ok {
		writeError(w, 404, "Branch not found")
		return
	}
	p, ok := rp.protection[r.PathValue("branch")]
	if !ok {
		writeJSON(w, 404, obj{"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection"})
		return
	}
	writeJSON(w, 200, s.protectionJSON(rp, r.PathValue("branch"), p))
}

func (s *Sim) putProtection(w http.ResponseWriter, r *http.Request, rp *repo) {
	if _, ok := s.headSHA(rp, r.PathValue("branch")); !ok {
		writeError(w, 404, "Branch not found")
		return
	}
	var raw map[string]json.RawMessage
	body, _ := io.ReadAll(r.Body)
	if json.Unmarshal(body, &raw) != nil {
		writeError(w, 400, "Problems parsing JSON")
		return
	}
	for _, k := range []string{"required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"} {
		if _, ok := raw[k]; !ok {
			writeJSON(w, 422, obj{"message": "Invalid request.\n\n\"" + k + "\" wasn't supplied.", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#update-branch-protection"})
			return
		}
	}
	var p protection
	if err := json.Unmarshal(body, &p); err != nil {
		writeJSON(w, 422, obj{"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#update-branch-protection"})
		return
	}
	if p.Restrictions != nil && (len(p.Restrictions.Teams) > 0 || len(p.Restrictions.Apps) > 0) {
		writeError(w, 422, "the simulator restricts pushes to users only")
		return
	}
	// GitHub keeps effective values: a setting left out is off.
	for _, b := range []**bool{&p.EnforceAdmins, &p.LinearHistory, &p.ForcePushes, &p.Deletions, &p.BlockCreations, &p.ConversationResolution, &p.Lock, &p.ForkSyncing} {
		if *b == nil {
			f := false
			*b = &f
		}
	}
	if p.Reviews != nil && p.Reviews.LastPush == nil {
		f := false
		p.Reviews.LastPush = &f
	}
	if rp.protection == nil {
		rp.protection = map[string]*protection{}
	}
	rp.protection[r.PathValue("branch")] = &p
	writeJSON(w, 200, s.protectionJSON(rp, r.PathValue("branch"), &p))
}

// Protection is a branch's protection in the simulator, as JSON (nil when
// the branch has none): for tests to check what was set.
func (s *Sim) Protection(full, branch string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.repos[full].protection[branch]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(p)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func (s *Sim) protectionJSON(rp *repo, branch string, p *protection) obj {
	u := s.api("repos/%s/branches/%s/protection", rp.full, branch)
	on := func(b *bool) obj { return obj{"enabled": b != nil && *b} }
	out := obj{"url": u, "enabled": true,
		"enforce_admins":          obj{"url": u + "/enforce_admins", "enabled": p.EnforceAdmins != nil && *p.EnforceAdmins},
		"required_linear_history": on(p.LinearHistory), "allow_force_pushes": on(p.ForcePushes), "allow_deletions": on(p.Deletions),
		"block_creations": on(p.BlockCreations), "required_conversation_resolution": on(p.ConversationResolution),
		"lock_branch": on(p.Lock), "allow_fork_syncing": on(p.ForkSyncing),
		"required_signatures": obj{"url": u + "/required_signatures", "enabled": false}}
	if sc := p.StatusChecks; sc != nil {
		checks := []any{}
		contexts := []any{}
		for _, c := range sc.Checks {
			checks = append(checks, obj{"context": c.Context, "app_id": c.AppID})
			contexts = append(contexts, c.Context)
		}
		if len(sc.Checks) == 0 {
			for _, c := range sc.Contexts {
				contexts = append(contexts, c)
				checks = append(checks, obj{"context": c, "app_id": nil})
			}
		}
		out["required_status_checks"] = obj{"url": u + "/required_status_checks", "strict": sc.Strict, "contexts": contexts, "checks": checks,
			"contexts_url": u + "/required_status_checks/contexts"}
	}
	if rv := p.Reviews; rv != nil {
		r := obj{"url": u + "/required_pull_request_reviews", "dismiss_stale_reviews": rv.DismissStale, "require_code_owner_reviews": rv.CodeOwners,
			"required_approving_review_count": rv.Count, "require_last_push_approval": rv.LastPush != nil && *rv.LastPush}
		if d := rv.DismissalRestricted; d != nil {
			users := []any{}
			for _, l := range d.Users {
				users = append(users, s.userJSON(l, 1000+int64(len(l))))
			}
			r["dismissal_restrictions"] = obj{"url": u + "/dismissal_restrictions", "users_url": u + "/dismissal_restrictions/users",
				"teams_url": u + "/dismissal_restrictions/teams", "users": users, "teams": []any{}, "apps": []any{}}
		}
		out["required_pull_request_reviews"] = r
	}
	if rs := p.Restrictions; rs != nil {
		users := []any{}
		for _, l := range rs.Users {
			users = append(users, s.userJSON(l, 1000+int64(len(l))))
		}
		out["restrictions"] = obj{"url": u + "/restrictions", "users_url": u + "/restrictions/users", "teams_url": u + "/restrictions/teams",
			"apps_url": u + "/restrictions/apps", "users": users, "teams": []any{}, "apps": []any{}}
	}
	return out
}

type branchState struct {
	sha   string
	files map[string][]byte
}

func (s *Sim) headSHA(rp *repo, branch string) (string, bool) {
	if branch == "main" {
		if rp.mainSHA == "" {
			rp.mainSHA = fmt.Sprintf("%040x", s.id())
		}
		return rp.mainSHA, true
	}
	b, ok := rp.branches[branch]
	if !ok {
		return "", false
	}
	return b.sha, true
}

func (s *Sim) refJSON(rp *repo, ref, sha string) obj {
	return obj{"ref": ref, "node_id": "REF_" + sha[:8], "url": s.api("repos/%s/git/%s", rp.full, ref),
		"object": obj{"type": "commit", "sha": sha, "url": s.api("repos/%s/git/commits/%s", rp.full, sha)}}
}

func (s *Sim) getRef(w http.ResponseWriter, r *http.Request, rp *repo) {
	ref := r.PathValue("ref")
	branch, ok := strings.CutPrefix(ref, "heads/")
	sha, found := s.headSHA(rp, branch)
	if !ok || !found {
		writeError(w, 404, "Not Found")
		return
	}
	writeJSON(w, 200, s.refJSON(rp, "refs/"+ref, sha))
}

func (s *Sim) createRef(w http.ResponseWriter, r *http.Request, rp *repo) {
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.SHA == "" {
		writeJSON(w, 422, obj{"message": "Invalid request.", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"})
		return
	}
	branch, ok := strings.CutPrefix(body.Ref, "refs/heads/")
	if !ok || branch == "" || strings.Contains(branch, "..") {
		writeJSON(w, 422, obj{"message": "Reference name is not valid", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"})
		return
	}
	if _, exists := s.headSHA(rp, branch); exists || branch == "main" {
		writeJSON(w, 422, obj{"message": "Reference already exists", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"})
		return
	}
	main, _ := s.headSHA(rp, "main")
	if body.SHA != main {
		writeJSON(w, 422, obj{"message": "Object does not exist", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"})
		return
	}
	files := map[string][]byte{}
	for k, v := range rp.files {
		files[k] = v
	}
	if rp.branches == nil {
		rp.branches = map[string]*branchState{}
	}
	rp.branches[branch] = &branchState{sha: body.SHA, files: files}
	writeJSON(w, 201, s.refJSON(rp, body.Ref, body.SHA))
}

func (s *Sim) putContent(w http.ResponseWriter, r *http.Request, rp *repo) {
	var body struct {
		Message string `json:"message"`
		Content string `json:"content"`
		SHA     string `json:"sha"`
		Branch  string `json:"branch"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.Message == "" {
		writeJSON(w, 422, obj{"message": "Invalid request.", "documentation_url": "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"})
		return
	}
	content, err := base64.StdEncoding.DecodeString(body.Content)
	if err != nil {
		writeJSON(w, 422, obj{"message": "content is not valid Base64", "documentation_url": "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"})
		return
	}
	branch := body.Branch
	if branch == "" {
		branch = "main"
	}
	files, ok := rp.filesOf(branch)
	if !ok {
		writeError(w, 404, "Branch "+branch+" not found")
		return
	}
	p := r.PathValue("path")
	old, exists := files[p]
	switch {
	case exists && body.SHA == "":
		writeJSON(w, 422, obj{"message": "Invalid request.\n\n\"sha\" wasn't supplied.", "documentation_url": "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"})
		return
	case exists && body.SHA != blobSHA(old):
		// A basic error; "metadata": null tells it from the rule-violation
		// error the description also allows (oneOf: both would match).
		writeJSON(w, 409, obj{"message": p + " does not match " + body.SHA, "documentation_url": "https://docs.github.com/rest/repos/contents#create-or-update-file-contents", "status": "409", "metadata": nil})
		return
	}
	files[p] = content
	commitSHA := fmt.Sprintf("%040x", s.id())
	if branch == "main" {
		rp.mainSHA = commitSHA
	} else {
		rp.branches[branch].sha = commitSHA
	}
	now := s.now().Format(time.RFC3339)
	person := obj{"name": s.login, "email": s.login + "@users.noreply.github.example", "date": now}
	u := s.api("repos/%s/contents/%s", rp.full, p)
	status := 200
	if !exists {
		status = 201
	}
	writeJSON(w, status, obj{
		"content": obj{"name": p[strings.LastIndex(p, "/")+1:], "path": p, "sha": blobSHA(content), "size": len(content), "url": u,
			"html_url": s.web("%s/blob/%s/%s", rp.full, branch, p), "git_url": s.api("repos/%s/git/blobs/%s", rp.full, blobSHA(content)),
			"download_url": s.web("%s/raw/%s/%s", rp.full, branch, p), "type": "file",
			"_links": obj{"self": u, "git": s.api("repos/%s/git/blobs/%s", rp.full, blobSHA(content)), "html": s.web("%s/blob/%s/%s", rp.full, branch, p)}},
		"commit": obj{"sha": commitSHA, "node_id": "C_" + commitSHA[:8], "url": s.api("repos/%s/git/commits/%s", rp.full, commitSHA),
			"html_url": s.web("%s/commit/%s", rp.full, commitSHA), "author": person, "committer": person, "message": body.Message,
			"tree":    obj{"url": s.api("repos/%s/git/trees/%s", rp.full, commitSHA), "sha": commitSHA},
			"parents": []any{}, "verification": obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil}},
	})
}

// Pull is a pull request the simulator holds.
type Pull struct {
	Number      int
	Title, Body string
	Head, Base  string
	Files       map[string][]byte // the head branch's files
}

func (s *Sim) createPull(w http.ResponseWriter, r *http.Request, rp *repo) {
	var body struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.Head == "" || body.Base == "" {
		writeJSON(w, 422, obj{"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
		return
	}
	headSHA, ok := s.headSHA(rp, body.Head)
	baseSHA, ok2 := s.headSHA(rp, body.Base)
	if !ok || !ok2 || body.Head == body.Base {
		writeJSON(w, 422, obj{"message": "Validation Failed", "errors": []any{obj{"resource": "PullRequest", "field": "head", "code": "invalid"}},
			"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
		return
	}
	rp.pullCount++
	n := len(rp.issues) + rp.pullCount
	id := s.id()
	rp.pulls = append(rp.pulls, &Pull{Number: n, Title: body.Title, Body: body.Body, Head: body.Head, Base: body.Base, Files: rp.branches[body.Head].files})
	now := s.now().Format(time.RFC3339)
	u := s.api("repos/%s/pulls/%d", rp.full, n)
	html := s.web("%s/pull/%d", rp.full, n)
	user := s.userJSON(s.login, 1)
	link := func(h string) obj { return obj{"href": h} }
	ref := func(branch, sha string) obj {
		repo := s.fullRepoJSON(rp)
		repo["has_downloads"] = true // the "repository" schema a pull request carries wants it
		return obj{"label": rp.owner + ":" + branch, "ref": branch, "sha": sha, "user": user, "repo": repo}
	}
	writeJSON(w, 201, obj{"url": u, "id": id, "node_id": fmt.Sprintf("PR_%d", id), "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
		"issue_url": s.api("repos/%s/issues/%d", rp.full, n), "commits_url": u + "/commits", "review_comments_url": u + "/comments",
		"review_comment_url": s.api("repos/%s/pulls/comments{/number}", rp.full), "comments_url": s.api("repos/%s/issues/%d/comments", rp.full, n),
		"statuses_url": s.api("repos/%s/statuses/%s", rp.full, headSHA), "number": n, "state": "open", "locked": false, "title": body.Title,
		"user": user, "body": body.Body, "labels": []any{}, "milestone": nil, "active_lock_reason": nil, "created_at": now, "updated_at": now,
		"closed_at": nil, "merged_at": nil, "merge_commit_sha": nil, "assignee": nil, "assignees": []any{}, "requested_reviewers": []any{},
		"requested_teams": []any{}, "head": ref(body.Head, headSHA), "base": ref(body.Base, baseSHA),
		"_links": obj{"self": link(u), "html": link(html), "issue": link(s.api("repos/%s/issues/%d", rp.full, n)),
			"comments": link(s.api("repos/%s/issues/%d/comments", rp.full, n)), "review_comments": link(u + "/comments"),
			"review_comment": link(s.api("repos/%s/pulls/comments{/number}", rp.full)), "commits": link(u + "/commits"),
			"statuses": link(s.api("repos/%s/statuses/%s", rp.full, headSHA))},
		"author_association": "OWNER", "auto_merge": nil, "draft": false, "merged": false, "mergeable": nil, "rebaseable": nil,
		"mergeable_state": "unknown", "merged_by": nil, "comments": 0, "review_comments": 0, "maintainer_can_modify": false,
		"commits": 1, "additions": 0, "deletions": 0, "changed_files": 0})
}

// Pulls lists the pull requests opened in a repository.
func (s *Sim) Pulls(full string) []Pull {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Pull
	for _, p := range s.repos[full].pulls {
		out = append(out, *p)
	}
	return out
}

// File is a file's content on a branch of a repository ("" or main: the
// default branch).
func (s *Sim) File(full, branch, path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	files, ok := s.repos[full].filesOf(branch)
	if !ok {
		return nil, false
	}
	b, ok := files[path]
	return b, ok
}

// getBranch reports a branch, its head commit and whether it is protected.
func (s *Sim) getBranch(w http.ResponseWriter, r *http.Request, rp *repo) {
	name := r.PathValue("branch")
	sha, ok := s.headSHA(rp, name)
	if !ok {
		writeError(w, 404, "Branch not found")
		return
	}
	c := &commit{sha: sha, message: "head of " + name, author: s.login, date: s.now()}
	u := s.api("repos/%s/branches/%s", rp.full, name)
	_, protected := rp.protection[name]
	prot := obj{"enabled": protected, "required_status_checks": obj{"enforcement_level": "off", "contexts": []any{}, "checks": []any{}}}
	writeJSON(w, 200, obj{"name": name, "commit": s.commitJSON(rp, c), "_links": obj{"self": u, "html": s.web("%s/tree/%s", rp.full, name)},
		"protected": protected, "protection": prot, "protection_url": u + "/protection"})
}
