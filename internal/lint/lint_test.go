package lint

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrepo"
)

// plants are one problem for each check, planted in a copy of the tree:
// the file, what it holds, and where the finding must point.
var plants = []struct {
	check, file, content, pos string
}{
	{"gofmt", "internal/jsonio/unformatted.go", "package jsonio\n\nfunc  unformatted() {}\n", "internal/jsonio/unformatted.go:3"},
	{"vet", "internal/jsonio/vet.go", "package jsonio\n\nimport \"fmt\"\n\nfunc printsWrong() { fmt.Printf(\"%d\\n\", \"not a number\") }\n", "internal/jsonio/vet.go:5:"},
	{"staticcheck", "internal/progress/same.go", "package progress\n\nfunc same(s string) bool { return s == s }\n", "internal/progress/same.go:3:"},
	{"actionlint", ".github/workflows/broken.yml", "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nosuchthing }}\n", ".github/workflows/broken.yml:6:"},
}

// broken returns a copy of the module with every plant and go.mod made
// untidy (a direct requirement marked indirect).
func broken(t *testing.T) string {
	t.Helper()
	root := testrepo.New(t, t.TempDir(), "")
	for _, p := range plants {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(p.file)), []byte(p.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(mod)
	if err != nil {
		t.Fatal(err)
	}
	const direct = "\tgithub.com/google/uuid v1.6.0\n"
	if !strings.Contains(string(data), direct) {
		t.Fatalf("go.mod has no line %q to make untidy", direct)
	}
	data = []byte(strings.Replace(string(data), direct, "\tgithub.com/google/uuid v1.6.0 // indirect\n", 1))
	if err := os.WriteFile(mod, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestFindings runs each check on a copy of the tree holding one problem
// for it, and expects the finding at the planted file and line; vet and
// staticcheck only on the planted packages, to stay quick.
func TestFindings(t *testing.T) {
	root := broken(t)
	ctx := context.Background()
	only := []tagSet{{"", "./internal/jsonio ./internal/progress"}}
	runs := map[string]func() ([]Finding, error){
		"gofmt":       func() ([]Finding, error) { return Gofmt(ctx, root) },
		"tidy":        func() ([]Finding, error) { return Tidy(ctx, root) },
		"actionlint":  func() ([]Finding, error) { return Actionlint(ctx, root) },
		"vet":         func() ([]Finding, error) { return vet(ctx, root, only) },
		"staticcheck": func() ([]Finding, error) { return staticcheck(ctx, root, only) },
	}
	want := map[string]string{"tidy": "go.mod:"}
	for _, p := range plants {
		want[p.check] = p.pos
	}
	for _, c := range Checks {
		t.Run(c.Name, func(t *testing.T) {
			found, err := runs[c.Name]()
			if err != nil {
				t.Fatal(err)
			}
			var hit bool
			for _, f := range found {
				hit = hit || strings.HasPrefix(f.Pos, want[c.Name])
				if f.Check != c.Name {
					t.Errorf("finding %s is labelled %s", f, f.Check)
				}
			}
			if !hit {
				t.Errorf("got findings %v, want one at %s", found, want[c.Name])
			}
		})
	}
}

// TestCI runs .ci/run, CI's entry point, on the broken copy: it must fail
// in the lint, before any test runs, naming every planted problem.
func TestCI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole lint of a copy of the tree")
	}
	root := broken(t)
	cmd := exec.Command(filepath.Join(root, ".ci", "run"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf(".ci/run passed on a tree with a problem for every check:\n%s", out)
	}
	for _, p := range plants {
		if !strings.Contains(string(out), p.pos) {
			t.Errorf(".ci/run did not name %s (%s)", p.pos, p.check)
		}
	}
	if !strings.Contains(string(out), "go.mod:") || !strings.Contains(string(out), "(tidy)") {
		t.Errorf(".ci/run did not name the untidy go.mod")
	}
	if strings.Contains(string(out), "ok  \tgithub.com/cavra/cavra") {
		t.Errorf(".ci/run ran tests before failing the lint:\n%s", out)
	}
}

// TestClean holds the tree itself to the house rules' cheap checks; the
// test command runs them all before any test.
func TestClean(t *testing.T) {
	root := testrepo.ModuleRoot(t)
	for _, c := range []func(context.Context, string) ([]Finding, error){Gofmt, Tidy, Actionlint} {
		found, err := c(context.Background(), root)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			t.Error(f)
		}
	}
}
