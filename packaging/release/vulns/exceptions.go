package vulns

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/format/vulndb"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// ExceptionsFile is the reviewed list of exceptions to the release's
// vulnerability policy, at the module root of the source archive (the
// repository's vex/exceptions.yaml, as committed).
const ExceptionsFile = "vex/exceptions.yaml"

// Exception says why a vulnerability that affects the binaries (reachable
// or not) may ship: it becomes not_affected with this justification and
// impact statement in the VEX documents, which name the reviewer and date.
//
//	exceptions:
//	  - id: GO-2026-0001          # the database's id (or an alias: CVE-..., GHSA-...)
//	    justification: vulnerable_code_cannot_be_controlled_by_adversary
//	    impact: The runtime parses only ... so an attacker never controls ...
//	    reviewed_by: Jane Doe <jane@example.com>
//	    reviewed_on: 2026-11-06
//
// The justification is one of OpenVEX's. An exception that matches no
// vulnerability affecting the release fails it: a stale exception is
// removed, not kept.
type Exception struct {
	ID            string `yaml:"id"`
	Justification string `yaml:"justification"`
	Impact        string `yaml:"impact"`
	ReviewedBy    string `yaml:"reviewed_by"`
	ReviewedOn    string `yaml:"reviewed_on"`
}

// maxExceptions bounds the exceptions file.
const maxExceptions = 1 << 20

// ReadExceptions reads and checks the exceptions of the release's source
// archive; none when it has no exceptions file.
func ReadExceptions(s *release.State) ([]Exception, error) {
	src := s.Artifacts.Of(artifact.Source)
	if len(src) != 1 {
		return nil, fmt.Errorf("vulns: found %d source archives, want 1", len(src))
	}
	name := layout.SourceRoot(s.Config.Version) + "/" + path.Join(s.Config.ModuleDir, ExceptionsFile)
	data, err := readFromArchive(filepath.Join(s.Dir, filepath.FromSlash(src[0].Path)), name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vulns: %s!%s: %w", src[0].Path, name, err)
	}
	ex, err := ParseExceptions(data)
	if err != nil {
		return nil, fmt.Errorf("vulns: %s: %w", ExceptionsFile, err)
	}
	return ex, nil
}

// ParseExceptions decodes an exceptions file strictly (no unknown keys)
// and checks every exception: an id given once, one of OpenVEX's
// justifications, an impact statement, a reviewer and a date (YYYY-MM-DD).
func ParseExceptions(data []byte) ([]Exception, error) {
	var doc struct {
		Exceptions []Exception `yaml:"exceptions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, err
	}
	seen := map[string]bool{}
	for i, e := range doc.Exceptions {
		where := fmt.Sprintf("exception %d (%s)", i+1, e.ID)
		switch {
		case strings.TrimSpace(e.ID) == "":
			return nil, fmt.Errorf("%s: no id", where)
		case seen[e.ID]:
			return nil, fmt.Errorf("%s: the id is given twice", where)
		case !slices.Contains(vex.Justifications, e.Justification):
			return nil, fmt.Errorf("%s: justification %q is not one of OpenVEX's: %s", where, e.Justification, strings.Join(vex.Justifications, ", "))
		case strings.TrimSpace(e.Impact) == "":
			return nil, fmt.Errorf("%s: no impact statement: say why the vulnerability does not matter here", where)
		case strings.TrimSpace(e.ReviewedBy) == "":
			return nil, fmt.Errorf("%s: no reviewed_by: who reviewed it", where)
		}
		if _, err := time.Parse(time.DateOnly, e.ReviewedOn); err != nil {
			return nil, fmt.Errorf("%s: reviewed_on %q is not a date (YYYY-MM-DD)", where, e.ReviewedOn)
		}
		seen[e.ID] = true
		doc.Exceptions[i].Impact = strings.TrimSpace(e.Impact)
	}
	return doc.Exceptions, nil
}

// findException returns the exception naming e by its id or an alias.
func findException(ex []Exception, e *vulndb.Entry) *Exception {
	for i := range ex {
		if ex[i].ID == e.ID || slices.Contains(e.Aliases, ex[i].ID) {
			return &ex[i]
		}
	}
	return nil
}

// readFromArchive returns the regular file name of a tar.gz archive.
func readFromArchive(archive, name string) ([]byte, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, os.ErrNotExist
		}
		if err != nil {
			return nil, err
		}
		if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxExceptions+1))
		if err != nil {
			return nil, err
		}
		if len(data) > maxExceptions {
			return nil, fmt.Errorf("larger than %d bytes", maxExceptions)
		}
		return data, nil
	}
}
