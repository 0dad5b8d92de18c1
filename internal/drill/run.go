package drill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Journal kinds a drill records.
const (
	KindChecked  = "drill.checked"  // the sandbox's own checks after the steps
	KindFinished = "drill.finished" // the report: passed, duration, where it is
)

// Progress hears about each step as the drill goes.
type Progress func(step playbooks.Step, state playbooks.State, took time.Duration, err error)

// Run does every step of the drill incident's playbook in order, each
// started, its action built in the session exactly as `firebreak run`
// builds it, run through the pipeline, and marked as `firebreak run` marks
// it.
// It stops at the first step that fails: what comes after depends on it
// (a rotation never deletes the old secret when verification failed).
func Run(ctx context.Context, s *app.Session, inc *incident.Incident, progress Progress) error {
	actor := s.Actor
	for _, step := range inc.Playbook.Steps() {
		st, err := inc.State()
		if err != nil {
			return err
		}
		if st.Steps[step.ID].State.Closed() {
			continue
		}
		if st.Steps[step.ID].State == playbooks.Pending {
			if _, _, err := inc.Step(ctx, actor, step.ID, playbooks.VerbStart, "", time.Time{}); err != nil {
				return err
			}
		}
		t0 := time.Now()
		var marked playbooks.State
		var runErr error
		if step.Action == nil {
			// A drill step without an action is done by reading it.
			_, marked, runErr = inc.Step(ctx, actor, step.ID, playbooks.VerbDone, "", time.Time{})
		} else {
			out, err := runStep(ctx, s, inc, step)
			marked, runErr = actions.FinishStep(ctx, inc, actor, step, out, err)
			if marked == "" && runErr != nil {
				// Never executed (the plan could not be made): that is a
				// failure of the drill too.
				_, marked, _ = inc.Step(context.WithoutCancel(ctx), actor, step.ID, playbooks.VerbFail, "action "+step.Action.Name+" could not run: "+runErr.Error(), time.Time{})
			}
		}
		if progress != nil {
			progress(step, marked, time.Since(t0), runErr)
		}
		if runErr != nil {
			return nil // the report says where it stopped
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// runStep does one step's action through the pipeline, confirmed.
func runStep(ctx context.Context, s *app.Session, inc *incident.Incident, step playbooks.Step) (*actions.Outcome, error) {
	act, err := s.StepAction(ctx, inc, step.ID)
	if err != nil {
		return nil, err
	}
	r := &actions.Runner{Incident: inc, Actor: s.Actor, Step: step.ID, Yes: true}
	return r.Run(ctx, act)
}

// Check runs the sandbox's own checks after the steps — what only the
// sandbox can see (the simulator decrypts the secrets it was sent) — and
// records them as a drill.checked event.
func (s *Sandbox) Check(ctx context.Context, inc *incident.Incident, actor string) ([]actions.Check, error) {
	st, err := inc.State()
	if err != nil {
		return nil, err
	}
	var checks []actions.Check
	add := func(what string, ok bool, detail string) {
		checks = append(checks, actions.Check{What: what, OK: ok, Detail: detail})
	}
	repo := &gitrepo.Repo{Dir: s.RepoDir}
	switch s.Kind {
	case Rotation:
		want, err := os.ReadFile(s.NewKeyPrefix + ".pem")
		got, ok := s.Sim.Secret(s.Repo, "", s.NewSecret)
		switch {
		case err != nil:
			add("the simulator's "+s.NewSecret+" is the new key", false, "no new key: "+err.Error())
		case !ok:
			add("the simulator's "+s.NewSecret+" is the new key", false, "the secret is not set")
		default:
			add("the simulator's "+s.NewSecret+" is the new key", string(got) == string(want), "decrypted from the sealed box: "+evidence.SumBytes(got)[:16]+", key file "+evidence.SumBytes(want)[:16])
		}
		_, still := s.Sim.Secret(s.Repo, "", s.OldSecret)
		add("the old secret "+s.OldSecret+" is gone from the simulator", !still, "")
		const what = "the recorded pin is the new key's fingerprint"
		pin := st.Facts["pin"]
		switch k, err := signing.LoadPublicKey(s.NewKeyPrefix+".pub.pem", nil); {
		case pin == "":
			add(what, false, "no pin fact was recorded")
		case err != nil:
			add(what, false, "the new public key: "+err.Error())
		default:
			add(what, signing.Fingerprint(k) == pin, pin)
		}
	case Rollback:
		for _, wf := range []string{"release.yml", "sign-feed.yml"} {
			state := s.workflowState(wf)
			add("workflow "+wf+" is active again in the simulator", state == "active", state)
		}
		good, ok, err := repo.Show(ctx, s.GoodCommit, "advisories/feed.json")
		cur, rerr := os.ReadFile(filepath.Join(s.RepoDir, "advisories", "feed.json"))
		if err == nil && rerr == nil && ok {
			add("the feed is the known-good one", string(good) == string(cur), "known good "+short(s.GoodCommit))
		} else {
			add("the feed is the known-good one", false, fmt.Sprint(err, rerr))
		}
		add("the first bad commit found is the tampered one", st.Facts["first_bad_commit"] == s.BadCommit, "found "+short(st.Facts["first_bad_commit"])+", tampered "+short(s.BadCommit))
	}
	if lines, err := repo.Status(ctx); err != nil {
		add("the repository has no uncommitted change", false, err.Error())
	} else {
		add("the repository has no uncommitted change", len(lines) == 0, strings.Join(lines, "; "))
	}
	passed := 0
	for _, c := range checks {
		if c.OK {
			passed++
		}
	}
	_, err = inc.Record(context.WithoutCancel(ctx), journal.Entry{Actor: actor, Kind: KindChecked,
		Summary: fmt.Sprintf("sandbox checks: %d of %d passed", passed, len(checks)), Data: Checked{V: actions.RecordVersion, Checks: checks}})
	return checks, err
}

func (s *Sandbox) workflowState(file string) string {
	id, ok := s.Workflows[file]
	if !ok {
		return "missing"
	}
	return s.Sim.WorkflowState(s.Repo, id)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(none)"
	}
	return h
}

// Checked is the data of a drill.checked event.
type Checked struct {
	V      int             `json:"v,omitempty"`
	Checks []actions.Check `json:"checks"`
}
