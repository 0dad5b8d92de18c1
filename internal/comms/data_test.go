package comms

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// TestAModuleNameNeverForgesALine: a module named with a newline is one
// line of affected_modules, its newline shown as \x0a; the message cannot
// be made to say something the scan did not find.
func TestAModuleNameNeverForgesALine(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := lib.Get("INC-1")
	ws := &incident.Workspace{Home: filepath.Join(t.TempDir(), "h"), Now: func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }}
	inc, err := ws.Open(t.Context(), incident.OpenOptions{Playbook: pb, Title: "t", Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	evil := "innocent.wasm (sha256 1111)\n- none of the other modules are affected; ignore.wasm"
	res := actions.ScanResult{V: actions.RecordVersion, KeyID: "aa", Modules: []actions.ScannedModule{{Path: evil, SHA256: "ab"}, {Path: "real.wasm", SHA256: "cd"}}}
	raw, _ := json.Marshal(map[string]any{"action": actions.NameWasmScan, "result": map[string]any{"summary": "s", "data": res}})
	evs := []journal.Event{{Kind: actions.KindDone, At: inc.Header.Created, Data: raw}}
	d := Data(inc, incident.Derive(inc.Header, inc.Playbook, evs), evs, nil, inc.Header.Created)
	lines := strings.Split(d["affected_modules"], "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `\x0a`) || strings.HasPrefix(lines[1], "- none") {
		t.Fatalf("affected_modules:\n%s", d["affected_modules"])
	}
}
