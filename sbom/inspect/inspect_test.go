package inspect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The documents in testdata were made by package sbom from binaries it
// built (go test ./sbom -run TestFixtures -update), with the summaries it
// expects of them, which it derives from the binaries, not from this
// package.

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func wantSummary(t testing.TB, name string) *Summary {
	t.Helper()
	var s Summary
	if err := json.Unmarshal(fixture(t, name), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

type (
	obj = map[string]any
	arr = []any
)

// edit decodes doc, lets fn change it and encodes it again.
func edit(t *testing.T, doc []byte, fn func(obj)) []byte {
	t.Helper()
	var m obj
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// find returns the first element of list with key set to value.
func find(list any, key, value string) obj {
	for _, x := range list.(arr) {
		if o := x.(obj); o[key] == value {
			return o
		}
	}
	panic("no " + key + "=" + value)
}

// findFunc returns the first element of list that ok accepts.
func findFunc(list any, ok func(obj) bool) obj {
	for _, x := range list.(arr) {
		if o := x.(obj); ok(o) {
			return o
		}
	}
	panic("no such element")
}

const otherSum = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

type test struct {
	name string
	edit func(obj)
	raw  []byte         // used instead of an edit
	err  string         // the error should contain this
	want func(*Summary) // else the summary is the fixture's, changed by want
}

func run(t *testing.T, tests []test, doc []byte, summary *Summary, fn func([]byte) (*Summary, error)) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := doc
			if tt.raw != nil {
				data = tt.raw
			} else if tt.edit != nil {
				data = edit(t, doc, tt.edit)
			}
			got, err := fn(data)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v, want an error with %q", got, err, tt.err)
				}
				if got != nil {
					t.Errorf("got a summary %+v with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			want := wantSummary(t, "release."+kind(summary)+".summary.json")
			if tt.want != nil {
				tt.want(want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func kind(s *Summary) string {
	if strings.HasPrefix(s.Format, "SPDX") {
		return "spdx"
	}
	return "cdx"
}

// firstFile is the binary whose entries the tests change.
func firstFile(s *Summary) string {
	for _, p := range []string{"bin/linux-amd64/cavra-runtime"} {
		if _, ok := s.Files[p]; ok {
			return p
		}
	}
	panic("fixture lacks bin/linux-amd64/cavra-runtime")
}

func TestSPDX(t *testing.T) {
	doc := fixture(t, "release.spdx.json")
	summary := wantSummary(t, "release.spdx.summary.json")
	bin := firstFile(summary)
	pkgNamed := func(m obj, name string) obj { return find(m["packages"], "name", name) }
	file := func(m obj) obj { return pkgNamed(m, bin) }
	sha256 := func(f obj) obj {
		return findFunc(f["checksums"], func(c obj) bool { return c["algorithm"] == "SHA256" })
	}
	tests := []test{
		{name: "as made"},
		{name: "spdxVersion 2.2", edit: func(m obj) { m["spdxVersion"] = "SPDX-2.2" }, err: `inspect: spdx: spdxVersion is "SPDX-2.2", want SPDX-2.3`},
		{name: "no spdxVersion", edit: func(m obj) { delete(m, "spdxVersion") }, err: `spdxVersion is ""`},
		{name: "spdxVersion number", edit: func(m obj) { m["spdxVersion"] = 2.3 }, err: "inspect: spdx: json: cannot unmarshal number"},
		{name: "SPDXID", edit: func(m obj) { m["SPDXID"] = "SPDXRef-X" }, err: `SPDXID is "SPDXRef-X"`},
		{name: "no name", edit: func(m obj) { delete(m, "name") }, err: "no document name"},
		{name: "no creationInfo", edit: func(m obj) { delete(m, "creationInfo") }, err: "creationInfo: missing"},
		{name: "bad created", edit: func(m obj) { m["creationInfo"].(obj)["created"] = "yesterday" }, err: "creationInfo.created: parsing time"},
		{name: "snapshot", edit: func(m obj) {
			m["comment"] = strings.Replace(m["comment"].(string), "cavra:snapshot=false", "cavra:snapshot=true", 1)
		}, want: func(s *Summary) { s.Snapshot = true }},
		{name: "snapshot maybe", edit: func(m obj) {
			m["comment"] = strings.Replace(m["comment"].(string), "cavra:snapshot=false", "cavra:snapshot=maybe", 1)
		}, err: `comment: cavra:snapshot is "maybe"`},
		{name: "no SHA256", edit: func(m obj) {
			f := file(m)
			f["checksums"] = arr{findFunc(f["checksums"], func(c obj) bool { return c["algorithm"] == "SHA512" })}
		}, err: `packages[0] "SPDXRef-File-bin-linux-amd64-cavra-runtime-2271f5982ed9cb38": checksums: no SHA256`},
		{name: "no checksums", edit: func(m obj) { delete(file(m), "checksums") }, err: "checksums: no SHA256"},
		{name: "short SHA256", edit: func(m obj) { sha256(file(m))["checksumValue"] = "abc" }, err: `SHA-256 "abc" is not 64 hex digits`},
		{name: "SHA256 not hex", edit: func(m obj) { sha256(file(m))["checksumValue"] = strings.Repeat("z", 64) }, err: "is not 64 hex digits"},
		{name: "SHA256 changed", edit: func(m obj) { sha256(file(m))["checksumValue"] = otherSum },
			want: func(s *Summary) { s.Files[bin] = otherSum }},
		{name: "SHA256 upper case", edit: func(m obj) {
			c := sha256(file(m))
			c["checksumValue"] = strings.ToUpper(c["checksumValue"].(string))
		}},
		{name: "file renamed", edit: func(m obj) { file(m)["name"] = "./bin/other/cavra-runtime" },
			want: func(s *Summary) { s.Files["bin/other/cavra-runtime"] = s.Files[bin]; delete(s.Files, bin) }},
		{name: "absolute file", edit: func(m obj) { file(m)["name"] = "/etc/cavra-runtime" }, err: `file name "/etc/cavra-runtime" is not a clean relative path`},
		{name: "dotdot file", edit: func(m obj) { file(m)["name"] = "../cavra-runtime" }, err: "is not a clean relative path"},
		{name: "packageFileName of another file", edit: func(m obj) { file(m)["packageFileName"] = "cavra-runtime.exe" },
			err: `packageFileName "cavra-runtime.exe" is not the file name of "` + bin + `"`},
		{name: "file twice", edit: func(m obj) {
			f := obj{}
			for k, v := range file(m) {
				f[k] = v
			}
			f["SPDXID"] = "SPDXRef-File-copy"
			m["packages"] = append(m["packages"].(arr), f)
		}, err: "listed twice"},
		{name: "binary as an SPDX file", edit: func(m obj) {
			// Documents before packages carried files: still read.
			f := file(m)
			var keep arr
			for _, x := range m["packages"].(arr) {
				if x.(obj)["name"] != bin {
					keep = append(keep, x)
				}
			}
			m["packages"] = keep
			m["files"] = arr{obj{"SPDXID": f["SPDXID"], "fileName": bin, "checksums": f["checksums"]}}
		}},
		{name: "SPDX file without SHA256", edit: func(m obj) {
			m["files"] = arr{obj{"SPDXID": "SPDXRef-File-x", "fileName": "bin/x", "checksums": arr{}}}
		}, err: `files[0] "bin/x": checksums: no SHA256`},
		{name: "SPDXID twice", edit: func(m obj) { file(m)["SPDXID"] = pkgNamed(m, "stdlib")["SPDXID"] }, err: "SPDXID empty or used twice"},
		{name: "stdlib versions", edit: func(m obj) { pkgNamed(m, "stdlib")["versionInfo"] = "go1.0" }, err: "stdlib at"},
		{name: "module versions", edit: func(m obj) { pkgNamed(m, "github.com/google/uuid")["versionInfo"] = "v0.0.1" },
			want: func(s *Summary) { s.Modules["github.com/google/uuid"] = "v0.0.1" }},
		{name: "module added", edit: func(m obj) {
			p := obj{"SPDXID": "SPDXRef-Package-extra", "name": "example.com/extra", "versionInfo": "v9.9.9",
				"externalRefs": arr{obj{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:golang/example.com/extra@v9.9.9"}}}
			m["packages"] = append(m["packages"].(arr), p)
		}, want: func(s *Summary) { s.Modules["example.com/extra"] = "v9.9.9" }},
		{name: "module conflict", edit: func(m obj) {
			p := obj{"SPDXID": "SPDXRef-Package-extra", "name": "github.com/google/uuid", "versionInfo": "v9.9.9",
				"externalRefs": arr{obj{"referenceType": "purl", "referenceLocator": "pkg:golang/github.com/google/uuid@v9.9.9"}}}
			m["packages"] = append(m["packages"].(arr), p)
		}, err: `module github.com/google/uuid at "v9.9.9" and at "v1.6.0"`},
		{name: "non-Go package ignored", edit: func(m obj) {
			m["packages"] = append(m["packages"].(arr), obj{"SPDXID": "SPDXRef-Package-npm", "name": "left-pad", "versionInfo": "1.0.0"})
		}},
		{name: "release version", edit: func(m obj) { pkgNamed(m, "cavra-runtime")["versionInfo"] = "v9.9.9" }, err: "the described release is v9.9.9, but its purl says v1.2.3"},
		{name: "main module version", edit: func(m obj) {
			for _, x := range m["packages"].(arr) {
				if p := x.(obj); p["name"] == "github.com/cavra/cavra" {
					p["versionInfo"] = "v9.9.9"
				}
			}
		}, err: "main module github.com/cavra/cavra is at v9.9.9, but the release is v1.2.3"},
		{name: "no purl on release", edit: func(m obj) { delete(pkgNamed(m, "cavra-runtime"), "externalRefs") }, err: "has no pkg:golang purl"},
		{name: "no stdlib", edit: func(m obj) {
			var keep arr
			for _, x := range m["packages"].(arr) {
				if x.(obj)["name"] != "stdlib" {
					keep = append(keep, x)
				}
			}
			m["packages"] = keep
		}, err: "no stdlib package"},
		{name: "describes nothing", edit: func(m obj) {
			var keep arr
			for _, x := range m["relationships"].(arr) {
				if x.(obj)["relationshipType"] != "DESCRIBES" {
					keep = append(keep, x)
				}
			}
			m["relationships"] = keep
		}, err: "describes 0 elements, want 1"},
		{name: "describes two", edit: func(m obj) { m["documentDescribes"] = arr{"SPDXRef-A", "SPDXRef-B"} }, err: "describes 3 elements"},
		{name: "describes a file", edit: func(m obj) {
			m["files"] = arr{obj{"SPDXID": "SPDXRef-File-x", "fileName": "bin/x", "checksums": arr{obj{"algorithm": "SHA256", "checksumValue": otherSum}}}}
			r := find(m["relationships"], "relationshipType", "DESCRIBES")
			r["relatedSpdxElement"] = "SPDXRef-File-x"
		}, err: "the described element is not a package"},
		{name: "describes a binary", edit: func(m obj) {
			r := find(m["relationships"], "relationshipType", "DESCRIBES")
			r["relatedSpdxElement"] = file(m)["SPDXID"]
		}, err: `the described release has no pkg:golang purl ("pkg:generic/cavra-runtime@v1.2.3?checksum=`},
		{name: "malformed", raw: doc[:len(doc)/2], err: "inspect: spdx: unexpected EOF"},
		{name: "case-variant key", raw: []byte(strings.Replace(string(doc), `"spdxVersion"`, `"SPDXVersion": "SPDX-2.2", "spdxVersion"`, 1)), err: `inspect: spdx: duplicate key "spdxVersion" (as "SPDXVersion"`},
		{name: "array", raw: []byte("[]"), err: "inspect: spdx: json: cannot unmarshal array"},
		{name: "null", raw: []byte("null"), err: `spdxVersion is ""`},
		{name: "empty", raw: []byte{}, err: "inspect: spdx: empty document"},
		{name: "cyclonedx", raw: fixture(t, "release.cdx.json"), err: `spdxVersion is ""`},
		{name: "too big", raw: bytes.Repeat([]byte(" "), MaxSize+1), err: "more than 67108864"},
	}
	run(t, tests, doc, summary, SPDX)
}

func TestCycloneDX(t *testing.T) {
	doc := fixture(t, "release.cdx.json")
	summary := wantSummary(t, "release.cdx.summary.json")
	bin := firstFile(summary)
	file := func(m obj) obj { return find(m["components"], "name", bin) }
	sha256 := func(f obj) obj { return find(f["hashes"], "alg", "SHA-256") }
	meta := func(m obj) obj { return m["metadata"].(obj) }
	snapshot := func(m obj) obj { return find(meta(m)["properties"], "name", "cavra:snapshot") }
	component := func(m obj, name string) obj { return find(m["components"], "name", name) }
	tests := []test{
		{name: "as made"},
		{name: "specVersion 1.6", edit: func(m obj) { m["specVersion"] = "1.6" }, want: func(s *Summary) { s.Format = "CycloneDX-1.6" }},
		{name: "specVersion 1.5", edit: func(m obj) { m["specVersion"] = "1.5" }, err: `inspect: cyclonedx: specVersion is "1.5", want one of ["1.6" "1.7"]`},
		{name: "bomFormat", edit: func(m obj) { m["bomFormat"] = "SPDX" }, err: `bomFormat is "SPDX", want CycloneDX`},
		{name: "no metadata", edit: func(m obj) { delete(m, "metadata") }, err: "metadata: missing"},
		{name: "no timestamp", edit: func(m obj) { delete(meta(m), "timestamp") }, err: "metadata.timestamp: missing"},
		{name: "bad timestamp", edit: func(m obj) { meta(m)["timestamp"] = "2023-11-14" }, err: "metadata.timestamp: parsing time"},
		{name: "no component", edit: func(m obj) { delete(meta(m), "component") }, err: "metadata.component: missing"},
		{name: "snapshot", edit: func(m obj) { snapshot(m)["value"] = "true" }, want: func(s *Summary) { s.Snapshot = true }},
		{name: "snapshot yes", edit: func(m obj) { snapshot(m)["value"] = "yes" }, err: `metadata.properties[2]: cavra:snapshot is "yes"`},
		{name: "snapshot twice", edit: func(m obj) {
			meta(m)["properties"] = append(meta(m)["properties"].(arr), obj{"name": "cavra:snapshot", "value": "true"})
		}, err: "cavra:snapshot given twice"},
		{name: "no SHA-256", edit: func(m obj) {
			f := file(m)
			f["hashes"] = arr{find(f["hashes"], "alg", "SHA-512")}
		}, err: `"` + bin + `": hashes: no SHA-256`},
		{name: "SHA-256 changed", edit: func(m obj) { sha256(file(m))["content"] = otherSum },
			want: func(s *Summary) { s.Files[bin] = otherSum }},
		{name: "SHA-256 short", edit: func(m obj) { sha256(file(m))["content"] = "00" }, err: "is not 64 hex digits"},
		{name: "two SHA-256", edit: func(m obj) {
			f := file(m)
			f["hashes"] = append(f["hashes"].(arr), obj{"alg": "SHA-256", "content": otherSum})
		}, err: "hashes: two SHA-256"},
		{name: "nested file", edit: func(m obj) {
			f := file(m)
			var keep arr
			for _, x := range m["components"].(arr) {
				if x.(obj)["name"] != bin {
					keep = append(keep, x)
				}
			}
			keep[0].(obj)["components"] = arr{f}
			m["components"] = keep
		}},
		{name: "file twice", edit: func(m obj) { m["components"] = append(m["components"].(arr), file(m)) }, err: "listed twice"},
		{name: "stdlib versions", edit: func(m obj) { component(m, "stdlib")["version"] = "go1.0" }, err: "stdlib at"},
		{name: "module version", edit: func(m obj) { component(m, "golang.org/x/mod")["version"] = "v0.0.1" },
			want: func(s *Summary) { s.Modules["golang.org/x/mod"] = "v0.0.1" }},
		{name: "release version", edit: func(m obj) { meta(m)["component"].(obj)["version"] = "v2.0.0" }, err: "the described release is v2.0.0, but its purl says v1.2.3"},
		{name: "main module missing", edit: func(m obj) {
			var keep arr
			for _, x := range m["components"].(arr) {
				if x.(obj)["name"] != "github.com/cavra/cavra" {
					keep = append(keep, x)
				}
			}
			m["components"] = keep
		}, err: "main module github.com/cavra/cavra is not listed"},
		{name: "malformed", raw: doc[:len(doc)-3], err: "inspect: cyclonedx: unexpected EOF"},
		{name: "string", raw: []byte(`"CycloneDX"`), err: "cannot unmarshal string"},
		{name: "spdx", raw: fixture(t, "release.spdx.json"), err: `bomFormat is ""`},
		{name: "too big", raw: bytes.Repeat([]byte(" "), MaxSize+1), err: "more than 67108864"},
	}
	run(t, tests, doc, summary, CycloneDX)
}

func TestGolangPURL(t *testing.T) {
	for _, tt := range []struct {
		purl, module, version string
		ok                    bool
	}{
		{"pkg:golang/github.com/cavra/cavra@v1.2.3", "github.com/cavra/cavra", "v1.2.3", true},
		{"pkg:golang/stdlib@1.26.8", "stdlib", "1.26.8", true},
		{"pkg:golang/github.com/a/b@v1.0.0%2Bincompatible?package-id=x#sub", "github.com/a/b", "v1.0.0+incompatible", true},
		{"pkg:golang/example.com/x", "example.com/x", "", true},
		{"pkg:golang/", "", "", false},
		{"pkg:golang/a@%zz", "", "", false},
		{"pkg:npm/left-pad@1.0.0", "", "", false},
		{"", "", "", false},
	} {
		m, v, ok := golangPURL(tt.purl)
		if m != tt.module || v != tt.version || ok != tt.ok {
			t.Errorf("golangPURL(%q) = %q, %q, %t, want %q, %q, %t", tt.purl, m, v, ok, tt.module, tt.version, tt.ok)
		}
	}
}

// check tests what every summary promises.
func check(t *testing.T, s *Summary, err error) {
	if err != nil {
		if s != nil {
			t.Fatalf("summary %+v with error %v", s, err)
		}
		return
	}
	if s.Name == "" || s.Version == "" || s.GoVersion == "" || s.Created.IsZero() || s.Created.Location().String() != "UTC" {
		t.Fatalf("incomplete summary %+v", s)
	}
	for p, sum := range s.Files {
		if p == "" || path.Clean(p) != p || path.IsAbs(p) || strings.HasPrefix(p, "../") {
			t.Fatalf("unclean file name %q", p)
		}
		if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 || sum != strings.ToLower(sum) {
			t.Fatalf("%s: bad sha256 %q", p, sum)
		}
	}
	if _, ok := s.Modules[""]; ok {
		t.Fatal("module with empty path")
	}
}

// checkCompliance tests what every compliance report promises.
func checkCompliance(t *testing.T, c *Compliance, err error) {
	if err != nil {
		if c != nil {
			t.Fatalf("compliance %+v with error %v", c, err)
		}
		return
	}
	n := 0
	c.each("", func(_ string, r Requirement) {
		n++
		if r.Status != Pass && r.Status != Fail || r.Standard != NTIA && r.Standard != BSI || r.Element == "" {
			t.Fatalf("bad requirement %+v", r)
		}
	})
	if n != c.Passed+c.Failed || len(c.Document) != 5 || len(c.Failures("")) != c.Failed {
		t.Fatalf("counts: %d requirements, %d passed, %d failed", n, c.Passed, c.Failed)
	}
}

func FuzzSPDX(f *testing.F) {
	f.Add(fixture(f, "release.spdx.json"))
	f.Add(fixture(f, "release.cdx.json"))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"n","creationInfo":{"created":"2023-11-14T22:13:20Z"},` +
		`"packages":[{"SPDXID":"SPDXRef-R","name":"n","versionInfo":"v1","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:golang/m@v1"}]},` +
		`{"SPDXID":"SPDXRef-M","name":"m","versionInfo":"v1","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:golang/m@v1"}]},` +
		`{"SPDXID":"SPDXRef-S","name":"stdlib","versionInfo":"go1","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:golang/stdlib@1"}]}],` +
		`"files":[{"SPDXID":"SPDXRef-F","fileName":"./b","checksums":[{"algorithm":"SHA256","checksumValue":"` + otherSum + `"}]}],` +
		`"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-R"}]}`))
	f.Add(fixture(f, "compliant.spdx.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := CheckSPDX(data)
		checkCompliance(t, c, err)
		s, err := SPDX(data)
		check(t, s, err)
		if err == nil && s.Format != "SPDX-2.3" {
			t.Fatalf("format %q", s.Format)
		}
	})
}

func FuzzCycloneDX(f *testing.F) {
	f.Add(fixture(f, "release.cdx.json"))
	f.Add(fixture(f, "release.spdx.json"))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"2023-11-14T22:13:20Z",` +
		`"component":{"name":"n","version":"v1","purl":"pkg:golang/m@v1"},"properties":[{"name":"cavra:snapshot","value":"true"}]},` +
		`"components":[{"type":"library","name":"m","version":"v1","purl":"pkg:golang/m@v1"},` +
		`{"type":"library","name":"stdlib","version":"go1","purl":"pkg:golang/stdlib@1",` +
		`"components":[{"type":"file","name":"b","hashes":[{"alg":"SHA-256","content":"` + otherSum + `"}]}]}]}`))
	f.Add(fixture(f, "compliant.cdx.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := CheckCycloneDX(data)
		checkCompliance(t, c, err)
		s, err := CycloneDX(data)
		check(t, s, err)
		if err == nil && !strings.HasPrefix(s.Format, "CycloneDX-1.") {
			t.Fatalf("format %q", s.Format)
		}
	})
}
