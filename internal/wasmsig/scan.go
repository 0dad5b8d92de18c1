package wasmsig

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	SHA256 string   `json:"sha256,omitempty"` // of the whole file, for signed-by-key
	KeyIDs []string `json:"key_ids,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Scanner finds modules signed by one key.
type Scanner struct {
	KeyID  []byte
	Pub    ed25519.PublicKey // optional: enables trial verification
	Jobs   int
	Report func(done, total int)
}

// ScanFile classifies one file.
func (sc *Scanner) ScanFile(path string) ScanResult {
	r := ScanResult{Path: path}
	raw, err := readModule(path)
	if err != nil {
		r.Status, r.Error = StatusUnreadable, err.Error()
		return r
	}
	r.Size = int64(len(raw))
	m, err := Parse(raw)
	if err != nil {
		r.Status, r.Error = StatusUnparseable, err.Error()
		return r
	}
	sec := m.SignatureSectionOf()
	if sec == nil {
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
	content := sha256.Sum256(raw[sec.Offset+sec.Size:])
	for _, set := range matched {
		for _, h := range set.Hashes {
			r.Valid = r.Valid || h == content
		}
	}
	whole := sha256.Sum256(raw)
	r.SHA256 = hex.EncodeToString(whole[:])
	return r
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func readModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > MaxModule {
		return nil, fmt.Errorf("%d bytes is more than the %d a module may be", fi.Size(), MaxModule)
	}
	b := make([]byte, fi.Size())
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return b[:n], nil // a file that shrank while read: what is there
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
				if err != nil || !t.Mode().IsRegular() {
					return nil // a dangling link or a link to a directory
				}
			} else if !d.Type().IsRegular() {
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
