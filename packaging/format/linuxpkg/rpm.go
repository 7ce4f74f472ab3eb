package linuxpkg

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"
)

// rpm header tags and types this reader uses.
const (
	rpmTagName              = 1000
	rpmTagVersion           = 1001
	rpmTagRelease           = 1002
	rpmTagFileSizes         = 1028
	rpmTagFileModes         = 1030
	rpmTagFileDigests       = 1035
	rpmTagFileLinkTos       = 1036
	rpmTagFileFlags         = 1037
	rpmTagFileMTimes        = 1034
	rpmTagFileUserName      = 1039
	rpmTagFileGroupName     = 1040
	rpmTagArch              = 1022
	rpmTagOldFilenames      = 1027
	rpmTagDirIndexes        = 1116
	rpmTagBasenames         = 1117
	rpmTagDirNames          = 1118
	rpmTagPayloadFormat     = 1124
	rpmTagPayloadCompressor = 1125
	rpmTagFileDigestAlgo    = 5011
	rpmTagPayloadDigest     = 5092
	rpmTagPayloadDigestAlgo = 5093

	rpmSigTagSHA256 = 273

	rpmTypeInt16       = 3
	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9

	rpmFileGhost = 1 << 6
)

var (
	rpmLeadMagic   = []byte{0xed, 0xab, 0xee, 0xdb}
	rpmHeaderMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// rpmHeader is a parsed header structure: index entries over a data store.
type rpmHeader struct {
	entries map[uint32]rpmEntry
	store   []byte
	raw     []byte // the whole header as read, for its digest
}

type rpmEntry struct {
	typ, offset, count uint32
}

// readRPMHeader reads one header structure (magic, index, store) from r,
// bounding its size by max.
func readRPMHeader(r io.Reader, max int64) (*rpmHeader, error) {
	var pre [16]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, noEOF(err)
	}
	if !bytes.Equal(pre[:4], rpmHeaderMagic) {
		return nil, errors.New("bad header magic")
	}
	nindex := int64(binary.BigEndian.Uint32(pre[8:12]))
	hsize := int64(binary.BigEndian.Uint32(pre[12:16]))
	if nindex == 0 || nindex > 1<<16 {
		return nil, fmt.Errorf("%d index entries", nindex)
	}
	if size := 16 + nindex*16 + hsize; size > max {
		return nil, fmt.Errorf("%d bytes, above the limit of %d", size, max)
	}
	raw := make([]byte, 16+nindex*16+hsize)
	copy(raw, pre[:])
	if _, err := io.ReadFull(r, raw[16:]); err != nil {
		return nil, noEOF(err)
	}
	h := &rpmHeader{entries: map[uint32]rpmEntry{}, store: raw[16+nindex*16:], raw: raw}
	for i := range nindex {
		e := raw[16+i*16 : 32+i*16]
		tag := binary.BigEndian.Uint32(e[0:4])
		ent := rpmEntry{binary.BigEndian.Uint32(e[4:8]), binary.BigEndian.Uint32(e[8:12]), binary.BigEndian.Uint32(e[12:16])}
		if ent.typ > 9 {
			return nil, fmt.Errorf("tag %d: bad type %d", tag, ent.typ)
		}
		if int64(ent.offset) >= hsize && !(ent.offset == 0 && hsize == 0) {
			return nil, fmt.Errorf("tag %d: offset %d outside the %d-byte store", tag, ent.offset, hsize)
		}
		if ent.count == 0 || int64(ent.count) > hsize {
			return nil, fmt.Errorf("tag %d: bad count %d", tag, ent.count)
		}
		if _, dup := h.entries[tag]; dup {
			return nil, fmt.Errorf("tag %d appears twice", tag)
		}
		h.entries[tag] = ent
	}
	return h, nil
}

// strings returns the values of a string, string array or i18n string tag,
// or nil if the header lacks it.
func (h *rpmHeader) strings(tag uint32) ([]string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	switch e.typ {
	case rpmTypeString:
		if e.count != 1 {
			return nil, fmt.Errorf("tag %d: string with count %d", tag, e.count)
		}
	case rpmTypeStringArray, rpmTypeI18NString:
	default:
		return nil, fmt.Errorf("tag %d: type %d is not a string type", tag, e.typ)
	}
	out := make([]string, 0, min(e.count, 1024))
	off := int(e.offset)
	for range e.count {
		if off >= len(h.store) {
			return nil, fmt.Errorf("tag %d: strings run past the store", tag)
		}
		end := bytes.IndexByte(h.store[off:], 0)
		if end < 0 {
			return nil, fmt.Errorf("tag %d: unterminated string", tag)
		}
		out = append(out, string(h.store[off:off+end]))
		off += end + 1
	}
	return out, nil
}

// str returns the single string value of tag, or "" if absent.
func (h *rpmHeader) str(tag uint32) (string, error) {
	s, err := h.strings(tag)
	if err != nil || len(s) == 0 {
		return "", err
	}
	return s[0], nil
}

// ints returns the values of an int16 or int32 tag, or nil if absent.
func (h *rpmHeader) ints(tag uint32, typ uint32) ([]uint32, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != typ {
		return nil, fmt.Errorf("tag %d: type %d, want %d", tag, e.typ, typ)
	}
	size := uint64(2)
	if typ == rpmTypeInt32 {
		size = 4
	}
	if e.offset%uint32(size) != 0 {
		return nil, fmt.Errorf("tag %d: misaligned", tag)
	}
	if uint64(e.offset)+uint64(e.count)*size > uint64(len(h.store)) {
		return nil, fmt.Errorf("tag %d: values run past the store", tag)
	}
	out := make([]uint32, e.count)
	for i := range out {
		b := h.store[uint64(e.offset)+uint64(i)*size:]
		if size == 2 {
			out[i] = uint32(binary.BigEndian.Uint16(b))
		} else {
			out[i] = binary.BigEndian.Uint32(b)
		}
	}
	return out, nil
}

// rpmFile is one file of an rpm's header file list.
type rpmFile struct {
	mode   fs.FileMode
	size   int64
	digest string // hex, "" for none
	link   string
	owner  string // user:group, "" when the header names none
	mtime  int64
	ghost  bool
	seen   bool // found in the payload
}

// readRPM reads an rpm package: the lead, the signature header (padded to
// 8 bytes), the main header, and the compressed cpio payload. The file
// list comes from the main header, which is what rpm installs from; every
// payload entry must match a header entry of the same type, and regular
// files must have the header's size and digest.
func (p *pkg) readRPM(r io.Reader) (Info, error) {
	var lead [96]byte
	if _, err := io.ReadFull(r, lead[:]); err != nil {
		return Info{}, p.wrap("lead", err)
	}
	if !bytes.Equal(lead[:4], rpmLeadMagic) {
		return Info{}, p.errorf("lead", "not an rpm package")
	}
	if lead[4] != 3 && lead[4] != 4 {
		return Info{}, p.errorf("lead", "format version %d", lead[4])
	}
	if sigType := binary.BigEndian.Uint16(lead[78:80]); sigType != 5 {
		return Info{}, p.errorf("lead", "signature type %d, want 5 (header-style)", sigType)
	}
	sig, err := readRPMHeader(r, p.lim.MaxMetadataSize)
	if err != nil {
		return Info{}, p.wrap("signature header", err)
	}
	if pad := (8 - len(sig.raw)%8) % 8; pad > 0 {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:pad]); err != nil {
			return Info{}, p.wrap("signature header", err)
		}
	}
	h, err := readRPMHeader(r, p.lim.MaxMetadataSize)
	if err != nil {
		return Info{}, p.wrap("header", err)
	}
	if want, err := sig.str(rpmSigTagSHA256); err != nil {
		return Info{}, p.wrap("signature header", err)
	} else if want != "" {
		got := sha256.Sum256(h.raw)
		if !strings.EqualFold(want, hex.EncodeToString(got[:])) {
			return Info{}, p.errorf("header", "SHA-256 %x, but the signature header says %s", got, want)
		}
	}

	var info Info
	for _, f := range []struct {
		tag uint32
		dst *string
	}{{rpmTagName, &info.Name}, {rpmTagVersion, &info.Version}, {rpmTagRelease, &info.Release}, {rpmTagArch, &info.Arch}} {
		if *f.dst, err = h.str(f.tag); err != nil {
			return Info{}, p.wrap("header", err)
		}
		if *f.dst == "" {
			return Info{}, p.errorf("header", "tag %d is missing or empty", f.tag)
		}
	}
	files, algo, err := p.rpmFiles(h)
	if err != nil {
		return Info{}, p.wrap("header", err)
	}

	format, err := h.str(rpmTagPayloadFormat)
	if err != nil {
		return Info{}, p.wrap("header", err)
	}
	if format != "" && format != "cpio" {
		return Info{}, p.errorf("header", "payload format %q, want cpio", format)
	}
	comp, err := h.str(rpmTagPayloadCompressor)
	if err != nil {
		return Info{}, p.wrap("header", err)
	}
	member := "payload (" + cmpName(comp) + " cpio)"

	// The payload digest covers the compressed payload: everything after
	// the header.
	var (
		pd     []string
		pdHash hash.Hash
	)
	if pd, err = h.strings(rpmTagPayloadDigest); err != nil {
		return Info{}, p.wrap("header", err)
	}
	raw := r
	if len(pd) > 0 {
		algo := []uint32{1}
		if a, err := h.ints(rpmTagPayloadDigestAlgo, rpmTypeInt32); err != nil {
			return Info{}, p.wrap("header", err)
		} else if a != nil {
			algo = a
		}
		if pdHash = digestHash(algo[0]); pdHash == nil {
			return Info{}, p.errorf("header", "payload digest algorithm %d is not supported", algo[0])
		}
		raw = io.TeeReader(r, pdHash)
	}
	br := bufio.NewReader(raw)
	var dr io.Reader
	switch comp {
	case "", "gzip":
		zr, err := gzipMember(br)
		if err != nil {
			return Info{}, p.wrap(member, err)
		}
		dr = zr
	case "bzip2":
		dr = bzip2.NewReader(br)
	default:
		return Info{}, p.errorf(member, "%s compression cannot be read with the Go standard library; only gzip is supported", comp)
	}
	cr := &capReader{r: dr, n: p.streamCap(), what: "decompressed payload"}
	if err := p.readCPIO(cr, member, files, algo); err != nil {
		return Info{}, err
	}
	if err := p.zeroTail(member, cr); err != nil {
		return Info{}, err
	}
	if n, err := io.Copy(io.Discard, br); err != nil {
		return Info{}, p.wrap(member, err)
	} else if n > 0 {
		return Info{}, p.errorf(member, "%d bytes after the compressed payload", n)
	}
	if pdHash != nil {
		if got := hex.EncodeToString(pdHash.Sum(nil)); !strings.EqualFold(got, pd[0]) {
			return Info{}, p.errorf(member, "digest %s, but the header says %s", got, pd[0])
		}
	}
	for name, f := range files {
		if !f.seen && !f.ghost && f.mode.IsRegular() {
			return Info{}, p.errorf(member, "%s is in the header but not in the payload", name)
		}
		if f.ghost {
			continue
		}
		if !f.seen {
			// A directory or link the payload leaves out is still
			// installed from the header.
			if err := p.add("header", File{Path: name, Mode: f.mode, Owner: f.owner, MTime: f.mtime}); err != nil {
				return Info{}, err
			}
		}
	}
	return info, nil
}

func cmpName(c string) string {
	if c == "" {
		return "gzip"
	}
	return c
}

// digestHash returns a hash for an rpm (PGP) digest algorithm number, or
// nil.
func digestHash(algo uint32) hash.Hash {
	switch algo {
	case 1:
		return md5.New()
	case 2:
		return sha1.New()
	case 8:
		return sha256.New()
	case 9:
		return sha512.New384()
	case 10:
		return sha512.New()
	}
	return nil
}

// rpmFiles returns the header's file list by path, and the algorithm of
// its file digests.
func (p *pkg) rpmFiles(h *rpmHeader) (map[string]*rpmFile, uint32, error) {
	if _, ok := h.entries[rpmTagOldFilenames]; ok {
		return nil, 0, errors.New("old-style file names (OLDFILENAMES) are not supported")
	}
	base, err := h.strings(rpmTagBasenames)
	if err != nil {
		return nil, 0, err
	}
	files := map[string]*rpmFile{}
	if base == nil {
		return files, 0, nil
	}
	if len(base) > p.lim.MaxFiles {
		return nil, 0, fmt.Errorf("more than %d files", p.lim.MaxFiles)
	}
	dirs, err := h.strings(rpmTagDirNames)
	if err != nil {
		return nil, 0, err
	}
	idx, err := h.ints(rpmTagDirIndexes, rpmTypeInt32)
	if err != nil {
		return nil, 0, err
	}
	modes, err := h.ints(rpmTagFileModes, rpmTypeInt16)
	if err != nil {
		return nil, 0, err
	}
	sizes, err := h.ints(rpmTagFileSizes, rpmTypeInt32)
	if err != nil {
		return nil, 0, err
	}
	flags, err := h.ints(rpmTagFileFlags, rpmTypeInt32)
	if err != nil {
		return nil, 0, err
	}
	digests, err := h.strings(rpmTagFileDigests)
	if err != nil {
		return nil, 0, err
	}
	links, err := h.strings(rpmTagFileLinkTos)
	if err != nil {
		return nil, 0, err
	}
	users, err := h.strings(rpmTagFileUserName)
	if err != nil {
		return nil, 0, err
	}
	groups, err := h.strings(rpmTagFileGroupName)
	if err != nil {
		return nil, 0, err
	}
	mtimes, err := h.ints(rpmTagFileMTimes, rpmTypeInt32)
	if err != nil {
		return nil, 0, err
	}
	algo := uint32(1) // MD5, rpm's default
	if a, err := h.ints(rpmTagFileDigestAlgo, rpmTypeInt32); err != nil {
		return nil, 0, err
	} else if len(a) > 0 {
		algo = a[0]
	}
	n := len(base)
	for _, l := range []struct {
		name string
		n    int
	}{{"DIRINDEXES", len(idx)}, {"FILEMODES", len(modes)}, {"FILESIZES", len(sizes)}} {
		if l.n != n {
			return nil, 0, fmt.Errorf("%s has %d entries for %d files", l.name, l.n, n)
		}
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"FILEFLAGS", len(flags)}, {"FILEDIGESTS", len(digests)}, {"FILELINKTOS", len(links)},
		{"FILEUSERNAME", len(users)}, {"FILEGROUPNAME", len(groups)}, {"FILEMTIMES", len(mtimes)}} {
		if l.n != n && l.n != 0 {
			return nil, 0, fmt.Errorf("%s has %d entries for %d files", l.name, l.n, n)
		}
	}
	if len(digests) > 0 && digestHash(algo) == nil {
		return nil, 0, fmt.Errorf("file digest algorithm %d is not supported", algo)
	}
	for i := range n {
		if int(idx[i]) >= len(dirs) {
			return nil, 0, fmt.Errorf("file %d: directory index %d out of range", i, idx[i])
		}
		if strings.Contains(base[i], "/") || base[i] == "" {
			return nil, 0, fmt.Errorf("file %d: bad base name %q", i, base[i])
		}
		name, err := cleanPath(dirs[idx[i]] + base[i])
		if err != nil || !strings.HasPrefix(dirs[idx[i]], "/") {
			return nil, 0, fmt.Errorf("file %q: not a clean absolute path", dirs[idx[i]]+base[i])
		}
		if _, dup := files[name]; dup {
			return nil, 0, fmt.Errorf("file %s appears twice", name)
		}
		mode, err := modeFromUnix(modes[i])
		if err != nil {
			return nil, 0, fmt.Errorf("file %s: %v", name, err)
		}
		f := &rpmFile{mode: mode}
		if mode.IsRegular() {
			f.size = int64(sizes[i])
			if len(digests) > 0 {
				f.digest = strings.ToLower(digests[i])
			}
		}
		if len(links) > 0 {
			f.link = links[i]
		}
		if len(flags) > 0 {
			f.ghost = flags[i]&rpmFileGhost != 0
		}
		if len(users) > 0 && len(groups) > 0 {
			f.owner = users[i] + ":" + groups[i]
		}
		if len(mtimes) > 0 {
			f.mtime = int64(mtimes[i])
		}
		files[name] = f
	}
	return files, algo, nil
}

// readCPIO reads a "newc" cpio archive (magic 070701) up to its
// TRAILER!!! entry, matching each entry with the header's file list, whose
// digests use algorithm algo.
func (p *pkg) readCPIO(r io.Reader, member string, files map[string]*rpmFile, algo uint32) error {
	var off int64 // bytes read, for the 4-byte alignment
	read := func(b []byte) error {
		n, err := io.ReadFull(r, b)
		off += int64(n)
		return noEOF(err)
	}
	align := func() error {
		var pad [4]byte
		return read(pad[:(4-off%4)%4])
	}
	buf := make([]byte, 64<<10)
	for {
		var hb [110]byte
		if err := read(hb[:]); err != nil {
			return p.wrap(member, err)
		}
		if string(hb[:6]) != "070701" {
			return p.errorf(member, "bad cpio magic %q, want 070701", hb[:6])
		}
		var fields [13]uint32
		for i := range fields {
			s := string(hb[6+8*i : 14+8*i])
			var v uint64
			for _, c := range []byte(s) {
				var d byte
				switch {
				case '0' <= c && c <= '9':
					d = c - '0'
				case 'a' <= c && c <= 'f':
					d = c - 'a' + 10
				case 'A' <= c && c <= 'F':
					d = c - 'A' + 10
				default:
					return p.errorf(member, "bad cpio header field %q", s)
				}
				v = v<<4 | uint64(d)
			}
			fields[i] = uint32(v)
		}
		mode, nlink, size, namesize := fields[1], fields[4], int64(fields[6]), fields[11]
		if namesize == 0 || namesize > 4096 {
			return p.errorf(member, "cpio name size %d", namesize)
		}
		nb := make([]byte, namesize)
		if err := read(nb); err != nil {
			return p.wrap(member, err)
		}
		if nb[namesize-1] != 0 || bytes.IndexByte(nb[:namesize-1], 0) >= 0 {
			return p.errorf(member, "cpio name is not NUL-terminated")
		}
		rawName := string(nb[:namesize-1])
		if err := align(); err != nil {
			return p.wrap(member, err)
		}
		if rawName == "TRAILER!!!" {
			return nil
		}
		m := member + ": " + rawName
		name, err := cleanPath(rawName)
		if err != nil {
			return p.wrap(m, err)
		}
		fm, err := modeFromUnix(mode)
		if err != nil {
			return p.wrap(m, err)
		}
		hf, ok := files[name]
		switch {
		case !ok:
			return p.errorf(m, "not in the header's file list")
		case hf.seen:
			return p.errorf(m, "appears twice in the payload")
		case hf.ghost:
			return p.errorf(m, "a ghost file in the payload")
		case fm.Type() != hf.mode.Type():
			return p.errorf(m, "type %v in the payload, %v in the header", fm.Type(), hf.mode.Type())
		}
		hf.seen = true
		f := File{Path: name, Mode: hf.mode, Owner: hf.owner, MTime: hf.mtime}
		switch {
		case fm.IsRegular():
			if nlink != 1 {
				return p.errorf(m, "hard links are refused")
			}
			if size != hf.size {
				return p.errorf(m, "%d bytes in the payload, %d in the header", size, hf.size)
			}
			if size > p.lim.MaxFileSize {
				return p.errorf(m, "size %d above the limit of %d bytes", size, p.lim.MaxFileSize)
			}
			if p.total = satAdd(p.total, size); p.total > p.lim.MaxTotalSize {
				return p.errorf(m, "payload above the limit of %d bytes", p.lim.MaxTotalSize)
			}
			h := sha256.New()
			w := io.Writer(h)
			var alt hash.Hash // the header's algorithm, when not SHA-256
			if hf.digest != "" && algo != 8 {
				alt = digestHash(algo)
				w = io.MultiWriter(h, alt)
			}
			n, err := io.CopyBuffer(w, io.LimitReader(r, size), buf)
			off += n
			if err != nil {
				return p.wrap(m, err)
			}
			if n != size {
				return p.wrap(m, io.ErrUnexpectedEOF)
			}
			f.Size = size
			f.SHA256 = hex.EncodeToString(h.Sum(nil))
			got := f.SHA256
			if alt != nil {
				got = hex.EncodeToString(alt.Sum(nil))
			}
			if hf.digest != "" && got != hf.digest {
				return p.errorf(m, "digest %s, but the header says %s", got, hf.digest)
			}
		case fm&fs.ModeSymlink != 0:
			if size == 0 || size > 4096 {
				return p.errorf(m, "symbolic link target of %d bytes", size)
			}
			target := make([]byte, size)
			if err := read(target); err != nil {
				return p.wrap(m, err)
			}
			if hf.link != "" && string(target) != hf.link {
				return p.errorf(m, "links to %q in the payload, %q in the header", target, hf.link)
			}
		default: // directory
			if size != 0 {
				return p.errorf(m, "directory with %d bytes of data", size)
			}
		}
		if err := align(); err != nil {
			return p.wrap(m, err)
		}
		if err := p.add(m, f); err != nil {
			return err
		}
	}
}
