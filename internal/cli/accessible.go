package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/severity"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// accessibleConsole is the console for screen readers and dumb terminals
// (--accessible, ACCESSIBLE=1, TERM=dumb), on the incident open when it is
// given (a drill just built): plain lines in, plain lines out,
// no cursor movement and no colour. Every command it offers is a firebreak
// command run in-process, so what it records is what the CLI records; its
// confirmations and questions are asked on the same lines.
func (a *invocation) accessibleConsole(open string) error {
	in := bufio.NewReader(a.stdin)
	a.lineIn = in
	a.noColor = true
	sess := &accessible{a: a, in: in}
	a.printf("firebreak console, accessible mode. One command per line; \"help\" lists them, \"quit\" ends.\n\n")
	if open != "" {
		sess.exec("open " + open)
	} else {
		sess.exec("list")
	}
	for {
		prompt := "firebreak> "
		if sess.id != "" {
			prompt = "firebreak " + sess.id + "> "
		}
		line, err := sess.ask(prompt)
		if errors.Is(err, io.EOF) {
			a.printf("\n")
			return nil
		}
		if err != nil {
			return err
		}
		if sess.exec(line) {
			return nil
		}
		if a.ctx.Err() != nil {
			return nil
		}
	}
}

type accessible struct {
	a    *invocation
	in   *bufio.Reader
	id   string   // the incident open in this session
	last []string // the ids listed last, for "open N"
}

const accessibleHelp = `Commands:
  list                      the incidents, numbered
  open N|ID                 work on an incident (a number from the list, or an id or prefix)
  new | drill               open an incident or a drill: questions follow, one per line
  show                      the incident: severity, deadlines, every step and its state
  guide STEP                the step's guidance, its RACI and its action
  start|done STEP           mark a step (STEP is its number, 1.2, or its id)
  skip|fail STEP REASON     mark a step skipped or failed, with the reason
  run STEP                  do the step's action: the plan is read out and confirmed here
  note TEXT                 add a note to the timeline
  status TEXT               a status update (resets the status-update reminder)
  approve STEP REASON       approve a step that needs a second person's approval
  assign STEP PERSON        give a step to a person (- unassigns)
  followup TEXT             add a follow-up (an action item that outlives the incident)
  sync                      share the home with the team's git remote (firebreak sync)
  milestone NAME            compromised, detected, contained, eradicated, recovered or reviewed
  severity LEVEL REASON     change the severity (Critical, High, Medium, Low or SEV-1..3)
  timeline | evidence | metrics
  comms TEMPLATE            render a message (comms list shows the templates)
  back                      leave the incident
  quit                      end the session
Anything else is run as a firebreak command line, e.g.: timeline verify ID`

// ask reads one answer after a prompt.
func (s *accessible) ask(prompt string) (string, error) {
	s.a.printf("%s", prompt)
	line, err := s.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// exec runs one line; it reports whether the session should end.
func (s *accessible) exec(line string) bool {
	words, err := splitWords(line)
	if err != nil {
		s.a.printf("%v\n", err)
		return false
	}
	if len(words) == 0 {
		return false
	}
	verb, rest := strings.ToLower(words[0]), words[1:]
	need := func() bool {
		if s.id == "" {
			s.a.printf("No incident is open: \"list\", then \"open N\".\n")
			return false
		}
		return true
	}
	switch verb {
	case "quit", "exit", "q":
		return true
	case "help", "?":
		s.a.printf("%s\n", accessibleHelp)
	case "list":
		s.list()
	case "open":
		if len(rest) != 1 {
			s.a.printf("Say which: open N, or open ID.\n")
			return false
		}
		id := rest[0]
		if n, err := strconv.Atoi(id); err == nil && n >= 1 && n <= len(s.last) {
			id = s.last[n-1]
		}
		inc, err := s.a.load(id)
		if err != nil {
			s.a.printf("%s\n", textutil.Line(err.Error()))
			return false
		}
		s.id = inc.Header.ID
		s.cmd("incident", "show", s.id)
	case "back":
		s.id = ""
	case "new", "drill":
		s.open(verb == "drill")
	case "show":
		if need() {
			s.cmd("incident", "show", s.id)
		}
	case "guide":
		if need() && len(rest) == 1 {
			s.guide(rest[0])
		}
	case "start", "done":
		if need() && len(rest) == 1 {
			s.cmd("step", s.id, rest[0], verb)
		}
	case "skip", "fail":
		if need() && len(rest) >= 2 {
			s.cmd("step", s.id, rest[0], verb, "--reason", strings.Join(rest[1:], " "))
		} else if s.id != "" {
			s.a.printf("Say why: %s STEP REASON.\n", verb)
		}
	case "run":
		if need() && len(rest) == 1 {
			s.cmd("run", s.id, rest[0])
		}
	case "note":
		if need() && len(rest) > 0 {
			s.cmd("note", s.id, strings.Join(rest, " "))
		}
	case "status":
		if need() && len(rest) > 0 {
			s.cmd("note", s.id, strings.Join(rest, " "), "--status")
		}
	case "approve":
		if need() && len(rest) >= 2 {
			s.cmd("approve", s.id, rest[0], "--reason", strings.Join(rest[1:], " "))
		} else if s.id != "" {
			s.a.printf("Say which step and why: approve STEP REASON.\n")
		}
	case "assign":
		if need() && len(rest) == 2 {
			s.cmd("assign", s.id, rest[0], rest[1])
		}
	case "followup":
		if need() && len(rest) > 0 {
			s.cmd("followup", "add", s.id, strings.Join(rest, " "))
		}
	case "sync":
		s.cmd("sync")
	case "milestone":
		if need() && len(rest) == 1 {
			s.cmd("milestone", s.id, rest[0])
		}
	case "severity":
		if need() && len(rest) >= 2 {
			s.cmd("severity", s.id, rest[0], "--reason", strings.Join(rest[1:], " "))
		} else if s.id != "" {
			s.a.printf("Say the level and why: severity SEV-1 key confirmed public.\n")
		}
	case "timeline", "evidence":
		if need() {
			if verb == "evidence" {
				s.cmd("evidence", "list", s.id)
			} else {
				s.cmd("timeline", s.id)
			}
		}
	case "comms":
		if need() && len(rest) == 1 {
			s.cmd("comms", "render", s.id, rest[0], "-o", "-", "--allow-missing")
		}
	default:
		s.cmd(words...)
	}
	return false
}

// cmd runs a firebreak command line in-process, in a fresh copy of the
// session's app (a command's flags never leak into the next), and says
// how it ended.
func (s *accessible) cmd(args ...string) {
	sub := *s.a
	if code := sub.run(args); code != 0 {
		s.a.printf("(the command failed: exit %d)\n", code)
	}
}

func (s *accessible) list() {
	rows, err := s.a.summaries(false)
	if err != nil {
		s.a.printf("%s\n", textutil.Line(err.Error()))
		return
	}
	s.last = s.last[:0]
	if len(rows) == 0 {
		s.a.printf("No active incidents. \"new\" opens one, \"drill\" starts a drill.\n")
		return
	}
	s.a.printf("Active incidents:\n")
	for i, r := range rows {
		s.last = append(s.last, r.ID)
		if r.Error != "" {
			s.a.printf("  %d. %s: UNREADABLE: %s\n", i+1, textutil.Line(r.ID), textutil.Line(r.Error))
			continue
		}
		kind := "incident"
		if r.Drill {
			kind = "drill"
		}
		overdue := ""
		if r.Overdue > 0 {
			overdue = fmt.Sprintf(", %d steps overdue", r.Overdue)
		}
		s.a.printf("  %d. %s %s, %s, severity %s (%s): %s. %d of %d steps closed%s.\n", i+1, r.Playbook, kind, r.ID, r.Severity, r.SEV,
			textutil.Line(r.Title), r.StepsClosed, r.StepsTotal, overdue)
	}
	s.a.printf("Say \"open N\" to work on one.\n")
}

func (s *accessible) guide(ref string) {
	inc, err := s.a.load(s.id)
	if err != nil {
		s.a.printf("%s\n", textutil.Line(err.Error()))
		return
	}
	step, ok := inc.Playbook.Step(ref)
	if !ok {
		s.a.printf("No step %q; \"show\" lists them.\n", ref)
		return
	}
	st, err := inc.State()
	if err != nil {
		s.a.printf("%s\n", textutil.Line(err.Error()))
		return
	}
	s.a.printf("Step %s, %s (%s). State: %s. RACI: %s.\n", step.Number, textutil.Line(step.Title), step.ID, st.Steps[step.ID].State, textutil.Line(step.RACI.String()))
	if step.Action != nil {
		s.a.printf("Action: %s. Say \"run %s\" to do it.\n", step.Action.Name, step.Number)
	}
	s.a.printf("%s\n", textutil.Clean(playbooks.Render(step.Guidance, st.Facts), true))
	for _, c := range step.Checklist {
		s.a.printf("Check: %s\n", textutil.Line(c))
	}
}

// open asks, a line at a time, what `incident open` needs.
func (s *accessible) open(drill bool) {
	lib, err := s.a.library()
	if err != nil {
		s.a.printf("%s\n", textutil.Line(err.Error()))
		return
	}
	all := lib.All()
	s.a.printf("Playbooks:\n")
	for i, p := range all {
		s.a.printf("  %d. %s: %s. %s\n", i+1, p.ID, textutil.Line(p.Title), textutil.Line(p.Summary))
	}
	var p *playbooks.Playbook
	for p == nil {
		ans, err := s.ask("Playbook number or id (empty gives up): ")
		if err != nil || ans == "" {
			s.a.printf("Nothing opened.\n")
			return
		}
		if n, err := strconv.Atoi(ans); err == nil && n >= 1 && n <= len(all) {
			p = all[n-1]
		} else if q, ok := lib.Get(strings.ToUpper(ans)); ok {
			p = q
		} else {
			s.a.printf("No playbook %q.\n", ans)
		}
	}
	args := []string{"incident", "open", "--playbook", p.ID}
	if drill {
		args = append(args, "--drill")
	}
	title, err := s.ask("Title, one line: ")
	if err != nil || title == "" {
		s.a.printf("Nothing opened: a title is needed.\n")
		return
	}
	args = append(args, "--title", title)
	for _, lv := range severity.Levels {
		s.a.printf("  %s (%s): %s\n", lv, lv.SEV(), lv.ResponseText())
	}
	if sev, err := s.ask("Severity (empty: the playbook's " + p.Severity.String() + "): "); err == nil && sev != "" {
		args = append(args, "--severity", sev)
	}
	for _, in := range p.Inputs {
		if !in.Required {
			continue
		}
		v, err := s.ask(textutil.Line(in.Title) + " (" + in.Name + ", required): ")
		if err != nil {
			return
		}
		args = append(args, "--fact", in.Name+"="+v)
	}
	if d, err := s.ask("Detected at (e.g. -40m or 2026-11-22 03:10; empty: now): "); err == nil && d != "" {
		args = append(args, "--detected", d)
	}
	sub := *s.a
	var out strings.Builder
	sub.stdout = &out
	if code := sub.run(args); code != 0 {
		s.a.printf("(nothing opened: exit %d)\n", code)
		return
	}
	s.id = strings.TrimSpace(out.String())
	s.a.printf("Opened %s.\n", s.id)
	s.cmd("incident", "show", s.id)
}

// confirmOnLines reads the confirmation of a plan from the session's lines.
func confirmOnLines(in *bufio.Reader, w io.Writer, p *actions.Plan) (bool, error) {
	want := askPlan(w, p)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return false, err
	}
	return strings.EqualFold(strings.TrimSpace(line), want), nil
}

// splitWords splits a line into words; "double" or 'single' quotes keep
// spaces in one word.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
