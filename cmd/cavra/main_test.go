package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
)

func TestMain(m *testing.M) {
	code := testrelease.Main(m)
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// pkg returns a package of all six targets, released once for the tests of
// this package.
func pkg(t *testing.T) *testrelease.Package {
	return testrelease.Shared(t, "six", testrelease.Options{})
}

func cli(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"release"}, 2, "usage:"},
		{[]string{"release", "verify-everything", "x"}, 2, `unknown command "verify-everything"`},
		{[]string{"release", "verify-airgap-bundle"}, 2, "want one package, got 0"},
		{[]string{"release", "verify-airgap-bundle", "a", "b"}, 2, "want one package, got 2"},
		{[]string{"release", "verify-airgap-bundle", "/nonexistent/x.zip"}, 2, "no such file"},
		{[]string{"release", "verify-go-package", "-bogus", "x"}, 2, "flag provided but not defined"},
		{[]string{"release", "rebuild", "-target", "plan9/386", "x"}, 2, "not in the release matrix"},
		{[]string{"release", "verify-go-package", "-at", "2027-01-01T00:00:00Z", "x"}, 2, "-at applies to the TUF checks: give -trust-dir"},
		{[]string{"release", "verify-go-package", "-trust-dir", "/nonexistent", "x"}, 2, "not initialised"},
		{[]string{"trust"}, 2, "usage:"},
		{[]string{"trust", "bogus"}, 2, `unknown command "bogus"`},
		{[]string{"trust", "init", "-trust-dir", "x"}, 2, "want -trust-dir DIR -root FILE"},
		{[]string{"trust", "status", "-trust-dir", "/nonexistent"}, 2, "cavra trust init --root 1.root.json --trust-dir /nonexistent"},
		{[]string{"trust", "init", "-trust-dir", "x", "-root", "/nonexistent/1.root.json"}, 2, "no such file"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := cli(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("got exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestVerifyCommands(t *testing.T) {
	p := pkg(t)
	tampered := testrelease.Copy(t, p.Dir, t.TempDir())
	renamed := filepath.Join(t.TempDir(), "cavra-go-runtime-v9.9.9.zip")
	if b, err := os.ReadFile(p.Zip); err != nil || os.WriteFile(renamed, b, 0o644) != nil {
		t.Fatal("copy the zip", err)
	}
	other := filepath.Join(t.TempDir(), "transfer.zip")
	if b, err := os.ReadFile(p.Zip); err != nil || os.WriteFile(other, b, 0o644) != nil {
		t.Fatal("copy the zip", err)
	}
	os.WriteFile(filepath.Join(tampered, "bin", "linux-amd64", "cavra-runtime"), []byte("MZ"), 0o755)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"zip passes", []string{"release", "verify-airgap-bundle", "-key", p.PublicKey, p.Zip}, 0, "PASS  go-runtime-" + p.Version, ""},
		{"folder passes", []string{"release", "verify-go-package", "-key", p.PublicKey, p.Dir}, 0, "0 failed, 0 skipped", ""},
		{"flags after the argument", []string{"release", "verify-go-package", p.Dir, "-json", "-key", p.PublicKey}, 0, `"status": "PASS"`, ""},
		{"no trusted key", []string{"release", "verify-go-package", p.Dir}, 1, "FAIL  cosign.pub: trust: no trusted key", "a package's own key proves nothing"},
		{"first line names the version inside", []string{"release", "verify-airgap-bundle", "-key", p.PublicKey, p.Zip}, 0, "verify " + p.Zip + ": version " + p.Version + " (SNAPSHOT)", ""},
		{"zip renamed to another version", []string{"release", "verify-airgap-bundle", "-key", p.PublicKey, renamed}, 1,
			"FAIL  cavra-go-runtime-v9.9.9.zip: version: the file name says version v9.9.9, the package inside is " + p.Version, ""},
		{"zip renamed without a version", []string{"release", "verify-airgap-bundle", "-key", p.PublicKey, other}, 0, "verify " + other + ": version " + p.Version, ""},
		{"expected version differs", []string{"release", "verify-airgap-bundle", "-key", p.PublicKey, "-expect-version", "v9.9.9", other}, 1,
			"the package is version " + p.Version + ", the operator expects v9.9.9", ""},
		{"expected version matches", []string{"release", "verify-go-package", "-key", p.PublicKey, "-expect-version", p.Version, p.Dir}, 0, "and the version the operator expects", ""},
		{"folder given to the zip command", []string{"release", "verify-airgap-bundle", p.Dir}, 2, "", "use verify-go-package"},
		{"zip given to the folder command", []string{"release", "verify-go-package", p.Zip}, 2, "", "use verify-airgap-bundle"},
		{"tampered folder fails", []string{"release", "verify-go-package", "-key", p.PublicKey, tampered}, 1, "FAIL  bin/linux-amd64/cavra-runtime: checksum: sha256 mismatch", "verify: bin/linux-amd64/cavra-runtime: checksum: sha256 mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("got exit %d\nstdout %s\nstderr %s\nwant %d, %q, %q", code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	// The folder given as "." from inside it, and as ".." from a folder in it.
	for _, tc := range []struct{ dir, arg string }{{p.Dir, "."}, {filepath.Join(p.Dir, "bin"), ".."}} {
		t.Run("folder "+tc.arg, func(t *testing.T) {
			t.Chdir(tc.dir)
			code, stdout, stderr := cli("release", "verify-go-package", "-key", p.PublicKey, tc.arg)
			if code != 0 || !strings.Contains(stdout, "PASS  go-runtime-"+p.Version) {
				t.Errorf("got exit %d\nstdout %s\nstderr %s\nwant 0 and PASS", code, stdout, stderr)
			}
		})
	}
	// -json is machine-readable, and says FAIL for the tampered package.
	code, stdout, _ := cli("release", "verify-go-package", "-json", "-key", p.PublicKey, tampered)
	var rep struct {
		Status string
		Failed int
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 1 || rep.Status != "FAIL" || rep.Failed == 0 {
		t.Errorf("got exit %d, %+v, %v; want 1 and a FAIL report", code, rep, err)
	}
}

// TestTrustDir verifies the shared package as a TUF client: pinned to the
// root the package was released under. Its timestamp expired 90 days after
// the test repositories' commit time, so it is refused now (freeze) and
// passes as of a day after that commit time (--at, printed as a warning),
// and is recorded; a state file edited is a clear error, not a reset.
func TestTrustDir(t *testing.T) {
	p := pkg(t)
	td := filepath.Join(t.TempDir(), "trust")
	root := filepath.Join(p.Dir, "trust", "1.root.json")
	if code, stdout, stderr := cli("trust", "init", "-root", root, "-trust-dir", td); code != 0 || !strings.Contains(stdout, "pins root version 1") {
		t.Fatalf("trust init: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cli("trust", "init", "-root", root, "-trust-dir", td); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("a second trust init: exit %d, %s", code, stderr)
	}
	code, stdout, _ := cli("release", "verify-airgap-bundle", "-trust-dir", td, p.Zip)
	if want := "FAIL  trust/timestamp.json: tuf.timestamp: version " + testrepo.Epoch + ": freeze: expired on 2026-04-02T03:04:05Z"; code != 1 || !strings.Contains(stdout, want) {
		t.Errorf("verify-airgap-bundle -trust-dir: exit %d, want 1 and %q:\n%s", code, want, stdout)
	}
	const at = "2026-01-03T00:00:00Z"
	code, stdout, _ = cli("release", "verify-airgap-bundle", "-trust-dir", td, "-at", at, p.Zip)
	for _, want := range []string{"PASS  trust/timestamp.json: tuf.timestamp:", "PASS  tuf.files:", "PASS  state.json: tuf.state: recorded", "0 failed, 0 skipped"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("verify-airgap-bundle -trust-dir -at: exit %d, want %q:\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = cli("release", "verify-go-package", "-trust-dir", td, "-at", at, "-json", p.Dir)
	var rep struct {
		Status   string
		Warnings []string
		TUF      struct {
			AtGiven bool `json:"at_given"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Status != "PASS" || !rep.TUF.AtGiven || len(rep.Warnings) == 0 ||
		!strings.Contains(rep.Warnings[0], "as of "+at+" (--at)") {
		t.Errorf("verify -at: exit %d, %+v, %v", code, rep, err)
	}
	state := filepath.Join(td, "state.json")
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, bytes.Replace(data, []byte(`"versions":{"root":1`), []byte(`"versions":{"root":0`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli("release", "verify-go-package", "-trust-dir", td, "-at", at, p.Dir); code != 2 || !strings.Contains(stderr, "corrupt state, not used and not changed") {
		t.Errorf("an edited state: exit %d, %s", code, stderr)
	}
}
