package comms

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func full(t *Template) map[string]string {
	d := map[string]string{}
	for _, f := range t.Fields {
		d[f] = "value-of-" + f
	}
	return d
}

func TestEveryTemplateRendersAndRefuses(t *testing.T) {
	lib, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, tm := range lib.All() {
		names = append(names, tm.Name)
		out, err := tm.Render(full(tm), false)
		if err != nil {
			t.Fatalf("%s: %v", tm.Name, err)
		}
		for _, f := range tm.Fields {
			if !strings.Contains(out, "value-of-"+f) {
				t.Errorf("%s: field %s declared but not used", tm.Name, f)
			}
		}
		if strings.Contains(out, "<no value>") || strings.Contains(out, "[MISSING") {
			t.Errorf("%s: %s", tm.Name, out)
		}
		d := full(tm)
		delete(d, tm.Fields[0])
		d[tm.Fields[len(tm.Fields)-1]] = "  "
		_, err = tm.Render(d, false)
		var me *MissingError
		if !errors.As(err, &me) || len(me.Fields) != 2 || me.Fields[0] != tm.Fields[0] {
			t.Errorf("%s: missing fields: %v", tm.Name, err)
		}
		out, err = tm.Render(d, true)
		if err != nil || !strings.Contains(out, "[MISSING: "+tm.Fields[0]+"]") {
			t.Errorf("%s: allow-missing: %v", tm.Name, err)
		}
	}
	if strings.Join(names, ",") != "incident-advisory,key-compromise,malicious-module,post-incident-summary,sigstore-notice,vulnerability-disclosure" {
		t.Fatalf("templates: %v", names)
	}
	kc, _ := lib.Get("key-compromise")
	out, _ := kc.Render(full(kc), false)
	if !strings.HasPrefix(out, "Subject: [SECURITY] WSC Signing Key Compromise - Action Required") {
		t.Fatalf("subject: %q", out[:60])
	}
}

func TestExtraTemplatesAndBadOnes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "key-compromise.tmpl"), []byte("{{/* title: Ours */}}\n{{/* fields: key_id */}}\nKey {{f \"key_id\"}} is out.\n"), 0o644)
	lib, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if tm, _ := lib.Get("key-compromise"); tm.Title != "Ours" {
		t.Fatal("directory template does not replace the shipped one")
	}
	for name, body := range map[string]string{
		"undeclared.tmpl": "{{/* title: X */}}\n{{/* fields: a */}}\n{{f \"a\"}} {{f \"b\"}}\n",
		"noheader.tmpl":   "hello {{f \"a\"}}\n",
		"broken.tmpl":     "{{/* title: X */}}\n{{/* fields: a */}}\n{{f \"a\"\n",
	} {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, name), []byte(body), 0o644)
		if _, err := Load([]string{d}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestContacts(t *testing.T) {
	dir := t.TempDir()
	cs, err := LoadContacts(filepath.Join(dir, "none.yaml"))
	if err != nil || len(cs) != len(DefaultContacts) || !strings.Contains(FormatContacts(cs), "(fill in: firebreak contacts file)") {
		t.Fatalf("defaults: %v", err)
	}
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("- role: Security Lead\n  contact: sec@example.com\n"), 0o600)
	if cs, err := LoadContacts(p); err != nil || cs[0].Contact != "sec@example.com" {
		t.Fatalf("%v %v", err, cs)
	}
	os.WriteFile(p, []byte("- role: X\n  phone: 1\n"), 0o600)
	if _, err := LoadContacts(p); err == nil {
		t.Fatal("unknown field accepted")
	}
}
