package sigstore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// HelperName is the verifier's executable; EnvHelper names it explicitly.
const (
	HelperName = "firebreak-sigstore"
	EnvHelper  = "FIREBREAK_SIGSTORE"
)

// MaxBundle bounds a bundle file: real ones are a few kilobytes; a DSSE
// bundle carrying a large attestation may be a few megabytes.
const MaxBundle = 16 << 20

// ErrNoHelper: the verifier executable could not be found or built.
var ErrNoHelper = errors.New("the Sigstore verifier (" + HelperName + ") is not installed")

// FindHelper locates the verifier: $FIREBREAK_SIGSTORE, then next to this
// executable (go install ./cmd/... puts both in one place), then $PATH.
// When none is there and this binary was built from a source tree (go run
// ./cmd/firebreak), it builds the verifier from that tree once, into the
// user cache; notify, when set, is told before the build starts.
func FindHelper(notify func(string)) (string, error) {
	if p := os.Getenv(EnvHelper); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvHelper, p, err)
		}
		return p, nil
	}
	self, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(self), HelperName+exeSuffix())
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(HelperName); err == nil {
		return p, nil
	}
	if p, err := buildFromSource(self, notify); err == nil {
		return p, nil
	} else if !errors.Is(err, errNoSource) {
		return "", fmt.Errorf("%w, and building it failed: %v", ErrNoHelper, err)
	}
	return "", fmt.Errorf("%w: install it beside firebreak with `go install ./cmd/...` from the source tree, or set %s", ErrNoHelper, EnvHelper)
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

var errNoSource = errors.New("no source tree")

// sourceRoot is the module root this file was compiled from, when it is
// still there (not with -trimpath).
func sourceRoot() (string, bool) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", false
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..")
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/firebreak-dev/firebreak\n")) {
		return "", false
	}
	return filepath.Clean(dir), true
}

// buildFromSource builds the verifier into the user cache, named by this
// executable's SHA-256, so a rebuilt firebreak gets a matching verifier.
func buildFromSource(self string, notify func(string)) (string, error) {
	src, ok := sourceRoot()
	if !ok || self == "" {
		return "", errNoSource
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errNoSource
	}
	f, err := os.Open(self)
	if err != nil {
		return "", errNoSource
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", errNoSource
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "firebreak")
	out := filepath.Join(dir, HelperName+"-"+hex.EncodeToString(h.Sum(nil))[:16]+exeSuffix())
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if notify != nil {
		notify("building the Sigstore verifier from " + src + " (once: a minute or two)")
	}
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid()) // two firebreaks may build at once
	cmd := exec.Command(goTool, "build", "-o", tmp, "./cmd/"+HelperName)
	cmd.Dir = src
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build ./cmd/%s: %v: %s", HelperName, err, strings.TrimSpace(errb.String()))
	}
	return out, os.Rename(tmp, out)
}

// Verifier is a running verifier process holding one trusted root. A
// verifier that dies on one input is started again for the next, and that
// input gets a result saying so; one that does not answer within Timeout
// is killed.
type Verifier struct {
	Helper     string
	SigstoreGo string
	// Timeout bounds one request (a bundle is verified in milliseconds).
	Timeout  time.Duration
	ctx      context.Context
	root     *Root
	notify   func(string)
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stdout   *os.File // the read end: Wait never closes it under the reader
	exited   chan struct{}
	waitErr  error
	in       *bufio.Writer
	lines    chan lineOrErr
	stderr   *tailBuffer
	mu       sync.Mutex
	restarts int
}

type lineOrErr struct {
	b   []byte
	err error
}

// maxResult bounds one result line (the verifier lists at most 1,000
// subjects).
const maxResult = 16 << 20

// maxRestarts: a verifier that dies this many times running is broken,
// not one input.
const maxRestarts = 3

// Start runs the verifier with a trusted root's bytes. A nil root starts
// one that only reads who signed and when, and verifies nothing. The
// process ends with ctx.
func Start(ctx context.Context, root *Root, notify func(string)) (*Verifier, error) {
	v := &Verifier{ctx: ctx, root: root, notify: notify, Timeout: 2 * time.Minute}
	if err := v.start(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // interrupted, not a broken verifier
		}
		return nil, err
	}
	return v, nil
}

func (v *Verifier) start() error {
	helper, err := FindHelper(v.notify)
	if err != nil {
		return err
	}
	v.Helper = helper
	cmd := exec.CommandContext(v.ctx, helper, "serve")
	cmd.Env = append(os.Environ(), "FIREBREAK_SIGSTORE_SERVE=1")
	// A child the verifier left holding its pipes must not keep firebreak
	// waiting once the verifier itself has gone.
	cmd.WaitDelay = 2 * time.Second
	v.stderr = &tailBuffer{max: 4096}
	cmd.Stderr = v.stderr
	if v.stdin, err = cmd.StdinPipe(); err != nil {
		return err
	}
	// A pipe of our own, not StdoutPipe: Wait (watched below, to notice
	// a verifier that exits while a child of it holds the pipe) must not
	// close it before what the verifier wrote is read.
	stdout, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		return fmt.Errorf("start the Sigstore verifier %s: %v", helper, err)
	}
	v.cmd, v.stdout = cmd, stdout
	v.exited = make(chan struct{})
	go func(exited chan struct{}) {
		v.waitErr = cmd.Wait()
		close(exited)
	}(v.exited)
	v.in = bufio.NewWriter(v.stdin)
	v.lines = make(chan lineOrErr, 1)
	go func(lines chan<- lineOrErr, exited <-chan struct{}) {
		defer close(lines)
		send := func(l lineOrErr) bool {
			select {
			case lines <- l:
				return true
			case <-exited: // nobody will read past a killed verifier
				select {
				case lines <- l:
					return true
				case <-time.After(2 * time.Second):
					return false
				}
			}
		}
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), maxResult)
		for sc.Scan() {
			if !send(lineOrErr{b: bytes.Clone(sc.Bytes())}) {
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		send(lineOrErr{err: err})
	}(v.lines, v.exited)
	var hello Hello
	if err := v.read(&hello); err != nil {
		v.kill()
		return fmt.Errorf("%s is not the Sigstore verifier firebreak expects: %w", helper, err)
	}
	if hello.Protocol != Protocol {
		v.kill()
		return fmt.Errorf("the Sigstore verifier %s speaks protocol %d, firebreak %d: rebuild both from one source tree (go install ./cmd/...)", helper, hello.Protocol, Protocol)
	}
	v.SigstoreGo = hello.SigstoreGo
	ini := Init{}
	if v.root != nil {
		ini.TrustedRoot = v.root.Raw
	}
	if err := v.write(ini); err != nil {
		v.kill()
		return err
	}
	var rep InitReply
	if err := v.read(&rep); err != nil {
		v.kill()
		return err
	}
	if rep.Error != "" {
		v.kill()
		where := "the trusted root"
		if v.root != nil && v.root.Path != "" {
			where = v.root.Path
		}
		return fmt.Errorf("%s: %s", where, rep.Error)
	}
	return nil
}

func (v *Verifier) write(x any) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := v.in.Write(b); err != nil {
		return v.failed(err)
	}
	if err := v.in.Flush(); err != nil {
		return v.failed(err)
	}
	return nil
}

// read waits for the next line, at most Timeout, and gives up at once
// when the context ends.
func (v *Verifier) read(x any) error {
	t := time.NewTimer(v.Timeout)
	defer t.Stop()
	select {
	case l, ok := <-v.lines:
		return v.line(l, ok, x)
	case <-v.exited:
		// Gone: what it wrote before it went is still in the pipe.
		select {
		case l, ok := <-v.lines:
			return v.line(l, ok, x)
		case <-time.After(2 * time.Second):
			return v.failed(fmt.Errorf("it exited (%v)", v.waitErr))
		}
	case <-v.ctx.Done():
		return v.ctx.Err()
	case <-t.C:
		return &TimeoutError{After: v.Timeout}
	}
}

func (v *Verifier) line(l lineOrErr, ok bool, x any) error {
	if !ok {
		return v.failed(io.ErrUnexpectedEOF)
	}
	if l.err != nil {
		return v.failed(l.err)
	}
	if err := json.Unmarshal(l.b, x); err != nil {
		return fmt.Errorf("the Sigstore verifier answered something that is not its protocol: %w", err)
	}
	return nil
}

// TimeoutError: the verifier did not answer in time.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the Sigstore verifier did not answer within %s", e.After)
}

// failed explains a broken pipe with what the verifier said before it died.
func (v *Verifier) failed(err error) error {
	if s := strings.TrimSpace(v.stderr.String()); s != "" {
		return fmt.Errorf("the Sigstore verifier stopped: %v: %s", err, s)
	}
	return fmt.Errorf("the Sigstore verifier stopped: %w", err)
}

// Verify sends one request and waits for its result. The error is the
// context's when it ended; a verifier that died or hung on this request
// gives a result naming that (it is started again for the next one).
func (v *Verifier) Verify(req *Request) (Result, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd == nil {
		if v.restarts >= maxRestarts {
			return Result{}, fmt.Errorf("the Sigstore verifier stopped %d times running; giving up", v.restarts)
		}
		if err := v.start(); err != nil {
			if v.ctx.Err() != nil {
				return Result{}, v.ctx.Err()
			}
			return Result{}, err
		}
	}
	var res Result
	err := v.write(req)
	if err == nil {
		err = v.read(&res)
	}
	if err == nil {
		v.restarts = 0
		return res, nil
	}
	v.kill()
	if ctxErr := v.ctx.Err(); ctxErr != nil {
		return Result{}, ctxErr
	}
	v.restarts++
	return Result{Problem: "the verifier failed on this input (" + err.Error() + "); it was started again for the next"}, nil
}

// kill ends the process and forgets it.
func (v *Verifier) kill() {
	if v.cmd == nil {
		return
	}
	v.stdin.Close()
	v.cmd.Process.Kill()
	<-v.exited
	v.stdout.Close() // ends the reader, even if a child holds the pipe
	v.cmd = nil
}

// Close ends the verifier process: its stdin closes and it exits; one that
// does not within a few seconds is killed.
func (v *Verifier) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd == nil {
		return nil
	}
	v.stdin.Close()
	select {
	case <-v.exited:
	case <-time.After(5 * time.Second):
		v.cmd.Process.Kill()
		<-v.exited
	}
	v.stdout.Close()
	v.cmd = nil
	return v.waitErr
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
