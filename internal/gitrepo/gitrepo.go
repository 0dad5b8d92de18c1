// Package gitrepo runs the git operations firebreak needs on a local
// repository — the history of a file, a file as it was at a commit, a
// commit — through the real git binary, with the user's and the system's
// git configuration kept out so that results do not depend on them.
package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoGit is returned when no git binary can be found.
var ErrNoGit = errors.New("git is not installed (firebreak needs it for repository history)")

// Repo is a git working tree.
type Repo struct {
	Dir string
	// Author and Email sign commits firebreak makes; empty: "firebreak".
	Author, Email string
	// Env is added to the environment of every git command (KEY=VALUE):
	// configuration that must hold whatever the repository says.
	Env []string
}

// Error is a failed git command, with what git said.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

// MaxOutput bounds what one git command may print (a file as it was at a
// commit, a log).
const MaxOutput = 64 << 20

// Run runs git in the repository and returns its standard output.
func (r *Repo) Run(ctx context.Context, args ...string) ([]byte, error) {
	return r.run(ctx, nil, args...)
}

// RunWith runs git with extra environment (KEY=VALUE) and, when stdin is
// not nil, that input.
func (r *Repo) RunWith(ctx context.Context, env []string, stdin []byte, args ...string) ([]byte, error) {
	return r.runIn(ctx, env, stdin, args...)
}

func (r *Repo) run(ctx context.Context, env []string, args ...string) ([]byte, error) {
	return r.runIn(ctx, env, nil, args...)
}

func (r *Repo) runIn(ctx context.Context, env []string, stdin []byte, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, ErrNoGit
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-C", r.Dir}, args...)...)
	cmd.Env = append(append(cleanEnv(), r.Env...), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out limited
	out.max = MaxOutput
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	if out.over {
		return nil, &Error{Args: args, Err: fmt.Errorf("output over %d bytes", MaxOutput)}
	}
	return out.Bytes(), nil
}

// cleanEnv is the environment git runs with: the process's, less anything
// that points git elsewhere, and no global or system configuration.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
}

type limited struct {
	bytes.Buffer
	max  int
	over bool
}

func (l *limited) Write(p []byte) (int, error) {
	if l.Len()+len(p) > l.max {
		l.over = true
		return len(p), nil
	}
	return l.Buffer.Write(p)
}

// Init makes dir a new repository on branch main.
func Init(ctx context.Context, dir string) (*Repo, error) {
	r := &Repo{Dir: dir}
	if _, err := r.Run(ctx, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	return r, nil
}

// Commit is one commit of a file's history.
type Commit struct {
	Hash    string    `json:"hash"`
	At      time.Time `json:"at"` // committer date
	Author  string    `json:"author"`
	Subject string    `json:"subject"`
}

// History lists the commits that changed path, oldest first.
func (r *Repo) History(ctx context.Context, path string) ([]Commit, error) {
	out, err := r.Run(ctx, "log", "--reverse", "--format=%H%x00%cI%x00%an%x00%s", "--", path)
	if err != nil {
		return nil, err
	}
	var cs []Commit
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\x00")
		if len(f) != 4 {
			return nil, fmt.Errorf("git log: unexpected line %q", sc.Text())
		}
		at, err := time.Parse(time.RFC3339, f[1])
		if err != nil {
			return nil, fmt.Errorf("git log: commit %s date %q: %w", f[0], f[1], err)
		}
		cs = append(cs, Commit{Hash: f[0], At: at.UTC(), Author: f[2], Subject: f[3]})
	}
	return cs, sc.Err()
}

// Show returns path as it was at commit; ok is false when the commit does
// not have it.
func (r *Repo) Show(ctx context.Context, commit, path string) ([]byte, bool, error) {
	if strings.HasPrefix(commit, "-") || strings.ContainsAny(commit, ": \n") {
		return nil, false, fmt.Errorf("%q is not a commit", commit)
	}
	if _, err := r.Run(ctx, "cat-file", "-e", commit+":"+path); err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, false, nil
		}
		return nil, false, err
	}
	b, err := r.Run(ctx, "show", commit+":"+path)
	return b, err == nil, err
}

// Blobs reads the objects named by specs ("COMMIT:PATH") through one
// `git cat-file --batch`, in order, handing each to fn with ok false where
// the commit does not have the path. One process however long the history;
// one blob in memory at a time, each at most MaxOutput bytes.
func (r *Repo) Blobs(ctx context.Context, specs []string, fn func(i int, data []byte, ok bool) error) error {
	bin, err := exec.LookPath("git")
	if err != nil {
		return ErrNoGit
	}
	for _, sp := range specs {
		if strings.ContainsAny(sp, "\n\r") || strings.HasPrefix(sp, "-") {
			return fmt.Errorf("%q is not COMMIT:PATH", sp)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-C", r.Dir, "cat-file", "--batch")
	cmd.Env = append(cleanEnv(), r.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { // small requests: write them all, then close
		for _, sp := range specs {
			if _, err := io.WriteString(stdin, sp+"\n"); err != nil {
				break
			}
		}
		stdin.Close()
	}()
	fail := func(err error) error {
		cancel()
		_ = cmd.Wait()
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("git cat-file --batch: %w (%s)", err, msg)
		}
		return fmt.Errorf("git cat-file --batch: %w", err)
	}
	stop := func(err error) error { // fn's own error, as it is
		cancel()
		_ = cmd.Wait()
		return err
	}
	rd := bufio.NewReader(stdout)
	for i, sp := range specs {
		head, err := rd.ReadString('\n')
		if err != nil {
			return fail(err)
		}
		f := strings.Fields(head)
		if len(f) == 2 && f[1] == "missing" || len(f) >= 2 && f[len(f)-1] == "ambiguous" {
			if err := fn(i, nil, false); err != nil {
				return stop(err)
			}
			continue
		}
		if len(f) != 3 {
			return fail(fmt.Errorf("%s: unexpected answer %q", sp, strings.TrimSpace(head)))
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 || size > MaxOutput {
			return fail(fmt.Errorf("%s: object size %q (at most %d)", sp, f[2], MaxOutput))
		}
		data := make([]byte, size+1) // the object and its newline
		if _, err := io.ReadFull(rd, data); err != nil {
			return fail(err)
		}
		if f[1] != "blob" {
			return fail(fmt.Errorf("%s is a %s, not a file", sp, f[1]))
		}
		if err := fn(i, data[:size], true); err != nil {
			return stop(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		return &Error{Args: []string{"cat-file", "--batch"}, Stderr: stderr.String(), Err: err}
	}
	return nil
}

// Head returns the commit HEAD points at.
func (r *Repo) Head(ctx context.Context) (string, error) {
	out, err := r.Run(ctx, "rev-parse", "HEAD")
	return strings.TrimSpace(string(out)), err
}

// CommitAll stages paths (all changes when none) and commits them at at
// (zero: now), returning the new commit.
func (r *Repo) CommitAll(ctx context.Context, message string, at time.Time, paths ...string) (string, error) {
	add := []string{"add", "-A", "--"}
	if len(paths) == 0 {
		add = append(add, ".")
	}
	if _, err := r.Run(ctx, append(add, paths...)...); err != nil {
		return "", err
	}
	env := r.Ident()
	if !at.IsZero() {
		d := at.UTC().Format(time.RFC3339)
		env = append(env, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	}
	if _, err := r.run(ctx, env, "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message); err != nil {
		return "", err
	}
	return r.Head(ctx)
}

// Ident is the environment that makes Author and Email the author and
// committer of what git records.
func (r *Repo) Ident() []string {
	name, email := r.Author, r.Email
	if name == "" {
		name = "firebreak"
	}
	if email == "" {
		email = "firebreak@localhost"
	}
	return []string{"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email, "GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + email}
}

// Status lists the paths with uncommitted changes (porcelain v1 lines).
func (r *Repo) Status(ctx context.Context) ([]string, error) {
	out, err := r.Run(ctx, "status", "--porcelain")
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}
