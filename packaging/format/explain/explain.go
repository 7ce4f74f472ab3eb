// Package explain says why two builds of one file differ, the way
// golang.org/x/build/cmd/gorebuild does for Go's own releases, with the
// standard library alone: the rebuilder explains a binary that does not
// match (package rebuild), and the reproducibility test two releases that do
// not (package reprotest).
//
// For an executable ([Binary]):
//
//  1. the Go build information that differs (debug/buildinfo): toolchain,
//     main package and module, each build setting, each dependency;
//  2. then the first section of the executable, in file order, whose bytes
//     differ (debug/elf, debug/macho, debug/pe), with the file offset of the
//     first differing byte and how far into the section it is; sections that
//     only one of the two has; or, when every section agrees, the first
//     differing byte outside them (headers, symbol tables, padding).
//
// For an archive ([Zip], [TarGz]) or a Linux package ([LinuxPackage]),
// every entry is compared by name, and each field that differs is one
// [Difference]: present in only one (field "name"), "mode", "owner",
// "time", "size" and "digest" (SHA-256 of the contents); for a package also
// its metadata (name, version, release, architecture). At most [MaxEntries]
// entry differences are listed, then how many more there are. When every
// entry agrees, the archive's own bytes differ (compression, headers) and
// the first differing byte is named.
//
// [File] picks the explanation from the file's name and contents.
package explain

import (
	"bytes"
	"fmt"
	"strings"
)

// The kinds of [Difference].
const (
	KindBuildInfo  = "buildinfo"  // Name: "toolchain", "path", "main", "setting <key>", "dependency <path>"
	KindSection    = "section"    // Name: the section; Offset: the first differing byte
	KindSections   = "sections"   // the section tables differ; Name: the section only one has
	KindHeaders    = "headers"    // every section agrees; Offset: the first differing byte
	KindBytes      = "bytes"      // not a format this package reads; Offset: the first differing byte
	KindEntry      = "entry"      // an archive or package entry; Name: its path; Field: what differs
	KindMetadata   = "metadata"   // a Linux package's metadata; Field: name, version, release, arch
	KindUnreadable = "unreadable" // one of the two could not be read as its name says
	KindMore       = "more"       // more entry differences than MaxEntries
)

// MaxEntries bounds the entry differences listed for one archive.
const MaxEntries = 100

// Difference is one way two builds of a file differ.
type Difference struct {
	Kind     string `json:"kind"`
	Name     string `json:"name,omitempty"`
	Field    string `json:"field,omitempty"`
	Expected string `json:"expected,omitempty"` // the value in the first file (the shipped one)
	Actual   string `json:"actual,omitempty"`   // the value in the second (the rebuilt one)
	Offset   int64  `json:"offset,omitempty"`   // the file offset of the first differing byte, in the first file
	Detail   string `json:"detail"`             // the whole difference in one sentence
}

func (d Difference) String() string { return d.Detail }

// Labels name the two files in the sentences, e.g. "shipped" and "rebuilt".
type Labels struct{ Expected, Actual string }

// Rebuilt are the labels of a rebuild: the shipped file and the rebuilt one.
var Rebuilt = Labels{"shipped", "rebuilt"}

// File explains why expected and actual, two builds of the file name,
// differ: by the name's extension for archives and Linux packages, by the
// contents for executables, else the first differing byte. It returns nil
// when they are the same.
func File(name string, expected, actual []byte, l Labels) []Difference {
	if bytes.Equal(expected, actual) {
		return nil
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		return Zip(expected, actual, l)
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return TarGz(expected, actual, l)
	case strings.HasSuffix(lower, ".deb"):
		return LinuxPackage("deb", expected, actual, l)
	case strings.HasSuffix(lower, ".rpm"):
		return LinuxPackage("rpm", expected, actual, l)
	case strings.HasSuffix(lower, ".apk"):
		return LinuxPackage("apk", expected, actual, l)
	case executable(expected) || executable(actual):
		return Binary(expected, actual, l)
	}
	return []Difference{firstByte(KindBytes, "", expected, actual, l)}
}

// firstByte names the first byte at which a and b differ, and their sizes
// when they differ.
func firstByte(kind, where string, a, b []byte, l Labels) Difference {
	off := firstDiff(a, b)
	d := Difference{Kind: kind, Offset: int64(off)}
	d.Detail = fmt.Sprintf("%sfirst differing byte at offset %d (%#x)", where, off, off)
	if len(a) != len(b) {
		d.Expected, d.Actual = fmt.Sprint(len(a)), fmt.Sprint(len(b))
		d.Detail += fmt.Sprintf("; %s %d bytes, %s %d bytes", l.Expected, len(a), l.Actual, len(b))
	}
	return d
}

// firstDiff returns the index of the first byte where a and b differ, or
// the length of the shorter when one is a prefix of the other.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
