package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRolesHandoffFollowupsInTheRecord(t *testing.T) {
	e := newEnv(t)
	id := e.open()
	e.fail(1, "the commander is handed off", "role", id, "commander", "bob")
	e.fail(1, `"janitor" is not a role of this incident`, "role", id, "janitor", "bob")
	e.ok("role", id, "scribe", "bob")
	e.ok("role", id, "system integrator", "carol")
	e.fail(2, "--to is required", "handoff", id)
	if out := e.ok("handoff", id, "--to", "dave", "--reason", "end of shift"); out != "commander: alice -> dave\n" {
		t.Fatalf("handoff: %q", out)
	}
	// Only the commander gives roles, hands off and assigns others' steps.
	e.fail(1, "only the commander (dave) assigns steps to others", "assign", id, "2.1", "carol")
	if _, errs, _ := e.run("role", id, "comms", "erin"); !strings.Contains(errs, "only the commander (dave) gives roles") || !strings.Contains(errs, "hint: ask dave, or take command first") {
		t.Fatalf("role by a non-commander: %s", errs)
	}
	e.fail(1, "only the commander (dave) hands command to someone else", "handoff", id, "--to", "erin")
	e.fail(1, "taking command from dave needs a reason", "--actor", "erin", "handoff", id, "--to", "erin")
	e.ok("--actor", "dave", "assign", id, "2.1", "carol")
	e.fail(1, "already assigned to carol", "--actor", "dave", "assign", id, "2.1", "carol")
	e.ok("--actor", "bob", "assign", id, "2.2", "bob") // anyone takes an unassigned step
	e.ok("--actor", "bob", "assign", id, "2.2", "-")   // and gives it back
	e.ok("followup", "add", id, "move", "the", "key", "to", "an", "HSM", "--owner", "carol", "--due", "+7d")
	e.ok("followup", "add", id, "pin actions by SHA")
	e.fail(2, "cannot read due time", "followup", "add", id, "x", "--due", "yesterday")
	e.fail(2, "is not a follow-up number", "followup", "done", id, "one")
	e.fail(1, "there is no follow-up 3 (1…2)", "followup", "done", id, "3")
	e.ok("followup", "done", id, "2", "--reason", "done in #42")

	out := e.ok("incident", "show", id)
	for _, want := range []string{"commander dave (since", "roles     System integrator carol; scribe bob",
		"[x] 2. pin actions by SHA", "[ ] 1. move the key to an HSM — owner carol, due 2026-11-29 03:10Z", "@carol"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show lacks %q:\n%s", want, out)
		}
	}
	if out := e.ok("--actor", "carol", "incident", "show", id); !strings.Contains(out, "my steps  isolate-key, identify-scope") {
		t.Fatalf("carol's steps:\n%s", out)
	}
	var rows []struct {
		Incident string
		N        int
		Done     bool
		Owner    string
	}
	json.Unmarshal([]byte(e.ok("followup", "list", "--open", "--json")), &rows)
	if len(rows) != 1 || rows[0].N != 1 || rows[0].Owner != "carol" || rows[0].Incident != id {
		t.Fatalf("followup list --open: %+v", rows)
	}
	// The export and the post-incident summary carry the team and the
	// follow-ups.
	e.ok("export", id, "--format", "json", "-o", filepath.Join(t.TempDir(), "r.json"))
	var rec struct {
		Team struct {
			Commander struct{ Person string }
			Handoffs  []struct{ From, To, Reason string }
			Roles     map[string]struct{ Person string }
		}
		Followups []struct {
			Text string
			Done bool
		}
		Steps []struct {
			ID       string
			Assignee string
		}
	}
	b := e.ok("export", id, "--format", "json", "-o", "-")
	if err := json.Unmarshal([]byte(b), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Team.Commander.Person != "dave" || len(rec.Team.Handoffs) != 1 || rec.Team.Handoffs[0].Reason != "end of shift" ||
		rec.Team.Roles["scribe"].Person != "bob" || len(rec.Followups) != 2 || !rec.Followups[1].Done {
		t.Fatalf("export team/follow-ups: %+v", rec)
	}
	summary := e.ok("comms", "render", id, "post-incident-summary", "-o", "-", "--allow-missing")
	for _, want := range []string{"- commander: dave", "handoff: alice -> dave", "- [ ] 1. move the key to an HSM — owner carol, due", "- [x] 2. pin actions by SHA"} {
		if !strings.Contains(summary, want) {
			t.Fatalf("summary lacks %q:\n%s", want, summary)
		}
	}
}

func TestStatusCadenceReminder(t *testing.T) {
	e := newEnv(t)
	id := e.open("--severity", "SEV-1")
	e.advance(20 * time.Minute)
	if out := e.ok("incident", "show", id); !strings.Contains(out, "updates   next status update due 2026-11-22 03:40:00Z (in 10m; every 30 min at SEV-1)") {
		t.Fatalf("reminder:\n%s", out)
	}
	e.advance(25 * time.Minute)
	out := e.ok("incident", "show", id)
	if !strings.Contains(out, "UPDATES   status update OVERDUE by 15m (every 30 min at SEV-1)") {
		t.Fatalf("overdue:\n%s", out)
	}
	e.ok("note", id, "contained, rotating the key", "--status")
	if out := e.ok("incident", "show", id); !strings.Contains(out, "next status update due 2026-11-22 04:25:00Z") {
		t.Fatalf("after a status note:\n%s", out)
	}
	e.fail(2, "--status and --step together", "note", id, "x", "--status", "--step", "1.1")
	e.ok("incident", "close", id, "--reason", "done")
	if out := e.ok("incident", "show", id); strings.Contains(out, "status update") {
		t.Fatalf("a closed incident asks for updates:\n%s", out)
	}
}

func TestSearchAndMetricsTrends(t *testing.T) {
	e := newEnv(t)
	one := e.open()
	e.ok("note", one, "The attacker used a PAT from the CI logs")
	e.ok("fact", one, "key_path=/keys/Prod-Signing.sec")
	e.advance(48 * time.Hour)
	two := strings.TrimSpace(e.ok("incident", "open", "--playbook", "INC-2", "--title", "Malicious module", "--severity", "high"))
	e.ok("note", two, "module replaced by the attacker\nsecond line mentions ci logs too")
	e.ok("note", two, strings.Repeat("long text ", 30)+"with the needle-in-data far beyond the summary")

	out := e.ok("search", "ci logs")
	if !strings.Contains(out, one) || !strings.Contains(out, two) {
		t.Fatalf("search:\n%s", out)
	}
	if strings.Index(out, two) > strings.Index(out, one) {
		t.Fatalf("newest incident first:\n%s", out)
	}
	if out := e.ok("search", "needle-in-data"); !strings.Contains(out, "[data.text: …long text long text long text with the needle-in-data far beyond the summary]") {
		t.Fatalf("a match in data shows where:\n%s", out)
	}
	var res struct {
		Matches int
		Hits    []struct{ Incident, Kind, In string }
	}
	json.Unmarshal([]byte(e.ok("search", "PROD-signing", "--json")), &res)
	if res.Matches != 1 || res.Hits[0].Kind != "fact.set" || res.Hits[0].In != "summary" {
		t.Fatalf("fact search: %+v", res)
	}
	json.Unmarshal([]byte(e.ok("search", "attacker", "--kind", "note", "--since", "-1d", "--json")), &res)
	if res.Matches != 1 || res.Hits[0].Incident != two {
		t.Fatalf("--since/--kind: %+v", res)
	}
	if _, _, code := e.run("search", "nothing like this"); code != 1 {
		t.Fatalf("no match: exit %d", code)
	}
	e.fail(2, "search for what?", "search")
	e.ok("search", "--kind", "incident", "--incident", one[:12])

	var m struct {
		Incidents int
		Groups    []struct {
			Group     string
			Incidents int
		}
	}
	json.Unmarshal([]byte(e.ok("metrics", "--by", "severity", "--json")), &m)
	if m.Incidents != 2 || len(m.Groups) != 2 || m.Groups[0].Group != "SEV-1 (Critical)" || m.Groups[1].Group != "SEV-2 (High)" {
		t.Fatalf("metrics --by severity: %+v", m)
	}
	json.Unmarshal([]byte(e.ok("metrics", "--since", "-1d", "--json")), &m)
	if m.Incidents != 1 {
		t.Fatalf("metrics --since: %+v", m)
	}
	if out := e.ok("metrics", "--by", "playbook"); !strings.Contains(out, "INC-1: 1 incident(s) counted") || !strings.Contains(out, "INC-2: 1 incident(s)") {
		t.Fatalf("metrics --by playbook:\n%s", out)
	}
	e.fail(2, `cannot group by "team"`, "metrics", "--by", "team")
}
