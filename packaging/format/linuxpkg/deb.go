package linuxpkg

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// arReader reads the members of a Unix ar archive in the common format
// that dpkg writes: a "!<arch>\n" magic, then for each member a 60-byte
// header and the data, padded to an even length.
type arReader struct {
	r   io.Reader
	cur *io.LimitedReader // the current member's data
	pad bool              // the current member has a padding byte
}

// arHeader is one member header.
type arHeader struct {
	Name string
	Size int64
}

const arMagic = "!<arch>\n"

func newArReader(r io.Reader) (*arReader, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading the ar magic: %w", noEOF(err))
	}
	if string(magic[:]) != arMagic {
		return nil, errors.New("not an ar archive")
	}
	return &arReader{r: r}, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Next skips the rest of the current member and returns the next header,
// or io.EOF at the clean end of the archive.
func (a *arReader) Next() (arHeader, error) {
	if a.cur != nil {
		if _, err := io.Copy(io.Discard, a.cur); err != nil {
			return arHeader{}, noEOF(err)
		}
		if a.cur.N > 0 {
			return arHeader{}, io.ErrUnexpectedEOF
		}
		if a.pad {
			var b [1]byte
			if _, err := io.ReadFull(a.r, b[:]); err != nil {
				return arHeader{}, noEOF(err)
			}
		}
		a.cur = nil
	}
	var h [60]byte
	n, err := io.ReadFull(a.r, h[:])
	if n == 0 && err == io.EOF {
		return arHeader{}, io.EOF
	}
	if err != nil {
		return arHeader{}, fmt.Errorf("reading a member header: %w", noEOF(err))
	}
	if string(h[58:60]) != "`\n" {
		return arHeader{}, errors.New("bad member header")
	}
	name := strings.TrimRight(string(h[0:16]), " ")
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "#1/") {
		return arHeader{}, fmt.Errorf("member name %q: extended names are refused", name)
	}
	name = strings.TrimSuffix(name, "/")
	if name == "" {
		return arHeader{}, errors.New("member with an empty name")
	}
	for _, c := range []byte(name) {
		if c < 0x21 || c > 0x7e {
			return arHeader{}, fmt.Errorf("member name %q has a byte %#x", name, c)
		}
	}
	for _, f := range []struct {
		b    []byte
		base int
	}{{h[16:28], 10}, {h[28:34], 10}, {h[34:40], 10}, {h[40:48], 8}} {
		if s := strings.TrimRight(string(f.b), " "); s != "" {
			if _, err := strconv.ParseUint(s, f.base, 63); err != nil {
				return arHeader{}, fmt.Errorf("member %s: bad header field %q", name, s)
			}
		}
	}
	size, err := strconv.ParseInt(strings.TrimRight(string(h[48:58]), " "), 10, 64)
	if err != nil || size < 0 {
		return arHeader{}, fmt.Errorf("member %s: bad size %q", name, strings.TrimSpace(string(h[48:58])))
	}
	a.cur = &io.LimitedReader{R: a.r, N: size}
	a.pad = size%2 == 1
	return arHeader{Name: name, Size: size}, nil
}

// Read reads the current member's data.
func (a *arReader) Read(b []byte) (int, error) {
	if a.cur == nil {
		return 0, io.EOF
	}
	n, err := a.cur.Read(b)
	if err == io.EOF && a.cur.N > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readDeb reads a Debian binary package: an ar archive of debian-binary,
// control.tar[.gz] and data.tar[.gz|.bz2], in that order, with members
// whose names start with "_" allowed between and after them. The archive is
// read to its end, so a cut one is refused.
func (p *pkg) readDeb(r io.Reader) (Info, error) {
	ar, err := newArReader(r)
	if err != nil {
		return Info{}, p.wrap("", err)
	}
	next := func(after string) (arHeader, error) {
		for {
			h, err := ar.Next()
			if err == io.EOF {
				return h, p.errorf("", "no member after %s", after)
			}
			if err != nil {
				return h, p.wrap("after "+after, err)
			}
			if !strings.HasPrefix(h.Name, "_") || after == "the ar magic" {
				return h, nil
			}
		}
	}
	h, err := next("the ar magic")
	if err != nil {
		return Info{}, err
	}
	if h.Name != "debian-binary" {
		return Info{}, p.errorf(h.Name, "the first member is not debian-binary")
	}
	if h.Size > 64 {
		return Info{}, p.errorf(h.Name, "%d bytes", h.Size)
	}
	vb, err := io.ReadAll(ar)
	if err != nil {
		return Info{}, p.wrap(h.Name, err)
	}
	if maj, _, ok := strings.Cut(string(vb), "."); !ok || maj != "2" || !strings.HasSuffix(string(vb), "\n") {
		return Info{}, p.errorf(h.Name, "format version %q is not 2.x", vb)
	}

	h, err = next("debian-binary")
	if err != nil {
		return Info{}, err
	}
	if h.Size > p.lim.MaxMetadataSize {
		return Info{}, p.errorf(h.Name, "%d bytes, above the limit of %d", h.Size, p.lim.MaxMetadataSize)
	}
	var info Info
	var control bool
	err = p.debTar(h, ar, "control.tar", func(r io.Reader) error {
		return p.readMetaTar(r, h.Name, func(name string, data []byte) error {
			if name != "./control" && name != "control" {
				return nil
			}
			if control {
				return errors.New("a second control file")
			}
			control = true
			var err error
			info, err = parseControl(data)
			return err
		})
	})
	if err != nil {
		return Info{}, err
	}
	if !control {
		return Info{}, p.errorf(h.Name, "no control file")
	}

	h, err = next(h.Name)
	if err != nil {
		return Info{}, err
	}
	err = p.debTar(h, ar, "data.tar", func(r io.Reader) error {
		return p.readPayloadTar(r, tarOptions{member: h.Name})
	})
	if err != nil {
		return Info{}, err
	}
	// Read to the end, so that a cut archive (even by the padding byte of
	// data.tar) is refused: only reserved "_" members may follow.
	data := h.Name
	for {
		h, err := ar.Next()
		if err == io.EOF {
			return info, nil
		}
		if err != nil {
			return Info{}, p.wrap("after "+data, err)
		}
		if !strings.HasPrefix(h.Name, "_") {
			return Info{}, p.errorf(h.Name, "unexpected member after %s", data)
		}
	}
}

// debTar decompresses the member h, which must be base (control.tar or
// data.tar) with a compression suffix the standard library reads, and
// passes the tar stream to read. It checks that the compressed stream
// fills the member exactly.
func (p *pkg) debTar(h arHeader, r io.Reader, base string, read func(io.Reader) error) error {
	ext, ok := strings.CutPrefix(h.Name, base)
	if !ok {
		return p.errorf(h.Name, "want %s here", base)
	}
	switch ext {
	case "":
		return read(r) // which reads the member to its end
	case ".gz":
		br := bufio.NewReader(r)
		zr, err := gzipMember(br)
		if err != nil {
			return p.wrap(h.Name, err)
		}
		if err := read(zr); err != nil {
			return err
		}
		if n, err := io.Copy(io.Discard, br); err != nil {
			return p.wrap(h.Name, err)
		} else if n > 0 {
			return p.errorf(h.Name, "%d bytes after the gzip stream", n)
		}
		return nil
	case ".bz2":
		if base != "data.tar" {
			break
		}
		br := bufio.NewReader(r)
		if err := read(bzip2.NewReader(br)); err != nil {
			return err
		}
		return nil
	case ".xz", ".zst", ".lzma":
		return p.errorf(h.Name, "%s compression cannot be read with the Go standard library; only gzip is supported", ext[1:])
	}
	return p.errorf(h.Name, "want %s, %s.gz or another known compression here", base, base)
}

// parseControl reads the first paragraph of a Debian control file and
// returns its Package, Version and Architecture fields.
func parseControl(data []byte) (Info, error) {
	fields := map[string]string{}
	var last string
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(fields) > 0 {
				break
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return Info{}, fmt.Errorf("control line %d: continuation without a field", i+1)
			}
			fields[last] += "\n" + line
			continue
		}
		if line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return Info{}, fmt.Errorf("control line %d: not a field", i+1)
		}
		key := strings.ToLower(k)
		if _, dup := fields[key]; dup {
			return Info{}, fmt.Errorf("control field %s appears twice", k)
		}
		fields[key] = strings.TrimSpace(v)
		last = key
	}
	info := Info{Name: fields["package"], Version: fields["version"], Arch: fields["architecture"]}
	for k, v := range map[string]string{"Package": info.Name, "Version": info.Version, "Architecture": info.Arch} {
		if v == "" || strings.ContainsAny(v, " \t\n") {
			return Info{}, fmt.Errorf("control field %s is missing or not one word", k)
		}
	}
	return info, nil
}
