package linuxpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
)

func readSeed(t testing.TB, format string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/seed." + format)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestReadSeeds reads the seed packages, which packaging/release/nfpm made the way
// a release makes packages (see testdata/README): owned by root, at the
// seeds' SOURCE_DATE_EPOCH.
func TestReadSeeds(t *testing.T) {
	bin := "#!/bin/sh\necho cavra-runtime v1.2.3-rc.1\n"
	wantFiles := []File{
		{Path: "/etc/cavra-runtime", Mode: fs.ModeDir | 0o755, Owner: "root:root", MTime: 1700000000},
		{Path: "/etc/cavra-runtime/README", Mode: 0o644, Size: 14, SHA256: sum("cavra-runtime\n"), Owner: "root:root", MTime: 1700000000},
		{Path: "/usr/bin/cavra-runtime", Mode: 0o755, Size: int64(len(bin)), SHA256: sum(bin), Owner: "root:root", MTime: 1700000000},
		{Path: "/usr/lib/systemd/system/cavra-runtime.service", Mode: 0o644, Size: 49, SHA256: sum("[Service]\nExecStart=/usr/bin/cavra-runtime serve\n"), Owner: "root:root", MTime: 1700000000},
		{Path: "/usr/share/doc/cavra-runtime/LICENSE", Mode: 0o644, Size: 19, SHA256: sum("Apache License 2.0\n"), Owner: "root:root", MTime: 1700000000},
	}
	implicit := []string{"/etc", "/usr", "/usr/bin", "/usr/lib", "/usr/lib/systemd", "/usr/lib/systemd/system", "/usr/share", "/usr/share/doc", "/usr/share/doc/cavra-runtime"}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			info, files, err := Read(format, bytes.NewReader(readSeed(t, format)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := Version(format, "v1.2.3-rc.1")
			arch, _ := Arch(format, "linux/amd64")
			want := Info{Name: Name, Version: v, Arch: arch}
			if format == "rpm" {
				want.Release = RPMRelease
			}
			if info != want {
				t.Errorf("got info %+v, want %+v", info, want)
			}
			var got []File
			for _, f := range files {
				isImplicit := false
				for _, d := range implicit {
					if f.Path == d && f.Mode == fs.ModeDir|0o755 {
						isImplicit = true // deb and apk list parent folders; rpm does not
					}
				}
				if !isImplicit || format == "rpm" {
					got = append(got, f)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(wantFiles) {
				t.Errorf("got files\n%v\nwant\n%v", got, wantFiles)
			}
			b, err := Installed(files)
			if err != nil || b.SHA256 != sum(bin) {
				t.Errorf("Installed: %+v, %v", b, err)
			}
		})
	}
}

// TestReadTruncated reads every proper prefix of each seed: all must fail
// with an *Error.
func TestReadTruncated(t *testing.T) {
	for _, format := range Formats {
		data := readSeed(t, format)
		for n := range len(data) {
			_, _, err := Read(format, bytes.NewReader(data[:n]), Limits{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s cut at %d of %d bytes: got %v, want an *Error", format, n, len(data), err)
			}
		}
	}
}

// TestReadFlipped flips each byte of each seed. Nothing may panic; the
// bytes that carry the binary must not be changed unnoticed.
func TestReadFlipped(t *testing.T) {
	bin := sum("#!/bin/sh\necho cavra-runtime v1.2.3-rc.1\n")
	for _, format := range Formats {
		data := readSeed(t, format)
		accepted := 0
		for i := range data {
			d := bytes.Clone(data)
			d[i] ^= 0x55
			_, files, err := Read(format, bytes.NewReader(d), Limits{})
			if err != nil {
				continue
			}
			accepted++
			if b, err := Installed(files); err == nil && b.SHA256 != bin {
				t.Errorf("%s with byte %d flipped: binary %s accepted", format, i, b.SHA256)
			}
		}
		t.Logf("%s: %d of %d single-byte changes accepted (headers' times, names, unchecked fields)", format, accepted, len(data))
	}
}

type entry struct {
	name string
	typ  byte
	mode int64
	body string
	link string
}

func tarData(t testing.TB, entries []entry, end bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Format: tar.FormatPAX, Uname: "root", Gname: "root", ModTime: time.Unix(1700000000, 0)}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if end {
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	} else if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type member struct {
	name string
	data []byte
}

func arData(members ...member) []byte {
	var buf bytes.Buffer
	buf.WriteString(arMagic)
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", m.name, 1700000000, 0, 0, 0o100644, len(m.data))
		buf.Write(m.data)
		if len(m.data)%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

const goodControl = "Package: cavra-runtime\nVersion: 1.2.3\nArchitecture: amd64\nDescription: x\n more\n"

var goodData = []entry{
	{"./", tar.TypeDir, 0o755, "", ""},
	{"./usr/", tar.TypeDir, 0o755, "", ""},
	{"./usr/bin/", tar.TypeDir, 0o755, "", ""},
	{"./usr/bin/cavra-runtime", tar.TypeReg, 0o755, "binary", ""},
}

func deb(t testing.TB, control string, data []entry) []byte {
	return arData(
		member{"debian-binary", []byte("2.0\n")},
		member{"control.tar.gz", gz(t, tarData(t, []entry{{"./control", tar.TypeReg, 0o644, control, ""}}, true))},
		member{"data.tar.gz", gz(t, tarData(t, data, true))},
	)
}

func TestReadDeb(t *testing.T) {
	info, files, err := Read("deb", bytes.NewReader(deb(t, goodControl, goodData)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Name: "cavra-runtime", Version: "1.2.3", Arch: "amd64"}); info != want {
		t.Errorf("got %+v, want %+v", info, want)
	}
	want := []File{
		{Path: "/usr", Mode: fs.ModeDir | 0o755, Owner: "root:root", MTime: 1700000000},
		{Path: "/usr/bin", Mode: fs.ModeDir | 0o755, Owner: "root:root", MTime: 1700000000},
		{Path: "/usr/bin/cavra-runtime", Mode: 0o755, Size: 6, SHA256: sum("binary"), Owner: "root:root", MTime: 1700000000},
	}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", files, want)
	}
}

// TestReadRefused lists malformed or hostile packages; each must fail with
// an error that names the problem.
func TestReadRefused(t *testing.T) {
	controlTar := gz(t, tarData(t, []entry{{"./control", tar.TypeReg, 0o644, goodControl, ""}}, true))
	dataTar := gz(t, tarData(t, goodData, true))
	with := func(e ...entry) []entry { return append(append([]entry{}, goodData...), e...) }
	tests := []struct {
		name   string
		format string
		data   []byte
		lim    Limits
		want   string
	}{
		{"empty", "deb", nil, Limits{}, "ar magic"},
		{"not ar", "deb", []byte("!<arch>x"), Limits{}, "not an ar archive"},
		{"no members", "deb", arData(), Limits{}, "no member"},
		{"wrong first member", "deb", arData(member{"control.tar.gz", controlTar}), Limits{}, "not debian-binary"},
		{"format 3", "deb", arData(member{"debian-binary", []byte("3.0\n")}), Limits{}, "not 2.x"},
		{"control.tar.xz", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.xz", []byte("x")}), Limits{}, "control.tar.xz: xz compression cannot be read"},
		{"control.tar.zst", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.zst", []byte("x")}), Limits{}, "control.tar.zst: zst compression cannot be read"},
		{"data.tar.zst", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", controlTar}, member{"data.tar.zst", []byte("x")}), Limits{}, "data.tar.zst: zst compression"},
		{"data before control", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"data.tar.gz", dataTar}), Limits{}, "want control.tar"},
		{"no data", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", controlTar}), Limits{}, "no member after control.tar.gz"},
		{"no control file", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", gz(t, tarData(t, []entry{{"./md5sums", tar.TypeReg, 0o644, "", ""}}, true))}, member{"data.tar.gz", dataTar}), Limits{}, "no control file"},
		{"control without version", "deb", deb(t, "Package: x\nArchitecture: amd64\n", goodData), Limits{}, "Version is missing"},
		{"control field twice", "deb", deb(t, goodControl+"Package: y\n", goodData), Limits{}, "appears twice"},
		{"bytes after gzip", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", controlTar}, member{"data.tar.gz", append(bytes.Clone(dataTar), 0)}), Limits{}, "bytes after the gzip stream"},
		{"data after tar end", "deb", arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", controlTar}, member{"data.tar.gz", gz(t, append(tarData(t, goodData, true), 'x'))}), Limits{}, "data after the end of the archive"},
		{"traversal", "deb", deb(t, goodControl, with(entry{"./usr/../../etc/passwd", tar.TypeReg, 0o644, "x", ""})), Limits{}, "not a clean relative path"},
		{"dot-dot", "deb", deb(t, goodControl, with(entry{"../x", tar.TypeReg, 0o644, "x", ""})), Limits{}, "not a clean relative path"},
		{"control character", "deb", deb(t, goodControl, with(entry{"./usr/a\nb", tar.TypeReg, 0o644, "x", ""})), Limits{}, "control character"},
		{"duplicate", "deb", deb(t, goodControl, with(entry{"usr/bin/cavra-runtime", tar.TypeReg, 0o755, "other", ""})), Limits{}, "/usr/bin/cavra-runtime appears twice"},
		{"hard link", "deb", deb(t, goodControl, with(entry{"./usr/bin/x", tar.TypeLink, 0o755, "", "./usr/bin/cavra-runtime"})), Limits{}, "hard links are refused"},
		{"device", "deb", deb(t, goodControl, with(entry{"./dev/x", tar.TypeChar, 0o644, "", ""})), Limits{}, "entry type"},
		{"below a symlink", "deb", deb(t, goodControl, []entry{{"./usr/", tar.TypeSymlink, 0o777, "", "/tmp"}, {"./usr/bin/cavra-runtime", tar.TypeReg, 0o755, "binary", ""}}), Limits{}, "below /usr, which is not a directory"},
		{"below a file", "deb", deb(t, goodControl, with(entry{"./usr/bin/cavra-runtime/x", tar.TypeReg, 0o644, "x", ""})), Limits{}, "which is not a directory"},
		{"too many files", "deb", deb(t, goodControl, goodData), Limits{MaxFiles: 2}, "more than 2 entries"},
		{"file too big", "deb", deb(t, goodControl, goodData), Limits{MaxFileSize: 5}, "above the limit of 5 bytes"},
		{"payload too big", "deb", deb(t, goodControl, with(entry{"./a", tar.TypeReg, 0o644, "abcdef", ""})), Limits{MaxTotalSize: 10}, "payload above the limit"},
		{"control too big", "deb", deb(t, goodControl, goodData), Limits{MaxMetadataSize: 20}, "above the limit"},
		{"extended ar name", "deb", arData(member{"//", []byte("x")}), Limits{}, "extended names are refused"},
		{"unknown format", "msi", nil, Limits{}, "unknown package format"},
		{"apk v3", "apk", []byte("ADB.xxxx"), Limits{}, "ADB"},
		{"rpm: not rpm", "rpm", bytes.Repeat([]byte{0}, 200), Limits{}, "not an rpm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read(tt.format, bytes.NewReader(tt.data), tt.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "linuxpkg: "+tt.format+": ") {
				t.Errorf("got %q, want the prefix linuxpkg: %s: ", err, tt.format)
			}
		})
	}
}

func TestInstalledSymlink(t *testing.T) {
	data := deb(t, goodControl, []entry{
		{"./usr/bin/", tar.TypeDir, 0o755, "", ""},
		{"./usr/bin/cavra-runtime", tar.TypeSymlink, 0o777, "", "/tmp/evil"},
	})
	_, files, err := Read("deb", bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f := files[len(files)-1]; f.Path != InstalledPath || f.Mode != fs.ModeSymlink|0o777 || f.SHA256 != "" {
		t.Errorf("got %+v, want a symbolic link", f)
	}
	if f, err := Installed(files); err == nil {
		t.Errorf("Installed accepted %+v", f)
	}
	if _, err := Installed(nil); err == nil {
		t.Error("Installed accepted no files")
	}
}

// apk builds an apk of a control segment holding pkginfo and a data
// segment of data; pkginfo may refer to the data's hash as %s.
func apk(t testing.TB, sig bool, pkginfo string, data []entry, tamper func([]byte) []byte) []byte {
	t.Helper()
	dataGz := gz(t, tarData(t, data, true))
	h := sha256.Sum256(dataGz)
	if strings.Contains(pkginfo, "%s") {
		pkginfo = fmt.Sprintf(pkginfo, hex.EncodeToString(h[:]))
	}
	if tamper != nil {
		dataGz = tamper(dataGz)
	}
	var out []byte
	if sig {
		out = append(out, gz(t, tarData(t, []entry{{".SIGN.RSA.key.rsa.pub", tar.TypeReg, 0o644, "sig", ""}}, false))...)
	}
	out = append(out, gz(t, tarData(t, []entry{{".PKGINFO", tar.TypeReg, 0o644, pkginfo, ""}}, false))...)
	return append(out, dataGz...)
}

const goodPKGINFO = "# generated\npkgname = cavra-runtime\npkgver = 1.2.3-r0\narch = x86_64\nsize = 6\npkgdesc = x\ndatahash = %s\n"

var apkData = []entry{
	{"usr/", tar.TypeDir, 0o755, "", ""},
	{"usr/bin/", tar.TypeDir, 0o755, "", ""},
	{"usr/bin/cavra-runtime", tar.TypeReg, 0o755, "binary", ""},
}

func TestReadAPK(t *testing.T) {
	for _, sig := range []bool{false, true} {
		info, files, err := Read("apk", bytes.NewReader(apk(t, sig, goodPKGINFO, apkData, nil)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (Info{Name: "cavra-runtime", Version: "1.2.3-r0", Arch: "x86_64"}); info != want {
			t.Errorf("got %+v, want %+v", info, want)
		}
		if b, err := Installed(files); err != nil || b.SHA256 != sum("binary") {
			t.Errorf("Installed: %+v, %v", b, err)
		}
	}
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b = bytes.Clone(b); b[len(b)+i] ^= 1; return b }
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"datahash mismatch", apk(t, false, strings.Replace(goodPKGINFO, "%s", strings.Repeat("0", 64), 1), apkData, nil), "but .PKGINFO says datahash"},
		{"no datahash", apk(t, false, "pkgname = a\npkgver = 1\narch = x86_64\n", apkData, nil), "no datahash"},
		{"pkgname twice", apk(t, false, "pkgname = a\n"+goodPKGINFO, apkData, nil), "pkgname appears twice"},
		{"data changed", apk(t, false, goodPKGINFO, apkData, flip(-20)), "data segment"},
		{"trailing data", append(apk(t, false, goodPKGINFO, apkData, nil), gz(t, []byte("x"))...), "bytes after the data segment"},
		{"payload in control", func() []byte {
			b := gz(t, tarData(t, []entry{{"usr/bin/cavra-runtime", tar.TypeReg, 0o755, "x", ""}, {".PKGINFO", tar.TypeReg, 0o644, goodPKGINFO, ""}}, false))
			return append(b, gz(t, tarData(t, apkData, true))...)
		}(), "holds only .NAME files"},
		{"no control", gz(t, tarData(t, apkData, true)), "control segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read("apk", bytes.NewReader(tt.data), Limits{})
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an *Error containing %q", err, tt.want)
			}
		})
	}
}

// TestReadAPKChecksum checks the APK-TOOLS.checksum.SHA1 records.
func TestReadAPKChecksum(t *testing.T) {
	for _, tt := range []struct {
		sha1 string
		ok   bool
	}{{"11f6ad8ec52a2984abaafd7c3b516503785c2072", true}, {"0000000000000000000000000000000000000000", false}} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644, PAXRecords: map[string]string{"APK-TOOLS.checksum.SHA1": tt.sha1}})
		tw.Write([]byte("x"))
		tw.Close()
		dataGz := gz(t, buf.Bytes())
		h := sha256.Sum256(dataGz)
		pkg := gz(t, tarData(t, []entry{{".PKGINFO", tar.TypeReg, 0o644, fmt.Sprintf(goodPKGINFO, hex.EncodeToString(h[:])), ""}}, false))
		_, _, err := Read("apk", bytes.NewReader(append(pkg, dataGz...)), Limits{})
		if (err == nil) != tt.ok {
			t.Errorf("SHA-1 record %s: got %v, want ok=%v", tt.sha1, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "APK-TOOLS.checksum.SHA1") {
			t.Errorf("got %v", err)
		}
	}
}

// rpmOffsets returns where the seed rpm's main header and payload start.
func rpmOffsets(t *testing.T, data []byte) (header, payload int) {
	t.Helper()
	sig := 96
	n := int(binary.BigEndian.Uint32(data[sig+8:]))
	h := int(binary.BigEndian.Uint32(data[sig+12:]))
	header = sig + 16 + 16*n + h
	header += (8 - header%8) % 8
	n = int(binary.BigEndian.Uint32(data[header+8:]))
	h = int(binary.BigEndian.Uint32(data[header+12:]))
	return header, header + 16 + 16*n + h
}

func TestReadRPMTampered(t *testing.T) {
	data := readSeed(t, "rpm")
	header, payload := rpmOffsets(t, data)
	tests := []struct {
		name string
		at   int
		want string
	}{
		{"header store", payload - 10, "header: SHA-256"},
		{"header index", header + 20, "header"},
		{"payload gzip header mtime", payload + 5, "payload (gzip cpio): digest"},
		{"payload data", payload + 40, "payload (gzip cpio)"},
		{"payload trailer", len(data) - 3, "payload (gzip cpio)"},
	}
	for _, tt := range tests {
		d := bytes.Clone(data)
		d[tt.at] ^= 0x20
		_, _, err := Read("rpm", bytes.NewReader(d), Limits{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s (byte %d): got %v, want an error containing %q", tt.name, tt.at, err, tt.want)
		}
	}
	if _, _, err := Read("rpm", bytes.NewReader(append(bytes.Clone(data), 0)), Limits{}); err == nil || !strings.Contains(err.Error(), "after the compressed payload") {
		t.Errorf("trailing byte: got %v", err)
	}
}
