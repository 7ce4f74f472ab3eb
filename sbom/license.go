package sbom

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/licensecheck"
)

// minCoverage is the share of a licence file, in per cent of its words,
// that must be the one licence found.
const minCoverage = 90

// Prepare starts building licensecheck's matcher of every licence it knows
// (about a second of CPU, once per process) in the background, so that
// [LicenseOf] finds it ready. The release calls it when the step before
// this package's step runs rather than comes from the step cache: then this
// step runs too.
func Prepare() { prepare.Do(func() { go licensecheck.Scan(nil) }) }

var prepare sync.Once

// LicenseOf returns the SPDX identifier of the licence whose text data is,
// such as a LICENSE file, found with github.com/google/licensecheck. A
// text that holds no licence, several licences, or a licence and much
// else is refused.
func LicenseOf(data []byte) (string, error) {
	cov := licensecheck.Scan(data)
	var ids []string
	for _, m := range cov.Match {
		if !m.IsURL && !slices.Contains(ids, m.ID) {
			ids = append(ids, m.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("no licence text found")
	case len(ids) > 1:
		return "", fmt.Errorf("%d licences found (%s), want one", len(ids), strings.Join(ids, ", "))
	case cov.Percent < minCoverage:
		return "", fmt.Errorf("%s covers only %.0f%% of the text, want %d%%", ids[0], cov.Percent, minCoverage)
	}
	return ids[0], nil
}
