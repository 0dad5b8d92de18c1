package export

import (
	"bufio"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// WriteMarkdown writes the record as a Markdown document. All incident text
// is escaped so it renders literally.
func WriteMarkdown(out io.Writer, r *Record) error {
	w := bufio.NewWriterSize(out, 64<<10)
	md := textutil.Markdown
	p := func(s ...string) {
		for _, x := range s {
			w.WriteString(x)
		}
		w.WriteByte('\n')
	}
	h := r.Incident
	p("# Incident ", md(h.ID), ": ", md(h.Title))
	p()
	if h.Drill {
		p("> **DRILL** — this incident is a drill and is excluded from metrics.")
		p()
	}
	p("| | |")
	p("|---|---|")
	p("| Playbook | ", md(h.Playbook.ID), " v", md(h.Playbook.Version), " — ", md(h.Playbook.Title), " |")
	p("| Severity | ", r.Severity.Level, " / ", r.Severity.SEV, " (response ", md(r.Severity.Response), ", due ", stamp(r.Severity.ResponseDeadline), ") |")
	p("| Opened | ", stamp(h.Created), " by ", md(h.CreatedBy), " |")
	status := r.Status
	if r.ClosedAt != nil {
		status += " at " + stamp(*r.ClosedAt)
	}
	p("| Status | ", status, " |")
	p("| Record generated | ", stamp(r.Generated), " |")
	p()

	p("## Severity history")
	p()
	p("| At (UTC) | By | Change | Reason |")
	p("|---|---|---|---|")
	for i, c := range r.SeverityHistory {
		change := "opened at " + c.To.Both()
		if i > 0 {
			change = c.From.Both() + " → " + c.To.Both()
		}
		p("| ", stamp(c.At), " | ", md(c.Actor), " | ", change, " | ", md(c.Reason), " |")
	}
	p()

	if len(r.Facts) > 0 {
		p("## Facts")
		p()
		p("| Fact | Value |")
		p("|---|---|")
		for _, k := range slices.Sorted(maps.Keys(r.Facts)) {
			p("| ", md(k), " | ", md(r.Facts[k]), " |")
		}
		p()
	}

	p("## Milestones and metrics")
	p()
	if len(r.Milestones) == 0 {
		p("No milestones recorded.")
	} else {
		p("| Milestone | At (UTC) | By |")
		p("|---|---|---|")
		for _, m := range r.Milestones {
			p("| ", m.Name, " | ", stamp(m.At), " | ", md(m.Actor), " |")
		}
	}
	p()
	p("| Metric | Definition | Target | Value |")
	p("|---|---|---|---|")
	for _, m := range r.Metrics {
		p("| ", m.Name, " | ", m.Definition, " | ", m.TargetText, " | ", metricValue(m), " |")
	}
	p()
	p("Metrics are computed from the milestones as responders recorded them (back-dated where they said so).")
	p()

	p("## Steps")
	p()
	phase := ""
	for _, s := range r.Steps {
		if s.Phase != phase {
			if phase != "" {
				p()
			}
			phase = s.Phase
			p("### ", md(s.PhaseTitle))
			p()
		}
		deadline := ""
		if s.Deadline != nil {
			deadline = " — due " + stamp(*s.Deadline)
		}
		p("- **", s.Number, " ", md(s.Title), "** (`", s.ID, "`): ", strings.ToUpper(string(s.State)), deadline)
		p("  - RACI: ", md(s.RACI.String()))
		for _, c := range s.History {
			line := "  - " + stamp(c.At) + " " + md(c.Actor) + ": " + c.Verb + " → " + string(c.To)
			if c.Reason != "" {
				line += " — " + md(c.Reason)
			}
			p(line)
		}
	}
	p()

	p("## Timeline")
	p()
	p("All times are UTC. *At* is when it happened (as the responder gave it); *logged* is when it was written.")
	p()
	p("| At (UTC) | Logged (UTC) | Actor | Kind | Step | Summary |")
	p("|---|---|---|---|---|---|")
	for i := range r.Timeline {
		e := &r.Timeline[i]
		w.WriteString("| ")
		w.WriteString(stamp(e.At))
		w.WriteString(" | ")
		w.WriteString(stamp(e.Logged))
		w.WriteString(" | ")
		w.WriteString(md(e.Actor))
		w.WriteString(" | ")
		w.WriteString(e.Kind)
		w.WriteString(" | ")
		w.WriteString(md(e.Step))
		w.WriteString(" | ")
		w.WriteString(md(e.Summary))
		w.WriteString(" |\n")
	}
	p()

	p("## Journal")
	p()
	verdict := "intact: every chain verifies"
	if !r.Journal.Intact {
		verdict = "NOT INTACT"
	}
	p("Journal ", verdict, " (", strconv.FormatInt(r.Journal.Events, 10), " events). Check it with `firebreak timeline verify ", h.ID, "`; the head of each actor file is:")
	p()
	p("| Actor file | Events | Head seq | Head id (SHA-256) |")
	p("|---|---|---|---|")
	for _, f := range r.Journal.Files {
		p("| ", md(f.File), " | ", strconv.FormatInt(f.Events, 10), " | ", strconv.FormatInt(f.HeadSeq, 10), " | `", f.HeadID, "` |")
	}
	for _, pr := range r.Journal.Problems {
		p()
		p("- PROBLEM: ", md(pr.Error()))
	}
	p()
	return w.Flush()
}
