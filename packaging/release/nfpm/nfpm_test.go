package nfpm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser/nfpm/v2"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/linuxpkg"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

const (
	testVersion = "v1.2.3-rc.1"
	testEpoch   = 1700000000
)

// tmpRoot holds what the tests share: the binaries and the result of the
// first run of the step. TestMain removes it.
var tmpRoot string

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "cavra-nfpm-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// binaries builds the runtime for the packaged targets once per test
// binary, as a release does, and returns the folder holding
// bin/linux-<arch>/cavra-runtime.
var binaries = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(tmpRoot, "bins")
	root, err := filepath.Abs("../../..")
	if err != nil {
		return "", err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(linuxpkg.Targets))
	for i, target := range linuxpkg.Targets {
		wg.Go(func() {
			t, _ := build.ParseTarget(target)
			out := filepath.Join(dir, filepath.FromSlash(t.Binary()))
			cmd := exec.Command("go", "build", "-ldflags=-s -w -buildid= -X main.version="+testVersion, "-o", out, "./cmd/cavra-runtime")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-trimpath", "GOOS="+t.GOOS, "GOARCH="+t.GOARCH)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", target, err, b)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	return dir, nil
})

// newState returns a release state in a new folder holding the binaries,
// with all six targets of the release matrix.
func newState(t testing.TB, epoch time.Time) *release.State {
	t.Helper()
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.MkdirTemp(tmpRoot, "run-")
	if err != nil {
		t.Fatal(err)
	}
	s := &release.State{
		Config: &release.Config{
			Version:    testVersion,
			Epoch:      epoch,
			Targets:    build.Matrix,
			Repository: "https://github.com/cavra/cavra",
		},
		Dir:    filepath.Join(out, "go-runtime-"+testVersion),
		OutDir: out,
	}
	for _, target := range linuxpkg.Targets {
		tg, _ := build.ParseTarget(target)
		data, err := os.ReadFile(filepath.Join(bins, filepath.FromSlash(tg.Binary())))
		if err != nil {
			t.Fatal(err)
		}
		a, err := artifact.WriteFile(s.Dir, tg.Binary(), artifact.Binary, 0o755, data)
		if err != nil {
			t.Fatal(err)
		}
		a.Target = target
		s.Artifacts = append(s.Artifacts, a)
	}
	return s
}

// first is the result of one run of the step, shared by the tests.
var first struct {
	once sync.Once
	s    *release.State
	got  artifact.List
	err  error
	took time.Duration
	log  string
}

func run(t *testing.T) (*release.State, artifact.List) {
	t.Helper()
	first.once.Do(func() {
		first.s = newState(t, time.Unix(testEpoch, 0).UTC())
		var log bytes.Buffer
		first.s.Log = release.NewLog(&log)
		start := time.Now()
		first.got, first.err = Step{}.Run(context.Background(), first.s)
		first.took = time.Since(start)
		first.log = log.String()
	})
	if first.err != nil {
		t.Fatal(first.err)
	}
	return first.s, first.got
}

func fileSHA256(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func embeddedSHA256(t *testing.T, name string) string {
	t.Helper()
	data, err := fs.ReadFile(embedded, "files/"+name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestStepArtifacts(t *testing.T) {
	s, got := run(t)
	t.Logf("step took %v for %d packages\n%s", first.took.Round(time.Millisecond), len(got), first.log)
	var want []string
	for _, target := range linuxpkg.Targets {
		for _, format := range linuxpkg.Formats {
			p, err := linuxpkg.Path(format, testVersion, target)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, p)
		}
	}
	var paths []string
	for _, a := range got {
		paths = append(paths, a.Path)
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("got paths %v, want %v", paths, want)
	}
	for _, a := range got {
		v, _ := linuxpkg.Version(a.Format, testVersion)
		switch {
		case a.Kind != artifact.Package:
			t.Errorf("%s: got kind %v, want %v", a.Path, a.Kind, artifact.Package)
		case a.Version != v:
			t.Errorf("%s: got version %q, want %q", a.Path, a.Version, v)
		case a.Contains != "bin/"+strings.ReplaceAll(a.Target, "/", "-")+"/cavra-runtime":
			t.Errorf("%s: got contains %q, want the %s binary", a.Path, a.Contains, a.Target)
		case !strings.HasSuffix(a.Path, "."+a.Format):
			t.Errorf("%s: got format %q", a.Path, a.Format)
		}
		if p, _ := linuxpkg.Path(a.Format, testVersion, a.Target); p != a.Path {
			t.Errorf("%s: got target %q", a.Path, a.Target)
		}
		name := filepath.Join(s.Dir, filepath.FromSlash(a.Path))
		if sum := fileSHA256(t, name); sum != a.SHA256 {
			t.Errorf("%s: got SHA-256 %s, file has %s", a.Path, a.SHA256, sum)
		}
		if fi, err := os.Stat(name); err != nil || fi.Size() != a.Size || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: stat %v %v, want size %d mode 0644", a.Path, fi, err, a.Size)
		}
	}
	// The step writes nothing but the packages.
	var files []string
	filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(s.Dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(files) != len(s.Artifacts)+len(got) {
		t.Errorf("package folder holds %v", files)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(s.OutDir, "nfpm-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestStepContents reads every package back with linuxpkg.Read.
func TestStepContents(t *testing.T) {
	s, got := run(t)
	for _, a := range got {
		t.Run(path.Base(a.Path), func(t *testing.T) {
			f, err := os.Open(filepath.Join(s.Dir, filepath.FromSlash(a.Path)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info, files, err := linuxpkg.Read(a.Format, f, linuxpkg.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := linuxpkg.Version(a.Format, testVersion)
			arch, _ := linuxpkg.Arch(a.Format, a.Target)
			want := linuxpkg.Info{Name: "cavra-runtime", Version: v, Arch: arch}
			if a.Format == "rpm" {
				want.Release = "1"
			}
			if info != want {
				t.Errorf("got info %+v, want %+v", info, want)
			}
			bin, _ := binary(s.Artifacts, a.Target)
			byPath := map[string]linuxpkg.File{}
			for _, f := range files {
				byPath[f.Path] = f
			}
			for _, w := range []linuxpkg.File{
				{Path: linuxpkg.InstalledPath, Mode: 0o755, Size: bin.Size, SHA256: bin.SHA256},
				{Path: UnitPath, Mode: 0o644, SHA256: embeddedSHA256(t, "cavra-runtime.service")},
				{Path: ReadmePath, Mode: 0o644, SHA256: embeddedSHA256(t, "README")},
				{Path: LicensePath, Mode: 0o644, SHA256: embeddedSHA256(t, "LICENSE")},
				{Path: ConfigDir, Mode: fs.ModeDir | 0o755},
			} {
				w.Owner, w.MTime = "root:root", testEpoch // every entry, at SOURCE_DATE_EPOCH
				g, ok := byPath[w.Path]
				if !ok {
					t.Errorf("no %s", w.Path)
					continue
				}
				if w.Size == 0 {
					w.Size = g.Size
				}
				if g != w {
					t.Errorf("got %+v, want %+v", g, w)
				}
			}
			if b, err := linuxpkg.Installed(files); err != nil || b.SHA256 != bin.SHA256 {
				t.Errorf("Installed: got %+v, %v", b, err)
			}
			for _, f := range files {
				if f.Mode.IsRegular() && !slices.Contains([]string{linuxpkg.InstalledPath, UnitPath, ReadmePath, LicensePath}, f.Path) {
					t.Errorf("unexpected file %s", f.Path)
				}
			}
		})
	}
}

// TestConventionalNames checks linuxpkg.Path against nfpm's own file
// names, computed by nfpm from the release version the way nfpm's
// configuration file would (version_schema semver): deb and rpm agree;
// apk is where linuxpkg differs on purpose, since nfpm would write
// 1.2.3_rc.1, which apk's version grammar refuses.
func TestConventionalNames(t *testing.T) {
	for _, target := range linuxpkg.Targets {
		goarch := strings.TrimPrefix(target, "linux/")
		for _, format := range linuxpkg.Formats {
			info := nfpm.WithDefaults(&nfpm.Info{Name: "cavra-runtime", Arch: goarch, Version: testVersion})
			name := packagers[format].ConventionalFileName(info)
			p, err := linuxpkg.Path(format, testVersion, target)
			if err != nil {
				t.Fatal(err)
			}
			switch format {
			case "apk":
				if name != "cavra-runtime_1.2.3_rc.1_"+map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[goarch]+".apk" {
					t.Errorf("nfpm's apk name is now %s", name)
				}
			default:
				if "packages/"+name != p {
					t.Errorf("%s %s: got %s, nfpm says %s", format, target, p, name)
				}
			}
			// And with the info the step gives nfpm.
			j := job{format: format, target: target}
			j.version, _ = linuxpkg.Version(format, testVersion)
			j.arch, _ = linuxpkg.Arch(format, target)
			info = packageInfo(j, time.Unix(testEpoch, 0), Homepage, "bin", sources{})
			if name := packagers[format].ConventionalFileName(info); "packages/"+name != p {
				t.Errorf("%s %s: got %s, nfpm says %s for the step's info", format, target, p, name)
			}
		}
	}
}

// tool returns the path of a command-line tool, skipping the test when it
// is absent unless CAVRA_REQUIRE_TOOLS=1.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CAVRA_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required (CAVRA_REQUIRE_TOOLS=1): %v", name, err)
		}
		t.Skipf("%s not found", name)
	}
	return p
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func TestDpkgDeb(t *testing.T) {
	dpkgDeb := tool(t, "dpkg-deb")
	s, got := run(t)
	for _, a := range got.Of(artifact.Package) {
		if a.Format != "deb" {
			continue
		}
		t.Run(path.Base(a.Path), func(t *testing.T) {
			name := filepath.Join(s.Dir, filepath.FromSlash(a.Path))
			arch, _ := linuxpkg.Arch("deb", a.Target)
			fields := command(t, dpkgDeb, "--field", name, "Package", "Version", "Architecture", "Maintainer", "Homepage", "Section")
			want := fmt.Sprintf("Package: cavra-runtime\nVersion: %s\nArchitecture: %s\nMaintainer: %s\nHomepage: https://github.com/cavra/cavra\nSection: admin\n", a.Version, arch, Maintainer)
			if fields != want {
				t.Errorf("dpkg-deb --field:\ngot  %q\nwant %q", fields, want)
			}
			info := command(t, dpkgDeb, "--info", name)
			for _, w := range []string{"Description: " + Summary, " cavra-runtime decides, before an AI agent acts", "Installed-Size:", "Priority: optional"} {
				if !strings.Contains(info, w) {
					t.Errorf("dpkg-deb --info lacks %q:\n%s", w, info)
				}
			}
			if strings.Contains(info, "postinst") || strings.Contains(info, "preinst") {
				t.Errorf("the deb has maintainer scripts:\n%s", info)
			}
			if c := command(t, dpkgDeb, "--info", name, "conffiles"); c != ReadmePath+"\n" {
				t.Errorf("conffiles: got %q, want %q", c, ReadmePath+"\n")
			}
			contents := command(t, dpkgDeb, "--contents", name)
			for _, w := range []string{
				"-rwxr-xr-x root/root", "./usr/bin/cavra-runtime",
				"./usr/lib/systemd/system/cavra-runtime.service", "./etc/cavra-runtime/README", "./usr/share/doc/cavra-runtime/LICENSE",
				time.Unix(testEpoch, 0).Format("2006-01-02 15:04"),
			} {
				if !strings.Contains(contents, w) {
					t.Errorf("dpkg-deb --contents lacks %q:\n%s", w, contents)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(contents), "\n") {
				if !strings.Contains(line, " root/root ") {
					t.Errorf("not root/root: %s", line)
				}
			}
		})
	}
}

// TestDpkgInstall extracts the amd64 deb with dpkg and runs the installed
// binary.
func TestDpkgInstall(t *testing.T) {
	dpkg := tool(t, "dpkg")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("runs the linux/amd64 binary")
	}
	s, got := run(t)
	p, _ := linuxpkg.Path("deb", testVersion, "linux/amd64")
	a, ok := got.Find(p)
	if !ok {
		t.Fatalf("no %s", p)
	}
	root := t.TempDir()
	command(t, dpkg, "-x", filepath.Join(s.Dir, filepath.FromSlash(a.Path)), root)
	bin := filepath.Join(root, "usr", "bin", "cavra-runtime")
	if fi, err := os.Lstat(bin); err != nil || fi.Mode() != 0o755 {
		t.Fatalf("installed binary: %v %v", fi, err)
	}
	out := command(t, bin, "version")
	if line, _, _ := strings.Cut(out, "\n"); line != "cavra-runtime "+testVersion {
		t.Errorf("cavra-runtime version: got %q, want %q", line, "cavra-runtime "+testVersion)
	}
	unit, err := os.ReadFile(filepath.Join(root, "usr", "lib", "systemd", "system", "cavra-runtime.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"ExecStart=/usr/bin/cavra-runtime serve --socket /run/cavra-runtime/cavra-runtime.sock\n",
		"RuntimeDirectory=cavra-runtime\n", "DynamicUser=yes\n", "NoNewPrivileges=yes\n",
		"ProtectSystem=strict\n", "ProtectHome=yes\n", "PrivateTmp=yes\n",
	} {
		if !bytes.Contains(unit, []byte(w)) {
			t.Errorf("unit lacks %q", w)
		}
	}
}

func TestRPM(t *testing.T) {
	rpmTool := tool(t, "rpm")
	s, got := run(t)
	for _, a := range got.Of(artifact.Package) {
		if a.Format != "rpm" {
			continue
		}
		t.Run(path.Base(a.Path), func(t *testing.T) {
			name := filepath.Join(s.Dir, filepath.FromSlash(a.Path))
			arch, _ := linuxpkg.Arch("rpm", a.Target)
			qf := command(t, rpmTool, "-qp", "--qf", "%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{VENDOR}|%{URL}|%{PACKAGER}|%{BUILDHOST}|%{BUILDTIME}|%{PAYLOADCOMPRESSOR}", name)
			want := strings.Join([]string{"cavra-runtime", a.Version, "1", arch, License, Vendor, "https://github.com/cavra/cavra", Maintainer, BuildHost, fmt.Sprint(testEpoch), "gzip"}, "|")
			if qf != want {
				t.Errorf("rpm -qp --qf:\ngot  %s\nwant %s", qf, want)
			}
			if info := command(t, rpmTool, "-qpi", name); !strings.Contains(info, "Summary     : "+Summary) {
				t.Errorf("rpm -qpi:\n%s", info)
			}
			list := command(t, rpmTool, "-qpl", name)
			wantList := strings.Join([]string{ConfigDir, ReadmePath, linuxpkg.InstalledPath, UnitPath, LicensePath}, "\n") + "\n"
			if list != wantList {
				t.Errorf("rpm -qpl:\ngot  %q\nwant %q", list, wantList)
			}
			if c := command(t, rpmTool, "-qpc", name); c != ReadmePath+"\n" {
				t.Errorf("rpm -qpc: got %q", c)
			}
			if l := command(t, rpmTool, "-qpL", name); l != LicensePath+"\n" {
				t.Errorf("rpm -qpL: got %q", l)
			}
			if sc := command(t, rpmTool, "-qp", "--scripts", name); strings.TrimSpace(sc) != "" {
				t.Errorf("the rpm has scripts:\n%s", sc)
			}
			// --dump: path size mtime digest mode owner group isconfig isdoc
			// rdev symlink (rpmpack records an rdev of 1)
			bin, _ := binary(s.Artifacts, a.Target)
			dump := command(t, rpmTool, "-qp", "--dump", name)
			wantBin := fmt.Sprintf("%s %d %d %s 0100755 root root 0 0 1 X", linuxpkg.InstalledPath, bin.Size, testEpoch, bin.SHA256)
			if !strings.Contains(dump, wantBin+"\n") {
				t.Errorf("rpm --dump lacks %q:\n%s", wantBin, dump)
			}
			// rpm checks the header and payload digests.
			if k := command(t, rpmTool, "-K", "--nosignature", name); !strings.Contains(k, "digests OK") {
				t.Errorf("rpm -K: %s", k)
			}
		})
	}
}

func TestVersionOrder(t *testing.T) {
	pre, _ := linuxpkg.Version("deb", testVersion)
	rel, _ := linuxpkg.Version("deb", "v1.2.3")
	t.Run("dpkg", func(t *testing.T) {
		dpkg := tool(t, "dpkg")
		for _, c := range [][3]string{{pre, "lt", rel}, {rel, "lt", "1.2.3+build.5"}, {"0.0.0~snapshot.0123456789ab", "lt", "0.0.0~snapshot.0123456789ab.dirty"}, {"0.0.0~snapshot.0123456789ab.dirty", "lt", "0.0.0"}} {
			if err := exec.Command(dpkg, "--compare-versions", c[0], c[1], c[2]).Run(); err != nil {
				t.Errorf("dpkg --compare-versions %s %s %s: %v", c[0], c[1], c[2], err)
			}
		}
	})
	t.Run("rpm", func(t *testing.T) {
		rpmTool := tool(t, "rpm")
		out := command(t, rpmTool, "--eval", fmt.Sprintf(`%%{lua: print(rpm.vercmp(%q, %q))}`, pre, rel))
		if strings.TrimSpace(out) != "-1" {
			t.Errorf("rpm.vercmp(%q, %q) = %q, want -1", pre, rel, out)
		}
	})
}

// BenchmarkStep measures the step for the six packages:
//
//	go test ./packaging/nfpm -run '^$' -bench Step -benchtime 5x
func BenchmarkStep(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := newState(b, time.Unix(testEpoch, 0))
		b.StartTimer()
		if _, err := (Step{}).Run(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(s.OutDir)
		b.StartTimer()
	}
}
