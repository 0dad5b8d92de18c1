// Package benchdata writes large, valid incidents for the benchmarks and
// for anyone checking a performance claim: an incident opened with the
// real workspace code, its journal filled with n hash-chained events from
// several responders, written in bulk (one buffered stream per actor, one
// fsync per file) so that a million events take seconds, not an fsync
// each. One event in a hundred is back-dated and one in a thousand changes
// a step's state. `timeline verify` passes on what it writes.
package benchdata

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// Options say what to write.
type Options struct {
	Home     string   // the firebreak home (created if missing)
	Events   int      // how many events, the opening one excluded
	Actors   []string // who writes them, round robin; default alice, bob, carol
	Playbook string   // default INC-1
	Title    string   // default "bench"
	Start    time.Time
}

// Incident opens the incident and writes the events, in constant memory.
func Incident(ctx context.Context, o Options) (*incident.Incident, error) {
	if o.Events < 0 {
		return nil, fmt.Errorf("events %d: not a count", o.Events)
	}
	if len(o.Actors) == 0 {
		o.Actors = []string{"alice", "bob", "carol"}
	}
	seen := map[string]bool{}
	for _, a := range o.Actors {
		if !journal.ValidActor(a) || seen[a] {
			return nil, fmt.Errorf("actor %q: not a valid actor name, or given twice", a)
		}
		seen[a] = true
	}
	if o.Playbook == "" {
		o.Playbook = "INC-1"
	}
	if o.Title == "" {
		o.Title = "bench"
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	}
	lib, err := playbooks.Load(nil, playbooks.Options{})
	if err != nil {
		return nil, err
	}
	p, ok := lib.Get(o.Playbook)
	if !ok {
		return nil, fmt.Errorf("no playbook %s", o.Playbook)
	}
	start := o.Start
	ws := &incident.Workspace{Home: o.Home, Now: func() time.Time { return start }}
	inc, err := ws.Open(ctx, incident.OpenOptions{Playbook: p, Title: o.Title, Actor: o.Actors[0]})
	if err != nil {
		return nil, err
	}
	for ai, actor := range o.Actors {
		if err := writeActor(inc, p, o, ai, actor); err != nil {
			return nil, fmt.Errorf("%s: %w", actor, err)
		}
	}
	return inc, nil
}

// writeActor appends actor's share of the events (every len(Actors)-th)
// to its journal file, chained after what the file holds.
func writeActor(inc *incident.Incident, p *playbooks.Playbook, o Options, ai int, actor string) error {
	var prev *journal.Event
	if ai == 0 { // the opener's file holds incident.opened
		evs, _, err := inc.Journal.ReadAll()
		if err != nil {
			return err
		}
		last := evs[actor][len(evs[actor])-1]
		prev = &last
	}
	f, err := os.OpenFile(inc.Journal.Path(actor), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	steps := p.StepIDs()
	for i := ai; i < o.Events; i += len(o.Actors) {
		logged := o.Start.Add(time.Duration(i+1) * time.Second)
		e := journal.Event{Seq: 1, Logged: logged, At: logged, Actor: actor, Kind: "note", Step: steps[i%len(steps)],
			Summary: fmt.Sprintf("checked module %d of the release and its signature", i),
			Data:    []byte(fmt.Sprintf(`{"module":"m%d.wasm","ok":true}`, i))}
		switch {
		case i%100 == 50:
			// One event in a hundred is back-dated, as responders do, by
			// up to an hour: the timeline must reorder it.
			e.At = logged.Add(-time.Duration(i/100%60+1) * time.Minute)
			e.Summary = fmt.Sprintf("found module %d had been replaced earlier", i)
		case i%1000 == 7:
			// Steps change state now and then (a transition that does
			// not apply is kept in the timeline and ignored, as a race
			// between two responders is).
			e.Kind = playbooks.KindOf(playbooks.Verbs[i/1000%2])
			e.Data = []byte(`{}`)
		}
		if prev != nil {
			e.Seq, e.Prev = prev.Seq+1, prev.ID
			if !e.Logged.After(prev.Logged) {
				e.Logged = prev.Logged.Add(time.Nanosecond)
			}
		}
		line, err := journal.EncodeLine(&e)
		if err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		prev = &e
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}
