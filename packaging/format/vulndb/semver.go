package vulndb

import (
	"cmp"
	"regexp"
	"strings"
)

// The versions of the database are semantic versions without a "v" (OSV's
// SEMVER ranges: "1.2.3", "1.27.0-0", "0" for the beginning of time). A
// binary records its modules as "v1.2.3" and the Go release as "go1.27.3";
// [Semver] brings both to the database's form.

// Semver returns version in the database's form: "v1.2.3" and "1.2.3" as
// "1.2.3"; a Go release "go1.27.3" as "1.27.3", "go1.27" as "1.27.0",
// "go1.27rc1" as "1.27.0-rc.1"; "" when version is neither (e.g. "(devel)").
func Semver(version string) string {
	if strings.HasPrefix(version, "go") {
		return goSemver(version)
	}
	v := strings.TrimPrefix(version, "v")
	if _, ok := parse(v); !ok {
		return ""
	}
	return v
}

var goTag = regexp.MustCompile(`^go(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?$`)

func goSemver(tag string) string {
	tag, _, _ = strings.Cut(tag, " ") // "go1.27.3 X:boringcrypto"
	if tag == "go1" {
		return "1.0.0"
	}
	m := goTag.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	patch := m[3]
	if patch == "" {
		patch = "0"
	}
	v := m[1] + "." + m[2] + "." + patch
	if m[4] != "" {
		v += "-" + m[4] + "." + m[5]
	}
	return v
}

// GoVersion returns a database version of the standard library in the
// spelling of a Go release: "1.27.4" as "go1.27.4", "1.21.0" as "go1.21.0",
// "1.27.0-rc.1" as "go1.27rc1" (before go1.21, a .0 release is "go1.20").
func GoVersion(v string) string {
	p, ok := parse(v)
	if !ok {
		return v
	}
	s := "go" + p.major + "." + p.minor
	if p.pre != "" {
		kind, n, _ := strings.Cut(p.pre, ".")
		return s + kind + n
	}
	if p.patch != "0" || compare(v, "1.21.0") >= 0 {
		s += "." + p.patch
	}
	return s
}

// version is a parsed semantic version.
type version struct {
	major, minor, patch string
	pre                 string // without the "-"
}

// parse parses "MAJOR.MINOR.PATCH[-PRE][+BUILD]".
func parse(v string) (version, bool) {
	v, _, _ = strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 || (hasPre && pre == "") {
		return version{}, false
	}
	for _, p := range parts {
		if !digits(p) || (len(p) > 1 && p[0] == '0') {
			return version{}, false
		}
	}
	for _, id := range strings.Split(pre, ".") {
		if hasPre && (id == "" || strings.Trim(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "") {
			return version{}, false
		}
	}
	return version{parts[0], parts[1], parts[2], pre}, true
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// compare compares two versions of the database's form as semantic
// versioning orders them, "0" being before every version. An invalid
// version sorts before every valid one.
func compare(a, b string) int {
	if a == "0" || b == "0" {
		switch {
		case a == b:
			return 0
		case a == "0":
			return -1
		}
		return 1
	}
	pa, oka := parse(a)
	pb, okb := parse(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for _, c := range [][2]string{{pa.major, pb.major}, {pa.minor, pb.minor}, {pa.patch, pb.patch}} {
		if r := compareNum(c[0], c[1]); r != 0 {
			return r
		}
	}
	switch {
	case pa.pre == pb.pre:
		return 0
	case pa.pre == "":
		return 1 // a release after its pre-releases
	case pb.pre == "":
		return -1
	}
	x, y := strings.Split(pa.pre, "."), strings.Split(pb.pre, ".")
	for i := 0; i < len(x) && i < len(y); i++ {
		nx, ny := digits(x[i]), digits(y[i])
		var r int
		switch {
		case nx && ny:
			r = compareNum(x[i], y[i])
		case nx:
			r = -1 // numeric identifiers before alphanumeric ones
		case ny:
			r = 1
		default:
			r = strings.Compare(x[i], y[i])
		}
		if r != 0 {
			return r
		}
	}
	return cmp.Compare(len(x), len(y))
}

// compareNum compares two decimal numbers of any length.
func compareNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// sameMinor reports whether two versions have the same major and minor.
func sameMinor(a, b string) bool {
	pa, oka := parse(a)
	pb, okb := parse(b)
	return oka && okb && pa.major == pb.major && pa.minor == pb.minor
}
