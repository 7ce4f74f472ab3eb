package vulndb

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSemver(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"go1.27.3", "1.27.3"},
		{"go1.27", "1.27.0"},
		{"go1.27rc1", "1.27.0-rc.1"},
		{"go1.21beta2", "1.21.0-beta.2"},
		{"go1", "1.0.0"},
		{"go1.27.3 X:boringcrypto", "1.27.3"},
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v0.0.0-20261105234957-e22db6528018", "0.0.0-20261105234957-e22db6528018"},
		{"v2.0.0+incompatible", "2.0.0+incompatible"},
		{"(devel)", ""},
		{"v1.2", ""},
		{"v01.2.3", ""},
		{"gox", ""},
	} {
		if got := Semver(tc.in); got != tc.want {
			t.Errorf("Semver(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"1.27.4", "go1.27.4"},
		{"1.21.0", "go1.21.0"},
		{"1.20.0", "go1.20"},
		{"1.27.0-rc.1", "go1.27rc1"},
	} {
		if got := GoVersion(tc.in); got != tc.want {
			t.Errorf("GoVersion(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	// Each version sorts before the next (semantic versioning 2.0.0, 11).
	order := []string{"0", "1.0.0-0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "1.27.0-0", "1.27.0", "1.27.3", "10.0.0"}
	for i := range order {
		for j := range order {
			got := compare(order[i], order[j])
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got != want {
				t.Errorf("compare(%s, %s): got %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if compare("1.0.0+build.1", "1.0.0") != 0 {
		t.Error("build metadata must not count")
	}
}

// x509 is GO-2026-6809's ranges: fixed in go1.26.10 and go1.27.3.
var x509 = []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}, {Fixed: "1.26.10"}, {Introduced: "1.27.0-0"}, {Fixed: "1.27.3"}}}}

func TestMatch(t *testing.T) {
	withdrawn := time.Now()
	std := func(r []Range) *Entry {
		return &Entry{ID: "GO-1", Affected: []Affected{{Package: Package{Name: Stdlib}, Ranges: r,
			EcosystemSpecific: &EcosystemSpecific{Imports: []Import{{Path: "crypto/x509"}, {Path: "crypto/tls"}, {Path: "crypto/x509"}}}}}}
	}
	mod := &Entry{ID: "GO-2", Affected: []Affected{{Package: Package{Name: "example.com/m"},
		Ranges: []Range{{Type: "SEMVER", Events: []Event{{Introduced: "1.2.0"}, {Fixed: "1.2.5"}}}}}}}
	for _, tc := range []struct {
		name          string
		e             *Entry
		path, version string
		ok            bool
		affected      bool
		fix           string
	}{
		{"go1.26.8 before the fix", std(x509), Stdlib, "go1.26.8", true, true, "go1.26.10"},
		{"go1.25.3 in an old line", std(x509), Stdlib, "go1.25.3", true, true, "go1.26.10"},
		{"go1.26.10 carries its line's fix", std(x509), Stdlib, "go1.26.10", true, false, "go1.26.10"},
		{"go1.27.2 before the fix", std(x509), Stdlib, "go1.27.2", true, true, "go1.27.3"},
		{"go1.27.3 carries the fix", std(x509), Stdlib, "go1.27.3", true, false, "go1.27.3"},
		{"go1.27.5 past the fix of its line", std(x509), Stdlib, "go1.27.5", true, false, "go1.27.3"},
		{"go1.28.0 untouched", std(x509), Stdlib, "go1.28.0", false, false, ""},
		{"go1.27rc2 before the fix", std(x509), Stdlib, "go1.27rc2", true, true, "go1.27.3"},
		{"the toolchain is another module", std(x509), Toolchain, "go1.26.8", false, false, ""},
		{"module before the fix", mod, "example.com/m", "v1.2.4", true, true, "v1.2.5"},
		{"module at the fix", mod, "example.com/m", "v1.2.5", true, false, "v1.2.5"},
		{"module past its minor line", mod, "example.com/m", "v1.3.0", false, false, ""},
		{"module before the introduction", mod, "example.com/m", "v1.1.9", false, false, ""},
		{"main module (devel)", mod, "example.com/m", "(devel)", false, false, ""},
		{"another module", mod, "example.com/other", "v1.2.4", false, false, ""},
		{"no ranges: every version", &Entry{ID: "GO-3", Affected: []Affected{{Package: Package{Name: "example.com/m"}}}}, "example.com/m", "v9.9.9", true, true, ""},
		{"no fix yet", &Entry{ID: "GO-4", Affected: []Affected{{Package: Package{Name: Stdlib}, Ranges: []Range{{Type: "SEMVER", Events: []Event{{Introduced: "1.27.0-0"}}}}}}}, Stdlib, "go1.27.3", true, true, ""},
		{"withdrawn", &Entry{ID: "GO-5", Withdrawn: &withdrawn, Affected: std(x509).Affected}, Stdlib, "go1.26.8", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hit, ok := tc.e.Match(tc.path, tc.version)
			if ok != tc.ok || hit.Affected != tc.affected || hit.Fix != tc.fix {
				t.Errorf("got %+v %v, want ok %v affected %v fix %q", hit, ok, tc.ok, tc.affected, tc.fix)
			}
			if ok && tc.e.Affected[0].EcosystemSpecific != nil && !slices.Equal(hit.Packages, []string{"crypto/tls", "crypto/x509"}) {
				t.Errorf("packages: got %v", hit.Packages)
			}
		})
	}
}

func entry(t *testing.T, id, module string, modified time.Time, events ...Event) []byte {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{
		"schema_version": "1.3.1", "id": id, "modified": modified.Format(time.RFC3339), "aliases": []string{"CVE-" + id},
		"summary":  "a test entry",
		"affected": []any{map[string]any{"package": map[string]string{"name": module, "ecosystem": "Go"}, "ranges": []any{map[string]any{"type": "SEMVER", "events": events}}}},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndexWriteOpen(t *testing.T) {
	zero := time.Time{}
	entries := map[string][]byte{
		"GO-2026-0002": entry(t, "GO-2026-0002", Stdlib, zero, Event{Introduced: "0"}, Event{Fixed: "1.26.10"}, Event{Introduced: "1.27.0-0"}, Event{Fixed: "1.27.3"}),
		"GO-2026-0001": entry(t, "GO-2026-0001", "example.com/m", zero, Event{Introduced: "1.2.0"}, Event{Fixed: "1.2.5"}, Event{Introduced: "1.3.0"}),
	}
	when := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	files, err := Index(entries, when)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Index(entries, when)
	for name, data := range files {
		if !bytes.Equal(again[name], data) {
			t.Errorf("%s differs between two indexes of the same entries", name)
		}
	}
	if got, want := string(files[ModulesFile]), `[{"path":"example.com/m","vulns":[{"id":"GO-2026-0001","modified":"0001-01-01T00:00:00Z"}]},{"path":"stdlib","vulns":[{"id":"GO-2026-0002","modified":"0001-01-01T00:00:00Z","fixed":"1.27.3"}]}]`; got != want {
		t.Errorf("%s:\ngot  %s\nwant %s (sorted by path; a fix superseded by a new introduction is none)", ModulesFile, got, want)
	}
	if got, want := string(files[DBFile]), `{"modified":"2026-11-05T23:49:57Z"}`; got != want {
		t.Errorf("%s: got %s, want %s", DBFile, got, want)
	}
	if !bytes.Equal(files["ID/GO-2026-0001.json"], entries["GO-2026-0001"]) {
		t.Error("an entry is not written as given")
	}

	dir := filepath.Join(t.TempDir(), "db")
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if err := WriteZip(&zipped, files); err != nil {
		t.Fatal(err)
	}
	var zipped2 bytes.Buffer
	WriteZip(&zipped2, files)
	if !bytes.Equal(zipped.Bytes(), zipped2.Bytes()) {
		t.Error("two zips of the same files differ")
	}
	zipFile := filepath.Join(t.TempDir(), "vulndb.zip")
	os.WriteFile(zipFile, zipped.Bytes(), 0o644)
	// vuln.go.dev's zip, or one with a top folder.
	topZip := filepath.Join(t.TempDir(), "top.zip")
	var top bytes.Buffer
	zw := zip.NewWriter(&top)
	for name, data := range files {
		w, _ := zw.Create("vulndb/" + name)
		w.Write(data)
	}
	zw.Close()
	os.WriteFile(topZip, top.Bytes(), 0o644)

	for _, p := range []string{dir, zipFile, topZip} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			db, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Len() != 2 || !db.Modified.Equal(when) {
				t.Errorf("got %d entries, modified %s", db.Len(), db.Modified)
			}
			es, err := db.Module(Stdlib)
			if err != nil || len(es) != 1 || es[0].ID != "GO-2026-0002" {
				t.Fatalf("stdlib: got %v, %v", es, err)
			}
			if hit, ok := es[0].Match(Stdlib, "go1.27.2"); !ok || !hit.Affected || hit.Fix != "go1.27.3" {
				t.Errorf("go1.27.2: got %+v %v", hit, ok)
			}
			if es, err := db.Module("example.com/none"); err != nil || len(es) != 0 {
				t.Errorf("a module without entries: got %v, %v", es, err)
			}
		})
	}
}

// TestOpenHostile: a database is input from outside; every inconsistency
// is an error naming the file.
func TestOpenHostile(t *testing.T) {
	base, err := Index(map[string][]byte{"GO-1": entry(t, "GO-1", Stdlib, time.Time{}, Event{Introduced: "0"})}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		edit   func(files map[string][]byte)
		open   string // the error of Open, or ""
		module string // the error of Module(stdlib)
	}{
		{"no db.json", func(f map[string][]byte) { delete(f, DBFile) }, DBFile, ""},
		{"modules.json not JSON", func(f map[string][]byte) { f[ModulesFile] = []byte("[{") }, ModulesFile, ""},
		{"module twice", func(f map[string][]byte) {
			f[ModulesFile] = []byte(`[{"path":"stdlib","vulns":[]},{"path":"stdlib","vulns":[]}]`)
		}, "listed twice", ""},
		{"entry under another id", func(f map[string][]byte) { f["ID/GO-1.json"] = entry(t, "GO-9", Stdlib, time.Time{}) }, "", "holds entry GO-9"},
		{"entry missing", func(f map[string][]byte) { delete(f, "ID/GO-1.json") }, "", "ID/GO-1.json"},
		{"index names a module the entry does not", func(f map[string][]byte) { f["ID/GO-1.json"] = entry(t, "GO-1", "example.com/m", time.Time{}) }, "", "does not name"},
		{"id escaping the folder", func(f map[string][]byte) {
			f[ModulesFile] = []byte(`[{"path":"stdlib","vulns":[{"id":"../index/db","modified":"0001-01-01T00:00:00Z"}]}]`)
		}, "", "bad entry id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range base {
				files[k] = v
			}
			tc.edit(files)
			dir := filepath.Join(t.TempDir(), "db")
			if err := Write(dir, files); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir)
			if tc.open != "" {
				if err == nil || !strings.Contains(err.Error(), tc.open) {
					t.Fatalf("Open: got %v, want an error containing %q", err, tc.open)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Module(Stdlib); err == nil || !strings.Contains(err.Error(), tc.module) {
				t.Errorf("Module: got %v, want an error containing %q", err, tc.module)
			}
		})
	}
}

func TestFromModule(t *testing.T) {
	const mod, version = "golang.org/x/vulndb", "v0.0.0-20261105234957-e22db6528018"
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range map[string][]byte{
		mod + "@" + version + "/data/osv/GO-2026-0001.json":     entry(t, "GO-2026-0001", Stdlib, time.Time{}),
		mod + "@" + version + "/data/osv/GO-2026-0002.json":     entry(t, "GO-2026-0002", Stdlib, time.Time{}),
		mod + "@" + version + "/data/reports/GO-2026-0001.yaml": []byte("id: GO-2026-0001\n"),
		mod + "@" + version + "/data/osv/sub/GO-2026-0003.json": []byte("{}"),
		mod + "@" + version + "/go.mod":                         []byte("module " + mod + "\n"),
	} {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	got, err := FromModule(bytes.NewReader(b.Bytes()), int64(b.Len()), mod, version)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["GO-2026-0001"] == nil || got["GO-2026-0002"] == nil {
		t.Errorf("got %d entries, want data/osv's two", len(got))
	}
	if _, err := FromModule(bytes.NewReader(b.Bytes()), int64(b.Len()), mod, "v1.0.0"); err == nil {
		t.Error("a zip of another version: want an error")
	}
	when, ok := ModuleTime(version)
	if !ok || !when.Equal(time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)) {
		t.Errorf("ModuleTime: got %s %v", when, ok)
	}
	if got := Newest(got, when); !got.Equal(when) {
		t.Errorf("Newest of entries without times: got %s, want the module's %s", got, when)
	}

	// From the zip file, with an entry added: that entry's time is the
	// database's, as it is newer than the module's commit.
	zipFile := filepath.Join(t.TempDir(), version+".zip")
	os.WriteFile(zipFile, b.Bytes(), 0o644)
	added := time.Date(2099, 1, 2, 0, 0, 0, 0, time.UTC)
	db, err := FromModuleZip(zipFile, mod, version, map[string][]byte{"GO-2099-0001": entry(t, "GO-2099-0001", Stdlib, added)})
	if err != nil {
		t.Fatal(err)
	}
	if db.Entries != 3 || !db.Modified.Equal(added) || db.Files["ID/GO-2099-0001.json"] == nil || string(db.Files[DBFile]) != `{"modified":"2099-01-02T00:00:00Z"}` {
		t.Errorf("FromModuleZip: got %d entries, modified %s, files %d", db.Entries, db.Modified, len(db.Files))
	}
	// Written and opened again (as a release's cache keeps it), it says the
	// same of itself.
	dir := filepath.Join(t.TempDir(), "db")
	if err := Write(dir, db.Files); err != nil {
		t.Fatal(err)
	}
	back, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Len() != db.Entries || !back.Modified.Equal(db.Modified) {
		t.Errorf("written and opened: %d entries, modified %s; built: %d, %s", back.Len(), back.Modified, db.Entries, db.Modified)
	}
}
