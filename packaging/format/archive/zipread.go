package archive

import (
	"archive/zip"
	"bufio"
	"cmp"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// Limits bounds what the readers accept from untrusted archives. A zero or
// negative field means the DefaultLimits value.
type Limits struct {
	MaxEntries   int   // entries, including directories and tar headers
	MaxFileSize  int64 // uncompressed bytes in one entry
	MaxTotalSize int64 // uncompressed bytes in the whole archive
	// MaxRatio bounds a zip entry's declared uncompressed size divided by
	// its compressed size. It applies only to entries larger than 1 MiB,
	// since small ones cannot do harm and tiny files compress well.
	MaxRatio int64
}

// DefaultLimits are the limits used in place of zero Limits fields.
var DefaultLimits = Limits{
	MaxEntries:   10000,
	MaxFileSize:  1 << 30,
	MaxTotalSize: 4 << 30,
	MaxRatio:     1000,
}

// ratioFloor is the uncompressed size up to which MaxRatio is not checked.
const ratioFloor = 1 << 20

func (l Limits) norm() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	return l
}

// Zip is a validated zip archive with exactly one top folder.
type Zip struct {
	Top   string // the single top folder, such as "go-runtime-v1.2.3"
	Files []File // regular files sorted by Name; directories are left out
}

// File is a regular file in a [Zip].
type File struct {
	Name string      // relative to the top folder, such as "bin/linux-amd64/cavra-runtime"
	Size int64       // declared uncompressed size, within the Limits
	Mode fs.FileMode // 0755 if the archive gives it any executable bit, else 0644
	f    *zip.File
}

// Open returns a reader of the file's content. The reader fails with an
// [*Error] naming the entry if the content is longer or shorter than Size,
// its CRC-32 is wrong, the compressed data is corrupt or followed by
// trailing bytes. It returns io.EOF only after all those checks passed.
func (f File) Open() (io.ReadCloser, error) {
	raw, err := f.f.OpenRaw()
	if err != nil {
		return nil, &Error{Entry: f.f.Name, Reason: "bad local header", Err: err}
	}
	r := &fileReader{name: f.f.Name, size: f.Size, want: f.f.CRC32, br: bufio.NewReader(raw)}
	r.r = r.br
	if f.f.Method == zip.Deflate {
		r.fr = flate.NewReader(r.br)
		r.r = r.fr
	}
	return r, nil
}

// fileReader checks a zip entry's content as it is read.
type fileReader struct {
	name string
	size int64  // declared size
	n    int64  // bytes returned so far
	want uint32 // declared CRC-32
	crc  uint32
	br   *bufio.Reader // compressed data
	fr   io.ReadCloser // decompressor, if any
	r    io.Reader     // br or fr
	err  error         // sticky
}

func (r *fileReader) fail(reason string, err error) error {
	return &Error{Entry: r.name, Reason: reason, Err: err}
}

func (r *fileReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.n == r.size {
		r.err = r.finish()
		return 0, r.err
	}
	if rest := r.size - r.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := r.r.Read(p)
	r.crc = crc32.Update(r.crc, crc32.IEEETable, p[:n])
	r.n += int64(n)
	switch {
	case err == io.EOF && r.n < r.size:
		err = r.fail(fmt.Sprintf("data shorter than the declared %d bytes", r.size), nil)
	case err != nil && err != io.EOF:
		err = r.fail("corrupt data", err)
	case r.n == r.size:
		err = r.finish()
	}
	r.err = err
	return n, err
}

// finish checks that the data ends here and is intact.
func (r *fileReader) finish() error {
	var b [1]byte
	n, err := io.ReadFull(r.r, b[:])
	switch {
	case n > 0:
		return r.fail(fmt.Sprintf("data longer than the declared %d bytes", r.size), nil)
	case err != io.EOF:
		return r.fail("corrupt data", err)
	case r.crc != r.want:
		return r.fail(fmt.Sprintf("CRC-32 %08x, want %08x", r.crc, r.want), nil)
	}
	if _, err := r.br.ReadByte(); err != io.EOF {
		if err == nil {
			return r.fail("trailing bytes after the compressed data", nil)
		}
		return r.fail("corrupt data", err)
	}
	return io.EOF
}

// Close releases the decompressor.
func (r *fileReader) Close() error {
	if r.fr != nil {
		return r.fr.Close()
	}
	return nil
}

// OpenZip reads the central directory of the untrusted zip archive r of
// the given size and returns it if every entry is safe to extract under a
// single top folder; otherwise it returns an [*Error] naming the first
// offending entry. The package documentation lists what is refused.
// Directory entries are validated like files but not returned.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (*Zip, error) {
	lim = lim.norm()
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &Error{Reason: "not a valid zip archive", Err: err}
	}
	switch n := len(zr.File); {
	case n == 0:
		return nil, &Error{Reason: "no entries"}
	case n > lim.MaxEntries:
		return nil, &Error{Reason: fmt.Sprintf("%d entries, more than the limit of %d", n, lim.MaxEntries)}
	}
	// The bytes an entry occupies: its data and at least the fixed part
	// of its local header.
	type span struct {
		off, end int64
		name     string
	}
	var (
		t     = tree{single: true}
		total uint64
		spans = make([]span, 0, len(zr.File))
		files []File
	)
	for _, f := range zr.File {
		fail := func(format string, args ...any) error {
			return &Error{Entry: f.Name, Reason: fmt.Sprintf(format, args...)}
		}
		name, dir := strings.CutSuffix(f.Name, "/")
		if reason := nameProblem(name); reason != "" {
			return nil, fail("%s", reason)
		}
		if reason := zipType(f, dir); reason != "" {
			return nil, fail("%s", reason)
		}
		if f.Flags&(0x1|0x40|0x2000) != 0 {
			return nil, fail("encrypted")
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fail("compression method %d; only store (0) and deflate (8) are allowed", f.Method)
		}
		us, cs := f.UncompressedSize64, f.CompressedSize64
		switch {
		case dir && us != 0:
			return nil, fail("directory with %d bytes of data", us)
		case us > uint64(lim.MaxFileSize):
			return nil, fail("size %d bytes, more than the limit of %d", us, lim.MaxFileSize)
		case total+us > uint64(lim.MaxTotalSize):
			return nil, fail("total size %d bytes, more than the limit of %d", total+us, lim.MaxTotalSize)
		case cs > uint64(size):
			return nil, fail("compressed size %d bytes, more than the archive", cs)
		case f.Method == zip.Store && cs != us:
			return nil, fail("stored with compressed size %d but size %d", cs, us)
		case us > ratioFloor && (cs == 0 || us/cs > uint64(lim.MaxRatio)):
			return nil, fail("compression ratio above the limit of %d:1 (%d bytes from %d)", lim.MaxRatio, us, cs)
		}
		total += us
		if reason := t.add(name, dir); reason != "" {
			return nil, fail("%s", reason)
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, &Error{Entry: f.Name, Reason: "bad local header", Err: err}
		}
		if off < 30 || off > size || int64(cs) > size-off {
			return nil, fail("data beyond the end of the archive")
		}
		spans = append(spans, span{off - 30, off + int64(cs), f.Name})
		if !dir {
			_, rel, _ := strings.Cut(name, "/")
			mode := fs.FileMode(0o644)
			if f.ExternalAttrs>>16&0o111 != 0 {
				mode = 0o755
			}
			files = append(files, File{Name: rel, Size: int64(us), Mode: mode, f: f})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	for i := 1; i < len(spans); i++ {
		if p, s := spans[i-1], spans[i]; s.off < p.end {
			return nil, &Error{Entry: s.name, Reason: fmt.Sprintf("data overlaps entry %q", p.name)}
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return &Zip{Top: t.top, Files: files}, nil
}

// zipType returns why f is not a regular file or directory (as its name
// says), or "".
func zipType(f *zip.File, dir bool) string {
	attrs := f.ExternalAttrs
	if attrs&0x08 != 0 {
		return "MS-DOS volume label"
	}
	if attrs&0x10 != 0 && !dir {
		return "MS-DOS directory attribute on a file (name has no trailing slash)"
	}
	// Check the Unix mode whatever the creator says: some tools honour
	// it for other creators too.
	switch unix := attrs >> 16; unix & 0o170000 {
	case 0:
		// No type given: the name decides.
	case 0o100000:
		if dir {
			return "regular-file mode on a directory (name has a trailing slash)"
		}
	case 0o040000:
		if !dir {
			return "directory mode on a file (name has no trailing slash)"
		}
	case 0o120000:
		return "symbolic link"
	case 0o020000:
		return "character device"
	case 0o060000:
		return "block device"
	case 0o010000:
		return "named pipe"
	case 0o140000:
		return "socket"
	default:
		return fmt.Sprintf("unknown Unix file type %#o", unix&0o170000)
	}
	return ""
}
