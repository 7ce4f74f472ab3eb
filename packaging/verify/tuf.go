package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/signingops"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing/trust"
)

// TUF is what a report says of the TUF check, when a trust folder was
// given.
type TUF struct {
	TrustDir  string             `json:"trust_dir"`
	At        string             `json:"at"`                 // the time expiry was checked at
	AtGiven   bool               `json:"at_given,omitempty"` // --at: not the current time
	Installed bool               `json:"installed,omitempty"`
	Versions  tufclient.Versions `json:"versions"`
	Walked    []int64            `json:"root_versions_walked,omitempty"`
	Recorded  bool               `json:"recorded"` // state.json records this package
}

// at returns the time expiry and key ages are checked at.
func (o *Options) at() time.Time {
	if !o.At.IsZero() {
		return o.At
	}
	return time.Now()
}

var tufChecks = map[string]string{
	tufclient.StepRoot:      CheckTUFRoot,
	tufclient.StepTimestamp: CheckTUFTimestamp,
	tufclient.StepSnapshot:  CheckTUFSnapshot,
	tufclient.StepTargets:   CheckTUFTargets,
	tufclient.StepFiles:     CheckTUFFiles,
}

// checkTUF runs the TUF client on the package's trust/ metadata and every
// file, when the operator gave a trust folder.
func checkTUF(r *Report, pkg *Package, m *manifest.Manifest, o Options) *tufclient.Result {
	if o.TUF == nil {
		return nil
	}
	r.TUF = &TUF{TrustDir: o.TUF.Dir, At: o.TUF.At.UTC().Format(tuf.TimeFormat), AtGiven: !o.At.IsZero(), Installed: o.TUFInstalled}
	if !o.At.IsZero() {
		r.warn("TUF expiry and key ages are checked as of %s (--at), not the current time", r.TUF.At)
	}
	p := tufclient.Package{Metadata: map[string][]byte{}, Files: map[string]tufclient.File{}, Version: m.Package.Version, Commit: m.Package.Commit}
	for name, c := range pkg.files {
		if tuf.IsMetadata(name) {
			data, _ := pkg.bytes(name)
			p.Metadata[name] = data
			continue
		}
		p.Files[name] = tufclient.File{Length: c.size, SHA256: c.sha256, SHA512: c.sha512, Err: c.err}
	}
	var res *tufclient.Result
	if o.TUFInstalled {
		res = o.TUF.CheckInstalled(p)
	} else {
		res = o.TUF.Update(p)
	}
	for _, s := range res.Steps {
		name := tufChecks[s.Step]
		if s.OK {
			r.pass(name, s.File, "%s", s.Detail)
		} else {
			r.fail(name, s.File, "%s", s.Detail)
		}
	}
	if res.Forgot {
		r.warn("the timestamp or snapshot keys changed in the new root: the trusted timestamp and snapshot versions were forgotten (specification 5.3.11)")
	}
	r.TUF.Versions, r.TUF.Walked = res.Versions, res.Walked
	return res
}

// tufKeys returns the targets keys of the trusted root.
func tufKeys(res *tufclient.Result) []*trust.Key {
	if res == nil || res.Root == nil {
		return nil
	}
	pubs, _ := res.Root.RoleKeys(tuf.RoleTargets)
	var keys []*trust.Key
	for _, p := range pubs {
		if k, err := trust.NewKey(p); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

// commitTUF records the package in the trust folder, once every check of
// it has passed.
func commitTUF(r *Report, res *tufclient.Result, o Options) {
	if o.TUF == nil || res == nil || o.TUFInstalled {
		return
	}
	for _, c := range r.Checks {
		if c.Status == Fail {
			r.skip(CheckTUFState, tufclient.StateFile, "not recorded: the package failed; %s is unchanged", o.TUF.Dir)
			return
		}
	}
	if err := o.TUF.Commit(res, r.Package, time.Now()); err != nil {
		r.fail(CheckTUFState, tufclient.StateFile, "%s: %v", o.TUF.Dir, err)
		return
	}
	r.TUF.Recorded = true
	v := res.Versions
	r.pass(CheckTUFState, tufclient.StateFile, "recorded in %s: root %d, timestamp %d, snapshot %d, targets %d; an older package is a rollback from now on", o.TUF.Dir, v.Root, v.Timestamp, v.Snapshot, v.Targets)
}

// checkSigningOps checks cavra-runtime.signing-operations.json: of this
// release, in agreement with the root (the trusted one when a trust folder
// was given and the record describes it, else the package's newest), naming
// cosign.pub as a targets key; and reports keys past their rotation age,
// failing on them with --require-rotation-policy.
func checkSigningOps(r *Report, pkg *Package, m *manifest.Manifest, res *tufclient.Result, o Options) {
	name := layout.SigningOps
	data, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	doc, err := signingops.Parse(data)
	if err != nil {
		r.fail(CheckSigningOps, name, "%v", err)
		return
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if p := doc.Package; p == nil || p.Version != m.Package.Version || p.Commit != m.Package.Commit || p.Snapshot != m.Snapshot {
		bad("package identity disagrees with the manifest")
	}
	// The root to compare with.
	var newest int64
	for f := range pkg.files {
		if v, ok := tuf.RootVersion(f); ok {
			newest = max(newest, v)
		}
	}
	var root *tuf.Root
	from := "the package's root"
	switch {
	case res != nil && res.Root != nil && res.Root.Version == doc.RootVersion:
		root, from = res.Root, "the trusted root"
	case doc.RootVersion != newest:
		bad("describes root version %d; the package's newest root is version %d", doc.RootVersion, newest)
	default:
		if rb, err := pkg.bytes(tuf.Path(tuf.RoleRoot, newest)); err != nil {
			bad("root version %d: %v", newest, err)
		} else if rm, err := tuf.Parse(rb, tuf.RoleRoot); err != nil {
			bad("root version %d: %v", newest, err)
		} else if root, err = rm.Root(); err != nil {
			bad("root version %d: %v", newest, err)
		}
	}
	if root != nil {
		if err := doc.CheckRoot(root); err != nil {
			for _, e := range strings.Split(err.Error(), "\n") {
				bad("%s version %d: %s", from, root.Version, e)
			}
		}
	}
	if own, ok := pkg.File(layout.PublicKey); ok {
		if k, err := trust.ParsePublicKey(own); err == nil {
			if tk, err := tuf.NewKey(k.Public()); err != nil {
				bad("%s: %v", layout.PublicKey, err)
			} else if id, _ := tk.ID(); !slices.ContainsFunc(doc.Role(tuf.RoleTargets).Keys, func(k signingops.Key) bool { return k.KeyID == id }) {
				bad("%s (TUF key %s) is not a targets key of the record", layout.PublicKey, tuf.Short(id))
			}
		}
	}
	due := doc.Overdue(o.at())
	for _, d := range due {
		if o.RequireRotationPolicy {
			bad("%s (--require-rotation-policy)", d)
		} else {
			r.warn("%s: %s; rotate it (go run mage.go trust:rotate %s); --require-rotation-policy fails on it", name, d, d.Role)
		}
	}
	var roles []string
	for _, role := range doc.Roles {
		roles = append(roles, fmt.Sprintf("%s %d of %d", role.Name, role.Threshold, len(role.Keys)))
	}
	summary := fmt.Sprintf("root version %d: %s; %d revocation(s)", doc.RootVersion, strings.Join(roles, ", "), len(doc.Revocations))
	if len(due) == 0 {
		summary += "; no key past its rotation age"
	} else {
		summary += fmt.Sprintf("; %d key(s) past their rotation age", len(due))
	}
	report(r, CheckSigningOps, name, errs, "%s", summary)
}
