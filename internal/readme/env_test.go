package readme

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/verify/options"
)

// envTable returns the rows of the README's table of environment
// variables: each variable with its flag column.
func envTable(t *testing.T, root string) map[string]string {
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Environment variables\n")
	if !ok {
		t.Fatal("README.md has no section ## Environment variables")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	for line := range strings.Lines(section) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			rows[m[1]] = strings.TrimSpace(cells[2])
		}
	}
	if len(rows) == 0 {
		t.Fatal("README.md: the table of environment variables has no rows")
	}
	return rows
}

// ownEnvironment are variables the release system reads that belong to
// its environment, not to it: the shell's, Go's, mage's and GitHub
// Actions' own.
var ownEnvironment = regexp.MustCompile(`^(PATH|HOME|TZ|TMPDIR|GOFLAGS|GOCACHE|GOMODCACHE|GOPATH|GITHUB_[A-Z_]+|ACTIONS_[A-Z_]+|MAGEFILE_[A-Z_]+)$`)

// notVariables are literals spelled like variables that are something else.
var notVariables = map[string]string{
	"CAVRA_REPRODUCED": "a verified level of rebuild attestations",
}

// TestEnvironmentTable fails when the release system reads a variable the
// README's table does not list, and when the table's flag for a verifier
// setting is not the flag package options registers. It reads the code:
// every argument of a call to Getenv, LookupEnv, getenv or env, and every
// string literal named CAVRA_* or COSIGN_*, in the non-test Go files outside
// the runtime (whose variables are CAVRA's, listed by cavra-runtime help).
func TestEnvironmentTable(t *testing.T) {
	root := testrepo.ModuleRoot(t)
	rows := envTable(t, root)
	listed := func(v string) bool {
		for r := range rows {
			if r == v || (strings.HasSuffix(v, "_V") && strings.HasPrefix(r, v)) { // "CAVRA_COSIGN_V" + major
				return true
			}
		}
		return false
	}
	prefixed := regexp.MustCompile(`^(CAVRA|COSIGN)_[A-Z0-9][A-Z0-9_]*$`)
	fset := token.NewFileSet()
	read := map[string]string{} // variable -> where
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case ".git", ".cache", "dist", "runtime", "cmd/cavra-runtime", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			add := func(lit *ast.BasicLit) {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					pos := fset.Position(lit.Pos())
					pos.Filename = rel
					read[v] = pos.String()
				}
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fun := n.Fun.(type) {
				case *ast.Ident:
					name = fun.Name
				case *ast.SelectorExpr:
					name = fun.Sel.Name
				}
				if slices.Contains([]string{"Getenv", "LookupEnv", "getenv", "env"}, name) && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						add(lit)
					}
				}
			case *ast.BasicLit:
				if v, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && prefixed.MatchString(v) {
					add(n)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(read) < 10 {
		t.Fatalf("found only %d variables read: the scan is broken", len(read))
	}
	for v, where := range read {
		if _, ok := notVariables[v]; ok || ownEnvironment.MatchString(v) || listed(v) {
			continue
		}
		t.Errorf("%s reads %s, which the README's table of environment variables does not list", where, v)
	}
	for _, s := range options.Settings {
		if s.Env == "" {
			continue // a flag alone, e.g. verify-blob's --bundle
		}
		if got, want := rows[s.Env], "`--"+s.Flag+"`"; got != want {
			t.Errorf("README: %s has flag %q, package options registers %s", s.Env, got, want)
		}
	}
}
