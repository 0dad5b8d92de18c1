package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/redact"
)

// consoleLog opens the console's log: <home>/logs/console.log, appended,
// 0600 in a 0700 directory. The console's diagnostics go there, never to
// the screen. LOG_LEVEL (debug, info, warn, error; default info) and
// LOG_FORMAT (text or json; default text) configure it. The incident record
// is the journal, never this log, and no key material is ever logged.
func (a *invocation) consoleLog() (*slog.Logger, io.Closer, error) {
	var level slog.Level
	if v := a.getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, nil, withHint(fmt.Errorf("LOG_LEVEL=%q is not a level", v), "use debug, info, warn or error")
		}
	}
	dir := filepath.Join(a.home, "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("console log: %w", err)
	}
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		return nil, nil, fmt.Errorf("console log directory %s is a %s; refusing to write through it", dir, fsutil.TypeName(fi.Mode()))
	}
	path := filepath.Join(dir, "console.log")
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("console log %s is not a regular file (a link?); refusing to write through it", path)
	}
	f, err := fsutil.OpenOwn(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("console log: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	lw := redact.NewWriter(f) // slog writes whole lines: each is scrubbed
	var h slog.Handler = slog.NewTextHandler(lw, opts)
	switch strings.ToLower(a.getenv("LOG_FORMAT")) {
	case "", "text":
	case "json":
		h = slog.NewJSONHandler(lw, opts)
	default:
		f.Close()
		return nil, nil, withHint(fmt.Errorf("LOG_FORMAT=%q is not a format", a.getenv("LOG_FORMAT")), "use text or json")
	}
	return slog.New(h).With("pid", os.Getpid(), "actor", a.actor), f, nil
}
