package verify_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/linuxpkg"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/signing/trust"
)

// resignFiles signs files again with the package's own private key and
// fixes checksums.txt and its signature: what a key holder who edited those
// files would do.
func resignFiles(t *testing.T, p *testrelease.Package, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		testrelease.Sign(t, p.PrivateKey, "-blob", filepath.Join(dir, f))
	}
	rehash(t, dir)
	testrelease.Sign(t, p.PrivateKey, "-blob", filepath.Join(dir, checksums.Name))
}

func verifyDir(t *testing.T, dir string, o verify.Options) *verify.Report {
	t.Helper()
	rep, _, err := verify.Dir(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantFail(t *testing.T, rep *verify.Report, check, file, detail string) {
	t.Helper()
	if rep.OK() {
		t.Fatalf("got PASS, want FAIL %s %s", check, file)
	}
	if !has(rep, verify.Fail, check, file, detail) {
		t.Errorf("got failures\n  %s\nwant FAIL %s for %q with %q", strings.Join(rep.Errors(), "\n  "), check, file, detail)
	}
}

func TestTrustModes(t *testing.T) {
	p := pkg(t)
	_, alt := otherKey(t)
	tests := []struct {
		name   string
		o      verify.Options
		ok     bool
		trust  string
		detail string
	}{
		{"operator key", verify.Options{Key: p.Key}, true, "key " + p.Key.Fingerprint(), "checked against the trusted key"},
		{"operator fingerprint", verify.Options{KeyFingerprint: p.Key.Fingerprint()}, true, "key " + p.Key.Fingerprint(), "matches the trusted fingerprint"},
		{"nothing trusted", verify.Options{}, false, verify.TrustNoKey, "a package's own key proves nothing"},
		{"another key", verify.Options{Key: alt}, false, "key " + alt.Fingerprint(), "signed or re-signed by someone else"},
		{"another fingerprint", verify.Options{KeyFingerprint: alt.Fingerprint()}, false, "key " + alt.Fingerprint(), "the trusted fingerprint is " + alt.Fingerprint()},
		{"unsigned snapshot dry run", verify.Options{UnsafeAllowUnsigned: true}, true, verify.TrustUnsigned, "UNSIGNED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyDir(t, p.Dir, tc.o)
			if rep.OK() != tc.ok || rep.Trust != tc.trust {
				t.Fatalf("got ok=%v trust=%q, want ok=%v trust=%q\n%s", rep.OK(), rep.Trust, tc.ok, tc.trust, strings.Join(rep.Errors(), "\n"))
			}
			found := false
			for _, c := range rep.Checks {
				if c.Name == "trust" && strings.Contains(c.Detail, tc.detail) {
					found = true
				}
			}
			if !found {
				t.Errorf("no trust check saying %q", tc.detail)
			}
			if tc.o.UnsafeAllowUnsigned && rep.Skipped == 0 {
				t.Error("an unsigned dry run shows no SKIP")
			}
		})
	}
}

var other struct {
	once sync.Once
	priv string
	key  *trust.Key
}

// otherKey returns a second key pair, generated once.
func otherKey(t *testing.T) (string, *trust.Key) {
	other.once.Do(func() {
		// Kept beside the shared package, so it lives as long as the test binary.
		priv, pub := testrelease.GenerateKey(t, filepath.Join(filepath.Dir(pkg(t).Out), "other-keys"))
		other.priv = priv
		data, _ := os.ReadFile(pub)
		other.key, _ = trust.ParsePublicKey(data)
	})
	if other.key == nil {
		t.Fatal("no second key")
	}
	return other.priv, other.key
}

func TestSignedTampering(t *testing.T) {
	p := pkg(t)
	const bin = "bin/linux-amd64/cavra-runtime"
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		check  string
		file   string
		detail string
	}{
		{"signatures swapped between two binaries", func(t *testing.T, dir string) {
			a, b := filepath.Join(dir, bin+".sig"), filepath.Join(dir, "bin/linux-arm64/cavra-runtime.sig")
			sa, sb := read(t, dir, bin+".sig"), read(t, dir, "bin/linux-arm64/cavra-runtime.sig")
			os.WriteFile(a, sb, 0o644)
			os.WriteFile(b, sa, 0o644)
		}, "signature", bin + ".sig", "does not verify with the trusted key"},
		{"signature removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, manifest.Name+".sig"))
		}, "signature", manifest.Name + ".sig", "missing"},
		{"signature not base64", func(t *testing.T, dir string) {
			write(t, dir, checksums.Name+".sig", []byte("not a signature!"))
		}, "signature", checksums.Name + ".sig", "not base64"},
		{"package re-signed with another key", func(t *testing.T, dir string) {
			priv, _ := otherKey(t)
			testrelease.Resign(t, dir, priv)
		}, "trust", layout.PublicKey, "signed or re-signed by someone else"},
		{"provenance missing a subject, signed with the trusted key", func(t *testing.T, dir string) {
			editProvenance(t, p, dir, func(st map[string]any) {
				var keep []any
				for _, s := range st["subject"].([]any) {
					if obj(s)["name"] != bin {
						keep = append(keep, s)
					}
				}
				st["subject"] = keep
			})
		}, "provenance", layout.Provenance, bin + " is not a subject"},
		{"provenance naming another commit, signed with the trusted key", func(t *testing.T, dir string) {
			editProvenance(t, p, dir, func(st map[string]any) {
				deps := obj(obj(obj(st["predicate"])["buildDefinition"]))["resolvedDependencies"].([]any)
				obj(obj(deps[0])["digest"])["gitCommit"] = strings.Repeat("b", 40)
			})
		}, "provenance", layout.Provenance, "source commit " + strings.Repeat("b", 40)},
		{"provenance of another predicate type, signed with the trusted key", func(t *testing.T, dir string) {
			editProvenance(t, p, dir, func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v0.2" })
		}, "provenance", layout.Provenance, "predicateType"},
		{"provenance signed with another key", func(t *testing.T, dir string) {
			priv, _ := otherKey(t)
			env := read(t, dir, layout.Provenance)
			stmt := filepath.Join(t.TempDir(), "statement.json")
			os.WriteFile(stmt, payload(t, env), 0o644)
			testrelease.Sign(t, priv, "-dsse", stmt, filepath.Join(dir, layout.Provenance))
		}, "provenance", layout.Provenance, "signature does not verify with the trusted key"},
		{"SBOM with a wrong binary digest, re-signed", func(t *testing.T, dir string) {
			sum := sum(read(t, dir, bin))
			for _, f := range []string{layout.SPDX, layout.CycloneDX} {
				b := read(t, dir, f)
				if !strings.Contains(string(b), sum) {
					t.Fatalf("%s does not name %s", f, sum)
				}
				write(t, dir, f, []byte(strings.ReplaceAll(string(b), sum, strings.Repeat("0", 64))))
			}
			resignFiles(t, p, dir, layout.SPDX, layout.CycloneDX)
		}, "sbom", layout.SPDX, bin},
		// An SBOM an auditor would refuse fails by element, even signed.
		{"SPDX SBOM without the release's supplier, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.SPDX, func(m map[string]any) {
				for _, x := range m["packages"].([]any) {
					if obj(x)["name"] == "cavra-runtime" {
						delete(obj(x), "supplier")
					}
				}
			})
		}, "sbom.ntia", layout.SPDX, "cavra-runtime [SPDXRef-DocumentRoot-Directory-cavra-runtime]: NTIA minimum elements supplier: no supplier"},
		{"SPDX SBOM without an author, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.SPDX, func(m map[string]any) {
				obj(m["creationInfo"])["creators"] = []any{"Tool: syft-v1.57.1"}
			})
		}, "sbom.ntia", layout.SPDX, "document: NTIA minimum elements author: no organisation or person"},
		{"CycloneDX SBOM without a binary's SHA-512, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.CycloneDX, func(m map[string]any) {
				for _, x := range m["components"].([]any) {
					if c := obj(x); c["name"] == bin {
						c["hashes"] = c["hashes"].([]any)[:1] // SHA-256 only
					}
				}
			})
		}, "sbom.bsi", layout.CycloneDX, bin + " [" + bin + "]: BSI TR-03183-2 v2.0.0 hash: no SHA-512"},
		{"CycloneDX SBOM without a binary's licences, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.CycloneDX, func(m map[string]any) {
				for _, x := range m["components"].([]any) {
					if c := obj(x); c["name"] == bin {
						delete(c, "licenses")
					}
				}
			})
		}, "sbom.bsi", layout.CycloneDX, bin + " [" + bin + "]: BSI TR-03183-2 v2.0.0 licence: no declared licence"},
		// The vulnerability evidence, each document signed again with the
		// trusted key: only its content can fail it.
		{"OpenVEX product with another digest, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.OpenVEX, func(m map[string]any) {
				prod := obj(obj(m["statements"].([]any)[0])["products"].([]any)[0])
				obj(prod["hashes"])["sha-256"] = strings.Repeat("0", 64)
			})
		}, "vex", layout.OpenVEX, `has sha-256 "` + strings.Repeat("0", 64) + `"`},
		{"OpenVEX about another product, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.OpenVEX, func(m map[string]any) {
				prod := obj(obj(m["statements"].([]any)[0])["products"].([]any)[0])
				prod["@id"] = "pkg:generic/cavra-runtime@v0.0.1"
			})
		}, "vex", layout.OpenVEX, "pkg:generic/cavra-runtime@v0.0.1 is not a binary of the package"},
		{"OpenVEX status not OpenVEX's, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.OpenVEX, func(m map[string]any) { obj(m["statements"].([]any)[0])["status"] = "patched" })
		}, "vex", layout.OpenVEX, `status "patched" is not one of OpenVEX's`},
		{"CycloneDX VEX of another SBOM, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.CycloneDXVEX, func(m map[string]any) {
				obj(m["externalReferences"].([]any)[0])["url"] = "urn:cdx:00000000-0000-5000-8000-000000000000/1"
			})
		}, "vex.cyclonedx", layout.CycloneDXVEX, `references the SBOM "urn:uuid:00000000-0000-5000-8000-000000000000"`},
		{"CycloneDX VEX dropping a statement, re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.CycloneDXVEX, func(m map[string]any) { m["vulnerabilities"] = m["vulnerabilities"].([]any)[1:] })
		}, "vex.cyclonedx", layout.CycloneDXVEX, "they differ"},
		{"vulns statement missing a binary, statement and envelope re-signed", func(t *testing.T, dir string) {
			editSBOM(t, p, dir, layout.Vulns, func(m map[string]any) { m["subject"] = m["subject"].([]any)[1:] })
			testrelease.Sign(t, p.PrivateKey, "-dsse", filepath.Join(dir, layout.Vulns), filepath.Join(dir, layout.VulnsEnvelope))
		}, "vulns", layout.Vulns, "are not the package's binaries"},
		{"vulns envelope holding another statement, signed with the trusted key", func(t *testing.T, dir string) {
			var st map[string]any
			json.Unmarshal(read(t, dir, layout.Vulns), &st)
			obj(obj(st["predicate"])["scanner"])["result"] = []any{map[string]any{"id": "GO-2099-0001", "severity": []any{}}}
			b, _ := json.Marshal(st)
			stmt := filepath.Join(t.TempDir(), "statement.json")
			os.WriteFile(stmt, b, 0o644)
			testrelease.Sign(t, p.PrivateKey, "-dsse", stmt, filepath.Join(dir, layout.VulnsEnvelope))
		}, "vulns", layout.Vulns, "holds another statement than " + layout.Vulns},
		{"vulns envelope signed with another key", func(t *testing.T, dir string) {
			priv, _ := otherKey(t)
			testrelease.Sign(t, priv, "-dsse", filepath.Join(dir, layout.Vulns), filepath.Join(dir, layout.VulnsEnvelope))
		}, "vulns", layout.VulnsEnvelope, "signature does not verify with the trusted key"},
		{"vulns bundle of another statement", func(t *testing.T, dir string) {
			write(t, dir, layout.VulnsBundle, read(t, dir, layout.ProvenanceBundle))
		}, "vulns.bundle", layout.VulnsBundle, "holds another statement"},
		{"OpenVEX removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, layout.OpenVEX))
		}, "required", layout.OpenVEX, "missing"},
		{"bootstrap missing a required file, re-signed", func(t *testing.T, dir string) {
			var b map[string]any
			json.Unmarshal(read(t, dir, layout.Bootstrap), &b)
			var keep []any
			for _, f := range b["required_files"].([]any) {
				if f != layout.Provenance {
					keep = append(keep, f)
				}
			}
			b["required_files"] = keep
			out, _ := json.MarshalIndent(b, "", "  ")
			write(t, dir, layout.Bootstrap, out)
			resignFiles(t, p, dir, layout.Bootstrap)
		}, "bootstrap", layout.Bootstrap, "lacks " + layout.Provenance},
		{"deb carrying another binary, recorded and re-signed", func(t *testing.T, dir string) {
			// The key holder ships a forged binary, makes everything
			// consistent, then swaps in the old .deb and records it.
			deb, err := linuxpkg.Path("deb", p.Version, "linux/amd64")
			if err != nil {
				t.Fatal(err)
			}
			write(t, dir, bin, forged(t, p))
			testrelease.Resign(t, dir, p.PrivateKey)
			old := read(t, p.Dir, deb)
			write(t, dir, deb, old)
			editManifest(t, dir, func(m map[string]any) {
				for _, rec := range m["packages"].([]any) {
					if obj(rec)["path"] == deb {
						obj(rec)["sha256"] = sum(old)
						obj(rec)["size_bytes"] = len(old)
					}
				}
			})
			resignFiles(t, p, dir, manifest.Name, deb)
		}, "package", "", "installs /usr/bin/cavra-runtime with sha256"},
		{"evidence with a wrong digest, re-signed", func(t *testing.T, dir string) {
			var ev map[string]any
			json.Unmarshal(read(t, dir, layout.EvidenceJSON), &ev)
			for _, a := range ev["artifacts"].([]any) {
				if obj(a)["path"] == bin {
					obj(a)["sha256"] = strings.Repeat("1", 64)
				}
			}
			out, _ := json.MarshalIndent(ev, "", "  ")
			write(t, dir, layout.EvidenceJSON, out)
			resignFiles(t, p, dir, layout.EvidenceJSON)
		}, "evidence", layout.EvidenceJSON, "lists " + bin + " with sha256 " + strings.Repeat("1", 64)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testrelease.Copy(t, p.Dir, t.TempDir())
			tc.tamper(t, dir)
			wantFail(t, verifyDir(t, dir, verify.Options{Key: p.Key}), tc.check, tc.file, tc.detail)
		})
	}
}

// editSBOM changes an SBOM of the package in dir and signs it again with
// the package's own (trusted) key.
func editSBOM(t *testing.T, p *testrelease.Package, dir, name string, edit func(map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(read(t, dir, name), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, name, out)
	resignFiles(t, p, dir, name)
}

// payload returns the statement inside a DSSE envelope.
func payload(t *testing.T, env []byte) []byte {
	t.Helper()
	var e trust.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editProvenance changes the provenance statement and signs it again with
// the package's own (trusted) key.
func editProvenance(t *testing.T, p *testrelease.Package, dir string, edit func(map[string]any)) {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(payload(t, read(t, dir, layout.Provenance)), &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	b, _ := json.Marshal(st)
	stmt := filepath.Join(t.TempDir(), "statement.json")
	os.WriteFile(stmt, b, 0o644)
	testrelease.Sign(t, p.PrivateKey, "-dsse", stmt, filepath.Join(dir, layout.Provenance))
	// The envelope still verifies with the trusted key.
	if _, _, err := p.Key.VerifyDSSE(read(t, dir, layout.Provenance)); err != nil {
		t.Fatalf("setup: %v", err)
	}
}

func TestUnsignedReleaseRefused(t *testing.T) {
	// --allow-unsigned is for snapshots: a tagged release never passes
	// without a trusted key.
	p := testrelease.Build(t, t.TempDir(), testrelease.Options{Tag: "v1.2.3", Targets: "linux/amd64"})
	if strings.Contains(p.Log, "SNAPSHOT") {
		t.Fatalf("a tagged, clean commit was released as a snapshot:\n%s", p.Log)
	}
	o := verify.Options{UnsafeAllowUnsigned: true, Targets: targets("linux/amd64")}
	wantFail(t, verifyDir(t, p.Dir, o), "trust", layout.PublicKey, "--allow-unsigned is for snapshot dry runs")
	o = verify.Options{Key: p.Key, Targets: targets("linux/amd64")}
	if rep := verifyDir(t, p.Dir, o); !rep.OK() || rep.Snapshot {
		t.Fatalf("got %s snapshot=%v, want PASS for the release: %v", rep.Status, rep.Snapshot, rep.Errors())
	}
}

// forged returns a linux/amd64 runtime binary with the pinned build settings
// but another version stamp: its build information is right, its bytes are
// not the release's.
func forged(t *testing.T, p *testrelease.Package) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cavra-runtime")
	cmd := testrelease.GoCommand(t, "build", "-ldflags=-s -w -buildid= -X main.version=forged", "-o", out, "./cmd/cavra-runtime")
	cmd.Dir = p.Repo
	cmd.Env = append(cmd.Env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "GOFLAGS=-trimpath -mod=readonly -buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return read(t, filepath.Dir(out), "cavra-runtime")
}
