package inspect

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The compliant.* documents were made by package sbom (TestFixtures) for a
// release of cavra-runtime for linux/amd64, darwin/arm64 and
// windows/arm64, a Linux package carrying the first binary, and the
// source archive.
const (
	linuxBin = "bin/linux-amd64/cavra-runtime"
	darwin   = "bin/darwin-arm64/cavra-runtime"
	deb      = "packages/cavra-runtime_1.2.3_amd64.deb"
	source   = "source/cavra-runtime-v1.2.3-src.tar.gz"
	mainMod  = "github.com/cavra/cavra"
)

// complyTest changes a compliant document and lists the failures it should
// then have, each as "<component>|<standard>|<element>" ("document" for the
// document's own).
type complyTest struct {
	name string
	edit func(obj)
	want []string
}

func runComply(t *testing.T, doc []byte, check func([]byte) (*Compliance, error), tests []complyTest) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := doc
			if tt.edit != nil {
				data = edit(t, doc, tt.edit)
			}
			c, err := check(data)
			if err != nil {
				t.Fatalf("got %v, want a compliance report", err)
			}
			var got []string
			c.each("", func(who string, r Requirement) {
				if r.Status != Pass {
					name, _, _ := strings.Cut(who, " [")
					got = append(got, name+"|"+r.Standard+"|"+r.Element)
				}
			})
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("failures:\ngot  %q\nwant %q\n%s", got, want, strings.Join(c.Failures(""), "\n"))
			}
			if passed, failed := c.Count(""); passed != c.Passed || failed != c.Failed || failed != len(want) || c.OK() != (failed == 0) {
				t.Errorf("got %d passed, %d failed, OK %v; counts %d, %d", c.Passed, c.Failed, c.OK(), passed, failed)
			}
			if len(c.Failures("")) != c.Failed {
				t.Errorf("got %d failure lines for %d failures", len(c.Failures("")), c.Failed)
			}
		})
	}
}

// both names the failure of an element that both standards require.
func both(component, element string) []string {
	return []string{component + "|" + NTIA + "|" + element, component + "|" + BSI + "|" + element}
}

func ntia(component, element string) string { return component + "|" + NTIA + "|" + element }
func bsi(component, element string) string  { return component + "|" + BSI + "|" + element }

// without returns list without the elements drop accepts.
func without(list any, drop func(obj) bool) arr {
	var keep arr
	for _, x := range list.(arr) {
		if !drop(x.(obj)) {
			keep = append(keep, x)
		}
	}
	return keep
}

func TestCheckSPDX(t *testing.T) {
	doc := fixture(t, "compliant.spdx.json")
	pkg := func(m obj, name string) obj { return find(m["packages"], "name", name) }
	stdlibID := func(m obj) string {
		return findFunc(m["packages"], func(p obj) bool { return p["name"] == "stdlib" })["SPDXID"].(string)
	}
	tests := []complyTest{
		{name: "as made"},
		{name: "supplier removed", edit: func(m obj) { delete(pkg(m, linuxBin), "supplier") },
			want: []string{ntia(linuxBin, ElemSupplier)}},
		{name: "supplier NOASSERTION", edit: func(m obj) { pkg(m, "cavra-runtime")["supplier"] = "NOASSERTION" },
			want: []string{ntia("cavra-runtime", ElemSupplier)}},
		{name: "supplier a tool", edit: func(m obj) { pkg(m, deb)["supplier"] = "Tool: syft" },
			want: []string{ntia(deb, ElemSupplier)}},
		{name: "author removed", edit: func(m obj) {
			m["creationInfo"].(obj)["creators"] = arr{"Tool: syft-v1.57.1"}
		}, want: []string{ntia("document", ElemAuthor), bsi("document", ElemCreator)}},
		{name: "author without contact", edit: func(m obj) {
			m["creationInfo"].(obj)["creators"] = arr{"Organization: CAVRA", "Tool: syft-v1.57.1"}
		}, want: []string{bsi("document", ElemCreator)}},
		{name: "author with a bad e-mail", edit: func(m obj) {
			m["creationInfo"].(obj)["creators"] = arr{"Organization: CAVRA (not an address)", "Tool: syft-v1.57.1"}
		}, want: []string{bsi("document", ElemCreator)}},
		{name: "no timestamp", edit: func(m obj) { delete(m["creationInfo"].(obj), "created") },
			want: []string{ntia("document", ElemTimestamp), bsi("document", ElemTimestamp)}},
		{name: "timestamp not RFC 3339", edit: func(m obj) { m["creationInfo"].(obj)["created"] = "2023-11-14" },
			want: []string{ntia("document", ElemTimestamp), bsi("document", ElemTimestamp)}},
		{name: "originator removed", edit: func(m obj) { delete(pkg(m, mainMod), "originator") },
			want: []string{bsi(mainMod, ElemCreator)}},
		{name: "originator without contact", edit: func(m obj) {
			p := pkg(m, source)
			p["originator"] = "Organization: CAVRA"
			delete(p, "homepage")
		}, want: []string{bsi(source, ElemCreator)}},
		{name: "originator without e-mail, with homepage", edit: func(m obj) { pkg(m, source)["originator"] = "Organization: CAVRA" }},
		{name: "no version", edit: func(m obj) { delete(pkg(m, darwin), "versionInfo") },
			want: both(darwin, ElemVersion)},
		{name: "no name", edit: func(m obj) { pkg(m, deb)["name"] = " " },
			want: both(" ", ElemName)},
		{name: "no purl", edit: func(m obj) { delete(pkg(m, mainMod), "externalRefs") },
			want: []string{ntia(mainMod, ElemIdentifier)}},
		{name: "malformed purl", edit: func(m obj) {
			pkg(m, deb)["externalRefs"].(arr)[0].(obj)["referenceLocator"] = "pkg:generic"
		}, want: []string{ntia(deb, ElemIdentifier)}},
		{name: "SHA-512 removed", edit: func(m obj) {
			p := pkg(m, linuxBin)
			p["checksums"] = without(p["checksums"], func(c obj) bool { return c["algorithm"] == "SHA512" })
		}, want: []string{bsi(linuxBin, ElemHash)}},
		{name: "SHA-512 short", edit: func(m obj) {
			find(pkg(m, source)["checksums"], "algorithm", "SHA512")["checksumValue"] = "abcd"
		}, want: []string{bsi(source, ElemHash)}},
		{name: "declared licence removed", edit: func(m obj) { delete(pkg(m, linuxBin), "licenseDeclared") },
			want: []string{bsi(linuxBin, ElemLicence)}},
		{name: "concluded licence NOASSERTION", edit: func(m obj) { pkg(m, "stdlib")["licenseConcluded"] = "NOASSERTION" },
			want: []string{bsi("stdlib", ElemLicence)}},
		{name: "licence not an expression", edit: func(m obj) { pkg(m, "cavra-runtime")["licenseDeclared"] = "Apache 2.0" },
			want: []string{bsi("cavra-runtime", ElemLicence)}},
		{name: "file name removed", edit: func(m obj) { delete(pkg(m, deb), "packageFileName") },
			want: []string{bsi(deb, ElemFilename)}},
		{name: "file name a path", edit: func(m obj) { pkg(m, deb)["packageFileName"] = deb },
			want: []string{bsi(deb, ElemFilename)}},
		{name: "BSI properties removed", edit: func(m obj) { delete(pkg(m, source), "annotations") },
			want: []string{bsi(source, ElemExecutable), bsi(source, ElemArchive), bsi(source, ElemStructured)}},
		{name: "executable property unknown value", edit: func(m obj) {
			find(pkg(m, darwin)["annotations"], "comment", "bsi:component:executable=executable")["comment"] = "bsi:component:executable=yes"
		}, want: []string{bsi(darwin, ElemExecutable)}},
		{name: "archive property twice", edit: func(m obj) {
			p := pkg(m, deb)
			p["annotations"] = append(p["annotations"].(arr), obj{"annotator": "Tool: x", "annotationDate": "2023-11-14T22:13:20Z",
				"annotationType": "OTHER", "comment": "bsi:component:archive=archive"})
		}, want: []string{bsi(deb, ElemArchive)}},
		{name: "stdlib contained by nothing", edit: func(m obj) {
			id := stdlibID(m)
			m["relationships"] = without(m["relationships"], func(r obj) bool { return r["relatedSpdxElement"] == id || r["spdxElementId"] == id })
		}, want: both("stdlib", ElemDependencies)},
		{name: "binary contains nothing", edit: func(m obj) {
			id := pkg(m, darwin)["SPDXID"]
			m["relationships"] = without(m["relationships"], func(r obj) bool { return r["spdxElementId"] == id })
		}, want: both(darwin, ElemDependencies)},
		{name: "relationship to nothing", edit: func(m obj) {
			m["relationships"] = append(m["relationships"].(arr), obj{"spdxElementId": pkg(m, deb)["SPDXID"],
				"relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-Gone"})
		}, want: both(deb, ElemDependencies)},
		{name: "deployable without packageFileName is still one", edit: func(m obj) {
			p := pkg(m, darwin)
			delete(p, "packageFileName")
			delete(p, "checksums")
		}, want: []string{bsi(darwin, ElemFilename), bsi(darwin, ElemHash)}},
	}
	runComply(t, doc, CheckSPDX, tests)
}

func TestCheckCycloneDX(t *testing.T) {
	doc := fixture(t, "compliant.cdx.json")
	comp := func(m obj, name string) obj { return find(m["components"], "name", name) }
	meta := func(m obj) obj { return m["metadata"].(obj) }
	prop := func(c obj, name string) obj { return find(c["properties"], "name", name) }
	stdlibRef := func(m obj) string { return comp(m, "stdlib")["bom-ref"].(string) }
	tests := []complyTest{
		{name: "as made"},
		{name: "specVersion 1.6", edit: func(m obj) { m["specVersion"] = "1.6" }},
		{name: "supplier removed", edit: func(m obj) { delete(comp(m, linuxBin), "supplier") },
			want: []string{ntia(linuxBin, ElemSupplier)}},
		{name: "release supplier from metadata", edit: func(m obj) { delete(meta(m)["component"].(obj), "supplier") }},
		{name: "release supplier removed", edit: func(m obj) {
			delete(meta(m)["component"].(obj), "supplier")
			delete(meta(m), "supplier")
		}, want: []string{ntia("cavra-runtime", ElemSupplier)}},
		{name: "authors removed", edit: func(m obj) {
			delete(meta(m), "authors")
			delete(meta(m), "manufacturer")
		}, want: []string{ntia("document", ElemAuthor), bsi("document", ElemCreator)}},
		{name: "authors without contact", edit: func(m obj) {
			meta(m)["authors"] = arr{obj{"name": "CAVRA"}}
			meta(m)["manufacturer"] = obj{"name": "CAVRA"}
		}, want: []string{bsi("document", ElemCreator)}},
		{name: "no timestamp", edit: func(m obj) { delete(meta(m), "timestamp") },
			want: []string{ntia("document", ElemTimestamp), bsi("document", ElemTimestamp)}},
		{name: "creator removed", edit: func(m obj) {
			c := comp(m, mainMod)
			delete(c, "manufacturer")
			delete(c, "authors")
		}, want: []string{bsi(mainMod, ElemCreator)}},
		{name: "creator without contact", edit: func(m obj) {
			c := comp(m, "stdlib")
			c["manufacturer"] = obj{"name": "The Go Authors", "url": arr{"http://go.dev"}}
		}, want: []string{bsi("stdlib", ElemCreator)}},
		{name: "creator as an author with e-mail", edit: func(m obj) {
			c := comp(m, mainMod)
			delete(c, "manufacturer")
		}},
		{name: "no version", edit: func(m obj) { delete(comp(m, source), "version") },
			want: both(source, ElemVersion)},
		{name: "no purl", edit: func(m obj) { delete(comp(m, deb), "purl") },
			want: []string{ntia(deb, ElemIdentifier)}},
		{name: "CPE instead of purl", edit: func(m obj) {
			c := comp(m, "stdlib")
			delete(c, "purl")
		}},
		{name: "SHA-512 removed", edit: func(m obj) {
			c := comp(m, deb)
			c["hashes"] = without(c["hashes"], func(h obj) bool { return h["alg"] == "SHA-512" })
		}, want: []string{bsi(deb, ElemHash)}},
		{name: "licences removed", edit: func(m obj) { delete(comp(m, linuxBin), "licenses") },
			want: []string{bsi(linuxBin, ElemLicence)}},
		{name: "concluded licence removed", edit: func(m obj) {
			c := comp(m, "stdlib")
			c["licenses"] = without(c["licenses"], func(l obj) bool { return l["acknowledgement"] == "concluded" })
		}, want: []string{bsi("stdlib", ElemLicence)}},
		{name: "licence not acknowledged", edit: func(m obj) {
			comp(m, mainMod)["licenses"] = arr{obj{"license": obj{"id": "Apache-2.0"}}}
		}, want: []string{bsi(mainMod, ElemLicence)}},
		{name: "licence by name", edit: func(m obj) {
			c := comp(m, mainMod)
			c["licenses"] = append(c["licenses"].(arr), obj{"license": obj{"name": "Our licence", "acknowledgement": "declared"}})
		}, want: []string{bsi(mainMod, ElemLicence)}},
		{name: "licence ids", edit: func(m obj) {
			comp(m, mainMod)["licenses"] = arr{
				obj{"license": obj{"id": "Apache-2.0", "acknowledgement": "declared"}},
				obj{"license": obj{"id": "Apache-2.0", "acknowledgement": "concluded"}},
			}
		}},
		{name: "file name removed", edit: func(m obj) {
			c := comp(m, darwin)
			c["properties"] = without(c["properties"], func(p obj) bool { return p["name"] == PropFilename })
		}, want: []string{bsi(darwin, ElemFilename)}},
		{name: "file name a path", edit: func(m obj) { prop(comp(m, darwin), PropFilename)["value"] = darwin },
			want: []string{bsi(darwin, ElemFilename)}},
		{name: "structured property removed", edit: func(m obj) {
			c := comp(m, source)
			c["properties"] = without(c["properties"], func(p obj) bool { return p["name"] == PropStructured })
		}, want: []string{bsi(source, ElemStructured)}},
		{name: "archive property unknown value", edit: func(m obj) { prop(comp(m, deb), PropArchive)["value"] = "zip" },
			want: []string{bsi(deb, ElemArchive)}},
		{name: "executable property twice", edit: func(m obj) {
			c := comp(m, linuxBin)
			c["properties"] = append(c["properties"].(arr), obj{"name": PropExecutable, "value": "executable"})
		}, want: []string{bsi(linuxBin, ElemExecutable)}},
		{name: "file typed as a library is still a deployable", edit: func(m obj) {
			c := comp(m, linuxBin)
			c["type"] = "library"
			delete(c, "hashes")
		}, want: []string{bsi(linuxBin, ElemHash)}},
		{name: "stdlib entry removed", edit: func(m obj) {
			ref := stdlibRef(m)
			m["dependencies"] = without(m["dependencies"], func(d obj) bool { return d["ref"] == ref })
		}, want: both("stdlib", ElemDependencies)},
		{name: "binary depends on nothing", edit: func(m obj) { delete(find(m["dependencies"], "ref", darwin), "dependsOn") },
			// and nothing depends on that binary's main module any more
			// (its stdlib: the main module)
			want: append(both(darwin, ElemDependencies), both(mainMod, ElemDependencies)...)},
		{name: "dependency on nothing", edit: func(m obj) {
			d := find(m["dependencies"], "ref", deb)
			d["dependsOn"] = append(d["dependsOn"].(arr), "gone")
		}, want: both(deb, ElemDependencies)},
	}
	runComply(t, doc, CheckCycloneDX, tests)
}

// TestComplianceJSON checks the report's shape: every component is listed
// with its kind and its requirements, and it round-trips.
func TestComplianceJSON(t *testing.T) {
	for _, tt := range []struct {
		name  string
		check func([]byte) (*Compliance, error)
	}{{"compliant.spdx.json", CheckSPDX}, {"compliant.cdx.json", CheckCycloneDX}} {
		c, err := tt.check(fixture(t, tt.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, comp := range c.Components {
			want := 10
			if comp.Kind == KindDeployable {
				want = 15
			}
			if len(comp.Checks) != want {
				t.Errorf("%s: %s (%s): got %d requirements, want %d", tt.name, comp.Name, comp.Kind, len(comp.Checks), want)
			}
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Compliance
		if err := json.Unmarshal(b, &back); err != nil || back.Passed != c.Passed || len(back.Components) != len(c.Components) {
			t.Errorf("%s: does not round-trip: %v", tt.name, err)
		}
	}
	if _, err := CheckSPDX(fixture(t, "compliant.cdx.json")); err == nil || !strings.Contains(err.Error(), `spdxVersion is ""`) {
		t.Errorf("got %v, want the CycloneDX document refused as SPDX", err)
	}
	if _, err := CheckCycloneDX([]byte("{")); err == nil {
		t.Error("got no error for a malformed document")
	}
}

func TestFormatAccepted(t *testing.T) {
	for format, want := range map[string]bool{
		"SPDX-2.3": true, "SPDX-2.2.1": true, "SPDX-2.2.2": true, "SPDX-3.0": true,
		"SPDX-2.2": false, "SPDX-2.1": false, "SPDX-2.02": false, "SPDX-": false,
		"CycloneDX-1.5": true, "CycloneDX-1.6": true, "CycloneDX-1.7": true, "CycloneDX-2.0": true,
		"CycloneDX-1.4": false, "CycloneDX-1": false, "CycloneDX-1.-5": false, "SWID-1.0": false, "": false,
	} {
		if got := formatAccepted(format); got != want {
			t.Errorf("formatAccepted(%q) = %v, want %v", format, got, want)
		}
	}
}

func TestCheckLicense(t *testing.T) {
	for _, tt := range []struct {
		expr, err string
	}{
		{"Apache-2.0", ""},
		{"Apache-2.0 AND BSD-3-Clause", ""},
		{"(Apache-2.0 OR MIT) AND BSD-3-Clause", ""},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0", ""},
		{"GPL-2.0+", ""},
		{"LicenseRef-cavra-1", ""},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", ""},
		{"((MIT))", ""},
		{"", "empty licence expression"},
		{"NOASSERTION", "NOASSERTION names no licence"},
		{"NONE", "NONE names no licence"},
		{"Apache 2.0", `unexpected "2.0"`},
		{"Apache-2.0 AND", "ends where a licence is expected"},
		{"AND MIT", `"AND" is not a licence identifier`},
		{"(MIT", "unbalanced parenthesis"},
		{"MIT)", `unexpected ")"`},
		{"MIT WITH", `"" is not a licence exception`},
		{"Apache-2.0 and MIT", `unexpected "and"`},
		{"LicenseRef-", `"LicenseRef-" is not a licence identifier`},
		{"MIT/X11", `"MIT/X11" is not a licence identifier`},
	} {
		err := CheckLicense(tt.expr)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckLicense(%q) = %v, want %q", tt.expr, err, tt.err)
		}
	}
}

func TestCheckParty(t *testing.T) {
	for _, tt := range []struct {
		name, url, email, err string
	}{
		{"CAVRA", "https://github.com/cavra/cavra", "maintainers@cavra.dev", ""},
		{"The Go Authors", "https://go.dev", "", ""},
		{"", "https://go.dev", "", `name "" is empty`},
		{" CAVRA", "https://go.dev", "", "padded"},
		{"CAVRA (x)", "https://go.dev", "", "parenthesis"},
		{"CAVRA\n", "https://go.dev", "", "padded"},
		{"CA\x00VRA", "https://go.dev", "", "control character"},
		{"CAVRA", "http://cavra.dev", "", `URL "http://cavra.dev" is not an https URL`},
		{"CAVRA", "https://user:pw@cavra.dev", "", "is not an https URL"},
		{"CAVRA", "cavra.dev", "", "is not an https URL"},
		{"CAVRA", "https://cavra.dev", "CAVRA <m@cavra.dev>", "is not a bare address"},
		{"CAVRA", "https://cavra.dev", "not an address", "is not a bare address"},
	} {
		err := CheckParty(tt.name, tt.url, tt.email)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckParty(%q, %q, %q) = %v, want %q", tt.name, tt.url, tt.email, err, tt.err)
		}
	}
}

// BenchmarkCheck checks both compliant documents (3 binaries, a Linux
// package, the source archive; 12 components):
//
//	go test ./sbom/inspect -run '^$' -bench Check
func BenchmarkCheck(b *testing.B) {
	spdxDoc, cdxDoc := fixture(b, "compliant.spdx.json"), fixture(b, "compliant.cdx.json")
	b.SetBytes(int64(len(spdxDoc) + len(cdxDoc)))
	for b.Loop() {
		if c, err := CheckSPDX(spdxDoc); err != nil || !c.OK() {
			b.Fatal(err)
		}
		if c, err := CheckCycloneDX(cdxDoc); err != nil || !c.OK() {
			b.Fatal(err)
		}
	}
}
