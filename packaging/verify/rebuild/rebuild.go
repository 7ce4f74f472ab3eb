// Package rebuild rebuilds the binaries of a cavra-go-runtime package from the
// source archive it ships and compares their SHA-256 digests with the
// manifest, with the standard library and a Go toolchain alone.
//
// A rebuild first verifies the package (see package verify), then finds the
// Go toolchain the manifest records on this machine (build.FindGo: -go, else
// go on PATH when it is that version, else go1.x.y on PATH, else the module
// cache; never a download) or says how to install it, extracts the
// source archive into a work folder inside the output folder, and runs each
// target's recorded build command, as data (environment map and argv, never
// a shell string), under the operator controls: GOPROXY=off, GOSUMDB=off,
// GOFLAGS=-trimpath -mod=readonly -buildvcs=false, GOTOOLCHAIN=local,
// GOWORK=off, GOENV=off. Nothing needs the network.
//
// When a digest differs, the rebuild explains why, as gorebuild does (see
// package explain): the build settings embedded in the shipped and the
// rebuilt binary that differ (toolchain, settings, dependencies), then the
// first differing section of the executable with its offset.
//
// The evidence, rebuild-evidence.json and rebuild-evidence.md, is written to
// the output folder, never into the package, which stays verifiable. With
// a rebuilder's key ([Options].Sign) the rebuild also signs its verdict
// there, as rebuild.intoto.jsonl and rebuild.sigstore.json: a SLSA
// verification summary whose subjects are the rebuilt binaries (see package
// attestation). A rebuild that could not start for the rebuilder's own
// reasons (another Go toolchain) signs nothing: it has no verdict.
package rebuild

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cavra/cavra/internal/progress"
	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/explain"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
)

// Options control a rebuild.
type Options struct {
	Verify  verify.Options // what the package must be
	Targets []build.Target // the targets to rebuild; nil means all
	Out     string         // folder for the evidence; "" means the current folder
	// Go is the go command, which must be the manifest's version; ""
	// means that version found on this machine (see build.FindGo).
	Go string
	// FreshCache builds with an empty build cache in the work folder, so
	// that nothing is reused from earlier builds on this machine (slower:
	// the standard library is compiled for every target).
	FreshCache bool
	// Log receives one line per finished target; nil means none.
	Log io.Writer

	// Sign, when set, signs a rebuild attestation with the rebuilder's
	// key and writes it into Out (see package attestation): PASSED when the
	// rebuild passed, FAILED when it failed on the package's account.
	Sign *attestation.Signer
	// RebuilderID names the rebuilder in the attestation (verifier.id): a
	// URI the rebuilder chooses and keeps.
	RebuilderID string
	// Version is the version of the rebuilding tool, for the attestation.
	Version string
}

// Names of the evidence files.
const (
	EvidenceJSON = "rebuild-evidence.json"
	EvidenceMD   = "rebuild-evidence.md"
)

// Run verifies and rebuilds the package at input (a zip or an extracted
// folder), writes the evidence into o.Out, and returns the report. The error
// is non-nil only when the rebuild could not be attempted or the evidence not
// written; a failed verification or a digest mismatch is a FAIL in the report.
func Run(ctx context.Context, input string, o Options) (*Report, error) {
	// The builds run in the source folder: every path they are given must
	// be absolute, so a relative -out means the same thing everywhere.
	out, err := filepath.Abs(cmp.Or(o.Out, "."))
	if err != nil {
		return nil, err
	}
	if err := checkOut(input, out); err != nil {
		return nil, err
	}
	start := time.Now()
	vr, pkg, err := verify.Path(input, o.Verify)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Input:          input,
		Package:        vr.Package,
		Version:        vr.Version,
		Commit:         vr.Commit,
		Snapshot:       vr.Snapshot,
		ManifestSHA256: vr.ManifestSHA256,
		Verify:         VerifySummary{Status: vr.Status, Passed: vr.Passed, Failed: vr.Failed, Skipped: vr.Skipped, Failures: vr.Errors(), Trust: vr.Trust, Signers: vr.Signers, TrustedRoot: vr.TrustedRoot},
		Controls:       build.Network(),
		Cache:          "user",
		Started:        start.UTC().Format(time.RFC3339),
	}
	if o.FreshCache {
		rep.Cache = "fresh"
	}
	rep.Host = Host{OS: runtime.GOOS, Arch: runtime.GOARCH}
	rep.Host.Name, _ = os.Hostname()

	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(out, ".cavra-rebuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	r := &build.Runner{Go: o.Go, Overrides: build.Network()}
	if o.FreshCache {
		r.Overrides["GOCACHE"] = filepath.Join(work, "gocache")
	}
	notAttempted := rebuildAll(ctx, rep, vr, pkg, r, work, o)
	if ctx.Err() != nil {
		notAttempted = "interrupted"
	}
	rep.finish(start)
	if o.Sign != nil {
		if err := attest(rep, vr, pkg, o, out, notAttempted); err != nil {
			return rep, err
		}
	}
	if err := rep.write(out); err != nil {
		return rep, err
	}
	return rep, nil
}

// checkOut refuses an output folder inside a package folder.
func checkOut(input, out string) error {
	st, err := os.Stat(input)
	if err != nil || !st.IsDir() {
		return err
	}
	in, err := filepath.Abs(input)
	if err != nil {
		return err
	}
	o, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if ev, err := filepath.EvalSymlinks(in); err == nil {
		in = ev
	}
	if ev, err := evalExisting(o); err == nil {
		o = ev
	}
	if rel, err := filepath.Rel(in, o); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return fmt.Errorf("rebuild: output folder %s is inside the package %s, which must stay verifiable", out, input)
	}
	return nil
}

// evalExisting resolves symbolic links in the longest existing prefix of p.
func evalExisting(p string) (string, error) {
	if ev, err := filepath.EvalSymlinks(p); err == nil {
		return ev, nil
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p, nil
	}
	ev, err := evalExisting(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(ev, filepath.Base(p)), nil
}

// rebuildAll verifies the toolchain and rebuilds every target into rep. It
// returns why it did not rebuild when the reason lies with the rebuilder,
// not the package (no trusted release key, another toolchain, a target the
// package lacks): no verdict on the package, so nothing to attest.
func rebuildAll(ctx context.Context, rep *Report, vr *verify.Report, pkg *verify.Package, r *build.Runner, work string, o Options) (notAttempted string) {
	var m *manifest.Manifest
	if pkg != nil {
		m = pkg.Manifest
	}
	targets := o.Targets
	if targets == nil {
		targets = o.Verify.Matrix()
	}
	skipAll := func(why string) {
		for _, t := range targets {
			rep.Targets = append(rep.Targets, Target{Target: t.String(), Binary: t.Binary(), Status: verify.Skip, Detail: why})
		}
	}
	if !vr.OK() || m == nil {
		rep.Error = fmt.Sprintf("package failed verification (%d checks failed)", vr.Failed)
		skipAll("not rebuilt: the package failed verification")
		if vr.Key == "" && vr.Trust != verify.TrustUnsigned {
			// Without a trusted release key every package fails: that
			// is the rebuilder's set-up, not a verdict on the package.
			return "no trusted release key (give -key or -key-fingerprint)"
		}
		return ""
	}
	for _, t := range o.Targets {
		if m.BinaryFor(t.String()) == nil {
			rep.Error = fmt.Sprintf("target %s is not in the package", t)
			skipAll("not rebuilt: " + rep.Error)
			return rep.Error
		}
	}

	// The toolchain must be the recorded one, found on this machine and
	// never downloaded: -go, else go on PATH when it is that version, else
	// go1.x.y on PATH, else the module cache (GOPROXY=off).
	g, err := build.FindGo(ctx, build.Find{Version: m.Go.Version, Explicit: o.Go})
	if err != nil {
		rep.Error = "the package was built with " + m.Go.Version + ": " + err.Error()
		skipAll("not rebuilt: toolchain " + m.Go.Version + " not found")
		return rep.Error
	}
	r.Go, r.GOROOT = g.Path, g.GOROOT
	rep.Host.GoFound = g.Found
	env, err := r.GoEnv(ctx, work, build.Command{}, goEnvNames...)
	if err != nil {
		rep.Error = err.Error()
		skipAll("not rebuilt: " + rep.Error)
		return rep.Error
	}
	rep.Host.GoVersion = env["GOVERSION"]
	rep.Host.GoEnv = env
	if env["GOVERSION"] != m.Go.Version {
		rep.Error = fmt.Sprintf("local go is %s, the package was built with %s.\n%s", env["GOVERSION"], m.Go.Version, build.InstallHint(m.Go.Version, runtime.GOOS, runtime.GOARCH))
		skipAll("not rebuilt: toolchain mismatch")
		return rep.Error
	}

	data, ok := pkg.File(m.Source.Archive)
	if !ok {
		rep.Error = "source archive not readable"
		skipAll("not rebuilt: " + rep.Error)
		return ""
	}
	top, _, err := archive.ExtractTarGz(bytes.NewReader(data), filepath.Join(work, "src"), archive.DefaultLimits)
	if err == nil && top != m.Source.Root {
		err = fmt.Errorf("top folder %q, manifest records %q", top, m.Source.Root)
	}
	if err != nil {
		rep.Error = fmt.Sprintf("%s: %v", m.Source.Archive, err)
		skipAll("not rebuilt: source archive unusable")
		return ""
	}
	root := filepath.Join(work, "src", top, filepath.FromSlash(m.Go.ModuleDir))

	rep.Targets = make([]Target, len(targets))
	log := progress.New(o.Log)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			b := m.BinaryFor(t.String())
			res := Target{Target: t.String(), Binary: t.Binary()}
			if b == nil {
				res.Status, res.Detail = verify.Skip, "not in the package"
				rep.Targets[i] = res
				return
			}
			res = rebuildOne(ctx, r, root, work, pkg, b, t)
			rep.Targets[i] = res
			log.Printf("  %s %-14s %6.2fs  %s", res.Status, res.Target, res.Seconds, res.Actual)
		})
	}
	wg.Wait()
	if o.Targets != nil {
		for _, t := range o.Verify.Matrix() {
			if !slices.Contains(targets, t) {
				rep.Targets = append(rep.Targets, Target{Target: t.String(), Binary: t.Binary(), Status: verify.Skip, Detail: "not selected (--target)"})
			}
		}
	}
	return ""
}

var goEnvNames = []string{
	"GOVERSION", "GOROOT", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOSUMDB", "GOFLAGS",
	"GOTOOLCHAIN", "GOWORK", "GOENV", "CGO_ENABLED", "GOHOSTOS", "GOHOSTARCH",
}

func rebuildOne(ctx context.Context, r *build.Runner, root, work string, pkg *verify.Package, b *manifest.Binary, t build.Target) (res Target) {
	start := time.Now()
	res = Target{Target: b.Target, Binary: b.Binary, Expected: b.SHA256, ExpectedSize: b.SizeBytes}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	out := filepath.Join(work, "bin", t.Dir(), t.Exe())
	cmd := b.Rebuild.WithOutput(out)
	res.Command = b.Rebuild.String()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		res.Status, res.Detail = verify.Fail, err.Error()
		return res
	}
	if err := r.Run(ctx, root, cmd); err != nil {
		res.Status, res.Detail = verify.Fail, err.Error()
		return res
	}
	rebuilt, err := os.ReadFile(out)
	if err != nil {
		res.Status, res.Detail = verify.Fail, err.Error()
		return res
	}
	res.Actual, res.ActualSize = checksums.SHA256(rebuilt), int64(len(rebuilt))
	if res.Actual == res.Expected {
		res.Status, res.Detail = verify.Pass, "rebuilt binary is bit-for-bit identical"
		return res
	}
	res.Status = verify.Fail
	shipped, _ := pkg.File(b.Binary)
	res.Differences = explain.Binary(shipped, rebuilt, explain.Rebuilt)
	details := make([]string, len(res.Differences))
	for i, d := range res.Differences {
		details[i] = d.Detail
	}
	res.Detail = "sha256 mismatch: " + strings.Join(details, "; ")
	return res
}
