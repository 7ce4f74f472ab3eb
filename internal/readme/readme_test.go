package readme

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// block is one fenced shell block of the README.
type block struct {
	line   int      // where it starts
	indent int      // how far its fence is indented (inside a list item)
	sh     bool     // a shell block, not text, JSON or output
	place  string   // setup, checkout, download, airgap
	cosign int      // 2 or 3 when a tag names a cosign version, else 0
	text   string   // the commands, as written
	tags   []string // the words after "sh"
}

var places = []string{"setup", "checkout", "runtime", "download", "airgap"}

// parse returns the shell blocks of a Markdown document.
func parse(t *testing.T, doc []byte) []block {
	var blocks []block
	var cur *block
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
			cur = &block{line: n, indent: len(line) - len(strings.TrimLeft(line, " "))}
			if len(info) == 0 || info[0] != "sh" {
				continue // another language: not run, but its end must be found
			}
			cur.sh, cur.tags = true, info[1:]
			for _, tag := range cur.tags {
				switch {
				case slices.Contains(places, tag):
					if cur.place != "" {
						t.Errorf("README.md:%d: two places, %s and %s", n, cur.place, tag)
					}
					cur.place = tag
				case tag == "cosign-v2":
					cur.cosign = 2
				case tag == "cosign-v3":
					cur.cosign = 3
				default:
					t.Errorf("README.md:%d: unknown tag %q (see package readme)", n, tag)
				}
			}
			if cur.place == "" {
				t.Errorf("README.md:%d: a sh block must say where it runs: one of %v (see package readme)", n, places)
			}
		case cur != nil && trimmed == "```":
			if cur.sh {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			// Lines of a block inside a list item are indented like its fence.
			cut := min(cur.indent, len(line)-len(strings.TrimLeft(line, " ")))
			cur.text += line[cut:] + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: code block never closed", cur.line)
	}
	return blocks
}

var placeholder = regexp.MustCompile(`<[a-z][a-z-]*>`)

// TestReadme runs every shell block of the README in order, verbatim, as a
// reader follows it: a release, verification before transfer, the transfer
// of the zip and the trusted key, verification and rebuild inside a network
// namespace with an empty module cache, and an upgrade check.
func TestReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("releases four times and rebuilds every target twice")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the README's shell blocks are POSIX shell; the air gap is a Linux network namespace")
	}
	root := testrepo.ModuleRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := parse(t, doc)
	checkSetup(t, root, blocks)

	site := t.TempDir()
	// A fresh clone: committed now, so that the TUF metadata of its
	// releases (which expires counting from the commit time) is current.
	repo := testrepo.NewAt(t, site, "", time.Now())
	goenv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	gocache, modcache := goenv("GOCACHE"), goenv("GOMODCACHE")
	gobin := filepath.Join(site, "gobin")
	// An offline site installed the release toolchain the README names
	// and put it first on PATH.
	release, err := build.FindGo(t.Context(), build.Find{Version: build.Toolchain})
	if err != nil {
		testtools.Missing(t, "the release toolchain for the air-gapped blocks: %v", err)
		return
	}
	netns := exec.Command("unshare", "-n", "true").Run() == nil
	if !netns && testtools.Required() {
		t.Fatal("unshare -n is not available: the air-gap blocks need a network namespace")
	}

	// The virtual Sigstore that stands for the public-good instance: the
	// checkout's releases carry its trusted root, as CI's release job's
	// carry the one it fetches (CAVRA_SIGSTORE_TRUSTED_ROOT=fetch, which
	// needs the network), and it signs the package keyless.
	vs := testsigstore.New(t)
	sigstoreRoot := vs.WriteTrustedRoot(t, site)
	s := &session{
		t:    t,
		site: site,
		dirs: map[string]string{"checkout": repo},
		cwd:  map[string]string{},
		vs:   vs,
		env: func(place string) []string {
			env := testrelease.Env(filepath.Join(site, "home-"+place))
			env = slices.DeleteFunc(env, func(kv string) bool {
				k, _, _ := strings.Cut(kv, "=")
				return strings.HasPrefix(k, "CAVRA_") || k == "GOBIN" || k == "GOMODCACHE" || k == "GOCACHE" || k == "GOPROXY" || k == "PATH"
			})
			if place == "checkout" {
				env = append(env, "CAVRA_SIGSTORE_TRUSTED_ROOT="+sigstoreRoot)
			}
			path := os.Getenv("PATH")
			if place == "airgap" {
				// Only the Go toolchain and standard tools; nothing the
				// connected side installed, and no module downloaded.
				return append(env, "GOCACHE="+gocache, "GOMODCACHE="+filepath.Join(site, "empty-modcache"), "PATH="+filepath.Join(release.GOROOT, "bin")+string(os.PathListSeparator)+path)
			}
			return append(env, "GOCACHE="+gocache, "GOMODCACHE="+modcache, "GOBIN="+gobin, "PATH="+gobin+string(os.PathListSeparator)+path)
		},
		netns: netns,
	}
	t.Cleanup(func() {
		// Module caches are read-only; make them removable.
		exec.Command("chmod", "-R", "u+w", filepath.Join(site, "empty-modcache")).Run()
	})
	for _, b := range blocks {
		if b.place == "setup" || b.place == "runtime" {
			continue // checked above; run by cmd/cavra-runtime's TestREADME
		}
		s.run(b)
		if t.Failed() {
			return
		}
	}
	s.checkEvidence()
}

// checkSetup checks the set-up block: the two commands, the second being
// what .ci/run runs; the first is run by the release section.
func checkSetup(t *testing.T, root string, blocks []block) {
	if len(blocks) == 0 || blocks[0].place != "setup" {
		t.Fatal("README.md: the first shell block must be the set-up (sh setup)")
	}
	var cmds []string
	for _, l := range strings.Split(blocks[0].text, "\n") {
		if c, _, _ := strings.Cut(l, "#"); strings.TrimSpace(c) != "" {
			cmds = append(cmds, strings.TrimSpace(c))
		}
	}
	if want := []string{"go run mage.go release", "go run mage.go test"}; !slices.Equal(cmds, want) {
		t.Errorf("README.md:%d: set-up is %q, want %q", blocks[0].line, cmds, want)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\nexec go run mage.go test\n") {
		t.Errorf(".ci/run does not run exactly the README's test command:\n%s", ci)
	}
	released := false
	for _, b := range blocks[1:] {
		if b.place == "checkout" && regexp.MustCompile(`(?m)^go run mage.go release(\s|$)`).MatchString(b.text) {
			released = true
		}
	}
	if !released {
		t.Error("README.md: no checkout block runs the set-up's `go run mage.go release` as written")
	}
}

// session is a reader following the README: one folder per place, the
// folder each place's last block ended in, and the version of the package.
type session struct {
	t       *testing.T
	site    string
	dirs    map[string]string // place -> the folder it starts in
	cwd     map[string]string // place -> where its last block ended
	env     func(place string) []string
	netns   bool
	version string
	vs      *testsigstore.Sigstore // signs keyless; the releases carry its trusted root
	keyless bool                   // the package of version is signed keyless
}

func (s *session) run(b block) {
	t := s.t
	text := b.text
	if strings.Contains(text, "&&") || strings.Contains(text, "||") {
		t.Errorf("README.md:%d: chains commands with && or ||, which hides a failing command from the test; write one command a line", b.line)
		return
	}
	if strings.Contains(text, "<version>") {
		if s.version == "" {
			s.version = s.newest()
		}
		text = strings.ReplaceAll(text, "<version>", s.version)
	}
	if p := placeholder.FindString(text); p != "" {
		t.Errorf("README.md:%d: placeholder %s has no value in the test; only <version> does", b.line, p)
		return
	}
	dir := s.prepare(b.place)
	if c, ok := s.cwd[b.place]; ok {
		dir = c
	}
	pwd := filepath.Join(s.site, "pwd")
	script := "set -e -o pipefail\n" + text + "\npwd > '" + pwd + "'\n"
	argv := []string{"bash", "-c", script}
	if b.place == "airgap" && s.netns {
		argv = append([]string{"unshare", "-n"}, argv...)
	}
	env := s.env(b.place)
	if b.cosign != 0 {
		cosign := testtools.Cosign(t, b.cosign)
		env = setPath(env, filepath.Dir(cosign))
	} else if v2 := os.Getenv("CAVRA_COSIGN_V2"); v2 != "" {
		env = setPath(env, filepath.Dir(v2))
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("README.md:%d (%s, %.1fs):\n%s  output:\n%s", b.line, b.place, time.Since(start).Seconds(), indentText(text), indentText(string(out)))
	if err != nil {
		t.Errorf("README.md:%d: %s block failed: %v\n%s", b.line, b.place, err, out)
		return
	}
	end, err := os.ReadFile(pwd)
	if err != nil {
		t.Fatal(err)
	}
	s.cwd[b.place] = strings.TrimSpace(string(end))
}

// prepare makes a place's folder the first time a block runs there: the
// download folder holds what a release publishes and the root metadata the
// maintainers hand out (1.root.json); the air-gapped folder only what the
// README says to transfer.
func (s *session) prepare(place string) string {
	if d, ok := s.dirs[place]; ok {
		return d
	}
	t := s.t
	dir := filepath.Join(s.site, place)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if s.version == "" {
		s.version = s.newest()
	}
	dist := filepath.Join(s.dirs["checkout"], "dist")
	zip := "cavra-go-runtime-" + s.version + ".zip"
	files := []string{zip}
	if place == "download" {
		files = append(files, zip+".sha256", zip+".sig", zip+".sigstore.json")
	}
	// What the release workflow's signing job publishes beside the zip:
	// here signed by a virtual Sigstore as that workflow at the version's
	// tag.
	s.signKeyless(dist)
	files = append(files, layout.KeylessZip(s.version), layout.KeylessChecksums(s.version), layout.KeylessProvenance(s.version))
	switch place {
	case "download":
		files = append(files, sigstore.TrustedRootName) // published beside the zip
	case "airgap":
		// The database the README says to bring; not trusted_root.json:
		// the package carries it, a TUF target.
		files = append(files, "vulndb.zip")
	}
	for _, f := range files {
		copyFile(t, filepath.Join(dist, f), filepath.Join(dir, f))
	}
	// The root the maintainers hand out, obtained outside the package.
	copyFile(t, filepath.Join(s.dirs["checkout"], ".cavra", "trust", "1.root.json"), filepath.Join(dir, "1.root.json"))
	s.dirs[place] = dir
	return dir
}

// signKeyless signs the package of the session's version in dist keyless,
// once, as the release workflow's signing job would: with a virtual
// Sigstore, as https://github.com/cavra/cavra/.github/workflows/release.yml
// at refs/tags/<version>, with an RFC 3161 timestamp.
func (s *session) signKeyless(dist string) {
	if s.keyless {
		return
	}
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/"+s.version, strings.Repeat("0", 40), "release")
	s.vs.SignPackage(s.t, dist, s.version, testsigstore.Options{Identity: id, Timestamp: true})
	s.keyless = true
}

// newest returns the version of the package in the checkout's dist/ that was
// written last.
func (s *session) newest() string {
	matches, _ := filepath.Glob(filepath.Join(s.dirs["checkout"], "dist", "go-runtime-*"))
	var best string
	var when time.Time
	for _, m := range matches {
		st, err := os.Stat(filepath.Join(m, "checksums.txt"))
		if err == nil && st.ModTime().After(when) {
			best, when = m, st.ModTime()
		}
	}
	if best == "" {
		s.t.Fatal("README: <version> is used before any package was released into dist/")
	}
	return strings.TrimPrefix(filepath.Base(best), "go-runtime-")
}

// checkEvidence checks that the README's rebuilds did real work: both the
// CLI and the mage rebuild matched every target and signed that they did.
func (s *session) checkEvidence() {
	t := s.t
	air := s.dirs["airgap"]
	if air == "" {
		t.Fatal("README: no air-gapped block ran")
	}
	for _, p := range []string{
		filepath.Join(air, "evidence", "rebuild-evidence.json"),
		filepath.Join(air, "cavra-runtime-"+s.version, "rebuild-evidence.json"),
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("README rebuild left no evidence: %v", err)
			continue
		}
		var ev struct {
			Status  string
			Version string
			Targets []struct{ Status string }
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		passed := 0
		for _, tr := range ev.Targets {
			if tr.Status == "PASS" {
				passed++
			}
		}
		if ev.Status != "PASS" || ev.Version != s.version || passed != 6 {
			t.Errorf("%s: got %s, version %s, %d targets matched; want PASS, %s, 6", p, ev.Status, ev.Version, passed, s.version)
		}
		// Beside it, the rebuild's signed verdict: PASSED, every binary.
		env, err := os.ReadFile(filepath.Join(filepath.Dir(p), "rebuild.intoto.jsonl"))
		if err != nil {
			t.Errorf("README rebuild signed no attestation: %v", err)
			continue
		}
		var e struct{ Payload []byte }
		var st struct {
			Subject   []struct{ Name string }
			Predicate struct{ VerificationResult string }
		}
		if err := json.Unmarshal(env, &e); err != nil || json.Unmarshal(e.Payload, &st) != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Predicate.VerificationResult != "PASSED" || len(st.Subject) != 6 {
			t.Errorf("attestation beside %s: got %s for %d binaries, want PASSED for 6", p, st.Predicate.VerificationResult, len(st.Subject))
		}
	}
	if _, err := os.Stat(filepath.Join(air, "report.html")); err != nil {
		t.Errorf("README report: %v", err)
	}
}

func setPath(env []string, first string) []string {
	out := slices.Clone(env)
	for i, kv := range out {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			out[i] = "PATH=" + first + string(os.PathListSeparator) + v
		}
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("README: %v", err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func indentText(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
