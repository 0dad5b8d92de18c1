package wasmsig

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Scan statuses.
const (
	StatusSignedByKey = "signed-by-key"
	StatusOthers      = "signed-by-others"
	StatusUnsigned    = "unsigned"
	StatusKeyless     = "keyless"
	StatusUnparseable = "unparseable"
	StatusUnreadable  = "unreadable"
)

// MaxModule is the largest file a scan reads.
const MaxModule = 512 << 20

// ScanResult is one file's outcome.
type ScanResult struct {
	Path   string `json:"path"`
	Status string `json:"status"`
	Size   int64  `json:"size"`
	// MatchedBy is "key-id" or "trial" (a record without a key id that
	// verifies with the public key), for signed-by-key.
	MatchedBy string `json:"matched_by,omitempty"`
	// Valid says, for signed-by-key, whether the key's signature still
	// covers the module's content.
	Valid  bool     `json:"valid,omitempty"`
	SHA256 string   `json:"sha256,omitempty"` // of the whole file, for signed-by-key with --sha256
	KeyIDs []string `json:"key_ids,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Scanner finds modules signed by one key.
type Scanner struct {
	KeyID []byte
	Pub   ed25519.PublicKey // optional: enables trial verification
	Jobs  int
	// FileHash adds each matching module's whole-file SHA-256.
	FileHash bool
	Report   func(done, total int)
}

// scanPrefix is how much of a module ScanFile reads up front: the header
// and a signature section fit in it nearly always.
const scanPrefix = 64 << 10

var scanBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// ScanFile classifies one file. It reads the header and the signature
// section, walks the other sections' headers without reading their
// contents, and reads the rest only to hash it when the key's signature is
// there (to say whether it still matches the content).
func (sc *Scanner) ScanFile(path string) ScanResult {
	r := ScanResult{Path: path}
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		r.Status, r.Error = StatusUnreadable, err.Error()
		return r
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		r.Status, r.Error = StatusUnreadable, "not a regular file"
		if err != nil {
			r.Error = err.Error()
		}
		return r
	}
	r.Size = fi.Size()
	bp := scanBufs.Get().(*[]byte)
	defer scanBufs.Put(bp)
	buf := *bp
	n, err := io.ReadFull(f, buf[:min(int64(scanPrefix), r.Size)])
	if err != nil {
		r.Status, r.Error = StatusUnreadable, err.Error()
		return r
	}
	prefix := buf[:n]
	sec, contentStart, err := firstSection(f, prefix, r.Size)
	if err == nil {
		err = walkHeaders(f, contentStart, r.Size)
	}
	if err != nil {
		r.Status, r.Error = StatusUnparseable, err.Error()
		return r
	}
	if sec == nil || !sec.IsCustom(SignatureSection) {
		r.Status = StatusUnsigned
		return r
	}
	sd, err := ParseSignatureData(sec.Data, sec.Offset+sec.Size-int64(len(sec.Data)))
	if errors.Is(err, ErrKeyless) {
		r.Status = StatusKeyless
		return r
	}
	if err != nil {
		r.Status, r.Error = StatusUnparseable, "signature section: "+err.Error()
		return r
	}
	r.Status = StatusOthers
	var matched []*Set
	for i := range sd.Sets {
		set := &sd.Sets[i]
		hit := false
		for _, rec := range set.Records {
			if len(rec.KeyID) > 0 {
				r.KeyIDs = appendUnique(r.KeyIDs, hex.EncodeToString(rec.KeyID))
			}
			if !RecordMatches(rec, set, sc.Pub, sc.KeyID) {
				continue
			}
			hit = true
			if len(rec.KeyID) > 0 {
				r.MatchedBy = "key-id"
			} else if r.MatchedBy == "" {
				r.MatchedBy = "trial"
			}
		}
		if hit {
			matched = append(matched, set)
		}
	}
	if len(matched) == 0 {
		return r
	}
	r.Status = StatusSignedByKey
	// One pass over the file: the content hash (after the signature
	// section) and, when asked, the whole file's.
	content := sha256.New()
	var whole hash.Hash
	if sc.FileHash {
		whole = sha256.New()
		whole.Write(prefix[:min(int64(len(prefix)), contentStart)])
	}
	if err := hashFrom(f, contentStart, prefix, buf, content, whole); err != nil {
		r.Status, r.Error = StatusUnreadable, err.Error()
		return r
	}
	var c [32]byte
	content.Sum(c[:0])
	for _, set := range matched {
		for _, h := range set.Hashes {
			r.Valid = r.Valid || h == c
		}
	}
	if whole != nil {
		r.SHA256 = hex.EncodeToString(whole.Sum(nil))
	}
	return r
}

// firstSection checks the header and reads the first section in full (the
// signature section, when there is one). It returns where the content after
// it starts.
func firstSection(f *os.File, prefix []byte, size int64) (*Section, int64, error) {
	if len(prefix) < 8 {
		_, err := Parse(prefix)
		return nil, 0, err
	}
	if size == 8 {
		_, err := Parse(prefix)
		return nil, 8, err
	}
	id := prefix[8]
	if id >= 0x80 {
		return nil, 0, &ParseError{8, fmt.Sprintf("section id 0x%02x is not a 1-byte LEB128", id)}
	}
	if _, err := Parse(prefix[:8]); err != nil {
		return nil, 0, err
	}
	sz, k, _, err := readLEB(prefix[9:], 9)
	if err != nil {
		if int64(len(prefix)) < size {
			return nil, 0, &ParseError{9, "section size runs past the data read"}
		}
		return nil, 0, err
	}
	end := int64(9+k) + int64(sz)
	if end > size {
		return nil, 0, &ParseError{8, fmt.Sprintf("section 0 says it is %d bytes but only %d remain", sz, size-int64(9+k))}
	}
	if id != 0 {
		return nil, 8, nil // not a custom section, so not a signature: walked with the rest
	}
	head := prefix
	if end > int64(len(prefix)) {
		if end > 8+MaxSlice+16 {
			return nil, 8, nil // far too large for a signature section: walk it as content
		}
		head = make([]byte, end)
		if _, err := f.ReadAt(head, 0); err != nil {
			return nil, 0, err
		}
	}
	m, err := Parse(head[:end])
	if err != nil {
		return nil, 0, err
	}
	if !m.Sections[0].IsCustom(SignatureSection) {
		return nil, 8, nil
	}
	return &m.Sections[0], end, nil
}

// walkHeaders checks the sections from off to size by their headers alone:
// ids, sizes within the file, custom names as UTF-8.
func walkHeaders(f *os.File, off, size int64) error {
	var hdr [16]byte
	for off < size {
		n, err := f.ReadAt(hdr[:min(int64(len(hdr)), size-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		b := hdr[:n]
		if b[0] >= 0x80 {
			return &ParseError{off, fmt.Sprintf("section id 0x%02x is not a 1-byte LEB128", b[0])}
		}
		sz, k, _, err := readLEB(b[1:], off+1)
		if err != nil {
			return err
		}
		payload := off + 1 + int64(k)
		if int64(sz) > size-payload {
			return &ParseError{off, fmt.Sprintf("section says it is %d bytes but only %d remain", sz, size-payload)}
		}
		if b[0] == 0 {
			nl, nk, _, err := readLEB(b[1+k:], payload)
			if err != nil {
				return err
			}
			if uint64(nl)+uint64(nk) > uint64(sz) {
				return &ParseError{payload, fmt.Sprintf("custom section name of %d bytes runs past its section", nl)}
			}
			name := make([]byte, nl)
			if _, err := f.ReadAt(name, payload+int64(nk)); err != nil {
				return err
			}
			if !utf8.Valid(name) {
				return &ParseError{payload + int64(nk), "custom section name is not valid UTF-8"}
			}
		}
		off = payload + int64(sz)
	}
	return nil
}

// hashFrom feeds the file from off to the end into content (and the whole
// file, from where the prefix left off, into whole), reusing buf.
func hashFrom(f *os.File, off int64, prefix, buf []byte, content, whole hash.Hash) error {
	// What the prefix already holds past off.
	if off < int64(len(prefix)) {
		content.Write(prefix[off:])
		if whole != nil {
			whole.Write(prefix[off:])
		}
		off = int64(len(prefix))
	}
	for {
		n, err := f.ReadAt(buf, off)
		if n > 0 {
			content.Write(buf[:n])
			if whole != nil {
				whole.Write(buf[:n])
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// Walk lists the files to scan under roots: every *.wasm in directories
// (symlinks to directories are skipped, symlinks to files followed), and
// any file named directly. Unreadable directories become unreadable results.
func Walk(roots []string) ([]string, []ScanResult) {
	var files []string
	var bad []ScanResult
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			bad = append(bad, ScanResult{Path: root, Status: StatusUnreadable, Error: err.Error()})
			continue
		}
		if !fi.IsDir() {
			files = append(files, root)
			continue
		}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				bad = append(bad, ScanResult{Path: p, Status: StatusUnreadable, Error: err.Error()})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() || !strings.HasSuffix(strings.ToLower(d.Name()), ".wasm") {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				t, err := os.Stat(p)
				if err != nil || t.IsDir() {
					return nil // a dangling link or a link to a directory
				}
				if !t.Mode().IsRegular() {
					bad = append(bad, ScanResult{Path: p, Status: StatusUnreadable, Error: "a link to a " + fsutil.TypeName(t.Mode()) + ", not a module file"})
					return nil
				}
			} else if !d.Type().IsRegular() {
				// A pipe or a device named *.wasm is not skipped in
				// silence: the scan did not cover it.
				bad = append(bad, ScanResult{Path: p, Status: StatusUnreadable, Error: "a " + fsutil.TypeName(d.Type()) + ", not a module file"})
				return nil
			}
			files = append(files, p)
			return nil
		})
	}
	return files, bad
}

// Scan classifies files in parallel and returns the results sorted by path.
func (sc *Scanner) Scan(ctx context.Context, files []string) ([]ScanResult, error) {
	jobs := sc.Jobs
	if jobs <= 0 {
		jobs = 2 * runtime.GOMAXPROCS(0)
	}
	out := make([]ScanResult, len(files))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				out[i] = sc.ScanFile(files[i])
				d := done.Add(1)
				if sc.Report != nil && d%64 == 0 {
					sc.Report(int(d), len(files))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sc.Report != nil {
		sc.Report(len(files), len(files))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Summary counts results by status.
func Summary(rs []ScanResult) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m[r.Status]++
	}
	return m
}
