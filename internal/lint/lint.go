// Package lint holds the house rules that a machine can check, run before
// the tests by `go run mage.go test` (what CI runs) and alone by
// `go run mage.go lint`:
//
//	gofmt        every Go file is as gofmt prints it
//	tidy         go.mod and go.sum are as go mod tidy leaves them
//	vet          go vet passes on every package, light and heavy, with every build tag
//	staticcheck  staticcheck (a tool directive of go.mod) passes on the same
//	actionlint   actionlint (a tool directive of go.mod) passes on every workflow
//
// Each finding names the file and the line. A finding is fixed, or, where
// the code is right as it stands, silenced in place with a reason
// (//lint:ignore CHECK reason for staticcheck), never by turning a check off.
package lint

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Finding is one problem: where, which check, what.
type Finding struct {
	Check   string
	Pos     string // file:line or file:line:col, relative to the module root
	Message string
}

func (f Finding) String() string { return f.Pos + ": " + f.Message + " (" + f.Check + ")" }

// Check is one house rule.
type Check struct {
	Name string
	Run  func(ctx context.Context, root string) ([]Finding, error)
}

// Tags are the build tag sets vet and staticcheck run with besides the
// default one: the magefiles' and the key providers' (see package keyref),
// so that no file escapes them.
var Tags = []tagSet{
	{"mage", "./magefiles"},
	{"awskms,gcpkms,azurekms,hashivault,k8s", "./signing/... ./cmd/cavra-release/..."},
}

// Checks are the house rules in the order they run: the cheap first.
var Checks = []Check{
	{"gofmt", Gofmt},
	{"tidy", Tidy},
	{"actionlint", Actionlint},
	{"vet", Vet},
	{"staticcheck", Staticcheck},
}

// Run runs the checks named (all when none) on the module at root, prints
// each finding and each check's time to w, and fails when any finds
// something.
func Run(ctx context.Context, root string, w io.Writer, names ...string) error {
	var all []Finding
	for _, c := range Checks {
		if len(names) > 0 && !contains(names, c.Name) {
			continue
		}
		start := time.Now()
		found, err := c.Run(ctx, root)
		if err != nil {
			return fmt.Errorf("lint: %s: %w", c.Name, err)
		}
		for _, f := range found {
			fmt.Fprintln(w, f)
		}
		fmt.Fprintf(w, "lint: %-11s %d finding(s) in %.1fs\n", c.Name, len(found), time.Since(start).Seconds())
		all = append(all, found...)
	}
	if len(all) > 0 {
		return fmt.Errorf("lint: %d finding(s); the first: %s", len(all), all[0])
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// skipDir reports whether the walk of Go files leaves out the folder
// named name: hidden folders (.git, .cache) and release output.
func skipDir(name string) bool {
	return name != "." && (strings.HasPrefix(name, ".") || name == "dist" || name == "bin")
}

// Gofmt reports every Go file that gofmt would change, at its first
// changed line.
func Gofmt(ctx context.Context, root string) ([]Finding, error) {
	var found []Finding
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out, err := format.Source(src)
		if err != nil {
			found = append(found, Finding{"gofmt", filepath.ToSlash(rel), err.Error()})
			return nil
		}
		if !bytes.Equal(src, out) {
			found = append(found, Finding{"gofmt", fmt.Sprintf("%s:%d", filepath.ToSlash(rel), firstDiff(src, out)), "not gofmt-ed (run gofmt -w)"})
		}
		return nil
	})
	return found, err
}

// firstDiff returns the first line, counting from 1, where a and b differ.
func firstDiff(a, b []byte) int {
	line := 1
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == '\n' {
			line++
		}
	}
	return line
}

// hunk matches a unified diff's file and hunk headers.
var hunk = regexp.MustCompile(`^(?:\+\+\+ \S+/(\S+)|@@ -(\d+))`)

// Tidy reports go.mod and go.sum lines that go mod tidy would change.
func Tidy(ctx context.Context, root string) ([]Finding, error) {
	out, err := run(ctx, root, "go", "mod", "tidy", "-diff")
	if err == nil {
		return nil, nil
	}
	if _, ok := err.(*exec.ExitError); !ok || len(out) == 0 {
		return nil, fmt.Errorf("go mod tidy -diff: %v\n%s", err, out)
	}
	var found []Finding
	file := "go.mod"
	for line := range strings.Lines(string(out)) {
		m := hunk.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[1] != "":
			file = m[1]
		default:
			n, _ := strconv.Atoi(m[2])
			found = append(found, Finding{"tidy", fmt.Sprintf("%s:%d", file, n), "not as go mod tidy leaves it (run go mod tidy)"})
		}
	}
	if len(found) == 0 {
		found = append(found, Finding{"tidy", "go.mod", strings.TrimSpace(string(out))})
	}
	return found, nil
}

// tagSet is a set of build tags and the packages to check with them.
type tagSet struct{ Tags, Pkgs string }

// sets are the tag sets vet and staticcheck run with: the default tags on
// every package, then [Tags].
func sets() []tagSet {
	return append([]tagSet{{"", "./..."}}, Tags...)
}

// Vet runs go vet on every package with the default tags and with each
// set of Tags.
func Vet(ctx context.Context, root string) ([]Finding, error) { return vet(ctx, root, sets()) }

func vet(ctx context.Context, root string, sets []tagSet) ([]Finding, error) {
	return eachTags(ctx, root, "vet", sets, func(tags, pkgs string) []string {
		return append([]string{"go", "vet", "-tags", tags}, strings.Fields(pkgs)...)
	})
}

// Staticcheck runs staticcheck (go tool staticcheck) like [Vet].
func Staticcheck(ctx context.Context, root string) ([]Finding, error) {
	return staticcheck(ctx, root, sets())
}

func staticcheck(ctx context.Context, root string, sets []tagSet) ([]Finding, error) {
	return eachTags(ctx, root, "staticcheck", sets, func(tags, pkgs string) []string {
		return append([]string{"go", "tool", "staticcheck", "-tags", tags}, strings.Fields(pkgs)...)
	})
}

// Actionlint runs actionlint (go tool actionlint) on the workflows.
func Actionlint(ctx context.Context, root string) ([]Finding, error) {
	out, err := run(ctx, root, "go", "tool", "actionlint", "-no-color")
	return positions("actionlint", out, err)
}

// eachTags runs the command argv returns for each set of tags on its
// packages, and collects what they report.
func eachTags(ctx context.Context, root, check string, sets []tagSet, argv func(tags, pkgs string) []string) ([]Finding, error) {
	var found []Finding
	for _, s := range sets {
		a := argv(s.Tags, s.Pkgs)
		out, err := run(ctx, root, a[0], a[1:]...)
		f, err := positions(check, out, err)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", strings.Join(a, " "), err)
		}
		found = append(found, f...)
	}
	return found, nil
}

// position matches a tool's "file:line:col: message" line.
var position = regexp.MustCompile(`^(?:vet: )?([^\s:]+\.(?:go|ya?ml|mod):\d+(?::\d+)?):\s*(.*)$`)

// positions turns the "file:line:col: message" lines of a tool's output
// into findings. A tool that failed without saying where is an error.
func positions(check string, out []byte, err error) ([]Finding, error) {
	if err == nil {
		return nil, nil
	}
	if _, ok := err.(*exec.ExitError); !ok {
		return nil, err
	}
	var found []Finding
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := position.FindStringSubmatch(sc.Text()); m != nil {
			found = append(found, Finding{check, filepath.ToSlash(strings.TrimPrefix(m[1], "./")), m[2]})
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	return found, nil
}

// run runs a command in root and returns its combined output.
func run(ctx context.Context, root, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = root
	return cmd.CombinedOutput()
}
