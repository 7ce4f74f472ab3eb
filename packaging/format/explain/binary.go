package explain

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
)

// Binary explains why two builds of an executable differ: the Go build
// information that differs, then the first differing section (see the
// package documentation).
func Binary(expected, actual []byte, l Labels) []Difference {
	diffs := buildInfo(expected, actual, l)
	return append(diffs, sections(expected, actual, l)...)
}

// executable reports whether data starts like an ELF, Mach-O or PE file.
func executable(data []byte) bool {
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")), bytes.HasPrefix(data, []byte("MZ")):
		return true
	case len(data) >= 4:
		switch m := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24; m {
		case macho.Magic32, macho.Magic64, macho.MagicFat:
			return true
		}
		switch m := uint32(data[3]) | uint32(data[2])<<8 | uint32(data[1])<<16 | uint32(data[0])<<24; m {
		case macho.Magic32, macho.Magic64, macho.MagicFat:
			return true
		}
	}
	return false
}

// buildInfo compares the Go build information of two binaries.
func buildInfo(expected, actual []byte, l Labels) []Difference {
	a, errA := buildinfo.Read(bytes.NewReader(expected))
	b, errB := buildinfo.Read(bytes.NewReader(actual))
	var diffs []Difference
	add := func(name, va, vb, detail string) {
		diffs = append(diffs, Difference{Kind: KindBuildInfo, Name: name, Expected: va, Actual: vb, Detail: detail})
	}
	switch {
	case errA != nil && errB != nil:
		add("", "", "", "neither binary has Go build information")
		return diffs
	case errA != nil:
		add("", "", "", fmt.Sprintf("the %s binary has no Go build information: %v", l.Expected, errA))
		return diffs
	case errB != nil:
		add("", "", "", fmt.Sprintf("the %s binary has no Go build information: %v", l.Actual, errB))
		return diffs
	}
	if a.GoVersion != b.GoVersion {
		add("toolchain", a.GoVersion, b.GoVersion, fmt.Sprintf("toolchain: %s %s, %s %s", l.Expected, a.GoVersion, l.Actual, b.GoVersion))
	}
	if a.Path != b.Path {
		add("path", a.Path, b.Path, fmt.Sprintf("main package: %s %s, %s %s", l.Expected, a.Path, l.Actual, b.Path))
	}
	if a.Main != b.Main {
		va, vb := a.Main.Path+"@"+a.Main.Version, b.Main.Path+"@"+b.Main.Version
		add("main", va, vb, fmt.Sprintf("main module: %s %s, %s %s", l.Expected, va, l.Actual, vb))
	}
	sa, sb := settings(a.Settings), settings(b.Settings)
	for _, k := range union(sa, sb) {
		va, oka := sa[k]
		vb, okb := sb[k]
		switch {
		case !oka:
			add("setting "+k, "", vb, fmt.Sprintf("setting %s: only the %s binary has %s=%s", k, l.Actual, k, vb))
		case !okb:
			add("setting "+k, va, "", fmt.Sprintf("setting %s: only the %s binary has %s=%s", k, l.Expected, k, va))
		case va != vb:
			add("setting "+k, va, vb, fmt.Sprintf("setting %s: %s %s, %s %s", k, l.Expected, va, l.Actual, vb))
		}
	}
	da, db := deps(a), deps(b)
	for _, k := range union(da, db) {
		if da[k] != db[k] {
			add("dependency "+k, da[k], db[k], fmt.Sprintf("dependency %s: %s %q, %s %q", k, l.Expected, da[k], l.Actual, db[k]))
		}
	}
	return diffs
}

func settings(s []debug.BuildSetting) map[string]string {
	m := map[string]string{}
	for _, x := range s {
		m[x.Key] = x.Value
	}
	return m
}

// union returns the keys of a and b, sorted, each once.
func union[V any](a, b map[string]V) []string {
	all := maps.Clone(a)
	maps.Copy(all, b)
	return slices.Sorted(maps.Keys(all))
}

func deps(info *debug.BuildInfo) map[string]string {
	m := map[string]string{}
	for _, d := range info.Deps {
		v := d.Version + " " + d.Sum
		if d.Replace != nil {
			v += " => " + d.Replace.Path + "@" + d.Replace.Version + " " + d.Replace.Sum
		}
		m[d.Path] = v
	}
	return m
}

// section is the part of an executable file a section occupies.
type section struct {
	name   string
	offset int64
	size   int64
}

// sectionsOf returns the format name and the sections of an executable
// that occupy bytes of the file, in file order.
func sectionsOf(data []byte) (string, []section, error) {
	r := bytes.NewReader(data)
	var format string
	var out []section
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		f, err := elf.NewFile(r)
		if err != nil {
			return "", nil, err
		}
		format = "ELF"
		for _, s := range f.Sections {
			if s.Type == elf.SHT_NULL || s.Type == elf.SHT_NOBITS || s.Size == 0 {
				continue
			}
			out = append(out, section{s.Name, int64(s.Offset), int64(s.Size)})
		}
	case bytes.HasPrefix(data, []byte("MZ")):
		f, err := pe.NewFile(r)
		if err != nil {
			return "", nil, err
		}
		format = "PE"
		for _, s := range f.Sections {
			if s.Offset == 0 || s.Size == 0 {
				continue // uninitialised data: no bytes in the file
			}
			out = append(out, section{s.Name, int64(s.Offset), int64(s.Size)})
		}
	default:
		f, err := macho.NewFile(r)
		if err != nil {
			return "", nil, err
		}
		format = "Mach-O"
		for _, s := range f.Sections {
			if s.Offset == 0 || s.Size == 0 {
				continue // zero-fill: no bytes in the file
			}
			out = append(out, section{s.Seg + "," + s.Name, int64(s.Offset), int64(s.Size)})
		}
	}
	for _, s := range out {
		if s.offset < 0 || s.size < 0 || s.offset > int64(len(data)) || s.size > int64(len(data))-s.offset {
			return "", nil, fmt.Errorf("section %s lies outside the file", s.name)
		}
	}
	slices.SortStableFunc(out, func(a, b section) int { return int(min(max(a.offset-b.offset, -1), 1)) })
	return format, out, nil
}

// sections names the first section, in the expected file's order, whose
// bytes differ, and the sections only one file has; when every section
// agrees, the first differing byte outside them.
func sections(expected, actual []byte, l Labels) []Difference {
	if bytes.Equal(expected, actual) {
		return nil
	}
	fa, sa, errA := sectionsOf(expected)
	fb, sb, errB := sectionsOf(actual)
	switch {
	case errA != nil || errB != nil || fa != fb:
		what := fmt.Sprintf("the executables cannot be compared section by section (%s: %s, %s: %s); ", l.Expected, describe(fa, errA), l.Actual, describe(fb, errB))
		return []Difference{firstByte(KindBytes, what, expected, actual, l)}
	}
	var diffs []Difference
	byName := map[string]section{}
	for _, s := range sb {
		if _, dup := byName[s.name]; !dup {
			byName[s.name] = s
		}
	}
	inA := map[string]bool{}
	for _, s := range sa {
		inA[s.name] = true
	}
	for _, s := range sa {
		if _, ok := byName[s.name]; !ok {
			diffs = append(diffs, Difference{Kind: KindSections, Name: s.name, Detail: fmt.Sprintf("section %s (%s): only the %s binary has it", s.name, fa, l.Expected)})
		}
	}
	for _, s := range sb {
		if !inA[s.name] {
			diffs = append(diffs, Difference{Kind: KindSections, Name: s.name, Detail: fmt.Sprintf("section %s (%s): only the %s binary has it", s.name, fa, l.Actual)})
		}
	}
	for _, s := range sa {
		t, ok := byName[s.name]
		if !ok {
			continue
		}
		x, y := expected[s.offset:s.offset+s.size], actual[t.offset:t.offset+t.size]
		if bytes.Equal(x, y) {
			continue
		}
		i := firstDiff(x, y)
		d := Difference{Kind: KindSection, Name: s.name, Offset: s.offset + int64(i)}
		d.Detail = fmt.Sprintf("section %s (%s): first differing byte at offset %d (%#x), %d bytes into the section", s.name, fa, d.Offset, d.Offset, i)
		if s.size != t.size {
			d.Expected, d.Actual = fmt.Sprint(s.size), fmt.Sprint(t.size)
			d.Detail += fmt.Sprintf("; %s section %d bytes, %s %d bytes", l.Expected, s.size, l.Actual, t.size)
		}
		if s.offset != t.offset {
			d.Detail += fmt.Sprintf("; at offset %d in the %s binary", t.offset, l.Actual)
		}
		return append(diffs, d)
	}
	return append(diffs, firstByte(KindHeaders, fmt.Sprintf("every %s section agrees; outside them (headers, symbols, padding) the ", fa), expected, actual, l))
}

func describe(format string, err error) string {
	if err != nil {
		return strings.TrimSpace(err.Error())
	}
	return format
}
