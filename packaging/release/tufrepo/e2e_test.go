package tufrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/signing"
)

func TestMain(m *testing.M) { os.Exit(testrelease.Main(m)) }

// TestReleasesUnderOneRoot is issue 16's end to end: release A, rotate the
// release key (trust rotate targets, what `go run mage.go
// trust:rotate targets` runs), release B; a verifier pinned to root
// version 1 verifies A, then B (walking to root version 2), then refuses A
// replayed (rollback), an expired timestamp unless --at is given, a file of
// A inside B, and a package signed only by a key revoked since; go-tuf's own
// client accepts both releases.
func TestReleasesUnderOneRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("makes two releases")
	}
	dir := t.TempDir()
	repo := testrepo.New(t, dir, "v1.2.3")
	priv, _ := testrelease.GenerateKey(t, filepath.Join(dir, "keys"))
	base := append(testrelease.Env(dir), "COSIGN_PASSWORD="+testrelease.Password, "CAVRA_ROOT_PASSWORD=root pw", "CAVRA_ONLINE_PASSWORD=online pw")
	with := func(kv ...string) []string { return append(append([]string{}, base...), kv...) }
	trustRepo := filepath.Join(repo, ".cavra", "trust")

	testrelease.RunTool(t, repo, with("COSIGN_KEY="+priv), "trust", "init")
	// Two releases an hour apart, as two commits would be.
	epochA, epochB := time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	a := testrelease.Release(t, repo, filepath.Join(dir, "a"), with("COSIGN_KEY="+priv, "SOURCE_DATE_EPOCH="+strconv.FormatInt(epochA, 10)))
	out := testrelease.RunTool(t, repo, base, "trust", "rotate", "targets")
	if !strings.Contains(out, "root version 2") {
		t.Fatalf("trust rotate targets:\n%s", out)
	}
	newKey := filepath.Join(trustRepo, "keys", "targets-v2.key")
	testrepo.Git(t, repo, "commit", "-q", "--allow-empty", "-m", "release B")
	testrepo.Git(t, repo, "tag", "v1.3.0")
	b := testrelease.Release(t, repo, filepath.Join(dir, "b"), with("COSIGN_KEY="+newKey, "SOURCE_DATE_EPOCH="+strconv.FormatInt(epochB, 10)))
	if a.Version != "v1.2.3" || b.Version != "v1.3.0" {
		t.Fatalf("released %s and %s", a.Version, b.Version)
	}

	cavra := testrelease.Verifier(t)
	run := func(args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(cavra, args...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &exit):
			return exit.ExitCode(), string(out)
		}
		t.Fatal(err)
		return 0, ""
	}
	expect := func(code int, want string, args ...string) string {
		t.Helper()
		got, out := run(args...)
		if got != code || !strings.Contains(out, want) {
			t.Errorf("cavra %s: exit %d, want %d and %q:\n%s", strings.Join(args, " "), got, code, want, out)
		}
		return out
	}
	td := filepath.Join(dir, "verifier")
	expect(0, "pins root version 1", "trust", "init", "--root", filepath.Join(trustRepo, "1.root.json"), "--trust-dir", td)

	// A, then B across the rotation, then A again: a rollback.
	expect(0, "tuf.state: recorded", "release", "verify-airgap-bundle", "--trust-dir", td, a.Zip)
	expect(0, "reached from the trusted version 1 through 2", "release", "verify-go-package", "--trust-dir", td, b.Dir)
	expect(1, fmt.Sprintf("FAIL  trust/timestamp.json: tuf.timestamp: version %d: rollback: lower than the trusted version %d", epochA, epochB),
		"release", "verify-airgap-bundle", "--trust-dir", td, a.Zip)
	expect(0, "last package go-runtime-v1.3.0", "trust", "status", "--trust-dir", td)

	// An expired timestamp: refused, unless --at says when to check.
	expired := testrelease.Copy(t, b.Dir, t.TempDir())
	online, err := loadFile(filepath.Join(trustRepo, "keys", "online-v1.key"), []byte("online pw"))
	if err != nil {
		t.Fatal(err)
	}
	resignTimestamp(t, expired, online, time.Unix(epochB+60, 0))
	expect(1, "tuf.timestamp: version "+strconv.FormatInt(epochB, 10)+": freeze: expired on", "release", "verify-go-package", "--trust-dir", td, expired)
	at := time.Unix(epochB+30, 0).UTC().Format(time.RFC3339)
	expect(0, "WARN  TUF expiry and key ages are checked as of", "release", "verify-go-package", "--trust-dir", td, "--at", at, expired)

	// A file of A inside B.
	mixed := testrelease.Copy(t, b.Dir, t.TempDir())
	bin := filepath.Join("bin", "linux-amd64", "cavra-runtime")
	copyFile(t, filepath.Join(a.Dir, bin), filepath.Join(mixed, bin))
	expect(1, "FAIL  bin/linux-amd64/cavra-runtime: tuf.files: version "+strconv.FormatInt(epochB, 10)+": targets.json:", "release", "verify-go-package", "--trust-dir", td, mixed)

	// go-tuf's own client, from root version 1, accepts both releases and
	// refuses the mixed one.
	for _, p := range []*testrelease.Package{a, b} {
		if err := goTUFClient(t, filepath.Join(trustRepo, "1.root.json"), p.Dir); err != nil {
			t.Errorf("go-tuf's updater refuses %s: %v", p.Version, err)
		}
	}
	if err := goTUFClient(t, filepath.Join(trustRepo, "1.root.json"), mixed); err == nil {
		t.Error("go-tuf's updater accepts a file of A inside B")
	}

	// An upgrade from A to B: the key changed by the root chain, no
	// --allow-key-rotation needed.
	td2 := filepath.Join(dir, "verifier-2")
	expect(0, "", "trust", "init", "--root", filepath.Join(trustRepo, "1.root.json"), "--trust-dir", td2)
	expect(0, "by TUF root version 2", "release", "validate-upgrade", "--trust-dir", td2, a.Dir, b.Zip)

	// Revoke B's key; a package signed only by it, carrying the new root,
	// is refused, and so is B itself by a verifier that trusts the new
	// root (here a site that pinned it).
	out = testrelease.RunTool(t, repo, with("CAVRA_REVOKE_REASON=the CI secret leaked"), "trust", "revoke", strings.TrimSuffix(newKey, ".key")+".pub")
	if !strings.Contains(out, "root version 3") || !strings.Contains(out, "the CI secret leaked") {
		t.Fatalf("trust revoke:\n%s", out)
	}
	revoked := testrelease.Copy(t, b.Dir, t.TempDir())
	copyFile(t, filepath.Join(trustRepo, "3.root.json"), filepath.Join(revoked, "trust", "3.root.json"))
	out = expect(1, "FAIL  trust/targets.json: tuf.targets: version "+strconv.FormatInt(epochB, 10)+": threshold: signed by 0 of the 1 targets key(s) required",
		"release", "verify-go-package", "--trust-dir", td, revoked)
	if !strings.Contains(out, "FAIL  cosign.pub: trust: the package's key") || !strings.Contains(out, "is not a targets key of TUF root version 3") {
		t.Errorf("the revoked key is not refused by the trust check:\n%s", out)
	}
	td3 := filepath.Join(dir, "verifier-3")
	expect(0, "pins root version 3", "trust", "init", "--root", filepath.Join(trustRepo, "3.root.json"), "--trust-dir", td3)
	expect(1, "threshold: signed by 0 of the 1 targets key(s)", "release", "verify-go-package", "--trust-dir", td3, b.Dir)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// resignTimestamp rewrites pkg's trust/timestamp.json to expire at exp,
// signed with the online key: what the holder of the online key could do.
func resignTimestamp(t *testing.T, pkg string, online *signing.Key, exp time.Time) {
	t.Helper()
	path := filepath.Join(pkg, filepath.FromSlash(tuf.TimestampPath))
	ts, err := (&metadata.Metadata[metadata.TimestampType]{}).FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts.Signed.Expires = exp.UTC()
	ts.Signatures = nil
	data, err := sign(ts, online.SignerVerifier())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// dirFetcher serves file:// URLs from the local file system, as go-tuf's
// fetcher interface asks, answering 404 for a missing file.
type dirFetcher struct{}

func (dirFetcher) DownloadFile(u string, maxLength int64, _ time.Duration) ([]byte, error) {
	p, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: 404, URL: u}
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s: more than %d bytes", u, maxLength)}
	}
	return data, nil
}

// goTUFClient runs go-tuf's updater on a package folder with the trusted
// root in rootFile: the metadata from trust/, every target it lists from
// the folder, each checked for its length and hashes.
func goTUFClient(t *testing.T, rootFile, pkg string) error {
	root, err := os.ReadFile(rootFile)
	if err != nil {
		return err
	}
	cfg, err := config.New("file://"+filepath.Join(pkg, "trust"), root)
	if err != nil {
		return err
	}
	cache := t.TempDir()
	cfg.LocalMetadataDir, cfg.LocalTargetsDir = filepath.Join(cache, "metadata"), filepath.Join(cache, "targets")
	cfg.RemoteTargetsURL = "file://" + pkg
	cfg.Fetcher = dirFetcher{}
	up, err := updater.New(cfg)
	if err != nil {
		return err
	}
	if err := up.Refresh(); err != nil {
		return err
	}
	targets := up.GetTopLevelTargets()
	if len(targets) < 50 {
		return fmt.Errorf("only %d targets", len(targets))
	}
	for path := range targets {
		info, err := up.GetTargetInfo(path)
		if err != nil {
			return err
		}
		if _, _, err := up.DownloadTarget(info, filepath.Join(cache, "t"), ""); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
