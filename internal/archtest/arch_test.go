package archtest

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/firebreak-dev/firebreak"

type pkg struct {
	ImportPath string
	Dir        string
	Deps       []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	cmd := exec.Command(goBin, "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// domain reports whether a package is a domain package: playbooks, evidence
// or anything under internal/ except the command line (which, like the tui,
// sits above the domain).
func domain(path string) bool {
	rel := strings.TrimPrefix(path, module+"/")
	switch {
	case rel == "playbooks" || strings.HasPrefix(rel, "playbooks/"):
		return true
	case rel == "evidence" || strings.HasPrefix(rel, "evidence/"):
		return true
	case strings.HasPrefix(rel, "internal/cli"), strings.HasPrefix(rel, "internal/archtest"):
		return false
	case strings.HasPrefix(rel, "internal/"):
		return true
	}
	return false
}

// TestDomainPackagesImportNoUI fails when a domain package depends, directly
// or not, on a Charm package or on the console.
func TestDomainPackagesImportNoUI(t *testing.T) {
	bad, checked := violations(listPackages(t))
	for _, v := range bad {
		t.Error(v)
	}
	if checked < 5 {
		t.Fatalf("only %d domain packages checked", checked)
	}
}

// violations lists each domain package's dependency on UI code.
func violations(pkgs []pkg) (bad []string, checked int) {
	for _, p := range pkgs {
		if !domain(p.ImportPath) {
			continue
		}
		checked++
		for _, d := range p.Deps {
			if strings.Contains(d, "charmbracelet") || strings.HasPrefix(d, "charm.land/") ||
				d == module+"/tui" || strings.HasPrefix(d, module+"/tui/") || d == module+"/internal/cli" {
				bad = append(bad, p.ImportPath+" depends on "+d+": domain packages must not import UI code")
			}
		}
	}
	return bad, checked
}

// TestDomainCheckCatchesAViolation proves the check can fail.
func TestDomainCheckCatchesAViolation(t *testing.T) {
	pkgs := []pkg{
		{ImportPath: module + "/evidence", Deps: []string{"github.com/charmbracelet/lipgloss"}},
		{ImportPath: module + "/internal/journal", Deps: []string{module + "/tui/styles"}},
		{ImportPath: module + "/playbooks", Deps: []string{"charm.land/bubbletea/v2"}},
		{ImportPath: module + "/tui", Deps: []string{"github.com/charmbracelet/bubbletea"}},
		{ImportPath: module + "/internal/cli", Deps: []string{module + "/tui"}},
	}
	bad, checked := violations(pkgs)
	if len(bad) != 3 || checked != 3 {
		t.Fatalf("want 3 violations in 3 domain packages, got %d in %d: %v", len(bad), checked, bad)
	}
}

// TestEveryPackageIsDocumented: each package has a doc comment starting
// "Package <name>" (or "Command <name>" for main).
func TestEveryPackageIsDocumented(t *testing.T) {
	for _, p := range listPackages(t) {
		fset := token.NewFileSet()
		documented := false
		var name string
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			name = af.Name.Name
			if af.Doc == nil {
				continue
			}
			text := af.Doc.Text()
			if strings.HasPrefix(text, "Package "+name+" ") || (name == "main" && strings.HasPrefix(text, "Command ")) {
				documented = true
			}
		}
		if !documented {
			t.Errorf("%s has no package doc comment (\"Package %s ...\")", p.ImportPath, name)
		}
	}
	if _, err := os.Stat("../../go.mod"); err != nil {
		t.Fatal("not run from the module")
	}
}

// TestFirebreakDoesNotLinkSigstoreGo: sigstore-go and what it brings
// (rekor's models, protobuf registries, go-openapi) initialise about 25 ms
// of package state. firebreak starts its verifier process only when a
// Sigstore check runs; only cmd/firebreak-sigstore links it.
func TestFirebreakDoesNotLinkSigstoreGo(t *testing.T) {
	var firebreak, helper *pkg
	pkgs := listPackages(t)
	for i := range pkgs {
		switch pkgs[i].ImportPath {
		case module + "/cmd/firebreak":
			firebreak = &pkgs[i]
		case module + "/cmd/firebreak-sigstore":
			helper = &pkgs[i]
		}
	}
	if firebreak == nil || helper == nil {
		t.Fatal("cmd/firebreak or cmd/firebreak-sigstore not listed")
	}
	heavy := func(d string) bool {
		return strings.HasPrefix(d, "github.com/sigstore/") || strings.HasPrefix(d, "google.golang.org/protobuf") ||
			strings.HasPrefix(d, "github.com/go-openapi/") || d == module+"/internal/sigstore/verifier"
	}
	for _, d := range firebreak.Deps {
		if heavy(d) {
			t.Errorf("cmd/firebreak depends on %s: keep sigstore-go in cmd/firebreak-sigstore", d)
		}
	}
	linked := false
	for _, d := range helper.Deps {
		linked = linked || d == "github.com/sigstore/sigstore-go/pkg/verify"
	}
	if !linked {
		t.Error("cmd/firebreak-sigstore does not link sigstore-go's verifier: the check above proves nothing")
	}
}
