package linuxpkg

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// hashingReader passes the bytes of a bufio.Reader through a hash. It has
// a ReadByte method, so compress/gzip and compress/flate read it directly,
// without a buffer of their own, and consume exactly one gzip member.
type hashingReader struct {
	br      *bufio.Reader
	h       hash.Hash
	pending [4096]byte
	np      int
}

func (r *hashingReader) Read(b []byte) (int, error) {
	r.flush()
	n, err := r.br.Read(b)
	r.h.Write(b[:n])
	return n, err
}

func (r *hashingReader) ReadByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		if r.np == len(r.pending) {
			r.flush()
		}
		r.pending[r.np] = c
		r.np++
	}
	return c, err
}

func (r *hashingReader) flush() {
	r.h.Write(r.pending[:r.np])
	r.np = 0
}

// Sum returns the hash of the bytes read so far.
func (r *hashingReader) Sum() []byte {
	r.flush()
	return r.h.Sum(nil)
}

// readAPK reads an apk (version 2) package: concatenated gzip streams of
// an optional signature segment (.SIGN.* files), a control segment
// (.PKGINFO and install scripts) and the data segment. The SHA-256 of the
// compressed data segment must equal the datahash of .PKGINFO, and a
// payload file's APK-TOOLS.checksum.SHA1 record, when present, must match
// its contents.
func (p *pkg) readAPK(r io.Reader) (Info, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		return Info{}, p.wrap("", err)
	}
	if string(magic) == "ADB." {
		return Info{}, p.errorf("", "apk version 3 (ADB) packages are not supported")
	}

	var (
		info     Info
		datahash string
		control  bool
		sawSig   bool
	)
	// The first segment is either the signature or the control segment.
	for seg := 0; !control; seg++ {
		if seg == 2 {
			return Info{}, p.errorf("", "no .PKGINFO in the first two segments")
		}
		name := "control segment"
		if seg == 0 {
			name = "first segment"
		}
		zr, err := gzipMember(br)
		if err != nil {
			return Info{}, p.wrap(name, err)
		}
		var kind string // "sig" or "control", from the first entry
		err = p.readMetaTar(zr, name, func(entry string, data []byte) error {
			isSig := strings.HasPrefix(entry, ".SIGN.")
			switch {
			case kind == "" && isSig && seg == 0:
				kind = "sig"
			case kind == "":
				kind = "control"
			}
			switch {
			case kind == "sig" && !isSig:
				return fmt.Errorf("%s in the signature segment", entry)
			case kind == "control" && (isSig || !strings.HasPrefix(entry, ".") || strings.Contains(entry, "/")):
				return fmt.Errorf("%s in the control segment, which holds only .NAME files", entry)
			case kind == "control" && entry == ".PKGINFO":
				if control {
					return errors.New("a second .PKGINFO")
				}
				control = true
				var err error
				info, datahash, err = parsePKGINFO(data)
				return err
			}
			return nil
		})
		if err != nil {
			return Info{}, err
		}
		switch {
		case kind == "sig":
			sawSig = true
		case kind == "" && seg == 0:
			return Info{}, p.errorf(name, "empty segment")
		}
		if sawSig && seg == 1 && !control {
			return Info{}, p.errorf(name, "no .PKGINFO in the control segment")
		}
	}

	return info, p.readAPKData(&hashingReader{br: br, h: sha256.New()}, datahash)
}

// readAPKData reads the data segment through hr, which must hold exactly
// one gzip member and nothing after it.
func (p *pkg) readAPKData(hr *hashingReader, datahash string) error {
	const member = "data segment"
	zr, err := gzipMember(hr)
	if err != nil {
		return p.wrap(member, err)
	}
	err = p.readPayloadTar(zr, tarOptions{
		member:   member,
		withSHA1: true,
		verify: func(hdr *tar.Header, sum []byte) error {
			want, ok := hdr.PAXRecords["APK-TOOLS.checksum.SHA1"]
			if ok && !strings.EqualFold(want, hex.EncodeToString(sum)) {
				return fmt.Errorf("SHA-1 %x, but its APK-TOOLS.checksum.SHA1 record says %s", sum, want)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	got := hex.EncodeToString(hr.Sum())
	if n, err := io.Copy(io.Discard, hr.br); err != nil {
		return p.wrap(member, err)
	} else if n > 0 {
		return p.errorf(member, "%d bytes after the data segment", n)
	}
	if !strings.EqualFold(got, datahash) {
		return p.errorf(member, "SHA-256 %s, but .PKGINFO says datahash = %s", got, datahash)
	}
	return nil
}

// parsePKGINFO reads the "key = value" lines of .PKGINFO and returns the
// package's identity and its datahash.
func parsePKGINFO(data []byte) (Info, string, error) {
	var info Info
	var datahash string
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		if !ok {
			if line[0] == ' ' || line[0] == '\t' {
				continue // a continuation of a multi-line description
			}
			return Info{}, "", fmt.Errorf("line %d: not key = value", i+1)
		}
		var dst *string
		switch k {
		case "pkgname":
			dst = &info.Name
		case "pkgver":
			dst = &info.Version
		case "arch":
			dst = &info.Arch
		case "datahash":
			dst = &datahash
		default:
			continue
		}
		if seen[k] {
			return Info{}, "", fmt.Errorf("%s appears twice", k)
		}
		seen[k] = true
		*dst = v
	}
	for _, k := range []string{"pkgname", "pkgver", "arch", "datahash"} {
		if !seen[k] {
			return Info{}, "", fmt.Errorf("no %s", k)
		}
	}
	if len(datahash) != 64 {
		return Info{}, "", fmt.Errorf("datahash %q is not a hex SHA-256", datahash)
	}
	if _, err := hex.DecodeString(datahash); err != nil {
		return Info{}, "", fmt.Errorf("datahash %q is not a hex SHA-256", datahash)
	}
	for k, v := range map[string]string{"pkgname": info.Name, "pkgver": info.Version, "arch": info.Arch} {
		if v == "" || strings.ContainsAny(v, " \t") {
			return Info{}, "", fmt.Errorf("%s %q is empty or not one word", k, v)
		}
	}
	return info, datahash, nil
}
