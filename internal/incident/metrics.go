package incident

import (
	"sort"
	"time"
)

// Metric is one of the runbook's response metrics for one incident.
type Metric struct {
	Name       string        `json:"name"`
	Definition string        `json:"definition"`
	Target     time.Duration `json:"-"`
	TargetText string        `json:"target"`
	// Known is false until both milestones are set.
	Known bool          `json:"known"`
	Value time.Duration `json:"-"`
	// Met is whether the value is within the target (only when Known).
	Met bool `json:"met"`
	// Due is when the metric's end milestone is due to stay within target,
	// when the start milestone is known.
	Due time.Time `json:"due,omitempty"`
}

// The metric names.
const (
	MetricDetect  = "time to detect"
	MetricContain = "time to contain"
	MetricRecover = "time to recover"
	MetricReview  = "post-incident review"
)

type metricDef struct {
	name, def, target string
	from, to          string
	limit             time.Duration
}

var metricDefs = []metricDef{
	{MetricDetect, "detected − compromised (estimated)", "< 24 hours", MilestoneCompromised, MilestoneDetected, 24 * time.Hour},
	{MetricContain, "contained − detected", "< 4 hours", MilestoneDetected, MilestoneContained, 4 * time.Hour},
	{MetricRecover, "recovered − detected", "< 48 hours", MilestoneDetected, MilestoneRecovered, 48 * time.Hour},
	{MetricReview, "reviewed − recovered; due 7 days after recovered", "within 1 week", MilestoneRecovered, MilestoneReviewed, 7 * 24 * time.Hour},
}

// Metrics computes the four WSC metrics from the milestones.
func (st *State) Metrics() []Metric {
	out := make([]Metric, 0, len(metricDefs))
	for _, d := range metricDefs {
		m := Metric{Name: d.name, Definition: d.def, Target: d.limit, TargetText: d.target}
		from, okf := st.Milestones[d.from]
		to, okt := st.Milestones[d.to]
		if okf {
			m.Due = from.At.Add(d.limit)
		}
		if okf && okt && !to.At.Before(from.At) {
			// Out of order (recorded before the order was checked): not a
			// value, and never "met".
			m.Known = true
			m.Value = to.At.Sub(from.At)
			// "< 24 hours" is strict; "within 1 week" includes the day.
			if d.name == MetricReview {
				m.Met = m.Value <= d.limit
			} else {
				m.Met = m.Value < d.limit
			}
		}
		out = append(out, m)
	}
	return out
}

// Aggregate summarises one metric over many incidents.
type Aggregate struct {
	Name       string        `json:"name"`
	Definition string        `json:"definition"`
	TargetText string        `json:"target"`
	Measured   int           `json:"measured"` // incidents where it is known
	Met        int           `json:"met"`
	Median     time.Duration `json:"-"`
	Max        time.Duration `json:"-"`
}

// AggregateMetrics summarises the metrics of the given states. Drill
// incidents are never counted; the second result is how many were left out.
func AggregateMetrics(states []*State) ([]Aggregate, int, int) {
	var drills, counted int
	vals := make([][]time.Duration, len(metricDefs))
	met := make([]int, len(metricDefs))
	for _, st := range states {
		if st.Header.Drill {
			drills++
			continue
		}
		counted++
		for i, m := range st.Metrics() {
			if m.Known {
				vals[i] = append(vals[i], m.Value)
				if m.Met {
					met[i]++
				}
			}
		}
	}
	out := make([]Aggregate, len(metricDefs))
	for i, d := range metricDefs {
		a := Aggregate{Name: d.name, Definition: d.def, TargetText: d.target, Measured: len(vals[i]), Met: met[i]}
		if v := vals[i]; len(v) > 0 {
			sort.Slice(v, func(x, y int) bool { return v[x] < v[y] })
			a.Median = v[len(v)/2]
			if len(v)%2 == 0 {
				a.Median = (v[len(v)/2-1] + v[len(v)/2]) / 2
			}
			a.Max = v[len(v)-1]
		}
		out[i] = a
	}
	return out, counted, drills
}

// FormatSpan writes a duration for people: 3h05m, 2d4h, 45m, 30s.
func FormatSpan(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	var s string
	switch {
	case d >= 24*time.Hour:
		s = itoa(int(d/(24*time.Hour))) + "d" + itoa(int(d%(24*time.Hour)/time.Hour)) + "h"
	case d >= time.Hour:
		s = itoa(int(d/time.Hour)) + "h" + pad2(int(d%time.Hour/time.Minute)) + "m"
	case d >= time.Minute:
		s = itoa(int(d/time.Minute)) + "m"
	default:
		s = itoa(int(d/time.Second)) + "s"
	}
	if neg {
		return "-" + s
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func pad2(n int) string {
	if n < 10 {
		return "0" + itoa(n)
	}
	return itoa(n)
}

// Text is the metric's value as every front end and record writes it:
// "3h12m — met", "5h — MISSED", "not yet (due 2026-12-02 09:00:00Z)" or
// "not yet measurable".
func (m Metric) Text() string {
	switch {
	case m.Known && m.Met:
		return FormatSpan(m.Value) + " — met"
	case m.Known:
		return FormatSpan(m.Value) + " — MISSED"
	case !m.Due.IsZero():
		return "not yet (due " + m.Due.UTC().Format("2006-01-02 15:04:05Z") + ")"
	}
	return "not yet measurable"
}
