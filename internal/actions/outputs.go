package actions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// CheckOutput refuses a path that is, or resolves (links included) to,
// anything inside one of the protected directories.
func CheckOutput(path string, protect []string) error {
	if len(protect) == 0 || path == "" || path == "-" {
		return nil
	}
	where, err := resolveOut(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range protect {
		for _, g := range resolvedBoth(p) {
			if within(where[0], g) || within(where[1], g) {
				return fmt.Errorf("%s %w", path, ErrProtectedOutput)
			}
		}
	}
	return nil
}

// resolveOut returns path made absolute, and with the links of its
// deepest existing ancestor (and of the path itself, if it is a link)
// resolved.
func resolveOut(path string) ([2]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return [2]string{}, err
	}
	rest := ""
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return [2]string{abs, filepath.Join(r, rest)}, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			// A dangling link or an unreadable directory: judge by the
			// text, and by where a dangling link points.
			if t, lerr := os.Readlink(cur); lerr == nil {
				if !filepath.IsAbs(t) {
					t = filepath.Join(filepath.Dir(cur), t)
				}
				return [2]string{abs, filepath.Join(t, rest)}, nil
			}
			return [2]string{abs, abs}, nil
		}
		if t, lerr := os.Readlink(cur); lerr == nil { // a dangling link
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(cur), t)
			}
			return [2]string{abs, filepath.Join(filepath.Clean(t), rest)}, nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return [2]string{abs, abs}, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func resolvedBoth(dir string) []string {
	a, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	out := []string{a}
	if r, err := filepath.EvalSymlinks(a); err == nil && r != a {
		out = append(out, r)
	}
	return out
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// Outputs: the key files.
func (g *GenerateKey) Outputs() []string { priv, pub := g.files(); return []string{priv, pub} }

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
