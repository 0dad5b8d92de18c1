// Package export writes the post-incident record: the header, severity
// history, every step with who did what when, milestones and metrics with
// their definitions, the full timeline with full UTC dates, and the journal
// head ids so a reader can check the record against the journal. Formats:
// Markdown, JSON (schema firebreak.export/v1) and a single self-contained
// HTML file.
package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Schema names the JSON export format.
const Schema = "firebreak.export/v1"

// Formats are the export formats.
var Formats = []string{"md", "json", "html"}

// Record is the post-incident record. Its JSON form is the documented
// export schema; consumers must ignore fields they do not know.
type Record struct {
	Schema          string                    `json:"schema"`
	Generated       time.Time                 `json:"generated"`
	Incident        incident.Header           `json:"incident"`
	Status          string                    `json:"status"` // open | closed
	ClosedAt        *time.Time                `json:"closed_at,omitempty"`
	Severity        Severity                  `json:"severity"`
	SeverityHistory []incident.SeverityChange `json:"severity_history"`
	Facts           map[string]string         `json:"facts"`
	Steps           []StepRecord              `json:"steps"`
	Milestones      []MilestoneRecord         `json:"milestones"`
	Metrics         []MetricRecord            `json:"metrics"`
	Team            TeamRecord                `json:"team"`
	Followups       []incident.Followup       `json:"followups"`
	// Timeline streams the events in timeline order; the JSON export
	// writes them as the "timeline" array, between metrics and journal.
	Timeline Events        `json:"-"`
	Journal  JournalRecord `json:"journal"`
}

// Events calls fn with every event in timeline order, each valid only
// during the call, and stops at fn's first error. A record streams its
// timeline this way, so an export holds one event at a time, never the
// journal.
type Events func(fn func(*journal.Event) error) error

// Slice streams events already in memory, in their order.
func Slice(evs []journal.Event) Events {
	return func(fn func(*journal.Event) error) error {
		for i := range evs {
			if err := fn(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// Severity is the current severity on both scales.
type Severity struct {
	Level            string    `json:"level"`
	SEV              string    `json:"sev"`
	Response         string    `json:"response"`
	ResponseDeadline time.Time `json:"response_deadline"`
}

// StepRecord is one step and its history.
type StepRecord struct {
	Number     string                `json:"number"`
	ID         string                `json:"id"`
	Phase      string                `json:"phase"`
	PhaseTitle string                `json:"phase_title"`
	Title      string                `json:"title"`
	RACI       playbooks.RACI        `json:"raci"`
	Deadline   *time.Time            `json:"deadline,omitempty"`
	State      playbooks.State       `json:"state"`
	History    []incident.StepChange `json:"history"`
	Assignee   string                `json:"assignee,omitempty"`
	// Approval says when and by whom the step needs approval; Approvals
	// are those given since it was last reopened.
	Approval  string              `json:"approval,omitempty"`
	Approvals []incident.Approval `json:"approvals,omitempty"`
}

// TeamRecord is who led the incident and who held which role.
type TeamRecord struct {
	Commander incident.RoleHolder            `json:"commander"`
	Handoffs  []incident.Handoff             `json:"handoffs"`
	Roles     map[string]incident.RoleHolder `json:"roles"`
}

// MilestoneRecord is one milestone reached.
type MilestoneRecord struct {
	Name  string    `json:"name"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
}

// MetricRecord is one metric with its definition and target.
type MetricRecord struct {
	incident.Metric
	Seconds       *int64     `json:"seconds,omitempty"` // value, when known
	TargetSeconds int64      `json:"target_seconds"`
	Due           *time.Time `json:"due,omitempty"`
}

// JournalRecord ties the export to the journal: verification status and
// each actor file's head.
type JournalRecord struct {
	Intact   bool                 `json:"intact"`
	Events   int64                `json:"events"`
	Files    []journal.FileReport `json:"files"`
	Problems []*journal.Problem   `json:"problems,omitempty"`
}

// Build assembles the record from an incident, its state, its timeline (in
// timeline order, streamed when the record is written) and a verification
// report.
func Build(inc *incident.Incident, st *incident.State, timeline Events, rep *journal.Report, now time.Time) *Record {
	r := &Record{
		Schema: Schema, Generated: now.UTC(), Incident: inc.Header, Status: "open",
		Severity: Severity{
			Level: st.Severity.String(), SEV: st.Severity.SEV(), Response: st.Severity.ResponseText(),
			ResponseDeadline: st.ResponseDeadline(),
		},
		SeverityHistory: st.SeverityHistory,
		Facts:           st.Facts,
		Timeline:        timeline,
		Journal:         JournalRecord{Intact: rep.Intact(), Events: rep.Events, Files: rep.Files, Problems: rep.Problems},
	}
	if st.Closed {
		r.Status = "closed"
		t := st.ClosedAt
		r.ClosedAt = &t
	}
	phaseTitle := map[string]string{}
	for _, ph := range inc.Playbook.Phases {
		phaseTitle[ph.ID] = ph.Title
	}
	for _, s := range inc.Playbook.Steps() {
		ss := st.Steps[s.ID]
		sr := StepRecord{Number: s.Number, ID: s.ID, Phase: s.Phase, PhaseTitle: phaseTitle[s.Phase], Title: s.Title, RACI: s.RACI, State: ss.State, History: ss.History,
			Assignee: ss.Assignee, Approvals: st.ValidApprovals(s)}
		if s.Approval != nil {
			sr.Approval = s.Approval.Text()
		}
		if d := st.StepDeadline(s); !d.IsZero() {
			sr.Deadline = &d
		}
		if sr.History == nil {
			sr.History = []incident.StepChange{}
		}
		r.Steps = append(r.Steps, sr)
	}
	r.Milestones = []MilestoneRecord{}
	for _, name := range incident.Milestones {
		if m, ok := st.Milestones[name]; ok {
			r.Milestones = append(r.Milestones, MilestoneRecord{Name: name, At: m.At, Actor: m.Actor})
		}
	}
	r.Metrics = MetricRecords(st)
	r.Team = TeamRecord{Commander: st.Commander(), Handoffs: st.Handoffs, Roles: st.Roles}
	if r.Team.Handoffs == nil {
		r.Team.Handoffs = []incident.Handoff{}
	}
	if r.Team.Roles == nil {
		r.Team.Roles = map[string]incident.RoleHolder{}
	}
	r.Followups = st.Followups
	if r.Followups == nil {
		r.Followups = []incident.Followup{}
	}
	if r.Timeline == nil {
		r.Timeline = Slice(nil)
	}
	return r
}

// MetricRecords is the state's metrics in their JSON form, durations in
// seconds.
func MetricRecords(st *incident.State) []MetricRecord {
	var out []MetricRecord
	for _, m := range st.Metrics() {
		mr := MetricRecord{Metric: m, TargetSeconds: int64(m.Target / time.Second)}
		if m.Known {
			s := int64(m.Value / time.Second)
			mr.Seconds = &s
		}
		if !m.Due.IsZero() && m.Due.Year() <= 9999 { // a due date JSON cannot hold (a milestone at the end of time) is left out
			d := m.Due
			mr.Due = &d
		}
		out = append(out, mr)
	}
	return out
}

// Write writes the record in a format: md, json or html.
func Write(w io.Writer, format string, r *Record) error {
	switch format {
	case "md", "markdown":
		return WriteMarkdown(w, r)
	case "json":
		return WriteJSON(w, r)
	case "html":
		return WriteHTML(w, r)
	}
	return fmt.Errorf("unknown export format %q (use md, json or html)", format)
}

// WriteJSON writes the record as indented JSON, the timeline one event at
// a time. Characters that change how text is shown — C1 controls (8-bit
// CSI) and bidirectional and zero-width formatting characters — are written
// as \u escapes: the same string to a JSON reader, never raw in the file
// (encoding/json escapes only C0 controls and U+2028/U+2029).
func WriteJSON(out io.Writer, r *Record) error {
	jw := &jsonWriter{w: bufio.NewWriterSize(out, 64<<10)}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	jw.w.WriteString("{")
	jw.member("schema", r.Schema)
	jw.member("generated", r.Generated)
	jw.member("incident", r.Incident)
	jw.member("status", r.Status)
	if r.ClosedAt != nil {
		jw.member("closed_at", r.ClosedAt)
	}
	jw.member("severity", r.Severity)
	jw.member("severity_history", r.SeverityHistory)
	jw.member("facts", r.Facts)
	jw.member("steps", r.Steps)
	jw.member("milestones", r.Milestones)
	jw.member("metrics", r.Metrics)
	jw.member("team", r.Team)
	jw.member("followups", r.Followups)
	if jw.err == nil {
		jw.w.WriteString(",\n  \"timeline\": [")
		n := 0
		jw.enc.SetIndent(eventPrefix, "  ")
		var b []byte
		err := r.Timeline(func(e *journal.Event) error {
			if n > 0 {
				jw.w.WriteByte(',')
			}
			jw.w.WriteString("\n" + eventPrefix)
			n++
			var ok bool
			if b, ok = appendEventJSON(b[:0], e); ok {
				_, jw.err = jw.w.Write(b)
			} else {
				jw.value(e)
			}
			return jw.err
		})
		if jw.err == nil {
			jw.err = err
		}
		if n > 0 {
			jw.w.WriteString("\n  ")
		}
		jw.w.WriteString("]")
	}
	jw.member("journal", r.Journal)
	jw.w.WriteString("\n}\n")
	if jw.err != nil {
		return jw.err
	}
	return jw.w.Flush()
}

// jsonWriter writes an indented JSON object a member at a time, each
// value encoded as encoding/json's indenting encoder would inside it.
type jsonWriter struct {
	w     *bufio.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	first bool // a member has been written
	err   error
}

func (jw *jsonWriter) member(name string, v any) {
	if jw.err != nil {
		return
	}
	if jw.first {
		jw.w.WriteByte(',')
	}
	jw.first = true
	jw.w.WriteString("\n  ")
	jw.w.Write(strconv.AppendQuote(nil, name))
	jw.w.WriteString(": ")
	jw.enc.SetIndent("  ", "  ")
	jw.value(v)
}

// value writes v, encoded, without the encoder's newline.
func (jw *jsonWriter) value(v any) {
	jw.buf.Reset()
	if err := jw.enc.Encode(v); err != nil {
		jw.err = err
		return
	}
	_, jw.err = jw.w.Write(EscapeFormatting(bytes.TrimSuffix(jw.buf.Bytes(), []byte("\n"))))
}

// EscapeFormatting rewrites, in JSON text, every C1 control and every
// bidirectional or zero-width formatting character as a \uXXXX escape.
// Such characters can only stand inside strings, where the escape means
// the same.
func EscapeFormatting(j []byte) []byte {
	first := -1
	for i, c := range j {
		if c == 0xc2 || c == 0xd8 || c == 0xe2 || c == 0xef {
			first = i
			break
		}
	}
	if first < 0 {
		return j
	}
	out := make([]byte, 0, len(j)+64)
	out = append(out, j[:first]...)
	for i := first; i < len(j); {
		r, n := utf8.DecodeRune(j[i:])
		if r >= 0x80 && r < 0xa0 || r == 0x061c || r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, j[i:i+n]...)
		}
		i += n
	}
	return out
}

// stamp is how every export writes a time: full UTC date and time, never a
// time alone.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func metricValue(m MetricRecord) string { return m.Metric.Text() }
