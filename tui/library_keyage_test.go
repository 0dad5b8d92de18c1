package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/app"
	"github.com/firebreak-dev/firebreak/playbooks"
	"github.com/firebreak-dev/firebreak/tui/styles"
)

// TestLibraryShowsKeyAge: the playbook that checks the key's age (ROTATION)
// says when its rotation is due, from the incidents' last measurement —
// the latest date, the current key's.
func TestLibraryShowsKeyAge(t *testing.T) {
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rot, _ := lib.Get("ROTATION")
	inc1, _ := lib.Get("INC-1")
	l := newLibrary(styles.New(false), lib)
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	text := func(p *playbooks.Playbook) string { return strings.Join(l.detail(p, 120), "\n") }
	if !strings.Contains(text(rot), "not measured yet") {
		t.Fatalf("unmeasured: %s", text(rot))
	}
	l.setRotation([]app.Summary{{ID: "old-key", RotationDue: now.AddDate(0, -6, 0)}, {ID: "2026-11-30-rotation", RotationDue: now.AddDate(0, 0, -3)}, {ID: "none"}}, now)
	if got := text(rot); !strings.Contains(got, "ROTATION DUE since 2026-11-29 (3d0h ago)\nas measured in 2026-11-30-rotation") {
		t.Fatalf("due: %s", got)
	}
	l.setRotation([]app.Summary{{ID: "r", RotationDue: now.AddDate(0, 0, 40)}}, now)
	if got := text(rot); !strings.Contains(got, "rotation due on 2027-01-11 (40d0h left)") {
		t.Fatalf("not due: %s", got)
	}
	if strings.Contains(text(inc1), "Signing key age") {
		t.Fatal("shown on a playbook that does not check it")
	}
}
