package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// sample returns pseudo-random but compressible data: alternating runs of
// random bytes and copies of earlier runs.
func sample(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 << 10 {
		chunk := b[i:min(i+8<<10, n)]
		if i/(8<<10)%2 == 0 || i < 64<<10 {
			for j := range chunk {
				chunk[j] = byte(rng.Uint32())
			}
		} else {
			copy(chunk, b[rng.IntN(i-len(chunk)):])
		}
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tiny is the fixed input of the golden tests.
func tiny() []Entry {
	return []Entry{
		BytesEntry("go-runtime-v1.2.3/manifest.json", []byte(`{"version":"v1.2.3"}`+"\n"), 0o644),
		BytesEntry("go-runtime-v1.2.3/bin/linux-amd64/cavra-runtime", []byte("#!/bin/sh\necho cavra\n"), 0o755),
		BytesEntry("go-runtime-v1.2.3/empty", nil, 0o644),
		BytesEntry("go-runtime-v1.2.3/docs/ünïcode.txt", []byte("héllo\n"), 0o644),
		BytesEntry("go-runtime-v1.2.3/"+strings.Repeat("long-", 25)+"/name.txt", []byte("long\n"), 0o644),
		BytesEntry("go-runtime-v1.2.3/src/"+strings.Repeat("segment-", 15)+".go", []byte("package long\n"), 0o644),
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: output differs from the golden file (%d vs %d bytes); if the change is intended, run go test -update", name, len(got), len(want))
	}
}

func TestGolden(t *testing.T) {
	var z, g bytes.Buffer
	if _, err := WriteZip(&z, tiny(), mtime); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteTarGz(&g, tiny(), mtime); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden.zip", z.Bytes())
	golden(t, "golden.tar.gz", g.Bytes())
}

// onDisk writes tiny's contents to a fresh directory with the given file
// mode and mtime and returns file entries for them, in the given order.
func onDisk(t *testing.T, perm fs.FileMode, mt time.Time, order func([]Entry)) []Entry {
	t.Helper()
	dir := t.TempDir()
	var es []Entry
	for i, e := range tiny() {
		rc, _ := e.Open()
		data, _ := io.ReadAll(rc)
		p := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		es = append(es, FileEntry(e.Name, p, e.Mode))
	}
	order(es)
	return es
}

func TestDeterminism(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	type variant struct {
		name    string
		entries func(t *testing.T) []Entry
		mtime   time.Time
		local   *time.Location
	}
	variants := []variant{
		{"bytes", func(*testing.T) []Entry { return tiny() }, mtime, time.UTC},
		{"reversed", func(*testing.T) []Entry { es := tiny(); slices.Reverse(es); return es }, mtime, time.UTC},
		{"local-time", func(*testing.T) []Entry { return tiny() }, mtime.In(time.FixedZone("X", -(9*3600 + 30*60))), time.FixedZone("Y", 13*3600+45*60)},
		{"sub-second", func(*testing.T) []Entry { return tiny() }, mtime.Add(999 * time.Millisecond), time.UTC},
		{"files-0600", func(t *testing.T) []Entry {
			return onDisk(t, 0o600, time.Unix(1, 0), func(es []Entry) {
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
			})
		}, mtime, time.FixedZone("Z", 5*3600)},
		{"files-0777", func(t *testing.T) []Entry {
			return onDisk(t, 0o777, time.Now(), func(es []Entry) { slices.Reverse(es) })
		}, mtime, time.UTC},
	}
	var wantZip, wantTgz []byte
	for _, v := range variants {
		time.Local = v.local
		t.Setenv("TZ", v.local.String())
		t.Setenv("HOME", t.TempDir())
		var z, g bytes.Buffer
		if _, err := WriteZip(&z, v.entries(t), v.mtime); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if _, err := WriteTarGz(&g, v.entries(t), v.mtime); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if wantZip == nil {
			wantZip, wantTgz = z.Bytes(), g.Bytes()
			continue
		}
		if !bytes.Equal(z.Bytes(), wantZip) {
			t.Errorf("%s: zip differs", v.name)
		}
		if !bytes.Equal(g.Bytes(), wantTgz) {
			t.Errorf("%s: tar.gz differs", v.name)
		}
	}
}

func contents(t *testing.T, es []Entry) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for _, e := range es {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return m
}

func checkDigests(t *testing.T, ds []Digest, want map[string][]byte) {
	t.Helper()
	if len(ds) != len(want) {
		t.Fatalf("got %d digests, want %d", len(ds), len(want))
	}
	if !slices.IsSortedFunc(ds, func(a, b Digest) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("digests not sorted")
	}
	for _, d := range ds {
		if data, ok := want[d.Name]; !ok || d.Size != int64(len(data)) || d.SHA256 != sha(data) {
			t.Errorf("digest %+v does not match the content", d)
		}
	}
}

func TestZipRoundTrip(t *testing.T) {
	es := tiny()
	want := contents(t, es)
	var buf bytes.Buffer
	ds, err := WriteZip(&buf, es, time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	checkDigests(t, ds, want)
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "" {
		t.Errorf("comment %q", zr.Comment)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		wantMode := fs.FileMode(0o644)
		if strings.Contains(f.Name, "/bin/") {
			wantMode = 0o755
		}
		if f.Mode() != wantMode || f.CreatorVersion>>8 != 3 {
			t.Errorf("%s: mode %v, creator %d; want %v, 3 (Unix)", f.Name, f.Mode(), f.CreatorVersion>>8, wantMode)
		}
		if f.Method != zip.Deflate || f.Flags&0x8 != 0 || f.Comment != "" {
			t.Errorf("%s: method %d, flags %#x, comment %q", f.Name, f.Method, f.Flags, f.Comment)
		}
		if min := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC); !f.Modified.Equal(min) || f.ModTime() != min {
			t.Errorf("%s: modified %v / %v, want %v", f.Name, f.Modified, f.ModTime(), min)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(data, want[f.Name]) {
			t.Errorf("%s: content %q, %v", f.Name, data, err)
		}
	}
	if !slices.IsSorted(names) || len(names) != len(want) {
		t.Errorf("names %q: want the %d file names, sorted", names, len(want))
	}

	z, err := OpenZip(bytes.NewReader(buf.Bytes()), int64(buf.Len()), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if z.Top != "go-runtime-v1.2.3" || len(z.Files) != len(want) {
		t.Fatalf("top %q, %d files", z.Top, len(z.Files))
	}
	for _, f := range z.Files {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(data, want[z.Top+"/"+f.Name]) {
			t.Errorf("%s: content %q, %v", f.Name, data, err)
		}
		if (f.Mode == 0o755) != strings.HasPrefix(f.Name, "bin/") {
			t.Errorf("%s: mode %v", f.Name, f.Mode)
		}
	}
}

func TestTarGzRoundTrip(t *testing.T) {
	es := tiny()
	want := contents(t, es)
	var buf bytes.Buffer
	ds, err := WriteTarGz(&buf, es, mtime.Add(123*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	checkDigests(t, ds, want)
	gz, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" || gz.Comment != "" || gz.OS != 255 || gz.Extra != nil {
		t.Errorf("gzip header %+v", gz.Header)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		wantMode := int64(0o644)
		if strings.Contains(h.Name, "/bin/") {
			wantMode = 0o755
		}
		if h.Typeflag != tar.TypeReg || h.Mode != wantMode || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: header %+v", h.Name, h)
		}
		if !h.ModTime.Equal(mtime) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: times %v %v %v", h.Name, h.ModTime, h.AccessTime, h.ChangeTime)
		}
		// PAX only where USTAR cannot hold the name.
		wantFormat := tar.FormatUSTAR
		if !isASCII(h.Name) || len(path.Base(h.Name)) > 100 {
			wantFormat = tar.FormatPAX
		}
		if h.Format != wantFormat {
			t.Errorf("%s: format %v, want %v", h.Name, h.Format, wantFormat)
		}
		data, err := io.ReadAll(tr)
		if err != nil || !bytes.Equal(data, want[h.Name]) {
			t.Errorf("%s: content %q, %v", h.Name, data, err)
		}
	}
	if !slices.IsSorted(names) || len(names) != len(want) {
		t.Errorf("names %q: want the %d file names, sorted", names, len(want))
	}

	top, files, err := ExtractTarGz(bytes.NewReader(buf.Bytes()), filepath.Join(t.TempDir(), "x"), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	rel := make(map[string][]byte)
	for name, data := range want {
		rel[strings.TrimPrefix(name, top+"/")] = data
	}
	checkDigests(t, files, rel)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestInfoZip checks the zip with Info-ZIP's zipinfo and unzip, and the
// tarball with tar, if they are installed.
func TestInfoZip(t *testing.T) {
	zipinfo, err1 := exec.LookPath("zipinfo")
	unzip, err2 := exec.LookPath("unzip")
	if err1 != nil || err2 != nil {
		t.Skip("zipinfo or unzip not installed; skipping the Info-ZIP cross-check")
	}
	dir := t.TempDir()
	zpath := filepath.Join(dir, "a.zip")
	var buf bytes.Buffer
	if _, err := WriteZip(&buf, tiny(), mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zpath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zipinfo, zpath).CombinedOutput()
	if err != nil {
		t.Fatalf("zipinfo: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	n := 0
	for _, l := range lines {
		if !strings.Contains(l, "go-runtime-v1.2.3/") {
			continue
		}
		n++
		perm := "-rw-r--r--"
		if strings.Contains(l, "/bin/") {
			perm = "-rwxr-xr-x"
		}
		if !strings.HasPrefix(l, perm) || !strings.Contains(l, " unx ") || !strings.Contains(l, "defN") || !strings.Contains(l, "24-May-06 07:08") {
			t.Errorf("zipinfo line %q: want %s, unx, defN, 24-May-06 07:08", l, perm)
		}
	}
	if n != len(tiny()) {
		t.Errorf("zipinfo listed %d entries, want %d:\n%s", n, len(tiny()), out)
	}
	if out, err := exec.Command(unzip, "-tq", zpath).CombinedOutput(); err != nil {
		t.Errorf("unzip -t: %v\n%s", err, out)
	}
	x := filepath.Join(dir, "x")
	if out, err := exec.Command(unzip, "-q", zpath, "-d", x).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	fi, err := os.Stat(filepath.Join(x, "go-runtime-v1.2.3/bin/linux-amd64/cavra-runtime"))
	if err != nil || fi.Mode()&0o100 == 0 {
		t.Errorf("unzip did not restore the executable bit: %v, %v", fi.Mode(), err)
	}

	if tarCmd, err := exec.LookPath("tar"); err == nil {
		var g bytes.Buffer
		if _, err := WriteTarGz(&g, tiny(), mtime); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tarCmd, "-tvzf", "-")
		cmd.Stdin = &g
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "-rwxr-xr-x 0/0") || strings.Count(string(out), "\n") != len(tiny()) {
			t.Errorf("tar -tvz: %v\n%s", err, out)
		}
	}
}

// bigEntries returns entries of various sizes, in shuffled order.
func bigEntries() []Entry {
	es := []Entry{
		BytesEntry("r/empty", nil, 0o644),
		BytesEntry("r/one", []byte{1}, 0o755),
		BytesEntry("r/zeros", make([]byte, 3<<20), 0o644),
	}
	for i, n := range []int{100, 70 << 10, 1 << 20, 3<<20 + 17, 5 << 20} {
		es = append(es, BytesEntry(fmt.Sprintf("r/bin/%d", i), sample(uint64(i), n), 0o755))
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	return es
}

func TestConcurrentMatchesSequential(t *testing.T) {
	es := bigEntries()
	var seq bytes.Buffer
	want, err := writeZip(&seq, es, mtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 3, 8, 64} {
		var buf bytes.Buffer
		got, err := writeZip(&buf, es, mtime, workers)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), seq.Bytes()) || !slices.Equal(got, want) {
			t.Errorf("%d workers: output differs from the sequential one", workers)
		}
	}

	// The compressed data must also equal that of archive/zip's own
	// streaming writer at the same level.
	var ref bytes.Buffer
	zw := zip.NewWriter(&ref)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, level)
	})
	sortedEs := slices.Clone(es)
	slices.SortFunc(sortedEs, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range sortedEs {
		fh := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mtime}
		fh.SetMode(e.Mode)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := e.Open()
		io.Copy(w, rc)
	}
	zw.Close()
	a, _ := zip.NewReader(bytes.NewReader(seq.Bytes()), int64(seq.Len()))
	b, _ := zip.NewReader(bytes.NewReader(ref.Bytes()), int64(ref.Len()))
	if len(a.File) != len(b.File) {
		t.Fatalf("%d vs %d entries", len(a.File), len(b.File))
	}
	for i, fa := range a.File {
		fb := b.File[i]
		ha, hb := fa.FileHeader, fb.FileHeader
		hb.Flags &^= 0x8 // archive/zip streams with data descriptors
		if ha.Name != hb.Name || ha.Flags != hb.Flags || ha.CreatorVersion != hb.CreatorVersion ||
			ha.ReaderVersion != hb.ReaderVersion || ha.ExternalAttrs != hb.ExternalAttrs ||
			ha.CRC32 != hb.CRC32 || ha.CompressedSize64 != hb.CompressedSize64 ||
			dosTime(ha) != dosTime(hb) || !bytes.Equal(ha.Extra, hb.Extra) {
			t.Errorf("%s: header %+v, archive/zip wrote %+v", fa.Name, ha, hb)
		}
		ra, _ := fa.OpenRaw()
		rb, _ := fb.OpenRaw()
		da, _ := io.ReadAll(ra)
		db, _ := io.ReadAll(rb)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: compressed data differs from archive/zip's", fa.Name)
		}
	}
}

type badReader struct{ n int }

func (r *badReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk on fire")
	}
	r.n--
	return copy(p, "abc"), nil
}
func (*badReader) Close() error { return nil }

func TestWriteRefuses(t *testing.T) {
	ok := func(name string) Entry { return BytesEntry(name, []byte("x"), 0o644) }
	sized := func(name string, data string, size int64) Entry {
		e := BytesEntry(name, []byte(data), 0o644)
		e.Size = size
		return e
	}
	tests := []struct {
		name    string
		entries []Entry
		entry   string // want an *Error naming this entry, or "" for another error
		reason  string
	}{
		{"dotdot", []Entry{ok("a/../../b")}, "a/../../b", "escapes"},
		{"abs", []Entry{ok("/etc/x")}, "/etc/x", "absolute"},
		{"mode 0600", []Entry{BytesEntry("a/x", nil, 0o600)}, "a/x", "mode"},
		{"mode dir", []Entry{BytesEntry("a/x", nil, fs.ModeDir|0o755)}, "a/x", "mode"},
		{"mode setuid", []Entry{BytesEntry("a/x", nil, fs.ModeSetuid|0o755)}, "a/x", "mode"},
		{"duplicate", []Entry{ok("a/x"), ok("a/y"), ok("a/x")}, "a/x", "duplicate"},
		{"case", []Entry{ok("a/x"), ok("a/X")}, "a/x", "case-insensitive"},
		{"prefix", []Entry{ok("a/x/y"), ok("a/x")}, "a/x/y", `parent "a/x" is a file`},
		{"nil open", []Entry{{Name: "a/x", Mode: 0o644}}, "a/x", "nil Open"},
		{"size short", []Entry{sized("a/x", "abc", 4)}, "a/x", "shorter than the expected 4"},
		{"size long", []Entry{sized("a/x", "abcde", 4)}, "a/x", "longer than the expected 4"},
		{"read error", []Entry{{Name: "a/x", Mode: 0o644, Open: func() (io.ReadCloser, error) { return &badReader{2}, nil }}}, "", "disk on fire"},
		{"open error", []Entry{FileEntry("a/x", "/nonexistent/x", 0o644)}, "", "no such file"},
		{"not regular", []Entry{FileEntry("a/x", os.TempDir(), 0o644)}, "", "not a regular file"},
	}
	for _, tt := range tests {
		for _, w := range []struct {
			name  string
			write func(io.Writer, []Entry, time.Time) ([]Digest, error)
		}{{"zip", WriteZip}, {"tgz", WriteTarGz}} {
			_, err := w.write(io.Discard, tt.entries, mtime)
			var e *Error
			switch {
			case err == nil:
				t.Errorf("%s %s: no error", w.name, tt.name)
			case !strings.Contains(err.Error(), tt.reason):
				t.Errorf("%s %s: error %q, want %q", w.name, tt.name, err, tt.reason)
			case tt.entry != "" && (!errors.As(err, &e) || e.Entry != tt.entry):
				t.Errorf("%s %s: error %#v, want an *Error for entry %q", w.name, tt.name, err, tt.entry)
			case tt.entry == "" && !strings.Contains(err.Error(), `"a/x"`):
				t.Errorf("%s %s: error %q does not name the entry", w.name, tt.name, err)
			}
		}
	}
	if _, err := WriteZip(io.Discard, tiny(), time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Errorf("WriteZip accepted an mtime beyond 2106")
	}
}

// BenchmarkWriteZip zips about 40 MB: six 6.5 MB half-random "binaries" and
// a few small files.
func BenchmarkWriteZip(b *testing.B) {
	es, total := benchEntries()
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := WriteZip(io.Discard, es, mtime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteZipSequential is BenchmarkWriteZip with one worker.
func BenchmarkWriteZipSequential(b *testing.B) {
	es, total := benchEntries()
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := writeZip(io.Discard, es, mtime, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTarGz writes the same entries as BenchmarkWriteZip.
func BenchmarkWriteTarGz(b *testing.B) {
	es, total := benchEntries()
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := WriteTarGz(io.Discard, es, mtime); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEntries() ([]Entry, int64) {
	var es []Entry
	var total int64
	for i := range 6 {
		data := sample(uint64(i), 6500<<10)
		total += int64(len(data))
		es = append(es, BytesEntry(fmt.Sprintf("go-runtime-v1/bin/%d/cavra-runtime", i), data, 0o755))
	}
	for i := range 10 {
		data := sample(uint64(100+i), 4<<10)
		total += int64(len(data))
		es = append(es, BytesEntry(fmt.Sprintf("go-runtime-v1/manifests/%d.json", i), data, 0o644))
	}
	return es, total
}

// TestStoresCompressedFormats checks that files that are compressed already
// are stored, the rest deflated, and both read back intact.
func TestStoresCompressedFormats(t *testing.T) {
	payload := bytes.Repeat([]byte("cavra "), 10000)
	names := map[string]uint16{
		"top/bin/cavra-runtime":             zip.Deflate,
		"top/source/x-src.tar.gz":           zip.Store,
		"top/packages/cavra_1.0_amd64.deb":  zip.Store,
		"top/packages/cavra-1.0.x86_64.rpm": zip.Store,
		"top/packages/cavra_1.0_x86_64.apk": zip.Store,
		"top/goproxy/m/@v/v1.0.0.zip":       zip.Store,
		"top/manifest.json":                 zip.Deflate,
	}
	var entries []Entry
	for n := range names {
		entries = append(entries, BytesEntry(n, payload, 0o644))
	}
	marked := BytesEntry("top/bin/stored-on-request", payload, 0o755)
	marked.Store = true
	entries = append(entries, marked)
	names[marked.Name] = zip.Store
	var buf bytes.Buffer
	if _, err := WriteZip(&buf, entries, time.Unix(1767323045, 0)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if want := names[f.Name]; f.Method != want {
			t.Errorf("%s: got method %d, want %d", f.Name, f.Method, want)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: content changed (%v)", f.Name, err)
		}
	}
}

// dosTime returns the MS-DOS time fields of h, which both writers must agree on.
func dosTime(h zip.FileHeader) [2]uint16 {
	//lint:ignore SA1019 the deprecated fields are the bytes on disk
	return [2]uint16{h.ModifiedTime, h.ModifiedDate}
}
