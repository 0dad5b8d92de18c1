package incident

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// approvalPlaybook is INC-1 with isolate-key needing approval at SEV-1.
func approvalPlaybook(t *testing.T) *playbooks.Playbook {
	t.Helper()
	raw := strings.Replace(string(inc1(t).Raw), "      - id: isolate-key\n", "      - id: isolate-key\n        approval: {when: SEV-1, by: [Key custodian]}\n", 1)
	p, err := playbooks.Parse("inc-1.yaml", []byte(raw), playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := p.Step("isolate-key"); s.Approval == nil || s.Approval.When != severity.Critical {
		t.Fatalf("approval not parsed: %+v", s.Approval)
	}
	return p
}

func TestRolesHandoffAssignApprove(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: approvalPlaybook(t), Title: "leak", Actor: "alice", Severity: severity.Critical})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := inc.State()
	if c := st.Commander(); c.Person != "alice" {
		t.Fatalf("the opener commands first: %+v", c)
	}
	if _, err := inc.SetRole(ctx, "alice", "commander", "bob", time.Time{}); !errors.Is(err, ErrUseHandoff) {
		t.Fatalf("commander assigned: %v", err)
	}
	var re *RoleError
	if _, err := inc.SetRole(ctx, "alice", "janitor", "bob", time.Time{}); !errors.As(err, &re) || !strings.Contains(err.Error(), "key custodian") && !strings.Contains(err.Error(), "Key custodian") {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := inc.SetRole(ctx, "alice", "scribe", "bob\x1b[2J", time.Time{}); err == nil || !strings.Contains(err.Error(), `\x1b`) {
		t.Fatalf("escape in a person: %v", err)
	}
	if r, err := inc.SetRole(ctx, "alice", "KEY  custodian", "carol", time.Time{}); err != nil || r != "Key custodian" {
		t.Fatalf("role by another spelling: %q %v", r, err)
	}
	if from, err := inc.Handoff(ctx, "alice", "dave", "end of shift", time.Time{}); err != nil || from != "alice" {
		t.Fatalf("handoff: %q %v", from, err)
	}
	if _, err := inc.Assign(ctx, "dave", "1.1", "erin", time.Time{}); err != nil {
		t.Fatal(err)
	}

	// Approval: refused before, naming who may; not by the assignee; not
	// by someone without the role; counted only when not the runner's.
	st, _ = inc.State()
	step, _ := inc.Playbook.Step("isolate-key")
	var ae *ApprovalError
	if err := st.NeedsApproval(step, "erin"); !errors.As(err, &ae) || strings.Join(ae.Approvers, ",") != "dave,carol" || !strings.Contains(ae.Hint(), "may approve: dave, carol") {
		t.Fatalf("needs approval: %v %+v", err, ae)
	}
	if _, _, err := inc.Step(ctx, "erin", "isolate-key", "done", "", time.Time{}); !errors.As(err, &ae) {
		t.Fatalf("done by hand without approval: %v", err)
	}
	if _, err := inc.Approve(ctx, "erin", "isolate-key", "", time.Time{}); err == nil || !strings.Contains(err.Error(), "self-approval") {
		t.Fatalf("assignee approved: %v", err)
	}
	if _, err := inc.Approve(ctx, "mallory", "isolate-key", "", time.Time{}); err == nil || !strings.Contains(err.Error(), "holds none") {
		t.Fatalf("anyone approved: %v", err)
	}
	// An approval written straight into a journal by someone who holds no
	// approving role (a forged file, another tool) does not count.
	if _, err := inc.Journal.Append(ctx, journal.Entry{Actor: "nobody", Kind: KindApproved, Step: "isolate-key", Summary: "approved", Data: ApproveData{Role: "Key custodian"}}); err != nil {
		t.Fatal(err)
	}
	st, _ = inc.State()
	if err := st.NeedsApproval(step, "erin"); err == nil {
		t.Fatal("an approval by someone without the role counted")
	}
	if _, err := inc.Approve(ctx, "carol", "isolate-key", "checked the key id", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ = inc.State()
	if err := st.NeedsApproval(step, "erin"); err != nil {
		t.Fatalf("approved step still refused: %v", err)
	}
	if err := st.NeedsApproval(step, "carol"); err == nil {
		t.Fatal("the approver's own run counted her approval")
	}
	if err := st.NeedsApproval(step, "carol@laptop"); err == nil {
		t.Fatal("the approver's run under another of her names counted her approval")
	}
	if a := st.ValidApprovals(step); len(a) != 1 || a[0].Role != "Key custodian" || a[0].Reason != "checked the key id" {
		t.Fatalf("approval recorded %+v", a)
	}
	// An approval is for one attempt: reopening clears it.
	if _, _, err := inc.Step(ctx, "erin", "isolate-key", "done", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inc.Step(ctx, "erin", "isolate-key", "reopen", "redo", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ = inc.State()
	if err := st.NeedsApproval(step, "erin"); err == nil {
		t.Fatal("an approval survived a reopen")
	}
	// A downgrade does not lift it: the incident was SEV-1.
	if err := inc.SetSeverity(ctx, "dave", severity.High, "contained", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ = inc.State()
	if err := st.NeedsApproval(step, "erin"); err == nil {
		t.Fatal("lowering the severity lifted the approval")
	}
	// An incident that never was SEV-1 needs none.
	low, err := w.Open(ctx, OpenOptions{Playbook: approvalPlaybook(t), Title: "minor", Actor: "alice", Severity: severity.High})
	if err != nil {
		t.Fatal(err)
	}
	lst, _ := low.State()
	if err := lst.NeedsApproval(step, "erin"); err != nil {
		t.Fatalf("SEV-2 from the start: %v", err)
	}
	if c := st.Commander(); c.Person != "dave" || len(st.Handoffs) != 1 || st.Handoffs[0].From != "alice" {
		t.Fatalf("handoff state: %+v %+v", c, st.Handoffs)
	}
	if got := st.RolesOf("carol"); len(got) != 1 || got[0] != "Key custodian" {
		t.Fatalf("roles of carol: %v", got)
	}
	if mine := st.MySteps(inc.Playbook, "erin"); len(mine) != 1 || mine[0].ID != "isolate-key" {
		t.Fatalf("my steps: %v", mine)
	}
}

func TestFollowupsAndStatusCadence(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	now := t0
	w.Now = func() time.Time { now = now.Add(time.Second); return now }
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "leak", Actor: "alice", Severity: severity.Critical})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := inc.State()
	due, over := st.StatusDue(t0.Add(20 * time.Minute))
	if over || !due.Equal(st.Header.Created.Add(30*time.Minute)) {
		t.Fatalf("SEV-1 status due %v %v", due, over)
	}
	if _, over := st.StatusDue(t0.Add(40 * time.Minute)); !over {
		t.Fatal("status update not overdue after 40 min at SEV-1")
	}
	now = t0.Add(time.Hour)
	if err := inc.StatusUpdate(ctx, "alice", "contained; rotating", t0.Add(35*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := inc.Note(ctx, "alice", "an ordinary note", "", t0.Add(50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	st, _ = inc.State()
	if due, _ := st.StatusDue(t0); !due.Equal(t0.Add(65 * time.Minute)) {
		t.Fatalf("due after a status note: %v", due)
	}

	if err := inc.AddFollowup(ctx, "alice", "  ", "", time.Time{}, time.Time{}); err == nil {
		t.Fatal("empty follow-up")
	}
	if err := inc.AddFollowup(ctx, "alice", "move the key to an HSM", "bob", t0.Add(7*24*time.Hour), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := inc.AddFollowup(ctx, "bob", "pin actions by SHA", "", time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := inc.FollowupDone(ctx, "bob", 3, "", time.Time{}); err == nil || !strings.Contains(err.Error(), "1…2") {
		t.Fatalf("no such follow-up: %v", err)
	}
	if _, err := inc.FollowupDone(ctx, "bob", 1, "HSM in place", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := inc.FollowupDone(ctx, "bob", 1, "", time.Time{}); err == nil || !strings.Contains(err.Error(), "already done") {
		t.Fatalf("done twice: %v", err)
	}
	if err := inc.Close(ctx, "alice", "over", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := inc.AddFollowup(ctx, "alice", "review in a month", "", time.Time{}, time.Time{}); err != nil {
		t.Fatalf("a follow-up after closing: %v", err)
	}
	st, _ = inc.State()
	f := st.Followups
	if len(f) != 3 || !f[0].Done || f[0].DoneBy != "bob" || f[0].Reason != "HSM in place" || f[1].Done || f[0].Owner != "bob" || f[2].N != 3 {
		t.Fatalf("follow-ups %+v", f)
	}
	if f[1].Overdue(t0.Add(1000 * time.Hour)) {
		t.Fatal("a follow-up without a due time is overdue")
	}
	if f[0].Overdue(t0.Add(1000*time.Hour)) || !(Followup{Due: t0}).Overdue(t0.Add(time.Second)) {
		t.Fatal("overdue: a done follow-up, or an open one past due")
	}
}

// TestFollowupDoneBeforeItsAddition: a done logged before its addition
// (another machine's clock behind) still closes it.
func TestFollowupDoneBeforeItsAddition(t *testing.T) {
	p := inc1(t)
	h := Header{ID: "x", Created: t0, CreatedBy: "alice", Severity: severity.High}
	add := journal.Event{Seq: 2, ID: strings.Repeat("a", 64), Actor: "alice", Kind: KindFollowup, Logged: t0.Add(2 * time.Minute), At: t0.Add(2 * time.Minute), Data: []byte(`{"text":"rotate"}`)}
	done := journal.Event{Seq: 1, ID: strings.Repeat("b", 64), Actor: "bob", Kind: KindFollowupDone, Logged: t0.Add(time.Minute), At: t0.Add(time.Minute), Data: []byte(`{"followup":"` + add.ID + `","reason":"done"}`)}
	st := Derive(h, p, []journal.Event{add, done})
	if len(st.Followups) != 1 || !st.Followups[0].Done || st.Followups[0].DoneBy != "bob" {
		t.Fatalf("%+v", st.Followups)
	}
}
