package incident

import "encoding/json"

// The data of the incident's own events, one type each, written by the
// functions that record them and read by State. The fields are in the
// order the journal has always held them (their names sorted), so a typed
// event is byte for byte what an older firebreak wrote.

// FactData is the data of a fact.set event.
type FactData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MilestoneData is the data of a milestone event (its time is the event's).
type MilestoneData struct {
	Name string `json:"name"`
}

// StepData is the data of a step.* event: the states it moved between.
type StepData struct {
	From   string `json:"from"`
	Reason string `json:"reason,omitempty"`
	To     string `json:"to"`
}

// SeverityData is the data of a severity.changed event.
type SeverityData struct {
	From   string `json:"from"`
	Reason string `json:"reason"`
	SEV    string `json:"sev"`
	To     string `json:"to"`
}

// NoteData is the data of a note: the text, when the summary could not
// hold it; Status marks a status update (StatusUpdate).
type NoteData struct {
	Status bool   `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
}

// ClosedData is the data of an incident.closed event.
type ClosedData struct {
	Reason string `json:"reason,omitempty"`
}

// decode reads an event's data as T; data that does not decode is T's
// zero value (the event then changes nothing State derives).
func decode[T any](raw json.RawMessage) T {
	var v T
	_ = json.Unmarshal(raw, &v)
	return v
}
