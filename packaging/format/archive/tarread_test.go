package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tent is one entry of a hand-built tarball.
type tent struct {
	hdr  tar.Header
	data string
}

func reg(name, data string) tent {
	return tent{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data))}, data}
}

func tdir(name string) tent {
	return tent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

func typed(name string, typ byte, link string) tent {
	return tent{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: link, Mode: 0o644}}
}

// mktar returns a tar archive of ents followed by extra bytes.
func mktar(t testing.TB, extra string, ents ...tent) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range ents {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b.WriteString(extra)
	return b.Bytes()
}

// rawHeader returns a USTAR header block built by hand, for what
// archive/tar refuses to write.
func rawHeader(name string, typ byte, size int) []byte {
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	return checksum(h)
}

// checksum sets the checksum of header block h.
func checksum(h []byte) []byte {
	copy(h[148:], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// block pads data to whole 512-byte blocks.
func block(data string) []byte {
	b := []byte(data)
	return append(b, make([]byte, (512-len(b)%512)%512)...)
}

func paxRecord(k, v string) string {
	n := len(k) + len(v) + 3
	n += len(strconv.Itoa(n))
	if len(strconv.Itoa(n)) != len(strconv.Itoa(n-1)) {
		n++
	}
	return fmt.Sprintf("%d %s=%s\n", n, k, v)
}

// rawTar concatenates blocks and the end-of-archive marker.
func rawTar(blocks ...[]byte) []byte {
	return append(bytes.Join(blocks, nil), make([]byte, 1024)...)
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func tgz(ents ...tent) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return gz(mktar(t, "", ents...)) }
}

type tarAttack struct {
	name   string
	tgz    func(testing.TB) []byte
	lim    Limits
	entry  string
	reason string
}

func tarAttacks() []tarAttack {
	ok := reg("top/ok", "fine")
	return []tarAttack{
		{name: "symlink", tgz: tgz(ok, typed("top/link", tar.TypeSymlink, "/etc/passwd")), entry: "top/link", reason: `symbolic link to "/etc/passwd"`},
		{name: "hardlink", tgz: tgz(ok, typed("top/link", tar.TypeLink, "top/ok")), entry: "top/link", reason: `hard link to "top/ok"`},
		{name: "hardlink outside", tgz: tgz(ok, typed("top/link", tar.TypeLink, "/etc/shadow")), entry: "top/link", reason: "hard link"},
		{name: "dotdot", tgz: tgz(reg("../x", "evil")), entry: "../x", reason: "escapes the top folder"},
		{name: "top dotdot", tgz: tgz(ok, reg("top/../../x", "evil")), entry: "top/../../x", reason: "escapes the top folder"},
		{name: "absolute", tgz: tgz(ok, reg("/top/x", "evil")), entry: "/top/x", reason: "absolute path"},
		{name: "dot slash", tgz: tgz(reg("./top/x", "")), entry: "./top/x", reason: `"." path segment`},
		{name: "backslash", tgz: tgz(ok, reg(`top\..\x`, "")), entry: `top\..\x`, reason: "backslash"},
		{name: "char device", tgz: tgz(ok, typed("top/tty", tar.TypeChar, "")), entry: "top/tty", reason: "character device"},
		{name: "block device", tgz: tgz(ok, typed("top/sda", tar.TypeBlock, "")), entry: "top/sda", reason: "block device"},
		{name: "fifo", tgz: tgz(ok, typed("top/fifo", tar.TypeFifo, "")), entry: "top/fifo", reason: "named pipe"},
		{name: "contiguous", tgz: tgz(ok, typed("top/c", tar.TypeCont, "")), entry: "top/c", reason: "unsupported entry type '7'"},
		{name: "duplicate", tgz: tgz(ok, reg("top/ok", "again")), entry: "top/ok", reason: "duplicate name"},
		{name: "case duplicate", tgz: tgz(ok, reg("top/Ok", "again")), entry: "top/Ok", reason: `conflicts with "top/ok" on case-insensitive`},
		{name: "case directory", tgz: tgz(reg("top/d/a", ""), tdir("top/D/")), entry: "top/D/", reason: `conflicts with "top/d"`},
		{name: "dir over file", tgz: tgz(ok, tdir("top/ok/")), entry: "top/ok/", reason: "same name as a file"},
		{name: "file under file", tgz: tgz(ok, reg("top/ok/x", "")), entry: "top/ok/x", reason: `parent "top/ok" is a file`},
		{name: "oversize", lim: Limits{MaxFileSize: 3}, tgz: tgz(ok), entry: "top/ok", reason: "size 4 bytes, more than the limit of 3"},
		{name: "total size", lim: Limits{MaxTotalSize: 6}, tgz: tgz(ok, reg("top/ok2", "fine")), entry: "top/ok2", reason: "total size 8 bytes"},
		{name: "entries", lim: Limits{MaxEntries: 2}, tgz: tgz(tdir("top/"), ok, reg("top/x", "")), reason: "more than the limit of 2 entries"},
		{name: "two tops", tgz: tgz(ok, reg("other/x", "")), entry: "other/x", reason: `outside the top folder "top"`},
		{name: "top-level file", tgz: tgz(reg("x", "")), entry: "x", reason: "top level"},
		{name: "dir with data", tgz: func(testing.TB) []byte {
			return gz(rawTar(rawHeader("top/d/", tar.TypeDir, 3), block("abc")))
		}, entry: "top/d/", reason: "directory with 3 bytes of data"},
		{name: "sparse", tgz: func(testing.TB) []byte {
			pax := paxRecord("GNU.sparse.size", "1000000") + paxRecord("GNU.sparse.numblocks", "1") + paxRecord("GNU.sparse.map", "0,5")
			return gz(rawTar(rawHeader("top/PaxHeaders/s", tar.TypeXHeader, len(pax)), block(pax), rawHeader("top/s", tar.TypeReg, 5), block("hello")))
		}, entry: "top/s", reason: "sparse file"},
		{name: "old gnu sparse", tgz: func(testing.TB) []byte {
			h := rawHeader("top/s", tar.TypeGNUSparse, 0)
			copy(h[257:], "ustar  \x00")     // GNU format
			copy(h[483:], "00000000000\x00") // real size
			return gz(rawTar(checksum(h)))
		}, entry: "top/s", reason: "unsupported entry type 'S'"},
		{name: "truncated", tgz: func(t testing.TB) []byte {
			b := mktar(t, "", ok, reg("top/big", strings.Repeat("x", 5000)))
			return gz(b[:3000])
		}, entry: "top/big", reason: "truncated or corrupt data"},
		{name: "garbage after end", tgz: func(t testing.TB) []byte { return gz(mktar(t, "hidden", ok)) }, reason: "data after the end of the tar archive"},
		{name: "second tar after end", tgz: func(t testing.TB) []byte { return gz(append(mktar(t, "", ok), mktar(t, "", reg("top/x", "evil"))...)) }, reason: "data after the end"},
		{name: "too much padding", tgz: func(t testing.TB) []byte { return gz(mktar(t, string(make([]byte, 2<<20)), ok)) }, reason: "bytes of padding"},
		{name: "bad gzip checksum", tgz: func(t testing.TB) []byte {
			b := gz(mktar(t, "", ok))
			b[len(b)-8] ^= 1
			return b
		}, reason: "corrupt gzip stream"},
		{name: "endless long names", lim: Limits{MaxTotalSize: 1 << 20, MaxEntries: 10}, tgz: func(testing.TB) []byte {
			// archive/tar reads consecutive GNU long-name headers in one
			// call to Next, so only a cap on the stream stops this.
			ln := append(rawHeader("././@LongLink", tar.TypeGNULongName, 100), block(strings.Repeat("a", 100))...)
			return gz(rawTar(bytes.Repeat(ln, 5000)))
		}, reason: "tar stream longer than the limits allow"},
		{name: "not gzip", tgz: func(t testing.TB) []byte { return mktar(t, "", ok) }, reason: "not a gzip stream"},
		{name: "empty", tgz: tgz(), reason: "no entries"},
		{name: "only global header", tgz: tgz(tent{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}}), reason: "no entries"},
	}
}

func TestExtractTarGzAttacks(t *testing.T) {
	for _, a := range tarAttacks() {
		t.Run(a.name, func(t *testing.T) {
			data := a.tgz(t)
			for _, exists := range []bool{false, true} {
				dir := filepath.Join(t.TempDir(), "out")
				if exists {
					if err := os.Mkdir(dir, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				top, files, err := ExtractTarGz(bytes.NewReader(data), dir, a.lim)
				var e *Error
				switch {
				case err == nil:
					t.Fatalf("accepted: top %q, files %v", top, files)
				case !errors.As(err, &e):
					t.Fatalf("error %v is a %T, want *Error", err, err)
				case e.Entry != a.entry || !strings.Contains(e.Reason, a.reason):
					t.Fatalf("got entry %q, reason %q; want %q, %q", e.Entry, e.Reason, a.entry, a.reason)
				}
				checkRemoved(t, dir, exists)
				if !exists {
					t.Log(err)
				}
			}
		})
	}
}

// checkRemoved checks that a failed extraction into dir left nothing
// behind.
func checkRemoved(t *testing.T, dir string, existed bool) {
	t.Helper()
	des, err := os.ReadDir(dir)
	switch {
	case !existed && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("%s left behind: %v, %v", dir, des, err)
	case existed && (err != nil || len(des) != 0):
		t.Errorf("%s not left empty: %v, %v", dir, des, err)
	}
}

func TestExtractTarGz(t *testing.T) {
	exe := reg("top/bin/tool", "#!/bin/sh\n")
	exe.hdr.Mode = 0o4775                           // setuid and group-writable: dropped
	data := gz(mktar(t, string(make([]byte, 9000)), // tar's usual record padding
		tent{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "0123abcd"}}},
		tdir("top/"),
		tdir("top/bin/"),
		exe,
		reg("top/a/b/c.txt", "deep"),
		reg("top/empty", ""),
		tdir("top/a/"), // after its contents
		tdir("top/unused/"),
		tent{hdr: tar.Header{Typeflag: 0, Name: "top/old", Size: 3, Mode: 0o600}, data: "old"}, // the legacy flag (TypeRegA)
	))
	dir := filepath.Join(t.TempDir(), "out")
	top, files, err := ExtractTarGz(bytes.NewReader(data), dir, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if top != "top" {
		t.Errorf("top %q", top)
	}
	want := map[string][]byte{"bin/tool": []byte("#!/bin/sh\n"), "a/b/c.txt": []byte("deep"), "empty": nil, "old": []byte("old")}
	checkDigests(t, files, want)
	var onDisk []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		onDisk = append(onDisk, rel+" "+fi.Mode().String())
		return nil
	})
	umask := func(m fs.FileMode) string {
		return (m &^ currentUmask(t)).String()
	}
	wantDisk := []string{
		". " + umask(fs.ModeDir|0o755),
		"top " + umask(fs.ModeDir|0o755),
		"top/a " + umask(fs.ModeDir|0o755),
		"top/a/b " + umask(fs.ModeDir|0o755),
		"top/a/b/c.txt " + umask(0o644),
		"top/bin " + umask(fs.ModeDir|0o755),
		"top/bin/tool " + umask(0o755),
		"top/empty " + umask(0o644),
		"top/old " + umask(0o644),
		"top/unused " + umask(fs.ModeDir|0o755),
	}
	if strings.Join(onDisk, "\n") != strings.Join(wantDisk, "\n") {
		t.Errorf("on disk:\n%s\nwant:\n%s", strings.Join(onDisk, "\n"), strings.Join(wantDisk, "\n"))
	}

	// An existing empty directory is fine; a non-empty one is not.
	empty := t.TempDir()
	if _, _, err := ExtractTarGz(bytes.NewReader(data), empty, DefaultLimits); err != nil {
		t.Errorf("empty dir: %v", err)
	}
	if _, _, err := ExtractTarGz(bytes.NewReader(data), empty, DefaultLimits); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, "top/a/b/c.txt")); err != nil {
		t.Errorf("refusing a non-empty dir removed its contents: %v", err)
	}
}
