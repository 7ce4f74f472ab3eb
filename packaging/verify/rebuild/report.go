package rebuild

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/packaging/format/explain"
	"github.com/cavra/cavra/packaging/verify"
)

// Report is the rebuild evidence: what was rebuilt, where, how, and with
// what result, per target.
type Report struct {
	Input          string            `json:"input"`
	Package        string            `json:"package"`
	Version        string            `json:"version,omitempty"`
	Commit         string            `json:"commit,omitempty"`
	Snapshot       bool              `json:"snapshot"`
	ManifestSHA256 string            `json:"manifest_sha256,omitempty"`
	Verify         VerifySummary     `json:"verify"`
	Host           Host              `json:"host"`
	Controls       map[string]string `json:"controls"`    // set on top of every build
	Cache          string            `json:"build_cache"` // "user" or "fresh"
	Targets        []Target          `json:"targets"`
	Status         verify.Status     `json:"status"` // PASS only when no target failed and one passed
	Error          string            `json:"error,omitempty"`
	// Attestation is the signed rebuild attestation, when the rebuild
	// was asked to sign one; AttestationError says why none was signed.
	Attestation      *Attested `json:"attestation,omitempty"`
	AttestationError string    `json:"attestation_error,omitempty"`
	Started          string    `json:"started"`
	Seconds          float64   `json:"seconds"`
}

// VerifySummary is the outcome of the verification that precedes a rebuild.
type VerifySummary struct {
	Status   verify.Status `json:"status"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Failures []string      `json:"failures,omitempty"`
	Trust    string        `json:"trust,omitempty"`
	// Signers are the keyless signers the verification checked: who
	// signed the package and when.
	Signers []verify.Signer `json:"signers,omitempty"`
	// TrustedRoot is the Sigstore trusted root the keyless bundles were
	// checked against, and what vouched for it.
	TrustedRoot *verify.TrustedRoot `json:"trusted_root,omitempty"`
}

// Host describes the machine that rebuilt.
type Host struct {
	OS        string            `json:"os"`
	Arch      string            `json:"arch"`
	Name      string            `json:"hostname"`
	GoVersion string            `json:"go_version"`
	GoFound   string            `json:"go_found,omitempty"` // how the toolchain was found, e.g. "go on PATH"
	GoEnv     map[string]string `json:"go_env"`
}

// Target is the rebuild of one target.
type Target struct {
	Target       string               `json:"target"`
	Binary       string               `json:"binary"`
	Status       verify.Status        `json:"status"`
	Expected     string               `json:"expected_sha256,omitempty"`
	Actual       string               `json:"actual_sha256,omitempty"`
	ExpectedSize int64                `json:"expected_size_bytes,omitempty"`
	ActualSize   int64                `json:"actual_size_bytes,omitempty"`
	Command      string               `json:"command,omitempty"`
	Detail       string               `json:"detail,omitempty"`
	Differences  []explain.Difference `json:"differences,omitempty"`
	Seconds      float64              `json:"seconds"`
}

// OK reports whether the rebuild passed.
func (r *Report) OK() bool { return r.Status == verify.Pass }

func (r *Report) finish(start time.Time) {
	r.Seconds = time.Since(start).Seconds()
	pass, fail, _ := r.Counts()
	r.Status = verify.Pass
	if fail > 0 || pass == 0 || r.Error != "" || r.Verify.Status != verify.Pass {
		r.Status = verify.Fail
	}
}

// Counts returns the number of targets that passed, failed and were skipped.
func (r *Report) Counts() (pass, fail, skip int) {
	for _, t := range r.Targets {
		switch t.Status {
		case verify.Pass:
			pass++
		case verify.Fail:
			fail++
		default:
			skip++
		}
	}
	return
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

// WriteText writes the short form for a terminal: one line per target and
// a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	version := "version unknown (no readable manifest)"
	if r.Version != "" {
		version = "version " + r.Version
	}
	fmt.Fprintf(&b, "rebuild %s: %s\n", r.Input, version)
	fmt.Fprintf(&b, "%s  verify: %d passed, %d failed\n", r.Verify.Status, r.Verify.Passed, r.Verify.Failed)
	for _, s := range r.Verify.Signers {
		fmt.Fprintf(&b, "PASS  keyless: %s signed by %s (%s), log index %d\n", s.Signs, s.Identity, s.Issuer, s.LogIndex)
	}
	for _, f := range r.Verify.Failures {
		fmt.Fprintf(&b, "FAIL  %s\n", f)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "FAIL  rebuild: %s\n", r.Error)
	}
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "%s  %s: %s\n", t.Status, t.Binary, t.Detail)
	}
	if a := r.Attestation; a != nil {
		fmt.Fprintf(&b, "%s  attestation: %s and %s: %s, %d binaries, rebuilder %s, key %s\n", r.Status, a.File, a.Bundle, a.Result, a.Subjects, a.Rebuilder, a.Key)
	}
	if r.AttestationError != "" {
		fmt.Fprintf(&b, "FAIL  attestation: %s\n", r.AttestationError)
	}
	pass, fail, skip := r.Counts()
	fmt.Fprintf(&b, "%s  %s %s%s: %d rebuilt and matched, %d failed, %d skipped\n", r.Status, r.Package, r.Version, snap(r.Snapshot), pass, fail, skip)
	_, err := io.WriteString(w, b.String())
	return err
}

func snap(s bool) string {
	if s {
		return " SNAPSHOT"
	}
	return ""
}

// WriteMarkdown writes the evidence for people, rendered from the data.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rebuild evidence: %s %s%s\n\n", r.Package, r.Version, snap(r.Snapshot))
	fmt.Fprintf(&b, "**Result: %s**\n\n", r.Status)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, mdEscape(v)) }
	row("Input", r.Input)
	row("Commit", r.Commit)
	row("Manifest SHA-256", r.ManifestSHA256)
	row("Verification", fmt.Sprintf("%s (%d passed, %d failed)", r.Verify.Status, r.Verify.Passed, r.Verify.Failed))
	if r.Verify.Trust != "" {
		row("Trust", r.Verify.Trust)
	}
	for _, s := range r.Verify.Signers {
		row("Signed keyless ("+s.Signs+")", fmt.Sprintf("%s (%s), %s %s at %s, log index %d integrated %s",
			s.Identity, s.Issuer, s.Repository, s.Ref, s.Commit, s.LogIndex, s.IntegratedTime.UTC().Format(time.RFC3339)))
	}
	row("Host", fmt.Sprintf("%s %s/%s", r.Host.Name, r.Host.OS, r.Host.Arch))
	if r.Host.GoFound != "" {
		row("Go", r.Host.GoVersion+" ("+r.Host.GoFound+")")
	} else {
		row("Go", r.Host.GoVersion)
	}
	row("Build cache", r.Cache)
	row("Started", r.Started)
	row("Duration", fmt.Sprintf("%.2fs", r.Seconds))
	if r.Error != "" {
		row("Error", r.Error)
	}
	if a := r.Attestation; a != nil {
		row("Attestation", fmt.Sprintf("%s (%s, %s): %s, verified levels %s", a.File, a.Rebuilder, a.Key, a.Result, strings.Join(a.Levels, ", ")))
	}
	if r.AttestationError != "" {
		row("Attestation", r.AttestationError)
	}
	fmt.Fprintf(&b, "\n## Targets\n\n| Target | Result | Expected SHA-256 | Rebuilt SHA-256 | Time |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2fs |\n", t.Target, t.Status, t.Expected, t.Actual, t.Seconds)
	}
	for _, t := range r.Targets {
		if t.Status != verify.Pass {
			fmt.Fprintf(&b, "\n- %s %s: %s\n", t.Status, t.Target, mdEscape(t.Detail))
			for _, d := range t.Differences {
				fmt.Fprintf(&b, "  - %s\n", mdEscape(d.Detail))
			}
		}
	}
	fmt.Fprintf(&b, "\n## Controls applied to every build\n\n")
	for _, k := range slices.Sorted(maps.Keys(r.Controls)) {
		fmt.Fprintf(&b, "- `%s=%s`\n", k, r.Controls[k])
	}
	fmt.Fprintf(&b, "\n## go env\n\n")
	for _, k := range slices.Sorted(maps.Keys(r.Host.GoEnv)) {
		fmt.Fprintf(&b, "- `%s=%s`\n", k, r.Host.GoEnv[k])
	}
	if len(r.Targets) > 0 && r.Targets[0].Command != "" {
		fmt.Fprintf(&b, "\n## Commands\n\n")
		for _, t := range r.Targets {
			if t.Command != "" {
				fmt.Fprintf(&b, "- %s: `%s`\n", t.Target, t.Command)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// write writes both evidence files into dir.
func (r *Report) write(dir string) error {
	return writeFiles(dir, []outFile{{EvidenceJSON, r.WriteJSON}, {EvidenceMD, r.WriteMarkdown}})
}

// outFile is a file of the output folder and what writes it.
type outFile struct {
	name  string
	write func(io.Writer) error
}

// writeFiles writes each file into dir through a temporary file, so that a
// reader never sees half of one, mode 0644.
func writeFiles(dir string, files []outFile) error {
	for _, f := range files {
		if err := atomicfile.WriteFunc(filepath.Join(dir, f.name), 0o644, f.write); err != nil {
			return fmt.Errorf("rebuild: write %s: %w", f.name, err)
		}
	}
	return nil
}
