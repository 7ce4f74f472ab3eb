// Package checksums reads and writes checksums.txt in the format of GNU
// sha256sum: one line per file, the lowercase hex SHA-256, two spaces, and the
// slash path relative to the file's folder, sorted by path, each line ending
// in a newline. `sha256sum -c checksums.txt` run in the package folder checks
// it.
package checksums

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/layout"
)

// Name is the file name of the checksum list at the root of a package.
const Name = "checksums.txt"

// MaxSize bounds the checksum list a reader accepts.
const MaxSize = 4 << 20

// Line is one entry: a path and its SHA-256 in lowercase hex.
type Line struct {
	Path   string
	SHA256 string
}

// SHA256 returns the hex SHA-256 of data, as checksums.txt records it.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Format returns the file's bytes for lines, sorted by path. It refuses paths
// that are not clean relative paths, digests that are not 64 lowercase hex
// digits, and duplicate paths.
func Format(lines []Line) ([]byte, error) {
	lines = slices.Clone(lines)
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(a.Path, b.Path) })
	var b bytes.Buffer
	for i, l := range lines {
		if err := check(l); err != nil {
			return nil, err
		}
		if i > 0 && lines[i-1].Path == l.Path {
			return nil, fmt.Errorf("checksums: %s listed twice", l.Path)
		}
		b.WriteString(l.SHA256 + "  " + l.Path + "\n")
	}
	return b.Bytes(), nil
}

// Parse reads a checksum list strictly: every line must be "<64 hex>  <path>"
// in the text mode of sha256sum, paths clean, relative and unique, lines
// sorted by path, the file non-empty and ending in a newline.
func Parse(data []byte) ([]Line, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("checksums: %d bytes, more than the %d allowed", len(data), MaxSize)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("checksums: empty")
	}
	if data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("checksums: last line has no newline")
	}
	var lines []Line
	for i, text := range strings.Split(string(data[:len(data)-1]), "\n") {
		n := i + 1
		sum, p, ok := strings.Cut(text, "  ")
		if !ok {
			return nil, fmt.Errorf("checksums: line %d: want \"<sha256>  <path>\"", n)
		}
		l := Line{Path: p, SHA256: sum}
		if err := check(l); err != nil {
			return nil, fmt.Errorf("checksums: line %d: %w", n, err)
		}
		if len(lines) > 0 {
			switch prev := lines[len(lines)-1].Path; {
			case prev == p:
				return nil, fmt.Errorf("checksums: line %d: %s listed twice", n, p)
			case prev > p:
				return nil, fmt.Errorf("checksums: line %d: %s out of order", n, p)
			}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func check(l Line) error {
	if len(l.SHA256) != 64 || strings.ToLower(l.SHA256) != l.SHA256 {
		return fmt.Errorf("%s: digest %q is not 64 lowercase hex digits", l.Path, l.SHA256)
	}
	if _, err := hex.DecodeString(l.SHA256); err != nil {
		return fmt.Errorf("%s: digest %q is not hex", l.Path, l.SHA256)
	}
	if strings.HasPrefix(l.Path, "*") {
		return fmt.Errorf("%s: binary-mode marker not allowed", l.Path)
	}
	return layout.CheckPath(l.Path)
}
