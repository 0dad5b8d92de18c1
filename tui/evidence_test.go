package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/actions"
)

func TestEvidenceScreenVerifiesAndFlagsTampering(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-2", "Malicious module")
	src := filepath.Join(t.TempDir(), "evil.wasm")
	if err := os.WriteFile(src, []byte("\x00asm\x01\x00\x00\x00 malicious"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := actions.EvidenceStore(inc)
	r := &actions.Runner{Incident: inc, Actor: "alice", Yes: true}
	if _, err := r.Run(context.Background(), &actions.Take{Store: ev, Paths: []string{src}, Move: true, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}

	m := drive(t, f.model(120, 30), enter, typed("e")[0])
	if m.screen != screenEvidence {
		t.Fatalf("e: screen %v", m.screen)
	}
	v := m.View()
	checkFrame(t, v, 120, 30)
	for _, want := range []string{"verified: 1 file(s), 18 bytes, all match", "ok   ", "quarantine", "evil.wasm", "Isolated keys (0)"} {
		if !strings.Contains(v, want) {
			t.Errorf("evidence screen lacks %q:\n%s", want, v)
		}
	}

	// Someone changes the quarantined file: v re-hashes and says so.
	stored := filepath.Join(ev.Dir, "evil.wasm")
	if err := os.Chmod(stored, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stored, []byte("\x00asm\x01\x00\x00\x00 innocent!"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = drive(t, m, typed("v")...)
	v = m.View()
	if !strings.Contains(v, "NOT VERIFIED: 1 problem(s)") || !strings.Contains(v, "FAIL") {
		t.Fatalf("tampered evidence not flagged:\n%s", v)
	}
	m = drive(t, m, esc)
	if m.screen != screenRunner {
		t.Fatalf("esc from evidence: %v", m.screen)
	}
}

func TestEvidenceScreenBrokenManifest(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-2", "Malicious module")
	ev := actions.EvidenceStore(inc)
	if err := os.WriteFile(filepath.Join(ev.Dir, "manifest.json"), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := drive(t, f.model(120, 30), enter, typed("e")[0])
	if v := m.View(); !strings.Contains(v, "cannot read the evidence") {
		t.Fatalf("broken manifest:\n%s", v)
	}
}

// A newline in an original's name is shown as \x0a, not as a space.
func TestEvidenceScreenShowsNamesExactly(t *testing.T) {
	f := newFixture(t)
	inc := f.open("INC-2", "Malicious module")
	src := filepath.Join(t.TempDir(), "a\nb.wasm")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &actions.Runner{Incident: inc, Actor: "alice", Yes: true}
	if _, err := r.Run(context.Background(), &actions.Take{Store: actions.EvidenceStore(inc), Paths: []string{src}, Move: true, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	v := drive(t, f.model(160, 30), enter, typed("e")[0]).View()
	if !strings.Contains(v, `a%0Ab.wasm`) || !strings.Contains(v, `a\x0ab.wasm`) || strings.Contains(v, "a b.wasm") {
		t.Fatalf("evidence screen:\n%s", v)
	}
}
