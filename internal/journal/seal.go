package journal

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/internal/signing"
)

// KindCheckpoint is the kind of a signed checkpoint event.
const KindCheckpoint = "checkpoint"

// checkpointData is the data of a checkpoint event. The signature covers
// SealMessage(scope, heads).
type checkpointData struct {
	Scope     string          `json:"scope"`
	Heads     map[string]Head `json:"heads"`
	Alg       string          `json:"alg"`
	Key       string          `json:"key"` // SHA-256 of the signer's SPKI DER, hex
	Signature string          `json:"signature"`
	// V 2 signs the checkpoint event itself too (SealMessageV2): its
	// actor, seq, prev, summary and Sealed, the time its at must be.
	V      int       `json:"v,omitempty"`
	Sealed time.Time `json:"sealed,omitzero"`
}

type checkpoint struct {
	file string
	line int
	seq  int64
	data checkpointData
	// The event's own fields a v2 signature covers.
	actor, prev, summary, step string
	at, logged                 time.Time
}

// V2 reports whether the checkpoint signs its own event (SealMessageV2).
func (c checkpoint) v2() bool { return c.data.V == 2 }

// message is what the checkpoint's signature covers.
func (c checkpoint) message() []byte {
	if c.v2() {
		return SealMessageV2(c.data.Scope, c.actor, c.seq, c.prev, c.summary, c.data.Sealed, c.data.Heads)
	}
	return SealMessage(c.data.Scope, c.data.Heads)
}

// SealMessageV2 is the exact byte string a version 2 checkpoint signs: the
// event it is (who, where in which file, after which event, what it says,
// when) as well as the heads, so that no field of the event can be changed
// and no copy of it can stand anywhere else:
//
//	firebreak-checkpoint-v2\n
//	scope <scope>\n
//	actor <actor>\n
//	seq <seq>\n
//	prev <id or empty>\n
//	sealed <RFC 3339 nanoseconds, UTC>\n
//	summary <summary, JSON-quoted>\n
//	head <actor> <seq> <id>\n   (one per actor, sorted by actor)
func SealMessageV2(scope, actor string, seq int64, prev, summary string, sealed time.Time, heads map[string]Head) []byte {
	v1 := SealMessage(scope, heads)
	_, rest, _ := strings.Cut(string(v1), "\n")        // drop the v1 line
	scopeLine, headLines, _ := strings.Cut(rest, "\n") // "scope X", then the heads
	q, _ := json.Marshal(summary)
	var b strings.Builder
	b.WriteString("firebreak-checkpoint-v2\n" + scopeLine + "\n")
	b.WriteString("actor " + actor + "\nseq " + strconv.FormatInt(seq, 10) + "\nprev " + prev + "\n")
	b.WriteString("sealed " + sealed.UTC().Format(TimeLayout) + "\nsummary " + string(q) + "\n")
	b.WriteString(headLines)
	return []byte(b.String())
}

// SealMessage is the exact byte string a checkpoint signs:
//
//	firebreak-checkpoint-v1\n
//	scope <scope>\n
//	head <actor> <seq> <id>\n   (one per actor, sorted by actor)
func SealMessage(scope string, heads map[string]Head) []byte {
	actors := make([]string, 0, len(heads))
	for a := range heads {
		actors = append(actors, a)
	}
	sort.Strings(actors)
	var b strings.Builder
	b.WriteString("firebreak-checkpoint-v1\nscope ")
	b.WriteString(scope)
	b.WriteByte('\n')
	for _, a := range actors {
		h := heads[a]
		b.WriteString("head " + a + " " + strconv.FormatInt(h.Seq, 10) + " " + h.ID + "\n")
	}
	return []byte(b.String())
}

// Seal appends a checkpoint event to actor's file carrying an Ed25519
// signature over the head ids of all actor files. It refuses to seal a
// journal whose chains do not verify or that has a torn tail.
func (j *Journal) Seal(ctx context.Context, actor, scope string, key ed25519.PrivateKey) (Event, error) {
	rep, err := j.Verify(ctx, VerifyOptions{})
	if err != nil {
		return Event{}, err
	}
	if len(rep.Problems) > 0 {
		return Event{}, fmt.Errorf("seal: the journal does not verify: %w", rep.Problems[0])
	}
	for _, f := range rep.Files {
		if f.Torn != nil {
			return Event{}, fmt.Errorf("seal: %w", f.Torn)
		}
	}
	if rep.Events == 0 {
		return Event{}, errors.New("seal: the journal is empty")
	}
	heads := rep.Heads()
	pub := key.Public().(ed25519.PublicKey)
	fp := signing.Fingerprint(pub)
	summary := fmt.Sprintf("checkpoint over %d events in %d files, signed by key %s", rep.Events, len(heads), fp[:16])
	// The event this will be: the next in actor's file. Signed as such,
	// with the time it is made; the append below must land exactly there.
	seq, prev := int64(1), ""
	if h, ok := heads[actor]; ok {
		seq, prev = h.Seq+1, h.ID
	}
	sealed := j.now()
	sig := ed25519.Sign(key, SealMessageV2(scope, actor, seq, prev, summary, sealed, heads))
	data := checkpointData{
		Scope: scope, Heads: heads, Alg: "ed25519", Key: fp,
		Signature: base64.StdEncoding.EncodeToString(sig), V: 2, Sealed: sealed,
	}
	e, err := j.Append(ctx, Entry{At: sealed, Actor: actor, Kind: KindCheckpoint, Summary: summary, Data: data})
	if err != nil {
		return e, err
	}
	if e.Seq != seq || e.Prev != prev {
		// Another process appended to actor's file between the read and
		// the append: the checkpoint signs an event that is not where it
		// stands, and verification will say so. Seal again.
		return e, fmt.Errorf("seal: %s's file grew while sealing (seq %d, not %d): seal again", actor, e.Seq, seq)
	}
	return e, nil
}

func parseCheckpoint(e *Event) (checkpoint, error) {
	var d checkpointData
	dec := json.NewDecoder(strings.NewReader(string(e.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint data is malformed: %v", err)
	}
	if d.Alg != "ed25519" {
		return checkpoint{}, fmt.Errorf("checkpoint algorithm %q is not ed25519", d.Alg)
	}
	if len(d.Heads) == 0 {
		return checkpoint{}, errors.New("checkpoint names no heads")
	}
	for a, h := range d.Heads {
		if !ValidActor(a) || h.Seq < 1 || !isHexID(h.ID) {
			return checkpoint{}, fmt.Errorf("checkpoint head %q is malformed", a)
		}
	}
	// A checkpoint signs its own file's head (the event before it): copied
	// to the end of another file, or later in its own, it no longer
	// matches what it signed. Only a file's first event has no head of
	// its own to name.
	if d.V != 0 && d.V != 2 {
		return checkpoint{}, fmt.Errorf("checkpoint version %d is not one firebreak knows", d.V)
	}
	if d.V == 2 && !e.At.Equal(d.Sealed) {
		return checkpoint{}, fmt.Errorf("checkpoint at seq %d says it happened at %s, but it was sealed at %s", e.Seq, FormatTime(e.At), FormatTime(d.Sealed))
	}
	if d.V == 2 && e.Step != "" {
		return checkpoint{}, fmt.Errorf("checkpoint at seq %d names a step (%s); a seal is about no step", e.Seq, e.Step)
	}
	own, ok := d.Heads[e.Actor]
	switch {
	case ok && own.Seq != e.Seq-1:
		return checkpoint{}, fmt.Errorf("checkpoint at seq %d names its own file's head as seq %d", e.Seq, own.Seq)
	case !ok && e.Seq > 1:
		return checkpoint{}, fmt.Errorf("checkpoint at seq %d does not name its own file's head (seq %d)", e.Seq, e.Seq-1)
	case ok && own.ID != e.Prev:
		return checkpoint{}, fmt.Errorf("checkpoint at seq %d names its own file's head as %s, but the event before it is %s", e.Seq, short(own.ID), short(e.Prev))
	}
	return checkpoint{seq: e.Seq, data: d, actor: e.Actor, prev: e.Prev, summary: e.Summary, step: e.Step, at: e.At, logged: e.Logged}, nil
}

// SealReport is the outcome of checking every checkpoint with a key.
type SealReport struct {
	Key      string     `json:"key"` // fingerprint of the key checked against
	Checked  int        `json:"checked"`
	Failures []*Problem `json:"failures,omitempty"`
	// Unsealed counts events after the last checkpoint's heads: intact as a
	// chain but not covered by a signature.
	Unsealed int64 `json:"unsealed"`
	// UnknownKey counts checkpoints (VerifyOptions.Seals) whose heads were
	// checked but whose signing key was not given, so whose signature was not.
	UnknownKey int `json:"unknown_key,omitempty"`
}

// OK reports whether at least one seal was checked and all held.
func (s *SealReport) OK() bool { return s.Checked > 0 && len(s.Failures) == 0 }

func (j *Journal) checkSeals(rep *Report, opts VerifyOptions) (*SealReport, error) {
	sr := &SealReport{}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range append([]ed25519.PublicKey{opts.PublicKey}, opts.Keys...) {
		if k != nil {
			keys[signing.Fingerprint(k)] = k
		}
	}
	if opts.PublicKey != nil {
		sr.Key = signing.Fingerprint(opts.PublicKey)
	} else if len(opts.Keys) == 1 {
		sr.Key = signing.Fingerprint(opts.Keys[0])
	}
	// The ids each checkpoint claims, to look up in a second streaming pass.
	want := map[string]map[int64]string{} // actor -> seq -> id found
	var all []checkpoint
	for _, f := range rep.Files {
		all = append(all, f.checkpoints...)
	}
	fail := func(cp checkpoint, detail string) {
		sr.Failures = append(sr.Failures, &Problem{File: cp.file, Line: cp.line, Seq: cp.seq, Kind: ProblemSeal, Detail: detail})
	}
	for _, cp := range all {
		sr.Checked++
		pub, known := keys[cp.data.Key]
		if !known && !opts.Seals {
			if len(keys) == 1 {
				fail(cp, fmt.Sprintf("signed by key %s, not by the given key %s", short(cp.data.Key), short(sr.Key)))
			} else {
				fail(cp, fmt.Sprintf("signed by key %s, none of the %d given keys", short(cp.data.Key), len(keys)))
			}
			continue
		}
		if opts.Scope != "" && cp.data.Scope != opts.Scope {
			fail(cp, fmt.Sprintf("sealed for %q, not for %q", cp.data.Scope, opts.Scope))
			continue
		}
		if !known {
			sr.UnknownKey++
		} else {
			sig, err := base64.StdEncoding.DecodeString(cp.data.Signature)
			if err != nil || len(sig) != ed25519.SignatureSize {
				fail(cp, "signature is not 64 bytes of base64")
				continue
			}
			if !ed25519.Verify(pub, cp.message(), sig) {
				fail(cp, "signature does not verify")
				continue
			}
		}
		for a, h := range cp.data.Heads {
			if want[a] == nil {
				want[a] = map[int64]string{}
			}
			want[a][h.Seq] = ""
		}
	}
	if len(all) == 0 {
		return sr, nil
	}
	// Second pass: the id each file holds at every claimed seq.
	for actor, seqs := range want {
		if err := j.collectIDs(actor, seqs); err != nil {
			return nil, err
		}
	}
	for _, cp := range all {
		if _, known := keys[cp.data.Key]; !known && !opts.Seals {
			continue
		}
		for _, a := range slices.Sorted(maps.Keys(cp.data.Heads)) {
			h := cp.data.Heads[a]
			got, ok := want[a][h.Seq]
			switch {
			case !ok:
				// Signature failed above; already reported.
			case got == "":
				fail(cp, fmt.Sprintf("sealed head %s seq %d is no longer in the journal", a, h.Seq))
			case got != h.ID:
				fail(cp, fmt.Sprintf("sealed head %s seq %d was %s, the journal now holds %s (rewritten)", a, h.Seq, short(h.ID), short(got)))
			}
		}
	}
	// Events after the newest sealed head of each file.
	for _, f := range rep.Files {
		var last int64
		for _, cp := range all {
			if h, ok := cp.data.Heads[f.Actor]; ok && h.Seq > last {
				last = h.Seq
			}
			if cp.file == f.File && cp.seq > last {
				last = cp.seq
			}
		}
		sr.Unsealed += f.HeadSeq - last
	}
	return sr, nil
}

func (j *Journal) collectIDs(actor string, seqs map[int64]string) error {
	r, err := OpenFile(j.Path(actor))
	if err != nil {
		return nil // a sealed actor whose file is gone: reported as missing
	}
	defer r.Close()
	for {
		line, _, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // the chain problem is reported by Verify
		}
		e, perr := parseAny(line)
		if perr != nil {
			continue
		}
		if _, ok := seqs[e.Seq]; ok {
			seqs[e.Seq] = e.ID
		}
	}
}
