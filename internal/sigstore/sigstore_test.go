package sigstore_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/internal/sigstore"
	"github.com/firebreak-dev/firebreak/internal/sigstore/sigstoretest"
)

func TestParseRootRefuses(t *testing.T) {
	ca := sigstoretest.NewCA(t)
	good, err := sigstore.ParseRoot(ca.Root)
	if err != nil || len(good.CAs) != 1 || len(good.Tlogs) != 1 || good.SHA256 == "" {
		t.Fatalf("generated root: %v %+v", err, good)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(ca.Root, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"not JSON", []byte("{"), "JSON"},
		{"a bundle", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`), "media type"},
		{"no CA", mutate(func(m map[string]any) { delete(m, "certificateAuthorities") }), "needs a certificate authority"},
		{"no log", mutate(func(m map[string]any) { m["tlogs"] = []any{} }), "needs a certificate authority and a transparency log"},
		{"log id not base64", mutate(func(m map[string]any) {
			m["tlogs"].([]any)[0].(map[string]any)["logId"] = map[string]any{"keyId": "%%"}
		}), "tlogs[0]: logId.keyId"},
		{"bad validity", mutate(func(m map[string]any) {
			m["certificateAuthorities"].([]any)[0].(map[string]any)["validFor"] = map[string]any{"start": "yesterday"}
		}), "certificateAuthorities[0]: validFor.start"},
		{"bad certificate", mutate(func(m map[string]any) {
			m["certificateAuthorities"].([]any)[0].(map[string]any)["certChain"] = map[string]any{"certificates": []any{map[string]any{"rawBytes": "AAAA"}}}
		}), "certificates[0]"},
	}
	for _, c := range cases {
		if _, err := sigstore.ParseRoot(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestDiff(t *testing.T) {
	a, b := sigstoretest.NewCA(t), sigstoretest.NewCA(t)
	ra, _ := sigstore.ParseRoot(a.Root)
	rb, _ := sigstore.ParseRoot(b.Root)
	if ch := sigstore.Diff(ra, ra); len(ch) != 0 {
		t.Fatalf("same root: %v", ch)
	}
	ch := sigstore.Diff(ra, rb)
	var ops []string
	for _, c := range ch {
		ops = append(ops, c.Op+" "+c.What)
	}
	if strings.Join(ops, ",") != "removed certificate authority,added certificate authority,removed transparency log,added transparency log" {
		t.Fatalf("ops: %v", ops)
	}
	// The same CA and log, re-dated: a change, not a swap.
	var m map[string]any
	json.Unmarshal(a.Root, &m)
	m["tlogs"].([]any)[0].(map[string]any)["publicKey"].(map[string]any)["validFor"] = map[string]any{"start": "2025-11-20T12:00:00Z", "end": "2026-12-01T00:00:00Z"}
	redated, _ := json.Marshal(m)
	rr, err := sigstore.ParseRoot(redated)
	if err != nil {
		t.Fatal(err)
	}
	ch = sigstore.Diff(ra, rr)
	if len(ch) != 1 || ch[0].Op != "changed" || !strings.Contains(ch[0].Detail, "to 2026-12-01 00:00:00Z") {
		t.Fatalf("re-dated: %v", ch)
	}
	// The public-good root and the scaffolding one share nothing.
	pg, err := sigstore.LoadRoot(sigstoretest.PublicGood(t))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sigstore.LoadRoot(sigstoretest.Scaffolding(t))
	if err != nil {
		t.Fatal(err)
	}
	ch = sigstore.Diff(pg, sc)
	removed := 0
	for _, c := range ch {
		if c.Op == "removed" {
			removed++
		}
	}
	if removed != len(pg.CAs)+len(pg.Tlogs)+len(pg.CTLogs)+len(pg.TSAs) {
		t.Fatalf("public good -> scaffolding: %d removed of %d: %v", removed, len(pg.CAs)+len(pg.Tlogs)+len(pg.CTLogs)+len(pg.TSAs), ch)
	}
}

func TestParseSigners(t *testing.T) {
	ok, err := sigstore.ParseSigners("s.yaml", []byte("- identity: a@b\n- identity: https://x/y\n  issuer: https://i\n"))
	if err != nil || len(ok) != 2 || !ok[1].Matches("https://x/y", "https://i") || ok[1].Matches("https://x/y", "https://other") || !ok[0].Matches("a@b", "anything") {
		t.Fatalf("%v %+v", err, ok)
	}
	for in, want := range map[string]string{
		"":                          "empty",
		"identity: a@b":             "s.yaml",
		"- identity: a\n  isuer: x": "isuer",
		"- issuer: x":               "entry 1 has no identity",
		"- [":                       "s.yaml",
	} {
		if _, err := sigstore.ParseSigners("s.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestWindow(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	w := sigstore.Window{Since: at("2026-01-01T00:00:00Z"), Until: at("2026-02-01T00:00:00Z")}
	for s, want := range map[string]bool{"2025-12-31T23:59:59Z": false, "2026-01-01T00:00:00Z": true, "2026-02-01T00:00:00Z": true, "2026-02-01T00:00:01Z": false} {
		if w.Contains(at(s)) != want {
			t.Errorf("%s: %v", s, !want)
		}
	}
	if !w.Contains(time.Time{}) || !(sigstore.Window{}).Contains(at("1999-01-01T00:00:00Z")) {
		t.Error("an unknown time or an open window must count as inside")
	}
}
