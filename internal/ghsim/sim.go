// Package ghsim is an in-process GitHub REST API simulator for the 29
// operations firebreak uses: repositories with workflow files whose real
// YAML can be read back, workflows with state, runs that progress and can be
// cancelled, secrets sealed to a real public key that the simulator can
// decrypt to prove an upload, commits, issues and comments, security
// advisories — with fault injection (any status, Retry-After, latency). It
// answers under / and under /api/v3/ (GitHub Enterprise style). Tests hold it
// to GitHub's official API description (see package ghcontract).
package ghsim

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/firebreak-dev/firebreak/internal/github"
)

type repo struct {
	id              int64
	owner, name     string
	full            string
	ownerID         int64
	private         bool
	hasIssues       bool
	workflows       []*workflow
	runs            []*run
	secrets         map[string]*secret
	envs            map[string]*environment
	pub, priv       *[32]byte
	keyID           string
	commits         []*commit // newest first
	files           map[string][]byte
	issues          []*issue
	advisories      []map[string]any
	advisoryEnabled bool
	protection      map[string]*protection // by branch
	branches        map[string]*branchState
	mainSHA         string
	pulls           []*Pull
	pullCount       int
}

type workflow struct {
	id               int64
	name, path       string
	state            string
	fails            bool // its dispatched runs conclude in failure
	created, updated time.Time
}

type run struct {
	id, workflowID   int64
	number           int
	title, event     string
	actor, headSHA   string
	status           string // queued, in_progress, completed
	conclusion       string
	cancelRequested  bool
	stuck            bool // ignores a plain cancel (only force-cancel stops it)
	dispatched       bool // created by a workflow_dispatch: runs to completion as it is read
	ref              string
	logsExpired      bool
	created, updated time.Time
}

type secret struct {
	value            []byte // decrypted on upload, to prove what was sent
	created, updated time.Time
}

type environment struct {
	id        int64
	name      string
	secrets   map[string]*secret
	pub, priv *[32]byte
	keyID     string
	created   time.Time
}

type commit struct {
	sha, parent, message, author string
	date                         time.Time
	files                        []string
}

type issue struct {
	id       int64
	number   int
	title    string
	body     string
	created  time.Time
	comments []*comment
}

type comment struct {
	id      int64
	body    string
	created time.Time
}

// Fault is an injected failure: the next Count matching requests get Status
// (with Headers and Message) instead of being served.
type Fault struct {
	Op      string // operationId, or "" for any
	Status  int
	Headers map[string]string
	Message string
	Count   int
	Latency time.Duration // added before answering (with Status 0: delay only)
}

// Sim is the simulator.
type Sim struct {
	mu     sync.Mutex
	repos  map[string]*repo
	tokens map[string]bool
	login  string
	faults []*Fault
	nextID int64
	epoch  time.Time
	clock  func() time.Time
	base   string
	// Requests counts requests by operationId.
	Requests map[string]int
	// Log records every request: "METHOD /path -> status".
	Log []string
}

// New returns an empty simulator accepting the given tokens.
func New(tokens ...string) *Sim {
	s := &Sim{repos: map[string]*repo{}, tokens: map[string]bool{}, login: "responder", nextID: 100,
		epoch: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), clock: time.Now, Requests: map[string]int{}, base: "http://127.0.0.1"}
	for _, t := range tokens {
		s.tokens[t] = true
	}
	return s
}

// SetClock replaces the clock (tests).
func (s *Sim) SetClock(f func() time.Time) { s.mu.Lock(); s.clock = f; s.mu.Unlock() }

func (s *Sim) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

func (s *Sim) id() int64 { s.nextID++; return s.nextID }

func newKeyPair() (*[32]byte, *[32]byte, string) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	sum := sha1.Sum(pub[:])
	return pub, priv, hex.EncodeToString(sum[:8])
}

// AddRepo creates a repository.
func (s *Sim) AddRepo(full string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, name, _ := strings.Cut(full, "/")
	pub, priv, kid := newKeyPair()
	s.repos[full] = &repo{id: s.id(), owner: owner, name: name, full: full, ownerID: s.id(), private: true, hasIssues: true,
		secrets: map[string]*secret{}, envs: map[string]*environment{}, pub: pub, priv: priv, keyID: kid,
		files: map[string][]byte{}, advisoryEnabled: true}
}

// AddWorkflow adds a workflow file (its real YAML) in state active.
func (s *Sim) AddWorkflow(full, file string, content []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[full]
	p := ".github/workflows/" + file
	r.files[p] = content
	name := strings.TrimSuffix(strings.TrimSuffix(file, ".yml"), ".yaml")
	for _, line := range strings.Split(string(content), "\n") {
		if strings.HasPrefix(line, "name:") {
			name = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "name:")), `"'`)
			break
		}
	}
	w := &workflow{id: s.id(), name: name, path: p, state: "active", created: s.epoch, updated: s.epoch}
	r.workflows = append(r.workflows, w)
	return w.id
}

// SetWorkflowState sets a workflow's state (e.g. disabled_inactivity).
func (s *Sim) SetWorkflowState(full string, id int64, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[full].workflowByID(id).state = state
}

// WorkflowState reads a workflow's state.
func (s *Sim) WorkflowState(full string, id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[full].workflowByID(id).state
}

// AddRun adds a run of a workflow with a status.
func (s *Sim) AddRun(full string, workflowID int64, status, actor string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[full]
	now := s.now()
	run := &run{id: s.id(), workflowID: workflowID, number: len(r.runs) + 1, title: "release", event: "push", actor: actor,
		headSHA: fmt.Sprintf("%040x", s.nextID), status: status, created: now.Add(-time.Minute), updated: now}
	if status == "completed" {
		run.conclusion = "success"
	}
	r.runs = append(r.runs, run)
	return run.id
}

// SetStuck makes a run ignore plain cancel requests, as a run stuck in a
// step does; only force-cancel stops it.
func (s *Sim) SetStuck(full string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if run := s.repos[full].runByID(id); run != nil {
		run.stuck = true
	}
}

// RunStatus reads a run's status and conclusion.
func (s *Sim) RunStatus(full string, id int64) (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if run := s.repos[full].runByID(id); run != nil {
		return run.status, run.conclusion
	}
	return "", ""
}

// AddSecret adds a repository secret (or an environment's, when env is set).
func (s *Sim) AddSecret(full, env, name string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[full]
	sec := &secret{value: value, created: s.epoch, updated: s.epoch}
	if env == "" {
		r.secrets[name] = sec
		return
	}
	r.env(env, s).secrets[name] = sec
}

// Secret returns a secret's decrypted value as uploaded, and whether it
// exists.
func (s *Sim) Secret(full, env, name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[full]
	m := r.secrets
	if env != "" {
		e, ok := r.envs[env]
		if !ok {
			return nil, false
		}
		m = e.secrets
	}
	sec, ok := m[name]
	if !ok {
		return nil, false
	}
	return sec.value, true
}

// AddCommit adds a commit touching files at a time.
func (s *Sim) AddCommit(full, author, message string, at time.Time, files ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[full]
	c := &commit{sha: fmt.Sprintf("%040x", s.id()*7919), message: message, author: author, date: at.UTC(), files: files}
	if len(r.commits) > 0 {
		c.parent = r.commits[0].sha
	}
	r.commits = append([]*commit{c}, r.commits...)
	return c.sha
}

// Issues returns the titles and bodies of the issues created.
func (s *Sim) Issues(full string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, is := range s.repos[full].issues {
		out = append(out, is.title+"\n"+is.body)
	}
	return out
}

// Advisories returns the advisories created, as sent.
func (s *Sim) Advisories(full string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.repos[full].advisories...)
}

// Inject queues a fault.
func (s *Sim) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults = append(s.faults, &f)
}

func (r *repo) runByID(id int64) *run {
	for _, run := range r.runs {
		if run.id == id {
			return run
		}
	}
	return nil
}

func (r *repo) workflowByID(id int64) *workflow {
	for _, w := range r.workflows {
		if w.id == id {
			return w
		}
	}
	return &workflow{name: "deleted", path: ".github/workflows/deleted.yml", state: "deleted"}
}

func (r *repo) workflowByRef(ref string) *workflow {
	for _, w := range r.workflows {
		if fmt.Sprint(w.id) == ref || path.Base(w.path) == ref {
			return w
		}
	}
	return nil
}

func (r *repo) env(name string, s *Sim) *environment {
	e, ok := r.envs[name]
	if !ok {
		pub, priv, kid := newKeyPair()
		e = &environment{id: s.id(), name: name, secrets: map[string]*secret{}, pub: pub, priv: priv, keyID: kid, created: s.epoch}
		r.envs[name] = e
	}
	return e
}

// AddEnvironment creates an environment.
func (s *Sim) AddEnvironment(full, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[full].env(name, s)
}

// Listen serves the simulator on a loopback port and returns its URL and a
// stop function.
func (s *Sim) Listen(addr string) (string, func() error, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("the simulator listens on loopback only, not %s", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	url := "http://" + ln.Addr().String()
	s.SetBase(url)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return url, srv.Close, nil
}

// SetBase sets the URL the simulator puts in its links.
func (s *Sim) SetBase(u string) { s.mu.Lock(); s.base = strings.TrimRight(u, "/"); s.mu.Unlock() }

// decryptUpload opens an uploaded encrypted_value with the key pair it was
// sealed to, proving the client sealed it correctly.
func decryptUpload(enc string, pub, priv *[32]byte) ([]byte, error) {
	return github.OpenSecret(enc, pub, priv)
}

func keyJSON(pub *[32]byte, kid string) obj {
	return obj{"key_id": kid, "key": base64.StdEncoding.EncodeToString(pub[:])}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FailWorkflow makes a workflow's dispatched runs conclude in failure.
func (s *Sim) FailWorkflow(full string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[full].workflowByID(id).fails = true
}

// ExpireLogs makes a run's logs gone, as after the retention period.
func (s *Sim) ExpireLogs(full string, runID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if run := s.repos[full].runByID(runID); run != nil {
		run.logsExpired = true
	}
}

// Dispatched lists the runs workflow_dispatch created: id, workflow, ref,
// status and conclusion.
func (s *Sim) Dispatched(full string) []DispatchedRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DispatchedRun
	for _, r := range s.repos[full].runs {
		if r.dispatched {
			out = append(out, DispatchedRun{ID: r.id, WorkflowID: r.workflowID, Ref: r.ref, Status: r.status, Conclusion: r.conclusion})
		}
	}
	return out
}

// DispatchedRun is a run a dispatch created.
type DispatchedRun struct {
	ID, WorkflowID          int64
	Ref, Status, Conclusion string
}

// AddFile puts a file on the default branch.
func (s *Sim) AddFile(full, path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[full].files[path] = content
}
