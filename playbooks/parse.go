package playbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firebreak-dev/firebreak/internal/severity"
)

// Error is one problem in a playbook file, at a line and column.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Errors is every problem found in a file, in order.
type Errors []Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// ActionChecker checks a step's action: that the name exists and the
// arguments fit its inputs. It returns one message per problem.
type ActionChecker func(name string, args map[string]string) []string

// Options tunes Parse.
type Options struct {
	// Actions, when set, checks every step's action; without it action
	// names are only checked for shape.
	Actions ActionChecker
}

// MaxFile is the largest playbook file read.
const MaxFile = 1 << 20

var (
	idRe     = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)
	stepRe   = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	inputRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	actionRe = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$`)
)

// Parse reads and validates one playbook file. On failure the error is an
// Errors listing every problem as file:line:col: message.
func Parse(file string, data []byte, opts Options) (*Playbook, error) {
	d := &decoder{file: file}
	if len(data) > MaxFile {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("%d bytes is larger than the %d a playbook may be", len(data), MaxFile)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, Errors{{File: file, Line: 1, Col: 1, Msg: "empty playbook"}}
	}
	p := &Playbook{File: file, Raw: data}
	sum := sha256.Sum256(data)
	p.Digest = hex.EncodeToString(sum[:])
	d.playbook(root.Content[0], p)
	if len(d.errs) == 0 {
		d.validate(p, opts)
	}
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			if d.errs[i].Line != d.errs[j].Line {
				return d.errs[i].Line < d.errs[j].Line
			}
			return d.errs[i].Col < d.errs[j].Col
		})
		return nil, d.errs
	}
	return p, nil
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) Error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Error{File: file, Line: line, Col: 1, Msg: "YAML: " + m[2]}
	}
	return Error{File: file, Line: 1, Col: 1, Msg: "YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type decoder struct {
	file string
	errs Errors
	// positions of things validated after decoding
	pos map[any]*yaml.Node
	// steps holds each step's positions, in decoding order
	steps []stepPos
}

type stepPos struct {
	id, guidance, action *yaml.Node
	args                 map[string]*yaml.Node
}

func (d *decoder) errf(n *yaml.Node, format string, args ...any) {
	e := Error{File: d.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) at(key any, n *yaml.Node) {
	if d.pos == nil {
		d.pos = map[any]*yaml.Node{}
	}
	d.pos[key] = n
}

// fields walks a mapping, dispatching each key to its handler and reporting
// unknown and duplicate keys and missing required ones.
func (d *decoder) fields(n *yaml.Node, what string, handlers map[string]func(*yaml.Node), required ...string) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		switch {
		case seen[k.Value]:
			d.errf(k, "duplicate field %q in %s", k.Value, what)
		case !ok:
			d.errf(k, "unknown field %q in %s (known: %s)", k.Value, what, strings.Join(slices.Sorted(maps.Keys(handlers)), ", "))
		default:
			h(v)
		}
		seen[k.Value] = true
	}
	for _, r := range required {
		if !seen[r] {
			d.errf(n, "%s is missing %q", what, r)
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "empty"
}

func (d *decoder) str(dst *string, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.errf(n, "%s must be text, not %s", what, kindName(n))
			return
		}
		*dst = n.Value
	}
}

func (d *decoder) boolean(dst *bool, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.errf(n, "%s must be true or false", what)
			return
		}
		*dst = n.Value == "true"
	}
}

func (d *decoder) strs(dst *[]string, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			*dst = []string{n.Value}
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errf(n, "%s must be a list of text", what)
			return
		}
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
				d.errf(c, "%s must be a list of text", what)
				continue
			}
			*dst = append(*dst, c.Value)
		}
	}
}

func (d *decoder) duration(dst *time.Duration, what string) func(*yaml.Node) {
	return func(n *yaml.Node) {
		if n.Kind != yaml.ScalarNode {
			d.errf(n, "%s must be a duration such as 30m, 4h or 7d", what)
			return
		}
		v, err := ParseDuration(n.Value)
		if err != nil {
			d.errf(n, "%s: %v", what, err)
			return
		}
		*dst = v
	}
}

// noDeadline marks, while parsing, a step whose `deadline: none` keeps it
// from taking its phase's: a step that waits on others (an all-clear) is
// never overdue through the responder's fault.
const noDeadline = -1

// MaxDeadline is the longest deadline a step may have: a year. Anything
// longer is a typo (99999999999w used to wrap around to a negative time).
const MaxDeadline = 366 * 24 * time.Hour

// ParseDuration reads a deadline: a positive number with m, h, d or w
// (30m, 4h, 24h, 7d, 1w), or a Go duration such as 1h30m.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if n := len(s); s[n-1] == 'd' || s[n-1] == 'w' {
		v, err := strconv.Atoi(s[:n-1])
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("bad duration %q (use 30m, 4h, 7d, 1w)", s)
		}
		days := v
		if s[n-1] == 'w' {
			days = v * 7
		}
		if maxDays := int(MaxDeadline / (24 * time.Hour)); v > maxDays || days > maxDays {
			return 0, fmt.Errorf("duration %q is longer than a deadline may be (%s)", s, FormatDuration(MaxDeadline))
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad duration %q (use 30m, 4h, 7d, 1w)", s)
	}
	if v > MaxDeadline {
		return 0, fmt.Errorf("duration %q is longer than a deadline may be (%s)", s, FormatDuration(MaxDeadline))
	}
	return v, nil
}

func (d *decoder) playbook(n *yaml.Node, p *Playbook) {
	var sev string
	var sevNode *yaml.Node
	d.fields(n, "playbook", map[string]func(*yaml.Node){
		"id":      func(v *yaml.Node) { d.str(&p.ID, "id")(v); d.at(&p.ID, v) },
		"version": func(v *yaml.Node) { d.str(&p.Version, "version")(v) },
		"title":   d.str(&p.Title, "title"),
		"kind":    func(v *yaml.Node) { d.str(&p.Kind, "kind")(v); d.at(&p.Kind, v) },
		"severity": func(v *yaml.Node) {
			d.str(&sev, "severity")(v)
			sevNode = v
		},
		"source":     d.str(&p.Source, "source"),
		"summary":    d.str(&p.Summary, "summary"),
		"indicators": d.strs(&p.Indicators, "indicators"),
		"inputs": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.errf(v, "inputs must be a list")
				return
			}
			for _, c := range v.Content {
				p.Inputs = append(p.Inputs, d.input(c))
			}
		},
		"phases": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.errf(v, "phases must be a list")
				return
			}
			for _, c := range v.Content {
				p.Phases = append(p.Phases, d.phase(c))
			}
			d.at(&p.Phases, v)
		},
	}, "id", "version", "title", "kind", "severity", "phases")
	if sevNode != nil && sev != "" {
		l, err := severity.Parse(sev)
		if err != nil {
			d.errf(sevNode, "%v", err)
		}
		p.Severity = l
	}
	d.at(p, n)
}

func (d *decoder) input(n *yaml.Node) Input {
	var in Input
	var nameNode, typeNode *yaml.Node
	d.fields(n, "input", map[string]func(*yaml.Node){
		"name":        func(v *yaml.Node) { d.str(&in.Name, "input name")(v); nameNode = v },
		"type":        func(v *yaml.Node) { d.str(&in.Type, "input type")(v); typeNode = v },
		"title":       d.str(&in.Title, "input title"),
		"description": d.str(&in.Description, "input description"),
		"required":    d.boolean(&in.Required, "required"),
		"default":     d.str(&in.Default, "default"),
		"recorded":    d.boolean(&in.Recorded, "recorded"),
	}, "name", "type", "title")
	if in.Name != "" {
		d.at(in.Name+"\x00input", nameNode)
		if !inputRe.MatchString(in.Name) {
			d.errf(nameNode, "input name %q must be lowercase letters, digits and _", in.Name)
		}
	}
	if in.Type != "" && !contains(inputTypes, in.Type) {
		d.errf(typeNode, "input %q has unknown type %q (known: %s)", in.Name, in.Type, strings.Join(inputTypes, ", "))
	}
	return in
}

func (d *decoder) phase(n *yaml.Node) Phase {
	var ph Phase
	var idNode *yaml.Node
	d.fields(n, "phase", map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { d.str(&ph.ID, "phase id")(v); idNode = v },
		"title":    d.str(&ph.Title, "phase title"),
		"deadline": d.duration(&ph.Deadline, "phase deadline"),
		"steps": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.errf(v, "steps must be a non-empty list")
				return
			}
			for _, c := range v.Content {
				ph.Steps = append(ph.Steps, d.step(c))
			}
		},
	}, "id", "title", "steps")
	if ph.ID != "" && !stepRe.MatchString(ph.ID) {
		d.errf(idNode, "phase id %q must be lowercase words joined by -", ph.ID)
	}
	if idNode != nil {
		d.at("phase\x00"+ph.ID, idNode)
	}
	return ph
}

func (d *decoder) step(n *yaml.Node) Step {
	var s Step
	var idNode, guidanceNode, actionNode *yaml.Node
	argNodes := map[string]*yaml.Node{}
	d.fields(n, "step", map[string]func(*yaml.Node){
		"id":        func(v *yaml.Node) { d.str(&s.ID, "step id")(v); idNode = v },
		"title":     d.str(&s.Title, "step title"),
		"guidance":  func(v *yaml.Node) { d.str(&s.Guidance, "guidance")(v); guidanceNode = v },
		"checklist": d.strs(&s.Checklist, "checklist"),
		"deadline": func(v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && v.Value == "none" {
				s.Deadline = noDeadline
				return
			}
			d.duration(&s.Deadline, "step deadline")(v)
		},
		"raci": func(v *yaml.Node) {
			d.fields(v, "raci", map[string]func(*yaml.Node){
				"responsible": d.strs(&s.RACI.Responsible, "responsible"),
				"accountable": d.strs(&s.RACI.Accountable, "accountable"),
				"consulted":   d.strs(&s.RACI.Consulted, "consulted"),
				"informed":    d.strs(&s.RACI.Informed, "informed"),
			}, "responsible", "accountable")
		},
		"approval": func(v *yaml.Node) { s.Approval = d.approval(v) },
		"action": func(v *yaml.Node) {
			a := &Action{Args: map[string]string{}}
			actionNode = v
			d.fields(v, "action", map[string]func(*yaml.Node){
				"name": func(v *yaml.Node) { d.str(&a.Name, "action name")(v); actionNode = v },
				"args": func(v *yaml.Node) {
					if v.Kind != yaml.MappingNode {
						d.errf(v, "action args must be a mapping")
						return
					}
					for i := 0; i+1 < len(v.Content); i += 2 {
						k, val := v.Content[i], v.Content[i+1]
						if _, dup := a.Args[k.Value]; dup {
							d.errf(k, "duplicate action argument %q", k.Value)
						}
						if val.Kind != yaml.ScalarNode {
							d.errf(val, "action argument %q must be text", k.Value)
							continue
						}
						a.Args[k.Value] = val.Value
						argNodes[k.Value] = val
					}
				},
			}, "name")
			s.Action = a
		},
	}, "id", "title", "raci")
	d.steps = append(d.steps, stepPos{id: orNode(idNode, n), guidance: guidanceNode, action: actionNode, args: argNodes})
	return s
}

// approval reads a step's approval: "required", a severity ("SEV-1": at
// that level or worse), or {when: required|SEVERITY, by: [ROLE...]}.
func (d *decoder) approval(n *yaml.Node) *Approval {
	a := &Approval{}
	when := func(v *yaml.Node) {
		var w string
		d.str(&w, "approval")(v)
		if w == "" || w == "required" {
			return
		}
		l, err := severity.Parse(w)
		if err != nil {
			d.errf(v, "approval must be required or a severity (SEV-1, SEV-2, SEV-3, Critical…), not %q", w)
			return
		}
		a.When = l
		if l == severity.Medium && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(w)), "SEV") {
			a.When = severity.Low // SEV-3 is Medium and Low alike: all of it
		}
	}
	if n.Kind == yaml.MappingNode {
		d.fields(n, "approval", map[string]func(*yaml.Node){
			"when": when,
			"by":   d.strs(&a.By, "approval by"),
		}, "when")
	} else {
		when(n)
	}
	if len(a.By) == 0 {
		a.By = append([]string(nil), DefaultApprovers...)
	}
	for _, r := range a.By {
		if strings.EqualFold(r, RoleCommander) {
			d.errf(n, "approval by: the commander always approves; name the other roles")
		}
	}
	return a
}

func (d *decoder) validate(p *Playbook, opts Options) {
	if !idRe.MatchString(p.ID) {
		d.errf(d.pos[&p.ID], "id %q must be uppercase words joined by - (INC-1, ROTATION)", p.ID)
	}
	if !contains([]string{KindIncident, KindDrill, KindProcedure}, p.Kind) {
		d.errf(d.pos[&p.Kind], "kind %q must be incident, drill or procedure", p.Kind)
	}
	inputs := map[string]bool{}
	for _, in := range p.Inputs {
		if inputs[in.Name] {
			d.errf(d.pos[in.Name+"\x00input"], "duplicate input %q", in.Name)
		}
		inputs[in.Name] = true
	}
	if len(p.Phases) == 0 {
		d.errf(d.pos[&p.Phases], "a playbook needs at least one phase")
	}
	phases := map[string]bool{}
	steps := map[string]bool{}
	k := 0
	for pi := range p.Phases {
		ph := &p.Phases[pi]
		if phases[ph.ID] {
			d.errf(d.pos["phase\x00"+ph.ID], "duplicate phase id %q", ph.ID)
		}
		phases[ph.ID] = true
		for si := range ph.Steps {
			s := &ph.Steps[si]
			s.Phase = ph.ID
			s.Number = fmt.Sprintf("%d.%d", pi+1, si+1)
			switch s.Deadline {
			case noDeadline:
				s.Deadline = 0
			case 0:
				s.Deadline = ph.Deadline
			}
			sp := d.steps[k]
			k++
			pos := sp.id
			if !stepRe.MatchString(s.ID) {
				d.errf(pos, "step id %q must be lowercase words joined by -", s.ID)
			}
			if steps[s.ID] {
				d.errf(pos, "duplicate step id %q", s.ID)
			}
			steps[s.ID] = true
			if ph.Deadline > 0 && s.Deadline > ph.Deadline {
				d.errf(pos, "step %q deadline %s is after its phase's %s", s.ID, FormatDuration(s.Deadline), FormatDuration(ph.Deadline))
			}
			for _, ref := range refs(s.Guidance) {
				if !inputs[ref] {
					d.errf(orNode(sp.guidance, pos), "step %q guidance refers to unknown input ${%s} (inputs: %s)", s.ID, ref, strings.Join(p.InputNames(), ", "))
				}
			}
			if s.Action == nil {
				continue
			}
			apos := orNode(sp.action, pos)
			if !actionRe.MatchString(s.Action.Name) {
				d.errf(apos, "action name %q must be dotted lowercase words (key.isolate)", s.Action.Name)
			}
			for _, arg := range slices.Sorted(maps.Keys(s.Action.Args)) {
				for _, ref := range refs(s.Action.Args[arg]) {
					if !inputs[ref] {
						d.errf(orNode(sp.args[arg], apos), "action argument %q refers to unknown input ${%s} (inputs: %s)", arg, ref, strings.Join(p.InputNames(), ", "))
					}
				}
			}
			if opts.Actions != nil {
				for _, msg := range opts.Actions(s.Action.Name, s.Action.Args) {
					d.errf(apos, "step %q: %s", s.ID, msg)
				}
			}
		}
	}
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil && a.Line > 0 {
		return a
	}
	return b
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
