package explain

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	"github.com/cavra/cavra/packaging/format/linuxpkg"
)

// maxRead bounds what is decompressed from one archive being explained.
const maxRead = 4 << 30

// entry is one archive entry, its fields as they are compared and shown.
type entry struct {
	name   string
	fields [5]string // mode, owner, time, size, digest
}

var fieldNames = [5]string{"mode", "owner", "time", "size", "digest"}

func newEntry(name string, mode fs.FileMode, owner string, mtime time.Time, size int64, digest string) entry {
	t := ""
	if !mtime.IsZero() {
		t = mtime.UTC().Format(time.RFC3339)
	}
	return entry{name, [5]string{mode.String(), owner, t, strconv.FormatInt(size, 10), digest}}
}

// hashAll returns the hex SHA-256 of what r holds and its size, reading at
// most *budget bytes, which it lowers.
func hashAll(r io.Reader, budget *int64) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, *budget+1))
	if err != nil {
		return "", n, err
	}
	if *budget -= n; *budget < 0 {
		return "", n, errors.New("more than the bytes an explanation reads")
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Zip explains why two zips differ, entry by entry. A zip records no owner.
func Zip(expected, actual []byte, l Labels) []Difference {
	return entries(expected, actual, l, "zip", zipEntries)
}

func zipEntries(data []byte) ([]entry, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	budget := int64(maxRead)
	var out []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		sum, n, err := hashAll(rc, &budget)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, newEntry(f.Name, f.Mode(), "", f.Modified, n, sum))
	}
	return out, nil
}

// TarGz explains why two gzip-compressed tar archives differ, entry by
// entry.
func TarGz(expected, actual []byte, l Labels) []Difference {
	return entries(expected, actual, l, "tar.gz", tarEntries)
}

func tarEntries(data []byte) ([]entry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	budget := int64(maxRead)
	var out []entry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		sum, n, err := hashAll(tr, &budget)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			sum = ""
		}
		owner := strconv.Itoa(hdr.Uid) + ":" + strconv.Itoa(hdr.Gid)
		if hdr.Uname != "" || hdr.Gname != "" {
			owner = hdr.Uname + ":" + hdr.Gname
		}
		out = append(out, newEntry(hdr.Name, hdr.FileInfo().Mode(), owner, hdr.ModTime, n, sum))
	}
}

// LinuxPackage explains why two Linux packages of format ("deb", "rpm" or
// "apk") differ: their metadata, then their payload entry by entry, as
// package linuxpkg reads them.
func LinuxPackage(format string, expected, actual []byte, l Labels) []Difference {
	ia, fa, errA := linuxpkg.Read(format, bytes.NewReader(expected), linuxpkg.DefaultLimits)
	ib, fb, errB := linuxpkg.Read(format, bytes.NewReader(actual), linuxpkg.DefaultLimits)
	if errA != nil || errB != nil {
		return unreadable(format, expected, actual, errA, errB, l)
	}
	var diffs []Difference
	for _, f := range []struct{ name, a, b string }{
		{"name", ia.Name, ib.Name}, {"version", ia.Version, ib.Version}, {"release", ia.Release, ib.Release}, {"arch", ia.Arch, ib.Arch},
	} {
		if f.a != f.b {
			diffs = append(diffs, Difference{Kind: KindMetadata, Field: f.name, Expected: f.a, Actual: f.b,
				Detail: fmt.Sprintf("package %s: %s %q, %s %q", f.name, l.Expected, f.a, l.Actual, f.b)})
		}
	}
	conv := func(files []linuxpkg.File) []entry {
		out := make([]entry, len(files))
		for i, f := range files {
			var t time.Time
			if f.MTime != 0 {
				t = time.Unix(f.MTime, 0)
			}
			out[i] = newEntry(f.Path, f.Mode, f.Owner, t, f.Size, f.SHA256)
		}
		return out
	}
	diffs = append(diffs, compareEntries(conv(fa), conv(fb), l)...)
	if len(diffs) == 0 {
		diffs = append(diffs, firstByte(KindBytes, "every entry and the metadata agree; the package's own bytes (compression, headers, signatures) differ: ", expected, actual, l))
	}
	return diffs
}

// entries explains two archives read with read.
func entries(expected, actual []byte, l Labels, format string, read func([]byte) ([]entry, error)) []Difference {
	ea, errA := read(expected)
	eb, errB := read(actual)
	if errA != nil || errB != nil {
		return unreadable(format, expected, actual, errA, errB, l)
	}
	diffs := compareEntries(ea, eb, l)
	if len(diffs) == 0 {
		diffs = append(diffs, firstByte(KindBytes, "every entry agrees; the archive's own bytes (compression, headers, order) differ: ", expected, actual, l))
	}
	return diffs
}

func unreadable(format string, expected, actual []byte, errA, errB error, l Labels) []Difference {
	var diffs []Difference
	for _, u := range []struct {
		label string
		err   error
	}{{l.Expected, errA}, {l.Actual, errB}} {
		if u.err != nil {
			diffs = append(diffs, Difference{Kind: KindUnreadable, Detail: fmt.Sprintf("the %s file is not a readable %s: %v", u.label, format, u.err)})
		}
	}
	return append(diffs, firstByte(KindBytes, "", expected, actual, l))
}

// compareEntries lists, by name, the entries only one side has and every
// field that differs, at most MaxEntries of them.
func compareEntries(a, b []entry, l Labels) []Difference {
	index := func(es []entry) map[string]entry {
		m := make(map[string]entry, len(es))
		for _, e := range es {
			m[e.name] = e
		}
		return m
	}
	ma, mb := index(a), index(b)
	var diffs []Difference
	more := 0
	add := func(d Difference) {
		if len(diffs) < MaxEntries {
			diffs = append(diffs, d)
		} else {
			more++
		}
	}
	for _, n := range union(ma, mb) {
		ea, oka := ma[n]
		eb, okb := mb[n]
		switch {
		case !oka:
			add(Difference{Kind: KindEntry, Name: n, Field: "name", Actual: n, Detail: fmt.Sprintf("%s: only in the %s file", n, l.Actual)})
			continue
		case !okb:
			add(Difference{Kind: KindEntry, Name: n, Field: "name", Expected: n, Detail: fmt.Sprintf("%s: only in the %s file", n, l.Expected)})
			continue
		}
		for i, f := range fieldNames {
			if ea.fields[i] != eb.fields[i] {
				add(Difference{Kind: KindEntry, Name: n, Field: f, Expected: ea.fields[i], Actual: eb.fields[i],
					Detail: fmt.Sprintf("%s: %s %s %s, %s %s", n, f, l.Expected, show(ea.fields[i]), l.Actual, show(eb.fields[i]))})
			}
		}
	}
	if more > 0 {
		diffs = append(diffs, Difference{Kind: KindMore, Detail: fmt.Sprintf("and %d more differences", more)})
	}
	return diffs
}

func show(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}
