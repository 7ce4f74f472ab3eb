// Package inspect reads the SBOMs of a CAVRA release package with the
// standard library alone, so that an air-gapped verifier can check them
// against the release manifest and against the NTIA minimum elements and
// BSI TR-03183-2.
//
// # Summaries
//
// [SPDX] and [CycloneDX] decode a document made by package
// github.com/cavra/cavra/sbom into a [Summary]: the release it names, the
// Go version, the Go modules linked into the binaries and the SHA-256 of
// each file (binary, Linux package, source archive). They refuse documents
// of another format or spec version, documents larger than [MaxSize], and
// documents that lack or contradict what a summary needs: a described
// release with a version, a creation time, a stdlib package, a SHA-256 for
// every file, one version per module. Errors name the field at fault, as in
//
//	inspect: spdx: packages[2] "SPDXRef-File-bin-linux-amd64-cavra-runtime-2271f5982ed9cb38": checksums: no SHA256
//
// # Compliance
//
// [CheckSPDX] and [CheckCycloneDX] check any SPDX 2.3 or CycloneDX 1.6/1.7
// JSON document against two standards and report every requirement, PASS
// or FAIL, for the document and for each component ([Compliance]):
//
//	standard  for        element       SPDX 2.3                              CycloneDX
//	NTIA      document   author        creators: Organization or Person      metadata.authors or manufacturer
//	NTIA      document   timestamp     creationInfo.created (RFC 3339)       metadata.timestamp
//	BSI       document   format        SPDX >= 2.2.1                         CycloneDX >= 1.5
//	BSI       document   creator       an author's e-mail: "Org (e-mail)"    authors e-mail, manufacturer URL or e-mail
//	BSI       document   timestamp     as NTIA
//	NTIA      component  supplier      supplier: Organization or Person      supplier.name (release: or metadata.supplier)
//	NTIA,BSI  component  name          name                                  name
//	NTIA,BSI  component  version       versionInfo                           version
//	NTIA      component  identifier    externalRefs purl, CPE or SWID        purl, cpe or swid
//	NTIA,BSI  component  dependencies  relationships                         dependencies
//	BSI       component  creator       originator with e-mail, or homepage   manufacturer (URL or e-mail) or authors e-mail
//	BSI       component  licence       licenseDeclared and licenseConcluded  licenses acknowledged declared and concluded
//	BSI       deployable filename      packageFileName (no path)             property bsi:component:filename
//	BSI       deployable hash          checksums SHA512                      hashes SHA-512
//	BSI       deployable executable    annotation bsi:component:executable   property bsi:component:executable
//	BSI       deployable archive       annotation bsi:component:archive      property bsi:component:archive
//	BSI       deployable structured    annotation bsi:component:structured   property bsi:component:structured
//
// BSI is TR-03183-2 v2.0.0, the last version that accepts SPDX 2 (v2.1.0
// asks for SPDX 3.0.1 and would need other mappings); the property names
// and values are those of BSI's CycloneDX taxonomy, carried in SPDX 2.3,
// which has no properties, as annotations "<name>=<value>". A licence
// must be an SPDX licence expression ([CheckLicense]), a creator's contact
// an e-mail address or an https URL. Dependencies pass when the component
// has an entry in the graph (CycloneDX; SPDX has no empty entries), every
// reference from or to it resolves, something contains or depends on it
// (unless it is the release), and, for an executable, it names what it
// contains. A deployable is a file of the release (see [KindDeployable]);
// the release ([KindRelease]) and the modules inside binaries
// ([KindModule]) are no files, so the file fields do not apply to them.
//
// The input may be hostile: it is only decoded with encoding/json into
// small structures and walked, never executed, and decoding never panics.
package inspect

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// MaxSize is the largest document accepted, in bytes.
const MaxSize = 64 << 20

// Summary is what the verifier needs from an SBOM.
type Summary struct {
	Format    string            // "SPDX-2.3" or "CycloneDX-1.7" (spec version as found)
	Name      string            // document/component name
	Version   string            // the runtime version the document names (main module version)
	GoVersion string            // version of the stdlib package, e.g. "go1.26.8"
	Created   time.Time         // creation time, UTC
	Snapshot  bool              // the document says cavra:snapshot=true
	Modules   map[string]string // Go module path -> version, main module included
	Files     map[string]string // package path of each binary -> sha256
}

// summary collects a Summary and the first error, each error prefixed
// with the format's name.
type summary struct {
	Summary
	kind     string // "spdx" or "cyclonedx"
	mainPURL string // purl of the described release
	stdlib   string // where GoVersion was found
}

func newSummary(kind string) *summary {
	return &summary{
		Summary: Summary{Modules: map[string]string{}, Files: map[string]string{}},
		kind:    kind,
	}
}

func (s *summary) errorf(format string, args ...any) error {
	return fmt.Errorf("inspect: "+s.kind+": "+format, args...)
}

func checkSize(kind string, data []byte) error {
	if len(data) > MaxSize {
		return fmt.Errorf("inspect: %s: document is %d bytes, more than %d", kind, len(data), MaxSize)
	}
	if len(data) == 0 {
		return fmt.Errorf("inspect: %s: empty document", kind)
	}
	return nil
}

// decode decodes a document of the format kind into v, after checking its
// size and that no key repeats: keys that repeat, or differ only in case,
// would let two readers of one document see different things.
func decode(kind string, data []byte, v any) error {
	if err := checkSize(kind, data); err != nil {
		return err
	}
	if err := strictjson.CheckDuplicates(data); err != nil {
		return fmt.Errorf("inspect: %s: %w", kind, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("inspect: %s: %w", kind, err)
	}
	return nil
}

func (s *summary) created(field, v string) error {
	if v == "" {
		return s.errorf("%s: missing", field)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return s.errorf("%s: %w", field, err)
	}
	s.Created = t.UTC()
	return nil
}

func (s *summary) snapshot(field, v string) error {
	switch v {
	case "true":
		s.Snapshot = true
	case "false":
		s.Snapshot = false
	default:
		return s.errorf("%s: cavra:snapshot is %q, want true or false", field, v)
	}
	return nil
}

// pkg adds a package with a package URL to the summary: stdlib gives the
// Go version, any other Go module its version. Packages of other types are
// not summarized.
func (s *summary) pkg(field, name, version, purl string) error {
	module, _, ok := golangPURL(purl)
	if !ok {
		return nil
	}
	if name == "" {
		return s.errorf("%s: Go package without a name", field)
	}
	if name == "stdlib" && module == "stdlib" {
		if version == "" {
			return s.errorf("%s: stdlib without a version", field)
		}
		if s.GoVersion != "" && s.GoVersion != version {
			return s.errorf("%s: stdlib at %s, but %s says %s", field, version, s.stdlib, s.GoVersion)
		}
		s.GoVersion, s.stdlib = version, field
		return nil
	}
	if v, ok := s.Modules[name]; ok && v != version {
		return s.errorf("%s: module %s at %q and at %q", field, name, version, v)
	}
	s.Modules[name] = version
	return nil
}

// file adds a file and its SHA-256 to the summary.
func (s *summary) file(field, name, sha256 string) error {
	p := strings.TrimPrefix(name, "./")
	if p == "" || p == "." || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return s.errorf("%s: file name %q is not a clean relative path", field, name)
	}
	if sha256 == "" {
		return s.errorf("%s: no SHA-256", field)
	}
	if len(sha256) != 64 {
		return s.errorf("%s: SHA-256 %q is not 64 hex digits", field, sha256)
	}
	if _, err := hex.DecodeString(sha256); err != nil {
		return s.errorf("%s: SHA-256 %q is not 64 hex digits", field, sha256)
	}
	if _, ok := s.Files[p]; ok {
		return s.errorf("%s: file %s listed twice", field, p)
	}
	s.Files[p] = strings.ToLower(sha256)
	return nil
}

// finish checks what every summary needs.
func (s *summary) finish() (*Summary, error) {
	switch {
	case s.Name == "":
		return nil, s.errorf("no document name")
	case s.Version == "":
		return nil, s.errorf("the described release has no version")
	case s.GoVersion == "":
		return nil, s.errorf("no stdlib package (Go version)")
	}
	module, version, ok := golangPURL(s.mainPURL)
	if !ok {
		return nil, s.errorf("the described release has no pkg:golang purl (%q)", s.mainPURL)
	}
	if version != s.Version {
		return nil, s.errorf("the described release is %s, but its purl says %s", s.Version, version)
	}
	if v, ok := s.Modules[module]; !ok {
		return nil, s.errorf("main module %s is not listed", module)
	} else if v != s.Version {
		return nil, s.errorf("main module %s is at %s, but the release is %s", module, v, s.Version)
	}
	return &s.Summary, nil
}

// golangPURL splits a package URL of type golang into module path and
// version: "pkg:golang/github.com/cavra/cavra@v1.2.3?x=y" gives
// "github.com/cavra/cavra", "v1.2.3".
func golangPURL(purl string) (module, version string, ok bool) {
	rest, ok := strings.CutPrefix(purl, "pkg:golang/")
	if !ok {
		return "", "", false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest, version = rest[:i], rest[i+1:]
		v, err := url.PathUnescape(version)
		if err != nil {
			return "", "", false
		}
		version = v
	}
	m, err := url.PathUnescape(rest)
	if err != nil || m == "" {
		return "", "", false
	}
	return m, version, true
}
