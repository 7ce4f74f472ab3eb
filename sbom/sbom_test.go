package sbom_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/format"
	"github.com/anchore/syft/syft/pkg"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"

	"github.com/cavra/cavra/sbom"
	"github.com/cavra/cavra/sbom/inspect"
)

var update = flag.Bool("update", false, "rewrite the documents in inspect/testdata")

const (
	version    = "v1.2.3"
	runtimePkg = "./cmd/cavra-runtime"
	depPkg     = "./sbom/testdata/depbin" // has module dependencies
)

// tmp holds the binaries built by the tests.
var tmp string

func TestMain(m *testing.M) {
	flag.Parse()
	d, err := os.MkdirTemp("", "sbom-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// build compiles the main package pkg of this module for target as a
// release is built, once per test process, and returns the file.
func build(tb testing.TB, pkg, target string) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + " " + target
	if f, ok := built[key]; ok {
		return f
	}
	goos, goarch, _ := strings.Cut(target, "/")
	name := path.Base(pkg)
	if goos == "windows" {
		name += ".exe"
	}
	out := filepath.Join(tmp, "build", goos+"-"+goarch+"-"+path.Base(pkg), name)
	cmd := exec.Command("go", "build", "-ldflags=-s -w -buildid= -X main.version="+version, "-o", out, pkg)
	cmd.Dir = ".." // the module root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch,
		"GOFLAGS=-trimpath -mod=readonly -buildvcs=false")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s for %s: %v\n%s", pkg, target, err, msg)
	}
	built[key] = out
	return out
}

// binary builds pkg for target and describes it as it sits in a release
// package, under bin/<os>-<arch>/.
func binary(tb testing.TB, pkg, target string) sbom.Binary {
	tb.Helper()
	f := build(tb, pkg, target)
	data, err := os.ReadFile(f)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return sbom.Binary{
		Path:   "bin/" + strings.ReplaceAll(target, "/", "-") + "/" + filepath.Base(f),
		Target: target,
		File:   f,
		SHA256: hex.EncodeToString(sum[:]),
	}
}

// release returns binaries of three object formats (ELF, Mach-O, PE) and
// one with module dependencies.
func release(tb testing.TB) []sbom.Binary {
	tb.Helper()
	return []sbom.Binary{
		binary(tb, runtimePkg, "linux/amd64"),
		binary(tb, runtimePkg, "darwin/arm64"),
		binary(tb, runtimePkg, "windows/arm64"),
		binary(tb, depPkg, "linux/arm64"),
	}
}

// contents describes what a binary holds, read with debug/buildinfo.
type contents struct {
	goVersion string
	modules   map[string]string // path -> version, main module at the release version
}

func read(tb testing.TB, b sbom.Binary, version string) contents {
	tb.Helper()
	bi, err := buildinfo.ReadFile(b.File)
	if err != nil {
		tb.Fatal(err)
	}
	c := contents{goVersion: bi.GoVersion, modules: map[string]string{bi.Main.Path: version}}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		c.modules[d.Path] = d.Version
	}
	return c
}

// packages returns name@version of every package syft should find in b.
func packages(tb testing.TB, b sbom.Binary) []string {
	c := read(tb, b, version)
	out := []string{"stdlib@" + c.goVersion}
	for m, v := range c.modules {
		out = append(out, m+"@"+v)
	}
	slices.Sort(out)
	return out
}

func info(tb testing.TB, bins []sbom.Binary) sbom.Info {
	return sbom.Info{
		Name:       "cavra-runtime",
		Version:    version,
		Commit:     "0123456789abcdef0123456789abcdef01234567",
		Repository: "https://github.com/cavra/cavra",
		ModulePath: "github.com/cavra/cavra",
		GoVersion:  read(tb, bins[0], version).goVersion,
		Created:    time.Unix(1700000000, 0).UTC(),
		Supplier:   supplier,
		License:    "Apache-2.0",
	}
}

var supplier = sbom.Party{Name: "CAVRA", URL: "https://github.com/cavra/cavra", Email: "maintainers@cavra.dev"}

func generate(tb testing.TB, info sbom.Info, bins []sbom.Binary) (spdxDoc, cdxDoc []byte) {
	tb.Helper()
	s, c, err := sbom.Generate(context.Background(), info, bins)
	if err != nil {
		tb.Fatal(err)
	}
	return s, c
}

// copyTo copies the binaries into dir, keeping their package paths.
func copyTo(t *testing.T, dir string, bins []sbom.Binary) []sbom.Binary {
	t.Helper()
	out := slices.Clone(bins)
	for i, b := range out {
		data, err := os.ReadFile(b.File)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprint(i), filepath.Base(b.File))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, data, 0o755); err != nil {
			t.Fatal(err)
		}
		out[i].File = f
	}
	return out
}

// firstDiff returns the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n\t%s\n\t%s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}

func TestDeterministic(t *testing.T) {
	bins := release(t)
	in := info(t, bins)
	dirA, dirB := t.TempDir(), t.TempDir()
	binsA := copyTo(t, dirA, bins)
	binsB := copyTo(t, filepath.Join(dirB, "elsewhere", "deeper"), bins)
	slices.Reverse(binsB)

	local := time.Local
	t.Cleanup(func() { time.Local = local })

	time.Local = time.UTC
	spdx1, cdx1 := generate(t, in, binsA)

	time.Local = time.FixedZone("UTC-7", -7*3600)
	t.Chdir(t.TempDir())
	inB := in
	inB.Created = in.Created.In(time.FixedZone("UTC+5:30", 5*3600+1800)) // the same instant
	spdx2, cdx2 := generate(t, inB, binsB)
	spdx3, cdx3 := generate(t, inB, binsB)

	for _, tt := range []struct {
		name    string
		a, b, c []byte
	}{
		{"spdx", spdx1, spdx2, spdx3},
		{"cyclonedx", cdx1, cdx2, cdx3},
	} {
		if !bytes.Equal(tt.a, tt.b) {
			t.Errorf("%s: documents differ: %s", tt.name, firstDiff(tt.a, tt.b))
		}
		if !bytes.Equal(tt.b, tt.c) {
			t.Errorf("%s: documents of one call differ: %s", tt.name, firstDiff(tt.b, tt.c))
		}
		for _, dir := range []string{dirA, dirB, tmp, filepath.Base(tmp)} {
			if bytes.Contains(tt.a, []byte(dir)) || bytes.Contains(tt.b, []byte(dir)) {
				t.Errorf("%s: document names the local directory %s", tt.name, dir)
			}
		}
	}

	// The identifiers follow the content.
	other := in
	other.Commit = strings.Repeat("f", 40)
	spdx4, cdx4 := generate(t, other, bins)
	for _, tt := range []struct {
		name string
		a, b []byte
		key  func([]byte) string
	}{
		{"spdx namespace", spdx1, spdx4, func(b []byte) string { return field(t, b, "documentNamespace") }},
		{"cyclonedx serialNumber", cdx1, cdx4, func(b []byte) string { return field(t, b, "serialNumber") }},
	} {
		if a, b := tt.key(tt.a), tt.key(tt.b); a == b || a == "" {
			t.Errorf("%s: got %q for two commits", tt.name, a)
		}
	}
}

// field returns the top-level string field name of a JSON document.
func field(t *testing.T, doc []byte, name string) string {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[name].(string)
	return s
}

func TestSPDX(t *testing.T) {
	bins := release(t)
	in := info(t, bins)
	data, _ := generate(t, in, bins)

	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("tools-golang: %v", err)
	}
	var raw struct {
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"spdxVersion", raw.SPDXVersion, "SPDX-2.3"},
		{"parsed SPDXVersion", doc.SPDXVersion, "SPDX-2.3"},
		{"name", doc.DocumentName, "cavra-runtime"},
		{"created", doc.CreationInfo.Created, "2023-11-14T22:13:20Z"},
		{"creators", fmt.Sprint(doc.CreationInfo.Creators), "[{CAVRA (maintainers@cavra.dev) Organization} {syft-" + sbom.SyftVersion + " Tool}]"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !strings.HasPrefix(doc.DocumentNamespace, "https://github.com/cavra/cavra/spdx/cavra-runtime-v1.2.3-") {
		t.Errorf("namespace: got %q", doc.DocumentNamespace)
	}
	if !strings.Contains(doc.DocumentComment, "cavra:snapshot=false") || !strings.Contains(doc.DocumentComment, in.GoVersion) {
		t.Errorf("comment: got %q", doc.DocumentComment)
	}

	pkgs := map[spdx.ElementID]*spdx.Package{}
	for _, p := range doc.Packages {
		pkgs[p.PackageSPDXIdentifier] = p
	}
	var root *spdx.Package
	contains := map[spdx.ElementID][]string{}
	for _, r := range doc.Relationships {
		if r.RefA.ElementRefID == "DOCUMENT" && r.Relationship == "DESCRIBES" {
			root = pkgs[r.RefB.ElementRefID]
		}
		if p := pkgs[r.RefB.ElementRefID]; r.Relationship == "CONTAINS" && p != nil {
			contains[r.RefA.ElementRefID] = append(contains[r.RefA.ElementRefID], p.PackageName+"@"+p.PackageVersion)
		}
	}
	if root == nil || root.PackageName != in.Name || root.PackageVersion != version {
		t.Fatalf("described package: got %+v, want %s %s", root, in.Name, version)
	}
	if got := purls(root.PackageExternalReferences); got != "pkg:golang/github.com/cavra/cavra@v1.2.3" {
		t.Errorf("root purl: got %q", got)
	}
	if len(doc.Files) != 0 {
		t.Errorf("files: got %d, want none (deployables are packages)", len(doc.Files))
	}
	for _, b := range bins {
		var f *spdx.Package
		for _, p := range doc.Packages {
			if p.PackageName == b.Path {
				f = p
			}
		}
		if f == nil {
			t.Errorf("%s: no package", b.Path)
			continue
		}
		sums := map[spdx.ChecksumAlgorithm]string{}
		for _, c := range f.PackageChecksums {
			sums[c.Algorithm] = c.Value
		}
		if want := map[spdx.ChecksumAlgorithm]string{spdx.SHA256: b.SHA256, spdx.SHA512: sha512sum(t, b.File)}; !maps.Equal(sums, want) {
			t.Errorf("%s: checksums: got %v, want %v", b.Path, sums, want)
		}
		for _, tt := range []struct{ name, got, want string }{
			{"packageFileName", f.PackageFileName, path.Base(b.Path)},
			{"version", f.PackageVersion, version},
			{"supplier", f.PackageSupplier.Supplier, "CAVRA (maintainers@cavra.dev)"},
			{"originator", f.PackageOriginator.Originator, "CAVRA (maintainers@cavra.dev)"},
			{"licenseDeclared", f.PackageLicenseDeclared, "Apache-2.0"},
			{"licenseConcluded", f.PackageLicenseConcluded, concluded(t, b)},
			{"purpose", f.PrimaryPackagePurpose, "APPLICATION"},
		} {
			if tt.got != tt.want {
				t.Errorf("%s: %s: got %q, want %q", b.Path, tt.name, tt.got, tt.want)
			}
		}
		var notes []string
		for _, a := range f.Annotations {
			notes = append(notes, a.AnnotationComment)
		}
		if want := []string{"bsi:component:executable=executable", "bsi:component:archive=no archive", "bsi:component:structured=structured"}; !slices.Equal(notes, want) {
			t.Errorf("%s: annotations: got %q, want %q", b.Path, notes, want)
		}
		got := contains[f.PackageSPDXIdentifier]
		slices.Sort(got)
		if want := packages(t, b); !slices.Equal(got, want) {
			t.Errorf("%s CONTAINS: got %v, want %v", b.Path, got, want)
		}
		if !slices.Contains(contains[root.PackageSPDXIdentifier], b.Path+"@"+version) {
			t.Errorf("the release does not CONTAIN %s", b.Path)
		}
	}
	for _, p := range doc.Packages {
		switch p.PackageName {
		case in.ModulePath:
			if got := purls(p.PackageExternalReferences); got != "pkg:golang/github.com/cavra/cavra@v1.2.3" {
				t.Errorf("main module purl: got %q", got)
			}
			if p.PackageSupplier.Supplier != "CAVRA (maintainers@cavra.dev)" || p.PackageLicenseDeclared != "Apache-2.0" || p.PackageLicenseConcluded != "Apache-2.0" {
				t.Errorf("main module: got supplier %v, licences %q, %q", p.PackageSupplier, p.PackageLicenseDeclared, p.PackageLicenseConcluded)
			}
		case "stdlib":
			if p.PackageSupplier.Supplier != "The Go Authors" || p.PackageLicenseDeclared != sbom.StdlibLicense || p.PackageHomePage != "https://go.dev" {
				t.Errorf("stdlib: got supplier %v, licence %q, homepage %q", p.PackageSupplier, p.PackageLicenseDeclared, p.PackageHomePage)
			}
		}
	}
}

// sha512sum returns the SHA-512 of a file.
func sha512sum(tb testing.TB, f string) string {
	data, err := os.ReadFile(f)
	if err != nil {
		tb.Fatal(err)
	}
	s := sha512.Sum512(data)
	return hex.EncodeToString(s[:])
}

// concluded is the concluded licence of a binary: the release's and the
// Go licence, or NOASSERTION when it links modules of others.
func concluded(tb testing.TB, b sbom.Binary) string {
	if len(read(tb, b, version).modules) > 1 {
		return "NOASSERTION"
	}
	return "Apache-2.0 AND " + sbom.StdlibLicense
}

func purls(refs []*spdx.PackageExternalReference) string {
	var out []string
	for _, r := range refs {
		if r.RefType == "purl" {
			out = append(out, r.Locator)
		}
	}
	return strings.Join(out, " ")
}

func TestCycloneDX(t *testing.T) {
	bins := release(t)
	in := info(t, bins)
	_, data := generate(t, in, bins)

	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("cyclonedx-go: %v", err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_7 {
		t.Errorf("specVersion: got %v, want 1.7", bom.SpecVersion)
	}
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("serialNumber: got %q", bom.SerialNumber)
	}
	md := bom.Metadata
	if md == nil || md.Component == nil {
		t.Fatal("no metadata.component")
	}
	props := map[string]string{}
	for _, p := range *md.Properties {
		props[p.Name] = p.Value
	}
	for _, tt := range []struct{ name, got, want string }{
		{"timestamp", md.Timestamp, "2023-11-14T22:13:20Z"},
		{"component name", md.Component.Name, in.Name},
		{"component version", md.Component.Version, version},
		{"component purl", md.Component.PackageURL, "pkg:golang/github.com/cavra/cavra@v1.2.3"},
		{"tool", fmt.Sprint((*md.Tools.Components)[0].Name, " ", (*md.Tools.Components)[0].Version), "syft " + sbom.SyftVersion},
		{"cavra:snapshot", props["cavra:snapshot"], "false"},
		{"cavra:go-version", props["cavra:go-version"], in.GoVersion},
		{"cavra:commit", props["cavra:commit"], in.Commit},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	byRef := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		byRef[c.BOMRef] = c
	}
	deps := map[string][]string{}
	for _, d := range *bom.Dependencies {
		deps[d.Ref] = nil
		if d.Dependencies != nil {
			deps[d.Ref] = *d.Dependencies
		}
	}
	var files []string
	for _, b := range bins {
		var f *cdx.Component
		for _, c := range *bom.Components {
			if c.Type == cdx.ComponentTypeFile && c.Name == b.Path {
				f = &c
			}
		}
		if f == nil {
			t.Errorf("%s: no file component", b.Path)
			continue
		}
		files = append(files, f.BOMRef)
		sums := map[cdx.HashAlgorithm]string{}
		for _, h := range *f.Hashes {
			sums[h.Algorithm] = h.Value
		}
		if want := map[cdx.HashAlgorithm]string{cdx.HashAlgoSHA256: b.SHA256, cdx.HashAlgoSHA512: sha512sum(t, b.File)}; !maps.Equal(sums, want) {
			t.Errorf("%s: hashes: got %v, want %v", b.Path, sums, want)
		}
		props := map[string]string{}
		for _, p := range *f.Properties {
			props[p.Name] = p.Value
		}
		if want := map[string]string{
			"bsi:component:executable": "executable",
			"bsi:component:archive":    "no archive",
			"bsi:component:structured": "structured",
			"bsi:component:filename":   path.Base(b.Path),
		}; !maps.Equal(props, want) {
			t.Errorf("%s: properties: got %v, want %v", b.Path, props, want)
		}
		var lics []string
		for _, l := range *f.Licenses {
			lics = append(lics, string(*l.Acknowledgement)+" "+l.Expression)
		}
		if want := []string{"declared Apache-2.0", "concluded " + concluded(t, b)}; concluded(t, b) == "NOASSERTION" {
			if !slices.Equal(lics, want[:1]) {
				t.Errorf("%s: licences: got %q, want %q", b.Path, lics, want[:1])
			}
		} else if !slices.Equal(lics, want) {
			t.Errorf("%s: licences: got %q, want %q", b.Path, lics, want)
		}
		if f.Supplier == nil || f.Supplier.Name != "CAVRA" || f.Manufacturer == nil || (*f.Manufacturer.URL)[0] != supplier.URL || f.Version != version {
			t.Errorf("%s: got supplier %+v, manufacturer %+v, version %q", b.Path, f.Supplier, f.Manufacturer, f.Version)
		}
		var got []string
		for _, ref := range deps[f.BOMRef] {
			c := byRef[ref]
			got = append(got, c.Name+"@"+c.Version)
			if c.Name == in.ModulePath && c.PackageURL != "pkg:golang/github.com/cavra/cavra@v1.2.3" {
				t.Errorf("%s: main module purl: got %q", b.Path, c.PackageURL)
			}
		}
		slices.Sort(got)
		if want := packages(t, b); !slices.Equal(got, want) {
			t.Errorf("%s dependsOn: got %v, want %v", b.Path, got, want)
		}
	}
	slices.Sort(files)
	if got := deps[md.Component.BOMRef]; !slices.Equal(got, files) {
		t.Errorf("release dependsOn: got %v, want the files %v", got, files)
	}
	// Every component is in the graph, those that depend on nothing with
	// an empty entry.
	for ref := range byRef {
		if _, ok := deps[ref]; !ok {
			t.Errorf("%s: no entry in dependencies", ref)
		}
	}
	if md.Authors == nil || (*md.Authors)[0].Name != "CAVRA" || md.Manufacturer == nil || md.Manufacturer.Name != "CAVRA" {
		t.Errorf("metadata: got authors %v, manufacturer %v, want CAVRA", md.Authors, md.Manufacturer)
	}
}

// TestSyftDecode reads both documents back with syft's own decoders.
func TestSyftDecode(t *testing.T) {
	bins := release(t)
	in := info(t, bins)
	spdxDoc, cdxDoc := generate(t, in, bins)
	for _, tt := range []struct {
		doc         []byte
		id, version string
	}{
		{spdxDoc, "spdx-json", "2.3"},
		{cdxDoc, "cyclonedx-json", "1.7"},
	} {
		s, id, v, err := format.Decode(bytes.NewReader(tt.doc))
		if err != nil {
			t.Errorf("%s: %v", tt.id, err)
			continue
		}
		if string(id) != tt.id || v != tt.version {
			t.Errorf("format: got %s %s, want %s %s", id, v, tt.id, tt.version)
		}
		// The described release decodes as a package too.
		want := map[string]bool{in.Name + "@" + in.Version: true}
		for _, b := range bins {
			for _, p := range packages(t, b) {
				want[p] = true
			}
		}
		got := map[string]bool{}
		stdlibs := 0
		for p := range s.Artifacts.Packages.Enumerate(pkg.GoModulePkg) {
			got[p.Name+"@"+p.Version] = true
			if p.Name == "stdlib" {
				stdlibs++
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: packages: got %v, want %v", tt.id, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		if stdlibs != len(bins) {
			t.Errorf("%s: got %d stdlib packages, want one a binary (%d)", tt.id, stdlibs, len(bins))
		}
		// The binaries decode as files with their digests (CycloneDX)
		// or as packages (SPDX).
		digests := map[string]string{}
		for c, ds := range s.Artifacts.FileDigests {
			for _, d := range ds {
				if d.Algorithm == "sha256" {
					digests[strings.TrimPrefix(c.RealPath, "/")] = d.Value
				}
			}
		}
		for p := range s.Artifacts.Packages.Enumerate() {
			if p.Type != pkg.GoModulePkg && p.Version == in.Version {
				digests[p.Name] = "package"
			}
		}
		for _, b := range bins {
			if want := map[string]string{"spdx-json": "package", "cyclonedx-json": b.SHA256}[tt.id]; digests[b.Path] != want {
				t.Errorf("%s: %s: got %q, want %s", tt.id, b.Path, digests[b.Path], want)
			}
		}
	}
}

// want is the summary inspect should give of the documents of bins.
func want(tb testing.TB, in sbom.Info, bins []sbom.Binary, format string) *inspect.Summary {
	s := &inspect.Summary{
		Format:    format,
		Name:      in.Name,
		Version:   in.Version,
		GoVersion: in.GoVersion,
		Created:   in.Created.UTC(),
		Snapshot:  in.Snapshot,
		Modules:   map[string]string{},
		Files:     map[string]string{},
	}
	for _, b := range bins {
		maps.Copy(s.Modules, read(tb, b, in.Version).modules)
		s.Files[b.Path] = b.SHA256
	}
	return s
}

func TestInspect(t *testing.T) {
	bins := release(t)
	for _, snapshot := range []bool{false, true} {
		in := info(t, bins)
		in.Snapshot = snapshot
		if snapshot {
			in.Version = "v0.0.0-snapshot.0123456789ab"
		}
		spdxDoc, cdxDoc := generate(t, in, bins)
		for _, tt := range []struct {
			format  string
			doc     []byte
			inspect func([]byte) (*inspect.Summary, error)
		}{
			{"SPDX-2.3", spdxDoc, inspect.SPDX},
			{"CycloneDX-1.7", cdxDoc, inspect.CycloneDX},
		} {
			got, err := tt.inspect(tt.doc)
			if err != nil {
				t.Errorf("%s snapshot=%t: %v", tt.format, snapshot, err)
				continue
			}
			if want := want(t, in, bins, tt.format); !reflect.DeepEqual(got, want) {
				t.Errorf("%s snapshot=%t:\ngot  %+v\nwant %+v", tt.format, snapshot, got, want)
			}
		}
	}
}

func TestSnapshot(t *testing.T) {
	bins := release(t)[:1]
	in := info(t, bins)
	in.Snapshot = true
	in.Version = "v0.0.0-snapshot.0123456789ab"
	spdxDoc, cdxDoc := generate(t, in, bins)
	for _, tt := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"spdx comment", spdxDoc, `cavra:snapshot=true`},
		{"cyclonedx property", cdxDoc, `"name": "cavra:snapshot",` + "\n" + `        "value": "true"`},
		{"spdx version", spdxDoc, `"versionInfo": "v0.0.0-snapshot.0123456789ab"`},
		{"cyclonedx version", cdxDoc, `"version": "v0.0.0-snapshot.0123456789ab"`},
	} {
		if !bytes.Contains(tt.doc, []byte(tt.want)) {
			t.Errorf("%s: no %s", tt.name, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	good := release(t)
	in := info(t, good)
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not a binary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	textSum := sha256.Sum256([]byte("not a binary\n"))

	for _, tt := range []struct {
		name string
		edit func(*sbom.Info, []sbom.Binary) []sbom.Binary
		want string
	}{
		{"sha256", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			b[1].SHA256 = strings.Repeat("0", 64)
			return b
		}, "sbom: " + good[1].Path + ": sha256 mismatch"},
		{"target", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			b[0].Target = "linux/arm64"
			return b
		}, "sbom: " + good[0].Path + ": built for linux/amd64, want linux/arm64"},
		{"go version", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.GoVersion = "go1.0.1"
			return b
		}, ": built with " + in.GoVersion + ", want go1.0.1"},
		{"module", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.ModulePath = "example.com/other"
			return b
		}, ": main module is github.com/cavra/cavra, want example.com/other"},
		{"not executable", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			return append(b, sbom.Binary{Path: "bin/notes.txt", Target: "linux/amd64", File: text, SHA256: hex.EncodeToString(textSum[:])})
		}, "sbom: bin/notes.txt: not an executable (text/plain"},
		{"missing file", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			b[2].File = filepath.Join(t.TempDir(), "gone")
			return b
		}, "sbom: " + good[2].Path + ": open "},
		{"twice", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			return append(b, b[0])
		}, "sbom: " + good[0].Path + ": listed twice"},
		{"unclean path", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			b[0].Path = "/abs/cavra-runtime"
			return b
		}, `sbom: binary path "/abs/cavra-runtime" is not a clean relative slash path`},
		{"bad target", func(_ *sbom.Info, b []sbom.Binary) []sbom.Binary {
			b[0].Target = "linux"
			return b
		}, `: target "linux" is not os/arch`},
		{"no binaries", func(*sbom.Info, []sbom.Binary) []sbom.Binary { return nil }, "sbom: no binaries"},
		{"commit", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Commit = "abc"
			return b
		}, `sbom: info: Commit "abc" is not 40 lower-case hex digits`},
		{"created", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Created = time.Time{}
			return b
		}, "sbom: info: Created is zero"},
		{"version", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Version = ""
			return b
		}, "sbom: info: Version is empty"},
		{"no supplier", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Supplier.Name = ""
			return b
		}, `sbom: info: Supplier: name "" is empty`},
		{"supplier with a parenthesis", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Supplier.Name = "CAVRA (the project)"
			return b
		}, `sbom: info: Supplier: name "CAVRA (the project)" is empty, padded, or has a parenthesis`},
		{"supplier URL", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Supplier.URL = "http://cavra.dev"
			return b
		}, `sbom: info: Supplier: URL "http://cavra.dev" is not an https URL`},
		{"supplier e-mail", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.Supplier.Email = "CAVRA <maintainers@cavra.dev>"
			return b
		}, `sbom: info: Supplier: e-mail "CAVRA <maintainers@cavra.dev>" is not a bare address`},
		{"no licence", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.License = ""
			return b
		}, "sbom: info: License: empty licence expression"},
		{"licence NOASSERTION", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.License = "NOASSERTION"
			return b
		}, "sbom: info: License: NOASSERTION names no licence"},
		{"licence expression", func(in *sbom.Info, b []sbom.Binary) []sbom.Binary {
			in.License = "Apache-2.0 AND"
			return b
		}, `sbom: info: License: licence expression "Apache-2.0 AND": ends where a licence is expected`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := in
			bins := tt.edit(&in, slices.Clone(good))
			_, _, err := sbom.Generate(context.Background(), in, bins)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestCanceled(t *testing.T) {
	bins := release(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := sbom.Generate(ctx, info(t, bins), bins); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("got %v, want context canceled", err)
	}
}

// TestSyftVersion checks that the pinned tool version is the syft in the
// module graph. (Test binaries carry no dependency versions in their
// build information, so the go command is asked.)
func TestSyftVersion(t *testing.T) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/anchore/syft")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m github.com/anchore/syft: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != sbom.SyftVersion {
		t.Errorf("SyftVersion is %s, but the module graph has syft %s: update the constant", sbom.SyftVersion, got)
	}
}

// TestFixtures rewrites, with -update, the documents that package inspect
// tests and fuzzes with, and the summaries they should give: release.* of
// two binaries, one linking modules of others; compliant.* of a release of
// cavra-runtime with a Linux package and the source archive, which passes
// every compliance check (TestCompliance).
func TestFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite inspect/testdata")
	}
	bins := []sbom.Binary{
		binary(t, runtimePkg, "linux/amd64"),
		binary(t, depPkg, "windows/amd64"),
	}
	in := info(t, bins)
	spdxDoc, cdxDoc := generate(t, in, bins)
	compliantSPDX, compliantCDX := compliant(t)
	for name, data := range map[string]any{
		"release.spdx.json":         spdxDoc,
		"release.cdx.json":          cdxDoc,
		"compliant.spdx.json":       compliantSPDX,
		"compliant.cdx.json":        compliantCDX,
		"release.spdx.summary.json": want(t, in, bins, "SPDX-2.3"),
		"release.cdx.summary.json":  want(t, in, bins, "CycloneDX-1.7"),
	} {
		b, ok := data.([]byte)
		if !ok {
			var err error
			if b, err = json.MarshalIndent(data, "", "  "); err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
		}
		if err := os.WriteFile(filepath.Join("inspect", "testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkGenerate describes the six release binaries of cavra-runtime.
//
//	go test ./sbom -run '^$' -bench Generate -benchtime 20x
func BenchmarkGenerate(b *testing.B) {
	var bins []sbom.Binary
	var size int64
	for _, target := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"} {
		bin := binary(b, runtimePkg, target)
		fi, err := os.Stat(bin.File)
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
		bins = append(bins, bin)
	}
	in := info(b, bins)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := sbom.Generate(context.Background(), in, bins); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLinuxPackages lists further files, such as Linux packages, with their
// digests, and says which binary each carries.
func TestLinuxPackages(t *testing.T) {
	bins := release(t)[:1]
	dir := t.TempDir()
	deb := filepath.Join(dir, "cavra-runtime_1.2.3_amd64.deb")
	data := []byte("!<arch>\nnot really a deb, but bytes with a digest\n")
	if err := os.WriteFile(deb, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	f := sbom.File{Kind: sbom.LinuxPackage, Path: "packages/cavra-runtime_1.2.3_amd64.deb", File: deb, SHA256: hex.EncodeToString(s[:]), Contains: bins[0].Path}
	in := info(t, bins)
	spdxDoc, cdxDoc, err := sbom.Generate(context.Background(), in, bins, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		doc     []byte
		inspect func([]byte) (*inspect.Summary, error)
	}{{"spdx", spdxDoc, inspect.SPDX}, {"cyclonedx", cdxDoc, inspect.CycloneDX}} {
		got, err := tt.inspect(tt.doc)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Files[f.Path] != f.SHA256 || got.Files[bins[0].Path] != bins[0].SHA256 {
			t.Errorf("%s: got files %v, want the package and the binary with their digests", tt.name, got.Files)
		}
	}
	if !strings.Contains(string(spdxDoc), `"relationshipType": "CONTAINS"`) || !strings.Contains(string(cdxDoc), "packages/cavra-runtime_1.2.3_amd64.deb") {
		t.Error("the documents do not relate the package to its binary")
	}
	// The package is part of the document's identity.
	s2, _, err := sbom.Generate(context.Background(), in, bins)
	if err != nil {
		t.Fatal(err)
	}
	if field(t, s2, "documentNamespace") == field(t, spdxDoc, "documentNamespace") {
		t.Error("the namespace does not depend on the files listed")
	}
	// A wrong digest or a package of an unknown binary is refused.
	bad := f
	bad.SHA256 = strings.Repeat("0", 64)
	if _, _, err := sbom.Generate(context.Background(), in, bins, bad); err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Errorf("got %v, want a sha256 mismatch", err)
	}
	bad = f
	bad.Contains = "bin/plan9-386/cavra-runtime"
	if _, _, err := sbom.Generate(context.Background(), in, bins, bad); err == nil || !strings.Contains(err.Error(), "not a binary of the release") {
		t.Errorf("got %v, want an unknown binary refused", err)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*sbom.File) []sbom.File
		error string
	}{
		{"no kind", func(f *sbom.File) []sbom.File { f.Kind = ""; return nil }, `: kind "" is not "package" or "source"`},
		{"source contains", func(f *sbom.File) []sbom.File { f.Kind = sbom.SourceArchive; return nil }, ": a source archive contains no binary"},
		{"two sources", func(f *sbom.File) []sbom.File {
			f.Kind, f.Contains = sbom.SourceArchive, ""
			g := *f
			g.Path = "source/other.tar.gz"
			return []sbom.File{g}
		}, ": a second source archive"},
	} {
		bad := f
		more := tt.edit(&bad)
		if _, _, err := sbom.Generate(context.Background(), in, bins, append(more, bad)...); err == nil || !strings.Contains(err.Error(), tt.error) {
			t.Errorf("%s: got %v, want an error with %q", tt.name, err, tt.error)
		}
	}
}
