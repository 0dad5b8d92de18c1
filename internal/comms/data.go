package comms

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/journal"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// latest finds the newest action.done of an action and returns its time
// and its result, decoded as the action's result type.
func latest[T any](evs []journal.Event, action string) (time.Time, T, bool) {
	var (
		at    time.Time
		out   T
		found bool
	)
	for _, d := range actions.Done(evs, action) {
		if r, ok := actions.Decode[T](d.Record); ok && (!found || d.Event.At.After(at)) {
			at, out, found = d.Event.At, r, true
		}
	}
	return at, out, found
}

// Data gathers every field the templates know from an incident: its
// header, facts, milestones, metrics, timeline and what its actions did
// (key isolated, modules found, key generated, modules re-signed), plus the
// contacts. Facts and the caller's overrides fill the rest.
func Data(inc *incident.Incident, st *incident.State, evs []journal.Event, contacts []Contact, now time.Time) map[string]string {
	d := map[string]string{}
	for k, v := range st.Facts {
		d[k] = v
	}
	h := inc.Header
	d["incident_id"] = h.ID
	d["title"] = h.Title
	d["severity"] = strings.ToUpper(st.Severity.String()) + " (" + st.Severity.SEV() + ")"
	d["playbook"] = h.Playbook.ID + " " + inc.Playbook.Title
	d["opened_at"] = when(h.Created)
	d["published_at"] = when(now)
	for _, m := range incident.Milestones {
		if ms, ok := st.Milestones[m]; ok {
			d[m+"_at"] = when(ms.At)
		}
	}
	// A window the playbook asks for (INC-3's Sigstore window) is a fact;
	// otherwise it is from compromise to containment.
	if d["window_start"] == "" {
		d["window_start"] = d["compromised_at"]
	}
	if d["window_end"] == "" {
		d["window_end"] = d["contained_at"]
	}
	sigstoreData(d, evs)
	findingsData(d, evs)
	teamData(d, st, now)

	// "Key revoked" is when verifiers dropped the key: the pin update that
	// replaced it, or a published check that found the new pin served —
	// not when it was taken out of service (isolated).
	var revoked time.Time
	for _, a := range []string{actions.NameKeyPinUpdate, actions.NamePublishedVerify} {
		for _, dr := range actions.Done(evs, a) {
			if a == actions.NamePublishedVerify {
				if r, ok := actions.Decode[actions.PublishedResult](dr.Record); !ok || r.Report == nil || !r.Report.OK {
					continue
				}
			}
			if revoked.IsZero() || dr.Event.At.Before(revoked) {
				revoked = dr.Event.At
			}
		}
	}
	if !revoked.IsZero() {
		d["revoked_at"] = when(revoked)
	}
	// The pin update names both keys by fingerprint.
	if _, r, ok := latest[actions.PinsResult](evs, actions.NameKeyPinUpdate); ok && r.Old != "" {
		d["old_fingerprint"], d["new_fingerprint"] = r.Old, r.New
	}
	if _, r, ok := latest[actions.IsolateResult](evs, actions.NameKeyIsolate); ok {
		if r.Fingerprint != "" {
			d["old_fingerprint"] = r.Fingerprint
		}
		if r.KeyID != "" && d["key_id"] == "" {
			d["key_id"] = r.KeyID
		}
	}
	if _, r, ok := latest[actions.ScanResult](evs, actions.NameWasmScan); ok {
		if r.KeyID != "" && d["key_id"] == "" {
			d["key_id"] = r.KeyID
		}
		var lines []string
		for _, m := range r.Modules {
			// A module's name is shown as it is, a newline as \x0a: a name
			// must never forge a line of the message.
			// By name and SHA-256: a public notice never carries a local
			// path.
			lines = append(lines, fmt.Sprintf("- %s (sha256 %s)", textutil.Name(path.Base(filepath.ToSlash(m.Path))), textutil.Name(m.SHA256)))
		}
		if len(lines) > 0 {
			d["affected_modules"] = strings.Join(lines, "\n")
		} else {
			d["affected_modules"] = "- none found signed by this key"
		}
		d["affected_artifacts"] = d["affected_modules"]
	}
	if at, r, ok := latest[actions.GenerateResult](evs, actions.NameKeyGenerate); ok {
		d["new_key_at"] = when(at)
		d["new_key_id"] = r.KeyID
		d["new_fingerprint"] = r.Fingerprint
		if r.PublicKey != "" {
			d["new_public_key"] = "attached: " + textutil.Name(r.PublicKey) + " (fingerprint " + textutil.Name(r.Fingerprint) + ")"
		}
	}
	if at, _, ok := latest[actions.ResignResult](evs, actions.NameWasmResign); ok {
		d["resigned_at"] = when(at)
	}
	// The module a quarantine took (INC-2): by name and SHA-256 only — a
	// public notice never carries a local path.
	for i := range evs {
		e := &evs[i]
		if e.Kind != actions.KindEvidence {
			continue
		}
		var en evidence.Entry
		if json.Unmarshal(e.Data, &en) != nil || en.Operation != "quarantine" || en.SHA256 == "" {
			continue
		}
		if mp := st.Facts["module_path"]; mp == "" || en.Original.Path == mp || d["module_sha256"] == "" {
			d["module_name"] = path.Base(en.Name)
			d["module_sha256"] = en.SHA256
		}
	}
	var ms []string
	for _, m := range st.Metrics() {
		ms = append(ms, fmt.Sprintf("- %s (%s, target %s): %s", m.Name, m.Definition, m.TargetText, m.Text()))
	}
	d["metrics"] = strings.Join(ms, "\n")
	var tl []string
	sorted := append([]journal.Event(nil), evs...)
	journal.SortTimeline(sorted)
	for _, e := range sorted {
		if len(tl) == 200 {
			tl = append(tl, fmt.Sprintf("- … %d more events in the journal", len(sorted)-200))
			break
		}
		tl = append(tl, fmt.Sprintf("- %s %s: %s", e.At.UTC().Format("2006-01-02 15:04"), e.Actor, strings.Join(strings.Fields(e.Summary), " ")))
	}
	d["timeline"] = strings.Join(tl, "\n")
	d["contacts"] = FormatContacts(contacts)
	for _, c := range contacts {
		if strings.EqualFold(c.Role, "Security Lead") && c.Contact != "" {
			d["security_contact"] = c.Contact
		}
	}
	return d
}

// sigstoreData fills the fields a Sigstore audit (INC-3) and a signing
// record (INC-2) give: artifacts by name and digest, never by local path.
func sigstoreData(d map[string]string, evs []journal.Event) {
	var r actions.SigstoreAuditResult
	found := false
	for _, rec := range actions.Ran(evs, actions.NameSigstoreAudit) {
		if v, ok := actions.Decode[actions.SigstoreAuditResult](rec.Record); ok && v.Summary != nil {
			r, found = v, true
		}
	}
	if found {
		s := r.Summary
		d["audit_window"] = s.Window
		d["trusted_root_sha256"] = s.RootSHA256 // the root the audit used, not a later pin
		d["audit_result"] = fmt.Sprintf("%d signature(s) found, %d verified; %d in the window, %d failing the audit (not verifying, or by a signer we do not expect)", s.Signatures, s.Verified, s.InWindow, s.Failed)
		var ids []string
		for _, id := range s.Identities {
			ids = append(ids, "- "+textutil.Name(id))
		}
		d["signing_identities"] = listOrNone(ids)
		var arts []string
		for _, a := range r.Affected {
			name := textutil.Name(a.Artifact)
			if a.File != "" && a.File != a.Artifact {
				name += " (signature " + textutil.Name(a.File) + ")"
			}
			line := fmt.Sprintf("- %s %s, signed by %s at %s", name, textutil.Name(a.Digest), textutil.Name(a.Identity), when(a.IntegratedTime))
			if a.Why != "" {
				line += ": " + textutil.Name(a.Why)
			}
			arts = append(arts, line)
		}
		if s.InWindow > len(r.Affected) {
			arts = append(arts, fmt.Sprintf("- and %d more in the audit report", s.InWindow-len(r.Affected)))
		}
		d["audited_artifacts"] = listOrNone(arts)
	}
	if d["signer"] == "" {
		switch {
		case d["signing_identity"] != "":
			sig := "keyless certificate for " + d["signing_identity"]
			if d["signing_issuer"] != "" {
				sig += " (issuer " + d["signing_issuer"] + ")"
			}
			if d["rekor_log_index"] != "" {
				sig += ", Rekor log index " + d["rekor_log_index"]
			}
			if d["rekor_integrated_time"] != "" {
				sig += " at " + d["rekor_integrated_time"]
			}
			d["signer"] = sig
		case d["signer_key_id"] != "":
			d["signer"] = "Ed25519 key id " + d["signer_key_id"]
		}
	}
}

func listOrNone(lines []string) string {
	if len(lines) == 0 {
		return "- none"
	}
	return strings.Join(lines, "\n")
}

// findingsData fills the window and the affected artifacts from what the
// investigation found, where nothing more specific (a milestone, a scan)
// did: the first bad version git.first-bad found, and the runs gh.audit
// saved. Artifacts are named by repository path and SHA-256.
func findingsData(d map[string]string, evs []journal.Event) {
	var lines []string
	if _, r, ok := latest[actions.FirstBadResult](evs, actions.NameGitFirstBad); ok && r.FirstBad != nil {
		if d["window_start"] == "" {
			d["window_start"] = when(r.FirstBad.At)
		}
		sum := ""
		for _, v := range r.Versions {
			if v.Commit.Hash == r.FirstBad.Hash && v.SHA256 != "" {
				sum = ", sha256 " + v.SHA256
			}
		}
		lines = append(lines, fmt.Sprintf("- %s as published from commit %s (%s) on: its first bad version%s",
			textutil.Name(r.File), textutil.Name(shortHash(r.FirstBad.Hash)), when(r.FirstBad.At), sum))
	}
	if _, r, ok := latest[actions.AuditResult](evs, actions.NameGhAudit); ok && r.Runs > 0 {
		lines = append(lines, fmt.Sprintf("- %d workflow run(s) of %s in the window, listed in the incident evidence %s (sha256 %s)",
			r.Runs, textutil.Name(r.Repo), textutil.Name(r.Evidence), textutil.Name(r.SHA256)))
	}
	if len(lines) > 0 && d["affected_artifacts"] == "" {
		d["affected_artifacts"] = strings.Join(lines, "\n")
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// teamData fills who led (commander, handoffs, roles) and the follow-ups.
func teamData(d map[string]string, st *incident.State, now time.Time) {
	c := st.Commander()
	d["commander"] = c.Person
	lines := []string{"- commander: " + textutil.Line(c.Person)}
	for _, h := range st.Handoffs {
		lines = append(lines, "- "+when(h.At)+" handoff: "+textutil.Line(h.From)+" -> "+textutil.Line(h.To))
	}
	for _, r := range slices.Sorted(maps.Keys(st.Roles)) {
		if r != incident.RoleCommander {
			lines = append(lines, "- "+textutil.Line(r)+": "+textutil.Line(st.Roles[r].Person))
		}
	}
	d["team"] = strings.Join(lines, "\n")
	var fs []string
	for _, f := range st.Followups {
		fs = append(fs, "- "+f.Line(now))
	}
	if len(fs) == 0 {
		fs = []string{"- none recorded (firebreak followup add ID TEXT)"}
	}
	d["followups"] = strings.Join(fs, "\n")
}
