package actions

import (
	"fmt"
	"sort"
	"strings"
)

// Spec describes an action a playbook step can name: its arguments.
type Spec struct {
	Name     string
	Summary  string
	Required []string
	Optional []string
}

// Specs is every action a playbook may name, by name.
var Specs = map[string]Spec{
	"evidence.quarantine":   {Name: "evidence.quarantine", Summary: "move files into the incident's evidence", Required: []string{"paths"}, Optional: []string{"recursive"}},
	"evidence.add":          {Name: "evidence.add", Summary: "copy files into the incident's evidence", Required: []string{"paths"}, Optional: []string{"recursive"}},
	"key.isolate":           {Name: "key.isolate", Summary: "move a private key out of service, mode 0000", Required: []string{"path"}, Optional: []string{"to"}},
	"key.generate":          {Name: "key.generate", Summary: "generate an Ed25519 key pair", Required: []string{"out"}, Optional: []string{"format"}},
	"file.sign":             {Name: "file.sign", Summary: "write a detached Ed25519 signature", Required: []string{"file", "key"}, Optional: []string{"out"}},
	"checksums.make":        {Name: "checksums.make", Summary: "write a checksums manifest", Required: []string{"files", "out"}, Optional: []string{"sign"}},
	"wasm.sign":             {Name: "wasm.sign", Summary: "add an Ed25519 signature to a module", Required: []string{"file", "key"}, Optional: []string{"out", "pubkey"}},
	"wasm.scan":             {Name: "wasm.scan", Summary: "find the modules a key signed", Required: []string{"paths"}, Optional: []string{"key_id", "pubkey"}},
	"wasm.resign":           {Name: "wasm.resign", Summary: "drop a key's signatures from modules and add a new one", Required: []string{"paths", "key"}, Optional: []string{"drop_key_id", "drop_pubkey", "pubkey", "out_dir"}},
	"wasm.show":             {Name: "wasm.show", Summary: "save a module's signature information into the evidence", Required: []string{"file"}},
	"key.check-consistency": {Name: "key.check-consistency", Summary: "check every key reference against the pinned fingerprint", Required: []string{"pin", "files"}},
	"gh.pause":              {Name: "gh.pause", Summary: "disable the signing workflows", Required: []string{"repo"}, Optional: []string{"workflows"}},
	"gh.resume":             {Name: "gh.resume", Summary: "re-enable the workflows this incident paused", Required: []string{"repo"}},
	"gh.cancel-runs":        {Name: "gh.cancel-runs", Summary: "cancel queued and running runs of the paused or signing workflows", Required: []string{"repo"}},
	"gh.secret-set":         {Name: "gh.secret-set", Summary: "set a GitHub Actions secret from a file", Required: []string{"repo", "name", "file"}, Optional: []string{"env"}},
	"gh.secret-delete":      {Name: "gh.secret-delete", Summary: "delete a GitHub Actions secret", Required: []string{"repo", "name"}, Optional: []string{"env"}},
	"gh.audit":              {Name: "gh.audit", Summary: "save commits touching signing paths and workflow runs into the evidence", Required: []string{"repo", "since"}, Optional: []string{"paths"}},
	"gh.publish":            {Name: "gh.publish", Summary: "publish the record as an issue or a draft advisory", Required: []string{"repo", "kind"}},
	"comms.render":          {Name: "comms.render", Summary: "render a communication template into comms/", Required: []string{"template"}},
	"record.export":         {Name: "record.export", Summary: "export the post-incident record", Optional: []string{"format"}},
	"key.pin-update":        {Name: "key.pin-update", Summary: "replace every pinned copy of the old public key (key files, PEM blocks, fingerprints) with the new one", Required: []string{"old", "new", "files"}},
	"key.fingerprint":       {Name: "key.fingerprint", Summary: "compute a public key's fingerprint, natively and with openssl", Required: []string{"pubkey"}, Optional: []string{"expect", "record_as"}},
	"workflow.use-secret":   {Name: "workflow.use-secret", Summary: "point workflow files at another secret", Required: []string{"files", "from", "to"}},
	"signatures.verify":     {Name: "signatures.verify", Summary: "check signatures with a key: that they verify, or (expect: invalid) that a retired key is rejected", Required: []string{"pubkey"}, Optional: []string{"signed", "modules", "expect"}},
	"signatures.openssl":    {Name: "signatures.openssl", Summary: "verify detached signatures with openssl (the external client)", Required: []string{"pubkey", "signed"}},
	"git.first-bad":         {Name: "git.first-bad", Summary: "find the first commit whose signed file does not verify, and the known-good one before it", Required: []string{"repo_dir", "file", "pubkey"}, Optional: []string{"sig"}},
	"git.restore":           {Name: "git.restore", Summary: "restore files to their content at a commit", Required: []string{"repo_dir", "commit", "paths"}},
	"git.commit":            {Name: "git.commit", Summary: "commit the repository's changes", Required: []string{"repo_dir", "message"}},
	"record.window":         {Name: "record.window", Summary: "record the impacted window from the first bad commit to now", Required: []string{"from"}},
	// List arguments (paths, files, signed, modules) hold one item per line;
	// a signed item is "FILE" (its signature FILE.sig) or "FILE SIG".
}

// CheckArgs checks a playbook step's action against Specs: the name exists,
// every required argument is given, and no argument is unknown. It has the
// shape playbooks.Options.Actions wants.
func CheckArgs(name string, args map[string]string) []string {
	spec, ok := Specs[name]
	if !ok {
		names := make([]string, 0, len(Specs))
		for n := range Specs {
			names = append(names, n)
		}
		sort.Strings(names)
		return []string{fmt.Sprintf("unknown action %q (known: %s)", name, strings.Join(names, ", "))}
	}
	var out []string
	for _, r := range spec.Required {
		if _, ok := args[r]; !ok {
			out = append(out, fmt.Sprintf("action %s needs argument %q", name, r))
		}
	}
	known := map[string]bool{}
	for _, a := range append(append([]string{}, spec.Required...), spec.Optional...) {
		known[a] = true
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			out = append(out, fmt.Sprintf("action %s has no argument %q (arguments: %s)", name, k, strings.Join(append(append([]string{}, spec.Required...), spec.Optional...), ", ")))
		}
	}
	return out
}
