package vex

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const (
	linux   = "bin/linux-amd64/cavra-runtime"
	windows = "bin/windows-arm64/cavra-runtime.exe"
	serial  = "urn:uuid:8d16131d-51a2-56ee-bcbd-ccc17895f689"
)

func analysis() *Analysis {
	a := &Analysis{
		Product:  Product{Name: "cavra-runtime", Version: "v1.2.3"},
		Supplier: Supplier{Name: "CAVRA", URL: "https://github.com/cavra/cavra", Email: "maintainers@cavra.dev"},
		Time:     time.Unix(1_700_000_000, 0).UTC(),
		Binaries: []Binary{
			{Path: windows, Target: "windows/arm64", SHA256: strings.Repeat("b", 64)},
			{Path: linux, Target: "linux/amd64", SHA256: strings.Repeat("a", 64)},
		},
		Scanner:    Scanner{Name: "govulncheck", Module: "golang.org/x/vuln", Version: "v1.9.0"},
		Database:   Database{Module: "golang.org/x/vulndb", Version: "v0.0.0-20261105234957-e22db6528018", Sum: "h1:abc=", Modified: time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC), Entries: 4789},
		SBOMSerial: serial,
		Vulns: []Vuln{
			{ID: "GO-2026-0003", Summary: "fixed <in> go1.27.3 & later", URL: "https://pkg.go.dev/vuln/GO-2026-0003", Findings: []Finding{
				{Module: "stdlib", Version: "go1.27.3", Fix: "go1.27.3", Status: Fixed, Notes: "carries the fix", Binaries: []string{windows, linux}},
			}},
			{ID: "GO-2026-0001", Aliases: []string{"CVE-2026-1"}, Summary: "reachable, with an exception", URL: "https://pkg.go.dev/vuln/GO-2026-0001", Findings: []Finding{
				{Module: "stdlib", Version: "go1.27.3", Fix: "go1.27.4", Status: NotAffected, Justification: VulnerableCodeCannotBeControlledByAdversary, Impact: "only the operator's own files reach it", Notes: "reviewed", Reachable: true, Binaries: []string{linux}},
				{Module: "stdlib", Version: "go1.27.3", Fix: "go1.27.4", Status: NotAffected, Justification: VulnerableCodeNotInExecutePath, Notes: "imported", Binaries: []string{windows}},
			}},
		},
	}
	a.Normalize()
	return a
}

func TestDocumentsReproducible(t *testing.T) {
	for _, w := range []struct {
		name  string
		write func(*Analysis) ([]byte, error)
	}{{"openvex", WriteOpenVEX}, {"cyclonedx", WriteCycloneDX}, {"statement", WriteStatement}} {
		a, err := w.write(analysis())
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		b, _ := w.write(analysis())
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two writes of one analysis differ", w.name)
		}
		if bytes.Contains(a, []byte(`\u003c`)) {
			t.Errorf("%s escapes < in text", w.name)
		}
		// Another analysis gives another identifier.
		other := analysis()
		other.Vulns = other.Vulns[:1]
		c, _ := w.write(other)
		if w.name != "statement" && id(t, a) == id(t, c) {
			t.Errorf("%s: the identifier does not depend on the content", w.name)
		}
	}
}

func id(t *testing.T, doc []byte) string {
	var v struct {
		ID     string `json:"@id"`
		Serial string `json:"serialNumber"`
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	return v.ID + v.Serial
}

func TestOpenVEX(t *testing.T) {
	data, err := WriteOpenVEX(analysis())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseOpenVEX(data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Context != OpenVEXContext || !strings.HasPrefix(doc.ID, "urn:uuid:") || doc.Author != "CAVRA <maintainers@cavra.dev>" || doc.Timestamp != "2023-11-14T22:13:20Z" {
		t.Errorf("document: got %s %s %q %s", doc.Context, doc.ID, doc.Author, doc.Timestamp)
	}
	if len(doc.Statements) != 3 || doc.Statements[0].Vulnerability.Name != "GO-2026-0001" || doc.Statements[2].Status != Fixed {
		t.Fatalf("statements: got %+v", doc.Statements)
	}
	st := doc.Statements[0]
	p := st.Products[0]
	want := "pkg:generic/cavra-runtime@v1.2.3?checksum=sha256%3A" + strings.Repeat("a", 64) // as the SBOMs spell it
	if p.ID != want || p.Identifiers["purl"] != want || p.Hashes["sha-256"] != strings.Repeat("a", 64) || p.Subcomponents[0].ID != "pkg:golang/stdlib@go1.27.3" {
		t.Errorf("product: got %+v, want %s", p, want)
	}
	if st.Justification != VulnerableCodeCannotBeControlledByAdversary || st.ImpactStatement == "" {
		t.Errorf("an exception's statement: got %+v", st)
	}
	if got, ok := doc.Covers([]string{"CVE-2026-1"}, want); !ok || got.Vulnerability.Name != "GO-2026-0001" {
		t.Error("Covers by alias: not found")
	}
	if _, ok := doc.Covers([]string{"GO-2026-0001"}, PURL(linux, "v1.2.3", strings.Repeat("c", 64))); ok {
		t.Error("Covers: a binary with another digest is covered")
	}

	for _, tc := range []struct{ name, edit, want string }{
		{"unknown field", `"version": 1,`, "unknown field"},
		{"duplicate key", `"author": "x",`, "duplicate"},
		{"bad status", `"status": "fixed"`, "not one of OpenVEX's"},
		{"bad justification", `"justification": "vulnerable_code_not_in_execute_path"`, "not one of OpenVEX's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := string(data)
			switch tc.name {
			case "unknown field":
				bad = strings.Replace(bad, tc.edit, tc.edit+` "extra": true,`, 1)
			case "duplicate key":
				bad = strings.Replace(bad, `"version": 1,`, `"version": 1, `+tc.edit, 1)
			case "bad status":
				bad = strings.Replace(bad, tc.edit, `"status": "patched"`, 1)
			case "bad justification":
				bad = strings.Replace(bad, tc.edit, `"justification": "unreachable"`, 1)
			}
			if bad == string(data) {
				t.Fatal("the edit changed nothing")
			}
			if _, err := ParseOpenVEX([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCycloneDX(t *testing.T) {
	data, err := WriteCycloneDX(analysis())
	if err != nil {
		t.Fatal(err)
	}
	bom, err := ParseCycloneDX(data)
	if err != nil {
		t.Fatal(err)
	}
	if bom.SBOMSerial() != serial || bom.SpecVersion != "1.7" || !serialRE.MatchString(bom.SerialNumber) || bom.SerialNumber == serial {
		t.Errorf("got SBOM %s, spec %s, serial %s", bom.SBOMSerial(), bom.SpecVersion, bom.SerialNumber)
	}
	states := map[string]string{}
	for _, v := range bom.Vulnerabilities {
		for _, a := range v.Affects {
			states[v.ID+" "+a.Ref] = v.Analysis.State + "/" + v.Analysis.Justification
		}
	}
	for k, want := range map[string]string{
		"GO-2026-0001 urn:cdx:8d16131d-51a2-56ee-bcbd-ccc17895f689/1#" + linux:   "not_affected/requires_environment",
		"GO-2026-0001 urn:cdx:8d16131d-51a2-56ee-bcbd-ccc17895f689/1#" + windows: "not_affected/code_not_reachable",
		"GO-2026-0003 urn:cdx:8d16131d-51a2-56ee-bcbd-ccc17895f689/1#" + linux:   "resolved/",
	} {
		if states[k] != want {
			t.Errorf("%s: got %q, want %q", k, states[k], want)
		}
	}
	a := analysis()
	a.SBOMSerial = "not-a-serial"
	if _, err := WriteCycloneDX(a); err == nil {
		t.Error("a VEX BOM of an SBOM without a serial number: want an error")
	}
}

func TestStatement(t *testing.T) {
	data, err := WriteStatement(analysis())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatement(data)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != PredicateType || len(st.Subject) != 2 || st.Subject[0].Name != linux || st.Subject[0].Digest["sha256"] != strings.Repeat("a", 64) {
		t.Errorf("got %s, subjects %+v", st.PredicateType, st.Subject)
	}
	sc := st.Predicate.Scanner
	if sc.URI != "pkg:golang/golang.org/x/vuln@v1.9.0#cmd/govulncheck" || sc.DB.URI != "pkg:golang/golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018" || sc.DB.LastUpdate != "2026-11-05T23:49:57Z" {
		t.Errorf("scanner: got %+v", sc)
	}
	// Fixed is no result of the scan.
	if len(sc.Result) != 1 || sc.Result[0].ID != "GO-2026-0001" || len(sc.Result[0].Annotations) != 2 || sc.Result[0].Severity == nil {
		t.Errorf("result: got %+v", sc.Result)
	}
	if st.Predicate.Metadata.ScanStartedOn != "2023-11-14T22:13:20Z" {
		t.Errorf("metadata: got %+v, want SOURCE_DATE_EPOCH", st.Predicate.Metadata)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(a *Analysis)
		want string
	}{
		{"not_affected without justification", func(a *Analysis) { a.Vulns[0].Findings[0].Justification, a.Vulns[0].Findings[0].Impact = "", "" }, "needs a justification"},
		{"justification not OpenVEX's", func(a *Analysis) { a.Vulns[0].Findings[0].Justification = "unreachable" }, "not one of OpenVEX's"},
		{"affected without action", func(a *Analysis) { a.Vulns[0].Findings[0].Status, a.Vulns[0].Findings[0].Justification = Affected, "" }, "action statement"},
		{"justification on fixed", func(a *Analysis) { a.Vulns[1].Findings[0].Justification = VulnerableCodeNotPresent }, "on a fixed status"},
		{"unknown status", func(a *Analysis) { a.Vulns[1].Findings[0].Status = "patched" }, "not one of OpenVEX's"},
		{"another binary", func(a *Analysis) { a.Vulns[1].Findings[0].Binaries = []string{"bin/plan9-386/cavra-runtime"} }, "not a binary"},
		{"no binaries", func(a *Analysis) { a.Binaries = nil }, "no binaries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := analysis()
			tc.edit(a)
			for _, w := range []func(*Analysis) ([]byte, error){WriteOpenVEX, WriteCycloneDX, WriteStatement} {
				if _, err := w(a); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want an error containing %q", err, tc.want)
				}
			}
		})
	}
}
