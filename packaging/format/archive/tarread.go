package archive

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxTrailer bounds the zero padding accepted after the end of a tar
// archive.
const maxTrailer = 1 << 20

// entryOverhead is the tar stream allowance per entry, for headers, long
// names and padding, beyond Limits.MaxTotalSize.
const entryOverhead = 16 << 10

// errTooBig is the error of a capReader past its cap.
var errTooBig = errors.New("decompressed stream too large")

// satAdd returns a+b, or math.MaxInt64 if that overflows; a and b must not
// be negative.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul returns a*b, or math.MaxInt64 if that overflows; a and b must be
// positive.
func satMul(a, b int64) int64 {
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// capReader fails once more than n bytes have been read from r.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// ExtractTarGz extracts the untrusted gzip-compressed tar archive r into
// dir and returns its single top folder and the files written, sorted by
// name relative to the top folder, with their digests. dir must be empty
// or not exist yet; in the latter case its parent must exist.
//
// ExtractTarGz accepts regular files and directories (and skips PAX global
// headers, as written by git archive); it refuses the archive, with an
// [*Error] naming the entry, for the reasons listed in the package
// documentation. Files are created with mode 0644, or 0755 if the archive
// gives them any executable bit, and directories with 0755, all subject to
// the umask. Files are created exclusively, through an [os.Root], so
// nothing is ever written outside dir.
//
// On any error ExtractTarGz removes what it wrote, and dir itself if it
// created it. Errors from the file system, such as a full disk, are
// returned as they are rather than as an *Error.
func ExtractTarGz(r io.Reader, dir string, lim Limits) (top string, files []Digest, err error) {
	created, err := emptyDir(dir)
	if err != nil {
		return "", nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		if created {
			os.Remove(dir)
		}
		return "", nil, err
	}
	x := extractor{root: root, lim: lim.norm(), buf: make([]byte, 256<<10)}
	files, err = x.run(r)
	if err != nil {
		if x.t.top != "" {
			root.RemoveAll(x.t.top)
		}
		root.Close()
		if created {
			os.RemoveAll(dir)
		}
		return "", nil, err
	}
	if err := root.Close(); err != nil {
		return "", nil, err
	}
	return x.t.top, files, nil
}

// emptyDir creates dir, reporting true, or checks that it is an empty
// directory.
func emptyDir(dir string) (created bool, err error) {
	err = os.Mkdir(dir, 0o755)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	switch {
	case err == io.EOF:
		return false, nil
	case err != nil:
		return false, err
	case len(names) > 0:
		return false, fmt.Errorf("archive: %s: directory not empty", dir)
	}
	return false, nil
}

type extractor struct {
	root  *os.Root
	lim   Limits
	t     tree
	buf   []byte
	total int64
}

func (x *extractor) run(r io.Reader) ([]Digest, error) {
	x.t.single = true
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, &Error{Reason: "not a gzip stream", Err: err}
	}
	// Bound the whole stream, not only the files: archive/tar reads any
	// number of consecutive extended headers in one call to Next.
	limit := satAdd(x.lim.MaxTotalSize, satAdd(satMul(int64(x.lim.MaxEntries), entryOverhead), maxTrailer))
	cr := &capReader{r: zr, n: satAdd(limit, 1)}
	tr := tar.NewReader(cr)
	var files []Digest
	for n := 1; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTooBig) {
			return nil, &Error{Reason: fmt.Sprintf("tar stream longer than the limits allow (%d bytes)", limit)}
		}
		if err != nil {
			return nil, &Error{Reason: "malformed tar archive", Err: err}
		}
		if n > x.lim.MaxEntries {
			return nil, &Error{Reason: fmt.Sprintf("more than the limit of %d entries", x.lim.MaxEntries)}
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		d, err := x.entry(hdr, tr)
		if errors.Is(err, errTooBig) {
			return nil, &Error{Entry: hdr.Name, Reason: fmt.Sprintf("tar stream longer than the limits allow (%d bytes)", limit)}
		}
		if err != nil {
			return nil, err
		}
		if d.Name != "" {
			files = append(files, d)
		}
	}
	if x.t.top == "" {
		return nil, &Error{Reason: "no entries"}
	}
	// Read to the end, so that gzip verifies its checksum, and refuse
	// anything but padding after the tar archive.
	for n := 0; ; {
		k, err := cr.Read(x.buf)
		for _, b := range x.buf[:k] {
			if b != 0 {
				return nil, &Error{Reason: "data after the end of the tar archive"}
			}
		}
		if n += k; n > maxTrailer {
			return nil, &Error{Reason: fmt.Sprintf("more than %d bytes of padding after the tar archive", maxTrailer)}
		}
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTooBig) {
			return nil, &Error{Reason: fmt.Sprintf("tar stream longer than the limits allow (%d bytes)", limit)}
		}
		if err != nil {
			return nil, &Error{Reason: "corrupt gzip stream", Err: err}
		}
	}
	slices.SortFunc(files, func(a, b Digest) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// entry extracts one tar entry and returns its digest, with an empty name
// for directories.
func (x *extractor) entry(hdr *tar.Header, tr io.Reader) (Digest, error) {
	fail := func(format string, args ...any) error {
		return &Error{Entry: hdr.Name, Reason: fmt.Sprintf(format, args...)}
	}
	var dir bool
	switch hdr.Typeflag {
	case tar.TypeReg:
	case tar.TypeDir:
		dir = true
	case tar.TypeSymlink:
		return Digest{}, fail("symbolic link to %q", hdr.Linkname)
	case tar.TypeLink:
		return Digest{}, fail("hard link to %q", hdr.Linkname)
	case tar.TypeChar:
		return Digest{}, fail("character device")
	case tar.TypeBlock:
		return Digest{}, fail("block device")
	case tar.TypeFifo:
		return Digest{}, fail("named pipe")
	default:
		return Digest{}, fail("unsupported entry type %q", hdr.Typeflag)
	}
	name := hdr.Name
	if dir {
		name = strings.TrimSuffix(name, "/")
	}
	if reason := nameProblem(name); reason != "" {
		return Digest{}, fail("%s", reason)
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return Digest{}, fail("sparse file")
		}
	}
	switch {
	case dir && hdr.Size != 0:
		return Digest{}, fail("directory with %d bytes of data", hdr.Size)
	case hdr.Size < 0:
		return Digest{}, fail("negative size")
	case hdr.Size > x.lim.MaxFileSize:
		return Digest{}, fail("size %d bytes, more than the limit of %d", hdr.Size, x.lim.MaxFileSize)
	case satAdd(x.total, hdr.Size) > x.lim.MaxTotalSize:
		return Digest{}, fail("total size %d bytes, more than the limit of %d", x.total+hdr.Size, x.lim.MaxTotalSize)
	}
	x.total += hdr.Size
	if reason := x.t.add(name, dir); reason != "" {
		return Digest{}, fail("%s", reason)
	}
	if dir {
		return Digest{}, x.root.MkdirAll(filepath.FromSlash(name), 0o755)
	}
	if parent := path.Dir(name); parent != "." {
		if err := x.root.MkdirAll(filepath.FromSlash(parent), 0o755); err != nil {
			return Digest{}, err
		}
	}
	perm := fs.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		perm = 0o755
	}
	f, err := x.root.OpenFile(filepath.FromSlash(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return Digest{}, err
	}
	d := newDigester()
	_, err = io.CopyBuffer(io.MultiWriter(f, d), tr, x.buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return Digest{}, err // writing to disk
		}
		return Digest{}, &Error{Entry: hdr.Name, Reason: "truncated or corrupt data", Err: err}
	}
	_, rel, _ := strings.Cut(name, "/")
	return d.digest(rel), nil
}
