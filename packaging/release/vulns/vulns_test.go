package vulns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/format/vulndb"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/sbom"
)

func TestParseFindings(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "govulncheck-go1.26.8-linux-amd64.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, goVersion, err := ParseFindings(f)
	if err != nil {
		t.Fatal(err)
	}
	if goVersion != "go1.26.8" {
		t.Errorf("go version: got %s", goVersion)
	}
	for id, want := range map[string]Level{"GO-2026-6599": Required, "GO-2026-6604": Imported, "GO-2026-6611": Called, "GO-2026-0000": None} {
		if got := r.Level(id); got != want {
			t.Errorf("%s: got level %d, want %d", id, got, want)
		}
	}
	if tr := r.Traces["GO-2026-6611"]; !strings.HasPrefix(tr, "github.com/cavra/cavra/cmd/cavra-runtime.main → ") || !strings.Contains(tr, "net/http.") || len(r.Traces) != 1 {
		t.Errorf("traces: got %v", r.Traces)
	}
	if _, _, err := ParseFindings(strings.NewReader(`{"finding": {"osv": "GO-1", "trace": [{"module": "stdlib"}]}}`)); err == nil {
		t.Error("output without a config message: want an error")
	}
	if _, _, err := ParseFindings(strings.NewReader(`{"config": {"go_version": "go1.27.3", "scan_level": "module"}}`)); err == nil {
		t.Error("a module-level scan: want an error")
	}
}

func TestParseExceptions(t *testing.T) {
	good := "exceptions:\n  - id: GO-2026-0001\n    justification: vulnerable_code_cannot_be_controlled_by_adversary\n    impact: |\n      Only the operator's files reach it.\n    reviewed_by: Jane Doe <jane@example.com>\n    reviewed_on: 2026-11-06\n"
	ex, err := ParseExceptions([]byte(good))
	if err != nil || len(ex) != 1 || ex[0].Impact != "Only the operator's files reach it." {
		t.Fatalf("got %+v, %v", ex, err)
	}
	if ex, err := ParseExceptions([]byte("# nothing yet\nexceptions: []\n")); err != nil || len(ex) != 0 {
		t.Errorf("an empty list: got %v, %v", ex, err)
	}
	for _, tc := range []struct{ name, edit, want string }{
		{"unknown key", "    reviewed_on: 2026-11-06\n    expires: never\n", "expires"},
		{"no id", "  - id: GO-2026-0001\n", "no id"},
		{"justification not OpenVEX's", "justification: vulnerable_code_cannot_be_controlled_by_adversary", "not one of OpenVEX's"},
		{"no impact", "    impact: |\n      Only the operator's files reach it.\n", "no impact statement"},
		{"no reviewer", "    reviewed_by: Jane Doe <jane@example.com>\n", "no reviewed_by"},
		{"not a date", "2026-11-06", "not a date"},
		{"id twice", "", "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := good
			switch tc.name {
			case "unknown key":
				doc = strings.Replace(doc, "    reviewed_on: 2026-11-06\n", tc.edit, 1)
			case "no id":
				doc = strings.Replace(doc, tc.edit, "  - id: \"\"\n", 1)
			case "justification not OpenVEX's":
				doc = strings.Replace(doc, tc.edit, "justification: unreachable", 1)
			case "no impact", "no reviewer":
				doc = strings.Replace(doc, tc.edit, "", 1)
			case "not a date":
				doc = strings.Replace(doc, tc.edit, "6 November 2026", 1)
			case "id twice":
				doc += strings.TrimPrefix(good, "exceptions:\n")
			}
			if _, err := ParseExceptions([]byte(doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// depbin builds sbom/testdata/depbin for this machine: a binary that links
// github.com/google/uuid and golang.org/x/mod, with the go on PATH.
func depbin(t *testing.T, out string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", out, "./sbom/testdata/depbin")
	cmd.Dir = testrepo.ModuleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build depbin: %v\n%s", err, b)
	}
}

// osv returns an OSV entry affecting module from introduced to fixed ("" for
// none), in the vulnerable package pkg.
func osv(id, module, introduced, fixed, pkg string) []byte {
	events := []map[string]string{{"introduced": introduced}}
	if fixed != "" {
		events = append(events, map[string]string{"fixed": fixed})
	}
	b, _ := json.Marshal(map[string]any{
		"id": id, "modified": "2026-12-01T00:00:00Z", "aliases": []string{"CVE-" + id}, "summary": "test entry " + id,
		"affected": []any{map[string]any{
			"package": map[string]string{"name": module, "ecosystem": "Go"}, "ranges": []any{map[string]any{"type": "SEMVER", "events": events}},
			"ecosystem_specific": map[string]any{"imports": []any{map[string]any{"path": pkg}}},
		}},
	})
	return b
}

// nextPatch returns the version after v (1.26.8 → 1.26.9).
func nextPatch(t *testing.T, v string) string {
	i := strings.LastIndex(v, ".")
	var n int
	if _, err := fmt.Sscan(v[i+1:], &n); err != nil {
		t.Fatalf("%s: %v", v, err)
	}
	return fmt.Sprintf("%s.%d", v[:i], n+1)
}

// TestAnalyse decides every status and the policy from findings, on a real
// binary with dependencies and a database made for it.
func TestAnalyse(t *testing.T) {
	dir := t.TempDir()
	bin := "bin/linux-amd64/cavra-runtime"
	depbin(t, filepath.Join(dir, filepath.FromSlash(bin)))
	goVersion := vulndb.Semver(runtime.Version())
	entries := map[string][]byte{
		"GO-2099-0001": osv("GO-2099-0001", vulndb.Stdlib, "0", nextPatch(t, goVersion), "fmt"),               // called
		"GO-2099-0002": osv("GO-2099-0002", "github.com/google/uuid", "0", "1.6.1", "github.com/google/uuid"), // imported
		"GO-2099-0003": osv("GO-2099-0003", vulndb.Stdlib, "0", goVersion, "os"),                              // fixed here
		"GO-2099-0004": osv("GO-2099-0004", "golang.org/x/mod", "0", "", "golang.org/x/mod/zip"),              // not built
		"GO-2099-0005": osv("GO-2099-0005", "example.com/elsewhere", "0", "", "example.com/elsewhere"),        // not linked
	}
	files, err := vulndb.Index(entries, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "db")
	if err := vulndb.Write(db, files); err != nil {
		t.Fatal(err)
	}
	cdx, err := artifact.WriteFile(dir, layout.CycloneDX, artifact.SBOM, 0o644, []byte(`{"serialNumber": "urn:uuid:8d16131d-51a2-56ee-bcbd-ccc17895f689"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifact.Stat(dir, bin, artifact.Binary, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	b.Target = "linux/amd64"
	s := &release.State{
		Config:    &release.Config{Version: "v1.2.3", Epoch: time.Unix(1_700_000_000, 0), Supplier: release.DefaultSupplier},
		Dir:       dir,
		Artifacts: artifact.List{b, cdx},
	}
	reach := map[string]Reach{"linux/amd64": {Levels: map[string]Level{"GO-2099-0001": Called, "GO-2099-0002": Imported}, Traces: map[string]string{}}}
	tool := vex.Scanner{Name: "govulncheck", Module: ScannerModule, Version: "v1.9.0"}

	a, err := analyse(s, vex.Database{}, db, tool, reach, nil)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, v := range a.Vulns {
		for _, f := range v.Findings {
			status[v.ID] = f.Status + " " + f.Justification + " " + f.Fix
		}
	}
	for id, want := range map[string]string{
		"GO-2099-0001": "affected  go" + nextPatch(t, goVersion),
		"GO-2099-0002": "not_affected vulnerable_code_not_in_execute_path v1.6.1",
		"GO-2099-0003": "fixed  " + runtime.Version(),
		"GO-2099-0004": "not_affected vulnerable_code_not_present ",
	} {
		if status[id] != want {
			t.Errorf("%s: got %q, want %q", id, status[id], want)
		}
	}
	if len(status) != 4 {
		t.Errorf("got statements for %v, want four (GO-2099-0005's module is not linked)", status)
	}
	// The policy names the reachable one, its module, version, fix and binary.
	err = Policy(a)
	if err == nil {
		t.Fatal("a reachable vulnerability without an exception passed the policy")
	}
	for _, want := range []string{"GO-2099-0001", "stdlib " + runtime.Version(), "fixed in go" + nextPatch(t, goVersion), bin, ExceptionsFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the policy's error lacks %q:\n%v", want, err)
		}
	}
	// The call path is in the error, as govulncheck found it.
	reach["linux/amd64"].Traces["GO-2099-0001"] = "example.com/m.main → fmt.Fprintf"
	a, _ = analyse(s, vex.Database{}, db, tool, reach, nil)
	if err := Policy(a); err == nil || !strings.Contains(err.Error(), "call path: example.com/m.main → fmt.Fprintf") {
		t.Errorf("the policy's error lacks the call path: %v", err)
	}
	// A target the scanner did not scan is an error, never "not present".
	if _, err := analyse(s, vex.Database{}, db, tool, map[string]Reach{"windows/arm64": {}}, nil); err == nil || !strings.Contains(err.Error(), "did not scan linux/amd64") {
		t.Errorf("an unscanned target: got %v", err)
	}
	// A reviewed exception makes it not_affected, with its reasons.
	ex := []Exception{{ID: "CVE-GO-2099-0001", Justification: vex.InlineMitigationsAlreadyExist, Impact: "the runtime never formats attacker input", ReviewedBy: "Jane Doe", ReviewedOn: "2026-11-06"}}
	a, err = analyse(s, vex.Database{}, db, tool, reach, ex)
	if err != nil {
		t.Fatal(err)
	}
	if err := Policy(a); err != nil {
		t.Errorf("with the exception: %v", err)
	}
	f := a.Vulns[0].Findings[0]
	if a.Vulns[0].ID != "GO-2099-0001" || f.Status != vex.NotAffected || f.Justification != vex.InlineMitigationsAlreadyExist || f.Impact != ex[0].Impact || !f.Reachable || !strings.Contains(f.Notes, "Jane Doe on 2026-11-06") {
		t.Errorf("the exception's statement: got %+v", f)
	}
	// An exception that matches nothing is stale: the release fails.
	ex = append(ex, Exception{ID: "GO-2099-0009", Justification: vex.ComponentNotPresent, Impact: "x", ReviewedBy: "x", ReviewedOn: "2026-11-06"})
	if _, err := analyse(s, vex.Database{}, db, tool, reach, ex); err == nil || !strings.Contains(err.Error(), "GO-2099-0009") {
		t.Errorf("a stale exception: got %v", err)
	}
}

// testDatabase writes the pinned database with entry added, as a folder.
func testDatabase(t *testing.T, c *release.Config, add map[string][]byte) string {
	t.Helper()
	mod, err := Download(context.Background(), c, DatabaseModule)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(mod.Zip)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	entries, err := vulndb.FromModule(f, st.Size(), mod.Path, mod.Version)
	if err != nil {
		t.Fatal(err)
	}
	for id, e := range add {
		entries[id] = e
	}
	files, err := vulndb.Index(entries, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "db")
	if err := vulndb.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReleaseFailsOnReachable releases a copy of this module up to the
// vulns step, for two targets, with the real govulncheck and the pinned
// database plus an entry for the release toolchain's exact Go version whose
// symbol the runtime calls (fmt.Fprintf): the release fails naming it. With
// a reviewed exception committed, it passes, and the documents say why.
func TestReleaseFailsOnReachable(t *testing.T) {
	if testing.Short() {
		t.Skip("releases twice and runs govulncheck")
	}
	repo := testrepo.New(t, t.TempDir(), "")
	ctx := context.Background()
	c, err := release.Detect(ctx, release.Options{Root: repo, Out: filepath.Join(t.TempDir(), "dist"), Targets: []build.Target{{GOOS: "linux", GOARCH: "amd64"}, {GOOS: "windows", GOARCH: "arm64"}},
		Getenv: func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": testrepo.Epoch}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	v := vulndb.Semver(c.GoVersion)
	entry := osv("GO-2099-0001", vulndb.Stdlib, "0", nextPatch(t, v), "fmt")
	var e map[string]any
	json.Unmarshal(entry, &e)
	e["affected"].([]any)[0].(map[string]any)["ecosystem_specific"] = map[string]any{"imports": []any{map[string]any{"path": "fmt", "symbols": []string{"Fprintf"}}}}
	entry, _ = json.Marshal(e)
	db := testDatabase(t, c, map[string][]byte{"GO-2099-0001": entry})

	scans := &release.StepCache{Dir: t.TempDir(), Code: "test"}
	pipeline := func() release.Pipeline {
		return release.Pipeline{{release.SourceStep{}}, {release.BuildStep{}}, {sbomStep()}, {Step{Database: db, Scans: scans}}}
	}
	var log bytes.Buffer
	_, err = release.Run(ctx, c, pipeline(), release.NewLog(&log))
	if n := strings.Count(log.String(), "(from the scan cache)"); n != 0 {
		t.Errorf("the first release took %d scans from an empty cache:\n%s", n, log.String())
	}
	if err == nil {
		t.Fatal("the release passed with a reachable vulnerability and no exception")
	}
	for _, want := range []string{"vulns:", "GO-2099-0001 stdlib " + c.GoVersion + " (fixed in go" + nextPatch(t, v) + ") reachable", "bin/linux-amd64/cavra-runtime", "bin/windows-arm64/cavra-runtime.exe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the release's error lacks %q:\n%v", want, err)
		}
	}

	exceptions := "exceptions:\n  - id: GO-2099-0001\n    justification: vulnerable_code_cannot_be_controlled_by_adversary\n    impact: The runtime formats only its own decisions.\n    reviewed_by: Jane Doe <jane@example.com>\n    reviewed_on: 2026-11-06\n"
	if err := os.WriteFile(filepath.Join(repo, filepath.FromSlash(ExceptionsFile)), []byte(exceptions), 0o644); err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, repo, "commit", "-q", "-am", "a reviewed exception")
	if c, err = release.Detect(ctx, release.Options{Root: repo, Out: c.Out, Targets: c.Targets, Go: c.Go,
		Getenv: func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": testrepo.Epoch}[k] }}); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	res, err := release.Run(ctx, c, pipeline(), release.NewLog(&log))
	if err != nil {
		t.Fatalf("with the exception: %v", err)
	}
	// The commit changed no Go file: both scans come from the cache.
	if n := strings.Count(log.String(), "(from the scan cache)"); n != 2 {
		t.Errorf("a commit that leaves the runtime alone: %d scans from the cache, want 2:\n%s", n, log.String())
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, filepath.FromSlash(layout.OpenVEX)))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := vex.ParseOpenVEX(data)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := doc.Covers([]string{"GO-2099-0001"}, vex.PURL("bin/linux-amd64/cavra-runtime", c.Version, sha(t, res, "bin/linux-amd64/cavra-runtime")))
	if !ok || st.Status != vex.NotAffected || st.Justification != vex.VulnerableCodeCannotBeControlledByAdversary || st.ImpactStatement != "The runtime formats only its own decisions." || !strings.Contains(st.StatusNotes, "Jane Doe") || len(st.Products) != 2 {
		t.Errorf("the exception's statement: got %+v", st)
	}
	checkSchema(t, filepath.Join(res.Dir, filepath.FromSlash(layout.CycloneDXVEX)))

	// A change to the runtime's source scans again.
	main := filepath.Join(repo, "cmd", "cavra-runtime", "main.go")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, append(src, "\n// A change to the runtime.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, repo, "commit", "-q", "-am", "a change to the runtime")
	if c, err = release.Detect(ctx, release.Options{Root: repo, Out: c.Out, Targets: c.Targets, Go: c.Go,
		Getenv: func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": testrepo.Epoch}[k] }}); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := release.Run(ctx, c, pipeline(), release.NewLog(&log)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "(from the scan cache)"); n != 0 {
		t.Errorf("a change to the runtime: %d scans from the cache, want 0:\n%s", n, log.String())
	}
}

func sha(t *testing.T, res *release.Result, p string) string {
	a, ok := res.Artifacts.Find(p)
	if !ok {
		t.Fatalf("no %s", p)
	}
	return a.SHA256
}

func sbomStep() release.Step { return sbom.Step{} }

// checkSchema validates a CycloneDX document against the official
// CycloneDX 1.7 JSON schema the SBOM tests use (sbom/testdata/schema).
func checkSchema(t *testing.T, file string) {
	t.Helper()
	dir := filepath.Join(testrepo.ModuleRoot(t), "sbom", "testdata", "schema")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, name := range map[string]string{
		"http://cyclonedx.org/schema/bom-1.7.schema.json":           "bom-1.7.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":              "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json":          "jsf-0.82.schema.json",
		"http://cyclonedx.org/schema/cryptography-defs.schema.json": "cryptography-defs.schema.json",
	} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := c.Compile("http://cyclonedx.org/schema/bom-1.7.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("%s does not validate against the CycloneDX 1.7 schema: %v", file, err)
	}
}
