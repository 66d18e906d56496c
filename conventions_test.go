package authkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The module spells each shared concept one way (README, "Production
// stores"). These checks keep a retired spelling from coming back.

// retired maps a retired exported name to the one that replaced it.
var retired = map[string]string{
	"ErrInvalidConfig": "ErrConfig",
	"ErrExists":        "ErrDuplicate",
	"ErrStateExists":   "ErrDuplicate",
	"ErrDeviceLimit":   "ErrTooManyDevices",
	"Secrets":          "HashKeys",
	"MaxFailures":      "MaxAttempts",
}

// outsideDocs matches a comment citing a document that does not ship with
// the module; comments cite RFC, NIST and W3C sections instead.
var outsideDocs = regexp.MustCompile(`DESIGN\.md|DESIGN's|spec §|standards\.md|standards F\d|seeds/|STYLE\.md|peers\.md|research/`)

type goFile struct {
	path string // slash-separated, relative to the module root
	fset *token.FileSet
	f    *ast.File
}

// moduleFiles returns every Go file of the module, parsed once for all
// the checks (each walk of the module costs a third of a second).
func moduleFiles(t *testing.T) []goFile {
	t.Helper()
	files, err := parseModule()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d Go files: not run from the module root?", len(files))
	}
	return files
}

var parseModule = sync.OnceValues(func() ([]goFile, error) {
	var files []goFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, goFile{filepath.ToSlash(path), fset, f})
		return nil
	})
	return files, err
})

func TestConventionNames(t *testing.T) {
	for _, gf := range moduleFiles(t) {
		if strings.HasSuffix(gf.path, "_test.go") {
			continue
		}
		pos := func(n ast.Node) string { return gf.fset.Position(n.Pos()).String() }
		ast.Inspect(gf.f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for _, id := range n.Names {
					if !id.IsExported() {
						continue
					}
					if to, ok := retired[id.Name]; ok {
						t.Errorf("%s: %s is retired; use %s", pos(id), id.Name, to)
					}
					if strings.HasPrefix(id.Name, "Err") && strings.HasSuffix(id.Name, "Config") && id.Name != "ErrConfig" {
						t.Errorf("%s: %s: a configuration error is the package's ErrConfig", pos(id), id.Name)
					}
				}
			case *ast.Field:
				for _, id := range n.Names {
					if !id.IsExported() {
						continue
					}
					if to, ok := retired[id.Name]; ok {
						t.Errorf("%s: field %s is retired; use %s", pos(id), id.Name, to)
					}
					typ := exprString(n.Type)
					if typ == "time.Duration" && strings.HasSuffix(id.Name, "Lifetime") {
						t.Errorf("%s: field %s: a duration something lives is …TTL", pos(id), id.Name)
					}
					if typ == "[][]byte" && id.Name != "HashKeys" {
						t.Errorf("%s: field %s: a list of HMAC keys is HashKeys", pos(id), id.Name)
					}
				}
			}
			return true
		})
	}
}

func TestConventionFiles(t *testing.T) {
	for _, gf := range moduleFiles(t) {
		if strings.HasSuffix(gf.path, "_test.go") {
			continue
		}
		base := filepath.Base(gf.path)
		pkg := gf.f.Name.Name
		for _, d := range gf.f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil {
				continue
			}
			name := fd.Name.Name
			switch {
			case name == "NewMemoryStore" && base != "memory.go":
				t.Errorf("%s: NewMemoryStore belongs in memory.go", gf.path)
			case name == "RunStoreTests" && base != "store_suite.go":
				t.Errorf("%s: RunStoreTests belongs in store_suite.go", gf.path)
			case strings.HasSuffix(pkg, "test") && strings.HasPrefix(name, "Run") && strings.HasSuffix(name, "Tests") && !strings.HasSuffix(base, "_suite.go"):
				t.Errorf("%s: conformance suite %s belongs in a …_suite.go file", gf.path, name)
			}
		}
	}
}

func TestConventionDocCitations(t *testing.T) {
	for _, gf := range moduleFiles(t) {
		if strings.HasSuffix(gf.path, "_test.go") {
			continue
		}
		for _, cg := range gf.f.Comments {
			for _, c := range cg.List {
				if m := outsideDocs.FindString(c.Text); m != "" {
					t.Errorf("%s: comment cites %q, a document outside the module; cite the RFC, NIST or W3C section", gf.fset.Position(c.Pos()), m)
				}
			}
		}
	}
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + exprString(e.Elt)
		}
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	}
	return ""
}
