package export

import (
	"bufio"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// WriteMarkdown writes the record as a Markdown document. All incident text
// is escaped so it renders literally.
func WriteMarkdown(out io.Writer, r *Record) error {
	mw := &mdWriter{w: bufio.NewWriterSize(out, 64<<10), r: r}
	for _, section := range []func(){mw.header, mw.team, mw.severity, mw.facts, mw.metrics, mw.steps, mw.followups, mw.timeline, mw.journal} {
		section()
		if mw.err != nil {
			return mw.err
		}
	}
	return mw.w.Flush()
}

// mdWriter writes one record as Markdown, a section at a time.
type mdWriter struct {
	w   *bufio.Writer
	r   *Record
	err error // from the timeline's stream
}

// p writes its arguments and a newline.
func (mw *mdWriter) p(s ...string) {
	for _, x := range s {
		mw.w.WriteString(x)
	}
	mw.w.WriteByte('\n')
}

var md = textutil.Markdown

func (mw *mdWriter) header() {
	mw.p("# Incident ", md(mw.r.Incident.ID), ": ", md(mw.r.Incident.Title))
	mw.p()
	if mw.r.Incident.Drill {
		mw.p("> **DRILL** — this incident is a drill and is excluded from metrics.")
		mw.p()
	}
	mw.p("| | |")
	mw.p("|---|---|")
	mw.p("| Playbook | ", md(mw.r.Incident.Playbook.ID), " v", md(mw.r.Incident.Playbook.Version), " — ", md(mw.r.Incident.Playbook.Title), " |")
	mw.p("| Severity | ", mw.r.Severity.Level, " / ", mw.r.Severity.SEV, " (response ", md(mw.r.Severity.Response), ", due ", stamp(mw.r.Severity.ResponseDeadline), ") |")
	mw.p("| Opened | ", stamp(mw.r.Incident.Created), " by ", md(mw.r.Incident.CreatedBy), " |")
	status := mw.r.Status
	if mw.r.ClosedAt != nil {
		status += " at " + stamp(*mw.r.ClosedAt)
	}
	mw.p("| Status | ", status, " |")
	mw.p("| Record generated | ", stamp(mw.r.Generated), " |")
	mw.p()
}

func (mw *mdWriter) severity() {
	mw.p("## Severity history")
	mw.p()
	mw.p("| At (UTC) | By | Change | Reason |")
	mw.p("|---|---|---|---|")
	for i, c := range mw.r.SeverityHistory {
		change := "opened at " + c.To.Both()
		if i > 0 {
			change = c.From.Both() + " → " + c.To.Both()
		}
		mw.p("| ", stamp(c.At), " | ", md(c.Actor), " | ", change, " | ", md(c.Reason), " |")
	}
	mw.p()
}

func (mw *mdWriter) facts() {
	if len(mw.r.Facts) > 0 {
		mw.p("## Facts")
		mw.p()
		mw.p("| Fact | Value |")
		mw.p("|---|---|")
		for _, k := range slices.Sorted(maps.Keys(mw.r.Facts)) {
			mw.p("| ", md(k), " | ", md(mw.r.Facts[k]), " |")
		}
		mw.p()
	}
}

func (mw *mdWriter) metrics() {
	mw.p("## Milestones and metrics")
	mw.p()
	if len(mw.r.Milestones) == 0 {
		mw.p("No milestones recorded.")
	} else {
		mw.p("| Milestone | At (UTC) | By |")
		mw.p("|---|---|---|")
		for _, m := range mw.r.Milestones {
			mw.p("| ", m.Name, " | ", stamp(m.At), " | ", md(m.Actor), " |")
		}
	}
	mw.p()
	mw.p("| Metric | Definition | Target | Value |")
	mw.p("|---|---|---|---|")
	for _, m := range mw.r.Metrics {
		mw.p("| ", m.Name, " | ", m.Definition, " | ", m.TargetText, " | ", metricValue(m), " |")
	}
	mw.p()
	mw.p("Metrics are computed from the milestones as responders recorded them (back-dated where they said so).")
	mw.p()
}

func (mw *mdWriter) steps() {
	mw.p("## Steps")
	mw.p()
	phase := ""
	for _, s := range mw.r.Steps {
		if s.Phase != phase {
			if phase != "" {
				mw.p()
			}
			phase = s.Phase
			mw.p("### ", md(s.PhaseTitle))
			mw.p()
		}
		deadline := ""
		if s.Deadline != nil {
			deadline = " — due " + stamp(*s.Deadline)
		}
		mw.p("- **", s.Number, " ", md(s.Title), "** (`", s.ID, "`): ", strings.ToUpper(string(s.State)), deadline)
		mw.p("  - RACI: ", md(s.RACI.String()))
		if s.Assignee != "" {
			mw.p("  - Assigned to ", md(s.Assignee))
		}
		if s.Approval != "" {
			mw.p("  - Needs approval ", md(s.Approval))
		}
		for _, a := range s.Approvals {
			line := "  - " + stamp(a.At) + " approved by " + md(a.Actor) + " (" + md(a.Role) + ")"
			if a.Reason != "" {
				line += " — " + md(a.Reason)
			}
			mw.p(line)
		}
		for _, c := range s.History {
			line := "  - " + stamp(c.At) + " " + md(c.Actor) + ": " + c.Verb + " → " + string(c.To)
			if c.Reason != "" {
				line += " — " + md(c.Reason)
			}
			mw.p(line)
		}
	}
	mw.p()
}

func (mw *mdWriter) team() {
	t := mw.r.Team
	mw.p("## Team")
	mw.p()
	mw.p("Commander: ", md(t.Commander.Person), " (since ", stamp(t.Commander.At), ")")
	mw.p()
	if len(t.Handoffs) > 0 {
		mw.p("| Handoff at (UTC) | From | To | Recorded by | Reason |")
		mw.p("|---|---|---|---|---|")
		for _, h := range t.Handoffs {
			mw.p("| ", stamp(h.At), " | ", md(h.From), " | ", md(h.To), " | ", md(h.Actor), " | ", md(h.Reason), " |")
		}
		mw.p()
	}
	if len(t.Roles) > 0 {
		mw.p("| Role | Person | Since (UTC) |")
		mw.p("|---|---|---|")
		for _, r := range slices.Sorted(maps.Keys(t.Roles)) {
			if r != "commander" {
				mw.p("| ", md(r), " | ", md(t.Roles[r].Person), " | ", stamp(t.Roles[r].At), " |")
			}
		}
		mw.p()
	}
}

func (mw *mdWriter) followups() {
	mw.p("## Follow-ups")
	mw.p()
	if len(mw.r.Followups) == 0 {
		mw.p("None recorded.")
		mw.p()
		return
	}
	for _, f := range mw.r.Followups {
		box := "[ ]"
		if f.Done {
			box = "[x]"
		}
		line := "- " + box + " " + strconv.Itoa(f.N) + ". " + md(f.Text)
		if f.Owner != "" {
			line += " — owner " + md(f.Owner)
		}
		if !f.Due.IsZero() {
			line += ", due " + stamp(f.Due)
		}
		if f.Done {
			line += " (done " + stamp(f.DoneAt) + " by " + md(f.DoneBy)
			if f.Reason != "" {
				line += ": " + md(f.Reason)
			}
			line += ")"
		}
		mw.p(line)
	}
	mw.p()
}

func (mw *mdWriter) timeline() {
	mw.p("## Timeline")
	mw.p()
	mw.p("All times are UTC. *At* is when it happened (as the responder gave it); *logged* is when it was written.")
	mw.p()
	mw.p("| At (UTC) | Logged (UTC) | Actor | Kind | Step | Summary |")
	mw.p("|---|---|---|---|---|---|")
	mw.err = mw.r.Timeline(func(e *journal.Event) error {
		mw.w.WriteString("| ")
		mw.w.WriteString(stamp(e.At))
		mw.w.WriteString(" | ")
		mw.w.WriteString(stamp(e.Logged))
		mw.w.WriteString(" | ")
		mw.w.WriteString(md(e.Actor))
		mw.w.WriteString(" | ")
		mw.w.WriteString(e.Kind)
		mw.w.WriteString(" | ")
		mw.w.WriteString(md(e.Step))
		mw.w.WriteString(" | ")
		mw.w.WriteString(md(e.Summary))
		_, err := mw.w.WriteString(" |\n")
		return err
	})
	mw.p()
}

func (mw *mdWriter) journal() {
	mw.p("## Journal")
	mw.p()
	verdict := "intact: every chain verifies"
	if !mw.r.Journal.Intact {
		verdict = "NOT INTACT"
	}
	mw.p("Journal ", verdict, " (", strconv.FormatInt(mw.r.Journal.Events, 10), " events). Check it with `firebreak timeline verify ", mw.r.Incident.ID, "`; the head of each actor file is:")
	mw.p()
	mw.p("| Actor file | Events | Head seq | Head id (SHA-256) |")
	mw.p("|---|---|---|---|")
	for _, f := range mw.r.Journal.Files {
		mw.p("| ", md(f.File), " | ", strconv.FormatInt(f.Events, 10), " | ", strconv.FormatInt(f.HeadSeq, 10), " | `", f.HeadID, "` |")
	}
	for _, pr := range mw.r.Journal.Problems {
		mw.p()
		mw.p("- PROBLEM: ", md(pr.Error()))
	}
	mw.p()
}
