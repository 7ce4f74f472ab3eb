package release_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

const provCommit = "0123456789abcdef0123456789abcdef01234567"

func config() *release.Config {
	return &release.Config{
		Root:        "/src",
		ModuleDir:   ".",
		Out:         "/src/dist",
		Version:     "v1.2.3",
		Snapshot:    false,
		Commit:      provCommit,
		Ref:         "refs/tags/v1.2.3",
		Repository:  "https://github.com/cavra/cavra.git",
		WorkflowRef: "cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3",
		Builder:     "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3",
		Epoch:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		GoVersion:   "go1.26.8",
		Targets:     []build.Target{build.Matrix[0], build.Matrix[3]},
	}
}

func digest(c byte) string { return string(bytes.Repeat([]byte{c}, 64)) }

// artifacts is a package's list, in the order steps append to it, with
// kinds that must not be subjects mixed in.
func artifacts() artifact.List {
	return artifact.List{
		{Kind: artifact.Binary, Path: "bin/linux-amd64/cavra-runtime", SHA256: digest('1'), Target: "linux/amd64"},
		{Kind: artifact.Binary, Path: "bin/darwin-arm64/cavra-runtime", SHA256: digest('2'), Target: "darwin/arm64"},
		{Kind: artifact.Source, Path: "src/cavra-source.tar.gz", SHA256: digest('3')},
		{Kind: artifact.Manifest, Path: "cavra-runtime.reproducibility.json", SHA256: digest('4')},
		{Kind: artifact.Signature, Path: "bin/linux-amd64/cavra-runtime.sig", SHA256: digest('5'), Signs: "bin/linux-amd64/cavra-runtime"},
		{Kind: artifact.SBOM, Path: "sbom/cavra-runtime.spdx.json", SHA256: digest('6')},
		{Kind: artifact.Checksums, Path: "checksums.txt", SHA256: digest('7')},
		{Kind: artifact.Provenance, Path: "cavra-runtime.provenance.intoto.jsonl", SHA256: digest('8')},
		{Kind: artifact.Archive, Path: "cavra-go-runtime-v1.2.3.zip", SHA256: digest('9')},
		{Kind: artifact.PublicKey, Path: "cosign.pub", SHA256: digest('a')},
		{Kind: artifact.Evidence, Path: "release-evidence.json", SHA256: digest('b')},
		{Kind: artifact.Module, Path: "goproxy/github.com/magefile/mage/@v/list", SHA256: digest('c')},
		{Kind: artifact.Package, Path: "packages/cavra-runtime_1.2.3_amd64.deb", SHA256: digest('d')},
		{Kind: artifact.Bootstrap, Path: "offline-trust-root-bootstrap.json", SHA256: digest('e')},
	}
}

// statement returns the JSON form of the statement, decoded generically.
func statement(t *testing.T, c *release.Config, l artifact.List) (map[string]any, []byte) {
	t.Helper()
	data, err := json.Marshal(release.Statement(c, l))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m, data
}

// at walks m along keys (strings for objects, ints for arrays).
func at(t *testing.T, m any, keys ...any) any {
	t.Helper()
	cur := m
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			obj, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object", keys, cur)
			}
			cur, ok = obj[k]
			if !ok {
				t.Fatalf("at %v: no key %q in %v", keys, k, obj)
			}
		case int:
			arr, ok := cur.([]any)
			if !ok || k >= len(arr) {
				t.Fatalf("at %v: %v is not an array with index %d", keys, cur, k)
			}
			cur = arr[k]
		}
	}
	return cur
}

func TestStatement(t *testing.T) {
	m, _ := statement(t, config(), artifacts())

	checks := []struct {
		path []any
		want any
	}{
		{[]any{"_type"}, "https://in-toto.io/Statement/v1"},
		{[]any{"predicateType"}, "https://slsa.dev/provenance/v1"},
		{[]any{"predicate", "buildDefinition", "buildType"}, "https://cavra.dev/buildtypes/go-runtime-release/v1"},
		{[]any{"predicate", "buildDefinition", "externalParameters"}, map[string]any{
			"repository": "https://github.com/cavra/cavra.git",
			"ref":        "refs/tags/v1.2.3",
			"version":    "v1.2.3",
			"workflow":   "cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3",
			"snapshot":   false,
		}},
		{[]any{"predicate", "buildDefinition", "internalParameters", "targets"}, []any{"linux/amd64", "darwin/arm64"}},
		{[]any{"predicate", "buildDefinition", "internalParameters", "ldflags"}, "-s -w -buildid= -X main.version=v1.2.3"},
		{[]any{"predicate", "buildDefinition", "internalParameters", "flags"}, []any{"-trimpath", "-mod=readonly", "-buildvcs=false", "-ldflags=-s -w -buildid= -X main.version=v1.2.3"}},
		{[]any{"predicate", "buildDefinition", "internalParameters", "main_package"}, "./cmd/cavra-runtime"},
		{[]any{"predicate", "buildDefinition", "internalParameters", "source_date_epoch"}, float64(1767323045)},
		{[]any{"predicate", "buildDefinition", "internalParameters", "env"}, map[string]any{
			"CGO_ENABLED": "0", "GOFLAGS": "-trimpath -mod=readonly -buildvcs=false", "GOTOOLCHAIN": "local", "GOEXPERIMENT": "", "GOWORK": "off",
		}},
		{[]any{"predicate", "buildDefinition", "internalParameters", "levels"}, map[string]any{"GOAMD64": "v1", "GOARM64": "v8.0"}},
		{[]any{"predicate", "buildDefinition", "resolvedDependencies"}, []any{
			map[string]any{
				"uri":    "git+https://github.com/cavra/cavra@refs/tags/v1.2.3",
				"digest": map[string]any{"gitCommit": provCommit},
			},
			map[string]any{
				"name":        "go",
				"uri":         "https://go.dev/dl/go1.26.8",
				"annotations": map[string]any{"version": "go1.26.8"},
			},
		}},
		{[]any{"predicate", "runDetails", "builder", "id"}, "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3"},
	}
	for _, c := range checks {
		if got := at(t, m, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: got %#v, want %#v", c.path, got, c.want)
		}
	}

	// Subjects: the listed files only, sorted by name, with their sha256.
	var want []any
	for _, a := range artifacts().Sorted() {
		switch a.Kind {
		case artifact.Signature, artifact.Provenance, artifact.Checksums, artifact.Archive:
			continue
		}
		want = append(want, map[string]any{"name": a.Path, "digest": map[string]any{"sha256": a.SHA256}})
	}
	if len(want) != 10 {
		t.Fatalf("test list has %d listed files, want 10", len(want))
	}
	if got := at(t, m, "subject"); !reflect.DeepEqual(got, want) {
		t.Errorf("subject:\n got  %v\n want %v", got, want)
	}
	var names []string
	for _, s := range at(t, m, "subject").([]any) {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	if !slices.IsSorted(names) {
		t.Errorf("subjects not sorted: %v", names)
	}
}

func TestStatementDefaults(t *testing.T) {
	c := config()
	c.Repository, c.Ref, c.WorkflowRef, c.Snapshot, c.Version = "", "", "", true, "v0.0.0-snapshot.0123456789ab"
	m, _ := statement(t, c, nil)
	if got, want := at(t, m, "predicate", "buildDefinition", "resolvedDependencies", 0, "uri"), "git+unknown"; got != want {
		t.Errorf("uri: got %v, want %v", got, want)
	}
	ep := at(t, m, "predicate", "buildDefinition", "externalParameters").(map[string]any)
	if _, ok := ep["workflow"]; ok {
		t.Errorf("workflow: got %v, want it omitted", ep["workflow"])
	}
	if ep["snapshot"] != true || ep["version"] != "v0.0.0-snapshot.0123456789ab" {
		t.Errorf("externalParameters: got %v", ep)
	}
	if s, ok := m["subject"]; ok && s != nil {
		t.Errorf("subject of an empty list: got %v, want none", s)
	}
	// A repository without .git and a ref.
	c = config()
	c.Repository = "https://example.com/o/r"
	c.Ref = "refs/heads/main"
	m, _ = statement(t, c, nil)
	if got, want := at(t, m, "predicate", "buildDefinition", "resolvedDependencies", 0, "uri"), "git+https://example.com/o/r@refs/heads/main"; got != want {
		t.Errorf("uri: got %v, want %v", got, want)
	}
}

func TestStatementDeterministic(t *testing.T) {
	l := artifacts()
	orig := slices.Clone(l)
	_, a := statement(t, config(), l)
	_, b := statement(t, config(), l)
	if !bytes.Equal(a, b) {
		t.Errorf("two calls differ:\n%s\n%s", a, b)
	}
	if !reflect.DeepEqual(l, orig) {
		t.Errorf("Statement changed its artifact list")
	}
	// The order of the list does not matter.
	rev := slices.Clone(l)
	slices.Reverse(rev)
	if _, c := statement(t, config(), rev); !bytes.Equal(a, c) {
		t.Errorf("a reversed list gives another statement:\n%s\n%s", a, c)
	}
	// Any change of an input changes it.
	changed := slices.Clone(l)
	changed[0].SHA256 = digest('f')
	if _, d := statement(t, config(), changed); bytes.Equal(a, d) {
		t.Errorf("a changed digest gives the same statement")
	}
	cfg := config()
	cfg.Commit = "f" + provCommit[1:]
	if _, e := statement(t, cfg, l); bytes.Equal(a, e) {
		t.Errorf("a changed commit gives the same statement")
	}
}
