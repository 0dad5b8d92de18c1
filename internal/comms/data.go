package comms

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
)

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// actionResult finds the newest action.done of an action and returns its
// time and result data.
func actionResult(evs []journal.Event, action string) (time.Time, map[string]any) {
	var at time.Time
	var data map[string]any
	for _, e := range evs {
		if e.Kind != "action.done" {
			continue
		}
		var d struct {
			Action string `json:"action"`
			Result struct {
				Data map[string]any `json:"data"`
			} `json:"result"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Action != action {
			continue
		}
		if e.At.After(at) || at.IsZero() {
			at, data = e.At, d.Result.Data
		}
	}
	return at, data
}

func str(m map[string]any, k string) string {
	if m == nil {
		return ""
	}
	s, _ := m[k].(string)
	return s
}

// Data gathers every field the templates know from an incident: its
// header, facts, milestones, metrics, timeline and what its actions did
// (key isolated, modules found, key generated, modules re-signed), plus the
// contacts. Facts and the caller's overrides fill the rest.
func Data(inc *incident.Incident, st *incident.State, evs []journal.Event, contacts []Contact, now time.Time) map[string]string {
	d := map[string]string{}
	for k, v := range st.Facts {
		d[k] = v
	}
	h := inc.Header
	d["incident_id"] = h.ID
	d["title"] = h.Title
	d["severity"] = strings.ToUpper(st.Severity.String()) + " (" + st.Severity.SEV() + ")"
	d["playbook"] = h.Playbook.ID + " " + inc.Playbook.Title
	d["opened_at"] = when(h.Created)
	d["published_at"] = when(now)
	for _, m := range incident.Milestones {
		if ms, ok := st.Milestones[m]; ok {
			d[m+"_at"] = when(ms.At)
		}
	}
	d["window_start"] = d["compromised_at"]
	d["window_end"] = d["contained_at"]

	if at, r := actionResult(evs, "key.isolate"); !at.IsZero() {
		d["revoked_at"] = when(at)
		if fp := str(r, "fingerprint"); fp != "" {
			d["old_fingerprint"] = fp
		}
		if kid := str(r, "key_id"); kid != "" && d["key_id"] == "" {
			d["key_id"] = kid
		}
	}
	if _, r := actionResult(evs, "wasm.scan"); r != nil {
		if kid := str(r, "key_id"); kid != "" && d["key_id"] == "" {
			d["key_id"] = kid
		}
		var lines []string
		if mods, ok := r["modules"].([]any); ok {
			for _, m := range mods {
				mm, _ := m.(map[string]any)
				lines = append(lines, fmt.Sprintf("- %s (sha256 %s)", str(mm, "path"), str(mm, "sha256")))
			}
		}
		if len(lines) > 0 {
			d["affected_modules"] = strings.Join(lines, "\n")
		} else {
			d["affected_modules"] = "- none found signed by this key"
		}
		d["affected_artifacts"] = d["affected_modules"]
	}
	if at, r := actionResult(evs, "key.generate"); !at.IsZero() {
		d["new_key_at"] = when(at)
		d["new_key_id"] = str(r, "key_id")
		d["new_fingerprint"] = str(r, "fingerprint")
		if pub := str(r, "public_key"); pub != "" {
			d["new_public_key"] = "attached: " + pub + " (fingerprint " + str(r, "fingerprint") + ")"
		}
	}
	if at, _ := actionResult(evs, "wasm.resign"); !at.IsZero() {
		d["resigned_at"] = when(at)
	}
	var ms []string
	for _, m := range st.Metrics() {
		v := "not yet measurable"
		switch {
		case m.Known && m.Met:
			v = incident.FormatSpan(m.Value) + ", met"
		case m.Known:
			v = incident.FormatSpan(m.Value) + ", MISSED"
		}
		ms = append(ms, fmt.Sprintf("- %s (%s, target %s): %s", m.Name, m.Definition, m.TargetText, v))
	}
	d["metrics"] = strings.Join(ms, "\n")
	var tl []string
	sorted := append([]journal.Event(nil), evs...)
	journal.SortTimeline(sorted)
	for _, e := range sorted {
		if len(tl) == 200 {
			tl = append(tl, fmt.Sprintf("- … %d more events in the journal", len(sorted)-200))
			break
		}
		tl = append(tl, fmt.Sprintf("- %s %s: %s", e.At.UTC().Format("2006-01-02 15:04"), e.Actor, strings.Join(strings.Fields(e.Summary), " ")))
	}
	d["timeline"] = strings.Join(tl, "\n")
	d["contacts"] = FormatContacts(contacts)
	for _, c := range contacts {
		if strings.EqualFold(c.Role, "Security Lead") && c.Contact != "" {
			d["security_contact"] = c.Contact
		}
	}
	return d
}
