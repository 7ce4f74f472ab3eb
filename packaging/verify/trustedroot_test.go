package verify_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/packaging/format/bootstrap"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/releaseevidence"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// rootSigstore is the virtual Sigstore whose trusted root the release of
// rootPackage carries, made with it.
var rootSigstore struct {
	once sync.Once
	vs   *testsigstore.Sigstore
}

// rootPackage returns a linux/amd64 release whose package carries the
// virtual Sigstore's trusted root (CAVRA_SIGSTORE_TRUSTED_ROOT names the
// file, as CI's release job sets it to fetch), released once for the
// tests of this package, and the virtual Sigstore. Tests copy it.
func rootPackage(t *testing.T) (*testrelease.Package, *testsigstore.Sigstore) {
	testrelease.SkipShort(t)
	rootSigstore.once.Do(func() { rootSigstore.vs = testsigstore.New(t) })
	vs := rootSigstore.vs
	p := testrelease.Shared(t, "sigstore-root", testrelease.Options{Targets: "linux/amd64",
		Env: []string{"CAVRA_SIGSTORE_TRUSTED_ROOT=" + vs.WriteTrustedRoot(t, t.TempDir())}})
	return p, vs
}

// signedCopy copies the package (folder and zip) into a new dist folder,
// lets change edit the folder, and signs it keyless with vs as the release
// workflow's signing job does: beside the zip, the three bundles and
// trusted_root.json. It returns the dist folder.
func signedCopy(t *testing.T, p *testrelease.Package, vs *testsigstore.Sigstore, id testsigstore.Identity, change func(dir string)) string {
	t.Helper()
	dist := t.TempDir()
	dir := testrelease.Copy(t, p.Dir, dist)
	write(t, dist, filepath.Base(p.Zip), read(t, filepath.Dir(p.Zip), filepath.Base(p.Zip)))
	if change != nil {
		change(dir)
	}
	vs.SignPackage(t, dist, p.Version, testsigstore.Options{Identity: id, Timestamp: true})
	return dist
}

// trustDir pins the package's own root version 1 in a new trust folder,
// with expiry checked a day after the test repositories' commit time (the
// package's timestamp has expired since).
func trustDir(t *testing.T, p *testrelease.Package) (*tufclient.Client, time.Time) {
	t.Helper()
	td := t.TempDir()
	if _, _, err := tufclient.Init(td, read(t, p.Dir, tuf.Path(tuf.RoleRoot, 1)), time.Now()); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1767323045, 0).Add(24 * time.Hour)
	c, err := tufclient.Open(td, at)
	if err != nil {
		t.Fatal(err)
	}
	return c, at
}

// TestPackagedTrustedRoot: a release given Sigstore's trusted root holds it
// as an ordinary file (listed, signed, in the bootstrap list, the evidence
// and targets.json), and with a trust folder or the release key its
// keyless bundles verify against it, with no --trusted-root: the report
// says it is the package's and what vouched for it. The operator's
// --trusted-root still wins.
func TestPackagedTrustedRoot(t *testing.T) {
	p, vs := rootPackage(t)
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/"+p.Version, strings.Repeat("d", 40), "release")
	policy := keyless.Policy{Identity: id.SAN, Issuer: id.Issuer, GitHubWorkflowRef: id.Ref}
	dist := signedCopy(t, p, vs, id, nil)
	dir, zip := filepath.Join(dist, layout.Dir(p.Version)), filepath.Join(dist, filepath.Base(p.Zip))
	amd64 := targets("linux/amd64")

	t.Run("an ordinary file of the package", func(t *testing.T) {
		root := read(t, dir, layout.TrustedRoot)
		if _, err := sigstore.ParseTrustedRoot(root); err != nil {
			t.Fatal(err)
		}
		if string(read(t, dist, sigstore.TrustedRootName)) != string(root) {
			t.Error("trusted_root.json beside the zip is not the package's")
		}
		for _, f := range []string{layout.TrustedRoot + layout.SigSuffix, layout.TrustedRoot + layout.BundleSuffix} {
			read(t, dir, f)
		}
		lines, err := checksums.Parse(read(t, dir, checksums.Name))
		if err != nil || !slices.ContainsFunc(lines, func(l checksums.Line) bool { return l.Path == layout.TrustedRoot && l.SHA256 == sum(root) }) {
			t.Errorf("%s does not list %s: %v", checksums.Name, layout.TrustedRoot, err)
		}
		b, err := bootstrap.Parse(read(t, dir, layout.Bootstrap))
		if err != nil || !slices.Contains(b.RequiredFiles, layout.TrustedRoot) || !slices.Contains(b.RequiredFiles, layout.TrustedRoot+layout.SigSuffix) {
			t.Errorf("the bootstrap list does not name %s and its signature: %v", layout.TrustedRoot, err)
		}
		ev, err := releaseevidence.Parse(read(t, dir, layout.EvidenceJSON))
		if err != nil || !slices.ContainsFunc(ev.Artifacts, func(a releaseevidence.Artifact) bool {
			return a.Path == layout.TrustedRoot && a.Kind == "trusted-root" && a.SHA256 == sum(root)
		}) {
			t.Errorf("the evidence does not list %s: %v", layout.TrustedRoot, err)
		}
		m, err := tuf.Parse(read(t, dir, tuf.TargetsPath), tuf.RoleTargets)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := m.Targets()
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := tg.Targets[layout.TrustedRoot]; !ok || f.Length != int64(len(root)) || f.Hashes[tuf.SHA256] != sum(root) {
			t.Errorf("targets.json lists %s as %+v", layout.TrustedRoot, f)
		}
	})

	for _, c := range []struct {
		name    string
		run     func(string, verify.Options) (*verify.Report, *verify.Package, error)
		in      string
		o       func(t *testing.T) verify.Options
		vouched string
		signers int
	}{
		{"zip, trust folder", verify.Zip, zip, func(t *testing.T) verify.Options {
			c, at := trustDir(t, p)
			return verify.Options{TUF: c, At: at, KeylessPolicy: policy, Targets: amd64}
		}, "TUF targets version 1767323045", 3},
		{"folder, trust folder", verify.Dir, dir, func(t *testing.T) verify.Options {
			c, at := trustDir(t, p)
			return verify.Options{TUF: c, At: at, KeylessPolicy: policy, Targets: amd64}
		}, "TUF targets version 1767323045", 2},
		{"folder, key", verify.Dir, dir, func(t *testing.T) verify.Options {
			return verify.Options{Key: p.Key, KeylessPolicy: policy, Targets: amd64}
		}, "key " + p.Key.Fingerprint(), 2},
		{"zip, key fingerprint", verify.Zip, zip, func(t *testing.T) verify.Options {
			return verify.Options{KeyFingerprint: p.Key.Fingerprint(), KeylessPolicy: policy, Targets: amd64}
		}, "key " + p.Key.Fingerprint(), 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, _, err := c.run(c.in, c.o(t))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Skipped != 0 {
				t.Fatalf("got %s, %d skipped, want PASS:\n%s", rep.Status, rep.Skipped, strings.Join(rep.Errors(), "\n"))
			}
			tr := rep.TrustedRoot
			if tr == nil || tr.Source != verify.TrustedRootPackage || tr.File != layout.TrustedRoot || tr.VouchedBy != c.vouched || tr.SHA256 != sum(read(t, dir, layout.TrustedRoot)) {
				t.Fatalf("trusted root %+v, want the package's, vouched for by %s", tr, c.vouched)
			}
			if !has(rep, verify.Pass, verify.CheckKeyless, layout.TrustedRoot, "the package's, vouched for by "+c.vouched) {
				t.Errorf("no PASS keyless for %s", layout.TrustedRoot)
			}
			if !strings.Contains(rep.Trust, "keyless "+id.SAN) || !strings.Contains(rep.Trust, "vouched for by "+c.vouched) {
				t.Errorf("trust %q does not say where the trusted root came from", rep.Trust)
			}
			if len(rep.Signers) != c.signers {
				t.Errorf("got %d signers, want %d", len(rep.Signers), c.signers)
			}
		})
	}

	t.Run("the operator's trusted root wins", func(t *testing.T) {
		// Another instance's root, given by the operator: the package's
		// good one is not used, so every bundle fails.
		c, at := trustDir(t, p)
		other := keylessVerifier(t, testsigstore.New(t).TrustedRoot(t), policy)
		rep, _, err := verify.Dir(dir, verify.Options{TUF: c, At: at, Keyless: other, Targets: amd64})
		if err != nil {
			t.Fatal(err)
		}
		wantFail(t, rep, verify.CheckKeyless, layout.KeylessChecksums(p.Version), keyless.CheckTlogBody)
		if rep.TrustedRoot == nil || rep.TrustedRoot.Source != verify.TrustedRootOperator || len(rep.Signers) != 0 {
			t.Errorf("trusted root %+v, %d signers; want the operator's and none", rep.TrustedRoot, len(rep.Signers))
		}
		// The operator's own copy of the right root: PASS, and it is the
		// operator's the report names.
		rep, _, _ = verify.Dir(dir, verify.Options{Key: p.Key, Keyless: keylessVerifier(t, read(t, dir, layout.TrustedRoot), policy), Targets: amd64})
		if !rep.OK() || rep.TrustedRoot == nil || rep.TrustedRoot.Source != verify.TrustedRootOperator {
			t.Errorf("got %s, trusted root %+v: %v", rep.Status, rep.TrustedRoot, rep.Errors())
		}
	})
}

// TestPackagedTrustedRootAttacks: the package's trusted root is used only
// when trusted material vouches for it. One swapped for another Sigstore
// instance's (which signed the package keyless, as whoever runs their own
// instance can, for any identity) fails the TUF files check and the
// keyless check; one that nothing vouches for is never used, even when it
// is the right one; no keyless bundle is then accepted.
func TestPackagedTrustedRootAttacks(t *testing.T) {
	p, vs := rootPackage(t)
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/"+p.Version, strings.Repeat("d", 40), "release")
	policy := keyless.Policy{Identity: id.SAN, Issuer: id.Issuer}
	amd64 := targets("linux/amd64")
	evil := testsigstore.New(t)
	swap := func(dir string) { write(t, dir, layout.TrustedRoot, evil.TrustedRoot(t)) }
	swapped := filepath.Join(signedCopy(t, p, evil, id, swap), layout.Dir(p.Version))
	genuine := filepath.Join(signedCopy(t, p, vs, id, nil), layout.Dir(p.Version))
	// A release key holder's swap, without the online key: the root and
	// checksums.txt re-signed with the release key.
	resigned := filepath.Join(signedCopy(t, p, evil, id, func(dir string) {
		swap(dir)
		resignFiles(t, p, dir, layout.TrustedRoot)
	}), layout.Dir(p.Version))
	// An older root signed by the release key, put back without changing
	// checksums.txt: its signature verifies, its digest is not listed.
	stale := filepath.Join(signedCopy(t, p, evil, id, func(dir string) {
		swap(dir)
		testrelease.Sign(t, p.PrivateKey, "-blob", filepath.Join(dir, filepath.FromSlash(layout.TrustedRoot)))
	}), layout.Dir(p.Version))

	withTUF := func(t *testing.T) verify.Options {
		c, at := trustDir(t, p)
		return verify.Options{TUF: c, At: at, KeylessPolicy: policy, Targets: amd64}
	}
	for _, c := range []struct {
		name  string
		dir   string
		o     func(t *testing.T) verify.Options
		fails map[string]string // check -> detail, each on sigstore/trusted_root.json
	}{
		{"swapped, trust folder", swapped, withTUF, map[string]string{
			verify.CheckTUFFiles: "targets.json: ", verify.CheckKeyless: "is not used: trust/targets.json version 1767323045: "}},
		{"swapped, key", swapped, func(t *testing.T) verify.Options {
			return verify.Options{Key: p.Key, KeylessPolicy: policy, Targets: amd64}
		}, map[string]string{verify.CheckChecksum: "sha256 mismatch", verify.CheckKeyless: "is not used: " + layout.TrustedRoot + ".sig"}},
		{"swapped and re-signed by the release key, trust folder", resigned, withTUF, map[string]string{
			verify.CheckTUFFiles: "targets.json: ", verify.CheckKeyless: "is not used: trust/targets.json version 1767323045: "}},
		{"an older root signed by the release key, key", stale, func(t *testing.T) verify.Options {
			return verify.Options{Key: p.Key, KeylessPolicy: policy, Targets: amd64}
		}, map[string]string{verify.CheckChecksum: "sha256 mismatch", verify.CheckKeyless: "checksums.txt does not list it with its SHA-256"}},
		{"swapped, unsigned snapshot", swapped, func(t *testing.T) verify.Options {
			return verify.Options{UnsafeAllowUnsigned: true, KeylessPolicy: policy, Targets: amd64}
		}, map[string]string{verify.CheckKeyless: "no trusted key or trust folder vouches for it; a package's own trusted root proves nothing"}},
		{"genuine, unsigned snapshot", genuine, func(t *testing.T) verify.Options {
			return verify.Options{UnsafeAllowUnsigned: true, KeylessPolicy: policy, Targets: amd64}
		}, map[string]string{verify.CheckKeyless: "no trusted key or trust folder vouches for it"}},
		{"genuine, keyless alone", genuine, func(t *testing.T) verify.Options {
			return verify.Options{KeylessPolicy: policy, Targets: amd64}
		}, map[string]string{verify.CheckKeyless: "no trusted key or trust folder vouches for it"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, _, err := verify.Dir(c.dir, c.o(t))
			if err != nil {
				t.Fatal(err)
			}
			for check, detail := range c.fails {
				wantFail(t, rep, check, layout.TrustedRoot, detail)
			}
			if len(rep.Signers) != 0 || rep.TrustedRoot != nil {
				t.Errorf("keyless bundles accepted on the package's word: %d signers, trusted root %+v", len(rep.Signers), rep.TrustedRoot)
			}
			for _, b := range []string{layout.KeylessChecksums(p.Version), layout.KeylessProvenance(p.Version)} {
				if !has(rep, verify.Skip, verify.CheckKeyless, b, "no Sigstore trusted root the operator trusts") {
					t.Errorf("%s: no SKIP saying it was not checked", b)
				}
			}
		})
	}

	t.Run("a package without a trusted root", func(t *testing.T) {
		q := pkg(t)
		rep, _, err := verify.Dir(q.Dir, verify.Options{Key: q.Key, KeylessPolicy: policy})
		if err != nil {
			t.Fatal(err)
		}
		wantFail(t, rep, verify.CheckKeyless, layout.TrustedRoot, "the package carries none; give --trusted-root")
	})
}
