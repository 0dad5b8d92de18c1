package redact

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"-----BEGIN PRIVATE KEY-----\nMC4CAQ", "a PEM private key"},
		{"x -----BEGIN ENCRYPTED PRIVATE KEY----- y", "a PEM private key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"},
		{"token ghp_" + strings.Repeat("a", 36), "a GitHub token"},
		{"github_pat_" + strings.Repeat("B", 40), "a GitHub token"},
		{"AKIAABCDEFGHIJKLMNOP", "an AWS access key id"},
		{"-----BEGIN PUBLIC KEY-----", ""},
		{"key id 4bb9e28df31c5283810a3e32", ""},
		{"ghp_short", ""},
	} {
		if got := Find([]byte(tc.in)); got != tc.want {
			t.Errorf("Find(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	err := Check("note", []byte("ghp_"+strings.Repeat("z", 40)))
	if err == nil || strings.Contains(err.Error(), "zzzz") || !strings.Contains(err.Error(), "note looks like") {
		t.Fatalf("Check: %v", err)
	}
}
