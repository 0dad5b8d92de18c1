package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// actionTypes lists the types of internal/actions that are actions: those
// with an Execute method.
func actionTypes(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range parseDir(t, dir) {
		for name := range executes(f) {
			out[name] = true
		}
	}
	return out
}

// executes names the receiver types of a file's Execute methods.
func executes(f *ast.File) map[string]bool {
	out := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Name.Name != "Execute" || len(fd.Recv.List) != 1 {
			continue
		}
		typ := fd.Recv.List[0].Type
		if st, ok := typ.(*ast.StarExpr); ok {
			typ = st.X
		}
		if id, ok := typ.(*ast.Ident); ok {
			out[id.Name] = true
		}
	}
	return out
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.File
	fset := token.NewFileSet()
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Name.Name = filepath.Base(n) // the file, for messages
		out = append(out, f)
	}
	return out
}

// constructions reports each place a file builds an action itself: a
// composite literal or new() of an action type of package actions, or a
// type of its own with an Execute method (an action outside the table).
func constructions(f *ast.File, acts map[string]bool) []string {
	var bad []string
	isAction := func(e ast.Expr) (string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || pkg.Name != "actions" || !acts[sel.Sel.Name] {
			return "", false
		}
		return "actions." + sel.Sel.Name, true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if name, ok := isAction(n.Type); ok {
				bad = append(bad, f.Name.Name+": constructs "+name)
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "new" && len(n.Args) == 1 {
				if name, ok := isAction(n.Args[0]); ok {
					bad = append(bad, f.Name.Name+": constructs "+name)
				}
			}
		}
		return true
	})
	for name := range executes(f) {
		bad = append(bad, f.Name.Name+": defines the action "+name)
	}
	return bad
}

// TestFrontEndsBuildActionsThroughTheTable fails when the command line or
// the console constructs an action itself instead of through internal/app's
// table (Session.Build), or defines one of its own.
func TestFrontEndsBuildActionsThroughTheTable(t *testing.T) {
	acts := actionTypes(t, "../actions")
	if len(acts) < 25 || !acts["Take"] || !acts["PauseWorkflows"] {
		t.Fatalf("found only %d action types in internal/actions", len(acts))
	}
	checked := 0
	for _, dir := range []string{"../cli", "../../tui"} {
		for _, f := range parseDir(t, dir) {
			checked++
			for _, b := range constructions(f, acts) {
				t.Errorf("%s/%s: front ends build actions through app.Session.Build", filepath.Base(dir), b)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}

// TestConstructionCheckCatchesAViolation proves the check can fail.
func TestConstructionCheckCatchesAViolation(t *testing.T) {
	src := `package cli
import "x/actions"
type mine struct{}
func (m *mine) Execute() {}
func f() {
	_ = &actions.Take{Move: true}
	_ = new(actions.SignFile)
	_ = actions.Runner{}
}`
	f, err := parser.ParseFile(token.NewFileSet(), "bad.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Name.Name = "bad.go"
	bad := constructions(f, map[string]bool{"Take": true, "SignFile": true})
	if len(bad) != 3 {
		t.Fatalf("want 3 violations (Take, SignFile, mine), got %v", bad)
	}
}
