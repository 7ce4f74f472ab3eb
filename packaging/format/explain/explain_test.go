package explain

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hello builds a small program for goos/goarch with the release's pinned
// flags plus extra ldflags and environment, once per combination.
func hello(t *testing.T, goos, goarch, ldflags string, env ...string) []byte {
	t.Helper()
	key := fmt.Sprint(goos, goarch, ldflags, env)
	builds.Lock()
	defer builds.Unlock()
	if b, ok := built[key]; ok {
		return b
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o644)
	cmd := exec.Command("go", "build", "-ldflags="+ldflags, "-o", "hello")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch, "GOFLAGS=-trimpath -buildvcs=false", "GOTOOLCHAIN=local"}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	built[key] = b
	return b
}

var (
	builds sync.Mutex
	built  = map[string][]byte{}
)

// textSection returns the name and file offset of the code section, read
// with the format's own package.
func textSection(t *testing.T, goos string, data []byte) (string, int64) {
	t.Helper()
	r := bytes.NewReader(data)
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			t.Fatal(err)
		}
		return ".text", int64(f.Section(".text").Offset)
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			t.Fatal(err)
		}
		return "__TEXT,__text", int64(f.Section("__text").Offset)
	default:
		f, err := pe.NewFile(r)
		if err != nil {
			t.Fatal(err)
		}
		return ".text", int64(f.Section(".text").Offset)
	}
}

func joined(diffs []Difference) string {
	var s []string
	for _, d := range diffs {
		s = append(s, d.Detail)
	}
	return strings.Join(s, "; ")
}

// TestBinarySection flips one byte inside the code section of an ELF, a
// Mach-O and a PE binary: the explanation names the section and the offset
// of the flipped byte, and says the build information agrees by saying
// nothing of it.
func TestBinarySection(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			shipped := hello(t, goos, "amd64", "-s -w -buildid=")
			name, off := textSection(t, goos, shipped)
			rebuilt := bytes.Clone(shipped)
			rebuilt[off+100] ^= 0xff
			diffs := Binary(shipped, rebuilt, Rebuilt)
			if len(diffs) != 1 {
				t.Fatalf("got %d differences (%s), want 1", len(diffs), joined(diffs))
			}
			d := diffs[0]
			if d.Kind != KindSection || d.Name != name || d.Offset != off+100 {
				t.Errorf("got %+v, want section %s at offset %d", d, name, off+100)
			}
			if want := fmt.Sprintf("section %s (", name); !strings.HasPrefix(d.Detail, want) || !strings.Contains(d.Detail, fmt.Sprintf("offset %d (%#x), 100 bytes into the section", off+100, off+100)) {
				t.Errorf("got %q", d.Detail)
			}
		})
	}
}

// TestBinaryHeaders flips a byte of the ELF program headers, which no
// section holds.
func TestBinaryHeaders(t *testing.T) {
	shipped := hello(t, "linux", "amd64", "-s -w -buildid=")
	rebuilt := bytes.Clone(shipped)
	rebuilt[100] ^= 1
	diffs := Binary(shipped, rebuilt, Rebuilt)
	if len(diffs) != 1 || diffs[0].Kind != KindHeaders || diffs[0].Offset != 100 || !strings.Contains(diffs[0].Detail, "every ELF section agrees") {
		t.Errorf("got %s, want the headers at offset 100", joined(diffs))
	}
}

// TestBinaryBuildInfo builds one program at two microarchitecture levels
// and with and without a symbol table: the differing setting comes first,
// then the first differing section; a symbol table only one has is named.
func TestBinaryBuildInfo(t *testing.T) {
	v1 := hello(t, "linux", "amd64", "-s -w -buildid=", "GOAMD64=v1")
	v3 := hello(t, "linux", "amd64", "-s -w -buildid=", "GOAMD64=v3")
	diffs := Binary(v3, v1, Rebuilt)
	if len(diffs) < 2 || diffs[0].Detail != "setting GOAMD64: shipped v3, rebuilt v1" || diffs[0].Kind != KindBuildInfo {
		t.Fatalf("got %s, want the GOAMD64 setting first", joined(diffs))
	}
	if last := diffs[len(diffs)-1]; last.Kind != KindSection || last.Name == "" || last.Offset == 0 {
		t.Errorf("got %+v last, want the first differing section", last)
	}
	withSymbols := hello(t, "linux", "amd64", "-w -buildid=")
	got := joined(Binary(v1, withSymbols, Rebuilt))
	if !strings.Contains(got, "section .symtab (ELF): only the rebuilt binary has it") {
		t.Errorf("got %q, want .symtab only in the rebuilt binary", got)
	}
	got = joined(Binary([]byte("not a binary"), v1, Rebuilt))
	if !strings.Contains(got, "the shipped binary has no Go build information") || !strings.Contains(got, "cannot be compared section by section") {
		t.Errorf("got %q", got)
	}
}

type zipEntry struct {
	name string
	mode os.FileMode
	time time.Time
	data string
}

func makeZip(t *testing.T, entries ...zipEntry) []byte {
	return makeZipWith(t, zip.Deflate, entries...)
}

func makeZipWith(t *testing.T, method uint16, entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: method, Modified: e.time}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZip(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC)
	a := makeZip(t, zipEntry{"p/a", 0o644, t0, "one"}, zipEntry{"p/b", 0o755, t0, "two"}, zipEntry{"p/c", 0o644, t0, "x"})
	b := makeZip(t, zipEntry{"p/a", 0o600, t0, "one"}, zipEntry{"p/b", 0o755, t0.Add(2 * time.Second), "twos"}, zipEntry{"p/d", 0o644, t0, "x"})
	got := File("x.zip", a, b, Labels{"a", "b"})
	want := []string{
		"p/a: mode a -rw-r--r--, b -rw-------",
		"p/b: time a 2025-01-02T03:04:06Z, b 2025-01-02T03:04:08Z",
		"p/b: size a 3, b 4",
		"p/b: digest a " + sha("two") + ", b " + sha("twos"),
		"p/c: only in the a file",
		"p/d: only in the b file",
	}
	if g := joined(got); g != strings.Join(want, "; ") {
		t.Errorf("got\n%s\nwant\n%s", g, strings.Join(want, "; "))
	}
	// The same entries, stored instead of deflated: the archive's bytes.
	c := makeZipWith(t, zip.Store, zipEntry{"p/a", 0o644, t0, "one"}, zipEntry{"p/b", 0o755, t0, "two"}, zipEntry{"p/c", 0o644, t0, "x"})
	if g := Zip(a, c, Labels{"a", "b"}); len(g) != 1 || g[0].Kind != KindBytes || !strings.HasPrefix(g[0].Detail, "every entry agrees; the archive's own bytes") {
		t.Errorf("got %q", joined(g))
	}
	if g := joined(Zip(a, []byte("junk"), Labels{"a", "b"})); !strings.Contains(g, "the b file is not a readable zip") {
		t.Errorf("got %q", g)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type tarEntry struct {
	name, uname, data string
	mode              int64
}

func makeTarGz(t *testing.T, entries ...tarEntry) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Uname: e.uname, Gname: e.uname, ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg})
		tw.Write([]byte(e.data))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestTarGz(t *testing.T) {
	a := makeTarGz(t, tarEntry{"src/go.mod", "root", "module x\n", 0o644})
	b := makeTarGz(t, tarEntry{"src/go.mod", "builder", "module x\n", 0o644})
	got := joined(File("src.tar.gz", a, b, Rebuilt))
	if want := "src/go.mod: owner shipped root:root, rebuilt builder:builder"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// deb writes a Debian package by hand: an ar archive of debian-binary,
// control.tar.gz and data.tar.gz holding one file.
func deb(t *testing.T, version, owner string, mode int64, body string) []byte {
	tgz := func(name, uname, data string, mode int64) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Uname: uname, Gname: uname, ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}
	var out bytes.Buffer
	out.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"debian-binary", []byte("2.0\n")},
		{"control.tar.gz", tgz("./control", "root", "Package: cavra-runtime\nVersion: "+version+"\nArchitecture: amd64\n", 0o644)},
		{"data.tar.gz", tgz("./usr/bin/cavra-runtime", owner, body, mode)},
	} {
		fmt.Fprintf(&out, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", m.name, 1700000000, 0, 0, 0o100644, len(m.data))
		out.Write(m.data)
		if len(m.data)%2 == 1 {
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

func TestLinuxPackage(t *testing.T) {
	a := deb(t, "1.2.3", "root", 0o755, "binary")
	b := deb(t, "1.2.4", "nobody", 0o644, "binary!")
	got := File("packages/cavra-runtime_1.2.3_amd64.deb", a, b, Rebuilt)
	want := []string{
		`package version: shipped "1.2.3", rebuilt "1.2.4"`,
		"/usr/bin/cavra-runtime: mode shipped -rwxr-xr-x, rebuilt -rw-r--r--",
		"/usr/bin/cavra-runtime: owner shipped root:root, rebuilt nobody:nobody",
		"/usr/bin/cavra-runtime: size shipped 6, rebuilt 7",
		"/usr/bin/cavra-runtime: digest shipped " + sha("binary") + ", rebuilt " + sha("binary!"),
	}
	if g := joined(got); g != strings.Join(want, "; ") {
		t.Errorf("got\n%s\nwant\n%s", g, strings.Join(want, "; "))
	}
	for _, d := range got[1:] {
		if d.Kind != KindEntry || d.Name != "/usr/bin/cavra-runtime" || d.Field == "" || d.Expected == d.Actual {
			t.Errorf("got %+v, want a field of the entry with both values", d)
		}
	}
}

func TestMaxEntries(t *testing.T) {
	var ea, eb []zipEntry
	for i := range MaxEntries + 5 {
		ea = append(ea, zipEntry{fmt.Sprintf("f%03d", i), 0o644, time.Unix(1700000000, 0), "a"})
		eb = append(eb, zipEntry{fmt.Sprintf("f%03d", i), 0o644, time.Unix(1700000000, 0), "b"})
	}
	got := Zip(makeZip(t, ea...), makeZip(t, eb...), Rebuilt)
	// Each entry differs in its digest only.
	if len(got) != MaxEntries+1 || got[MaxEntries].Detail != "and 5 more differences" {
		t.Errorf("got %d differences, last %q", len(got), got[len(got)-1].Detail)
	}
}
