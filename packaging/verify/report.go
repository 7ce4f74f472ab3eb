package verify

import (
	"fmt"
	"io"
	"strings"

	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/sbom/inspect"
)

// Status is the outcome of one check.
type Status string

// The outcomes. A SKIP is never counted as a PASS: a report with a skipped
// check and no failure says so in its summary.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Check is the result of one check of one file.
type Check struct {
	Name   string `json:"check"`          // what was checked, e.g. "checksum", "buildinfo"
	File   string `json:"file,omitempty"` // the file checked, relative to the package root
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"` // why it failed or was skipped; what passed
}

// Report is the result of verifying one package.
type Report struct {
	Input          string  `json:"input"`             // the zip or folder given
	Package        string  `json:"package"`           // the package's top folder name
	Version        string  `json:"version,omitempty"` // from the manifest, once it parsed
	Commit         string  `json:"commit,omitempty"`
	Snapshot       bool    `json:"snapshot"`
	ManifestSHA256 string  `json:"manifest_sha256,omitempty"`
	Trust          string  `json:"trust"`                     // the key signatures were checked against, UNSIGNED, or NO TRUSTED KEY
	Key            string  `json:"key_fingerprint,omitempty"` // the trusted key's fingerprint, when signatures were checked
	Status         Status  `json:"status"`                    // FAIL if any check failed, else PASS
	Passed         int     `json:"passed"`
	Failed         int     `json:"failed"`
	Skipped        int     `json:"skipped"`
	Checks         []Check `json:"checks"`

	// SBOMCompliance holds, for each SBOM that could be read, every
	// requirement of the NTIA minimum elements and BSI TR-03183-2 for
	// the document and each component; the checks sbom.ntia and sbom.bsi
	// sum it up.
	SBOMCompliance []SBOMCompliance `json:"sbom_compliance,omitempty"`

	// Signers holds, for each keyless bundle beside the package that
	// verified, who signed it and when: identity, issuer, repository,
	// ref, commit, log index and integration time.
	Signers []Signer `json:"signers,omitempty"`
	// TrustedRoot says which Sigstore trusted root the keyless bundles
	// were checked against, and what vouched for it, when any was used.
	TrustedRoot *TrustedRoot `json:"trusted_root,omitempty"`

	// VEX holds what the package's vulnerability evidence states, once
	// its OpenVEX document parsed; the checks vex, vex.cyclonedx, vulns
	// and vulns.bundle say whether it holds.
	VEX *VEX `json:"vex,omitempty"`

	// Rebuilders holds, for each rebuild attestation given, who signed
	// it, its verdict and time, and whether it counted, failed the
	// package or was ignored; the checks rebuild.attestation and
	// rebuild.policy sum it up.
	Rebuilders []Rebuilder `json:"rebuilders,omitempty"`

	// TUF says what the TUF check saw, when a trust folder was given.
	TUF *TUF `json:"tuf,omitempty"`

	// Warnings are what the operator should know that fails nothing:
	// expiry checked at another time (--at), keys past their rotation
	// age.
	Warnings []string `json:"warnings,omitempty"`
}

// SBOMCompliance is the compliance of one SBOM of the package.
type SBOMCompliance struct {
	File string `json:"file"`
	*inspect.Compliance
}

// OK reports whether every check passed or was skipped.
func (r *Report) OK() bool { return r.Status == Pass }

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func (r *Report) pass(name, file, format string, args ...any) {
	r.add(Check{Name: name, File: file, Status: Pass, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) fail(name, file, format string, args ...any) {
	r.add(Check{Name: name, File: file, Status: Fail, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) skip(name, file, format string, args ...any) {
	r.add(Check{Name: name, File: file, Status: Skip, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// finish computes the totals and the status.
func (r *Report) finish() {
	r.Passed, r.Failed, r.Skipped = 0, 0, 0
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			r.Passed++
		case Fail:
			r.Failed++
		case Skip:
			r.Skipped++
		}
	}
	r.Status = Pass
	if r.Failed > 0 || r.Passed == 0 {
		r.Status = Fail
	}
}

// Errors returns the failed checks as "file: check: detail" lines.
func (r *Report) Errors() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c.String())
		}
	}
	return out
}

// String renders one check as "file: check: detail".
func (c Check) String() string {
	var b strings.Builder
	if c.File != "" {
		b.WriteString(c.File + ": ")
	}
	b.WriteString(c.Name)
	if c.Detail != "" {
		b.WriteString(": " + c.Detail)
	}
	return b.String()
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

// WriteText writes r for people: one line per check, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "verify %s: %s\n", r.Input, r.identity())
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "WARN  %s\n", w)
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s  %s\n", c.Status, c)
	}
	label := ""
	if r.Snapshot {
		label = " SNAPSHOT"
	}
	fmt.Fprintf(&b, "%s  %s %s%s, %s: %d passed, %d failed, %d skipped\n", r.Status, r.Package, r.Version, label, r.Trust, r.Passed, r.Failed, r.Skipped)
	_, err := io.WriteString(w, b.String())
	return err
}

// identity names the package's version as its manifest gives it, for the
// first line of a report.
func (r *Report) identity() string {
	if r.Version == "" {
		return "version unknown (no readable manifest)"
	}
	s := "version " + r.Version
	if r.Snapshot {
		s += " (SNAPSHOT)"
	}
	if r.Commit != "" {
		s += ", commit " + r.Commit
	}
	return s
}
