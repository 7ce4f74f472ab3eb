package cmdcache

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// module writes a small module into a new folder: a command that prints a
// line from a package of the module, which embeds a file, and a package the
// command does not import.
func module(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/m\n\ngo 1.22\n",
		"go.sum":            "",
		"cmd/hello/main.go": "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.Greeting()) }\n",
		"lib/lib.go":        "package lib\n\nimport _ \"embed\"\n\n//go:embed greeting.txt\nvar greeting string\n\nfunc Greeting() string { return greeting }\n",
		"lib/greeting.txt":  "hello",
		"other/other.go":    "package other\n",
		"README":            "not Go\n",
	}
	for name, data := range files {
		write(t, root, name, data)
	}
	return root
}

func write(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a built command and returns what it printed.
func run(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestRebuiltOnChange builds the command, then changes one input at a time:
// each change that the build reads gives a new key and a new binary that
// shows the change; an unchanged tree, and a change the build does not
// read, reuse the cached binary.
func TestRebuiltOnChange(t *testing.T) {
	root := module(t)
	spec := Spec{Root: root, Pkg: "./cmd/hello", Dir: t.TempDir()}
	ctx := context.Background()
	first, built, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !built || run(t, first.Path) != "hello" {
		t.Fatalf("first build: built %v, want a new binary that prints hello", built)
	}
	again, built, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if built || again.Path != first.Path {
		t.Fatalf("unchanged tree: built %v, path %s; want the cached %s", built, again.Path, first.Path)
	}

	keys := map[string]string{first.Key: "first build"}
	tests := []struct {
		name    string
		change  func(t *testing.T)
		rebuild bool
		prints  string
	}{
		{"a Go file of an imported package", func(t *testing.T) {
			write(t, root, "lib/lib.go", "package lib\n\nimport _ \"embed\"\n\n//go:embed greeting.txt\nvar greeting string\n\nfunc Greeting() string { return greeting + \"!\" }\n")
		}, true, "hello!"},
		{"an embedded file", func(t *testing.T) { write(t, root, "lib/greeting.txt", "bonjour") }, true, "bonjour!"},
		{"a new, untracked file in an imported package", func(t *testing.T) {
			write(t, root, "lib/extra.go", "package lib\n\nfunc init() { greeting = \"salut\" }\n")
		}, true, "salut!"},
		{"a file in a subfolder of an imported package", func(t *testing.T) { write(t, root, "lib/data/x.txt", "x") }, true, "salut!"},
		{"go.mod", func(t *testing.T) { write(t, root, "go.mod", "module example.com/m\n\ngo 1.23\n") }, true, "salut!"},
		{"go.sum", func(t *testing.T) { write(t, root, "go.sum", "\n") }, true, "salut!"},
		{"a package the command does not import", func(t *testing.T) { write(t, root, "other/other.go", "package other\n\nvar X = 1\n") }, false, "salut!"},
		{"a file outside every package", func(t *testing.T) { write(t, root, "README", "changed\n") }, false, "salut!"},
		{"a test file", func(t *testing.T) { write(t, root, "cmd/hello/main_test.go", "package main\n") }, true, "salut!"},
		{"GOFLAGS", func(t *testing.T) { t.Setenv("GOFLAGS", "-ldflags=-s") }, true, "salut!"},
		{"build tags", func(t *testing.T) { spec.Tags = []string{"extra"} }, true, "salut!"},
	}
	last := first
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.change(t)
			e, built, err := Build(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			changed := e.Key != last.Key
			if changed != tc.rebuild || built != tc.rebuild {
				t.Fatalf("got new key %v, built %v; want %v", changed, built, tc.rebuild)
			}
			if tc.rebuild {
				if prev, ok := keys[e.Key]; ok {
					t.Fatalf("key %s already seen for %s", e.Key, prev)
				}
				keys[e.Key] = tc.name
			}
			if got := run(t, e.Path); got != tc.prints {
				t.Errorf("the binary prints %q, want %q", got, tc.prints)
			}
			last = e
		})
	}
}

// TestConcurrentFirstRuns starts several first builds of one command at
// once into an empty cache: every caller gets the same complete binary.
func TestConcurrentFirstRuns(t *testing.T) {
	root := module(t)
	spec := Spec{Root: root, Pkg: "./cmd/hello", Dir: t.TempDir()}
	var wg sync.WaitGroup
	paths := make([]string, 4)
	errs := make([]error, 4)
	for i := range paths {
		wg.Go(func() {
			e, _, err := Build(context.Background(), spec)
			errs[i] = err
			if err == nil {
				paths[i] = e.Path
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		if paths[i] != paths[0] {
			t.Fatalf("build %d: %s, want %s", i, paths[i], paths[0])
		}
	}
	if got := run(t, paths[0]); got != "hello" {
		t.Errorf("got %q, want hello", got)
	}
	entries, err := os.ReadDir(spec.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want the one binary (no temporary files left)", names)
	}
}

// TestUncacheable refuses builds whose inputs the key cannot cover.
func TestUncacheable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
	}{
		{"replace with a local folder", func(t *testing.T, root string) {
			write(t, root, "go.mod", "module example.com/m\n\ngo 1.22\n\nreplace example.com/x => ../x\n")
		}},
		{"replace block with an absolute folder", func(t *testing.T, root string) {
			write(t, root, "go.mod", "module example.com/m\n\ngo 1.22\n\nreplace (\n\texample.com/x v1.0.0 => /src/x\n)\n")
		}},
		{"overlay in GOFLAGS", func(t *testing.T, root string) { t.Setenv("GOFLAGS", "-overlay=/tmp/o.json") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := module(t)
			tc.setup(t, root)
			_, err := Find(context.Background(), Spec{Root: root, Pkg: "./cmd/hello", Dir: t.TempDir()})
			if !errors.Is(err, ErrUncacheable) {
				t.Fatalf("got %v, want ErrUncacheable", err)
			}
		})
	}
}
