// Package drill builds the sandbox a key-rotation or rollback drill runs
// against — a local git repository shaped like a signing repository, a
// current signing key, and the GitHub simulator on loopback holding the
// same workflows and the signing secret — runs the drill playbook's steps
// through the same action pipeline a real incident uses, and reports what
// passed. It imports no UI package.
package drill

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/ghsim"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// Kind is a drill: rotation or rollback.
type Kind string

// The drills.
const (
	Rotation Kind = "rotation"
	Rollback Kind = "rollback"
)

// Kinds lists the drills.
var Kinds = []Kind{Rotation, Rollback}

// ParseKind reads a drill's name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(s)); k {
	case Rotation, Rollback:
		return k, nil
	}
	return "", fmt.Errorf("no drill %q (rotation or rollback)", s)
}

// Playbook is the drill's playbook id.
func (k Kind) Playbook() string { return "DRILL-" + strings.ToUpper(string(k)) }

// KindOf returns the drill a playbook id runs, if any.
func KindOf(playbook string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Playbook() == playbook {
			return k, true
		}
	}
	return "", false
}

// Sabotages are the faults a sandbox can be built with, to see the drill's
// checks catch them: a pinned copy of the public key the rotation does not
// reach, and a signing workflow the rollback cannot re-enable.
var Sabotages = map[string]Kind{
	"stale-pin":      Rotation,
	"stuck-workflow": Rollback,
}

// Options configure a sandbox.
type Options struct {
	// Dir is where the sandbox is built; it must be absent or empty.
	Dir string
	// Sabotage is one of Sabotages, or empty.
	Sabotage string
	// Now is the clock; the repository's history ends at it.
	Now func() time.Time
	// Wrap, when set, wraps the simulator's handler (tests hold its
	// traffic to the API description with it).
	Wrap func(http.Handler) http.Handler
}

// Sandbox is a built sandbox, its simulator listening on loopback.
type Sandbox struct {
	Kind     Kind
	Sabotage string
	Dir      string // the sandbox
	RepoDir  string // the git working tree
	KeysDir  string
	Repo     string // OWNER/REPO in the simulator
	Sim      *ghsim.Sim
	APIURL   string
	Token    string

	OldSecret, NewSecret string
	// CurrentKey and CurrentPub are the signing key the repository's
	// artifacts are signed with (a rotation replaces it).
	CurrentKey, CurrentPub string
	// NewKeyPrefix is where a rotation's key.generate writes the new pair.
	NewKeyPrefix string
	// GoodCommit and BadCommit are the known-good and the tampered feed
	// commits of a rollback sandbox, for the checks.
	GoodCommit, BadCommit string
	// Workflows are the simulator's workflow ids by file name.
	Workflows map[string]int64
	// Facts are the drill incident's facts.
	Facts map[string]string
	// SiteURL is the sandbox's published site on loopback: what consumers
	// download (the feed, its signature, the public key, the checksums),
	// served from the working tree as it is.
	SiteURL string

	srv, site *http.Server
}

// Close stops the simulator and the site.
func (s *Sandbox) Close() error {
	var errs []error
	for _, srv := range []*http.Server{s.srv, s.site} {
		if srv != nil {
			errs = append(errs, srv.Close())
		}
	}
	return errors.Join(errs...)
}

// sitePaths are the files the sandbox site publishes, as ClawSec's Pages
// site does (feed and key under advisories/, the manifest at the root).
var sitePaths = []string{"/advisories/feed.json", "/advisories/feed.json.sig", "/advisories/feed-signing-public.pem", "/checksums.json", "/checksums.sig"}

// listenSite serves the published files on loopback and adds their URLs
// to the drill's facts.
func (s *Sandbox) listenSite() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.SiteURL = "http://" + ln.Addr().String()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !slices.Contains(sitePaths, r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(s.RepoDir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	s.site = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.site.Serve(ln)
	s.Facts["feed_url"] = s.SiteURL + "/advisories/feed.json"
	s.Facts["published_key"] = s.SiteURL + "/advisories/feed-signing-public.pem"
	s.Facts["checksums_url"] = s.SiteURL + "/checksums.json"
	s.Facts["checksums_sig_url"] = s.SiteURL + "/checksums.sig"
	return nil
}

// Build builds a sandbox for a drill.
func Build(ctx context.Context, kind Kind, o Options) (*Sandbox, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sabotage != "" {
		want, ok := Sabotages[o.Sabotage]
		if !ok {
			return nil, fmt.Errorf("no sabotage %q (stale-pin for rotation, stuck-workflow for rollback)", o.Sabotage)
		}
		if want != kind {
			return nil, fmt.Errorf("sabotage %s is for the %s drill", o.Sabotage, want)
		}
	}
	if o.Dir == "" {
		return nil, errors.New("drill: no sandbox directory")
	}
	if ents, err := os.ReadDir(o.Dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("drill sandbox %s is not empty; give a new or empty directory", o.Dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s := &Sandbox{Kind: kind, Sabotage: o.Sabotage, Dir: o.Dir, RepoDir: filepath.Join(o.Dir, "repo"), KeysDir: filepath.Join(o.Dir, "keys"),
		Repo: "drill-org/signing", OldSecret: "FEED_SIGNING_PRIVATE_KEY", NewSecret: "FEED_SIGNING_PRIVATE_KEY_" + o.Now().UTC().Format("2006_01")}
	for _, d := range []string{s.RepoDir, s.KeysDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	b := &builder{s: s, now: o.Now().UTC()}
	if err := b.build(ctx); err != nil {
		return nil, fmt.Errorf("drill sandbox: %w", err)
	}
	if err := s.listen(o.Wrap); err != nil {
		return nil, fmt.Errorf("drill sandbox: start the GitHub simulator: %w", err)
	}
	if err := s.listenSite(); err != nil {
		s.Close()
		return nil, fmt.Errorf("drill sandbox: start the published site: %w", err)
	}
	return s, nil
}

func (s *Sandbox) listen(wrap func(http.Handler) http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.APIURL = "http://" + ln.Addr().String()
	s.Sim.SetBase(s.APIURL)
	var h http.Handler = s.Sim
	if wrap != nil {
		h = wrap(h)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

type builder struct {
	s    *Sandbox
	now  time.Time
	repo *gitrepo.Repo
	key  ed25519.PrivateKey

	keyPEM, pubPEM []byte
	pins           []string          // the pinned copies of the public key
	keyFiles       []string          // every file holding it (a stale one too)
	workflows      map[string]string // path: content
	checksumFiles  []string          // what the release's manifest lists
}

func (b *builder) write(rel string, data []byte) error {
	p := filepath.Join(b.s.RepoDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func (b *builder) sign(rel string, key ed25519.PrivateKey) error {
	data, err := os.ReadFile(filepath.Join(b.s.RepoDir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	return b.write(rel+".sig", signing.SignDetached(key, data))
}

func (b *builder) commit(ctx context.Context, msg string, ago time.Duration, author string) (string, error) {
	b.repo.Author, b.repo.Email = author, author+"@drill.invalid"
	return b.repo.CommitAll(ctx, msg, b.now.Add(-ago))
}

func feed(advisories ...string) []byte {
	return []byte(`{
  "version": "1",
  "updated": "2026-11-01T00:00:00Z",
  "advisories": [` + strings.Join(advisories, ",") + `
  ]
}
`)
}

func advisory(id, severity, title string) string {
	return fmt.Sprintf(`
    {"id": %q, "severity": %q, "type": "vulnerability", "title": %q, "affected": ["drill-skill@<1.2.0"], "published": "2026-11-01T00:00:00Z"}`, id, severity, title)
}

// module is a small valid WebAssembly module: the header and one custom
// section that makes each module's content its own.
func module(name string) []byte {
	raw := []byte("\x00asm\x01\x00\x00\x00")
	return wasmsig.AppendSection(raw, ptr(wasmsig.CustomSection("drill", []byte("module "+name))))
}

func ptr[T any](v T) *T { return &v }

// build makes the sandbox: the signing key, a repository with its pinned
// keys, workflows and signed history, the GitHub simulator, and the facts
// the drill incident opens with.
func (b *builder) build(ctx context.Context) error {
	repo, err := gitrepo.Init(ctx, b.s.RepoDir)
	if err != nil {
		return err
	}
	b.repo = repo
	for _, step := range []func(context.Context) error{b.keys, b.pinned, b.history, b.simulator} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	b.facts()
	return nil
}

// keys generates the current signing key and writes it and its public key.
func (b *builder) keys(context.Context) error {
	s := b.s
	var err error
	if _, b.key, err = ed25519.GenerateKey(rand.Reader); err != nil {
		return err
	}
	if b.keyPEM, err = signing.MarshalPrivateKeyPEM(b.key); err != nil {
		return err
	}
	if b.pubPEM, err = signing.MarshalPublicKeyPEM(b.key.Public().(ed25519.PublicKey)); err != nil {
		return err
	}
	s.CurrentKey, s.CurrentPub = filepath.Join(s.KeysDir, "current.pem"), filepath.Join(s.KeysDir, "current.pub.pem")
	s.NewKeyPrefix = filepath.Join(s.KeysDir, "next")
	if err := os.WriteFile(s.CurrentKey, b.keyPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(s.CurrentPub, b.pubPEM, 0o644)
}

// pinned writes the pinned copies of the public key (and, with the
// stale-pin sabotage, one nobody remembered) and the workflows.
func (b *builder) pinned(context.Context) error {
	fp := signing.Fingerprint(b.key.Public().(ed25519.PublicKey))
	b.pins = []string{"advisories/feed-signing-public.pem", "clawsec-signing-public.pem"}
	for _, p := range b.pins {
		if err := b.write(p, b.pubPEM); err != nil {
			return err
		}
	}
	doc := "# Signing\n\nThe advisory feed and the release checksums are signed with Ed25519.\n\n" +
		"Public key fingerprint (SHA-256 of the SPKI DER): " + fp + "\n\n```\n" + string(b.pubPEM) + "```\n\n" +
		"Verify: `openssl pkeyutl -verify -pubin -inkey clawsec-signing-public.pem -rawin -in advisories/feed.json -sigfile feed.sig.bin`\n"
	if err := b.write("docs/SIGNING.md", []byte(doc)); err != nil {
		return err
	}
	b.pins = append(b.pins, "docs/SIGNING.md")
	b.keyFiles = append([]string{}, b.pins...)
	if b.s.Sabotage == "stale-pin" {
		// A copy nobody remembered: the consistency guard must find it.
		stale := "skills/drill-suite/advisories/feed-signing-public.pem"
		if err := b.write(stale, b.pubPEM); err != nil {
			return err
		}
		b.keyFiles = append(b.keyFiles, stale)
	}
	b.workflows = workflowFiles(b.s.OldSecret)
	for p, c := range b.workflows {
		if err := b.write(p, []byte(c)); err != nil {
			return err
		}
	}
	return nil
}

// workflowFiles are the sandbox's workflows: two that sign with the secret,
// one that does not.
func workflowFiles(secret string) map[string]string {
	return map[string]string{
		".github/workflows/sign-feed.yml": "name: Sign advisory feed\non:\n  push:\n    paths: [advisories/feed.json]\njobs:\n  sign:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Sign\n        env:\n          SIGNING_KEY: ${{ secrets." + secret + " }}\n        run: ./scripts/sign.sh advisories/feed.json\n",
		".github/workflows/release.yml":   "name: Release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Sign checksums\n        env:\n          SIGNING_KEY: ${{ secrets." + secret + " }}\n        run: ./scripts/sign.sh checksums.json\n",
		".github/workflows/ci.yml":        "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n",
	}
}

// history commits the repository's signed history: the first feed, a
// release of signed modules and checksums, the last known-good feed, for
// a rollback the tampered one, and a later unrelated commit.
func (b *builder) history(ctx context.Context) error {
	s := b.s
	var err error
	if err := b.write("advisories/feed.json", feed(advisory("DRILL-2026-0001", "high", "Prompt injection in drill-skill"))); err != nil {
		return err
	}
	if err := b.sign("advisories/feed.json", b.key); err != nil {
		return err
	}
	if _, err := b.commit(ctx, "Initial signed advisory feed and pinned keys", 30*24*time.Hour, "alice"); err != nil {
		return err
	}
	if err := b.release(ctx); err != nil {
		return err
	}
	// A second feed version, signed: the last known-good one.
	good := feed(advisory("DRILL-2026-0001", "high", "Prompt injection in drill-skill"), advisory("DRILL-2026-0002", "critical", "Credential exfiltration in drill-helper"))
	if err := b.write("advisories/feed.json", good); err != nil {
		return err
	}
	if err := b.sign("advisories/feed.json", b.key); err != nil {
		return err
	}
	if err := b.checksums(ctx, b.checksumFiles); err != nil {
		return err
	}
	if s.GoodCommit, err = b.commit(ctx, "Add DRILL-2026-0002", 10*24*time.Hour, "bob"); err != nil {
		return err
	}
	if s.Kind == Rollback {
		if err := b.tamper(ctx); err != nil {
			return err
		}
	}
	if err := b.write("docs/RELEASING.md", []byte("# Releasing\n\nTag vX.Y.Z; the release workflow signs checksums.json.\n")); err != nil {
		return err
	}
	_, err = b.commit(ctx, "Document the release process", 24*time.Hour, "alice")
	return err
}

// release commits signed modules and the checksums manifest.
func (b *builder) release(ctx context.Context) error {
	var modules []string
	for _, n := range []string{"scanner", "guard", "notifier"} {
		rel := "release/modules/" + n + ".wasm"
		signed, _, err := wasmsig.Sign(module(n), b.key, wasmsig.SignOptions{KeyID: true})
		if err != nil {
			return err
		}
		if err := b.write(rel, signed); err != nil {
			return err
		}
		modules = append(modules, rel)
	}
	b.checksumFiles = append([]string{"advisories/feed.json", "advisories/feed.json.sig", "advisories/feed-signing-public.pem"}, modules...)
	if err := b.checksums(ctx, b.checksumFiles); err != nil {
		return err
	}
	_, err := b.commit(ctx, "Release v1.1.0: signed modules and checksums", 20*24*time.Hour, "alice")
	return err
}

// tamper commits the tampered feed: the critical advisory removed, signed
// by a key that is not the pinned one.
func (b *builder) tamper(ctx context.Context) error {
	_, attacker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := b.write("advisories/feed.json", feed(advisory("DRILL-2026-0001", "low", "Prompt injection in drill-skill"))); err != nil {
		return err
	}
	if err := b.sign("advisories/feed.json", attacker); err != nil {
		return err
	}
	b.s.BadCommit, err = b.commit(ctx, "Update advisory severities", 3*24*time.Hour+5*time.Hour, "mallory")
	return err
}

// simulator starts the GitHub simulator with the repository, its
// workflows and the signing secret.
func (b *builder) simulator(context.Context) error {
	s := b.s
	s.Token = "drill-" + randHex(8)
	s.Sim = ghsim.New(s.Token)
	s.Sim.SetClock(func() time.Time { return b.now })
	s.Sim.AddRepo(s.Repo)
	s.Workflows = map[string]int64{}
	for _, p := range []string{".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/workflows/sign-feed.yml"} {
		s.Workflows[filepath.Base(p)] = s.Sim.AddWorkflow(s.Repo, filepath.Base(p), []byte(b.workflows[p]))
	}
	s.Sim.AddSecret(s.Repo, "", s.OldSecret, b.keyPEM)
	if s.Sabotage == "stuck-workflow" {
		s.Sim.Inject(ghsim.Fault{Op: "actions/enable-workflow", Status: http.StatusForbidden, Message: "Resource not accessible by integration", Count: 1 << 30})
	}
	return nil
}

// facts are what the drill incident opens with.
func (b *builder) facts() {
	s := b.s
	abs := func(rels ...string) string {
		out := make([]string, len(rels))
		for i, r := range rels {
			out[i] = filepath.Join(s.RepoDir, filepath.FromSlash(r))
		}
		return strings.Join(out, "\n")
	}
	signed := abs("advisories/feed.json") + "\n" + filepath.Join(s.RepoDir, "checksums.json") + " " + filepath.Join(s.RepoDir, "checksums.sig")
	s.Facts = map[string]string{
		"repo":           s.Repo,
		"repo_dir":       s.RepoDir,
		"feed":           abs("advisories/feed.json"),
		"checksums":      abs("checksums.json"),
		"checksum_files": abs(b.checksumFiles...),
		"signed_files":   signed,
		"module_dir":     abs("release/modules"),
	}
	switch s.Kind {
	case Rotation:
		s.Facts["old_key"] = s.CurrentKey
		s.Facts["old_public_key"] = s.CurrentPub
		s.Facts["new_key_name"] = s.NewKeyPrefix
		s.Facts["old_secret"] = s.OldSecret
		s.Facts["new_secret"] = s.NewSecret
		s.Facts["pin_files"] = abs(b.pins...)
		s.Facts["key_files"] = abs(b.keyFiles...)
		s.Facts["workflow_files"] = abs(".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/workflows/sign-feed.yml")
	case Rollback:
		s.Facts["key"] = s.CurrentKey
		s.Facts["public_key"] = s.CurrentPub
		s.Facts["restore_paths"] = "advisories/feed.json\nadvisories/feed.json.sig"
		s.Facts["pin"] = signing.Fingerprint(b.key.Public().(ed25519.PublicKey))
	}
}

// checksums writes checksums.json and checksums.sig at the repository's
// root, through the same action a release uses.
func (b *builder) checksums(ctx context.Context, rels []string) error {
	var files []string
	for _, r := range rels {
		files = append(files, filepath.Join(b.s.RepoDir, filepath.FromSlash(r)))
	}
	now := b.now
	m := &actions.MakeChecksums{Files: files, Out: filepath.Join(b.s.RepoDir, "checksums.json"), SignKey: b.key,
		SigOut: filepath.Join(b.s.RepoDir, "checksums.sig"), Meta: signing.Manifest{Version: "1.1.0", Repository: b.s.Repo}, Now: func() time.Time { return now }}
	if _, err := m.Plan(ctx); err != nil {
		return err
	}
	_, err := m.Execute(ctx, func(actions.Progress) {})
	return err
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", b)
}
