package journal

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Streaming reads the whole journal in order with memory that does not grow
// with its length. Every actor file is already in order, or nearly: each
// file is in the order its lines were written (logged), and a responder
// back-dates an event now and then (at). A snapshot reads each file once to
// find the lines that are out of its own order — the back-dated ones — and
// keeps only their keys and offsets; a stream then merges the files, each
// read in sequence without those lines, with those lines sorted and read
// back by offset. Memory is one read buffer and one open file per actor
// file, and a few hundred bytes per line out of order (its key, offset and
// SHA-256, twice while a stream sorts them), never the events. Lines are
// out of order against the last line in order, so a journal written
// through firebreak (no time more than five minutes ahead) keeps a handful;
// a crafted file whose first line is dated years ahead keeps all of its
// lines, and costs what reading it into memory would.
//
// A snapshot is the bytes it planned: the SHA-256 of each file up to its
// end, and of each line out of order, is compared by every later read, so
// the verification, the state and the timeline made from one snapshot are
// about the same bytes, or the read fails with ErrChanged.

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

// key is what an order compares. file and off, the line's place, break
// ties as a stable sort of the files read in turn would (two lines with
// the same actor and seq: a forked file).
type key struct {
	at, logged time.Time
	actor      string
	seq        int64
	file       int
	off        int64
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
	if x.seq != y.seq {
		return x.seq < y.seq
	}
	if x.file != y.file {
		return x.file < y.file
	}
	return x.off < y.off
}

// outOfOrder is a line that comes before an earlier line of its own file in
// some order: its key and where it is.
type outOfOrder struct {
	key
	n    int32
	line int
	sum  [sha256.Size]byte // of the line: a line rewritten since is refused
}

// snapFile is one actor file of a snapshot.
type snapFile struct {
	path   string
	actor  string
	index  int // in the snapshot
	f      *os.File
	end    int64 // the complete lines when the snapshot was taken
	events int
	torn   *TornError
	out    [orders][]outOfOrder // in file order
	// sum is the SHA-256 of the bytes up to end: every later read of the
	// file compares it, so the verdict, the state and the timeline are
	// all about the same bytes, or the read fails.
	sum [sha256.Size]byte
}

// changed is the error for a snapshot file that no longer holds what was
// planned.
func (sf *snapFile) changed(detail string) error {
	return fmt.Errorf("%s: %s: %w", sf.path, detail, ErrChanged)
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
		sf, err := planFile(j.Path(a), a, len(s.files))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.files = append(s.files, sf)
		s.events += sf.events
		if sf.torn != nil {
			s.torn = append(s.torn, sf.torn)
		}
	}
	return s, nil
}

// planFile opens one actor file and finds its lines out of order. It
// opens without following a link and without blocking (a pipe swapped in
// would wait for a writer forever) and reads only a regular file.
func planFile(path, actor string, idx int) (*snapFile, error) {
	f, err := fsutil.OpenRegularNoFollow(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	sf := &snapFile{path: path, actor: actor, f: f, index: idx}
	r := NewReader(path, f)
	h := sha256.New()
	var last [orders]key
	for {
		line, n, off, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			var k key
			if k, err = lineKey(line); err == nil {
				h.Write(line)
				h.Write(newline)
				k.file, k.off = idx, off
				if k.actor == actor {
					k.actor = actor // one copy of the name, not one per line
				}
				for o := range orders {
					if sf.events > 0 && o.less(&k, &last[o]) {
						sf.out[o] = append(sf.out[o], outOfOrder{key: k, n: int32(len(line)), line: n, sum: sha256.Sum256(line)})
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
		return nil, fmt.Errorf("%s:%d (byte %d): %w", path, n, off, err)
	}
	h.Sum(sf.sum[:0])
	sf.torn = r.Torn()
	return sf, nil
}

var newline = []byte{'\n'}

// reader reads the snapshot's bytes of the file again, hashing them; done
// reports whether they are the planned bytes once all have been read.
func (sf *snapFile) reader(size int) (*Reader, func() bool) {
	h := sha256.New()
	r := NewReaderSize(sf.path, io.TeeReader(io.NewSectionReader(sf.f, 0, sf.end), h), size)
	return r, func() bool {
		var sum [sha256.Size]byte
		return [sha256.Size]byte(h.Sum(sum[:0])) == sf.sum
	}
}

// lineKey reads the members an order compares from a canonical line,
// checking the rest of it is canonical too without decoding it (a line
// with a member twice, which encoding/json would read as its last, is
// not); any other line is parsed.
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
	c.lit(`,"kind":`)
	c.skipStr()
	if c.peek(`,"step":`) {
		c.lit(`,"step":`)
		if c.peek(`""`) {
			c.ok = false
		}
		c.skipStr()
	}
	c.lit(`,"summary":`)
	c.skipStr()
	c.lit(`,"data":`)
	if c.ok && seq >= 1 && ValidActor(actor) && len(line)-c.i >= 3 && line[len(line)-1] == '}' && canonicalObject(line[c.i:len(line)-1]) {
		return key{at: at, logged: logged, actor: actor, seq: seq}, nil
	}
	e, err := parseAny(line)
	if err != nil {
		return key{}, err
	}
	return keyOf(&e), nil
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
		r, same := sf.reader(bufSize)
		c := &fileCursor{sf: sf, o: o, skip: sf.out[o], r: r, same: same}
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
	key() *key           // the head's key, its place included
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

func (m *merge) Len() int           { return len(m.cs) }
func (m *merge) Less(i, j int) bool { return m.o.less(m.cs[i].key(), m.cs[j].key()) }
func (m *merge) Swap(i, j int)      { m.cs[i], m.cs[j] = m.cs[j], m.cs[i] }
func (m *merge) Push(x any)         { m.cs = append(m.cs, x.(source)) }
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
	same func() bool
	skip []outOfOrder
	read int
	e    Event
	k    key
}

func (c *fileCursor) head() *Event { return &c.e }
func (c *fileCursor) key() *key    { return &c.k }

func (c *fileCursor) next() (bool, error) {
	for {
		line, n, off, err := c.r.Next()
		if errors.Is(err, io.EOF) {
			if c.r.Torn() != nil || len(c.skip) > 0 || c.read != c.sf.events-len(c.sf.out[c.o]) {
				return false, c.sf.changed("lines missing")
			}
			if !c.same() {
				return false, c.sf.changed("its bytes differ from the snapshot's")
			}
			return false, nil
		}
		if err != nil {
			return false, c.sf.changed(fmt.Sprintf("line %d (byte %d): %v", n, off, err))
		}
		if len(c.skip) > 0 && c.skip[0].off == off {
			c.skip = c.skip[1:]
			continue
		}
		if c.e, err = parseAny(line); err != nil {
			return false, c.sf.changed(fmt.Sprintf("line %d (byte %d): %v", n, off, err))
		}
		c.k = keyOf(&c.e)
		c.k.file, c.k.off = c.sf.index, off
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
	k     key
}

func (c *lateCursor) head() *Event { return &c.e }
func (c *lateCursor) key() *key    { return &c.k }

func (c *lateCursor) next() (bool, error) {
	if len(c.list) == 0 {
		return false, nil
	}
	l := c.list[0]
	c.list = c.list[1:]
	sf := c.files[l.file]
	c.buf = slices.Grow(c.buf[:0], int(l.n)+1)[:l.n+1]
	if _, err := sf.f.ReadAt(c.buf, l.off); err != nil || c.buf[l.n] != '\n' || sha256.Sum256(c.buf[:l.n]) != l.sum {
		return false, sf.changed(fmt.Sprintf("line %d (byte %d) is not what it was", l.line, l.off))
	}
	e, err := parseAny(c.buf[:l.n])
	if err != nil {
		return false, sf.changed(fmt.Sprintf("line %d (byte %d): %v", l.line, l.off, err))
	}
	c.e, c.k = e, l.key
	return true, nil
}
