// Package upgrade decides whether a candidate cavra-go-runtime package may
// replace the current one, with the standard library alone.
//
// Both packages are verified first (see package verify), each against the
// trusted material the operator supplies for it. Then the candidate must:
//
//	version      be newer by semantic versioning (pre-releases before their release)
//	snapshot     not be a snapshot, unless the current package is one too
//	controls     keep every operator control of the manifest (GOPROXY=off, ...) at its value,
//	             and every control of the release evidence (build.trimpath, sign.provenance, ...)
//	signing      not fall back from a release key to a snapshot key
//	targets      keep every target of the current package
//	packages     keep every Linux package format of the current package
//	key          be signed by the same key, unless key rotation is allowed explicitly or,
//	             with a trust folder, the candidate's key is the targets key of the TUF
//	             root it verified against (the root chain is the rotation's proof)
//	tuf          (with a trust folder) no TUF version of the candidate lower than the
//	             current package's
//
// With a trust folder, the current package is checked as the installed one
// (against the root it carries, which the folder trusted; not for rollback
// or expiry) and the candidate with the whole client workflow, which records
// it in the folder when its verification passes, as verify-go-package
// would.
// Each check is reported PASS or FAIL with the reason; the result passes only
// when every check does.
package upgrade

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/releaseevidence"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/signing/trust"
)

// Options are the trusted inputs of an upgrade check.
type Options struct {
	Current   verify.Options // how to verify the current package
	Candidate verify.Options // how to verify the candidate
	// AllowKeyRotation accepts a candidate signed by another key than the
	// current package (each still verified against its own trusted key).
	AllowKeyRotation bool
}

// Side summarises one of the two packages.
type Side struct {
	Input    string        `json:"input"`
	Version  string        `json:"version,omitempty"`
	Snapshot bool          `json:"snapshot"`
	Key      string        `json:"key,omitempty"` // fingerprint of the package's cosign.pub
	Verify   verify.Status `json:"verify"`
	Failures []string      `json:"failures,omitempty"`
}

// Report is the result of an upgrade check.
type Report struct {
	Current   Side           `json:"current"`
	Candidate Side           `json:"candidate"`
	Checks    []verify.Check `json:"checks"`
	Status    verify.Status  `json:"status"`
}

// OK reports whether the candidate may replace the current package.
func (r *Report) OK() bool { return r.Status == verify.Pass }

func (r *Report) add(name string, errs []string, format string, args ...any) {
	c := verify.Check{Name: name, Status: verify.Pass, Detail: fmt.Sprintf(format, args...)}
	if len(errs) > 0 {
		c.Status, c.Detail = verify.Fail, strings.Join(errs, "; ")
	}
	r.Checks = append(r.Checks, c)
}

// pkgInfo is what the check reads from a verified package.
type pkgInfo struct {
	pkg      *verify.Package
	evidence *releaseevidence.Document
	key      *trust.Key
}

func load(input string, o verify.Options) (*verify.Report, *pkgInfo, error) {
	rep, pkg, err := verify.Path(input, o)
	if err != nil {
		return nil, nil, err
	}
	info := &pkgInfo{pkg: pkg}
	if pkg == nil || pkg.Manifest == nil {
		return rep, info, nil
	}
	if data, ok := pkg.File(layout.EvidenceJSON); ok {
		info.evidence, _ = releaseevidence.Parse(data)
	}
	if data, ok := pkg.File(layout.PublicKey); ok {
		info.key, _ = trust.ParsePublicKey(data)
	}
	return rep, info, nil
}

// Validate checks that candidate may replace current. The error is non-nil
// only when a package cannot be read at all.
func Validate(current, candidate string, o Options) (*Report, error) {
	r := &Report{}
	curRep, cur, err := load(current, o.Current)
	if err != nil {
		return nil, fmt.Errorf("upgrade: current package: %w", err)
	}
	canRep, can, err := load(candidate, o.Candidate)
	if err != nil {
		return nil, fmt.Errorf("upgrade: candidate package: %w", err)
	}
	r.Current = side(current, curRep, cur)
	r.Candidate = side(candidate, canRep, can)
	r.add("verify", append(failures("current", curRep), failures("candidate", canRep)...), "both packages pass verification")
	defer r.finish()
	if cur.pkg == nil || cur.pkg.Manifest == nil || can.pkg == nil || can.pkg.Manifest == nil {
		return r, nil
	}
	cm, nm := cur.pkg.Manifest, can.pkg.Manifest

	// Version.
	var errs []string
	cv, err1 := Parse(cm.Package.Version)
	nv, err2 := Parse(nm.Package.Version)
	switch {
	case err1 != nil:
		errs = append(errs, err1.Error())
	case err2 != nil:
		errs = append(errs, err2.Error())
	case Compare(nv, cv) <= 0:
		errs = append(errs, fmt.Sprintf("candidate %s is not newer than current %s", nm.Package.Version, cm.Package.Version))
	}
	r.add("version", errs, "%s → %s", cm.Package.Version, nm.Package.Version)

	errs = nil
	if nm.Snapshot && !cm.Snapshot {
		errs = append(errs, fmt.Sprintf("candidate %s is a snapshot; the current package is a release", nm.Package.Version))
	}
	r.add("snapshot", errs, "candidate snapshot=%v, current snapshot=%v", nm.Snapshot, cm.Snapshot)

	// Controls.
	errs = nil
	for _, k := range slices.Sorted(maps.Keys(cm.Controls.Env)) {
		v, ok := nm.Controls.Env[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("operator control %s=%s removed", k, cm.Controls.Env[k]))
		case v != cm.Controls.Env[k]:
			errs = append(errs, fmt.Sprintf("operator control %s changed from %q to %q", k, cm.Controls.Env[k], v))
		}
	}
	if cm.Controls.Network != nm.Controls.Network {
		errs = append(errs, fmt.Sprintf("network control changed from %q to %q", cm.Controls.Network, nm.Controls.Network))
	}
	for _, id := range removed(controlIDs(cur.evidence), controlIDs(can.evidence)) {
		errs = append(errs, "release control "+id+" removed")
	}
	r.add("controls", errs, "every reproducibility and signing control kept")

	errs = nil
	if cur.evidence != nil && can.evidence != nil && cur.evidence.Signing.Kind != "snapshot" && can.evidence.Signing.Kind == "snapshot" {
		errs = append(errs, "candidate is signed with a snapshot key; the current package with a release key")
	}
	r.add("signing", errs, "signing kind %s → %s", kind(cur.evidence), kind(can.evidence))

	// Targets and packages.
	errs = nil
	for _, t := range removed(cm.Targets, nm.Targets) {
		errs = append(errs, "target "+t+" removed")
	}
	r.add("targets", errs, "%d → %d targets", len(cm.Targets), len(nm.Targets))
	errs = nil
	for _, p := range removed(packageKinds(cm.Packages), packageKinds(nm.Packages)) {
		errs = append(errs, "package "+p+" removed")
	}
	r.add("packages", errs, "%d → %d Linux packages", len(cm.Packages), len(nm.Packages))

	// Key.
	errs = nil
	switch {
	case cur.key == nil || can.key == nil:
		errs = append(errs, "a package has no usable public key")
	case !cur.key.Equal(can.key) && !o.AllowKeyRotation && !tufRotated(canRep, can):
		errs = append(errs, fmt.Sprintf("signing key changed from %s to %s (use --allow-key-rotation after checking the rotation, or --trust-dir to follow the TUF root chain)", cur.key.Fingerprint(), can.key.Fingerprint()))
	}
	switch {
	case len(errs) > 0:
		r.add("key", errs, "")
	case !cur.key.Equal(can.key) && tufRotated(canRep, can):
		r.add("key", nil, "key rotated from %s to %s by TUF root version %d, signed by the root keys", cur.key.Fingerprint(), can.key.Fingerprint(), canRep.TUF.Versions.Root)
	case !cur.key.Equal(can.key):
		r.add("key", nil, "key rotated from %s to %s (allowed)", cur.key.Fingerprint(), can.key.Fingerprint())
	default:
		r.add("key", nil, "same key %s", cur.key.Fingerprint())
	}

	// TUF versions.
	if ct, nt := curRep.TUF, canRep.TUF; ct != nil && nt != nil {
		errs = nil
		for _, v := range []struct {
			role     string
			cur, can int64
		}{
			{"root", ct.Versions.Root, nt.Versions.Root},
			{"timestamp", ct.Versions.Timestamp, nt.Versions.Timestamp},
			{"snapshot", ct.Versions.Snapshot, nt.Versions.Snapshot},
			{"targets", ct.Versions.Targets, nt.Versions.Targets},
		} {
			if v.can < v.cur {
				errs = append(errs, fmt.Sprintf("%s version %d is lower than the current package's %d", v.role, v.can, v.cur))
			}
		}
		r.add("tuf", errs, "TUF versions %d/%d/%d/%d → %d/%d/%d/%d (root/timestamp/snapshot/targets)",
			ct.Versions.Root, ct.Versions.Timestamp, ct.Versions.Snapshot, ct.Versions.Targets,
			nt.Versions.Root, nt.Versions.Timestamp, nt.Versions.Snapshot, nt.Versions.Targets)
	}
	return r, nil
}

// tufRotated reports whether the candidate passed with a trust folder: its
// key is then the targets key of the TUF root it reached, whose chain
// authorises the change.
func tufRotated(rep *verify.Report, info *pkgInfo) bool {
	return rep.TUF != nil && rep.OK() && info.key != nil && rep.Key == info.key.Fingerprint()
}

func side(input string, rep *verify.Report, info *pkgInfo) Side {
	s := Side{Input: input, Version: rep.Version, Snapshot: rep.Snapshot, Verify: rep.Status, Failures: rep.Errors()}
	if info.key != nil {
		s.Key = info.key.Fingerprint()
	}
	return s
}

func failures(which string, rep *verify.Report) []string {
	if rep.OK() {
		return nil
	}
	return []string{fmt.Sprintf("the %s package fails verification (%d checks: %s)", which, rep.Failed, strings.Join(rep.Errors(), "; "))}
}

func kind(ev *releaseevidence.Document) string {
	if ev == nil {
		return "unknown"
	}
	return ev.Signing.Kind
}

func controlIDs(ev *releaseevidence.Document) []string {
	if ev == nil {
		return nil
	}
	var ids []string
	for _, c := range ev.Controls {
		ids = append(ids, c.ID)
	}
	return ids
}

func packageKinds(ps []manifest.LinuxPackage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Format+" "+p.Target)
	}
	return out
}

// removed returns what old has and new lacks, sorted.
func removed(old, new []string) []string {
	var out []string
	for _, x := range old {
		if !slices.Contains(new, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r *Report) finish() {
	r.Status = verify.Pass
	for _, c := range r.Checks {
		if c.Status == verify.Fail {
			r.Status = verify.Fail
		}
	}
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

// WriteText writes one line per check and a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "upgrade %s (%s) -> %s (%s)\n", r.Current.Input, r.Current.Version, r.Candidate.Input, r.Candidate.Version)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s  %s: %s\n", c.Status, c.Name, c.Detail)
	}
	verdict := "the candidate may replace the current package"
	if !r.OK() {
		verdict = "the candidate must not replace the current package"
	}
	fmt.Fprintf(&b, "%s  %s\n", r.Status, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
