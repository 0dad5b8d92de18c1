package incident

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/playbooks"
)

func rewrite(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := edit(string(b))
	if out == string(b) {
		t.Fatalf("the edit of %s changed nothing", path)
	}
	os.Chmod(path, 0o600)
	if err := os.WriteFile(path, []byte(out), 0o400); err != nil {
		t.Fatal(err)
	}
}

// incident.json and playbook.yaml were covered by neither the chain nor a
// seal: turning a real incident into a drill (it vanished from the
// metrics), or editing guidance and fixing the digest in the header, still
// loaded and verified. The opening event now commits to both.
func TestHeaderAndSnapshotAreCommittedByTheOpeningEvent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, file string
		edit       func(t *testing.T, inc *Incident)
	}{
		{"header made a drill with a new title", HeaderFile, func(t *testing.T, inc *Incident) {
			rewrite(t, filepath.Join(inc.Dir, HeaderFile), func(s string) string {
				s = strings.Replace(s, `"drill": false`, `"drill": true`, 1)
				return strings.Replace(s, `"title": "prod key leaked"`, `"title": "just a drill"`, 1)
			})
		}},
		{"guidance edited and the digest fixed", HeaderFile, func(t *testing.T, inc *Incident) {
			pb := filepath.Join(inc.Dir, PlaybookFile)
			rewrite(t, pb, func(s string) string { return strings.Replace(s, "Isolate the key", "Ignore the key", 1) })
			b, _ := os.ReadFile(pb)
			p, err := playbooks.Parse(pb, b, playbooks.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rewrite(t, filepath.Join(inc.Dir, HeaderFile), func(s string) string {
				return strings.Replace(s, inc.Header.Playbook.Digest, p.Digest, 1)
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t)
			inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "prod key leaked", Actor: "alice", Facts: map[string]string{"key_path": "/k"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Load(inc.Header.ID); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			tc.edit(t, inc)
			_, err = w.Load(inc.Header.ID)
			if !errors.Is(err, ErrNotCommitted) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("edited %s loaded: %v", tc.file, err)
			}
		})
	}
}

// The commitment cannot be moved: editing the opening event breaks its
// hash, and removing the creator's journal leaves nothing to vouch for
// the header.
func TestOpeningEventCannotBeEditedOrRemoved(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t)
	inc, err := w.Open(ctx, OpenOptions{Playbook: inc1(t), Title: "prod key leaked", Actor: "alice", Facts: map[string]string{"key_path": "/k"}})
	if err != nil {
		t.Fatal(err)
	}
	jp := inc.Journal.Path("alice")
	rewrite(t, jp, func(s string) string { return strings.Replace(s, `"drill":false`, `"drill":true`, 1) })
	if _, err := w.Load(inc.Header.ID); err == nil || !strings.Contains(err.Error(), "content hash") {
		t.Fatalf("edited opening event: %v", err)
	}
	os.Remove(jp)
	if _, err := w.Load(inc.Header.ID); err == nil || !strings.Contains(err.Error(), "alice.jsonl") {
		t.Fatalf("removed creator journal: %v", err)
	}
}
