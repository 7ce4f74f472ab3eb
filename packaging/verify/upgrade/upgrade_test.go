package upgrade

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/verify"
)

func TestCompare(t *testing.T) {
	// Each version sorts before the next, as semver.org's example list.
	order := []string{
		"v0.0.0-snapshot.0123456789ab",
		"v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta", "v1.0.0-beta.2",
		"v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.2.3-rc.1", "v1.2.3", "v1.10.0", "v2.0.0",
	}
	for i := range order {
		for j := range order {
			a, err := Parse(order[i])
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(order[j])
			if err != nil {
				t.Fatal(err)
			}
			want := sign(i - j)
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	a, _ := Parse("v1.2.3+build.1")
	b, _ := Parse("1.2.3+build.2")
	if Compare(a, b) != 0 {
		t.Error("build metadata must not order versions")
	}
	for _, bad := range []string{"1.2", "v1.2.3.4", "v01.2.3", "v1.2.3-01", "v1.2.3-", "latest", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testrelease.Cleanup()
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

var (
	mu   sync.Mutex
	dirs []string
	pkgs = map[string]*testrelease.Package{}
	keys = map[string]string{}
)

// release returns a package released once per name for these tests: tag
// (or a snapshot when empty), targets, and a key shared by releases that
// name the same key.
func release_(t *testing.T, name, tag, targets, key string) *testrelease.Package {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := pkgs[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "cavra-upgrade-test-")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, dir)
	priv, ok := keys[key]
	if !ok {
		priv, _ = testrelease.GenerateKey(t, filepath.Join(dir, "key-"+key))
		keys[key] = priv
	}
	p := testrelease.Build(t, dir, testrelease.Options{Tag: tag, Targets: targets, PrivateKey: priv})
	pkgs[name] = p
	return p
}

func opts(p *testrelease.Package, targets string) verify.Options {
	o := verify.Options{Key: p.Key}
	for _, s := range strings.Split(targets, ",") {
		tt, _ := build.ParseTarget(s)
		o.Targets = append(o.Targets, tt)
	}
	return o
}

const two = "linux/amd64,linux/arm64"

func TestValidate(t *testing.T) {
	cur := release_(t, "1.2.3", "v1.2.3", two, "a")
	rc := release_(t, "1.3.0-rc.1", "v1.3.0-rc.1", two, "a")
	rotated := release_(t, "1.3.0-other-key", "v1.3.0", two, "b")
	fewer := release_(t, "1.4.0-amd64-only", "v1.4.0", "linux/amd64", "a")
	snap := release_(t, "snapshot", "", two, "a")

	tests := []struct {
		name       string
		cur, can   *testrelease.Package
		canTargets string
		rotate     bool
		ok         bool
		check      string
		detail     string
	}{
		{"newer pre-release, same key", cur, rc, two, false, true, "key", "same key"},
		{"older candidate", rc, cur, two, false, false, "version", "candidate v1.2.3 is not newer than current v1.3.0-rc.1"},
		{"same version", cur, cur, two, false, false, "version", "is not newer"},
		{"another key", cur, rotated, two, false, false, "key", "signing key changed from"},
		{"another key, rotation allowed", cur, rotated, two, true, true, "key", "key rotated from"},
		{"a target dropped", cur, fewer, "linux/amd64", false, false, "targets", "target linux/arm64 removed"},
		{"packages dropped", cur, fewer, "linux/amd64", false, false, "packages", "package deb linux/arm64 removed"},
		{"snapshot candidate", cur, snap, two, false, false, "snapshot", "is a snapshot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Validate(tc.cur.Dir, tc.can.Zip, Options{Current: opts(tc.cur, two), Candidate: opts(tc.can, tc.canTargets), AllowKeyRotation: tc.rotate})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			r.WriteText(&b)
			if r.OK() != tc.ok {
				t.Fatalf("got %s, want ok=%v:\n%s", r.Status, tc.ok, b.String())
			}
			found := false
			for _, c := range r.Checks {
				if c.Name == tc.check && strings.Contains(c.Detail, tc.detail) && (c.Status == verify.Pass) == tc.ok {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s check saying %q:\n%s", tc.check, tc.detail, b.String())
			}
		})
	}
}

func TestValidateRemovedControl(t *testing.T) {
	cur := release_(t, "1.2.3", "v1.2.3", two, "a")
	rc := release_(t, "1.3.0-rc.1", "v1.3.0-rc.1", two, "a")
	dir := testrelease.Copy(t, rc.Dir, t.TempDir())
	// A candidate whose evidence no longer claims -trimpath, re-signed.
	var ev map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, layout.EvidenceJSON))
	json.Unmarshal(data, &ev)
	var keep []any
	for _, c := range ev["controls"].([]any) {
		if c.(map[string]any)["id"] != "build.trimpath" {
			keep = append(keep, c)
		}
	}
	ev["controls"] = keep
	out, _ := json.MarshalIndent(ev, "", "  ")
	os.WriteFile(filepath.Join(dir, layout.EvidenceJSON), out, 0o644)
	testrelease.Sign(t, rc.PrivateKey, "-blob", filepath.Join(dir, layout.EvidenceJSON))
	sums, _ := os.ReadFile(filepath.Join(dir, checksums.Name))
	lines, _ := checksums.Parse(sums)
	for i, l := range lines {
		if l.Path == layout.EvidenceJSON {
			lines[i].SHA256 = sha(out)
		}
	}
	sums, _ = checksums.Format(lines)
	os.WriteFile(filepath.Join(dir, checksums.Name), sums, 0o644)
	testrelease.Sign(t, rc.PrivateKey, "-blob", filepath.Join(dir, checksums.Name))

	r, err := Validate(cur.Dir, dir, Options{Current: opts(cur, two), Candidate: opts(rc, two)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	r.WriteText(&b)
	if r.OK() || !strings.Contains(b.String(), "FAIL  controls: release control build.trimpath removed") {
		t.Fatalf("want the removed control named:\n%s", b.String())
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
