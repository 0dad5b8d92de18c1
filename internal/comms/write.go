package comms

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

// KindRendered is the journal event of a written message.
const KindRendered = "comms.rendered"

// DefaultPath is where a rendered message goes in an incident:
// comms/TEMPLATE-YYYYMMDDTHHMMSSZ.txt.
func DefaultPath(incidentDir, template string, now time.Time) string {
	return filepath.Join(incidentDir, "comms", template+"-"+now.UTC().Format("20060102T150405Z")+".txt")
}

// RenderedEntry is the event recording that a message was written, with
// the SHA-256 of what was written and the fields marked missing. The CLI
// and the console record the same event.
func RenderedEntry(actor, template, path, sha256Hex string, missing []string) journal.Entry {
	if missing == nil {
		missing = []string{}
	}
	return journal.Entry{Actor: actor, Kind: KindRendered, Summary: fmt.Sprintf("rendered %s into %s", template, filepath.Base(path)),
		Data: map[string]any{"template": template, "path": path, "sha256": sha256Hex, "missing": missing}}
}

// Clean is a rendered message as it is written and shown: every control
// character (but newlines and tabs), bidirectional override and byte that
// is not UTF-8 made visible. Incident data — a title, a fact, a file
// name — can carry terminal escapes (OSC 52, ESC[2J, OSC 8); a message
// file must not.
func Clean(text string) string { return textutil.Clean(text, true) }

// Write writes a cleaned message to a new file — path, or with unique the
// first free name path, path-2.txt …; with replace an existing file is
// replaced — and returns the path and the SHA-256 of what was written.
func Write(path, text string, unique, replace bool) (string, string, error) {
	if err := CheckSecrets(text); err != nil {
		return "", "", err
	}
	return fsutil.WriteNew(path, 0o600, unique, replace, func(w io.Writer) error {
		_, err := io.WriteString(w, Clean(text))
		return err
	})
}

// CheckSecrets refuses a message that holds a secret (a token given with
// --set, a key pasted into a fact): messages are sent to people.
func CheckSecrets(text string) error { return redact.Check("the rendered message", []byte(text)) }

// Sum is the hex SHA-256 of a rendered message.
func Sum(text string) string { return evidence.SumBytes([]byte(text)) }
