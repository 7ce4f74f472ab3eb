package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// level is the deflate level of both writers. Changing it changes every
// archive's bytes. On Go binaries level 5 compresses within 0.3% of the
// default level 6 at about 1.5 times its speed.
const level = 5

// Entry is one regular file to archive.
type Entry struct {
	// Name is a clean slash-separated relative path; see CheckName.
	Name string
	// Mode must be exactly 0644 or 0755.
	Mode fs.FileMode
	// Size, if positive, is the content's length: it sizes buffers, and
	// the writers fail if the content turns out to have another length.
	// Zero means unknown.
	Size int64
	// Open returns the content. The writers call it once and close the
	// result.
	Open func() (io.ReadCloser, error)
	// Store asks WriteZip to store the entry uncompressed (files of
	// compressed formats always are). WriteTarGz ignores it.
	Store bool
	// Packed, when set, is the entry as [Pack] read and compressed it
	// ahead of time: WriteZip writes it without calling Open. WriteTarGz
	// ignores it.
	Packed *Packed
}

// Packed is an entry read, digested and compressed for a zip ahead of
// [WriteZip], as WriteZip would have done itself: a release packs each file
// as soon as its step has written it, while later steps run.
type Packed struct {
	name string
	p    packed
}

// Digest returns the digest of the content read, or the error reading it.
func (p *Packed) Digest() (Digest, error) {
	if p.p.err != nil {
		return Digest{}, p.p.err
	}
	return p.p.d.digest(p.name), nil
}

var packers = sync.Pool{New: func() any { return newPacker() }}

// Pack reads e and compresses it (or not) exactly as WriteZip would. An
// error reading it is returned by [Packed.Digest] and by WriteZip.
func Pack(e Entry) *Packed {
	pk := packers.Get().(*packer)
	defer packers.Put(pk)
	return &Packed{name: e.Name, p: pk.pack(e)}
}

// FileEntry returns an Entry for the regular file at path, archived as
// name with the given mode; the file's own mode and times are ignored.
func FileEntry(name, path string, mode fs.FileMode) Entry {
	return Entry{Name: name, Mode: mode, Open: func() (io.ReadCloser, error) {
		// Check before opening too: opening a named pipe would block.
		if fi, err := os.Stat(path); err != nil {
			return nil, err
		} else if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s: not a regular file", path)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}}
}

// BytesEntry returns an Entry holding data, archived as name with the
// given mode.
func BytesEntry(name string, data []byte, mode fs.FileMode) Entry {
	return Entry{Name: name, Mode: mode, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// Digest describes an archived file's content.
type Digest struct {
	Name   string // entry name
	Size   int64  // uncompressed size in bytes
	SHA256 string // lower-case hex SHA-256 of the uncompressed content
}

// sorted checks entries and returns them sorted by name.
func sorted(entries []Entry) ([]Entry, error) {
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	var t tree
	for _, e := range es {
		if err := CheckName(e.Name); err != nil {
			return nil, err
		}
		if e.Mode != 0o644 && e.Mode != 0o755 {
			return nil, &Error{Entry: e.Name, Reason: fmt.Sprintf("mode %v; only 0644 and 0755 are allowed", e.Mode)}
		}
		if e.Open == nil {
			return nil, &Error{Entry: e.Name, Reason: "nil Open function"}
		}
		if r := t.add(e.Name, false); r != "" {
			return nil, &Error{Entry: e.Name, Reason: r}
		}
	}
	return es, nil
}

// digester hashes what is written to it.
type digester struct {
	sha hash.Hash
	crc uint32
	n   int64
}

func newDigester() *digester { return &digester{sha: sha256.New()} }

func (d *digester) Write(p []byte) (int, error) {
	d.sha.Write(p)
	d.crc = crc32.Update(d.crc, crc32.IEEETable, p)
	d.n += int64(len(p))
	return len(p), nil
}

func (d *digester) digest(name string) Digest {
	return Digest{Name: name, Size: d.n, SHA256: hex.EncodeToString(d.sha.Sum(nil))}
}

// sizeErr reports content that is shorter or longer than the want bytes
// promised by Entry.Size or the file's size.
func sizeErr(name string, want int64, longer bool) error {
	what := "shorter"
	if longer {
		what = "longer"
	}
	return &Error{Entry: name, Reason: fmt.Sprintf("content %s than the expected %d bytes (file changed?)", what, want)}
}

// A deflated (or stored) entry, ready to be written.
type packed struct {
	data   []byte
	d      *digester
	method uint16
	err    error
}

// compressed lists the name suffixes of formats that are compressed
// already: WriteZip stores them rather than deflating them again, which
// would cost time and save nothing.
var compressed = []string{".gz", ".tgz", ".zip", ".deb", ".rpm", ".apk", ".xz", ".zst", ".bz2"}

// stored reports whether WriteZip stores the entry name uncompressed.
func stored(name string) bool {
	for _, s := range compressed {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// A packer deflates entries into memory.
type packer struct {
	fw  *flate.Writer
	buf []byte
}

func newPacker() *packer {
	fw, err := flate.NewWriter(nil, level)
	if err != nil {
		panic(err) // level is valid
	}
	return &packer{fw: fw, buf: make([]byte, 256<<10)}
}

func (p *packer) pack(e Entry) packed {
	rc, err := e.Open()
	if err != nil {
		return packed{err: fmt.Errorf("archive: entry %q: %w", e.Name, err)}
	}
	var out bytes.Buffer
	d := newDigester()
	method := zip.Deflate
	if e.Store || stored(e.Name) {
		method = zip.Store
		out.Grow(int(min(max(e.Size, 0), 1<<30)) + 64)
		_, err = io.CopyBuffer(io.MultiWriter(d, &out), rc, p.buf)
	} else {
		out.Grow(int(min(max(e.Size, 0), 1<<30)/2) + 64)
		p.fw.Reset(&out)
		_, err = io.CopyBuffer(io.MultiWriter(d, p.fw), rc, p.buf)
		if err == nil {
			err = p.fw.Close()
		}
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return packed{err: fmt.Errorf("archive: entry %q: %w", e.Name, err)}
	}
	if e.Size > 0 && d.n != e.Size {
		return packed{err: sizeErr(e.Name, e.Size, d.n > e.Size)}
	}
	if d.n >= 1<<32-1 || out.Len() >= 1<<32-1 {
		return packed{err: &Error{Entry: e.Name, Reason: "4 GiB or larger; zip64 entries are not supported"}}
	}
	return packed{data: out.Bytes(), d: d, method: method}
}

// zipTime returns the modification time WriteZip records for mtime.
func zipTime(mtime time.Time) (time.Time, error) {
	t := mtime.UTC().Truncate(time.Second)
	if epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC); t.Before(epoch) {
		t = epoch
	}
	// The extended timestamp holds an unsigned 32-bit Unix time.
	if t.Unix() > 1<<32-1 {
		return t, fmt.Errorf("archive: mtime %v beyond 2106, the zip maximum", mtime)
	}
	return t, nil
}

// zipHeader returns the header of an entry whose content is described by
// p.
func zipHeader(e Entry, t time.Time, p packed) *zip.FileHeader {
	fh := &zip.FileHeader{
		Name:               e.Name,
		CreatorVersion:     3<<8 | 20, // Unix, zip 2.0
		ReaderVersion:      20,
		Method:             p.method,
		Modified:           t,
		CRC32:              p.d.crc,
		CompressedSize64:   uint64(len(p.data)),
		UncompressedSize64: uint64(p.d.n),
		ExternalAttrs:      (0o100000 | uint32(e.Mode.Perm())) << 16, // S_IFREG | perm
	}
	// CreateRaw writes the MS-DOS time fields as given (only CreateHeader
	// derives them from Modified), so they are set here.
	//lint:ignore SA1019 the deprecated fields are the ones CreateRaw writes
	fh.ModifiedTime, fh.ModifiedDate = uint16(t.Second()/2|t.Minute()<<5|t.Hour()<<11), uint16(t.Day()|int(t.Month())<<5|(t.Year()-1980)<<9)
	// Extended timestamp: tag 0x5455, 5 bytes, flags 1 (mtime), Unix time.
	fh.Extra = binary.LittleEndian.AppendUint16(fh.Extra, 0x5455)
	fh.Extra = binary.LittleEndian.AppendUint16(fh.Extra, 5)
	fh.Extra = append(fh.Extra, 1)
	fh.Extra = binary.LittleEndian.AppendUint32(fh.Extra, uint32(t.Unix()))
	for i := 0; i < len(e.Name); i++ {
		if e.Name[i] >= utf8.RuneSelf {
			fh.Flags |= 0x800 // name is UTF-8
			break
		}
	}
	return fh
}

// WriteZip writes a zip archive of entries to w and returns the entries'
// digests, sorted by name. See the package documentation for the format.
// Entries are deflated concurrently, each into memory, by
// runtime.GOMAXPROCS(0) workers; at most twice that many deflated entries
// are held in memory at once. Entries must be smaller than 4 GiB.
func WriteZip(w io.Writer, entries []Entry, mtime time.Time) ([]Digest, error) {
	return writeZip(w, entries, mtime, runtime.GOMAXPROCS(0))
}

func writeZip(w io.Writer, entries []Entry, mtime time.Time, workers int) ([]Digest, error) {
	es, err := sorted(entries)
	if err != nil {
		return nil, err
	}
	t, err := zipTime(mtime)
	if err != nil {
		return nil, err
	}
	workers = max(1, min(workers, len(es)))

	results := make([]chan packed, len(es))
	for i := range results {
		results[i] = make(chan packed, 1)
	}
	var (
		done   = make(chan struct{})
		jobs   = make(chan int)
		window = make(chan struct{}, 2*workers) // packed entries not yet written
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		defer close(jobs)
		for i := range es {
			select {
			case window <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- i:
			case <-done:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			p := newPacker()
			for i := range jobs {
				if pre := es[i].Packed; pre != nil && pre.name == es[i].Name {
					results[i] <- pre.p
					continue
				}
				results[i] <- p.pack(es[i])
			}
		})
	}
	defer func() {
		close(done)
		wg.Wait()
	}()

	zw := zip.NewWriter(w)
	ds := make([]Digest, len(es))
	for i, e := range es {
		p := <-results[i]
		if p.err != nil {
			return nil, p.err
		}
		fw, err := zw.CreateRaw(zipHeader(e, t, p))
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(p.data); err != nil {
			return nil, err
		}
		ds[i] = p.d.digest(e.Name)
		<-window
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return ds, nil
}

// WriteTarGz writes a gzip-compressed tar archive of entries to w and
// returns the entries' digests, sorted by name. See the package
// documentation for the format; like the zip archives, it has no directory
// entries, which keeps both formats' listings identical.
//
// The tar header needs each size before the content, so an entry without a
// Size whose Open result has no Stat method (as *os.File has) is read into
// memory first.
func WriteTarGz(w io.Writer, entries []Entry, mtime time.Time) ([]Digest, error) {
	es, err := sorted(entries)
	if err != nil {
		return nil, err
	}
	t := mtime.UTC().Truncate(time.Second)
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	gz.Header = gzip.Header{OS: 255}
	tw := tar.NewWriter(gz)
	buf := make([]byte, 256<<10)
	ds := make([]Digest, len(es))
	for i, e := range es {
		if ds[i], err = writeTarEntry(tw, e, t, buf); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return ds, nil
}

func writeTarEntry(tw *tar.Writer, e Entry, t time.Time, buf []byte) (Digest, error) {
	rc, err := e.Open()
	if err != nil {
		return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
	}
	defer rc.Close()
	var src io.Reader = rc
	size := e.Size
	if size <= 0 {
		if s, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
			fi, err := s.Stat()
			if err != nil {
				return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
			}
			size = fi.Size()
		} else {
			data, err := io.ReadAll(rc)
			if err != nil {
				return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
			}
			src, size = bytes.NewReader(data), int64(len(data))
		}
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     e.Name,
		Mode:     int64(e.Mode.Perm()),
		Size:     size,
		ModTime:  t,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
	}
	d := newDigester()
	if _, err := io.CopyBuffer(io.MultiWriter(tw, d), io.LimitReader(src, size), buf); err != nil {
		return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
	}
	if d.n < size {
		return Digest{}, sizeErr(e.Name, size, false)
	}
	if n, _ := io.ReadFull(src, buf[:1]); n > 0 {
		return Digest{}, sizeErr(e.Name, size, true)
	}
	if err := rc.Close(); err != nil {
		return Digest{}, fmt.Errorf("archive: entry %q: %w", e.Name, err)
	}
	return d.digest(e.Name), nil
}
