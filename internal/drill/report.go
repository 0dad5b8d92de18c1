package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Criterion is the runbook's acceptance criterion the drills serve
// (ClawSec signing runbook, section 11).
const Criterion = "one rollback drill and one key rotation drill completed successfully"

// ReportSchema names the report's JSON shape.
const ReportSchema = "firebreak.drill-report/v1"

// Report is what a drill did and whether it passed. It is made from the
// drill incident's journal, so a drill worked by hand in the console gets
// the same report as one run with --yes.
type Report struct {
	Schema     string          `json:"schema"`
	Incident   string          `json:"incident"`
	Kind       Kind            `json:"kind"`
	Playbook   string          `json:"playbook"`
	Sabotage   string          `json:"sabotage,omitempty"`
	Started    time.Time       `json:"started"`
	Ended      time.Time       `json:"ended"`
	DurationMS int64           `json:"duration_ms"`
	Passed     bool            `json:"passed"`
	StoppedAt  string          `json:"stopped_at,omitempty"` // the first step not done
	Steps      []StepReport    `json:"steps"`
	Sandbox    []actions.Check `json:"sandbox_checks"`
	Acceptance Acceptance      `json:"acceptance"`
}

// stoppedText says where the drill stopped without blaming a step nobody
// ran: a step that failed is named as failed; one never started is where
// the drill was left.
func (r *Report) stoppedText() string {
	for _, sr := range r.Steps {
		if sr.ID != r.StoppedAt {
			continue
		}
		switch {
		case sr.State == "failed":
			return fmt.Sprintf("Stopped at step %s %s: it failed", sr.Number, sr.ID)
		case sr.Started.IsZero():
			return fmt.Sprintf("Left at step %s %s: the drill ended before it was started", sr.Number, sr.ID)
		default:
			return fmt.Sprintf("Stopped at step %s %s: %s, not done", sr.Number, sr.ID, sr.State)
		}
	}
	return "Stopped at step " + r.StoppedAt
}

// StepReport is one step of the drill.
type StepReport struct {
	Number     string          `json:"number"`
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	Action     string          `json:"action,omitempty"`
	State      string          `json:"state"`
	Started    time.Time       `json:"started,omitzero"`
	Ended      time.Time       `json:"ended,omitzero"`
	DurationMS int64           `json:"duration_ms"`
	Summary    string          `json:"summary,omitempty"`
	Error      string          `json:"error,omitempty"`
	Checks     []actions.Check `json:"checks"`
}

// Passed reports whether the step was done and every check held.
func (s StepReport) Passed() bool {
	if s.State != string(playbooks.Done) {
		return false
	}
	for _, c := range s.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Acceptance is the runbook's criterion over every drill in the workspace.
type Acceptance struct {
	Criterion string `json:"criterion"`
	Met       bool   `json:"met"`
	// Rotation and Rollback name a passed drill of each kind, if any.
	Rotation string `json:"rotation,omitempty"`
	Rollback string `json:"rollback,omitempty"`
}

// NewReport makes the report of a drill incident from its journal, the
// sandbox checks and the workspace's drill history (for the criterion).
func NewReport(inc *incident.Incident, sandbox []actions.Check, sabotage string, history []HistoryRow) (*Report, error) {
	evs, _, err := inc.Journal.Timeline()
	if err != nil {
		return nil, err
	}
	kind, _ := KindOf(inc.Playbook.ID)
	r := &Report{Schema: ReportSchema, Incident: inc.Header.ID, Kind: kind, Playbook: inc.Playbook.ID, Sabotage: sabotage,
		Started: inc.Header.Created, Sandbox: sandbox}
	if r.Sandbox == nil {
		r.Sandbox = []actions.Check{}
	}
	byStep := map[string]*StepReport{}
	for _, s := range inc.Playbook.Steps() {
		sr := StepReport{Number: s.Number, ID: s.ID, Title: s.Title, State: string(playbooks.Pending), Checks: []actions.Check{}}
		if s.Action != nil {
			sr.Action = s.Action.Name
		}
		r.Steps = append(r.Steps, sr)
	}
	for i := range r.Steps {
		byStep[r.Steps[i].ID] = &r.Steps[i]
	}
	for _, e := range evs {
		if e.Logged.After(r.Ended) {
			r.Ended = e.Logged
		}
		sr := byStep[e.Step]
		if sr == nil {
			continue
		}
		switch e.Kind {
		case "step.started":
			if sr.Started.IsZero() {
				sr.Started = e.Logged
			}
			sr.State = string(playbooks.Started)
		case "step.done", "step.skipped", "step.failed":
			sr.Ended = e.Logged
			sr.State = strings.TrimPrefix(e.Kind, "step.")
			if sr.State == "skipped" {
				sr.State = string(playbooks.Skipped)
			}
		case actions.KindDone, actions.KindFailed:
			rec, ok := actions.ParseRecord(e)
			if !ok {
				rec = &actions.Record{}
			}
			sr.Summary, sr.Checks, sr.Error = e.Summary, nil, ""
			if rec.Verification != nil { // a record without checks has none
				sr.Checks = rec.Verification.Checks
			}
			if sr.Checks == nil {
				sr.Checks = []actions.Check{}
			}
			if e.Kind == actions.KindFailed {
				sr.Error = rec.Error
				if sr.Error == "" {
					sr.Error = e.Summary
				}
			}
		}
	}
	// A step worked in the console may never have been started by hand: it
	// took from the end of the step before it (or the drill's start).
	for i := range r.Steps {
		sr := &r.Steps[i]
		if !sr.Started.IsZero() || sr.Ended.IsZero() {
			continue
		}
		sr.Started = r.Started
		for _, o := range r.Steps {
			if !o.Ended.IsZero() && o.Ended.Before(sr.Ended) && o.Ended.After(sr.Started) {
				sr.Started = o.Ended
			}
		}
	}
	r.Passed = len(r.Sandbox) > 0
	for i := range r.Steps {
		sr := &r.Steps[i]
		if !sr.Started.IsZero() && !sr.Ended.IsZero() {
			sr.DurationMS = sr.Ended.Sub(sr.Started).Milliseconds()
		}
		if !sr.Passed() {
			r.Passed = false
			if r.StoppedAt == "" {
				r.StoppedAt = sr.ID
			}
		}
	}
	for _, c := range r.Sandbox {
		if !c.OK {
			r.Passed = false
		}
	}
	r.DurationMS = r.Ended.Sub(r.Started).Milliseconds()
	var rows []HistoryRow
	for _, h := range history {
		if h.Incident != r.Incident {
			rows = append(rows, h)
		}
	}
	if r.Passed {
		rows = append(rows, HistoryRow{Incident: r.Incident, Kind: r.Kind, Result: "passed"})
	}
	r.Acceptance = AcceptanceOf(rows)
	return r, nil
}

// AcceptanceOf says whether drills meet the runbook's criterion: a passed
// rotation drill and a passed rollback drill (the first of each is named).
func AcceptanceOf(rows []HistoryRow) Acceptance {
	a := Acceptance{Criterion: Criterion}
	for _, h := range rows {
		switch {
		case h.Result != "passed":
		case h.Kind == Rotation && a.Rotation == "":
			a.Rotation = h.Incident
		case h.Kind == Rollback && a.Rollback == "":
			a.Rollback = h.Incident
		}
	}
	a.Met = a.Rotation != "" && a.Rollback != ""
	return a
}

func mark(c actions.Check) string {
	switch {
	case c.Skipped:
		return "SKIP"
	case c.OK:
		return "PASS"
	}
	return "FAIL"
}

func verdict(ok bool) string {
	if ok {
		return "PASSED"
	}
	return "FAILED"
}

func ms(n int64) string { return (time.Duration(n) * time.Millisecond).String() }

// WriteText writes the report as plain text (what the terminal shows):
// a line a step with how many checks held; the checks themselves only where
// one failed or was skipped (the Markdown and JSON reports have them all).
func (r *Report) WriteText(w io.Writer) {
	line := textutil.Line
	fmt.Fprintf(w, "Drill %s (%s): %s in %s\n", r.Kind, r.Incident, verdict(r.Passed), ms(r.DurationMS))
	if r.Sabotage != "" {
		fmt.Fprintf(w, "Sabotaged sandbox: %s\n", r.Sabotage)
	}
	printChecks := func(cs []actions.Check, all bool) {
		for _, c := range cs {
			if !all && c.OK && !c.Skipped {
				continue
			}
			fmt.Fprintf(w, "         %s  %s", mark(c), line(c.What))
			if c.Detail != "" {
				fmt.Fprintf(w, " — %s", line(c.Detail))
			}
			fmt.Fprintln(w)
		}
	}
	for _, s := range r.Steps {
		res := strings.ToUpper(s.State)
		if s.Passed() {
			res = "PASS"
		} else if s.State == string(playbooks.Done) || s.State == string(playbooks.Failed) {
			res = "FAIL"
		}
		ok := 0
		for _, c := range s.Checks {
			if c.OK {
				ok++
			}
		}
		what := ""
		switch {
		case s.Error != "" && ok == len(s.Checks): // failed before or outside its checks
			what = "error: " + line(s.Error)
		case len(s.Checks) > 0:
			what = fmt.Sprintf("%d of %d checks", ok, len(s.Checks))
		}
		fmt.Fprintf(w, "  %-4s %-7s %-28s %8s  %s\n", s.Number, res, s.ID, ms(s.DurationMS), what)
		printChecks(s.Checks, false)
	}
	fmt.Fprintf(w, "  Sandbox checks:\n")
	printChecks(r.Sandbox, true)
	if r.StoppedAt != "" {
		fmt.Fprintf(w, "%s.\n", r.stoppedText())
	}
	met := "NOT MET yet"
	if r.Acceptance.Met {
		met = "MET"
	}
	fmt.Fprintf(w, "Acceptance criterion (%s): %s", r.Acceptance.Criterion, met)
	fmt.Fprintf(w, " — rotation: %s, rollback: %s\n", orNone(r.Acceptance.Rotation), orNone(r.Acceptance.Rollback))
}

func orNone(s string) string {
	if s == "" {
		return "none passed yet"
	}
	return s
}

// WriteMarkdown writes the report for the incident's exports.
func (r *Report) WriteMarkdown(w io.Writer) {
	esc := func(s string) string {
		s = textutil.Line(s)
		return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
	}
	fmt.Fprintf(w, "# Drill report: %s — %s\n\n", esc(string(r.Kind)), verdict(r.Passed))
	fmt.Fprintf(w, "- Incident: `%s` (%s, a drill: not counted in metrics)\n", r.Incident, r.Playbook)
	fmt.Fprintf(w, "- Started: %s; ended: %s; total: %s\n", r.Started.UTC().Format(time.RFC3339), r.Ended.UTC().Format(time.RFC3339), ms(r.DurationMS))
	if r.Sabotage != "" {
		fmt.Fprintf(w, "- Sabotaged sandbox: %s\n", esc(r.Sabotage))
	}
	if r.StoppedAt != "" {
		fmt.Fprintf(w, "- %s\n", esc(r.stoppedText()))
	}
	fmt.Fprintf(w, "\n| Step | Action | Result | Duration | Checks |\n|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		var cs []string
		for _, c := range s.Checks {
			cs = append(cs, mark(c)+" "+esc(c.What))
		}
		if s.Error != "" {
			cs = append(cs, "error: "+esc(s.Error))
		}
		res := strings.ToUpper(s.State)
		if s.Passed() {
			res = "PASS"
		}
		fmt.Fprintf(w, "| %s %s | %s | %s | %s | %s |\n", s.Number, esc(s.Title), s.Action, res, ms(s.DurationMS), strings.Join(cs, "<br>"))
	}
	fmt.Fprintf(w, "\n## Sandbox checks\n\n")
	for _, c := range r.Sandbox {
		fmt.Fprintf(w, "- %s %s", mark(c), esc(c.What))
		if c.Detail != "" {
			fmt.Fprintf(w, " — %s", esc(c.Detail))
		}
		fmt.Fprintln(w)
	}
	met := "not met yet"
	if r.Acceptance.Met {
		met = "met"
	}
	fmt.Fprintf(w, "\n## Acceptance criterion\n\n%s: **%s** (rotation: %s; rollback: %s).\n", r.Acceptance.Criterion, met, orNone(r.Acceptance.Rotation), orNone(r.Acceptance.Rollback))
}

// Save writes the report into the incident's exports/ as JSON and
// Markdown (0600, atomically) and records drill.finished with where they
// are and their hashes.
func (r *Report) Save(ctx context.Context, inc *incident.Incident, actor string, now time.Time) (jsonPath, mdPath string, err error) {
	stamp := now.UTC().Format("20060102T150405Z")
	dir := filepath.Join(inc.Dir, "exports")
	jsonPath, mdPath = filepath.Join(dir, "drill-report-"+stamp+".json"), filepath.Join(dir, "drill-report-"+stamp+".md")
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", err
	}
	j = append(j, '\n')
	var md strings.Builder
	r.WriteMarkdown(&md)
	if err := fsutil.WriteFileAtomic(jsonPath, j, 0o600); err != nil {
		return "", "", err
	}
	if err := fsutil.WriteFileAtomic(mdPath, []byte(md.String()), 0o600); err != nil {
		return "", "", err
	}
	_, err = inc.Record(context.WithoutCancel(ctx), journal.Entry{Actor: actor, Kind: KindFinished,
		Summary: fmt.Sprintf("%s drill %s in %s", r.Kind, strings.ToLower(verdict(r.Passed)), ms(r.DurationMS)),
		Data: Finished{V: actions.RecordVersion, Kind: r.Kind, Passed: r.Passed, DurationMS: r.DurationMS, Sabotage: r.Sabotage,
			Report: jsonPath, ReportSHA256: evidence.SumBytes(j), Markdown: mdPath, MarkdownSHA256: evidence.SumBytes([]byte(md.String())), StoppedAt: r.StoppedAt}})
	return jsonPath, mdPath, err
}

// Finished is the data of a drill.finished event: the verdict and where
// the report is, with its hashes.
type Finished struct {
	V              int    `json:"v,omitempty"`
	Kind           Kind   `json:"kind"`
	Passed         bool   `json:"passed"`
	DurationMS     int64  `json:"duration_ms"`
	Sabotage       string `json:"sabotage"`
	Report         string `json:"report"`
	ReportSHA256   string `json:"report_sha256"`
	Markdown       string `json:"markdown"`
	MarkdownSHA256 string `json:"markdown_sha256"`
	StoppedAt      string `json:"stopped_at"`
}

// HistoryRow is one drill in the workspace.
type HistoryRow struct {
	Incident   string    `json:"incident"`
	Kind       Kind      `json:"kind"`
	Started    time.Time `json:"started"`
	Result     string    `json:"result"` // passed, failed or unfinished
	DurationMS int64     `json:"duration_ms"`
	Sabotage   string    `json:"sabotage,omitempty"`
	Report     string    `json:"report,omitempty"`
}

// History lists the sandbox drills in the workspace, oldest first, with
// how each last ended (its last drill.finished event). An incident that
// cannot be read is left out and named in the errors.
func History(ws *incident.Workspace) ([]HistoryRow, []error) {
	ids, err := ws.IDs()
	if err != nil {
		return nil, []error{err}
	}
	var rows []HistoryRow
	var errs []error
	for _, id := range ids {
		inc, err := ws.Load(id)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		kind, ok := KindOf(inc.Playbook.ID)
		if !ok || !inc.Header.Drill {
			continue
		}
		row := HistoryRow{Incident: id, Kind: kind, Started: inc.Header.Created, Result: "unfinished"}
		evs, _, err := inc.Journal.Timeline()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		for _, e := range evs {
			if e.Kind != KindFinished {
				continue
			}
			var d Finished
			_ = json.Unmarshal(e.Data, &d) // a record that does not decode is a failed drill
			row.Result = "failed"
			if d.Passed {
				row.Result = "passed"
			}
			row.DurationMS, row.Sabotage, row.Report = d.DurationMS, d.Sabotage, d.Report
		}
		rows = append(rows, row)
	}
	return rows, errs
}
