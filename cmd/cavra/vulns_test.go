package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/verify/vulns"
)

// TestVulns re-checks a real package against the database its release was
// checked against (it passes), then against that database with an entry
// for the exact Go version in the binaries (it fails, naming the entry,
// the version, the fix and every binary), with the exit status and the
// stderr lines an operator's script reads.
func TestVulns(t *testing.T) {
	p := pkg(t)
	dir := t.TempDir()
	pinned := filepath.Join(dir, "vulndb.zip")
	testrelease.VulnDB(t, pinned, nil)
	newer := filepath.Join(dir, "newer.zip")
	testrelease.VulnDB(t, newer, map[string][]byte{"GO-2099-0001": testrelease.StdlibEntry(t, build.Toolchain)})

	for _, in := range []string{p.Dir, p.Zip} {
		code, stdout, stderr := cli("release", "vulns", "-key", p.PublicKey, "-db", pinned, in)
		if code != 0 || !strings.Contains(stdout, "PASS  go-runtime-"+p.Version) || !strings.Contains(stdout, "the release was checked against pkg:golang/golang.org/x/vulndb@") {
			t.Errorf("%s against the pinned database: exit %d\n%s%s", in, code, stdout, stderr)
		}
	}

	code, stdout, stderr := cli("release", "vulns", "-key", p.PublicKey, "--db", newer, p.Dir)
	if code != 1 || !strings.Contains(stdout, "NEW     GO-2099-0001 stdlib "+build.Toolchain+", fixed in ") {
		t.Fatalf("against a database with a new entry: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	line := "vulns: GO-2099-0001 stdlib " + build.Toolchain + " (fixed in "
	if !strings.Contains(stderr, line) || strings.Count(stderr, "bin/") != 6 {
		t.Errorf("stderr does not name the entry and the six binaries:\n%s", stderr)
	}

	code, stdout, _ = cli("release", "vulns", "-key", p.PublicKey, "-db", newer, "-json", p.Dir)
	var rep vulns.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 1 {
		t.Fatalf("-json: exit %d, %v\n%s", code, err, stdout)
	}
	if rep.Status != "FAIL" || len(rep.New()) != 1 || rep.New()[0].Module != "stdlib" || rep.New()[0].Version != build.Toolchain || len(rep.New()[0].Binaries) != 6 || rep.Database.Entries < 4000 {
		t.Errorf("-json: got %+v", rep)
	}

	// A package that fails verification is not re-checked: its VEX is
	// not trusted.
	_, otherPub := testrelease.GenerateKey(t, t.TempDir())
	if code, stdout, stderr := cli("release", "vulns", "-key", otherPub, "-db", pinned, p.Dir); code != 1 || !strings.Contains(stdout, "failed verification") {
		t.Errorf("with another key: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	// Bad usage and unreadable input.
	for _, args := range [][]string{
		{"release", "vulns", "-key", p.PublicKey, p.Dir},
		{"release", "vulns", "-key", p.PublicKey, "-db", filepath.Join(dir, "none.zip"), p.Dir},
		{"release", "vulns", "-key", p.PublicKey, "-db", p.Zip, p.Dir},
		{"release", "vulns", "-key", p.PublicKey, "-db", pinned},
	} {
		if code, stdout, stderr := cli(args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, want 2 and a reason\n%s%s", args, code, stdout, stderr)
		}
	}
}
