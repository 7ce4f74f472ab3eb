package testrepo

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLightSide checks the line through the code: the runtime, the
// verifier and the magefiles link the standard library, this module and (for
// the magefiles) mage, nothing else, so they build offline from a package's
// source with an empty module cache.
func TestLightSide(t *testing.T) {
	root := ModuleRoot(t)
	for _, tc := range []struct {
		pkg   string
		tags  string
		allow []string
	}{
		{pkg: "./cmd/cavra-runtime"},
		{pkg: "./cmd/cavra"},
		{pkg: "./magefiles", tags: "mage", allow: []string{"github.com/magefile/mage/"}},
	} {
		args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}
		if tc.tags != "" {
			args = append(args, "-tags", tc.tags)
		}
		cmd := exec.Command("go", append(args, tc.pkg)...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", tc.pkg, err)
		}
		n := 0
	next:
		for _, p := range strings.Fields(string(out)) {
			n++
			if strings.HasPrefix(p, "github.com/cavra/cavra/") || p == "github.com/cavra/cavra" {
				continue
			}
			for _, a := range tc.allow {
				if strings.HasPrefix(p, a) {
					continue next
				}
			}
			t.Errorf("%s links %s", tc.pkg, p)
		}
		if n == 0 {
			t.Errorf("%s: go list printed nothing", tc.pkg)
		}
	}
}

// TestGoModTidy checks that go.mod and go.sum are tidy: every module the
// code imports is a direct requirement, and nothing is missing or extra.
func TestGoModTidy(t *testing.T) {
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = ModuleRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("go mod tidy -diff: %v (run go mod tidy)\n%s", err, out)
	}
}
