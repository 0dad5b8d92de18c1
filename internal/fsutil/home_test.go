package fsutil

import "testing"

func TestExpandHome(t *testing.T) {
	t.Setenv("HOME", "/home/responder")
	for in, want := range map[string]string{"~": "/home/responder", "~/.wsc/keys/a.sec": "/home/responder/.wsc/keys/a.sec",
		"~bob/x": "~bob/x", "/abs/~": "/abs/~", "rel": "rel", "": ""} {
		if got := ExpandHome(in); got != want {
			t.Errorf("ExpandHome(%q) = %q, want %q", in, got, want)
		}
	}
}
