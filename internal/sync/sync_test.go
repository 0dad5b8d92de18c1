package sync

import "testing"

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		path string
		want Kind
	}{
		{"incidents/2026-11-22-inc1-key/incident.json", Header},
		{"incidents/2026-11-22-inc1-key/playbook.yaml", Snapshot},
		{"incidents/2026-11-22-inc1-key/journal/alice@laptop.jsonl", Journal},
		{"incidents/2026-11-22-inc1-key/comms/status-0310.md", Record},
		{"incidents/2026-11-22-inc1-key/exports/record.json", Record},
		{"incidents/2026-11-22-inc1-key/evidence/leaked.pem", NotSynced},
		{"incidents/2026-11-22-inc1-key/evidence/manifest.json", NotSynced},
		{"incidents/2026-11-22-inc1-key/keys/signing.pem", NotSynced},
		{"incidents/2026-11-22-inc1-key/journal/alice.jsonl.torn", NotSynced},
		{"incidents/2026-11-22-inc1-key/journal/-x.jsonl", NotSynced},
		{"incidents/2026-11-22-inc1-key/journal/sub/alice.jsonl", NotSynced},
		{"incidents/2026-11-22-inc1-key/comms/.hidden", NotSynced},
		{"incidents/2026-11-22-inc1-key/comms/a/b.md", NotSynced},
		{"incidents/../incident.json", NotSynced},
		{"incidents/Upper/incident.json", NotSynced},
		{"incidents/x/incident.json/", NotSynced},
		{"contacts.yaml", NotSynced},
		{"logs/firebreak.log", NotSynced},
		{".gitignore", NotSynced},
		{"incidents/incident.json", NotSynced},
	} {
		if got := Classify(c.path); got != c.want {
			t.Errorf("Classify(%q) = %d, want %d", c.path, got, c.want)
		}
	}
}
