package authkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportedNames counts the exported top-level names of the package in
// dir, as a reader of its API meets them: every const, var, func and type
// name, each name of a grouped const or var block on its own; methods and
// fields are not top-level. Test files do not count.
func exportedNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names = append(names, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.IsExported() {
								names = append(names, id.Name)
							}
						}
					}
				}
			}
		}
	}
	return names
}

// TestSessionSurface holds session to at most half the 84 top-level
// names it once exported: step-up lives in session/stepup, key sync in
// session/keysync. Run with -v to see every package's count.
func TestSessionSurface(t *testing.T) {
	const limit = 42
	for _, dir := range []string{"session", "session/stepup", "session/keysync"} {
		names := exportedNames(t, dir)
		t.Logf("%s: %d exported top-level names", dir, len(names))
		if dir == "session" && len(names) > limit {
			t.Errorf("session exports %d top-level names, more than %d: %s", len(names), limit, strings.Join(names, " "))
		}
	}
}
