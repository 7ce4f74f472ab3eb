package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/signing/trust"
)

// offline returns the command prefix that cuts the network: `unshare -n`
// when this machine allows it, else nothing.
func offline(t *testing.T) []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	if err := exec.Command("unshare", "-n", "true").Run(); err != nil {
		t.Logf("unshare -n unavailable (%v); the cosign checks run with the network", err)
		return nil
	}
	return []string{"unshare", "-n"}
}

// cosignRun runs the cosign CLI with args in dir, offline, and reports
// whether it printed "Verified OK" and exited 0, with what it printed.
type cosignRun func(dir string, args ...string) (bool, string)

func cosignRunner(t *testing.T, cosign string) cosignRun {
	pre := offline(t)
	home := t.TempDir()
	return func(dir string, args ...string) (bool, string) {
		argv := append(append(pre[:len(pre):len(pre)], cosign), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home)
		out, err := cmd.CombinedOutput()
		return err == nil && strings.Contains(string(out), "Verified OK"), string(out)
	}
}

// listed returns checksums.txt and every file it lists.
func listed(t *testing.T, dir string) []string {
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := []string{"checksums.txt"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt: bad line %q", sc.Text())
		}
		files = append(files, name)
	}
	return files
}

// The vulnerability attestation and its predicate type, as cosign is given
// them.
const (
	vulnsEnvelope = "vex/cavra-runtime.vulns.intoto.jsonl"
	vulnsBundle   = "vex/cavra-runtime.vulns.sigstore.json"
	vulnsType     = "https://in-toto.io/attestation/vulns/v0.2"
)

// targetsKey writes the targets key of the newest TUF root a package
// carries to a PEM file: the key its TUF metadata trusts for targets, which
// is the release key that signs the cosign signatures.
func targetsKey(t *testing.T, dir string) string {
	t.Helper()
	var newest []byte
	for v := int64(1); ; v++ {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tuf.Path(tuf.RoleRoot, v))))
		if err != nil {
			break
		}
		newest = data
	}
	m, err := tuf.Parse(newest, tuf.RoleRoot)
	if err != nil {
		t.Fatal(err)
	}
	root, err := m.Root()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := root.RoleKeys(tuf.RoleTargets)
	if len(keys) != 1 {
		t.Fatalf("root version %d has %d targets keys, want 1", root.Version, len(keys))
	}
	k, err := trust.NewKey(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "targets.pub")
	if err := os.WriteFile(path, k.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCosignInterop checks a real package with the stock cosign CLI of both
// major versions, offline, with the TUF targets key of the package's root:
// cosign v2 checks every detached signature and the envelopes of the
// provenance and of the vulnerability statement, cosign v3 every Sigstore
// bundle and both attestation bundles; both refuse a signature of another
// file, by another key, or with a flipped byte, and an attestation of a file
// it does not name or of another type.
func TestCosignInterop(t *testing.T) {
	p := pkg(t)
	v2 := cosignRunner(t, testtools.Cosign(t, 2))
	v3 := cosignRunner(t, testtools.Cosign(t, 3))
	dir := p.Dir
	key := targetsKey(t, dir)
	if k, err := trust.ReadPublicKey(key); err != nil || !k.Equal(p.Key) {
		t.Fatalf("the TUF targets key %v is not the release key %s", err, p.Key.Fingerprint())
	}

	// Every signed file, in both forms, and the zip beside the package.
	type check struct {
		name string
		run  cosignRun
		dir  string
		args []string
	}
	var checks []check
	add := func(dir, file string) {
		checks = append(checks,
			check{"v2 " + file, v2, dir, []string{"verify-blob", "--key", key, "--signature", file + ".sig", "--insecure-ignore-tlog=true", file}},
			check{"v3 " + file, v3, dir, []string{"verify-blob", "--key", key, "--bundle", file + ".sigstore.json", "--insecure-ignore-tlog=true", file}})
	}
	files := listed(t, dir)
	if len(files) < 25 {
		t.Fatalf("checksums.txt lists only %d files", len(files)-1)
	}
	for _, f := range files {
		add(dir, f)
	}
	add(filepath.Dir(p.Zip), filepath.Base(p.Zip))
	// The provenance of every binary, as envelope and as bundle.
	for _, f := range files {
		if !strings.HasPrefix(f, "bin/") {
			continue
		}
		checks = append(checks,
			check{"v2 provenance " + f, v2, dir, []string{"verify-blob-attestation", "--key", key, "--signature", "cavra-runtime.provenance.intoto.jsonl", "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", f}},
			check{"v3 provenance " + f, v3, dir, []string{"verify-blob-attestation", "--key", key, "--bundle", "cavra-runtime.provenance.sigstore.json", "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", f}},
			check{"v2 vulns " + f, v2, dir, []string{"verify-blob-attestation", "--key", key, "--signature", vulnsEnvelope, "--type", vulnsType, "--insecure-ignore-tlog=true", f}},
			check{"v3 vulns " + f, v3, dir, []string{"verify-blob-attestation", "--key", key, "--bundle", vulnsBundle, "--type", vulnsType, "--insecure-ignore-tlog=true", f}})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, c := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ok, out := c.run(c.dir, c.args...); !ok {
				t.Errorf("cosign %s: want Verified OK:\n%s", c.name, out)
			}
		})
	}
	wg.Wait()

	// What both must refuse.
	bad := t.TempDir()
	const bin = "bin/linux-amd64/cavra-runtime"
	copyFile := func(from, to string) string {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return to
	}
	// A copy of a binary signed by another key.
	otherPriv, otherPub := testrelease.GenerateKey(t, t.TempDir())
	signedElsewhere := copyFile(filepath.Join(dir, bin), "signed-elsewhere")
	testrelease.Sign(t, otherPriv, "-blob", filepath.Join(bad, signedElsewhere))
	// A binary with one byte flipped, beside its real signatures.
	flipped := copyFile(filepath.Join(dir, bin), "flipped")
	b, _ := os.ReadFile(filepath.Join(bad, flipped))
	b[len(b)/2] ^= 1
	os.WriteFile(filepath.Join(bad, flipped), b, 0o644)
	copyFile(filepath.Join(dir, bin+".sig"), flipped+".sig")
	copyFile(filepath.Join(dir, bin+".sigstore.json"), flipped+".sigstore.json")
	// The real binary with a bundle whose signature has a flipped byte.
	copyFile(filepath.Join(dir, bin), "bundle-flipped")
	copyFile(filepath.Join(dir, bin+".sig"), "bundle-flipped.sig")
	var bundle map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, bin+".sigstore.json"))
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	ms := bundle["messageSignature"].(map[string]any)
	sig, _ := base64.StdEncoding.DecodeString(ms["signature"].(string))
	sig[len(sig)-2] ^= 1
	ms["signature"] = base64.StdEncoding.EncodeToString(sig)
	data, _ = json.Marshal(bundle)
	os.WriteFile(filepath.Join(bad, "bundle-flipped.sigstore.json"), data, 0o644)
	// A file the provenance does not name.
	os.WriteFile(filepath.Join(bad, "stranger"), []byte("not in the release"), 0o644)

	for _, tc := range []struct {
		name string
		run  cosignRun
		args []string
	}{
		{"v3: bundle of another file", v3, []string{"verify-blob", "--key", p.PublicKey, "--bundle", filepath.Join(dir, "checksums.txt.sigstore.json"), "--insecure-ignore-tlog=true", filepath.Join(dir, bin)}},
		{"v2: signature of another file", v2, []string{"verify-blob", "--key", p.PublicKey, "--signature", filepath.Join(dir, "checksums.txt.sig"), "--insecure-ignore-tlog=true", filepath.Join(dir, bin)}},
		{"v3: bundle by another key", v3, []string{"verify-blob", "--key", p.PublicKey, "--bundle", signedElsewhere + ".sigstore.json", "--insecure-ignore-tlog=true", signedElsewhere}},
		{"v2: signature by another key", v2, []string{"verify-blob", "--key", p.PublicKey, "--signature", signedElsewhere + ".sig", "--insecure-ignore-tlog=true", signedElsewhere}},
		{"v3: flipped byte in the file", v3, []string{"verify-blob", "--key", p.PublicKey, "--bundle", flipped + ".sigstore.json", "--insecure-ignore-tlog=true", flipped}},
		{"v2: flipped byte in the file", v2, []string{"verify-blob", "--key", p.PublicKey, "--signature", flipped + ".sig", "--insecure-ignore-tlog=true", flipped}},
		{"v3: flipped byte in the bundle", v3, []string{"verify-blob", "--key", p.PublicKey, "--bundle", "bundle-flipped.sigstore.json", "--insecure-ignore-tlog=true", "bundle-flipped"}},
		{"v3: provenance of a stranger", v3, []string{"verify-blob-attestation", "--key", p.PublicKey, "--bundle", filepath.Join(dir, "cavra-runtime.provenance.sigstore.json"), "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", "stranger"}},
		{"v2: provenance of a stranger", v2, []string{"verify-blob-attestation", "--key", p.PublicKey, "--signature", filepath.Join(dir, "cavra-runtime.provenance.intoto.jsonl"), "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", "stranger"}},
		{"v3: vulns attestation of a stranger", v3, []string{"verify-blob-attestation", "--key", p.PublicKey, "--bundle", filepath.Join(dir, vulnsBundle), "--type", vulnsType, "--insecure-ignore-tlog=true", "stranger"}},
		{"v2: vulns attestation of a stranger", v2, []string{"verify-blob-attestation", "--key", p.PublicKey, "--signature", filepath.Join(dir, vulnsEnvelope), "--type", vulnsType, "--insecure-ignore-tlog=true", "stranger"}},
		{"v2: vulns attestation as provenance", v2, []string{"verify-blob-attestation", "--key", p.PublicKey, "--signature", filepath.Join(dir, vulnsEnvelope), "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", filepath.Join(dir, bin)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok, out := tc.run(bad, tc.args...); ok {
				t.Errorf("cosign accepted it:\n%s", out)
			}
		})
	}
	// The controls: each refused file verifies where it should.
	if ok, out := v3(bad, "verify-blob", "--key", otherPub, "--bundle", signedElsewhere+".sigstore.json", "--insecure-ignore-tlog=true", signedElsewhere); !ok {
		t.Errorf("control: cosign v3 refused the other key's bundle with the other key:\n%s", out)
	}
	if ok, out := v2(bad, "verify-blob", "--key", p.PublicKey, "--signature", "bundle-flipped.sig", "--insecure-ignore-tlog=true", "bundle-flipped"); !ok {
		t.Errorf("control: cosign v2 refused the intact signature:\n%s", out)
	}
}

// TestBootstrapCommands runs every command the package's
// offline-trust-root-bootstrap.json gives, as data, in a copy of the package
// folder, offline: each must succeed as written.
func TestBootstrapCommands(t *testing.T) {
	p := pkg(t)
	site := t.TempDir()
	dir := testrelease.Copy(t, p.Dir, site)
	data, err := os.ReadFile(filepath.Join(dir, "offline-trust-root-bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Commands []struct {
			Purpose string   `json:"purpose"`
			Argv    []string `json:"argv"`
		} `json:"verify_commands"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// The re-check command reads the database the operator brings beside
	// the package: here the one the release was checked against.
	testrelease.VulnDB(t, filepath.Join(site, "vulndb.zip"), nil)
	tools := map[string]string{
		"cavra":     testrelease.Verifier(t),
		"cosign v2": testtools.Cosign(t, 2),
		"cosign v3": testtools.Cosign(t, 3),
	}
	pre := offline(t)
	release := testrelease.Go(t)
	seen := map[string]int{}
	for _, c := range doc.Commands {
		tool := c.Argv[0]
		switch {
		case tool == "cosign" && strings.HasSuffix(c.Purpose, "(cosign v2)"):
			tool = "cosign v2"
		case tool == "cosign" && strings.HasSuffix(c.Purpose, "(cosign v3)"):
			tool = "cosign v3"
		}
		seen[tool]++
		argv := append(pre[:len(pre):len(pre)], c.Argv...)
		if path, ok := tools[tool]; ok {
			argv[len(pre)] = path
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		// An offline site with the release toolchain installed, first on
		// PATH, and a home of its own.
		cmd.Env = append(os.Environ(), "HOME="+site, "PATH="+filepath.Join(release.GOROOT, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %s: %v\n%s", c.Purpose, strings.Join(c.Argv, " "), err, out)
		}
	}
	// 1 checksum check, the checksum list and every binary's signature,
	// provenance and vulnerability attestation in both forms, then the
	// verifier, the rebuild and the re-check.
	if seen["sha256sum"] != 1 || seen["cosign v2"] != 19 || seen["cosign v3"] != 19 || seen["cavra"] != 3 {
		t.Errorf("got commands %v, want 1 sha256sum, 19 of each cosign, 3 cavra", seen)
	}
}
