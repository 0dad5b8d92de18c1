package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/redact"
)

// commitLocal stages every synced file this machine added or extended and
// commits exactly those, after checking each change is growth, a journal
// ends with a whole line, a message or export is one the journal recorded,
// and nothing holds a secret.
func commitLocal(ctx context.Context, o *Options, r *gitrepo.Repo, rep *Report) error {
	if err := checkLayout(o.Home); err != nil {
		return err
	}
	hasHead := headExists(ctx, r)
	// Only what firebreak stages is committed: anything staged by hand
	// (git add -A, a forced add of evidence) is unstaged first.
	reset := []string{"read-tree", "--empty"}
	if hasHead {
		reset = []string{"read-tree", "HEAD"}
	}
	if _, err := r.Run(ctx, reset...); err != nil {
		return err
	}
	status := func() ([]byte, error) {
		return r.Run(ctx, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
	}
	out, err := status()
	if err != nil {
		return err
	}
	if o.SealKey != nil {
		var changed []string
		for _, rec := range strings.Split(string(out), "\x00") {
			if len(rec) >= 4 && !strings.Contains(rec[:2], "D") {
				changed = append(changed, rec[3:])
			}
		}
		if err := sealOwn(ctx, o, changed); err != nil {
			return err
		}
		if out, err = status(); err != nil {
			return err
		}
	}
	head := map[string]treeEntry{}
	if hasHead {
		if head, err = tree(ctx, r, "HEAD"); err != nil {
			return err
		}
	}
	var stage []string
	var finder redact.Finder
	recorded := map[string]map[string]bool{} // incident -> "comms/NAME sha256" the journal recorded
	for _, rec := range strings.Split(string(out), "\x00") {
		if len(rec) < 4 {
			continue
		}
		code, p := rec[:2], rec[3:]
		kind := Classify(p)
		if kind == NotSynced {
			rep.Skipped = append(rep.Skipped, p)
			continue
		}
		full := filepath.Join(o.Home, filepath.FromSlash(p))
		if strings.Contains(code, "D") {
			return &RefusedError{Path: p, Reason: "was deleted from this home since the last sync; the record only grows, so nothing was committed", Hint: "restore it: git -C " + o.Home + " checkout -- " + p}
		}
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return &RefusedError{Path: p, Reason: fmt.Sprintf("is a %s, not a file firebreak wrote; nothing was committed", fsutil.TypeName(fi.Mode())), Hint: "remove it from the home"}
		}
		if fi.Size() > gitrepo.MaxOutput-(1<<20) {
			// Over what a blob may be here: the rest of the home still
			// syncs; this file stays on this machine, and is named.
			rep.TooLarge = append(rep.TooLarge, p)
			continue
		}
		was, tracked := head[p]
		switch {
		case tracked && kind == Record:
			return &RefusedError{Path: p, Reason: "was replaced since the last sync (export --force?); messages and exports are written once, so nothing was committed",
				Hint: "keep the new one under another name (mv it out of the folder), then restore the synced one: git -C " + o.Home + " checkout -- " + p}
		case tracked && kind != Journal:
			return &RefusedError{Path: p, Reason: "was changed since the last sync, and it is written once; nothing was committed", Hint: "restore it: git -C " + o.Home + " checkout -- " + p}
		case tracked:
			if err := checkExtends(ctx, r, was.oid, full, p); err != nil {
				return err
			}
		}
		if kind == Journal {
			if err := checkWhole(full, p); err != nil {
				return err
			}
		}
		if kind == Record {
			id := incidentOf(p)
			if recorded[id] == nil {
				if recorded[id], err = recordedFiles(filepath.Join(o.Home, "incidents", id, "journal")); err != nil {
					return err
				}
			}
			sum, err := fileSHA256(full)
			if err != nil {
				return err
			}
			if !recorded[id][recordKey(p, sum)] {
				// Not the record: a file put there by hand (a draft, a
				// copy) stays on this machine.
				rep.Skipped = append(rep.Skipped, p)
				continue
			}
		}
		if what, err := scanFile(&finder, full); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		} else if what != "" {
			return &RefusedError{Path: p, Reason: "looks like it holds " + what + "; secrets never leave this machine, so nothing was committed", Hint: "find the line with firebreak timeline verify, and keep the secret out of the record"}
		}
		stage = append(stage, p)
	}
	if len(stage) == 0 {
		return nil
	}
	sort.Strings(stage)
	// Journals this machine commits first are its own: their evidence
	// bytes are here (LocalActors).
	var mine []string
	for _, p := range stage {
		if _, tracked := head[p]; !tracked && Classify(p) == Journal {
			mine = append(mine, p)
		}
	}
	if err := addLocal(o.Home, mine); err != nil {
		return err
	}
	if _, err := r.RunWith(ctx, nil, []byte(strings.Join(stage, "\x00")), "add", "--pathspec-from-file=-", "--pathspec-file-nul", "--"); err != nil {
		return err
	}
	msg := fmt.Sprintf("firebreak sync: %s: %d file(s)\n\n%s\n", o.Actor, len(stage), listPaths(stage, 20))
	if _, err := r.RunWith(ctx, gitDate(o.now(), r), []byte(msg), "commit", "-q", "--no-verify", "--no-gpg-sign", "-F", "-"); err != nil {
		return err
	}
	rep.Committed = stage
	return nil
}

// listPaths is up to n paths, one per line, and how many more.
func listPaths(ps []string, n int) string {
	if len(ps) <= n {
		return strings.Join(ps, "\n")
	}
	return strings.Join(ps[:n], "\n") + fmt.Sprintf("\n… and %d more", len(ps)-n)
}

func headExists(ctx context.Context, r *gitrepo.Repo) bool {
	_, err := r.Run(ctx, "rev-parse", "-q", "--verify", "HEAD")
	return err == nil
}

// checkLayout refuses a home whose record folders are links: git would
// not look inside them (their incidents would never be synced) and a
// merge may replace them.
func checkLayout(home string) error {
	dir := filepath.Join(home, "incidents")
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	bad := func(p string, fi fs.FileInfo) error {
		return &RefusedError{Path: p, Reason: fmt.Sprintf("is a %s, not a folder: sync keeps the record in the home itself; nothing was committed", fsutil.TypeName(fi.Mode())), Hint: "put the folder itself in the home (move it back, remove the link)"}
	}
	if !fi.IsDir() {
		return bad("incidents", fi)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !idRe().MatchString(e.Name()) {
			continue
		}
		p := "incidents/" + e.Name()
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return bad(p, fi)
		}
		if !fi.IsDir() {
			continue
		}
		for _, sub := range []string{"journal", "comms", "exports"} {
			if fi, err := os.Lstat(filepath.Join(dir, e.Name(), sub)); err == nil && !fi.IsDir() {
				return bad(p+"/"+sub, fi)
			}
		}
	}
	return nil
}

// checkWhole refuses a journal whose last line is torn (no newline): it
// would be synced as a chain that cannot be extended.
func checkWhole(full, p string) error {
	f, err := fsutil.OpenRegularNoFollow(full)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		return &RefusedError{Path: p, Reason: "ends with a torn line (a write cut short); nothing was committed", Hint: "set it aside first: firebreak timeline repair " + incidentOf(p)}
	}
	return nil
}

// recordKey names a message or export by folder, name and content.
func recordKey(p, sha string) string {
	parts := strings.Split(p, "/")
	return parts[len(parts)-2] + "/" + parts[len(parts)-1] + " " + sha
}

// recordedFiles lists the messages and exports a journal directory
// recorded (comms.rendered, export.made: the file's path and SHA-256),
// streaming its files and parsing only those lines.
func recordedFiles(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), journal.Ext) {
			continue
		}
		if err := recordedIn(filepath.Join(dir, e.Name()), out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func recordedIn(file string, out map[string]bool) error {
	rd, err := journal.OpenFile(file)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		line, _, _, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // verification names a bad line
		}
		if !bytes.Contains(line, []byte(`"kind":"comms.rendered"`)) && !bytes.Contains(line, []byte(`"kind":"export.made"`)) {
			continue
		}
		e, err := journal.ParseLine(line)
		if err != nil {
			continue
		}
		var d struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Path == "" || d.SHA256 == "" {
			continue
		}
		slash := filepath.ToSlash(d.Path)
		out[path.Base(path.Dir(slash))+"/"+path.Base(slash)+" "+d.SHA256] = true
	}
}

func fileSHA256(full string) (string, error) {
	f, err := fsutil.OpenRegularNoFollow(full)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func gitDate(at time.Time, r *gitrepo.Repo) []string {
	d := at.UTC().Format(time.RFC3339)
	return append(r.Ident(), "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
}

// scanFile runs the redaction filter over a file as a stream.
func scanFile(finder *redact.Finder, path string) (string, error) {
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return finder.Find(f)
}

// checkExtends refuses a journal file that is not the committed version
// plus whole lines.
func checkExtends(ctx context.Context, r *gitrepo.Repo, oid, full, p string) error {
	old, err := blob(ctx, r, oid)
	if err != nil {
		return err
	}
	f, err := fsutil.OpenRegularNoFollow(full)
	if err != nil {
		return err
	}
	defer f.Close()
	cur := make([]byte, len(old))
	n, err := io.ReadFull(f, cur)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if n < len(old) || !bytes.Equal(cur, old) {
		return &RefusedError{Path: p, Reason: "no longer begins with the events already synced (rewritten or cut short); nothing was committed", Hint: "firebreak timeline verify ID names the first bad event; the synced version is in git: git -C HOME show HEAD:" + p}
	}
	return nil
}

// blob reads one object by id.
func blob(ctx context.Context, r *gitrepo.Repo, oid string) ([]byte, error) {
	var data []byte
	err := r.Blobs(ctx, []string{oid}, func(_ int, b []byte, ok bool) error {
		if !ok {
			return fmt.Errorf("object %s is missing", oid)
		}
		data = b
		return nil
	})
	return data, err
}
