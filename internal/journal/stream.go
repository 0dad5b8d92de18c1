package journal

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Streaming reads the whole journal in order with memory that does not grow
// with its length. Every actor file is already in order, or nearly: each
// file is in the order its lines were written (logged), and a responder
// back-dates an event now and then (at). A snapshot reads each file once to
// find the lines that are out of its own order — the back-dated ones — and
// keeps only their keys and offsets; a stream then merges the files, each
// read in sequence without those lines, with those lines sorted and read
// back by offset. Memory is one read buffer per file and a few dozen bytes
// per line out of order, never the events.

// Order is an order in which a Snapshot delivers events.
type Order int

const (
	// ByAt is timeline order: when it happened as the responder gave it
	// (at), then logged, actor and seq — the order Timeline returns.
	ByAt Order = iota
	// ByLogged is the order the events were written: logged, then actor
	// and seq — the order state is derived in (SortLogged).
	ByLogged
	orders
)

func (o Order) String() string {
	if o == ByLogged {
		return "logged"
	}
	return "at"
}

// key is what an order compares.
type key struct {
	at, logged time.Time
	actor      string
	seq        int64
}

func keyOf(e *Event) key { return key{at: e.At, logged: e.Logged, actor: e.Actor, seq: e.Seq} }

func (o Order) less(x, y *key) bool {
	if o == ByAt && !x.at.Equal(y.at) {
		return x.at.Before(y.at)
	}
	if !x.logged.Equal(y.logged) {
		return x.logged.Before(y.logged)
	}
	if x.actor != y.actor {
		return x.actor < y.actor
	}
	return x.seq < y.seq
}

// outOfOrder is a line that comes before an earlier line of its own file in
// some order: its key and where it is.
type outOfOrder struct {
	key
	file int
	off  int64
	n    int32
	line int
}

// snapFile is one actor file of a snapshot.
type snapFile struct {
	path   string
	f      *os.File
	end    int64 // the complete lines when the snapshot was taken
	events int
	torn   *TornError
	out    [orders][]outOfOrder // in file order
}

// A Snapshot is the journal's actor files as they were when it was taken:
// events appended later are not read. Close it when done.
type Snapshot struct {
	files  []*snapFile
	events int
	torn   []*TornError
}

// Snapshot opens every actor file and reads each once, keeping where its
// lines are out of order. Like ReadAll, it stops at the first unreadable
// line with an error naming it; torn tails are reported, not read.
func (j *Journal) Snapshot(ctx context.Context) (*Snapshot, error) {
	actors, err := j.Actors()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{}
	for _, a := range actors {
		if err := ctx.Err(); err != nil {
			s.Close()
			return nil, err
		}
		sf, torn, err := planFile(j.Path(a), len(s.files))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.files = append(s.files, sf)
		s.events += sf.events
		if torn != nil {
			s.torn = append(s.torn, torn)
		}
	}
	return s, nil
}

// planFile opens one actor file and finds its lines out of order.
func planFile(path string, idx int) (*snapFile, *TornError, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read journal: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("read journal: %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read journal: %w", err)
	}
	sf := &snapFile{path: path, f: f}
	r := NewReader(path, f)
	var last [orders]key
	for {
		line, n, off, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			var k key
			if k, err = lineKey(line); err == nil {
				for o := range orders {
					if sf.events > 0 && o.less(&k, &last[o]) {
						sf.out[o] = append(sf.out[o], outOfOrder{key: k, file: idx, off: off, n: int32(len(line)), line: n})
						continue
					}
					last[o] = k
				}
				sf.events++
				sf.end = r.off
				continue
			}
		}
		f.Close()
		return nil, nil, fmt.Errorf("%s:%d (byte %d): %w", path, n, off, err)
	}
	sf.torn = r.Torn()
	return sf, sf.torn, nil
}

// lineKey reads the members an order compares, from the head of a
// canonical line without decoding the rest; any other line is parsed.
func lineKey(line []byte) (key, error) {
	c := &cursor{b: line, ok: true}
	c.lit(`{"seq":`)
	seq := c.int()
	c.lit(`,"id":`)
	c.skipStr()
	c.lit(`,"prev":`)
	c.skipStr()
	c.lit(`,"logged":`)
	logged := c.stamp()
	c.lit(`,"at":`)
	at := c.stamp()
	c.lit(`,"actor":`)
	actor := c.str()
	if c.ok && seq >= 1 && ValidActor(actor) {
		return key{at: at, logged: logged, actor: actor, seq: seq}, nil
	}
	e, err := parseAny(line)
	if err != nil {
		return key{}, err
	}
	return keyOf(&e), nil
}

// file is the snapshot's file at path, or nil.
func (s *Snapshot) file(path string) *snapFile {
	for _, sf := range s.files {
		if sf.path == path {
			return sf
		}
	}
	return nil
}

// Events is how many events the snapshot holds.
func (s *Snapshot) Events() int { return s.events }

// Torn is the torn tails found when the snapshot was taken.
func (s *Snapshot) Torn() []*TornError { return s.torn }

// Close closes the files.
func (s *Snapshot) Close() error {
	var first error
	for _, sf := range s.files {
		if err := sf.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.files = nil
	return first
}

// ErrChanged reports that a journal file changed under a snapshot in a way
// appending cannot explain (it was truncated or rewritten).
var ErrChanged = errors.New("the journal changed while it was read (rewritten or truncated); read it again")

// Each calls fn with every event of the snapshot in order. The event and
// its Data are valid only during the call. An error from fn stops the
// stream and is returned.
func (s *Snapshot) Each(ctx context.Context, o Order, fn func(*Event) error) error {
	if o < 0 || o >= orders {
		return fmt.Errorf("journal: unknown order %d", o)
	}
	m := &merge{o: o}
	var late []outOfOrder
	bufSize := max(4<<10, min(64<<10, (1<<20)/max(1, len(s.files))))
	for _, sf := range s.files {
		c := &fileCursor{sf: sf, o: o, skip: sf.out[o], r: NewReaderSize(sf.path, io.NewSectionReader(sf.f, 0, sf.end), bufSize)}
		if err := m.push(c); err != nil {
			return err
		}
		late = append(late, sf.out[o]...)
	}
	if len(late) > 0 {
		slices.SortFunc(late, func(x, y outOfOrder) int {
			if o.less(&x.key, &y.key) {
				return -1
			}
			if o.less(&y.key, &x.key) {
				return 1
			}
			return 0
		})
		if err := m.push(&lateCursor{files: s.files, list: late}); err != nil {
			return err
		}
	}
	for i := 0; m.Len() > 0; i++ {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := m.cs[0]
		if err := fn(c.head()); err != nil {
			return err
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(m, 0)
		} else {
			heap.Pop(m)
		}
	}
	return nil
}

// source is a sorted source of events.
type source interface {
	head() *Event
	next() (bool, error) // advance; false at the end
}

// merge is a min-heap of sources by their heads.
type merge struct {
	o  Order
	cs []source
}

func (m *merge) push(c source) error {
	ok, err := c.next()
	if err != nil || !ok {
		return err
	}
	heap.Push(m, c)
	return nil
}

func (m *merge) Len() int { return len(m.cs) }
func (m *merge) Less(i, j int) bool {
	x, y := keyOf(m.cs[i].head()), keyOf(m.cs[j].head())
	return m.o.less(&x, &y)
}
func (m *merge) Swap(i, j int) { m.cs[i], m.cs[j] = m.cs[j], m.cs[i] }
func (m *merge) Push(x any)    { m.cs = append(m.cs, x.(source)) }
func (m *merge) Pop() any {
	c := m.cs[len(m.cs)-1]
	m.cs = m.cs[:len(m.cs)-1]
	return c
}

// fileCursor reads one file in sequence, leaving out its lines out of
// order.
type fileCursor struct {
	sf   *snapFile
	o    Order
	r    *Reader
	skip []outOfOrder
	read int
	e    Event
}

func (c *fileCursor) head() *Event { return &c.e }

func (c *fileCursor) next() (bool, error) {
	for {
		line, n, off, err := c.r.Next()
		if errors.Is(err, io.EOF) {
			if c.r.Torn() != nil || len(c.skip) > 0 || c.read != c.sf.events-len(c.sf.out[c.o]) {
				return false, fmt.Errorf("%s: %w", c.sf.path, ErrChanged)
			}
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s:%d (byte %d): %w", c.sf.path, n, off, err)
		}
		if len(c.skip) > 0 && c.skip[0].off == off {
			c.skip = c.skip[1:]
			continue
		}
		if c.e, err = parseAny(line); err != nil {
			return false, fmt.Errorf("%s:%d (byte %d): %w", c.sf.path, n, off, err)
		}
		c.read++
		return true, nil
	}
}

// lateCursor reads the lines out of order, sorted, by offset.
type lateCursor struct {
	files []*snapFile
	list  []outOfOrder
	buf   []byte
	e     Event
}

func (c *lateCursor) head() *Event { return &c.e }

func (c *lateCursor) next() (bool, error) {
	if len(c.list) == 0 {
		return false, nil
	}
	l := c.list[0]
	c.list = c.list[1:]
	sf := c.files[l.file]
	c.buf = slices.Grow(c.buf[:0], int(l.n)+1)[:l.n+1]
	if _, err := sf.f.ReadAt(c.buf, l.off); err != nil {
		return false, fmt.Errorf("%s:%d (byte %d): %w", sf.path, l.line, l.off, err)
	}
	if c.buf[l.n] != '\n' {
		return false, fmt.Errorf("%s:%d: %w", sf.path, l.line, ErrChanged)
	}
	e, err := parseAny(c.buf[:l.n])
	if err != nil {
		return false, fmt.Errorf("%s:%d (byte %d): %w", sf.path, l.line, l.off, err)
	}
	if k := keyOf(&e); !k.at.Equal(l.at) || !k.logged.Equal(l.logged) || k.actor != l.actor || k.seq != l.seq {
		return false, fmt.Errorf("%s:%d: %w", sf.path, l.line, ErrChanged)
	}
	c.e = e
	return true, nil
}
