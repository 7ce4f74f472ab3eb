package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/signing/trust"
)

// rebuilds is the shared fixture of these tests: the six-target package,
// rebuilt through the command line by three rebuilders with keys of their
// own (alice ECDSA P-256, bob and carol Ed25519; carol is trusted by no
// one), and by dave, whose toolchain changes a byte of what it builds, so
// that he signs FAILED.
type rebuilds struct {
	pkg  *testrelease.Package
	dir  string
	key  map[string]string // rebuilder -> private key file; the public one is beside it
	att  map[string]string // rebuilder -> rebuild.intoto.jsonl
	logs map[string]string // rebuilder -> what the rebuild printed
}

var (
	fixtureOnce sync.Once
	fixture     *rebuilds
	fixtureDir  string
)

func pub(k string) string { return pubPath(k) }

func rebuilt(t *testing.T) *rebuilds {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("dave's toolchain is a shell script")
	}
	p := pkg(t)
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cavra-rebuilders-")
		if err != nil {
			t.Fatal(err)
		}
		fixtureDir = dir
		r := &rebuilds{pkg: p, dir: dir, key: map[string]string{}, att: map[string]string{}, logs: map[string]string{}}
		for _, who := range []string{"alice", "bob", "carol", "dave"} {
			r.key[who] = filepath.Join(dir, who+".key")
			args := []string{"keygen", "-out", r.key[who]}
			if who != "alice" {
				args = append(args, "-ed25519")
			}
			if code, out, errs := cli(args...); code != 0 {
				t.Fatalf("keygen %s: %d %s %s", who, code, out, errs)
			}
		}
		// dave's go, the release toolchain, builds, then appends a byte
		// to what it built.
		real := testrelease.Go(t).Path
		badGo := filepath.Join(dir, "go")
		script := "#!/bin/sh\n\"" + real + "\" \"$@\" || exit $?\n[ \"$1\" = build ] || exit 0\nprev=\nfor a in \"$@\"; do [ \"$prev\" = -o ] && printf x >> \"$a\"; prev=$a; done\n"
		if err := os.WriteFile(badGo, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"alice", "bob", "carol", "dave"} {
			out := filepath.Join(dir, who)
			args := []string{"release", "rebuild", "-key", p.PublicKey, "-sign-key", r.key[who], "-rebuilder-id", "https://rebuilders.example.com/" + who, "-out", out, p.Dir}
			want := 0
			if who == "dave" {
				args = append(args[:len(args)-1], "-go", badGo, "-target", "linux/amd64", p.Dir)
				want = 1
			}
			code, stdout, stderr := cli(args...)
			if code != want {
				t.Fatalf("rebuild by %s: exit %d, want %d\n%s%s", who, code, want, stdout, stderr)
			}
			r.att[who], r.logs[who] = filepath.Join(out, attestation.FileName), stdout
		}
		fixture = r
	})
	if fixture == nil {
		t.Fatal("the shared rebuilds failed in an earlier test")
	}
	return fixture
}

// statementOf returns the statement of an attestation file, unchecked.
func statementOf(t *testing.T, path string) *attestation.Statement {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, payload, err := trust.ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attestation.Parse(payload)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRebuildersSign checks what each rebuilder signed: alice, bob and
// carol PASSED for all six binaries, dave FAILED, with why.
func TestRebuildersSign(t *testing.T) {
	r := rebuilt(t)
	for _, who := range []string{"alice", "bob", "carol"} {
		st := statementOf(t, r.att[who])
		if st.Predicate.VerificationResult != "PASSED" || len(st.Subject) != 6 || st.Predicate.Verifier.ID != "https://rebuilders.example.com/"+who {
			t.Errorf("%s: got %s with %d subjects by %s", who, st.Predicate.VerificationResult, len(st.Subject), st.Predicate.Verifier.ID)
		}
		if !strings.Contains(r.logs[who], "PASS  attestation: rebuild.intoto.jsonl and rebuild.sigstore.json: PASSED, 6 binaries") {
			t.Errorf("%s: the rebuild does not say what it signed:\n%s", who, r.logs[who])
		}
	}
	st := statementOf(t, r.att["dave"])
	x := st.Predicate.Rebuild
	if st.Predicate.VerificationResult != "FAILED" || len(st.Subject) != 1 || x == nil || len(x.Targets[0].Differences) == 0 ||
		!strings.Contains(x.Targets[0].Differences[0].Detail, "every ELF section agrees") {
		t.Errorf("dave: got %s, %+v", st.Predicate.VerificationResult, x)
	}
}

// TestInstallPolicy runs verify-go-package and verify-airgap-bundle with the
// rebuilders' attestations, as an installer does.
func TestInstallPolicy(t *testing.T) {
	r := rebuilt(t)
	p := r.pkg
	dir := t.TempDir()
	// bob's attestation with one changed character in its statement.
	tampered := filepath.Join(dir, "bob-tampered.intoto.jsonl")
	data, _ := os.ReadFile(r.att["bob"])
	var e trust.Envelope
	json.Unmarshal(data, &e)
	payload, _ := base64.StdEncoding.DecodeString(e.Payload)
	e.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte("https://rebuilders.example.com/bob"), []byte("https://rebuilders.example.com/bot"), 1))
	data, _ = json.Marshal(e)
	os.WriteFile(tampered, data, 0o644)
	// What alice signs for another release of the same commit, v9.9.9:
	// her key, her verdict, another package.
	replayed := filepath.Join(dir, "alice-v9.9.9.intoto.jsonl")
	st := statementOf(t, r.att["alice"])
	st.Predicate.ResourceURI = attestation.ResourceURI("cavra-go-runtime", "v9.9.9")
	st.Predicate.InputAttestations[0].Digest["sha256"] = strings.Repeat("9", 64)
	alice, err := attestation.ReadPrivateKey(r.key["alice"])
	if err != nil {
		t.Fatal(err)
	}
	env, _, _ := alice.Sign(st)
	os.WriteFile(replayed, env, 0o644)

	keys := func(who ...string) []string {
		var args []string
		for _, w := range who {
			args = append(args, "-rebuilder-key", pub(r.key[w]))
		}
		return args
	}
	atts := func(files ...string) []string {
		var args []string
		for _, f := range files {
			args = append(args, "-rebuild-attestation", f)
		}
		return args
	}
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	verifyDir := []string{"release", "verify-go-package", "-key", p.PublicKey}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{"two rebuilders, two required", join(verifyDir, atts(r.att["alice"], r.att["bob"]), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 0,
			[]string{"PASS  rebuild.policy: 2 trusted rebuilder(s) reproduced every binary, 2 required", "rebuilder https://rebuilders.example.com/alice (key " + keyOf(t, r.key["alice"]) + ") rebuilt all 6 binaries bit for bit at "}},
		{"the zip, before transfer", join([]string{"release", "verify-airgap-bundle", "-key", p.PublicKey}, atts(r.att["alice"], r.att["bob"]), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Zip}), 0,
			[]string{"PASS  rebuild.policy: 2 trusted"}},
		{"a third, untrusted rebuilder is ignored", join(verifyDir, atts(r.att["alice"], r.att["bob"], r.att["carol"]), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 0,
			[]string{"SKIP  " + r.att["carol"] + ": rebuild.attestation: ignored: signed by no trusted rebuilder key", "PASS  rebuild.policy: 2 trusted"}},
		{"an untrusted rebuilder does not count", join(verifyDir, atts(r.att["alice"], r.att["carol"]), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 1,
			[]string{"FAIL  rebuild.policy: 1 trusted rebuilder(s) reproduced every binary, 2 required"}},
		{"tampered", join(verifyDir, atts(r.att["alice"], tampered), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 1,
			[]string{"FAIL  " + tampered + ": rebuild.attestation: the signature names trusted rebuilder key " + keyOf(t, r.key["bob"]) + " but does not verify with it: altered after signing"}},
		{"replayed from another package", join(verifyDir, atts(r.att["alice"], r.att["bob"], replayed), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 1,
			[]string{"FAIL  " + replayed + `: rebuild.attestation: about another package (replayed?): resourceUri "pkg:generic/cavra-go-runtime@v9.9.9"`}},
		{"FAILED fails even when two pass", join(verifyDir, atts(r.att["alice"], r.att["bob"], r.att["dave"]), keys("alice", "bob", "dave"), []string{"-min-rebuilds", "2", p.Dir}), 1,
			[]string{"FAIL  " + r.att["dave"] + ": rebuild.attestation: rebuilder https://rebuilders.example.com/dave (key " + keyOf(t, r.key["dave"]) + ") attested FAILED at ",
				"bin/linux-amd64/cavra-runtime: every ELF section agrees", "FAIL  rebuild.policy: a trusted rebuilder attested FAILED"}},
		{"one attestation counts once", join(verifyDir, atts(r.att["alice"], r.att["alice"]), keys("alice", "bob"), []string{"-min-rebuilds", "2", p.Dir}), 1,
			[]string{"each rebuilder counts once", "FAIL  rebuild.policy: 1 trusted"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(tc.args...)
			ok := code == tc.code
			for _, s := range tc.stdout {
				ok = ok && strings.Contains(stdout, s)
			}
			if !ok {
				t.Errorf("got exit %d\n%s%s\nwant %d and %q", code, stdout, stderr, tc.code, tc.stdout)
			}
		})
	}
	// The JSON report lists each rebuilder with its verdict and time.
	_, stdout, _ := cli(join(verifyDir, []string{"-json"}, atts(r.att["alice"], r.att["bob"], r.att["dave"]), keys("alice", "bob", "dave"), []string{p.Dir})...)
	var rep struct {
		Rebuilders []struct {
			Rebuilder, Verdict, Status string
			Time                       string `json:"time_verified"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Rebuilders) != 3 {
		t.Fatalf("got %v, %s", err, stdout)
	}
	for i, want := range []string{"alice PASSED PASS", "bob PASSED PASS", "dave FAILED FAIL"} {
		rb := rep.Rebuilders[i]
		if got := strings.TrimPrefix(rb.Rebuilder, "https://rebuilders.example.com/") + " " + rb.Verdict + " " + rb.Status; got != want || rb.Time == "" {
			t.Errorf("rebuilder %d: got %q at %q, want %q with a time", i, got, rb.Time, want)
		}
	}
	// Bad usage.
	for _, args := range [][]string{
		join(verifyDir, atts(r.att["alice"]), []string{p.Dir}),
		join(verifyDir, []string{"-min-rebuilds", "-1", p.Dir}),
		join(verifyDir, keys("alice"), atts(filepath.Join(dir, "missing")), []string{p.Dir}),
		{"release", "rebuild", "-key", p.PublicKey, "-sign-key", r.key["alice"], p.Dir},
		{"release", "rebuild", "-key", p.PublicKey, "-sign-key", r.key["alice"], "-rebuilder-id", "alice", p.Dir},
		{"release", "rebuild", "-key", p.PublicKey, "-sign-key", pub(r.key["alice"]), "-rebuilder-id", "https://x.example/a", p.Dir},
	} {
		if code, _, stderr := cli(args...); code != 2 || stderr == "" {
			t.Errorf("%q: got exit %d, %q; want 2 and why", args, code, stderr)
		}
	}
}

func keyOf(t *testing.T, priv string) string {
	t.Helper()
	k, err := trust.ReadPublicKey(pub(priv))
	if err != nil {
		t.Fatal(err)
	}
	return k.Fingerprint()
}

// TestAttestationCosign checks the rebuilders' attestations with the stock
// cosign CLI, offline: v2 with the envelope, v3 with the envelope (which it
// deprecates but reads) and with the bundle, for every binary, with an
// ECDSA and an Ed25519 key; a file that is no subject and another key are
// refused.
func TestAttestationCosign(t *testing.T) {
	r := rebuilt(t)
	v2 := cosignRunner(t, testtools.Cosign(t, 2))
	v3 := cosignRunner(t, testtools.Cosign(t, 3))
	const vsaType = "https://slsa.dev/verification_summary/v1"
	st := statementOf(t, r.att["alice"])
	type check struct {
		name string
		run  cosignRun
		args []string
		ok   bool
	}
	var checks []check
	for _, who := range []string{"alice", "bob"} {
		env, bundle := r.att[who], filepath.Join(filepath.Dir(r.att[who]), attestation.BundleName)
		for _, s := range st.Subject {
			bin := filepath.Join(r.pkg.Dir, s.Name)
			checks = append(checks,
				check{"v2 " + who + " " + s.Name, v2, []string{"verify-blob-attestation", "--key", pub(r.key[who]), "--signature", env, "--type", vsaType, "--insecure-ignore-tlog=true", bin}, true},
				check{"v3 envelope " + who + " " + s.Name, v3, []string{"verify-blob-attestation", "--key", pub(r.key[who]), "--signature", env, "--type", vsaType, "--insecure-ignore-tlog=true", bin}, true},
				check{"v3 bundle " + who + " " + s.Name, v3, []string{"verify-blob-attestation", "--key", pub(r.key[who]), "--bundle", bundle, "--type", vsaType, "--insecure-ignore-tlog=true", bin}, true})
		}
		checks = append(checks,
			check{"v2 " + who + " checksums.txt is no subject", v2, []string{"verify-blob-attestation", "--key", pub(r.key[who]), "--signature", env, "--type", vsaType, "--insecure-ignore-tlog=true", filepath.Join(r.pkg.Dir, "checksums.txt")}, false},
			check{"v3 " + who + " checksums.txt is no subject", v3, []string{"verify-blob-attestation", "--key", pub(r.key[who]), "--bundle", bundle, "--type", vsaType, "--insecure-ignore-tlog=true", filepath.Join(r.pkg.Dir, "checksums.txt")}, false},
			check{"v2 " + who + " with carol's key", v2, []string{"verify-blob-attestation", "--key", pub(r.key["carol"]), "--signature", env, "--type", vsaType, "--insecure-ignore-tlog=true", filepath.Join(r.pkg.Dir, st.Subject[0].Name)}, false},
			check{"v3 " + who + " with carol's key", v3, []string{"verify-blob-attestation", "--key", pub(r.key["carol"]), "--bundle", bundle, "--type", vsaType, "--insecure-ignore-tlog=true", filepath.Join(r.pkg.Dir, st.Subject[0].Name)}, false})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, c := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ok, out := c.run(r.dir, c.args...); ok != c.ok {
				t.Errorf("cosign %s: got Verified OK %v, want %v:\n%s", c.name, ok, c.ok, out)
			}
		})
	}
	wg.Wait()
}

// TestReportPage renders the auditor's page of the package in headless
// Chromium and reads what it shows: every file's digest, every check's
// result, each rebuilder's verdict and time; nothing fetched; printable. A
// failing package shows its failures first, in red.
func TestReportPage(t *testing.T) {
	r := rebuilt(t)
	p := r.pkg
	dir := t.TempDir()
	browser := testtools.Headless(t)
	args := func(out string, who ...string) []string {
		a := []string{"release", "report", "-key", p.PublicKey, "-out", out}
		for _, w := range who {
			a = append(a, "-rebuild-attestation", r.att[w], "-rebuilder-key", pub(r.key[w]))
		}
		return append(a, p.Dir)
	}

	good := filepath.Join(dir, "report.html")
	if code, stdout, stderr := cli(args(good, "alice", "bob")...); code != 0 || !strings.Contains(stdout, "PASS  go-runtime-"+p.Version) {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	page := browser.Open("file://" + good)
	text := page.Text()
	// Every file of the package, with its digest, as computed here.
	n := 0
	filepath.WalkDir(p.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		rel, _ := filepath.Rel(p.Dir, path)
		if !strings.Contains(text, filepath.ToSlash(rel)) || !strings.Contains(text, checksums.SHA256(data)) {
			t.Errorf("the page does not show %s with its digest %s", rel, checksums.SHA256(data))
		}
		n++
		return nil
	})
	if n < 70 {
		t.Fatalf("walked only %d files", n)
	}
	// Every check, each rebuilder and verdict, the key, the commands.
	_, stdout, _ := cli("release", "verify-go-package", "-key", p.PublicKey, "-rebuild-attestation", r.att["alice"], "-rebuild-attestation", r.att["bob"],
		"-rebuilder-key", pub(r.key["alice"]), "-rebuilder-key", pub(r.key["bob"]), p.Dir)
	checks := strings.Count(stdout, "\nPASS  ")
	if got := strings.Count(text, "\nPASS\t"); got < checks-1 {
		t.Errorf("the page shows %d passed checks, the verifier %d", got, checks-1)
	}
	for _, who := range []string{"alice", "bob"} {
		st := statementOf(t, r.att[who])
		for _, want := range []string{"https://rebuilders.example.com/" + who + "\tPASSED\t" + st.Predicate.TimeVerified, keyOf(t, r.key[who])} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q", want)
			}
		}
	}
	for _, want := range []string{"Verdict: PASS", p.Key.Fingerprint(), "GOFLAGS\t-trimpath -mod=readonly -buildvcs=false", "GOPROXY\toff",
		"go build -ldflags='-s -w -buildid= -X main.version=" + p.Version + "'", "rebuild.policy", "2 trusted rebuilder(s) reproduced every binary",
		// The vulnerability evidence: the database and every statement.
		"Database\tpkg:golang/golang.org/x/vulndb@v0.0.0-", "Database hash (go.sum)\th1:", "Scanner\tgovulncheck v", "\tfixed\t"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if reqs := page.Requests(); len(reqs) != 1 || reqs[0] != "file://"+good {
		t.Errorf("the page fetched %v, want only itself", reqs)
	}
	if page.Eval("document.getElementById('failures') === null") != true {
		t.Error("a passing page shows a failures section")
	}
	if pdf := page.PDF(); !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10000 {
		t.Errorf("printing gave %d bytes", len(pdf))
	}

	// With a newer database that knows a vulnerability of the binaries'
	// Go version, the re-check fails the page and says which.
	newer := filepath.Join(dir, "newer.zip")
	testrelease.VulnDB(t, newer, map[string][]byte{"GO-2099-0001": testrelease.StdlibEntry(t, build.Toolchain)})
	rechecked := filepath.Join(dir, "rechecked.html")
	if code, stdout, stderr := cli(append([]string{"release", "report", "-db", newer}, args(rechecked, "alice", "bob")[2:]...)...); code != 1 || !strings.Contains(stderr, "vulns: GO-2099-0001 stdlib "+build.Toolchain) {
		t.Errorf("report with a newer database: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	text = browser.Open("file://" + rechecked).Text()
	for _, want := range []string{"Verdict: FAIL", "vulnerability re-check: GO-2099-0001 stdlib " + build.Toolchain, "Re-check against " + newer, "NEW\tGO-2099-0001\tstdlib\t" + build.Toolchain} {
		if !strings.Contains(text, want) {
			t.Errorf("the re-checked page does not show %q", want)
		}
	}

	// dave attested FAILED: the failures come first, in red.
	bad := filepath.Join(dir, "failed.html")
	if code, _, _ := cli(args(bad, "alice", "dave")...); code != 1 {
		t.Fatalf("report of a failing package: exit %d, want 1", code)
	}
	page = browser.Open("file://" + bad)
	text = page.Text()
	first := strings.Index(text, "Failures (")
	if first < 0 || first > strings.Index(text, "Release identity") || !strings.Contains(text[first:], "attested FAILED") || !strings.Contains(text, "Verdict: FAIL") {
		t.Errorf("the failures are not first:\n%.600s", text)
	}
	if top := page.Eval("document.getElementById('failures').getBoundingClientRect().top < document.getElementById('identity').getBoundingClientRect().top"); top != true {
		t.Error("the failures are not rendered above the identity")
	}
	color, _ := page.Eval("getComputedStyle(document.getElementById('failures')).color").(string)
	var red, green, blue int
	if _, err := fmt.Sscanf(color, "rgb(%d, %d, %d)", &red, &green, &blue); err != nil || red < 150 || green > 60 || blue > 60 {
		t.Errorf("the failures are %q, want red", color)
	}
	if !strings.Contains(text, "https://rebuilders.example.com/dave\tFAILED") {
		t.Error("the page does not show dave's verdict")
	}
}

// TestGate runs the publish gate (go run mage.go verify:gate), as the
// release workflow's publish job does, with the two rebuilders' attestations
// in the folders the workflow downloads them to and the two keys as the
// repository variable holds them: it passes; with one tampered, or one
// FAILED, it refuses.
func TestGate(t *testing.T) {
	r := rebuilt(t)
	keys, _ := os.ReadFile(pub(r.key["alice"]))
	more, _ := os.ReadFile(pub(r.key["bob"]))
	keys = append(keys, more...)
	gate := func(bobs []byte) (bool, string) {
		folder := t.TempDir()
		for who, data := range map[string][]byte{"macos": nil, "windows": bobs} {
			if who == "macos" {
				data, _ = os.ReadFile(r.att["alice"])
			}
			os.MkdirAll(filepath.Join(folder, "rebuild-evidence-"+who), 0o755)
			os.WriteFile(filepath.Join(folder, "rebuild-evidence-"+who, attestation.FileName), data, 0o644)
		}
		cmd := exec.Command("go", "run", "mage.go", "verify:gate")
		cmd.Dir = testrepo.ModuleRoot(t)
		cmd.Env = append(os.Environ(), "CAVRA_PACKAGE="+r.pkg.Dir, "CAVRA_KEY="+r.pkg.PublicKey,
			"CAVRA_REBUILD_ATTESTATIONS="+folder, "CAVRA_REBUILDER_KEYS="+string(keys))
		out, err := cmd.CombinedOutput()
		return err == nil, string(out)
	}
	bob, _ := os.ReadFile(r.att["bob"])
	if ok, out := gate(bob); !ok || !strings.Contains(out, "PASS  rebuild.policy: 2 trusted rebuilder(s) reproduced every binary, 2 required") {
		t.Fatalf("the gate refused two good rebuilds:\n%s", out)
	}
	tampered := bytes.Replace(bob, []byte(`"sig":"`), []byte(`"sig":"AA`), 1)
	if ok, out := gate(tampered); ok || !strings.Contains(out, "must not be published") || !strings.Contains(out, "altered after signing") {
		t.Errorf("the gate passed a tampered attestation:\n%s", out)
	}
	dave, _ := os.ReadFile(r.att["dave"])
	if ok, out := gate(dave); ok || !strings.Contains(out, "must not be published") {
		t.Errorf("the gate passed without bob's PASSED:\n%s", out)
	}
}

// TestKeygen makes keys of both kinds and never overwrites one.
func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "me.key")
	code, stdout, _ := cli("keygen", "-out", key)
	if code != 0 || !strings.Contains(stdout, "ecdsa-p256-sha256 key, fingerprint sha256:") {
		t.Fatalf("got %d %q", code, stdout)
	}
	if st, _ := os.Stat(key); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(key)
	if code, _, stderr := cli("keygen", "-out", key); code != 2 || !strings.Contains(stderr, "never overwritten") {
		t.Errorf("got %d %q, want a refusal", code, stderr)
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Error("the key was overwritten")
	}
	if code, stdout, _ := cli("keygen", "-ed25519", "-out", filepath.Join(dir, "other")); code != 0 || !strings.Contains(stdout, "ed25519 key") {
		t.Errorf("got %d %q", code, stdout)
	}
	if _, err := trust.ReadPublicKey(filepath.Join(dir, "other.pub")); err != nil {
		t.Error(err)
	}
}
