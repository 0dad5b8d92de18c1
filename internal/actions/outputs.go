package actions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Writer is an action that writes (or rewrites) files a person named. The
// Runner checks every one against its Protect list before anything runs:
// no action may write into the firebreak home, whatever path, name or link
// it is given.
type Writer interface {
	Outputs() []string
}

// ErrProtectedOutput is a write refused because the path is inside the
// firebreak home.
var ErrProtectedOutput = errors.New("is inside the firebreak home, which holds the incident record (headers, journals, playbook snapshots, evidence); firebreak never writes there on request")

// CheckOutput refuses a path that is, or resolves to (links followed as the
// kernel follows them, ".." after a link included), anything inside one of
// the protected directories.
func CheckOutput(path string, protect []string) error {
	if path == "" || path == "-" {
		return nil
	}
	var where []string
	for _, resolve := range []func(string) (string, error){fsutil.Resolve, fsutil.ResolveParent} {
		w, err := resolve(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		where = append(where, w)
	}
	for _, p := range protect {
		g, err := fsutil.Resolve(p)
		if err != nil {
			return err
		}
		for _, w := range where {
			if fsutil.Within(w, g) {
				return fmt.Errorf("%s %w", path, ErrProtectedOutput)
			}
		}
	}
	// Any firebreak incident, not only this home's: a second home (a
	// copy, a moved one, a colleague's) holds a record too.
	for _, w := range where {
		if d, ok := insideIncident(w); ok {
			return &incidentOutputError{path: path, dir: d}
		}
	}
	return nil
}

// Outputs: the key files.
// Inside an incident's newkeys/ (Dir set: a place firebreak chose, one
// name in a real directory, written with O_EXCL) there is nothing a person
// named to check.
func (g *GenerateKey) Outputs() []string {
	if g.Dir != "" {
		return nil
	}
	priv, pub := g.files()
	return []string{priv, pub}
}

// Outputs: the signature.
func (s *SignFile) Outputs() []string { return []string{s.Out} }

// Outputs: the manifest and its signature.
func (m *MakeChecksums) Outputs() []string { return []string{m.Out, m.SigOut} }

// Outputs: the module and the detached signature.
func (s *SignModule) Outputs() []string { return []string{s.Out, s.Detached} }

// Outputs: every module rewritten (known once planned).
func (r *ResignModules) Outputs() []string {
	out := []string{r.OutDir}
	for _, t := range r.todo {
		out = append(out, t.Out)
	}
	return out
}

// Outputs: the files whose pins are rewritten.
func (u *UpdatePins) Outputs() []string { return u.Files }

// Outputs: the workflow files rewritten.
func (u *UseSecret) Outputs() []string { return u.Files }

// Outputs: the files restored.
func (r *RestoreFiles) Outputs() []string {
	if r.Repo == nil {
		return nil
	}
	out := []string{r.Repo.Dir}
	for _, p := range r.Paths {
		out = append(out, filepath.Join(r.Repo.Dir, filepath.FromSlash(p)))
	}
	return out
}

// insideIncident finds an incident directory (incident.json beside a
// journal/ directory) among p's ancestors, or p itself.
func insideIncident(p string) (string, bool) {
	for d := p; ; {
		if fi, err := os.Lstat(filepath.Join(d, "incident.json")); err == nil && fi.Mode().IsRegular() {
			if fj, err := os.Lstat(filepath.Join(d, "journal")); err == nil && fj.IsDir() {
				return d, true
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// incidentOutputError: a write refused inside some firebreak incident's
// directory; it is an ErrProtectedOutput.
type incidentOutputError struct{ path, dir string }

func (e *incidentOutputError) Error() string {
	return e.path + " is inside the firebreak incident " + e.dir + ", which holds an incident record (header, journals, playbook snapshot, evidence); firebreak never writes there on request"
}

func (e *incidentOutputError) Is(target error) bool { return target == ErrProtectedOutput }
