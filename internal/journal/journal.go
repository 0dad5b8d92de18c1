package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// fsyncs counts the fsync calls the package makes; benchmarks report it per
// event.
var fsyncs atomic.Int64

// Ext is the extension of an actor's journal file.
const Ext = ".jsonl"

// Journal is the journal directory of one incident.
type Journal struct {
	dir string
	// Now is the clock for logged times; nil means time.Now.
	Now func() time.Time
}

// New returns the journal kept in dir (incidents/<id>/journal). The directory
// is created by the first Append.
func New(dir string) *Journal { return &Journal{dir: dir} }

// Dir returns the journal directory.
func (j *Journal) Dir() string { return j.dir }

func (j *Journal) now() time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return time.Now().UTC()
}

// Path returns the file of actor.
func (j *Journal) Path(actor string) string { return filepath.Join(j.dir, actor+Ext) }

// TornError reports bytes after the last complete line of a file: the mark of
// a write cut short by a crash.
type TornError struct {
	File   string
	Offset int64 // where the torn bytes start
	Len    int64
}

func (e *TornError) Error() string {
	return fmt.Sprintf("%s: torn final line at byte offset %d (%d bytes without a newline)", e.File, e.Offset, e.Len)
}

// ErrTorn matches any *TornError with errors.Is.
var ErrTorn = errors.New("torn final line")

// Is lets errors.Is(err, ErrTorn) match.
func (e *TornError) Is(target error) bool { return target == ErrTorn }

// Actors lists the actors that have a journal file, sorted.
func (j *Journal) Actors() ([]string, error) {
	actors, _, err := j.files()
	return actors, err
}

// files lists the actors with a regular journal file, and the names of the
// entries that look like journal files but are something else (a symlink, a
// directory, a name no actor can have): Verify reports those.
func (j *Journal) files() (actors, odd []string, err error) {
	ents, err := os.ReadDir(j.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read journal: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, Ext) {
			// What repair sets aside is expected; anything else in the
			// journal directory is not firebreak's.
			if i := strings.Index(name, Ext+".torn"); i > 0 && e.Type().IsRegular() {
				continue
			}
			odd = append(odd, name)
			continue
		}
		actor := strings.TrimSuffix(name, Ext)
		if !e.Type().IsRegular() || !ValidActor(actor) {
			odd = append(odd, name)
			continue
		}
		if fi, err := e.Info(); err == nil && fsutil.Links(fi) > 1 {
			odd = append(odd, name)
			continue
		}
		actors = append(actors, actor)
	}
	sort.Strings(actors)
	sort.Strings(odd)
	return actors, odd, nil
}

// LossyUTF8 returns JSON text with every \ufffd escape — what
// encoding/json writes for bytes that are not UTF-8 — replaced by U+FFFD
// itself, and whether there was one. An escaped backslash followed by
// "ufffd" is text, not an escape, and is left alone. Append refuses data
// that needs this (it would not be recorded as given); a caller that must
// record anyway (an action's account quoting odd bytes) uses it first.
func LossyUTF8(raw []byte) ([]byte, bool) {
	esc := []byte(`\ufffd`)
	if !bytes.Contains(raw, esc) {
		return raw, false
	}
	var out []byte
	found := false
	for i := 0; i < len(raw); {
		k := bytes.Index(raw[i:], esc)
		if k < 0 {
			out = append(out, raw[i:]...)
			break
		}
		at := i + k
		run := 0 // backslashes before this one: odd means it is escaped itself
		for j := at - 1; j >= 0 && raw[j] == '\\'; j-- {
			run++
		}
		out = append(out, raw[i:at]...)
		if run%2 == 0 {
			out = append(out, "\uFFFD"...)
			found = true
		} else {
			out = append(out, esc...)
		}
		i = at + len(esc)
	}
	return out, found
}

// quoteBytes shows a string with every byte that is not printable UTF-8
// escaped, for error messages.
func quoteBytes(s string) string { return strconv.QuoteToASCII(s) }

// Append writes e to its actor's file as one whole line, fsyncs it, and
// returns the stored event. It holds an exclusive lock on the file for the
// whole read-head, write, sync sequence, so concurrent appenders (threads or
// processes) never interleave or fork the chain. It refuses to write after a
// torn final line (see Repair).
func (j *Journal) Append(ctx context.Context, in Entry) (Event, error) {
	if !ValidActor(in.Actor) {
		return Event{}, fmt.Errorf("append: actor %q is not a valid name (letters, digits, . _ @ -; at most 64)", in.Actor)
	}
	if !validKind(in.Kind) {
		return Event{}, fmt.Errorf("append: kind %q is not a dotted lowercase name", in.Kind)
	}
	if strings.ContainsAny(in.Summary, "\n\r") {
		return Event{}, errors.New("append: summary must be one line")
	}
	if !utf8.ValidString(in.Summary) {
		return Event{}, fmt.Errorf("append: summary %s is not UTF-8 text", quoteBytes(in.Summary))
	}
	if !utf8.ValidString(in.Step) {
		return Event{}, fmt.Errorf("append: step %s is not UTF-8 text", quoteBytes(in.Step))
	}
	var raw []byte
	if in.Data != nil {
		var err error
		if raw, err = json.Marshal(in.Data); err != nil {
			return Event{}, fmt.Errorf("append: encode data: %w", err)
		}
		if string(raw) == "null" {
			raw = nil
		}
		// encoding/json writes bytes that are not UTF-8 as the escape
		// \ufffd (a real U+FFFD it writes as itself): such text would be
		// recorded as something else than what was given.
		if _, lossy := LossyUTF8(raw); lossy {
			return Event{}, errors.New(`append: data holds text that is not UTF-8 (or the escape \ufffd); record such values as bytes`)
		}
	}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	if fi, err := os.Lstat(j.dir); err != nil || !fi.IsDir() {
		return Event{}, fmt.Errorf("append: the journal directory %s is not a directory of its own (a link?)", j.dir)
	}
	path := j.Path(in.Actor)
	f, created, err := openAppend(path)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	defer f.Close()
	if created {
		if err := fsutil.SyncDir(j.dir); err != nil {
			return Event{}, fmt.Errorf("append: %w", err)
		}
	}
	if err := fsutil.Lock(ctx, f); err != nil {
		return Event{}, fmt.Errorf("append: lock %s: %w", path, err)
	}
	defer fsutil.Unlock(f)

	head, size, err := readHead(f, path)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	e := Event{
		Seq: 1, Logged: j.now(), Actor: in.Actor, Kind: in.Kind, Step: in.Step,
		Summary: in.Summary, Data: raw,
	}
	if head != nil {
		e.Seq = head.Seq + 1
		e.Prev = head.ID
		// Keep logged strictly increasing within a file even if the clock
		// steps back.
		if !e.Logged.After(head.Logged) {
			e.Logged = head.Logged.Add(time.Nanosecond)
		}
	}
	e.At = in.At.UTC()
	if in.At.IsZero() {
		e.At = e.Logged
	}
	line, err := encodeLine(&e)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	if len(line) > MaxLine {
		return Event{}, fmt.Errorf("append: event is %d bytes, more than the %d a line may hold", len(line), MaxLine)
	}
	if n, err := f.Write(line); err != nil {
		// Never leave a partial line behind when the failure is ours to see
		// (ENOSPC, EIO): cut the file back to where it was.
		if n > 0 {
			_ = f.Truncate(size)
		}
		return Event{}, fmt.Errorf("append: write %s: %w", path, err)
	}
	fsyncs.Add(1)
	if err := f.Sync(); err != nil {
		return Event{}, fmt.Errorf("append: sync %s: %w", path, err)
	}
	return e, nil
}

func openAppend(path string) (*os.File, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, false, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, false, err
	}
	if err := checkOwnFile(f, path); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, false, nil
}

// checkOwnFile refuses an open journal file that is not a regular file with
// one name: a file hard-linked from elsewhere (evidence, another incident)
// would be appended to, cut or repaired through its journal name.
func checkOwnFile(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if n := fsutil.Links(fi); n > 1 {
		return fmt.Errorf("%s has %d hard links; a journal file has one (another name could be evidence or another record)", path, n)
	}
	return nil
}

// readHead returns the last event of the file and its size. A file that does
// not end in a newline has a torn tail: that is an error here.
func readHead(f *os.File, path string) (*Event, int64, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, err
	}
	if size == 0 {
		return nil, 0, nil
	}
	line, start, err := lastLine(f, size)
	if err != nil {
		// No line end anywhere near the end: a tail longer than any line.
		if cut, cerr := afterLastNewline(f, size); cerr == nil && cut < size {
			return nil, size, &TornError{File: path, Offset: cut, Len: size - cut}
		}
		return nil, size, fmt.Errorf("%s: %w", path, err)
	}
	if start+int64(len(line)) != size {
		// The last byte is not a newline.
		return nil, size, &TornError{File: path, Offset: start + int64(len(line)), Len: size - start - int64(len(line))}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	e, err := parseAny(line)
	if err != nil {
		return nil, size, fmt.Errorf("%s: last line (byte offset %d) is unreadable: %v; run \"firebreak timeline verify\"", path, start, err)
	}
	return &e, size, nil
}

// lastLine returns the last newline-terminated line of the file (newline
// included) and its offset. When the file does not end in a newline, it
// returns the last complete line and the caller sees the gap to size.
func lastLine(r io.ReaderAt, size int64) ([]byte, int64, error) {
	// Find the last newline, then the one before it.
	const chunk = 8192
	var buf []byte // bytes from pos to the end we have read
	pos := size
	lastNL := int64(-1)
	for pos > 0 {
		n := int64(chunk)
		if n > pos {
			n = pos
		}
		pos -= n
		b := make([]byte, n)
		if _, err := r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		buf = append(b, buf...)
		if size-pos > MaxLine*2 {
			return nil, 0, fmt.Errorf("no line end in the last %d bytes", size-pos)
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' {
				continue
			}
			at := pos + int64(i)
			if lastNL < 0 {
				lastNL = at
				continue
			}
			return buf[at-pos+1 : lastNL-pos+1], at + 1, nil
		}
	}
	if lastNL < 0 {
		return nil, 0, nil // no complete line at all: everything is torn
	}
	return buf[:lastNL+1], 0, nil
}

// Reader streams the events of one actor file with memory bounded by one
// line.
type Reader struct {
	path   string
	c      io.Closer
	br     *bufio.Reader
	off    int64 // offset of the next line
	lineNo int
	long   []byte
	torn   *TornError
	err    error // sticky: a line too long ends the read
}

// OpenFile opens an actor file for reading.
func OpenFile(path string) (*Reader, error) {
	// Not through a link, and never blocking on a pipe swapped in.
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		return nil, err
	}
	r := NewReader(path, f)
	r.c = f
	return r, nil
}

// NewReader reads the lines of an actor file from rd; name is used in
// reports.
func NewReader(name string, rd io.Reader) *Reader { return NewReaderSize(name, rd, 64<<10) }

// NewReaderSize is NewReader with a read buffer of size bytes.
func NewReaderSize(name string, rd io.Reader, size int) *Reader {
	return &Reader{path: name, br: bufio.NewReaderSize(rd, size)}
}

// Reset makes r read name from rd from the start, keeping its buffers: a
// pass over many files (a search across incidents) allocates them once.
// The caller closes what it opened.
func (r *Reader) Reset(name string, rd io.Reader) {
	r.br.Reset(rd)
	*r = Reader{path: name, br: r.br, long: r.long[:0]}
}

// Close closes the file, if the Reader opened one.
func (r *Reader) Close() error {
	if r.c == nil {
		return nil
	}
	return r.c.Close()
}

// Torn reports a torn tail once Next has returned io.EOF, or nil.
func (r *Reader) Torn() *TornError { return r.torn }

// Next returns the next complete line without its newline, its 1-based line
// number and byte offset. The slice is valid until the next call. At the end
// it returns io.EOF; bytes after the last newline are reported by Torn.
func (r *Reader) Next() (line []byte, lineNo int, off int64, err error) {
	if r.err != nil {
		return nil, r.lineNo + 1, r.off, r.err
	}
	r.long = r.long[:0]
	for {
		b, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(r.long)+len(b) > MaxLine {
				r.err = &lineTooLongError{}
				return nil, r.lineNo + 1, r.off, r.err
			}
			r.long = append(r.long, b...)
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				rest := int64(len(r.long) + len(b))
				if rest > 0 {
					r.torn = &TornError{File: r.path, Offset: r.off, Len: rest}
				}
				return nil, 0, 0, io.EOF
			}
			return nil, 0, 0, err
		}
		if len(r.long) > 0 {
			if len(r.long)+len(b) > MaxLine {
				r.err = &lineTooLongError{}
				return nil, r.lineNo + 1, r.off, r.err
			}
			r.long = append(r.long, b...)
			b = r.long
		}
		r.lineNo++
		off = r.off
		r.off += int64(len(b))
		return b[:len(b)-1], r.lineNo, off, nil
	}
}

type lineTooLongError struct{}

func (*lineTooLongError) Error() string { return fmt.Sprintf("line longer than %d bytes", MaxLine) }

// ReadAll reads every event of every actor file, in file order, and reports
// torn tails. It stops at the first unreadable line with an error naming it;
// use Verify to check the chains.
func (j *Journal) ReadAll() (map[string][]Event, []*TornError, error) {
	actors, err := j.Actors()
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string][]Event, len(actors))
	var torn []*TornError
	for _, a := range actors {
		evs, t, err := j.readActor(a)
		if err != nil {
			return nil, nil, err
		}
		out[a] = evs
		if t != nil {
			torn = append(torn, t)
		}
	}
	return out, torn, nil
}

func (j *Journal) readActor(actor string) ([]Event, *TornError, error) {
	path := j.Path(actor)
	r, err := OpenFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read journal: %w", err)
	}
	defer r.Close()
	var evs []Event
	for {
		line, n, off, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d (byte %d): %w", path, n, off, err)
		}
		e, err := parseAny(line)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d (byte %d): %w", path, n, off, err)
		}
		e.Data = append(json.RawMessage(nil), e.Data...)
		evs = append(evs, e)
	}
	return evs, r.Torn(), nil
}

// First reads the first event of actor's file and checks that its id is the
// hash of its content (the file's chain is Verify's business). The incident
// uses it to check what its opening event commits to.
func (j *Journal) First(actor string) (Event, error) {
	path := j.Path(actor)
	r, err := OpenFile(path)
	if err != nil {
		return Event{}, err
	}
	defer r.Close()
	line, n, off, err := r.Next()
	if errors.Is(err, io.EOF) {
		return Event{}, fmt.Errorf("%s: no complete event", path)
	}
	if err != nil {
		return Event{}, fmt.Errorf("%s:%d (byte %d): %w", path, n, off, err)
	}
	e, err := ParseLine(line)
	if err != nil {
		return Event{}, fmt.Errorf("%s:%d: %w", path, n, err)
	}
	if kind, detail, _ := check(&e, line, nil); kind != "" {
		return Event{}, fmt.Errorf("%s:%d: seq %d: %s: %s", path, n, e.Seq, kind, detail)
	}
	e.Data = append(json.RawMessage(nil), e.Data...)
	return e, nil
}

// FirstEvents returns the first event of every file in the journal
// directory that reads as a journal file — the odd ones too (a hard-linked
// file, a name no actor can have) — by file name. Files whose first line
// is not an event are left out.
func (j *Journal) FirstEvents() (map[string]Event, error) {
	ents, err := os.ReadDir(j.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	out := map[string]Event{}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), Ext) || !e.Type().IsRegular() {
			continue
		}
		r, err := OpenFile(filepath.Join(j.dir, e.Name()))
		if err != nil {
			continue
		}
		line, _, _, err := r.Next()
		if err == nil {
			if ev, perr := ParseLine(line); perr == nil {
				ev.Data = append(json.RawMessage(nil), ev.Data...)
				out[e.Name()] = ev
			}
		}
		r.Close()
	}
	return out, nil
}

// Timeline returns every event of every actor, merged in timeline order: by
// at, then logged, then actor and seq. Torn tails are reported, not read.
func (j *Journal) Timeline() ([]Event, []*TornError, error) {
	byActor, torn, err := j.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	n := 0
	for _, evs := range byActor {
		n += len(evs)
	}
	all := make([]Event, 0, n)
	for _, evs := range byActor {
		all = append(all, evs...)
	}
	SortTimeline(all)
	return all, torn, nil
}

// SortTimeline orders events by at, then logged, then actor, then seq.
func SortTimeline(evs []Event) {
	sort.SliceStable(evs, func(a, b int) bool { return timelineLess(&evs[a], &evs[b]) })
}

func timelineLess(x, y *Event) bool {
	kx, ky := keyOf(x), keyOf(y)
	return ByAt.less(&kx, &ky)
}

// SortLogged orders events by the time they were written: the order in which
// responders made their decisions, which is how state is derived.
func SortLogged(evs []Event) {
	sort.SliceStable(evs, func(a, b int) bool {
		kx, ky := keyOf(&evs[a]), keyOf(&evs[b])
		return ByLogged.less(&kx, &ky)
	})
}
