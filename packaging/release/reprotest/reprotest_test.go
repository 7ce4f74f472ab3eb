package reprotest

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testrelease.Cleanup()
	os.Exit(code)
}

func TestCompare(t *testing.T) {
	const z = "cavra-go-runtime-v1.zip"
	base := map[string]string{
		"go-runtime-v1/cavra-runtime.reproducibility.json":    "m",
		"go-runtime-v1/checksums.txt":                         "c",
		"go-runtime-v1/checksums.txt#without-key-files":       "cs",
		"go-runtime-v1/checksums.txt.sig":                     "s1",
		"go-runtime-v1/cosign.pub":                            "k1",
		"go-runtime-v1/offline-trust-root-bootstrap.json":     "b1",
		"go-runtime-v1/cavra-runtime.signing-operations.json": "o1",
		"go-runtime-v1/trust/1.root.json":                     "r1",
		"go-runtime-v1/trust/targets.json":                    "t1",
		"go-runtime-v1/trust/targets.json#signed":             "ts1",
		z:                                      "z1",
		z + ".sha256":                          "zs1",
		z + "!go-runtime-v1/checksums.txt.sig": "s1",
		z + "!go-runtime-v1/cavra-runtime.reproducibility.json": "m",
	}
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name   string
		b      map[string]string
		ok     bool
		first  string
		status map[string]Status
	}{
		{"identical", with(nil), true, "", nil},
		{"only a signature differs, and the zips holding it", with(map[string]string{
			"go-runtime-v1/checksums.txt.sig": "s2", z: "z2", z + ".sha256": "zs2", z + "!go-runtime-v1/checksums.txt.sig": "s2",
		}), true, "", map[string]Status{z: "ALLOWED", "go-runtime-v1/checksums.txt.sig": "ALLOWED"}},
		{"the key differs without another key", with(map[string]string{"go-runtime-v1/cosign.pub": "k2", "go-runtime-v1/offline-trust-root-bootstrap.json": "b2"}),
			true, "", map[string]Status{"go-runtime-v1/offline-trust-root-bootstrap.json": "ALLOWED"}},
		{"the bootstrap differs with the same key", with(map[string]string{"go-runtime-v1/offline-trust-root-bootstrap.json": "b2"}),
			false, "go-runtime-v1/offline-trust-root-bootstrap.json", nil},
		{"the manifest differs", with(map[string]string{
			"go-runtime-v1/cavra-runtime.reproducibility.json": "m2", z: "z2", z + ".sha256": "zs2", z + "!go-runtime-v1/cavra-runtime.reproducibility.json": "m2",
		}), false, "go-runtime-v1/cavra-runtime.reproducibility.json", map[string]Status{z: "DIFFERENT"}},
		{"only the zip bytes differ", with(map[string]string{z: "z2"}), false, z, nil},
		{"checksums.txt differs only in key files' lines, keys differ", with(map[string]string{
			"go-runtime-v1/cosign.pub": "k2", "go-runtime-v1/checksums.txt": "c2",
		}), true, "", map[string]Status{"go-runtime-v1/checksums.txt": "ALLOWED"}},
		{"checksums.txt differs elsewhere, keys differ", with(map[string]string{
			"go-runtime-v1/cosign.pub": "k2", "go-runtime-v1/checksums.txt": "c2", "go-runtime-v1/checksums.txt#without-key-files": "cs2",
		}), false, "go-runtime-v1/checksums.txt", nil},
		{"checksums.txt differs, same key", with(map[string]string{"go-runtime-v1/checksums.txt": "c2"}), false, "go-runtime-v1/checksums.txt", nil},
		{"a file is missing", with(map[string]string{"go-runtime-v1/checksums.txt": ""}), false, "go-runtime-v1/checksums.txt",
			map[string]Status{"go-runtime-v1/checksums.txt": "MISSING"}},
		{"TUF metadata differs in its signatures alone", with(map[string]string{"go-runtime-v1/trust/targets.json": "t2"}),
			true, "", map[string]Status{"go-runtime-v1/trust/targets.json": "ALLOWED"}},
		{"TUF metadata differs in what it signs, same keys", with(map[string]string{"go-runtime-v1/trust/targets.json": "t2", "go-runtime-v1/trust/targets.json#signed": "ts2"}),
			false, "go-runtime-v1/trust/targets.json", nil},
		{"another TUF root: the trust files may differ", with(map[string]string{
			"go-runtime-v1/trust/1.root.json": "r2", "go-runtime-v1/cavra-runtime.signing-operations.json": "o2",
			"go-runtime-v1/trust/targets.json": "t2", "go-runtime-v1/trust/targets.json#signed": "ts2",
		}), true, "", map[string]Status{"go-runtime-v1/trust/1.root.json": "ALLOWED", "go-runtime-v1/cavra-runtime.signing-operations.json": "ALLOWED"}},
		{"the signing operations differ, same keys", with(map[string]string{"go-runtime-v1/cavra-runtime.signing-operations.json": "o2"}),
			false, "go-runtime-v1/cavra-runtime.signing-operations.json", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{}
			r.compare(base, tc.b)
			if r.OK() != tc.ok || r.First != tc.first {
				t.Fatalf("got ok=%v first=%q, want ok=%v first=%q (%+v)", r.OK(), r.First, tc.ok, tc.first, r.Files)
			}
			for path, want := range tc.status {
				for _, f := range r.Files {
					if f.Path == path && f.Status != want {
						t.Errorf("%s: got %s, want %s", path, f.Status, want)
					}
				}
			}
		})
	}
}

// TestExplainDifferent compares two output folders whose zips differ in
// one entry's mode and contents: the report names the entry and the fields.
func TestExplainDifferent(t *testing.T) {
	write := func(mode os.FileMode, body string) string {
		dir := t.TempDir()
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "go-runtime-v1/bin/x", Method: zip.Deflate, Modified: time.Unix(315532800, 0)}
		h.SetMode(mode)
		w, _ := zw.CreateHeader(h)
		w.Write([]byte(body))
		zw.Close()
		os.WriteFile(filepath.Join(dir, "cavra-go-runtime-v1.zip"), buf.Bytes(), 0o644)
		return dir
	}
	a, b := write(0o755, "one"), write(0o644, "two")
	sa, err := collect(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := collect(b)
	r := &Report{}
	r.compare(sa, sb)
	r.explain(a, b)
	var out bytes.Buffer
	r.WriteText(&out)
	for _, want := range []string{
		"DIFFERENT cavra-go-runtime-v1.zip: bytes differ\n          go-runtime-v1/bin/x: mode release a -rwxr-xr-x, release b -rw-r--r--\n",
		"go-runtime-v1/bin/x: digest release a " + checksums.SHA256([]byte("one")) + ", release b " + checksums.SHA256([]byte("two")),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("got\n%s\nwant %q", out.String(), want)
		}
	}
}

// TestReproducible releases one commit twice with everything but the
// commit varied, and requires identical packages: with two machine-local
// snapshot keys (different HOME), only signatures and the key's files may
// differ; with one release key, only signatures.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("releases twice")
	}
	t.Run("snapshot keys", func(t *testing.T) { reproducible(t, nil, true) })
	t.Run("one release key", func(t *testing.T) {
		// One release key, under one trust repository.
		keys := t.TempDir()
		priv, _ := testrelease.GenerateKey(t, keys)
		env := []string{"COSIGN_KEY=" + priv, "COSIGN_PASSWORD=" + testrelease.Password,
			"CAVRA_TRUST_REPO=" + filepath.Join(keys, "trust"), "CAVRA_ROOT_PASSWORD=r", "CAVRA_ONLINE_PASSWORD=o"}
		testrelease.RunTool(t, keys, append(os.Environ(), env...), "trust", "init")
		reproducible(t, env, false)
	})
}

func reproducible(t *testing.T, env []string, keysDiffer bool) {
	dir := t.TempDir()
	repo := testrepo.New(t, dir, "")
	var log bytes.Buffer
	rep, err := Run(t.Context(), Options{Root: repo, Work: dir + "/work", Env: env, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	if !rep.OK() {
		t.Fatalf("the two releases differ:\n%s", out.String())
	}
	// Both zips and every package file were compared, the six binaries
	// among them.
	bins := 0
	for _, f := range rep.Files {
		if strings.Contains(f.Path, "/bin/") && !strings.Contains(f.Path, "!") && !signature(f.Path) {
			bins++
		}
	}
	if bins != 6 || rep.Same < 20 {
		t.Errorf("compared %d binaries and %d identical files, want 6 and more than 20:\n%s", bins, rep.Same, out.String())
	}
	// The vulnerability documents, made anew by each release (two HOMEs,
	// two step caches), are identical.
	for _, name := range []string{layout.OpenVEX, layout.CycloneDXVEX, layout.Vulns} {
		same := false
		for _, f := range rep.Files {
			if strings.HasSuffix(f.Path, "/"+name) && !strings.Contains(f.Path, "!") {
				same = f.Status == Same
			}
		}
		if !same {
			t.Errorf("%s: not compared, or not identical:\n%s", name, out.String())
		}
	}
	for _, f := range rep.Files {
		if f.Status == "ALLOWED" && !keysDiffer && !signature(f.Path) && !strings.HasSuffix(f.Path, ".zip") && !strings.HasSuffix(f.Path, ".zip.sha256") {
			t.Errorf("%s differs although both releases used one key", f.Path)
		}
	}
	t.Log(out.String())
}

// signature reports whether a file holds a signature, which differs between
// two releases (ECDSA signatures are randomised): a .sig, a Sigstore bundle,
// the provenance envelope, or TUF metadata signed with ECDSA (whose signed
// part the report holds to be the same: see its #signed entries).
func signature(p string) bool {
	return strings.HasSuffix(p, ".sig") || strings.HasSuffix(p, ".sigstore.json") || strings.HasSuffix(p, ".intoto.jsonl") ||
		strings.HasSuffix(p, "/trust/targets.json") || strings.HasSuffix(p, "/trust/snapshot.json") || strings.HasSuffix(p, "/trust/timestamp.json")
}
