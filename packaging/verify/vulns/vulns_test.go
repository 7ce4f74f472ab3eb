package vulns

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/format/vulndb"
)

func entry(id, module, introduced, fixed string) []byte {
	events := []map[string]string{{"introduced": introduced}}
	if fixed != "" {
		events = append(events, map[string]string{"fixed": fixed})
	}
	b, _ := json.Marshal(map[string]any{
		"id": id, "modified": "2026-12-01T00:00:00Z", "aliases": []string{"CVE-" + id}, "summary": "test " + id,
		"affected": []any{map[string]any{"package": map[string]string{"name": module, "ecosystem": "Go"}, "ranges": []any{map[string]any{"type": "SEMVER", "events": events}}}},
	})
	return b
}

// TestRecheck re-checks a real binary with module dependencies
// (sbom/testdata/depbin, built here: github.com/google/uuid and
// golang.org/x/mod, the go on PATH) against a database made for it and an
// OpenVEX document that covers some of it.
func TestRecheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "depbin")
	cmd := exec.Command("go", "build", "-o", out, "./sbom/testdata/depbin")
	cmd.Dir = testrepo.ModuleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build depbin: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	const path = "bin/linux-amd64/cavra-runtime"
	sum := checksums.SHA256(data)
	goVersion := vulndb.Semver(runtime.Version())
	files, err := vulndb.Index(map[string][]byte{
		"GO-2099-0001": entry("GO-2099-0001", "github.com/google/uuid", "0", "1.6.1"), // the module version: new
		"GO-2099-0002": entry("GO-2099-0002", vulndb.Stdlib, "0", ""),                 // the Go version, covered not_affected
		"GO-2099-0003": entry("GO-2099-0003", vulndb.Stdlib, "0", ""),                 // the VEX says fixed: new
		"GO-2099-0004": entry("GO-2099-0004", vulndb.Stdlib, "0", goVersion),          // fixed in this version: not listed
		"GO-2099-0005": entry("GO-2099-0005", "github.com/google/uuid", "1.7.0", ""),  // a later version: not listed
		"GO-2099-0006": entry("GO-2099-0006", "example.com/not/linked", "0", ""),      // not in the binary
		"GO-2099-0007": entry("GO-2099-0007", vulndb.Toolchain, "0", ""),              // the go command: not in the binary
		"GO-2099-0008": entry("GO-2099-0008", "golang.org/x/mod", "0", "99.0.0"),      // covered by alias
	}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "db")
	if err := vulndb.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	purl := vex.PURL(path, "v1.2.3", sum)
	product := []vex.Component{{ID: purl, Identifiers: map[string]string{"purl": purl}}}
	doc := &vex.OpenVEX{Statements: []vex.Statement{
		{Vulnerability: vex.Vulnerability{Name: "GO-2099-0002"}, Products: product, Status: vex.NotAffected, Justification: vex.VulnerableCodeNotInExecutePath},
		{Vulnerability: vex.Vulnerability{Name: "GO-2099-0003"}, Products: product, Status: vex.Fixed},
		{Vulnerability: vex.Vulnerability{Name: "X", Aliases: []string{"CVE-GO-2099-0008"}}, Products: product, Status: vex.Affected, ActionStatement: "update"},
		// About another binary (another digest): covers nothing here.
		{Vulnerability: vex.Vulnerability{Name: "GO-2099-0001"}, Products: []vex.Component{{ID: vex.PURL(path, "v1.2.3", strings.Repeat("0", 64))}}, Status: vex.NotAffected, Justification: vex.ComponentNotPresent},
	}}
	findings, bins, err := recheck(doc, db, "v1.2.3", []input{{Path: path, SHA256: sum, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bins) != 1 || bins[0].GoVersion != runtime.Version() || bins[0].Modules < 2 {
		t.Errorf("binaries: got %+v", bins)
	}
	got := map[string]string{}
	for _, f := range findings {
		got[f.ID] = f.Result + " " + f.Module + " " + f.Statement
		if len(f.Binaries) != 1 || f.Binaries[0] != path {
			t.Errorf("%s: binaries %v", f.ID, f.Binaries)
		}
	}
	want := map[string]string{
		"GO-2099-0001": "NEW github.com/google/uuid ",
		"GO-2099-0002": "COVERED stdlib not_affected: vulnerable_code_not_in_execute_path",
		"GO-2099-0003": "NEW stdlib ",
		"GO-2099-0008": "COVERED golang.org/x/mod affected",
	}
	if len(got) != len(want) {
		t.Errorf("got findings %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: got %q, want %q", id, got[id], w)
		}
	}
	// NEW first, then by id.
	if findings[0].Result != New || findings[len(findings)-1].Result != Covered {
		t.Errorf("order: got %+v", findings)
	}
	for _, f := range findings {
		if f.ID == "GO-2099-0001" && (f.Version != "v1.6.0" || f.Fixed != "v1.6.1") {
			t.Errorf("GO-2099-0001: version %s fixed %s, want v1.6.0 fixed v1.6.1", f.Version, f.Fixed)
		}
	}
}

// TestRunRefusesBadInput: a database that is not one, and a package that
// is not one, are errors naming them.
func TestRunRefusesBadInput(t *testing.T) {
	empty := t.TempDir()
	if _, err := Run(empty, Options{Database: empty}); err == nil || !strings.Contains(err.Error(), "index/db.json") {
		t.Errorf("a folder that is no database: got %v", err)
	}
	files, err := vulndb.Index(map[string][]byte{"GO-1": entry("GO-1", vulndb.Stdlib, "0", "")}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "db")
	if err := vulndb.Write(db, files); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(empty, Options{Database: db})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Error, "failed verification") {
		t.Errorf("an empty folder as the package: got %s %q", rep.Status, rep.Error)
	}
}
