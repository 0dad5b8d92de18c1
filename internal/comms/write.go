package comms

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/journal"
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

// Sum is the hex SHA-256 of a rendered message.
func Sum(text string) string { return evidence.SumBytes([]byte(text)) }
