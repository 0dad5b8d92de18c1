package actions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckOutputAnyIncident: another home's incident (a copy, a moved
// home, a colleague's) is protected like this one's.
func TestCheckOutputAnyIncident(t *testing.T) {
	other := filepath.Join(t.TempDir(), "elsewhere", "incidents", "2026-11-22-inc1-x")
	os.MkdirAll(filepath.Join(other, "journal"), 0o700)
	os.WriteFile(filepath.Join(other, "incident.json"), []byte("{}"), 0o400)
	here := t.TempDir()
	for _, p := range []string{filepath.Join(other, "journal", "alice.jsonl"), filepath.Join(other, "incident.json"), filepath.Join(other, "evidence", "x"), other} {
		if err := CheckOutput(p, []string{here}); !errors.Is(err, ErrProtectedOutput) || !strings.Contains(err.Error(), other) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if err := CheckOutput(filepath.Join(filepath.Dir(other), "notes.txt"), []string{here}); err != nil {
		t.Errorf("beside an incident: %v", err)
	}
}
