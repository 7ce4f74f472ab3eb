package testrepo

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The line through the code, as policy (after go/build's deps_test.go).
//
// A light package links the standard library and light packages of this
// module, nothing else, so that it builds offline from a package's source
// with an empty module cache: the runtime, the verifier and rebuilder, and
// the formats they read. The magefiles are light too, with mage. A heavy
// package may link anything; only the release command and the test tools
// use them, and they never need to run offline.
//
// Every package of the module is in this table: a new one must choose.
var sides = map[string]string{
	// The runtime.
	"cmd/cavra-runtime":             light,
	"runtime/daemon":                light,
	"runtime/enforce":               light,
	"runtime/evidence":              light,
	"runtime/policy":                light,
	"runtime/policy/internal/shell": light, // the one reader of command lines
	"runtime/runnerauth":            light,

	// The verifier, rebuilder and upgrade check, and the formats they read
	// (written by the release with the same packages).
	"cmd/cavra":                        light,
	"packaging/verify":                 light,
	"packaging/verify/rebuild":         light,
	"packaging/verify/upgrade":         light,
	"packaging/verify/htmlreport":      light, // the auditor's HTML report page
	"packaging/verify/options":         light, // the verifier's settings, from flags and from the environment
	"packaging/verify/vulns":           light, // re-check a package against a newer vulnerability database
	"packaging/verify/tufclient":       light, // the offline TUF client and its trust folder
	"internal/bounded":                 light, // reading files with a size bound
	"internal/atomicfile":              light, // writing files a reader never sees half of
	"internal/lint":                    light, // the house rules CI checks before the tests
	"packaging/format/layout":          light, // names of the package and its files
	"packaging/format/manifest":        light, // cavra-runtime.reproducibility.json
	"packaging/format/checksums":       light, // checksums.txt
	"packaging/format/bootstrap":       light, // offline-trust-root-bootstrap.json
	"packaging/format/releaseevidence": light, // release-evidence.json and .md
	"packaging/format/provenance":      light, // the SLSA provenance statement
	"packaging/format/attestation":     light, // rebuild attestations (SLSA VSA), signed with the standard library
	"packaging/format/tuf":             light, // TUF metadata: canonical JSON, keys, signature thresholds
	"packaging/format/signingops":      light, // cavra-runtime.signing-operations.json
	"packaging/format":                 light, // the map of the formats (documentation only)
	"packaging/format/explain":         light, // why two builds of a file differ
	"packaging/format/linuxpkg":        light, // reading .deb, .rpm and .apk
	"packaging/format/archive":         light, // zip and tar.gz, written and read
	"packaging/format/build":           light, // the pinned build settings and commands, the release toolchain
	"packaging/format/vulndb":          light, // the Go vulnerability database: layout, OSV entries, matching
	"packaging/format/vex":             light, // OpenVEX, CycloneDX VEX and the in-toto vulns statement
	"sbom/inspect":                     light, // reading SPDX and CycloneDX, NTIA and BSI checks
	"signing/trust":                    light, // checking signatures, DSSE and Sigstore bundles
	"signing/trust/sigstore":           light, // Sigstore bundles and trusted_root.json, read by both sides
	"signing/trust/keyless":            light, // Sigstore keyless bundles checked offline against a trusted root
	"internal/jsonio":                  light,
	"internal/progress":                light,
	"internal/strictjson":              light,
	"signing/keyref":                   light, // key providers and their build tags (the magefiles pick the tag)
	"internal/cmdcache":                light, // the release command, built once per content hash

	// The release: the light steps and the pipeline runner are used by the
	// magefiles; the steps that need syft, nfpm or cosign are heavy.
	"packaging/release":           light,
	"packaging/release/artifact":  light,
	"packaging/release/reprotest": light,
	"packaging/release/nfpm":      heavy, // nfpm.Step
	"packaging/release/vulns":     heavy, // vulns.Step: govulncheck, exceptions (YAML)
	"packaging/release/tufrepo":   heavy, // the trust repository and the TUF steps, with go-tuf
	"sbom":                        heavy, // sbom.Step, syft
	"signing":                     heavy, // cosign keys, signing, KMS
	"signing/keyless":             heavy, // keyless signing with sigstore-go (Fulcio, Rekor, TSA, TUF), as CI's signing job
	"packaging/release/steps":     heavy, // the whole step list
	"cmd/cavra-release":           heavy,

	// Test support.
	"internal/readme":             light,
	"internal/testrepo":           light,
	"internal/testtools":          light,
	"internal/workflows":          light,
	"internal/testrelease":        light,
	"internal/testrelease/resign": heavy,
	"internal/testsigstore":       heavy, // a virtual Sigstore (Fulcio, Rekor, CT log, TSA) for tests, on sigstore-go's
}

const (
	light = "light"
	heavy = "heavy"
)

const module = "github.com/cavra/cavra"

// TestSides checks the table: every package of the module is in it, and
// every light package links the standard library and light packages alone.
// The magefiles link mage besides.
func TestSides(t *testing.T) {
	root := ModuleRoot(t)
	list := func(args ...string) []string {
		cmd := exec.Command("go", append([]string{"list"}, args...)...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	// Every package and the non-standard packages it links, in one go.
	deps := map[string][]string{}
	for _, line := range list("-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", module+"/...") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	std := map[string]bool{}
	for _, p := range list("-deps", "-f", "{{if .Standard}}{{.ImportPath}}{{end}}", module+"/...") {
		std[p] = true
	}
	for p := range deps {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if _, ok := sides[rel]; !ok {
			t.Errorf("package %s is not in the table of sides: add it as light or heavy", rel)
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(sides)) {
		d, ok := deps[module+"/"+rel]
		switch {
		case !ok:
			t.Errorf("the table of sides names %s, which does not exist", rel)
		case sides[rel] == light:
			checkLight(t, rel, d, std)
		}
	}
	checkGroups(t, deps)
	// The magefiles, behind their build tag.
	mage := list("-deps", "-tags", "mage", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./magefiles")
	checkLight(t, "magefiles", mage, std, "github.com/magefile/mage/")
}

// groups are the three kinds of packaging/ (see each group's package
// documentation), and what a package of each may import of this module
// beyond the standard library: the formats import only formats and the
// shared readers; the verifier side never imports the release side.
var groups = []struct {
	prefix string
	may    []string
}{
	{"packaging/format", []string{"packaging/format", "internal/", "signing/trust"}},
	{"packaging/verify", []string{"packaging/verify", "packaging/format", "internal/", "sbom/inspect", "signing/trust"}},
}

// checkGroups reports every import of this module that crosses the line
// between the groups of packaging/.
func checkGroups(t *testing.T, deps map[string][]string) {
	t.Helper()
	for _, g := range groups {
		for p, d := range deps {
			rel := strings.TrimPrefix(p, module+"/")
			if rel != g.prefix && !strings.HasPrefix(rel, g.prefix+"/") {
				continue
			}
		next:
			for _, dep := range d {
				drel, ours := strings.CutPrefix(dep, module+"/")
				if !ours {
					continue
				}
				for _, m := range g.may {
					if drel == m || strings.HasPrefix(drel, strings.TrimSuffix(m, "/")+"/") {
						continue next
					}
				}
				t.Errorf("%s (group %s) links %s: the group may import only %v", rel, g.prefix, drel, g.may)
			}
		}
	}
}

// checkLight reports every package in deps that a light package may not
// link: anything but the standard library, light packages of this module
// and the allowed prefixes.
func checkLight(t *testing.T, pkg string, deps []string, std map[string]bool, allow ...string) {
	t.Helper()
next:
	for _, d := range deps {
		rel, ours := strings.CutPrefix(d, module+"/")
		switch {
		case d == "" || std[d] || d == module || (ours && rel == pkg):
			continue
		case ours && sides[rel] == light:
			continue
		case ours:
			t.Errorf("%s is light but links %s, which is %s", pkg, rel, sides[rel])
			continue
		}
		for _, a := range allow {
			if strings.HasPrefix(d, a) {
				continue next
			}
		}
		t.Errorf("%s is light but links %s", pkg, d)
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
