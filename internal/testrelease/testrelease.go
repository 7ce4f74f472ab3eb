// Package testrelease builds real release packages for tests: it compiles
// the release command once per content hash (package cmdcache) and runs it
// on a fresh test repository (see package testrepo), exactly as
// `go run mage.go release` does.
package testrelease

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/cmdcache"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/internal/testtools"
	gobuild "github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/vulndb"
	"github.com/cavra/cavra/signing/trust"
)

// Options choose what to release.
type Options struct {
	Targets string   // -targets, e.g. "linux/amd64,windows/arm64"; "" means all six
	Tag     string   // tag the commit, e.g. "v1.2.3"
	Env     []string // extra environment for the release command
	// SnapshotKey signs with the machine-local snapshot key (kept under
	// dir) instead of a key pair generated for the test.
	SnapshotKey bool
	// PrivateKey signs with this key (encrypted with [Password]) instead
	// of a new one; its public half is beside it as cosign.pub.
	PrivateKey string
}

// Password protects the keys tests generate.
const Password = "correct horse battery staple"

// Package is a released package.
type Package struct {
	Repo    string // the test repository
	Out     string // the output folder (dist)
	Dir     string // the package folder
	Zip     string // the package zip
	Version string
	Log     string // what the release command printed

	PublicKey  string     // the trusted public key file, outside the package
	PrivateKey string     // the encrypted private key ("" for the snapshot key)
	Key        *trust.Key // PublicKey, parsed
	// TrustRepo is the TUF trust repository a tagged release was made
	// with (its 1.root.json is the root a verifier pins), "" for a
	// snapshot, whose root is machine-local.
	TrustRepo string
}

var (
	mu      sync.Mutex
	tools   = map[string]string{}
	toolDir string
)

// Tool returns the path of the release command built from this module. Call
// Cleanup from TestMain to remove it.
func Tool(t testing.TB) string { return build(t, "./cmd/cavra-release") }

// build returns the command pkg of this module, built once per content hash
// of what it is made of into the user cache (package cmdcache, as the mage
// targets build the release command), so that every test binary of a run,
// and every later run until the code changes, uses the same binary.
func build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := tools[pkg]; ok {
		return p
	}
	root := testrepo.ModuleRoot(t)
	e, _, err := cmdcache.Build(context.Background(), cmdcache.Spec{Root: root, Pkg: pkg})
	switch {
	case err == nil:
		tools[pkg] = e.Path
		return e.Path
	case !errors.Is(err, cmdcache.ErrUncacheable):
		t.Fatalf("testrelease: %v", err)
	}
	// A build the cache cannot key (cgo with an unknown C compiler, say):
	// once per test binary.
	if toolDir == "" {
		dir, err := os.MkdirTemp("", "cavra-testrelease-")
		if err != nil {
			t.Fatal(err)
		}
		toolDir = dir
	}
	out := filepath.Join(toolDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testrelease: go build %s: %v\n%s", pkg, err, b)
	}
	tools[pkg] = out
	return out
}

// Go returns the release toolchain (build.Toolchain), which releases build
// with, as this machine has it (go run mage.go testTools fetches it); a test
// that builds a binary to put into a package builds it with this one.
func Go(t testing.TB) *gobuild.Go {
	t.Helper()
	g, err := gobuild.FindGo(context.Background(), gobuild.Find{Version: gobuild.Toolchain})
	if err != nil {
		testtools.Missing(t, "testrelease: %v", err)
	}
	return g
}

// GoCommand returns the release toolchain's go command with args, its
// GOROOT set on top of the caller's environment.
func GoCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	g := Go(t)
	cmd := exec.Command(g.Path, args...)
	cmd.Env = append(os.Environ(), "GOROOT="+g.GOROOT)
	return cmd
}

// VulnDB writes, as the zip vuln.go.dev serves (vulndb.zip) at path, the
// Go vulnerability database of the golang.org/x/vulndb version this
// module's go.mod pins, with extra entries (raw OSV JSON by id) added.
func VulnDB(t testing.TB, path string, extra map[string][]byte) {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "golang.org/x/vulndb")
	cmd.Dir = testrepo.ModuleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testrelease: go mod download golang.org/x/vulndb: %v", err)
	}
	var m struct{ Path, Version, Zip string }
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.FromModuleZip(m.Zip, m.Path, m.Version, extra)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := vulndb.WriteZip(&b, db.Files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// StdlibEntry returns an OSV entry (id GO-2099-0001) that affects the
// standard library of goVersion (go1.x.y), fixed in the next patch
// release, in fmt.Fprintf: every binary of the runtime calls it.
func StdlibEntry(t testing.TB, goVersion string) []byte {
	t.Helper()
	v := vulndb.Semver(goVersion)
	i := strings.LastIndex(v, ".")
	n, err := strconv.Atoi(v[i+1:])
	if v == "" || err != nil {
		t.Fatalf("testrelease: %s is not a Go release", goVersion)
	}
	b, _ := json.Marshal(map[string]any{
		"schema_version": "1.3.1", "id": "GO-2099-0001", "modified": "2099-01-02T00:00:00Z", "published": "2099-01-02T00:00:00Z",
		"aliases": []string{"CVE-2099-0001"}, "summary": "A test vulnerability in fmt.Fprintf of " + goVersion,
		"affected": []any{map[string]any{
			"package":            map[string]string{"name": vulndb.Stdlib, "ecosystem": "Go"},
			"ranges":             []any{map[string]any{"type": "SEMVER", "events": []any{map[string]string{"introduced": "0"}, map[string]string{"fixed": fmt.Sprintf("%s.%d", v[:i], n+1)}}}},
			"ecosystem_specific": map[string]any{"imports": []any{map[string]any{"path": "fmt", "symbols": []string{"Fprintf"}}}},
		}},
	})
	return b
}

// Verifier returns the path of the verifier, cmd/cavra, built from this
// module once per content hash.
func Verifier(t testing.TB) string { return build(t, "./cmd/cavra") }

// Sign runs the resign tool with args (-blob FILE, or -dsse IN OUT) and the
// private key priv.
func Sign(t testing.TB, priv string, args ...string) {
	t.Helper()
	cmd := exec.Command(build(t, "./internal/testrelease/resign"), args...)
	cmd.Env = append(os.Environ(), "COSIGN_KEY="+priv, "COSIGN_PASSWORD="+Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testrelease: resign %v: %v\n%s", args, err, out)
	}
}

// Resign redoes every step after the build in the package folder dir with
// the private key priv (encrypted with [Password]): what a holder of the
// release key who tampered with binaries or source would do.
func Resign(t testing.TB, dir, priv string) {
	t.Helper()
	cmd := exec.Command(build(t, "./internal/testrelease/resign"), dir)
	cmd.Env = append(os.Environ(), "COSIGN_KEY="+priv, "COSIGN_PASSWORD="+Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testrelease: resign: %v\n%s", err, out)
	}
}

// Cleanup removes any command built outside the cache and the packages
// made by [Shared].
func Cleanup() {
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
	for _, s := range shared {
		os.RemoveAll(s.dir)
	}
}

// Main runs the tests of a package that uses this one, then [Cleanup]; call
// it from TestMain: os.Exit(testrelease.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	Cleanup()
	return code
}

type sharedPkg struct {
	once sync.Once
	dir  string
	pkg  *Package
}

var shared = map[string]*sharedPkg{}

// Shared returns the package released with o for the tests of one test
// binary, made once under the given name; tests copy it (see [Copy]) before
// changing anything.
func Shared(t testing.TB, name string, o Options) *Package {
	t.Helper()
	SkipShort(t)
	mu.Lock()
	s, ok := shared[name]
	if !ok {
		s = &sharedPkg{}
		shared[name] = s
	}
	mu.Unlock()
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "cavra-shared-"+name+"-")
		if err != nil {
			t.Fatal(err)
		}
		s.dir = dir
		s.pkg = Build(t, dir, o)
	})
	if s.pkg == nil {
		t.Fatalf("testrelease: the shared %s release failed in an earlier test", name)
	}
	return s.pkg
}

// Build releases a new test repository under dir. It skips the test under
// -short (go run mage.go test:short): a real release takes seconds to
// minutes.
func Build(t testing.TB, dir string, o Options) *Package {
	t.Helper()
	SkipShort(t)
	repo := testrepo.New(t, dir, o.Tag)
	env := append(Env(dir), o.Env...)
	var priv, pub string
	switch {
	case o.SnapshotKey:
		pub = filepath.Join(dir, "home", ".config", "cavra", "snapshot-signing", "cosign.pub")
	case o.PrivateKey != "":
		priv, pub = o.PrivateKey, filepath.Join(filepath.Dir(o.PrivateKey), "cosign.pub")
		env = append(env, "COSIGN_KEY="+priv, "COSIGN_PASSWORD="+Password)
	default:
		priv, pub = GenerateKey(t, filepath.Join(dir, "keys"))
		env = append(env, "COSIGN_KEY="+priv, "COSIGN_PASSWORD="+Password)
	}
	var args []string
	if o.Targets != "" {
		args = append(args, "-targets", o.Targets)
	}
	// A release (not a snapshot) needs a TUF trust repository whose
	// targets key is the release key: made here, 2 of 3, every key
	// encrypted with Password.
	env = append(env, "CAVRA_ROOT_PASSWORD="+Password, "CAVRA_ONLINE_PASSWORD="+Password)
	trustRepo := ""
	if o.Tag != "" && priv != "" {
		RunTool(t, repo, env, "trust", "init")
		trustRepo = filepath.Join(repo, ".cavra", "trust")
	}
	p := Release(t, repo, filepath.Join(dir, "dist"), env, args...)
	p.PrivateKey, p.PublicKey, p.TrustRepo = priv, pub, trustRepo
	var err error
	if p.Key, err = trust.ReadPublicKey(p.PublicKey); err != nil {
		t.Fatalf("testrelease: %v", err)
	}
	return p
}

// Release runs the release command in the repository repo into the empty
// or missing folder out, with the environment env (see [Env]) and extra
// arguments, and returns the package; its key fields are the caller's to
// fill.
func Release(t testing.TB, repo, out string, env []string, args ...string) *Package {
	t.Helper()
	args = append([]string{"release", "-out", out}, args...)
	cmd := exec.Command(Tool(t), args...)
	cmd.Dir = repo
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("testrelease: cavra-release %s: %v\n%s", strings.Join(args, " "), err, log.String())
	}
	p := &Package{Repo: repo, Out: out, Log: log.String()}
	matches, _ := filepath.Glob(filepath.Join(out, "go-runtime-*"))
	if len(matches) != 1 {
		t.Fatalf("testrelease: want one package in %s, found %v", out, matches)
	}
	p.Dir = matches[0]
	p.Version = strings.TrimPrefix(filepath.Base(p.Dir), "go-runtime-")
	p.Zip = filepath.Join(out, "cavra-go-runtime-"+p.Version+".zip")
	if _, err := os.Stat(p.Zip); err != nil {
		t.Fatalf("testrelease: %v", err)
	}
	return p
}

// SkipShort skips a test that makes a real release, a real rebuild or
// drives a browser, under -short.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("a real release: not under -short (go run mage.go test runs it)")
	}
}

// GenerateKey writes a new cosign key pair, encrypted with [Password], into
// dir with the release command, and returns the paths of both halves.
func GenerateKey(t testing.TB, dir string) (priv, pub string) {
	t.Helper()
	cmd := exec.Command(Tool(t), "keygen", "-dir", dir)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testrelease: keygen: %v\n%s", err, out)
	}
	return filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
}

// goCaches are the caller's Go build and module caches, read once.
var goCaches = sync.OnceValue(func() []string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	f := strings.Fields(string(out))
	if err != nil || len(f) != 2 {
		return nil
	}
	return []string{"GOCACHE=" + f[0], "GOMODCACHE=" + f[1]}
})

// Env returns the environment for a release in dir: the caller's, minus
// what would make it depend on the caller (VERSION, SOURCE_DATE_EPOCH,
// CAVRA_RELEASE, GITHUB_*), with HOME moved into dir so machine-local state
// (the snapshot signing key) stays in the test. The Go build and module
// caches stay the caller's: they are content-addressed, so sharing them
// changes no byte of a release, and a test release need not compile the
// standard library again.
func Env(dir string) []string {
	env := slices.Clone(goCaches())
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "VERSION", k == "SOURCE_DATE_EPOCH", k == "CAVRA_RELEASE", k == "XDG_CONFIG_HOME",
			strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "COSIGN_"), k == "HOME",
			k == "GOCACHE" && goCaches() != nil, k == "GOMODCACHE" && goCaches() != nil:
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o755)
	return append(env, "HOME="+home)
}

// Copy copies the package folder src to a new folder named like it under
// dir, for a test to tamper with, and returns its path.
func Copy(t testing.TB, src, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		st, err := in.Stat()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// RunTool runs the release command with args in dir, with the environment
// env, and returns what it printed; a failure fails the test.
func RunTool(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Tool(t), args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testrelease: cavra-release %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
