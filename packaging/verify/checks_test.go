package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCheckTable holds the table of checks in doc.go and the list in
// checks.go to each other: same names, same order.
func TestCheckTable(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, checks, ok := strings.Cut(string(doc), "// # Checks\n")
	if !ok {
		t.Fatal("doc.go has no # Checks section")
	}
	row := regexp.MustCompile(`^//\t([a-z][a-z.-]*)(\s|$)`)
	var table []string
	for line := range strings.Lines(checks) {
		if m := row.FindStringSubmatch(line); m != nil {
			table = append(table, m[1])
		}
	}
	if !slices.Equal(table, Checks) {
		t.Errorf("doc.go's table lists\n%v\nchecks.go lists\n%v", table, Checks)
	}
}

// TestCheckNames fails on a check named by a string literal instead of one
// of the constants of checks.go, so that a new check cannot miss the table.
func TestCheckNames(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var arg ast.Expr
			switch n := n.(type) {
			case *ast.CallExpr:
				switch fun := n.Fun.(type) {
				case *ast.SelectorExpr:
					if slices.Contains([]string{"pass", "fail", "skip"}, fun.Sel.Name) && len(n.Args) > 0 {
						arg = n.Args[0]
					}
				case *ast.Ident:
					if fun.Name == "report" && len(n.Args) > 1 {
						arg = n.Args[1]
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Name" {
					if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						arg = lit
					}
				}
			}
			if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				t.Errorf("%s: check named %s: use a constant of checks.go", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
}
