package actions

import (
	"testing"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
)

func TestFailuresListEverySubject(t *testing.T) {
	f := sigstore.Finding{Path: "/r/x.sigstore.json", Artifact: "a.tgz", Digest: "sha256:aa", Identity: "i@x"}
	if got := failures(f); len(got) != 1 || got[0].Artifact != "a.tgz" || got[0].File != "x.sigstore.json" {
		t.Fatalf("one: %+v", got)
	}
	f.Subjects = []sigstore.Subject{
		{Name: "a.tgz", Digests: []sigstore.Digest{{Algorithm: "sha256", Hex: "aa"}}},
		{Name: "evil-\x1b[31mbackdoor.tgz", Digests: []sigstore.Digest{{Algorithm: "sha512", Hex: "bb"}}},
	}
	got := failures(f)
	if len(got) != 2 || got[1].Artifact != `evil-\x1b[31mbackdoor.tgz` || got[1].Digest != "sha512:bb" || got[1].Identity != "i@x" {
		t.Fatalf("two: %+v", got)
	}
}
