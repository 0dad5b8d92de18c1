package fsutil

import (
	"os"
	"path/filepath"
	"strings"
)

// ExpandHome expands a leading ~/ (or a lone ~) to the user's home
// directory, as a shell would: the forms' hints say ~/.wsc/keys/…, and a
// path typed into the console never passes through a shell. ~user and a
// ~ anywhere else are left as they are.
func ExpandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}
