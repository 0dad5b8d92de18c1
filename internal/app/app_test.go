package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/github"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is a workspace with one INC-1 incident and a session in it.
func fixture(t *testing.T) (*Session, *incident.Incident) {
	t.Helper()
	return fixtureOf(t, "INC-1", nil)
}

// fixtureOf is a workspace with one incident of a playbook, opened with
// facts, and a session in it.
func fixtureOf(t *testing.T, playbook string, facts map[string]string) (*Session, *incident.Incident) {
	t.Helper()
	lib, err := playbooks.Load(nil, playbooks.Options{Actions: CheckArgs})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := lib.Get(playbook)
	ws := &incident.Workspace{Home: filepath.Join(t.TempDir(), "home"), Now: func() time.Time { return t0 }}
	inc, err := ws.Open(t.Context(), incident.OpenOptions{Playbook: pb, Title: "Key leak", Actor: "alice", Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	return &Session{Workspace: ws, Actor: "alice", Now: ws.Now}, inc
}

func TestCheckArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]string
		want string
	}{
		{"key.isolate", map[string]string{"path": "${key_path}"}, ""},
		{"key.isolate", map[string]string{"path": "x", "to": "y"}, ""},
		{"key.isolate", map[string]string{}, `needs argument "path"`},
		{"key.isolate", map[string]string{"path": "x", "mode": "0"}, `has no argument "mode"`},
		{"key.shred", nil, `unknown action "key.shred"`},
	} {
		got := strings.Join(CheckArgs(tc.name, tc.args), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %v: %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

// TestArgsKeepListsExactly: a direct command's file names are never split
// or trimmed; a step's list is one item per non-blank line; With never
// changes the Args it was called on.
func TestArgsKeepListsExactly(t *testing.T) {
	odd := []string{" lead space", "new\nline.wasm"}
	a := Args{}.WithList("paths", odd)
	if got := a.List("paths"); len(got) != 2 || got[0] != odd[0] || got[1] != odd[1] {
		t.Fatalf("direct list changed: %q", got)
	}
	s := Values(map[string]string{"paths": " a \n\n b\n"})
	if got := s.List("paths"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("step list: %q", got)
	}
	base := Args{}.With("kind", "issue")
	_ = base.With("kind", "advisory").WithList("x", []string{"y"})
	if base.Get("kind") != "issue" || base.has("x") {
		t.Fatal("With changed its receiver")
	}
	if !Values(map[string]string{"f": "true"}).Bool("f") || Values(map[string]string{"f": "no"}).Bool("f") {
		t.Fatal("Bool")
	}
}

// TestTableAgreesWithItself: every action has a summary, no argument is
// both required and optional, and every name in a shipped playbook is in
// the table with the arguments it takes.
func TestTableAgreesWithItself(t *testing.T) {
	if len(Names()) < 29 {
		t.Fatalf("only %d actions", len(Names()))
	}
	for _, n := range Names() {
		spec, _ := Spec(n)
		if spec.Name != n || spec.Summary == "" {
			t.Errorf("%s: spec %+v", n, spec)
		}
		for _, r := range spec.Required {
			for _, o := range spec.Optional {
				if r == o {
					t.Errorf("%s: %s is required and optional", n, r)
				}
			}
		}
	}
	if _, err := playbooks.Load(nil, playbooks.Options{Actions: CheckArgs}); err != nil {
		t.Fatal(err)
	}
}

// TestBuildChecksRequiredAndIncident: a missing argument is an *ArgError
// naming it; an action that works inside an incident refuses to build
// without one; an unknown name is refused.
func TestBuildChecksRequiredAndIncident(t *testing.T) {
	s, inc := fixture(t)
	_, err := s.Build(t.Context(), inc, "key.isolate", Args{})
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Arg != "path" {
		t.Fatalf("missing path: %v", err)
	}
	if _, err := s.Build(t.Context(), nil, "evidence.quarantine", Args{}.WithList("paths", []string{"x"})); err == nil || !strings.Contains(err.Error(), "incident") {
		t.Fatalf("quarantine without an incident: %v", err)
	}
	if _, err := s.Build(t.Context(), inc, "key.shred", Args{}); err == nil {
		t.Fatal("unknown action built")
	}
	if _, err := s.Build(t.Context(), inc, "gh.pause", Args{}.With("repo", "o/r")); err == nil || !strings.Contains(err.Error(), "no GitHub client") {
		t.Fatalf("GitHub without a client: %v", err)
	}
	if _, err := s.Build(t.Context(), inc, "gh.pause", Args{}.With("repo", "not a repo")); !errors.As(err, &ae) || ae.Arg != "repo" {
		t.Fatalf("bad repo: %v", err)
	}
}

// TestBuildUsesTheSession: the GitHub client comes from the session's
// factory (a drill's simulator), the actor and the key passphrase too.
// TestBuildRefusesTextThatIsNotUTF8: a reason or an identity with a byte
// that is not UTF-8 is refused before the action runs, naming the
// argument, instead of being recorded as U+FFFD.
func TestBuildRefusesTextThatIsNotUTF8(t *testing.T) {
	s, inc := fixtureOf(t, "INC-2", nil)
	for _, tc := range []struct{ arg string }{{"reason"}, {"identity"}, {"issuer"}} {
		args := Args{}.With("identity", "evil@example.com").With(tc.arg, "bad \xff byte")
		_, err := s.Build(t.Context(), inc, actions.NameSigstoreBlock, args)
		var ae *ArgError
		if !errors.As(err, &ae) || ae.Arg != tc.arg || !ae.Form || !strings.Contains(err.Error(), `"bad \xff byte" is not UTF-8 text`) {
			t.Errorf("%s not UTF-8: err = %v", tc.arg, err)
		}
	}
	if _, err := s.Build(t.Context(), inc, actions.NameSigstoreBlock, Args{}.With("identity", "evil@example.com").With("reason", "signed the module — é")); err != nil {
		t.Errorf("UTF-8 reason refused: %v", err)
	}
}

func TestBuildUsesTheSession(t *testing.T) {
	s, inc := fixture(t)
	calls := 0
	s.GitHub = func() (*github.Client, error) {
		calls++
		return github.New(github.Config{Token: "t", BaseURL: "http://127.0.0.1:1/"})
	}
	act, err := s.Build(t.Context(), inc, "gh.pause", Args{}.With("repo", "o/r"))
	if err != nil || calls != 1 {
		t.Fatalf("%v, %d calls", err, calls)
	}
	if p, ok := act.(*actions.PauseWorkflows); !ok || p.Repo.String() != "o/r" || p.Pattern != github.DefaultSecretPattern {
		t.Fatalf("%#v", act)
	}

	// An encrypted key without a passphrase source is ErrEncrypted; with
	// one, it loads and the built action's key is wiped after the run.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, err := signing.MarshalEncryptedPrivateKeyPEM(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, file := filepath.Join(dir, "k.pem"), filepath.Join(dir, "feed.json")
	os.WriteFile(key, pemBytes, 0o600)
	os.WriteFile(file, []byte("{}"), 0o644)
	args := Args{}.With("file", file).With("key", key)
	if _, err := s.Build(t.Context(), nil, "file.sign", args); !errors.Is(err, signing.ErrEncrypted) {
		t.Fatalf("no passphrase: %v", err)
	}
	s.Passphrase = func(string, bool) signing.Passphrase { return func() ([]byte, error) { return []byte("pw"), nil } }
	act, err = s.Build(t.Context(), nil, "file.sign", args)
	if err != nil {
		t.Fatal(err)
	}
	sf := act.(*actions.SignFile)
	if sf.Out != file+".sig" {
		t.Fatalf("default out %q", sf.Out)
	}
	if _, err := (&actions.Runner{Yes: true}).Run(context.Background(), act); err != nil {
		t.Fatal(err)
	}
	for _, b := range sf.Key {
		if b != 0 {
			t.Fatal("the key outlived the run")
		}
	}
}

// TestStepActionNamesWhatIsMissing: a step's action built from the facts
// names every missing fact.
func TestStepActionNamesWhatIsMissing(t *testing.T) {
	s, inc := fixture(t)
	_, err := s.StepAction(t.Context(), inc, "isolate-key")
	var me *actions.MissingFactsError
	if !errors.As(err, &me) || len(me.Names) == 0 {
		t.Fatalf("%v", err)
	}
	if _, err := s.StepAction(t.Context(), inc, "no-such-step"); err == nil || !strings.Contains(err.Error(), "no-such-step") {
		t.Fatalf("%v", err)
	}
}

func TestParseDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{" 7d ", 7 * 24 * time.Hour, true},
		{"0d", 0, false},
		{"-5d", 0, false},
		{"999999d", 0, false},
		{"soon", 0, false},
		{"-1h", 0, false},
		{"", 0, false},
	} {
		got, err := parseDays(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"90d", "36h", "1e9h", "9223372036854775807d", "-0d", "d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseDays(s); err == nil && d <= 0 {
			t.Fatalf("parseDays(%q) = %v without an error", s, d)
		}
	})
}

// TestGeneratedKeysStayWithTheIncident: INC-1's generate-key step, whose
// default name is relative, writes into the incident's newkeys/ (0700),
// never the current directory; the plan names the absolute path; the
// full prefix becomes the fact the re-sign step reads the key from. A
// name that climbs out, and a newkeys/ that is a link, are refused.
func TestGeneratedKeysStayWithTheIncident(t *testing.T) {
	s, inc := fixture(t)
	t.Chdir(t.TempDir())
	act, err := s.StepAction(t.Context(), inc, "generate-key")
	if err != nil {
		t.Fatal(err)
	}
	out, err := (&actions.Runner{Incident: inc, Actor: "alice", Step: "generate-key", Yes: true}).Run(t.Context(), act)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(inc.Dir, "newkeys")
	if !filepath.IsAbs(dir) {
		dir, _ = filepath.Abs(dir)
	}
	want := filepath.Join(dir, "new-signing-key")
	if !strings.Contains(out.Plan.Summary, want+".sec") {
		t.Fatalf("plan does not name the absolute path: %q", out.Plan.Summary)
	}
	if ents, _ := os.ReadDir("."); len(ents) != 0 {
		t.Fatalf("key material in the current directory: %v", ents)
	}
	fi, err := os.Stat(want + ".sec")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", err, fi)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("newkeys/: %v %v", err, di)
	}
	st, err := inc.State()
	if err != nil || st.Facts["new_key_name"] != want {
		t.Fatalf("fact new_key_name = %q (%v)", st.Facts["new_key_name"], err)
	}
	st.Facts["module_dir"] = "/srv/modules"
	vals, err := StepArgs(mustStep(t, inc, "resign-modules"), st.Facts)
	if err != nil || vals.Get("key") != want+".sec" {
		t.Fatalf("re-sign reads the key from %q (%v)", vals.Get("key"), err)
	}

	for _, bad := range []string{"../../escape", "sub/k"} {
		if _, err := s.Build(t.Context(), inc, actions.NameKeyGenerate, Args{}.With("out", bad)); err == nil {
			t.Fatalf("%q accepted: a relative name must be a plain file name in newkeys/", bad)
		}
	}
	_, inc2 := fixture(t)
	os.Symlink(t.TempDir(), filepath.Join(inc2.Dir, "newkeys"))
	act, err = s.Build(t.Context(), inc2, actions.NameKeyGenerate, Args{}.With("out", "k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&actions.Runner{Incident: inc2, Actor: "alice", Yes: true}).Run(t.Context(), act); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("a newkeys/ link: %v", err)
	}
}

func mustStep(t *testing.T, inc *incident.Incident, id string) playbooks.Step {
	t.Helper()
	s, ok := inc.Playbook.Step(id)
	if !ok {
		t.Fatalf("no step %s", id)
	}
	return s
}

// TestQuarantineRecordsWhereTheModuleIs: INC-2's quarantine records the
// module's place in the evidence as quarantined_module, and the next step
// reads it from there: nobody types the path.
func TestQuarantineRecordsWhereTheModuleIs(t *testing.T) {
	mod := filepath.Join(t.TempDir(), "evil.wasm")
	os.WriteFile(mod, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	s, inc := fixtureOf(t, "INC-2", map[string]string{"module_path": mod})
	act, err := s.StepAction(t.Context(), inc, "quarantine-module")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&actions.Runner{Incident: inc, Actor: "alice", Step: "quarantine-module", Yes: true}).Run(t.Context(), act); err != nil {
		t.Fatal(err)
	}
	st, _ := inc.State()
	got := st.Facts["quarantined_module"]
	if want, _ := filepath.Abs(filepath.Join(inc.Dir, "evidence", "evil.wasm")); got != want {
		t.Fatalf("quarantined_module = %q, want %q", got, want)
	}
	act, err = s.StepAction(t.Context(), inc, mustStep(t, inc, "1.2").ID)
	if err != nil {
		t.Fatalf("the next step cannot be built from the recorded fact: %v", err)
	}
	if sm, ok := act.(*actions.ShowModule); !ok || sm.File != got {
		t.Fatalf("next step reads %#v", act)
	}
	// The INC-2 advisory names the module by name and SHA-256, never by
	// its local path.
	data, err := s.CommsData(inc)
	if err != nil {
		t.Fatal(err)
	}
	if data["module_name"] != "evil.wasm" || data["module_sha256"] != fmt.Sprintf("%x", sha256.Sum256([]byte("\x00asm\x01\x00\x00\x00"))) {
		t.Fatalf("module fields: %q %q", data["module_name"], data["module_sha256"])
	}
	// The plan names the file the result saves (it said evil.wasm.json).
	out, err := (&actions.Runner{Incident: inc, Actor: "alice", Step: "extract-signature-info", Yes: true}).Run(t.Context(), act)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(out.Plan.Changes, " "), "signature-info-evil.json") || !strings.Contains(out.Result.Summary+fmt.Sprint(out.Result.Data), "signature-info-evil.json") {
		t.Fatalf("plan %v, result %q %v", out.Plan.Changes, out.Result.Summary, out.Result.Data)
	}
}

// TestHardeningAfterTheAttack: a module given as a symlink is refused
// (taking the link left the module in place, the step done); a key made
// again after its step was reopened goes back into newkeys/ (its recorded
// absolute name was refused as inside the home); a private key whose
// public half could not be written is removed.
func TestHardeningAfterTheAttack(t *testing.T) {
	dir := t.TempDir()
	mod, link := filepath.Join(dir, "evil.wasm"), filepath.Join(dir, "link.wasm")
	os.WriteFile(mod, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	os.Symlink(mod, link)
	s, inc := fixtureOf(t, "INC-2", map[string]string{"module_path": link})
	act, err := s.StepAction(t.Context(), inc, "quarantine-module")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&actions.Runner{Incident: inc, Actor: "alice", Step: "quarantine-module", Yes: true}).Run(t.Context(), act); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("a symlinked module: %v", err)
	}
	if _, err := os.Stat(mod); err != nil {
		t.Fatal("the module moved")
	}

	s1, inc1 := fixture(t)
	run := func() error {
		act, err := s1.StepAction(t.Context(), inc1, "generate-key")
		if err != nil {
			return err
		}
		_, err = (&actions.Runner{Incident: inc1, Actor: "alice", Step: "generate-key", Yes: true}).Run(t.Context(), act)
		return err
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	inc1.Step(t.Context(), "alice", "generate-key", "done", "", time.Time{})
	if _, _, err := inc1.Step(t.Context(), "alice", "generate-key", "reopen", "redo", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ := inc1.State()
	os.Remove(st.Facts["new_key_name"] + ".sec")
	os.Remove(st.Facts["new_key_name"] + ".pub")
	if err := run(); err != nil {
		t.Fatalf("generating again after a reopen: %v", err)
	}

	long := strings.Repeat("k", 250) // .pem fits a name, .pub.pem does not
	act, err = s1.Build(t.Context(), inc1, actions.NameKeyGenerate, Args{}.With("out", long))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&actions.Runner{Incident: inc1, Actor: "alice", Yes: true}).Run(t.Context(), act); err == nil {
		t.Fatal("a public key name too long went through")
	}
	if _, err := os.Lstat(filepath.Join(inc1.Dir, "newkeys", long+".pem")); err == nil {
		t.Fatal("a private key was left without its public half")
	}
}

// TestRunnerRefusesAClosedIncidentsStep: the pipeline itself refuses a
// step's action on a closed incident, before it plans, whatever built it.
func TestRunnerRefusesAClosedIncidentsStep(t *testing.T) {
	s, inc := fixture(t)
	if err := inc.Close(t.Context(), "alice", "over", time.Time{}); err != nil {
		t.Fatal(err)
	}
	act, err := s.Build(t.Context(), inc, actions.NameKeyGenerate, Args{}.With("out", "k"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&actions.Runner{Incident: inc, Actor: "alice", Step: "generate-key", Yes: true}).Run(t.Context(), act)
	var ce *incident.ClosedError
	if !errors.As(err, &ce) {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(inc.Dir, "newkeys")); err == nil {
		t.Fatal("key material was written for a closed incident")
	}
	// Outside a step (key generate --incident) the journal stays writable.
	if _, err := (&actions.Runner{Incident: inc, Actor: "alice", Yes: true}).Run(t.Context(), act); err != nil {
		t.Fatalf("outside a step: %v", err)
	}
}
