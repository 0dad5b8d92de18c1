package journal

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// Problem is the first bad event of a file.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Offset int64  `json:"offset"`
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s: %s", p.File, p.Kind, p.Detail)
	}
	if p.Seq > 0 {
		return fmt.Sprintf("%s:%d: seq %d: %s: %s", p.File, p.Line, p.Seq, p.Kind, p.Detail)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Kind, p.Detail)
}

// FileReport describes one actor file after verification.
type FileReport struct {
	Actor       string     `json:"actor"`
	File        string     `json:"file"`
	Events      int64      `json:"events"`
	HeadSeq     int64      `json:"head_seq"`
	HeadID      string     `json:"head_id"`
	Checkpoints int        `json:"checkpoints"`
	Torn        *TornError `json:"torn,omitempty"`
	Problem     *Problem   `json:"problem,omitempty"`
	checkpoints []checkpoint
}

// Report is the outcome of Verify.
type Report struct {
	Files  []FileReport `json:"files"`
	Events int64        `json:"events"`
	// Problems holds the first bad event of each file that has one, in file
	// order; empty when every chain is intact.
	Problems []*Problem `json:"problems,omitempty"`
	// Seals is set when Verify was given a public key.
	Seals *SealReport `json:"seals,omitempty"`
}

// Intact reports whether every chain verified, no file has a torn tail and,
// when seals were checked, every seal holds.
func (r *Report) Intact() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, f := range r.Files {
		if f.Torn != nil {
			return false
		}
	}
	return r.Seals == nil || r.Seals.OK()
}

// Heads returns each actor's head event id, as sealed and exported.
func (r *Report) Heads() map[string]Head {
	m := make(map[string]Head, len(r.Files))
	for _, f := range r.Files {
		m[f.Actor] = Head{Seq: f.HeadSeq, ID: f.HeadID}
	}
	return m
}

// Head is the last event of an actor file.
type Head struct {
	Seq int64  `json:"seq"`
	ID  string `json:"id"`
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	// PublicKey, when set, checks every checkpoint's signature with it and
	// that each head it names is the event the file holds at that seq.
	PublicKey ed25519.PublicKey
	// Seals checks every checkpoint whoever signed it: that each head it
	// names is still the event the file holds at that seq, and its
	// signature when its key is PublicKey or one of Keys. A checkpoint by
	// another key is counted as UnknownKey, not failed (sync: a teammate's
	// seal arrives before their public key does).
	Seals bool
	Keys  []ed25519.PublicKey
	// Scope, when set, is the scope every checkpoint must name (the
	// incident id).
	Scope string
	// Visit, when set, sees every event whose own hash and link verified,
	// in file order (its Data is valid only during the call).
	Visit func(*Event)
	// Snapshot, when set, limits the check to what the snapshot holds:
	// each actor file as far as it was read, from the file it opened, so
	// the report is about exactly the events the snapshot streams.
	Snapshot *Snapshot
}

// Verify recomputes every actor file's chain, streaming with memory bounded
// by one line, and reports the first bad event of each file. The error is for
// failures to read; a broken chain is a Problem in the report.
func (j *Journal) Verify(ctx context.Context, opts VerifyOptions) (*Report, error) {
	actors, odd, err := j.files()
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	if fi, err := os.Lstat(j.dir); err == nil && !fi.IsDir() {
		rep.Problems = append(rep.Problems, &Problem{File: filepath.Base(j.dir) + "/", Kind: ProblemNotFile, Detail: fmt.Sprintf("the journal directory is a %s: the files read are elsewhere", fsutil.TypeName(fi.Mode()))})
	}
	for _, name := range odd {
		// A journal file swapped for a link or a directory is a journal
		// that can no longer be checked: never a pass.
		what := "not a regular file"
		if fi, err := os.Lstat(filepath.Join(j.dir, name)); err == nil {
			what = fmt.Sprintf("a %s, not a regular file", fsutil.TypeName(fi.Mode()))
			switch {
			case fi.Mode().IsRegular() && !strings.HasSuffix(name, Ext):
				what = "a file firebreak did not write (the journal directory holds only <actor>.jsonl files and what repair sets aside)"
			case fi.Mode().IsRegular() && fsutil.Links(fi) > 1:
				what = fmt.Sprintf("a file with %d hard links (a journal file has one)", fsutil.Links(fi))
			case fi.Mode().IsRegular():
				what = "a journal file whose name is not a valid actor name"
			}
		}
		rep.Problems = append(rep.Problems, &Problem{File: name, Kind: ProblemNotFile, Detail: what})
	}
	if opts.Snapshot != nil {
		// Exactly the files the snapshot opened, whatever has been
		// removed, renamed or added in the directory since.
		actors = actors[:0]
		for _, sf := range opts.Snapshot.files {
			actors = append(actors, sf.actor)
		}
	}
	for i, a := range actors {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var fr *FileReport
		if opts.Snapshot != nil {
			sf := opts.Snapshot.files[i]
			r, same := sf.reader(64 << 10)
			if fr, err = verifyReader(r, filepath.Base(sf.path), a, opts.Visit); err != nil {
				return nil, err
			}
			if fr.Problem == nil {
				if !same() {
					return nil, sf.changed("its bytes differ from the snapshot's")
				}
				fr.Torn = sf.torn
			}
		} else if fr, err = verifyFile(j.Path(a), a, opts.Visit); err != nil {
			return nil, err
		}
		rep.Events += fr.Events
		if fr.Problem != nil {
			rep.Problems = append(rep.Problems, fr.Problem)
		}
		rep.Files = append(rep.Files, *fr)
	}
	if opts.PublicKey != nil || opts.Seals || len(opts.Keys) > 0 {
		sr, err := j.checkSeals(rep, opts)
		if err != nil {
			return nil, err
		}
		rep.Seals = sr
	}
	return rep, nil
}

// verifyFile checks one actor file. It stops at the first problem.
func verifyFile(path, actor string, visit func(*Event)) (*FileReport, error) {
	r, err := OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer r.Close()
	return verifyReader(r, filepath.Base(path), actor, visit)
}

// verifyReader checks the lines of one actor file read from r.
func verifyReader(r *Reader, name, actor string, visit func(*Event)) (*FileReport, error) {
	fr := &FileReport{Actor: actor, File: name}
	var scratch []byte
	expect := int64(1)
	prevID := ""
	for {
		line, n, off, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tl *lineTooLongError
			if errors.As(err, &tl) {
				fr.Problem = &Problem{File: name, Line: n, Offset: off, Kind: ProblemTooLong, Detail: err.Error()}
				return fr, nil
			}
			return nil, fmt.Errorf("verify %s: %w", name, err)
		}
		e, kind, detail, fast := fastCheck(line)
		if !fast {
			var err error
			if e, err = ParseLine(line); err != nil {
				fr.Problem = &Problem{File: name, Line: n, Offset: off, Kind: ProblemParse, Detail: err.Error()}
				return fr, nil
			}
			kind, detail, scratch = check(&e, line, scratch)
		}
		bad := func(kind, detail string) (*FileReport, error) {
			fr.Problem = &Problem{File: name, Line: n, Offset: off, Seq: e.Seq, Kind: kind, Detail: detail}
			return fr, nil
		}
		if kind != "" {
			return bad(kind, detail)
		}
		if e.Actor != actor {
			return bad(ProblemActor, fmt.Sprintf("event names actor %q in the file of %q", e.Actor, actor))
		}
		switch {
		case e.Seq < expect:
			return bad(ProblemReordered, fmt.Sprintf("seq %d comes after seq %d", e.Seq, expect-1))
		case e.Seq > expect:
			// Either events are missing or two lines were swapped: the next
			// line tells.
			next, _, _, nerr := r.Next()
			if nerr == nil {
				if ne, perr := parseAny(next); perr == nil && ne.Seq == expect {
					return bad(ProblemReordered, fmt.Sprintf("seq %d comes before seq %d", e.Seq, expect))
				}
			}
			if e.Seq == expect+1 {
				return bad(ProblemSeqGap, fmt.Sprintf("seq %d is missing (follows seq %d)", expect, expect-1))
			}
			return bad(ProblemSeqGap, fmt.Sprintf("seqs %d–%d are missing (follows seq %d)", expect, e.Seq-1, expect-1))
		}
		if e.Prev != prevID {
			if prevID == "" {
				return bad(ProblemBrokenLink, fmt.Sprintf("first event names prev %s; it must be empty", short(e.Prev)))
			}
			return bad(ProblemBrokenLink, fmt.Sprintf("prev is %s but seq %d has id %s", short(e.Prev), e.Seq-1, short(prevID)))
		}
		if e.Kind == KindCheckpoint {
			cp, err := parseCheckpoint(&e)
			if err != nil {
				return bad(ProblemSeal, err.Error())
			}
			cp.file, cp.line = name, n
			fr.checkpoints = append(fr.checkpoints, cp)
			fr.Checkpoints++
		}
		if visit != nil {
			visit(&e)
		}
		fr.Events++
		fr.HeadSeq, fr.HeadID = e.Seq, e.ID
		prevID = e.ID
		expect++
	}
	fr.Torn = r.Torn()
	return fr, nil
}
