package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/signing"
)

// The actions below wrap what the CLI does for the record itself (exports,
// messages, consistency checks) so that playbook steps can run them
// through the same pipeline.

type exportAction struct {
	a      *app
	inc    *incident.Incident
	format string
	path   string
	sum    string
}

func (x *exportAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: "record.export", Summary: "export the " + x.format + " record into the incident's exports/",
		Changes: []string{"write exports/" + x.inc.Header.ID + "-TIME." + x.format}}, nil
}

func (x *exportAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	path, e, _, err := x.a.writeRecord(x.inc, x.format, "", false)
	if err != nil {
		return nil, err
	}
	x.path, x.sum = path, e.Data.(map[string]any)["sha256"].(string)
	return &actions.Result{Summary: "exported the record to " + path, Data: map[string]any{"path": path, "sha256": x.sum}, Events: []journal.Entry{e}}, nil
}

func (x *exportAction) Verify(ctx context.Context, _ *actions.Result) (*actions.Verification, error) {
	return verifyWritten(x.path, x.sum), nil
}

func verifyWritten(path, sum string) *actions.Verification {
	b, err := os.ReadFile(path)
	ok := err == nil && evidence.SumBytes(b) == sum
	return &actions.Verification{Checks: []actions.Check{{What: path + " reads back with its hash", OK: ok, Detail: sum}}}
}

type commsAction struct {
	a      *app
	inc    *incident.Incident
	tmpl   *comms.Template
	path   string
	sum    string
	text   string
	missed []string
}

func (x *commsAction) Plan(context.Context) (*actions.Plan, error) {
	text, missing, err := x.a.renderTemplate(x.inc, x.tmpl, nil, false, "")
	if err != nil {
		return nil, err
	}
	x.text, x.missed = text, missing
	return &actions.Plan{Action: "comms.render", Summary: "render " + x.tmpl.Name + " (" + x.tmpl.Title + ") into the incident's comms/",
		Changes: []string{"write comms/" + x.tmpl.Name + "-TIME.txt"}}, nil
}

func (x *commsAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	path, e, err := x.a.writeComms(x.inc, x.tmpl, x.text, x.missed, "", false)
	if err != nil {
		return nil, err
	}
	x.path, x.sum = path, e.Data.(map[string]any)["sha256"].(string)
	return &actions.Result{Summary: "rendered " + x.tmpl.Name + " into " + path, Data: map[string]any{"path": path, "sha256": x.sum}, Events: []journal.Entry{e}}, nil
}

func (x *commsAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	return verifyWritten(x.path, x.sum), nil
}

type consistencyAction struct {
	pin   string
	files []string
	found []signing.Finding
}

func (x *consistencyAction) Plan(context.Context) (*actions.Plan, error) {
	return &actions.Plan{Action: "key.check-consistency", Summary: fmt.Sprintf("check %d file(s) for key references against %s", len(x.files), x.pin)}, nil
}

func (x *consistencyAction) Execute(context.Context, func(actions.Progress)) (*actions.Result, error) {
	found, err := signing.CheckConsistency(x.pin, x.files, nil)
	if err != nil {
		return nil, err
	}
	x.found = found
	return &actions.Result{Summary: fmt.Sprintf("checked %d key reference(s) against %s", len(found), x.pin), Data: map[string]any{"pin": x.pin, "findings": found}}, nil
}

func (x *consistencyAction) Verify(context.Context, *actions.Result) (*actions.Verification, error) {
	v := &actions.Verification{}
	for _, f := range x.found {
		v.Checks = append(v.Checks, actions.Check{What: fmt.Sprintf("%s:%d %s", f.File, f.Line, f.What), OK: f.OK, Detail: f.Problem})
	}
	return v, nil
}
