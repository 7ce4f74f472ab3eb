package rebuild_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/explain"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/signing/trust"
)

func TestMain(m *testing.M) { os.Exit(testrelease.Main(m)) }

// two is the matrix of the shared package: one test elsewhere covers all
// six; these cover the rebuild logic.
var two = []build.Target{{GOOS: "linux", GOARCH: "amd64"}, {GOOS: "windows", GOARCH: "arm64"}}

func opts(t *testing.T, out string) rebuild.Options {
	return rebuild.Options{Verify: verify.Options{Targets: two, Key: pkg(t).Key}, Out: out}
}

func pkg(t *testing.T) *testrelease.Package {
	return testrelease.Shared(t, "two", testrelease.Options{Targets: "linux/amd64,windows/arm64"})
}

// tree returns a digest of every file under dir, to show a run changed
// nothing there.
func tree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		io.WriteString(h, p+"\n")
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestRebuildMatches(t *testing.T) {
	p := pkg(t)
	for _, in := range []string{p.Dir, p.Zip} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			out := t.TempDir()
			before := tree(t, p.Out)
			var log bytes.Buffer
			o := opts(t, out)
			o.Log = &log
			rep, err := rebuild.Run(t.Context(), in, o)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("got %s, want PASS:\n%s", rep.Status, b.String())
			}
			if pass, fail, skip := rep.Counts(); pass != 2 || fail != 0 || skip != 0 {
				t.Errorf("got %d/%d/%d pass/fail/skip, want 2/0/0", pass, fail, skip)
			}
			for _, tr := range rep.Targets {
				if tr.Actual != tr.Expected || tr.Seconds <= 0 || !strings.Contains(log.String(), tr.Target) {
					t.Errorf("target %+v: want matching digests, a duration and a progress line", tr)
				}
			}
			if after := tree(t, p.Out); after != before {
				t.Error("the rebuild changed the package or its folder")
			}
			// The evidence is in the output folder and says the same.
			var ev rebuild.Report
			b, err := os.ReadFile(filepath.Join(out, rebuild.EvidenceJSON))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Status != verify.Pass || ev.ManifestSHA256 == "" || ev.Host.GoVersion != build.Toolchain || ev.Controls["GOPROXY"] != "off" || len(ev.Targets) != 2 {
				t.Errorf("evidence: got %+v", ev)
			}
			md, err := os.ReadFile(filepath.Join(out, rebuild.EvidenceMD))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"**Result: PASS**", ev.ManifestSHA256, "`GOPROXY=off`", ev.Targets[0].Expected} {
				if !strings.Contains(string(md), want) {
					t.Errorf("evidence markdown lacks %q", want)
				}
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 2 {
				t.Errorf("output folder holds %d entries, want the two evidence files", len(entries))
			}
		})
	}
}

func TestRebuildOneTarget(t *testing.T) {
	p := pkg(t)
	o := opts(t, t.TempDir())
	o.Targets = []build.Target{two[1]}
	rep, err := rebuild.Run(t.Context(), p.Dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if pass, fail, skip := rep.Counts(); !rep.OK() || pass != 1 || fail != 0 || skip != 1 {
		t.Fatalf("got %s %d/%d/%d, want PASS 1/0/1", rep.Status, pass, fail, skip)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "SKIP  bin/linux-amd64/cavra-runtime: not selected") {
		t.Errorf("the skipped target is not shown as SKIP:\n%s", b.String())
	}
}

// TestRebuildRelativePaths runs a rebuild the way the README types it, from
// the folder that holds the package, with a relative package folder and a
// relative output folder: the builds run in the source folder, so relative
// paths must mean the same there.
func TestRebuildRelativePaths(t *testing.T) {
	p := pkg(t)
	site := t.TempDir()
	testrelease.Copy(t, p.Dir, site)
	t.Chdir(site)
	rel := filepath.Base(p.Dir)
	o := opts(t, "evidence/")
	o.Targets = []build.Target{two[0]}
	rep, err := rebuild.Run(t.Context(), rel, o)
	if err != nil {
		t.Fatal(err)
	}
	if pass, fail, _ := rep.Counts(); !rep.OK() || pass != 1 || fail != 0 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("got %s, want one target rebuilt and matched:\n%s", rep.Status, b.String())
	}
	for _, f := range []string{rebuild.EvidenceJSON, rebuild.EvidenceMD} {
		if _, err := os.Stat(filepath.Join(site, "evidence", f)); err != nil {
			t.Errorf("evidence not in ./evidence: %v", err)
		}
	}
}

func TestRebuildRefusesOutputInsidePackage(t *testing.T) {
	p := pkg(t)
	before := tree(t, p.Dir)
	_, err := rebuild.Run(t.Context(), p.Dir, opts(t, filepath.Join(p.Dir, "evidence")))
	if err == nil || !strings.Contains(err.Error(), "inside the package") {
		t.Fatalf("got %v, want an error about the output folder", err)
	}
	if tree(t, p.Dir) != before {
		t.Fatal("the package changed")
	}
}

func TestRebuildAfterFailedVerification(t *testing.T) {
	p := pkg(t)
	dir := testrelease.Copy(t, p.Dir, t.TempDir())
	os.WriteFile(filepath.Join(dir, "unlisted"), []byte("x"), 0o644)
	out := t.TempDir()
	o := opts(t, out)
	o.Sign, o.RebuilderID = newKey(t), "https://rebuilders.example.com/careful"
	rep, err := rebuild.Run(t.Context(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Verify.Status != verify.Fail {
		t.Fatalf("got %s, verify %s; want FAIL", rep.Status, rep.Verify.Status)
	}
	// A package that fails verification against the trusted key is a
	// verdict: FAILED, for every binary the manifest names.
	if st := readAttestation(t, out, o.Sign); st.Predicate.VerificationResult != "FAILED" || len(st.Subject) != 2 {
		t.Errorf("got %s with %d subjects, want FAILED with 2", st.Predicate.VerificationResult, len(st.Subject))
	}
	// Without a trusted key every package fails: no verdict to sign.
	o.Verify.Key, o.Out = nil, t.TempDir()
	rep, err = rebuild.Run(t.Context(), dir, o)
	if err != nil || rep.OK() || rep.Attestation != nil || !strings.Contains(rep.AttestationError, "no trusted release key") {
		t.Errorf("got %v %s %+v %q, want FAIL and no attestation", err, rep.Status, rep.Attestation, rep.AttestationError)
	}
	for _, tr := range rep.Targets {
		if tr.Status != verify.Skip {
			t.Errorf("target %s: got %s, want SKIP", tr.Target, tr.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(out, rebuild.EvidenceJSON)); err != nil {
		t.Errorf("no evidence of the failed attempt: %v", err)
	}
}

// TestRebuildDetectsForeignBinary ships a binary built from different
// source, in a package that a holder of the release key made consistent and
// signed again: verification cannot tell, the rebuild must.
func TestRebuildDetectsForeignBinary(t *testing.T) {
	p := pkg(t)
	dir := testrelease.Copy(t, p.Dir, t.TempDir())
	// Build the "shipped" binary from patched source with the pinned
	// command, so its build settings are right.
	var m manifest.Manifest
	json.Unmarshal(mustRead(t, filepath.Join(dir, manifest.Name)), &m)
	src := t.TempDir()
	top, _, err := archive.ExtractTarGz(bytes.NewReader(mustRead(t, filepath.Join(dir, m.Source.Archive))), filepath.Join(src, "x"), archive.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(src, "x", top)
	mainGo := filepath.Join(root, "cmd", "cavra-runtime", "main.go")
	os.WriteFile(mainGo, append(mustRead(t, mainGo), []byte("\nvar backdoor = \"open sesame\"\n\nfunc init() { _ = backdoor }\n")...), 0o644)
	b := m.BinaryFor("linux/amd64")
	if err := testrelease.Go(t).Runner().Run(t.Context(), root, b.Rebuild.WithOutput(filepath.Join(dir, filepath.FromSlash(b.Binary)))); err != nil {
		t.Fatal(err)
	}
	testrelease.Resign(t, dir, p.PrivateKey)

	if vr, _, _ := verify.Dir(dir, verify.Options{Targets: two, Key: p.Key}); !vr.OK() {
		t.Fatalf("setup: the forged package should verify: %v", vr.Errors())
	}
	out := t.TempDir()
	o := opts(t, out)
	o.Sign, o.RebuilderID = newKey(t), "https://rebuilders.example.com/honest"
	rep, err := rebuild.Run(t.Context(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	// The rebuilder signs that it FAILED, with the explanation; the
	// install policy then refuses the forged package, whose key and
	// signatures are in order.
	st := readAttestation(t, out, o.Sign)
	if st.Predicate.VerificationResult != attestation.Failed || strings.Join(st.Predicate.VerifiedLevels, ",") != "FAILED" || len(st.Subject) != 2 {
		t.Errorf("got %s %v with %d subjects, want FAILED [FAILED] with 2", st.Predicate.VerificationResult, st.Predicate.VerifiedLevels, len(st.Subject))
	}
	if x := st.Predicate.Rebuild; x == nil || len(x.Targets) != 2 || x.Targets[0].Status != "FAIL" || len(x.Targets[0].Differences) == 0 || x.Targets[0].Differences[0].Kind != explain.KindSection {
		t.Errorf("the attestation does not carry the explanation: %+v", x)
	}
	vr, _, _ := verify.Dir(dir, verify.Options{Targets: two, Key: p.Key, RebuilderKeys: []*trust.Key{o.Sign.Public()},
		RebuildAttestations: []verify.Attestation{{Name: "honest.intoto.jsonl", Data: mustRead(t, filepath.Join(out, attestation.FileName))}}, MinRebuilds: 0})
	if vr.OK() || !strings.Contains(strings.Join(vr.Errors(), "\n"), "attested FAILED") {
		t.Errorf("the install policy accepted a package its rebuilder attested FAILED: %v", vr.Errors())
	}
	if rep.OK() {
		t.Fatal("got PASS for a binary that its source does not make")
	}
	for _, tr := range rep.Targets {
		switch tr.Target {
		case "linux/amd64":
			// The build settings agree (the forger used the pinned
			// command), so the explanation is the first differing
			// section of the executable, in the evidence as data.
			if tr.Status != verify.Fail || len(tr.Differences) != 1 || tr.Differences[0].Kind != explain.KindSection ||
				!strings.Contains(tr.Detail, "sha256 mismatch: section ") || !strings.Contains(tr.Detail, "(ELF): first differing byte at offset") {
				t.Errorf("linux/amd64: got %s %q %+v, want FAIL naming the first differing section", tr.Status, tr.Detail, tr.Differences)
			}
		default:
			if tr.Status != verify.Pass {
				t.Errorf("%s: got %s, want PASS", tr.Target, tr.Status)
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRebuildToolchainMismatch(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as the go command")
	}
	p := pkg(t)
	root := t.TempDir()
	fake := filepath.Join(root, "bin", "go")
	script := "#!/bin/sh\nprintf '{\"GOVERSION\": \"go1.99.0\", \"GOROOT\": \"" + root + "\"}\\n'\n"
	os.MkdirAll(filepath.Dir(fake), 0o755)
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	o := opts(t, out)
	o.Go = fake
	o.Sign, o.RebuilderID = newKey(t), "https://rebuilders.example.com/old-go"
	rep, err := rebuild.Run(t.Context(), p.Dir, o)
	if err != nil {
		t.Fatal(err)
	}
	// The rebuilder is told which Go to install, and how.
	for _, want := range []string{"the package was built with " + build.Toolchain, fake + " is go1.99.0", "Install " + build.Toolchain, "https://go.dev/dl/", "GOTOOLCHAIN=" + build.Toolchain + " go version"} {
		if rep.OK() || !strings.Contains(rep.Error, want) {
			t.Errorf("got %s %q, want FAIL saying %q", rep.Status, rep.Error, want)
		}
	}
	// Another toolchain is the rebuilder's problem, not the package's:
	// no verdict is signed.
	if _, err := os.Stat(filepath.Join(out, attestation.FileName)); err == nil || rep.Attestation != nil || !strings.Contains(rep.AttestationError, "no attestation signed: not rebuilt") {
		t.Errorf("got %+v, %q, want no attestation and why", rep.Attestation, rep.AttestationError)
	}
	for _, tr := range rep.Targets {
		if tr.Status != verify.Skip {
			t.Errorf("%s: got %s, want SKIP", tr.Target, tr.Status)
		}
	}
}

func TestRebuildRefusesUnsafeSource(t *testing.T) {
	p := pkg(t)
	dir := testrelease.Copy(t, p.Dir, t.TempDir())
	var m manifest.Manifest
	json.Unmarshal(mustRead(t, filepath.Join(dir, manifest.Name)), &m)
	// A source archive with a symbolic link that points out of the work
	// folder, recorded consistently everywhere.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: m.Source.Root + "/go.mod", Mode: 0o644, Size: 9, Typeflag: tar.TypeReg})
	tw.Write([]byte("module x\n"))
	license := mustRead(t, filepath.Join(p.Repo, "LICENSE")) // the SBOM step reads it
	tw.WriteHeader(&tar.Header{Name: m.Source.Root + "/LICENSE", Mode: 0o644, Size: int64(len(license)), Typeflag: tar.TypeReg})
	tw.Write(license)
	tw.WriteHeader(&tar.Header{Name: m.Source.Root + "/evil", Linkname: "/etc", Typeflag: tar.TypeSymlink})
	tw.Close()
	gz.Close()
	os.WriteFile(filepath.Join(dir, m.Source.Archive), buf.Bytes(), 0o644)
	testrelease.Resign(t, dir, p.PrivateKey)

	out := t.TempDir()
	rep, err := rebuild.Run(t.Context(), dir, opts(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Error, m.Source.Archive) || !strings.Contains(rep.Error, "evil") {
		t.Fatalf("got %s %q, want FAIL naming the archive and the entry", rep.Status, rep.Error)
	}
}
