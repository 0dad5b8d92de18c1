package export

import (
	"bufio"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
	"github.com/firebreak-dev/firebreak/playbooks"
)

// The HTML export is one file with inline CSS, no scripts and no external
// resources, so it opens anywhere and can be attached to a ticket as it is.
var htmlTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("export").Funcs(template.FuncMap{
		"stamp":  stamp,
		"clean":  func(s string) string { return textutil.Clean(s, true) },
		"upper":  func(s playbooks.State) string { return strings.ToUpper(string(s)) },
		"metric": metricValue,
		"both":   func(c incident.SeverityChange) string { return c.To.Both() },
		"from":   func(c incident.SeverityChange) string { return c.From.Both() },
		"deref":  derefTime,
	}).Parse(`{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="firebreak {{.Schema}}">
<title>Incident {{clean .Incident.ID}}: {{clean .Incident.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.drill{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem}.bad{color:#a40e26;font-weight:bold}.ok{color:#116329}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}th{background:#161b22}th,td{border-color:#30363d}.drill{background:#3b2e00}}
</style>
</head>
<body>
<h1>Incident {{clean .Incident.ID}}: {{clean .Incident.Title}}</h1>
{{if .Incident.Drill}}<p class="drill"><strong>DRILL</strong> — this incident is a drill and is excluded from metrics.</p>{{end}}
<table>
<tr><th>Playbook</th><td>{{.Incident.Playbook.ID}} v{{clean .Incident.Playbook.Version}} — {{clean .Incident.Playbook.Title}}</td></tr>
<tr><th>Severity</th><td>{{.Severity.Level}} / {{.Severity.SEV}} (response {{.Severity.Response}}, due {{stamp .Severity.ResponseDeadline}})</td></tr>
<tr><th>Opened</th><td>{{stamp .Incident.Created}} by {{clean .Incident.CreatedBy}}</td></tr>
<tr><th>Status</th><td>{{.Status}}{{with .ClosedAt}} at {{stamp (deref .)}}{{end}}</td></tr>
<tr><th>Record generated</th><td>{{stamp .Generated}}</td></tr>
</table>

<h2>Severity history</h2>
<table><tr><th>At (UTC)</th><th>By</th><th>Change</th><th>Reason</th></tr>
{{range $i, $c := .SeverityHistory}}<tr><td>{{stamp $c.At}}</td><td>{{clean $c.Actor}}</td><td>{{if eq $i 0}}opened at {{both $c}}{{else}}{{from $c}} → {{both $c}}{{end}}</td><td>{{clean $c.Reason}}</td></tr>
{{end}}</table>

{{if .Facts}}<h2>Facts</h2>
<table><tr><th>Fact</th><th>Value</th></tr>
{{range $k, $v := .Facts}}<tr><td>{{clean $k}}</td><td>{{clean $v}}</td></tr>
{{end}}</table>{{end}}

<h2>Milestones and metrics</h2>
{{if .Milestones}}<table><tr><th>Milestone</th><th>At (UTC)</th><th>By</th></tr>
{{range .Milestones}}<tr><td>{{.Name}}</td><td>{{stamp .At}}</td><td>{{clean .Actor}}</td></tr>
{{end}}</table>{{else}}<p>No milestones recorded.</p>{{end}}
<table><tr><th>Metric</th><th>Definition</th><th>Target</th><th>Value</th></tr>
{{range .Metrics}}<tr><td>{{.Name}}</td><td>{{.Definition}}</td><td>{{.TargetText}}</td><td{{if and .Known (not .Met)}} class="bad"{{end}}>{{metric .}}</td></tr>
{{end}}</table>

<h2>Steps</h2>
<table><tr><th>#</th><th>Step</th><th>Phase</th><th>RACI</th><th>Due (UTC)</th><th>State</th><th>History</th></tr>
{{range .Steps}}<tr><td>{{.Number}}</td><td>{{clean .Title}}<br><code>{{.ID}}</code>{{with .Assignee}}<br>assigned to {{clean .}}{{end}}</td><td>{{clean .PhaseTitle}}</td><td>{{clean .RACI.String}}{{with .Approval}}<br>needs approval {{clean .}}{{end}}</td><td>{{with .Deadline}}{{stamp (deref .)}}{{end}}</td><td>{{upper .State}}</td><td>{{range .Approvals}}{{stamp .At}} approved by {{clean .Actor}} ({{clean .Role}}){{if .Reason}} — {{clean .Reason}}{{end}}<br>{{end}}{{range .History}}{{stamp .At}} {{clean .Actor}}: {{.Verb}} → {{.To}}{{if .Reason}} — {{clean .Reason}}{{end}}<br>{{end}}</td></tr>
{{end}}</table>

<h2>Team</h2>
<p>Commander: {{clean .Team.Commander.Person}} (since {{stamp .Team.Commander.At}})</p>
{{if .Team.Handoffs}}<table><tr><th>Handoff at (UTC)</th><th>From</th><th>To</th><th>Recorded by</th><th>Reason</th></tr>
{{range .Team.Handoffs}}<tr><td>{{stamp .At}}</td><td>{{clean .From}}</td><td>{{clean .To}}</td><td>{{clean .Actor}}</td><td>{{clean .Reason}}</td></tr>
{{end}}</table>{{end}}
{{if .Team.Roles}}<table><tr><th>Role</th><th>Person</th><th>Since (UTC)</th></tr>
{{range $r, $h := .Team.Roles}}{{if ne $r "commander"}}<tr><td>{{clean $r}}</td><td>{{clean $h.Person}}</td><td>{{stamp $h.At}}</td></tr>
{{end}}{{end}}</table>{{end}}

<h2>Follow-ups</h2>
{{if .Followups}}<table><tr><th>#</th><th>Follow-up</th><th>Owner</th><th>Due (UTC)</th><th>State</th></tr>
{{range .Followups}}<tr><td>{{.N}}</td><td>{{clean .Text}}</td><td>{{clean .Owner}}</td><td>{{if not .Due.IsZero}}{{stamp .Due}}{{end}}</td><td>{{if .Done}}DONE {{stamp .DoneAt}} by {{clean .DoneBy}}{{if .Reason}} — {{clean .Reason}}{{end}}{{else}}OPEN{{end}}</td></tr>
{{end}}</table>{{else}}<p>None recorded.</p>{{end}}

<h2>Timeline</h2>
<p>All times are UTC. <em>At</em> is when it happened (as the responder gave it); <em>logged</em> is when it was written.</p>
<table><tr><th>At (UTC)</th><th>Logged (UTC)</th><th>Actor</th><th>Kind</th><th>Step</th><th>Summary</th></tr>
{{end}}{{define "tail"}}</table>

<h2>Journal</h2>
<p>{{if .Journal.Intact}}<span class="ok">Intact</span>: every chain verifies{{else}}<span class="bad">NOT INTACT</span>{{end}} ({{.Journal.Events}} events). Check it with <code>firebreak timeline verify {{clean .Incident.ID}}</code>.</p>
<table><tr><th>Actor file</th><th>Events</th><th>Head seq</th><th>Head id (SHA-256)</th></tr>
{{range .Journal.Files}}<tr><td>{{clean .File}}</td><td>{{.Events}}</td><td>{{.HeadSeq}}</td><td><code>{{.HeadID}}</code></td></tr>
{{end}}</table>
{{range .Journal.Problems}}<p class="bad">PROBLEM: {{clean .Error}}</p>{{end}}
</body>
</html>
{{end}}`))
})

// WriteHTML writes the record as a single self-contained HTML file. The
// timeline's rows are written one event at a time, escaped exactly as the
// template escapes text.
func WriteHTML(out io.Writer, r *Record) error {
	w := bufio.NewWriterSize(out, 64<<10)
	if err := htmlTmpl().ExecuteTemplate(w, "head", r); err != nil {
		return err
	}
	err := r.Timeline(func(e *journal.Event) error {
		w.WriteString("<tr><td>")
		w.WriteString(stamp(e.At))
		w.WriteString("</td><td>")
		w.WriteString(stamp(e.Logged))
		w.WriteString("</td><td>")
		writeHTMLText(w, textutil.Clean(e.Actor, true))
		w.WriteString("</td><td>")
		writeHTMLText(w, e.Kind)
		w.WriteString("</td><td>")
		writeHTMLText(w, textutil.Clean(e.Step, true))
		w.WriteString("</td><td>")
		writeHTMLText(w, textutil.Clean(e.Summary, true))
		_, err := w.WriteString("</td></tr>\n")
		return err
	})
	if err != nil {
		return err
	}
	if err := htmlTmpl().ExecuteTemplate(w, "tail", r); err != nil {
		return err
	}
	return w.Flush()
}

// writeHTMLText writes s as html/template writes text in an element: the
// characters that could end the text or start markup as character
// references, NUL as U+FFFD.
func writeHTMLText(w *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case 0:
			rep = "\uFFFD"
		case '"':
			rep = "&#34;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(rep)
		last = i + 1
	}
	w.WriteString(s[last:])
}

func derefTime(t *time.Time) time.Time { return *t }
