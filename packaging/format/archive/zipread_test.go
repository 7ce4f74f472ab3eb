package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
)

// zent is one entry of a hand-built zip.
type zent struct {
	fh   zip.FileHeader
	data []byte
	raw  bool // write fh verbatim with CreateRaw; data is already compressed
}

// file is a deflated 0644 file.
func file(name, data string) zent {
	z := zent{fh: zip.FileHeader{Name: name, Method: zip.Deflate}, data: []byte(data)}
	z.fh.SetMode(0o644)
	return z
}

// withMode is file with another mode.
func withMode(name string, mode fs.FileMode) zent {
	z := file(name, "")
	z.fh.SetMode(mode)
	return z
}

// rawFile is a file written by CreateRaw with honest sizes and CRC,
// changed by edit.
func rawFile(name string, data []byte, method uint16, edit func(*zip.FileHeader)) zent {
	z := zent{raw: true, data: data, fh: zip.FileHeader{
		Name:               name,
		Method:             method,
		CRC32:              crc32.ChecksumIEEE(data),
		UncompressedSize64: uint64(len(data)),
	}}
	if method == zip.Deflate {
		z.data = deflate(data)
	}
	z.fh.CompressedSize64 = uint64(len(z.data))
	z.fh.SetMode(0o644)
	if edit != nil {
		edit(&z.fh)
	}
	return z
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func mkzip(t testing.TB, ents ...zent) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range ents {
		fh := e.fh
		var (
			w   io.Writer
			err error
		)
		if e.raw {
			w, err = zw.CreateRaw(&fh)
		} else {
			w, err = zw.CreateHeader(&fh)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// central returns the offsets of the central directory records of z,
// which must have no archive comment.
func central(z []byte) []int {
	end := len(z) - 22
	n := int(binary.LittleEndian.Uint16(z[end+10:]))
	off := int(binary.LittleEndian.Uint32(z[end+16:]))
	var offs []int
	for range n {
		offs = append(offs, off)
		off += 46 + int(binary.LittleEndian.Uint16(z[off+28:])) + int(binary.LittleEndian.Uint16(z[off+30:])) + int(binary.LittleEndian.Uint16(z[off+32:]))
	}
	return offs
}

// zeros200 returns 200 MB of zeros, deflated, and their CRC-32.
var zeros200 = sync.OnceValues(func() ([]byte, uint32) {
	z := make([]byte, 200<<20)
	return deflate(z), crc32.ChecksumIEEE(z)
})

// zipAttack is a hostile zip and how OpenZip or File.Open must refuse it.
type zipAttack struct {
	name   string
	zip    func(t testing.TB) []byte
	lim    Limits
	entry  string // entry named by the *Error
	reason string // substring of Error.Reason
	onRead bool   // refused when reading, not by OpenZip
}

func ents(es ...zent) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return mkzip(t, es...) }
}

func zipAttacks() []zipAttack {
	ok := file("top/ok", "fine")
	dir := func(name string) zent { return zent{fh: zip.FileHeader{Name: name}} }
	return []zipAttack{
		// Names.
		{name: "absolute", zip: ents(ok, file("/top/x", "")), entry: "/top/x", reason: "absolute path"},
		{name: "drive slash", zip: ents(file("C:/top/x", "")), entry: "C:/top/x", reason: "drive letter"},
		{name: "drive backslash", zip: ents(file(`C:\top\x`, "")), entry: `C:\top\x`, reason: "backslash"},
		{name: "unc", zip: ents(file(`\\server\share\x`, "")), entry: `\\server\share\x`, reason: "backslash"},
		{name: "backslash", zip: ents(ok, file(`top\..\..\x`, "")), entry: `top\..\..\x`, reason: "backslash"},
		{name: "nul", zip: ents(ok, file("top/a\x00b", "")), entry: "top/a\x00b", reason: "NUL"},
		{name: "newline", zip: ents(ok, file("top/a\nb", "")), entry: "top/a\nb", reason: "control character"},
		{name: "c1 control", zip: ents(ok, file("top/a\u009bb", "")), entry: "top/a\u009bb", reason: "control character"},
		{name: "bad utf8", zip: ents(ok, file("top/\xff", "")), entry: "top/\xff", reason: "UTF-8"},
		{name: "dotdot", zip: ents(ok, file("top/../../etc/passwd", "")), entry: "top/../../etc/passwd", reason: "escapes the top folder"},
		{name: "inner dotdot", zip: ents(ok, file("top/a/../b", "")), entry: "top/a/../b", reason: `".." path segment`},
		{name: "dot", zip: ents(ok, file("top/./a", "")), entry: "top/./a", reason: `"." path segment`},
		{name: "empty segment", zip: ents(ok, file("top//a", "")), entry: "top//a", reason: "empty path segment"},
		{name: "empty name", zip: ents(ok, file("", "")), entry: "", reason: "empty name"},
		{name: "root dir", zip: ents(ok, dir("/")), entry: "/", reason: "empty name"},
		{name: "colon", zip: ents(ok, file("top/a:stream", "")), entry: "top/a:stream", reason: "colon"},
		{name: "reserved", zip: ents(ok, file("top/nul.txt", "")), entry: "top/nul.txt", reason: "reserved Windows name"},
		{name: "trailing dot", zip: ents(ok, file("top/a.", "")), entry: "top/a.", reason: "dot or space"},
		{name: "long", zip: ents(ok, file("top/"+strings.Repeat("a", 256), "")), entry: "top/" + strings.Repeat("a", 256), reason: "longer than 255"},

		// Folder structure.
		{name: "top-level file", zip: ents(file("x", "")), entry: "x", reason: "top level"},
		{name: "top-level file later", zip: ents(ok, file("x", "")), entry: "x", reason: "top level"},
		{name: "two tops", zip: ents(ok, file("other/x", "")), entry: "other/x", reason: `outside the top folder "top"`},
		{name: "two top dirs", zip: ents(dir("top/"), dir("other/")), entry: "other/", reason: "outside the top folder"},
		{name: "top case", zip: ents(ok, file("TOP/x", "")), entry: "TOP/x", reason: `conflicts with "top" on case-insensitive`},
		{name: "duplicate", zip: ents(ok, file("top/ok", "again")), entry: "top/ok", reason: "duplicate name"},
		{name: "duplicate dir", zip: ents(dir("top/d/"), dir("top/d/")), entry: "top/d/", reason: "duplicate directory"},
		{name: "case duplicate", zip: ents(ok, file("top/OK", "")), entry: "top/OK", reason: `conflicts with "top/ok" on case-insensitive`},
		{name: "kelvin", zip: ents(file("top/k", ""), file("top/\u212a", "")), entry: "top/\u212a", reason: "case-insensitive"},
		{name: "long s", zip: ents(file("top/s", ""), file("top/\u017f", "")), entry: "top/\u017f", reason: "case-insensitive"},
		{name: "case parent", zip: ents(file("top/d/a", ""), file("top/D/b", "")), entry: "top/D/b", reason: `conflicts with "top/d"`},
		{name: "file then dir", zip: ents(ok, dir("top/ok/")), entry: "top/ok/", reason: "same name as a file"},
		{name: "dir then file", zip: ents(dir("top/d/"), file("top/d", "")), entry: "top/d", reason: "same name as a directory"},
		{name: "file then child", zip: ents(ok, file("top/ok/x", "")), entry: "top/ok/x", reason: `parent "top/ok" is a file`},
		{name: "child then file", zip: ents(file("top/d/x", ""), file("top/d", "")), entry: "top/d", reason: "same name as a directory"},
		{name: "empty", zip: ents(), reason: "no entries"},
		{name: "not a zip", zip: func(testing.TB) []byte { return []byte("PK\x03\x04 nope") }, reason: "not a valid zip"},

		// Types.
		{name: "symlink", zip: ents(ok, withMode("top/link", fs.ModeSymlink|0o777)), entry: "top/link", reason: "symbolic link"},
		{name: "symlink fat creator", zip: ents(ok, rawFile("top/link", []byte("/etc"), zip.Store, func(h *zip.FileHeader) {
			h.CreatorVersion = 0 // MS-DOS, yet Unix mode bits say symlink
			h.ExternalAttrs = 0o120777 << 16
		})), entry: "top/link", reason: "symbolic link"},
		{name: "device", zip: ents(ok, withMode("top/dev", fs.ModeDevice|0o644)), entry: "top/dev", reason: "block device"},
		{name: "char device", zip: ents(ok, withMode("top/tty", fs.ModeDevice|fs.ModeCharDevice|0o644)), entry: "top/tty", reason: "character device"},
		{name: "fifo", zip: ents(ok, withMode("top/fifo", fs.ModeNamedPipe|0o644)), entry: "top/fifo", reason: "named pipe"},
		{name: "socket", zip: ents(ok, withMode("top/sock", fs.ModeSocket|0o644)), entry: "top/sock", reason: "socket"},
		{name: "unknown type", zip: ents(ok, rawFile("top/x", nil, zip.Store, func(h *zip.FileHeader) { h.ExternalAttrs = 0o170644 << 16 })), entry: "top/x", reason: "unknown Unix file type"},
		{name: "dos dir bit on file", zip: ents(ok, rawFile("top/x", nil, zip.Store, func(h *zip.FileHeader) {
			h.CreatorVersion = 0
			h.ExternalAttrs = 0x10
		})), entry: "top/x", reason: "MS-DOS directory attribute"},
		{name: "unix dir on file", zip: ents(ok, rawFile("top/x", nil, zip.Store, func(h *zip.FileHeader) { h.ExternalAttrs = 0o40755 << 16 })), entry: "top/x", reason: "directory mode on a file"},
		{name: "unix file on dir", zip: ents(ok, rawFile("top/d/", nil, zip.Store, func(h *zip.FileHeader) { h.ExternalAttrs = 0o100644 << 16 })), entry: "top/d/", reason: "regular-file mode on a directory"},
		{name: "volume label", zip: ents(ok, rawFile("top/x", nil, zip.Store, func(h *zip.FileHeader) { h.ExternalAttrs = 0x08 })), entry: "top/x", reason: "volume label"},
		{name: "dir with data", zip: ents(ok, rawFile("top/d/", nil, zip.Store, func(h *zip.FileHeader) { h.UncompressedSize64 = 5; h.ExternalAttrs = 0x10 })), entry: "top/d/", reason: "directory with 5 bytes"},

		// Flags and methods.
		{name: "encrypted", zip: ents(ok, rawFile("top/x", []byte("secret"), zip.Store, func(h *zip.FileHeader) { h.Flags |= 1 })), entry: "top/x", reason: "encrypted"},
		{name: "strong encryption", zip: ents(ok, rawFile("top/x", []byte("secret"), zip.Store, func(h *zip.FileHeader) { h.Flags |= 0x40 })), entry: "top/x", reason: "encrypted"},
		{name: "bzip2", zip: ents(ok, rawFile("top/x", []byte("BZh9"), 12, nil)), entry: "top/x", reason: "compression method 12"},
		{name: "stored size mismatch", zip: ents(ok, rawFile("top/x", []byte("abc"), zip.Store, func(h *zip.FileHeader) { h.UncompressedSize64 = 2 })), entry: "top/x", reason: "stored with compressed size 3 but size 2"},

		// Limits.
		{name: "declared huge", zip: ents(ok, rawFile("top/x", []byte("abc"), zip.Deflate, func(h *zip.FileHeader) { h.UncompressedSize64 = 2 << 30 })), entry: "top/x", reason: "size 2147483648 bytes, more than the limit of 1073741824"},
		{name: "file size", lim: Limits{MaxFileSize: 10}, zip: ents(ok, file("top/x", "01234567890")), entry: "top/x", reason: "more than the limit of 10"},
		{name: "total size", lim: Limits{MaxTotalSize: 10}, zip: ents(file("top/a", "012345"), file("top/b", "012345")), entry: "top/b", reason: "total size 12 bytes"},
		{name: "entries", lim: Limits{MaxEntries: 2}, zip: ents(file("top/a", ""), file("top/b", ""), file("top/c", "")), reason: "3 entries, more than the limit of 2"},
		{name: "ratio bomb", zip: func(t testing.TB) []byte {
			data, crc := zeros200()
			return mkzip(t, ok, zent{raw: true, data: data, fh: zip.FileHeader{
				Name: "top/bomb", Method: zip.Deflate, CRC32: crc,
				UncompressedSize64: 200 << 20, CompressedSize64: uint64(len(data)),
			}})
		}, entry: "top/bomb", reason: "compression ratio above the limit of 1000:1 (209715200 bytes from 203840)"},
		{name: "ratio zero compressed", zip: ents(ok, rawFile("top/x", nil, zip.Deflate, func(h *zip.FileHeader) {
			h.UncompressedSize64 = 2 << 20
			h.CompressedSize64 = 0
		})), entry: "top/x", reason: "compression ratio"},
		{name: "compressed beyond end", zip: ents(ok, rawFile("top/x", []byte("abc"), zip.Deflate, func(h *zip.FileHeader) { h.CompressedSize64 = 1 << 40 })), entry: "top/x", reason: "more than the archive"},
		{name: "data beyond end", zip: func(t testing.TB) []byte {
			z := mkzip(t, file("top/x", "abc"), rawFile("top/y", make([]byte, 1000), zip.Store, nil))
			binary.LittleEndian.PutUint32(z[central(z)[0]+20:], uint32(len(z)-20)) // x's compressed size
			return z
		}, entry: "top/x", reason: "beyond the end of the archive"},

		// Layout.
		{name: "overlap", zip: func(t testing.TB) []byte {
			z := mkzip(t, file("top/a", "aaaa"), file("top/b", "bbbb"))
			binary.LittleEndian.PutUint32(z[central(z)[1]+42:], 0) // b's local header offset := a's
			return z
		}, entry: "top/b", reason: `data overlaps entry "top/a"`},
		{name: "overlap partial", zip: func(t testing.TB) []byte {
			// A stored file whose data holds something that looks like a
			// local header with empty name and extra.
			data := append(bytes.Repeat([]byte("x"), 100), "PK\x03\x04"...)
			data = append(data, make([]byte, 26)...)
			data = append(data, bytes.Repeat([]byte("y"), 100)...)
			z := mkzip(t, rawFile("top/a", data, zip.Store, nil), file("top/b", "bbbb"))
			// Point b at it.
			binary.LittleEndian.PutUint32(z[central(z)[1]+42:], uint32(30+len("top/a")+100))
			binary.LittleEndian.PutUint32(z[central(z)[1]+20:], 0) // b's compressed size
			return z
		}, entry: "top/b", reason: "data overlaps"},
		{name: "header inside data", zip: func(t testing.TB) []byte {
			// b's local header lies in the last bytes of a's stored data,
			// although b's (empty) data does not overlap a's.
			data := append(bytes.Repeat([]byte("x"), 100), "PK\x03\x04"...)
			data = append(data, make([]byte, 26)...)
			z := mkzip(t, rawFile("top/a", data, zip.Store, nil), file("top/b", "bbbb"))
			binary.LittleEndian.PutUint32(z[central(z)[1]+42:], uint32(30+len("top/a")+100))
			binary.LittleEndian.PutUint32(z[central(z)[1]+20:], 0)
			return z
		}, entry: "top/b", reason: "data overlaps"},
		{name: "bad local header", zip: func(t testing.TB) []byte {
			z := mkzip(t, file("top/a", "aaaa"))
			z[0] = 'X'
			return z
		}, entry: "top/a", reason: "bad local header"},

		// Lies found while reading.
		{name: "longer than declared", zip: ents(ok, rawFile("top/x", []byte("0123456789"), zip.Deflate, func(h *zip.FileHeader) { h.UncompressedSize64 = 4 })), entry: "top/x", reason: "data longer than the declared 4 bytes", onRead: true},
		{name: "shorter than declared", zip: ents(ok, rawFile("top/x", []byte("0123456789"), zip.Deflate, func(h *zip.FileHeader) { h.UncompressedSize64 = 40 })), entry: "top/x", reason: "data shorter than the declared 40 bytes", onRead: true},
		{name: "bad crc", zip: ents(ok, rawFile("top/x", []byte("0123456789"), zip.Deflate, func(h *zip.FileHeader) { h.CRC32 ^= 1 })), entry: "top/x", reason: "CRC-32", onRead: true},
		{name: "zero crc", zip: ents(ok, rawFile("top/x", []byte("0123456789"), zip.Deflate, func(h *zip.FileHeader) { h.CRC32 = 0 })), entry: "top/x", reason: "want 00000000", onRead: true},
		{name: "stored bad crc", zip: ents(ok, rawFile("top/x", []byte("0123456789"), zip.Store, func(h *zip.FileHeader) { h.CRC32 = 0 })), entry: "top/x", reason: "CRC-32", onRead: true},
		{name: "trailing bytes", zip: ents(ok, zent{raw: true, data: append(deflate([]byte("abc")), "hidden"...), fh: zip.FileHeader{
			Name: "top/x", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE([]byte("abc")),
			UncompressedSize64: 3, CompressedSize64: uint64(len(deflate([]byte("abc")))) + 6,
		}}), entry: "top/x", reason: "trailing bytes", onRead: true},
		{name: "corrupt deflate", zip: ents(ok, zent{raw: true, data: []byte{0xff, 0xff, 0xff}, fh: zip.FileHeader{
			Name: "top/x", Method: zip.Deflate, UncompressedSize64: 3, CompressedSize64: 3,
		}}), entry: "top/x", reason: "corrupt data", onRead: true},
		{name: "truncated deflate", zip: ents(ok, zent{raw: true, data: deflate([]byte("0123456789"))[:4], fh: zip.FileHeader{
			Name: "top/x", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE([]byte("0123456789")), UncompressedSize64: 10, CompressedSize64: 4,
		}}), entry: "top/x", reason: "data", onRead: true},
	}
}

func TestOpenZipAttacks(t *testing.T) {
	for _, a := range zipAttacks() {
		t.Run(a.name, func(t *testing.T) {
			if a.name == "ratio bomb" && testing.Short() {
				t.Skip("200 MB deflate in -short mode")
			}
			z := a.zip(t)
			got, err := OpenZip(bytes.NewReader(z), int64(len(z)), a.lim)
			if a.onRead {
				if err != nil {
					t.Fatalf("OpenZip: %v", err)
				}
				err = readAll(got)
			}
			var e *Error
			switch {
			case err == nil:
				t.Fatalf("accepted")
			case !errors.As(err, &e):
				t.Fatalf("error %v is a %T, want *Error", err, err)
			case e.Entry != a.entry || !strings.Contains(e.Reason, a.reason):
				t.Fatalf("got entry %q, reason %q; want %q, %q", e.Entry, e.Reason, a.entry, a.reason)
			}
			t.Log(err)
		})
	}
}

// readAll reads every file of z, reporting the first error.
func readAll(z *Zip) error {
	for _, f := range z.Files {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func TestOpenZipAccepts(t *testing.T) {
	dir := func(name string, mode fs.FileMode) zent {
		z := zent{fh: zip.FileHeader{Name: name}}
		if mode != 0 {
			z.fh.SetMode(mode)
		}
		return z
	}
	exe := withMode("top/bin/x", 0o4755) // setuid is dropped
	exe.data = []byte("#!")
	z := mkzip(t,
		dir("top/", fs.ModeDir|0o755),
		dir("top/bin/", 0), // no mode at all
		exe,
		file("top/a", "hello"),
		rawFile("top/stored", []byte("plain"), zip.Store, func(h *zip.FileHeader) { h.CreatorVersion = 0; h.ExternalAttrs = 0x20 }),
		rawFile("top/z/big", make([]byte, 3<<20), zip.Deflate, nil), // ratio 1028
	)
	_, err := OpenZip(bytes.NewReader(z), int64(len(z)), DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "compression ratio") {
		t.Fatalf("3 MiB of zeros: %v, want a ratio error", err)
	}
	z = mkzip(t,
		dir("top/", fs.ModeDir|0o755),
		dir("top/bin/", 0),
		exe,
		file("top/a", "hello"),
		rawFile("top/stored", []byte("plain"), zip.Store, func(h *zip.FileHeader) { h.CreatorVersion = 0; h.ExternalAttrs = 0x20 }),
		rawFile("top/z/small", make([]byte, 1<<20), zip.Deflate, nil), // ratio ~1000 but only 1 MiB
		dir("top/empty/", fs.ModeDir|0o755),
	)
	got, err := OpenZip(bytes.NewReader(z), int64(len(z)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got.Top != "top" {
		t.Errorf("top %q", got.Top)
	}
	var names []string
	for _, f := range got.Files {
		names = append(names, f.Name+" "+f.Mode.String())
	}
	want := []string{"a -rw-r--r--", "bin/x -rwxr-xr-x", "stored -rw-r--r--", "z/small -rw-r--r--"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("files %q, want %q", names, want)
	}
	if err := readAll(got); err != nil {
		t.Error(err)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Entry: "go-runtime-v1/../../etc/passwd", Reason: "path escapes the top folder"}
	if got, want := e.Error(), `archive: entry "go-runtime-v1/../../etc/passwd": path escapes the top folder`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	e = &Error{Archive: "a.zip", Reason: "not a valid zip archive", Err: zip.ErrFormat}
	if got, want := e.Error(), `archive: a.zip: not a valid zip archive: zip: not a valid zip file`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if !errors.Is(e, zip.ErrFormat) {
		t.Errorf("Unwrap lost the cause")
	}
	if err := CheckName("go-runtime-v1/../../etc/passwd"); err == nil || err.Error() != `archive: entry "go-runtime-v1/../../etc/passwd": path escapes the top folder` {
		t.Errorf("CheckName: %v", err)
	}
}
