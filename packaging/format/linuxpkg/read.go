package linuxpkg

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits bound what [Read] accepts. Zero fields take their value from
// [DefaultLimits].
type Limits struct {
	MaxFiles     int   // payload entries: files, directories and links
	MaxFileSize  int64 // bytes of one payload file
	MaxTotalSize int64 // bytes of all payload files together
	// MaxMetadataSize bounds each piece of metadata: a deb's control
	// archive (compressed and not), an rpm's signature and main headers,
	// an apk's signature and control segments (compressed and not).
	MaxMetadataSize int64
}

// DefaultLimits are the limits used in place of zero Limits fields.
var DefaultLimits = Limits{
	MaxFiles:        10000,
	MaxFileSize:     1 << 30,
	MaxTotalSize:    4 << 30,
	MaxMetadataSize: 16 << 20,
}

func (l Limits) norm() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultLimits.MaxFiles
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxMetadataSize <= 0 {
		l.MaxMetadataSize = DefaultLimits.MaxMetadataSize
	}
	return l
}

// File is one entry of a package's payload.
type File struct {
	// Path is the absolute, clean slash path the entry installs to,
	// e.g. /usr/bin/cavra-runtime.
	Path string
	// Mode holds the permission bits, the set-user-ID, set-group-ID and
	// sticky bits, and the type: 0 for a regular file, fs.ModeDir for a
	// directory, fs.ModeSymlink for a symbolic link.
	Mode fs.FileMode
	// Size is the size in bytes of a regular file's contents; 0 for
	// directories and symbolic links.
	Size int64
	// SHA256 is the hex SHA-256 of a regular file's contents; "" for
	// directories and symbolic links.
	SHA256 string
	// Owner is "user:group" by name, as the package records them, or
	// "uid:gid" when it records no names; "" when it records neither (an
	// rpm header without FILEUSERNAME and FILEGROUPNAME).
	Owner string
	// MTime is the modification time the package records, in Unix
	// seconds; 0 when it records none.
	MTime int64
}

// Info is a package's identity as its metadata states it.
type Info struct {
	Name    string // deb Package, rpm NAME, apk pkgname
	Version string // deb Version, rpm VERSION, apk pkgver
	Release string // rpm RELEASE; "" for deb and apk
	Arch    string // deb Architecture, rpm ARCH, apk arch
}

// Error is the error [Read] returns for a package it refuses.
type Error struct {
	Format string // "deb", "rpm" or "apk"
	Member string // the part of the package, e.g. "data.tar.gz: ./usr/bin/cavra-runtime"
	Err    error
}

func (e *Error) Error() string {
	if e.Member == "" {
		return "linuxpkg: " + e.Format + ": " + e.Err.Error()
	}
	return "linuxpkg: " + e.Format + ": " + e.Member + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads a package of the given format ("deb", "rpm" or "apk") from r,
// which it treats as hostile, and returns its metadata and payload
// entries sorted by path. See the package documentation for what it
// checks and refuses. Every error it returns is an [*Error].
func Read(format string, r io.Reader, lim Limits) (Info, []File, error) {
	p := &pkg{format: format, lim: lim.norm(), seen: map[string]bool{}}
	var (
		info Info
		err  error
	)
	switch format {
	case "deb":
		info, err = p.readDeb(r)
	case "rpm":
		info, err = p.readRPM(r)
	case "apk":
		info, err = p.readAPK(r)
	default:
		return Info{}, nil, &Error{Format: format, Err: errors.New("unknown package format")}
	}
	if err == nil {
		err = p.finish()
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = &Error{Format: format, Err: err}
		}
		return Info{}, nil, err
	}
	return info, p.files, nil
}

// Installed returns the entry of files at [InstalledPath]. It fails unless
// that entry exists and is a regular file: a symbolic link or a directory
// there is not the binary.
func Installed(files []File) (File, error) {
	for _, f := range files {
		if f.Path != InstalledPath {
			continue
		}
		if !f.Mode.IsRegular() {
			return File{}, fmt.Errorf("linuxpkg: %s is not a regular file (mode %v)", InstalledPath, f.Mode)
		}
		return f, nil
	}
	return File{}, fmt.Errorf("linuxpkg: the package has no %s", InstalledPath)
}

// pkg is the state of one Read.
type pkg struct {
	format string
	lim    Limits
	files  []File
	seen   map[string]bool // paths in files
	total  int64           // bytes of regular files so far
}

func (p *pkg) errorf(member, format string, args ...any) error {
	return &Error{Format: p.format, Member: member, Err: fmt.Errorf(format, args...)}
}

func (p *pkg) wrap(member string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &Error{Format: p.format, Member: member, Err: err}
}

// cleanPath turns an archive entry name into the absolute path it installs
// to. It strips one leading "./" or "/" and a trailing "/", and refuses
// names that are not clean, leave the root, or hold control characters or
// invalid UTF-8. The root itself comes back as "/".
func cleanPath(name string) (string, error) {
	n := name
	switch {
	case strings.HasPrefix(n, "./"):
		n = n[2:]
	case strings.HasPrefix(n, "/"):
		n = n[1:]
	}
	n = strings.TrimSuffix(n, "/")
	if n == "" || n == "." {
		return "/", nil
	}
	if len(name) > 4096 {
		return "", errors.New("name longer than 4096 bytes")
	}
	if !utf8.ValidString(n) {
		return "", errors.New("name is not valid UTF-8")
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return "", errors.New("name has a control character")
		}
	}
	if path.Clean(n) != n || n == ".." || strings.HasPrefix(n, "../") || strings.HasPrefix(n, "/") {
		return "", errors.New("name is not a clean relative path")
	}
	return "/" + n, nil
}

// add records one payload entry, enforcing the entry limit and refusing
// duplicates.
func (p *pkg) add(member string, f File) error {
	if _, dup := p.seen[f.Path]; dup {
		return p.errorf(member, "%s appears twice", f.Path)
	}
	if len(p.files) >= p.lim.MaxFiles {
		return p.errorf(member, "more than %d entries", p.lim.MaxFiles)
	}
	p.seen[f.Path] = true
	p.files = append(p.files, f)
	return nil
}

// finish sorts the files and refuses an entry below anything but a
// directory: below a file or a symbolic link, the entry would not land
// where its path says.
func (p *pkg) finish() error {
	slices.SortFunc(p.files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range p.files {
		for dir := path.Dir(f.Path); dir != "/"; dir = path.Dir(dir) {
			if m, ok := p.modeOf(dir); ok && !m.IsDir() {
				return p.errorf("", "%s is below %s, which is not a directory (mode %v)", f.Path, dir, m)
			}
		}
	}
	return nil
}

// modeOf returns the mode of the entry at name; p.files must be sorted.
func (p *pkg) modeOf(name string) (fs.FileMode, bool) {
	i, ok := slices.BinarySearchFunc(p.files, name, func(f File, t string) int { return strings.Compare(f.Path, t) })
	if !ok {
		return 0, false
	}
	return p.files[i].Mode, true
}

// modeFromUnix converts a Unix mode to an fs.FileMode for the entry types
// packages may hold.
func modeFromUnix(m uint32) (fs.FileMode, error) {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	switch m & 0o170000 {
	case 0o100000:
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	default:
		return 0, fmt.Errorf("mode %#o is not a regular file, directory or symbolic link", m)
	}
	return mode, nil
}

// capReader fails once more than n bytes have been read from r.
type capReader struct {
	r    io.Reader
	n    int64
	what string
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.n <= 0 {
		return 0, fmt.Errorf("%s larger than the limit", c.what)
	}
	if int64(len(b)) > c.n {
		b = b[:c.n]
	}
	n, err := c.r.Read(b)
	c.n -= int64(n)
	return n, err
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// streamCap is the most decompressed payload stream bytes a package may
// hold: the payload limit plus an allowance for headers, padding and the
// end of the archive.
func (p *pkg) streamCap() int64 {
	return satAdd(satAdd(p.lim.MaxTotalSize, int64(p.lim.MaxFiles)*(16<<10)), 1<<20)
}

// gzipMember returns a reader of the single gzip member at the start of
// r. Reading it to io.EOF checks the member's CRC-32 and size; since r is
// a byte reader, it is then positioned right after the member.
func gzipMember(r flate.Reader) (*gzip.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return zr, nil
}

// tarOptions configure readPayloadTar.
type tarOptions struct {
	member string // the member name for errors, e.g. data.tar.gz
	// verify, if set, checks a payload file's tar header against its
	// contents' digests once they have been read.
	verify func(hdr *tar.Header, sha1sum []byte) error
	// withSHA1 asks for the SHA-1 of each payload file for verify.
	withSHA1 bool
}

// readPayloadTar reads a tar stream of payload entries, adding each to p.
// It refuses links other than symbolic ones, devices, FIFOs and sparse
// files, and after the end of the archive accepts only zero padding.
func (p *pkg) readPayloadTar(r io.Reader, o tarOptions) error {
	cr := &capReader{r: r, n: p.streamCap(), what: "decompressed stream"}
	tr := tar.NewReader(cr)
	buf := make([]byte, 64<<10)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.wrap(o.member, err)
		}
		member := o.member + ": " + hdr.Name
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := cleanPath(hdr.Name)
		if err != nil {
			return p.wrap(member, err)
		}
		f := File{Path: name, Owner: tarOwner(hdr), MTime: hdr.ModTime.Unix()}
		switch hdr.Typeflag {
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
			f.Mode = fs.FileMode(hdr.Mode & 0o777)
			if name == "/" {
				return p.errorf(member, "a file at the root")
			}
			if hdr.Size < 0 || hdr.Size > p.lim.MaxFileSize {
				return p.errorf(member, "size %d above the limit of %d bytes", hdr.Size, p.lim.MaxFileSize)
			}
			if p.total = satAdd(p.total, hdr.Size); p.total > p.lim.MaxTotalSize {
				return p.errorf(member, "payload above the limit of %d bytes", p.lim.MaxTotalSize)
			}
			h := sha256.New()
			w := io.Writer(h)
			var s1 hash.Hash
			if o.withSHA1 {
				s1 = sha1.New()
				w = io.MultiWriter(h, s1)
			}
			n, err := io.CopyBuffer(w, tr, buf)
			if err != nil {
				return p.wrap(member, err)
			}
			if n != hdr.Size {
				return p.errorf(member, "%d bytes of %d", n, hdr.Size)
			}
			f.Size = n
			f.SHA256 = hex.EncodeToString(h.Sum(nil))
			if o.verify != nil {
				var sum []byte
				if s1 != nil {
					sum = s1.Sum(nil)
				}
				if err := o.verify(hdr, sum); err != nil {
					return p.wrap(member, err)
				}
			}
		case tar.TypeDir:
			f.Mode = fs.ModeDir | fs.FileMode(hdr.Mode&0o777)
			if name == "/" {
				continue
			}
		case tar.TypeSymlink:
			if name == "/" {
				return p.errorf(member, "a symbolic link at the root")
			}
			if hdr.Linkname == "" || strings.IndexByte(hdr.Linkname, 0) >= 0 {
				return p.errorf(member, "bad symbolic link target %q", hdr.Linkname)
			}
			f.Mode = fs.ModeSymlink | fs.FileMode(hdr.Mode&0o777)
		case tar.TypeLink:
			return p.errorf(member, "hard link to %q: hard links are refused", hdr.Linkname)
		case tar.TypeGNUSparse:
			return p.errorf(member, "sparse files are refused")
		default:
			return p.errorf(member, "entry type %q is refused: only regular files, directories and symbolic links", hdr.Typeflag)
		}
		if hdr.Mode&0o4000 != 0 {
			f.Mode |= fs.ModeSetuid
		}
		if hdr.Mode&0o2000 != 0 {
			f.Mode |= fs.ModeSetgid
		}
		if hdr.Mode&0o1000 != 0 {
			f.Mode |= fs.ModeSticky
		}
		if err := p.add(member, f); err != nil {
			return err
		}
	}
	return p.zeroTail(o.member, cr)
}

// tarOwner returns the owner of a tar entry: names when the header has
// both, else the numeric IDs.
func tarOwner(hdr *tar.Header) string {
	if hdr.Uname != "" && hdr.Gname != "" {
		return hdr.Uname + ":" + hdr.Gname
	}
	return strconv.Itoa(hdr.Uid) + ":" + strconv.Itoa(hdr.Gid)
}

// zeroTail accepts what follows the end of a tar archive only if it is at
// most 1 MiB of zero bytes.
func (p *pkg) zeroTail(member string, r io.Reader) error {
	n, err := zeroes(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return p.wrap(member, err)
	}
	if n > 1<<20 {
		return p.errorf(member, "more than 1 MiB after the end of the archive")
	}
	return nil
}

// zeroes reads r to its end and returns how many bytes it held, failing
// on the first non-zero byte.
func zeroes(r io.Reader) (int64, error) {
	var buf [4096]byte
	var total int64
	for {
		n, err := r.Read(buf[:])
		if i := bytes.IndexFunc(buf[:n], func(r rune) bool { return r != 0 }); i >= 0 {
			return total, errors.New("data after the end of the archive")
		}
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// readMetaTar reads a small tar stream of regular files into memory,
// calling meta for each. It bounds the stream by MaxMetadataSize.
func (p *pkg) readMetaTar(r io.Reader, member string, meta func(name string, data []byte) error) error {
	cr := &capReader{r: r, n: p.lim.MaxMetadataSize, what: "decompressed " + member}
	tr := tar.NewReader(cr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.wrap(member, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		m := member + ": " + hdr.Name
		switch hdr.Typeflag {
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
		case tar.TypeDir:
			continue
		default:
			return p.errorf(m, "entry type %q is refused: only regular files and directories", hdr.Typeflag)
		}
		if hdr.Size < 0 || hdr.Size > p.lim.MaxMetadataSize {
			return p.errorf(m, "size %d above the limit", hdr.Size)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return p.wrap(m, err)
		}
		if err := meta(hdr.Name, data); err != nil {
			return p.wrap(m, err)
		}
	}
	return p.zeroTail(member, cr)
}
