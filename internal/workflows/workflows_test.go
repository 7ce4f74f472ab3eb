package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/build"
)

func files(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(testrepo.ModuleRoot(t), ".github", "workflows")
	found, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	found = append(found, more...)
	if len(found) == 0 {
		t.Fatal("no workflow files")
	}
	return found
}

// TestActionlint runs actionlint (go run mage.go testTools installs it) on
// every workflow file.
func TestActionlint(t *testing.T) {
	tool, err := exec.LookPath("actionlint")
	if err != nil {
		if os.Getenv("CAVRA_REQUIRE_TOOLS") == "1" {
			t.Fatal("actionlint not found (go run mage.go testTools installs it)")
		}
		t.Skip("actionlint not found")
	}
	for _, f := range files(t) {
		out, err := exec.Command(tool, "-color=false", f).CombinedOutput()
		if err != nil {
			t.Errorf("actionlint %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}

var (
	usesRE    = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedRE  = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	commentRE = regexp.MustCompile(`#\s*v\d+(\.\d+)*`)
	runRE     = regexp.MustCompile(`(?m)^\s*(?:-\s+)?run:\s*(.*)$`)
	mageRE    = regexp.MustCompile(`^go run mage\.go [a-z:]+( [a-z:]+)*$`)
	targetRE  = regexp.MustCompile(`(?m)^  ([a-z][a-zA-Z:]*)\s`)
)

// TestPinnedAndThin checks every action is pinned by commit SHA with its
// version in a comment, every command is a mage target that exists,
// permissions default to read-only (Go's version: see TestGoVersions).
func TestPinnedAndThin(t *testing.T) {
	cmd := exec.Command("go", "run", "mage.go", "-l")
	cmd.Dir = testrepo.ModuleRoot(t)
	list, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run mage.go -l: %v\n%s", err, list)
	}
	targets := map[string]bool{"verify": true, "test": true} // the aliases
	for _, m := range targetRE.FindAllStringSubmatch(string(list), -1) {
		targets[strings.ToLower(m[1])] = true
	}
	if !targets["release"] || !targets["test:all"] {
		t.Fatalf("could not read the target list:\n%s", list)
	}
	for _, f := range files(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		name := filepath.Base(f)
		uses := usesRE.FindAllStringSubmatch(text, -1)
		if len(uses) == 0 {
			t.Errorf("%s: no actions", name)
		}
		for _, u := range uses {
			if !pinnedRE.MatchString(u[1]) {
				t.Errorf("%s: %s is not pinned to a full commit SHA", name, u[1])
			}
			if !commentRE.MatchString(u[2]) {
				t.Errorf("%s: %s has no version comment", name, u[1])
			}
		}
		for _, r := range runRE.FindAllStringSubmatch(text, -1) {
			run := strings.TrimSpace(r[1])
			if !mageRE.MatchString(run) {
				t.Errorf("%s: run %q is not a mage target", name, run)
				continue
			}
			for _, target := range strings.Fields(strings.TrimPrefix(run, "go run mage.go "))[0:] {
				if !targets[target] {
					t.Errorf("%s: mage target %q does not exist", name, target)
				}
			}
		}
		if !regexp.MustCompile(`(?m)^permissions:\n  contents: read\n`).MatchString(text) {
			t.Errorf("%s: top-level permissions are not contents: read", name)
		}
		if strings.Contains(text, "write-all") || strings.Contains(text, "read-all") {
			t.Errorf("%s: broad permissions", name)
		}
	}
}

// jobs splits a workflow into its jobs' text, by name.
func jobs(t *testing.T, text string) map[string]string {
	_, body, ok := strings.Cut(text, "\njobs:\n")
	if !ok {
		t.Fatal("no jobs")
	}
	out := map[string]string{}
	name := ""
	for line := range strings.Lines(body) {
		if m := regexp.MustCompile(`^  ([a-z][a-z0-9_-]*):\s*$`).FindStringSubmatch(line); m != nil {
			name = m[1]
		}
		if name != "" {
			out[name] += line
		}
	}
	return out
}

// TestSigningIsolated checks the release workflow's keyless signing: one
// job, sign, may request an OIDC token; it builds nothing (its one command
// is the keyless target) and reads no secret; no other job can sign
// keyless, and the publish gate waits for it.
func TestSigningIsolated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testrepo.ModuleRoot(t), ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	js := jobs(t, string(data))
	sign, ok := js["sign"]
	if !ok {
		t.Fatalf("release.yml has no sign job; jobs: %v", js)
	}
	for name, text := range js {
		if strings.Contains(text, "id-token: write") != (name == "sign") {
			t.Errorf("job %s: id-token: write is for the sign job alone", name)
		}
	}
	var runs []string
	for _, r := range runRE.FindAllStringSubmatch(sign, -1) {
		runs = append(runs, strings.TrimSpace(r[1]))
	}
	if strings.Join(runs, "\n") != "go run mage.go keyless" {
		t.Errorf("the sign job runs %q, want only go run mage.go keyless", runs)
	}
	if strings.Contains(sign, "secrets.") || strings.Contains(sign, "environment:") {
		t.Error("the sign job reads secrets")
	}
	if !regexp.MustCompile(`needs: \[[^\]]*\bsign\b`).MatchString(js["publish"]) {
		t.Error("publish does not wait for the sign job")
	}
	for _, want := range []string{"CAVRA_TRUSTED_ROOT:", "CAVRA_CERTIFICATE_IDENTITY:", "CAVRA_CERTIFICATE_OIDC_ISSUER:"} {
		if !strings.Contains(js["publish"], want) {
			t.Errorf("the publish gate does not check the keyless signatures (%s)", want)
		}
	}
}

// TestGoVersions checks where each job's Go comes from: a job that builds
// or rebuilds release binaries (it runs the release or a rebuild) sets up
// the release toolchain, exactly build.Toolchain; every other job takes
// Go from go.mod, as a fresh machine does.
func TestGoVersions(t *testing.T) {
	for _, f := range files(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range jobs(t, string(data)) {
			if !strings.Contains(body, "actions/setup-go@") {
				continue
			}
			builds := regexp.MustCompile(`(?m)run: go run mage.go (release|verify rebuild|rebuild|verify:rebuild)$`).MatchString(body)
			version := ""
			if m := regexp.MustCompile(`(?m)^\s+go-version: "?([0-9.]+)"?$`).FindStringSubmatch(body); m != nil {
				version = "go" + m[1]
			}
			fromMod := strings.Contains(body, "go-version-file: go.mod")
			switch {
			case builds && version != build.Toolchain:
				t.Errorf("%s: job %s builds release binaries: setup-go must set up go-version %s (build.Toolchain), got %q", filepath.Base(f), name, strings.TrimPrefix(build.Toolchain, "go"), version)
			case builds && fromMod:
				t.Errorf("%s: job %s builds release binaries and also takes Go from go.mod", filepath.Base(f), name)
			case !builds && (!fromMod || version != ""):
				t.Errorf("%s: job %s must take Go from go.mod (go-version-file: go.mod)", filepath.Base(f), name)
			}
		}
	}
}
