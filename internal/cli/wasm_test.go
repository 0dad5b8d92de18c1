package cli

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyModule is (module (func (export "f"))).
func tinyModule(t *testing.T) []byte {
	b, _ := hex.DecodeString("0061736d0100000001040160000003020100070501016600000a040102000b")
	return b
}

func TestWasmCommands(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for _, k := range []string{"old", "other", "new"} {
		e.ok("key", "generate", "--out", filepath.Join(dir, k), "--format", "wsc")
	}
	k := func(name string) string { return filepath.Join(dir, name) }
	mods := filepath.Join(dir, "mods")
	os.MkdirAll(mods, 0o755)
	m := filepath.Join(mods, "m.wasm")
	os.WriteFile(m, tinyModule(t), 0o644)
	os.WriteFile(filepath.Join(mods, "plain.wasm"), tinyModule(t), 0o644)
	os.WriteFile(filepath.Join(mods, "fake.wasm"), []byte("#!/bin/sh\necho not wasm\n"), 0o644)

	e.fail(1, "not confirmed", "wasm", "sign", m, "--key", k("old.sec")) // in place: asks
	e.ok("wasm", "sign", m, "--key", k("old.sec"), "--yes")
	e.ok("wasm", "sign", m, "--key", k("other.sec"), "--yes")
	e.fail(1, "duplicate signature", "wasm", "sign", m, "--key", k("old.sec"), "--yes")
	if out := e.ok("wasm", "verify", m, "--pubkey", k("old.pub"), "--strict"); !strings.HasPrefix(out, "OK ") {
		t.Fatalf("verify: %s", out)
	}
	var info struct {
		Signature string
		Sets      []struct {
			Current bool
			Records []struct {
				KeyID string `json:"key_id"`
			}
		}
	}
	json.Unmarshal([]byte(e.ok("wasm", "show", m, "--json")), &info)
	if info.Signature != "ed25519" || len(info.Sets) != 1 || len(info.Sets[0].Records) != 2 || !info.Sets[0].Current {
		t.Fatalf("show: %+v", info)
	}
	oldKID := info.Sets[0].Records[0].KeyID

	// Scan: one object per module with --json; the summary line otherwise.
	out := e.ok("wasm", "scan", mods, "--key-id", oldKID, "--json")
	dec := json.NewDecoder(strings.NewReader(out))
	status := map[string]string{}
	for dec.More() {
		var r struct{ Path, Status string }
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		status[filepath.Base(r.Path)] = r.Status
	}
	if status["m.wasm"] != "signed-by-key" || status["plain.wasm"] != "unsigned" || status["fake.wasm"] != "unparseable" {
		t.Fatalf("scan: %v", status)
	}
	if out := e.ok("wasm", "scan", mods, "--pubkey", k("old.pub")); !strings.Contains(out, "3 module(s) scanned") || !strings.Contains(out, "1 signed by the key") {
		t.Fatalf("scan text: %s", out)
	}

	// Re-sign inside an incident: the original is kept as evidence.
	id := e.open()
	e.ok("wasm", "resign", mods, "--drop-key-id", oldKID, "--key", k("new.sec"), "--incident", id, "--yes", "--step", "resign-modules")
	e.fail(1, "no valid signatures", "wasm", "verify", m, "--pubkey", k("old.pub"))
	e.ok("wasm", "verify", m, "--pubkey", k("other.pub"), "--strict")
	e.ok("wasm", "verify", m, "--pubkey", k("new.pub"), "--strict")
	if out := e.ok("evidence", "verify", id); !strings.Contains(out, "1 evidence file(s)") {
		t.Fatalf("original not kept: %s", out)
	}
	if out := e.ok("timeline", id, "--kind", "module.resigned"); !strings.Contains(out, "1 record(s) dropped, 1 kept") {
		t.Fatalf("not recorded: %s", out)
	}
	e.fail(1, "none of the 3 module(s) carries a signature by key", "wasm", "resign", mods, "--drop-key-id", oldKID, "--key", k("new.sec"), "--yes")

	// Bad input: a non-wasm file named .wasm, a missing key id, the same key.
	e.fail(1, "not a WebAssembly module", "wasm", "show", filepath.Join(mods, "fake.wasm"))
	e.fail(1, "not a WebAssembly module", "wasm", "sign", filepath.Join(mods, "fake.wasm"), "--key", k("new.sec"), "--yes")
	e.fail(2, "give --key-id HEX or --pubkey PUB", "wasm", "scan", mods)
	e.fail(2, "is not a wsc key id", "wasm", "scan", mods, "--key-id", "xyz")
	// A key id of 4 hex digits matched nothing: "0 signed by the key", an
	// all-clear. Only 24 hex digits are a key id.
	for _, kid := range []string{"abcd", oldKID[:22], oldKID + "00"} {
		e.fail(2, "24 hex digits", "wasm", "scan", mods, "--key-id", kid)
	}
	// A mistyped directory is not "0 modules affected".
	if _, errs, code := e.run("wasm", "scan", mods, filepath.Join(mods, "nope"), "--key-id", oldKID, "--json"); code != 1 || !strings.Contains(errs, "1 path(s) could not be read") {
		t.Fatalf("scan of a missing path: exit %d, %s", code, errs)
	}
	e.fail(1, "the new key is the key being dropped", "wasm", "resign", mods, "--drop-pubkey", k("new.pub"), "--key", k("new.sec"))
	e.fail(1, "is not the public half", "wasm", "sign", m, "--key", k("new.sec"), "--pubkey", k("old.pub"), "--yes")
}
