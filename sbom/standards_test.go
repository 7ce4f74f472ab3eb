package sbom_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cavra/cavra/sbom"
	"github.com/cavra/cavra/sbom/inspect"
)

// extraFiles writes a Linux package carrying bins[0] and a source archive
// (their bytes only need digests) and returns them.
func extraFiles(t *testing.T, bins []sbom.Binary) []sbom.File {
	t.Helper()
	dir := t.TempDir()
	var out []sbom.File
	for _, f := range []struct {
		kind           sbom.FileKind
		path, contains string
	}{
		{sbom.LinuxPackage, "packages/cavra-runtime_1.2.3_amd64.deb", bins[0].Path},
		{sbom.SourceArchive, "source/cavra-runtime-v1.2.3-src.tar.gz", ""},
	} {
		data := []byte("bytes of " + f.path + "\n")
		file := filepath.Join(dir, filepath.Base(f.path))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		out = append(out, sbom.File{Kind: f.kind, Path: f.path, File: file, SHA256: hex.EncodeToString(s[:]), Contains: f.contains})
	}
	return out
}

// compliant returns the documents of a release whose binaries link only
// the standard library, as cavra-runtime does, with a Linux package and
// the source archive.
func compliant(t *testing.T) (spdxDoc, cdxDoc []byte) {
	t.Helper()
	bins := release(t)[:3] // cavra-runtime for linux/amd64, darwin/arm64, windows/arm64
	spdxDoc, cdxDoc, err := sbom.Generate(context.Background(), info(t, bins), bins, extraFiles(t, bins)...)
	if err != nil {
		t.Fatal(err)
	}
	return spdxDoc, cdxDoc
}

// schemas compiles the official JSON schemas in testdata/schema (see the
// README there): SPDX 2.3 and CycloneDX 1.7 with the schemas it refers to.
func schemas(t *testing.T) (spdxSchema, cdxSchema *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, name := range map[string]string{
		"http://spdx.org/rdf/terms/2.3":                             "spdx-schema-2.3.json",
		"http://cyclonedx.org/schema/bom-1.7.schema.json":           "bom-1.7.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":              "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json":          "jsf-0.82.schema.json",
		"http://cyclonedx.org/schema/cryptography-defs.schema.json": "cryptography-defs.schema.json",
	} {
		f, err := os.Open(filepath.Join("testdata", "schema", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	spdxSchema, err := c.Compile("http://spdx.org/rdf/terms/2.3")
	if err != nil {
		t.Fatal(err)
	}
	cdxSchema, err = c.Compile("http://cyclonedx.org/schema/bom-1.7.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return spdxSchema, cdxSchema
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSchemas validates both documents against the official schemas, for
// a release of cavra-runtime and for binaries with module dependencies,
// and checks that the schemas refuse documents that break them.
func TestSchemas(t *testing.T) {
	spdxSchema, cdxSchema := schemas(t)
	spdx1, cdx1 := compliant(t)
	bins := release(t)
	spdx2, cdx2 := generate(t, info(t, bins), bins)
	for _, tt := range []struct {
		name   string
		schema *jsonschema.Schema
		doc    []byte
	}{
		{"spdx release", spdxSchema, spdx1},
		{"cyclonedx release", cdxSchema, cdx1},
		{"spdx with modules", spdxSchema, spdx2},
		{"cyclonedx with modules", cdxSchema, cdx2},
	} {
		if err := validate(t, tt.schema, tt.doc); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	for _, tt := range []struct {
		name   string
		schema *jsonschema.Schema
		doc    []byte
		edit   func(map[string]any)
	}{
		{"spdx package without downloadLocation", spdxSchema, spdx1, func(m map[string]any) {
			delete(m["packages"].([]any)[0].(map[string]any), "downloadLocation")
		}},
		{"spdx unknown checksum algorithm", spdxSchema, spdx1, func(m map[string]any) {
			p := m["packages"].([]any)[0].(map[string]any)
			p["checksums"].([]any)[0].(map[string]any)["algorithm"] = "SHA-256"
		}},
		{"cyclonedx unknown component type", cdxSchema, cdx1, func(m map[string]any) {
			m["components"].([]any)[0].(map[string]any)["type"] = "binary"
		}},
		{"cyclonedx unknown licence id", cdxSchema, cdx1, func(m map[string]any) {
			c := m["components"].([]any)[0].(map[string]any)
			c["licenses"] = []any{map[string]any{"license": map[string]any{"id": "Apache-2"}}}
		}},
		{"cyclonedx bad serial number", cdxSchema, cdx1, func(m map[string]any) { m["serialNumber"] = "1234" }},
		{"cyclonedx timestamp not a date-time", cdxSchema, cdx1, func(m map[string]any) {
			m["metadata"].(map[string]any)["timestamp"] = "yesterday"
		}},
		{"cyclonedx unknown BOM field", cdxSchema, cdx1, func(m map[string]any) { m["supplier"] = "CAVRA" }},
	} {
		var m map[string]any
		if err := json.Unmarshal(tt.doc, &m); err != nil {
			t.Fatal(err)
		}
		tt.edit(m)
		doc, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, tt.schema, doc); err == nil {
			t.Errorf("%s: the schema accepts it", tt.name)
		}
	}
}

// TestCompliance checks the documents against the NTIA minimum elements
// and BSI TR-03183-2: a release of cavra-runtime passes every element;
// binaries that link modules of others fail on those modules, by name.
func TestCompliance(t *testing.T) {
	spdxDoc, cdxDoc := compliant(t)
	for _, tt := range []struct {
		name  string
		doc   []byte
		check func([]byte) (*inspect.Compliance, error)
	}{{"spdx", spdxDoc, inspect.CheckSPDX}, {"cyclonedx", cdxDoc, inspect.CheckCycloneDX}} {
		c, err := tt.check(tt.doc)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !c.OK() {
			t.Errorf("%s: got failures:\n%s", tt.name, strings.Join(c.Failures(""), "\n"))
		}
		// The release, 3 binaries, 1 Linux package, the source archive,
		// 3 main modules and 3 stdlib.
		kinds := map[string]int{}
		for _, comp := range c.Components {
			kinds[comp.Kind]++
		}
		if want := map[string]int{inspect.KindRelease: 1, inspect.KindDeployable: 5, inspect.KindModule: 6}; !maps.Equal(kinds, want) {
			t.Errorf("%s: components: got %v, want %v", tt.name, kinds, want)
		}
		// 5 document requirements; 10 of each component, 5 more of each
		// deployable.
		if want := 5 + 12*10 + 5*5; c.Passed != want {
			t.Errorf("%s: got %d requirements passed, want %d", tt.name, c.Passed, want)
		}
	}

	bins := release(t)
	spdx2, cdx2 := generate(t, info(t, bins), bins)
	dep := bins[3].Path // depbin links github.com/google/uuid and golang.org/x/mod
	for _, tt := range []struct {
		name  string
		doc   []byte
		check func([]byte) (*inspect.Compliance, error)
	}{{"spdx", spdx2, inspect.CheckSPDX}, {"cyclonedx", cdx2, inspect.CheckCycloneDX}} {
		c, err := tt.check(tt.doc)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, comp := range c.Components {
			for _, r := range comp.Checks {
				if r.Status == inspect.Fail {
					got = append(got, comp.Name+" "+r.Element+": "+r.Detail)
				}
			}
		}
		slices.Sort(got)
		want := []string{
			dep + " licence: no concluded licence",
			"cavra-runtime licence: no concluded licence",
			"github.com/google/uuid creator: no creator",
			"github.com/google/uuid licence: no declared licence",
			"github.com/google/uuid supplier: no supplier",
			"golang.org/x/mod creator: no creator",
			"golang.org/x/mod licence: no declared licence",
			"golang.org/x/mod supplier: no supplier",
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: failures:\ngot  %q\nwant %q", tt.name, got, want)
		}
	}
}

// TestLicenseOf reads licences as the release reads LICENSE, and checks
// that the Go licence named for stdlib is GOROOT/LICENSE's.
func TestLicenseOf(t *testing.T) {
	ours, err := os.ReadFile(filepath.Join("..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	gos, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		text []byte
		want string // or the error
	}{
		{"LICENSE", ours, "Apache-2.0"},
		{"GOROOT/LICENSE", gos, sbom.StdlibLicense},
		{"empty", nil, "no licence text found"},
		{"prose", []byte("All rights reserved. Ask us before you use this.\n"), "no licence text found"},
		{"two licences", append(append([]byte{}, ours...), gos...), "2 licences found (Apache-2.0, BSD-3-Clause), want one"},
		{"licence and more", append(append([]byte{}, gos...), bytes.Repeat([]byte("This paragraph is not part of any licence text at all. "), 20)...), "BSD-3-Clause covers only"},
	} {
		got, err := sbom.LicenseOf(tt.text)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSchemaFiles checks that the schemas are the files testdata/schema
// says they are: the SHA-256 its README records, and nothing else there.
func TestSchemaFiles(t *testing.T) {
	dir := filepath.Join("testdata", "schema")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for line := range strings.Lines(string(readme)) {
		if sum, name, ok := strings.Cut(strings.TrimSpace(line), "  "); ok && len(sum) == 64 {
			want[name] = sum
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries {
		if e.Name() == "README.md" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		got[e.Name()] = hex.EncodeToString(s[:])
	}
	if len(want) != 5 || !maps.Equal(got, want) {
		t.Errorf("got %v, want the README's %v", got, want)
	}
}
