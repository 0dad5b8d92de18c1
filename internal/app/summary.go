package app

import (
	"sort"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Summary is one incident at a glance: a row of `incident list` (its JSON
// shape) and of the console's home screen.
type Summary struct {
	ID               string    `json:"id"`
	Title            string    `json:"title"`
	Playbook         string    `json:"playbook"`
	Severity         string    `json:"severity"`
	SEV              string    `json:"sev"`
	Drill            bool      `json:"drill"`
	Status           string    `json:"status"` // open | closed | unreadable
	Created          time.Time `json:"created"`
	ResponseDeadline time.Time `json:"response_deadline"`
	StepsClosed      int       `json:"steps_closed"`
	StepsTotal       int       `json:"steps_total"`
	Overdue          int       `json:"steps_overdue"`
	Failed           int       `json:"steps_failed"`
	LastEvent        time.Time `json:"last_event"`
	// RotationDue is when the signing key's rotation is due, as the
	// incident's last key.age measured it.
	RotationDue time.Time `json:"rotation_due,omitzero"`
	Error       string    `json:"error,omitempty"`

	Level severity.Level `json:"-"`
}

// Closed reports whether the incident is closed.
func (s Summary) Closed() bool { return s.Status == "closed" }

// Summaries lists the workspace's incidents, most urgent first (see
// Urgent); closed ones only with all. An incident that does not load is
// listed as unreadable with why, never dropped.
func Summaries(ws *incident.Workspace, now time.Time, all bool) ([]Summary, error) {
	ids, err := ws.IDs()
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, id := range ids {
		inc, err := ws.Load(id)
		if err != nil {
			out = append(out, Summary{ID: id, Status: "unreadable", Error: err.Error()})
			continue
		}
		st, err := inc.State()
		if err != nil {
			out = append(out, Summary{ID: id, Title: inc.Header.Title, Status: "unreadable", Error: err.Error()})
			continue
		}
		if st.Closed && !all {
			continue
		}
		s := Summary{
			ID: id, Title: inc.Header.Title, Playbook: inc.Header.Playbook.ID, Severity: st.Severity.String(),
			SEV: st.Severity.SEV(), Drill: inc.Header.Drill, Status: "open", Created: inc.Header.Created,
			ResponseDeadline: st.ResponseDeadline(), LastEvent: st.LastEvent, Level: st.Severity,
		}
		if st.Closed {
			s.Status = "closed"
		}
		if t, err := time.Parse(time.RFC3339, st.Facts[actions.FactRotationDue]); err == nil {
			s.RotationDue = t
		}
		s.StepsClosed, s.StepsTotal = st.Progress()
		for _, ss := range st.Steps {
			if ss.State == playbooks.Failed {
				s.Failed++
			}
		}
		for _, step := range inc.Playbook.Steps() {
			if st.Overdue(step, now) {
				s.Overdue++
			}
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return Urgent(&out[i], &out[j]) })
	return out, nil
}

// Urgent orders incidents by what a responder should look at first: open
// before closed, real incidents before drills, unreadable ones (someone
// must look) with the open ones, then by severity (critical first), steps
// overdue (most first), the response deadline (soonest first) and the
// opening (newest first).
func Urgent(a, b *Summary) bool {
	if a.Closed() != b.Closed() {
		return !a.Closed()
	}
	if a.Drill != b.Drill {
		return !a.Drill
	}
	if a.Level != b.Level {
		return a.Level < b.Level
	}
	if a.Overdue != b.Overdue {
		return a.Overdue > b.Overdue
	}
	if !a.ResponseDeadline.Equal(b.ResponseDeadline) {
		return a.ResponseDeadline.Before(b.ResponseDeadline)
	}
	return a.Created.After(b.Created)
}
