package linuxpkg

import (
	"errors"
	"fmt"
	"strings"
)

// Name is the package name in every format.
const Name = "cavra-runtime"

// InstalledPath is where every package installs the runtime binary.
const InstalledPath = "/usr/bin/cavra-runtime"

// RPMRelease is the RELEASE of every rpm: the packaging of one version is
// never revised, a new version is released instead.
const RPMRelease = "1"

// Formats are the package formats a release carries, in the order releases
// list them.
var Formats = []string{"deb", "rpm", "apk"}

// Targets are the release targets ("os/arch") that get packages, in the
// order releases list them.
var Targets = []string{"linux/amd64", "linux/arm64"}

// semver is a parsed release version.
type semver struct {
	core  string   // "1.2.3"
	pre   []string // pre-release identifiers, nil if none
	build []string // build metadata identifiers, nil if none
}

// parseVersion parses a semantic version with an optional leading "v".
// It refuses hyphens inside the pre-release and the build metadata: a
// Debian version without a revision cannot hold one, and neither can an apk
// version, and the packages of a release exist in every format or in none.
func parseVersion(v string) (semver, error) {
	s := strings.TrimPrefix(v, "v")
	var sv semver
	rest, build, hasBuild := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(rest, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return sv, errors.New("not MAJOR.MINOR.PATCH")
	}
	for _, n := range nums {
		if !numeric(n) {
			return sv, fmt.Errorf("%q is not a number", n)
		}
		if len(n) > 1 && n[0] == '0' {
			return sv, fmt.Errorf("%q has a leading zero", n)
		}
		if len(n) > 9 {
			return sv, fmt.Errorf("%q is too large", n)
		}
	}
	sv.core = core
	if hasPre {
		if strings.Contains(pre, "-") {
			return sv, fmt.Errorf("pre-release %q has a hyphen, which Debian and apk versions cannot hold", pre)
		}
		ids, err := identifiers(pre)
		if err != nil {
			return sv, fmt.Errorf("pre-release %q: %v", pre, err)
		}
		sv.pre = ids
	}
	if hasBuild {
		if strings.Contains(build, "-") {
			return sv, fmt.Errorf("build metadata %q has a hyphen, which Debian and apk versions cannot hold", build)
		}
		ids, err := identifiers(build)
		if err != nil {
			return sv, fmt.Errorf("build metadata %q: %v", build, err)
		}
		sv.build = ids
	}
	return sv, nil
}

// identifiers splits dot-separated semver identifiers of [0-9A-Za-z].
func identifiers(s string) ([]string, error) {
	ids := strings.Split(s, ".")
	for _, id := range ids {
		if id == "" {
			return nil, errors.New("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return nil, fmt.Errorf("identifier %q has %q", id, c)
			}
		}
	}
	return ids, nil
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func lowerHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Version returns the release version as format spells it in the package
// metadata and the file name. See the package documentation for the rules.
func Version(format, version string) (string, error) {
	sv, err := parseVersion(version)
	if err != nil {
		return "", fmt.Errorf("linuxpkg: version %q: %v", version, err)
	}
	switch format {
	case "deb", "rpm":
		v := sv.core
		if sv.pre != nil {
			v += "~" + strings.Join(sv.pre, ".")
		}
		if sv.build != nil {
			v += "+" + strings.Join(sv.build, ".")
		}
		return v, nil
	case "apk":
		v, err := apkVersion(sv)
		if err != nil {
			return "", fmt.Errorf("linuxpkg: version %q: apk: %v", version, err)
		}
		return v, nil
	}
	return "", fmt.Errorf("linuxpkg: unknown package format %q", format)
}

// apkPreSuffixes are apk's pre-release suffixes, lowest first.
var apkPreSuffixes = []string{"alpha", "beta", "pre", "rc"}

// apkNumber reports whether s can be an apk suffix number that sorts like
// the semver number it comes from.
func apkNumber(s string) bool {
	return numeric(s) && len(s) <= 18 && (len(s) == 1 || s[0] != '0')
}

// apkVersion spells sv in apk's grammar,
// digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}.
func apkVersion(sv semver) (string, error) {
	v := sv.core
	hash := ""
	if sv.pre != nil {
		id := sv.pre[0]
		switch {
		case id == "snapshot":
			if len(sv.pre) < 2 || len(sv.pre) > 3 || !lowerHex(sv.pre[1]) || len(sv.pre[1]) > 64 ||
				len(sv.pre) == 3 && sv.pre[2] != "dirty" {
				return "", fmt.Errorf("pre-release %q: want snapshot.<lowercase hex>[.dirty]", strings.Join(sv.pre, "."))
			}
			if sv.build != nil {
				return "", errors.New("a snapshot cannot also carry build metadata")
			}
			v += "_pre"
			if len(sv.pre) == 3 {
				v += "_p"
			}
			hash = "~" + sv.pre[1]
		default:
			suf := ""
			for _, s := range apkPreSuffixes {
				if strings.HasPrefix(id, s) {
					suf = s
				}
			}
			if suf == "" {
				return "", fmt.Errorf("pre-release %q: want alpha, beta, pre, rc or snapshot", strings.Join(sv.pre, "."))
			}
			num := id[len(suf):]
			switch {
			case num != "" && len(sv.pre) == 1 && apkNumber(num):
			case num == "" && len(sv.pre) == 1:
			case num == "" && len(sv.pre) == 2 && apkNumber(sv.pre[1]):
				num = sv.pre[1]
			default:
				return "", fmt.Errorf("pre-release %q: want %s, %sN or %s.N", strings.Join(sv.pre, "."), suf, suf, suf)
			}
			v += "_" + suf + num
		}
	}
	if sv.build != nil {
		var num string
		switch {
		case len(sv.build) == 1 && apkNumber(sv.build[0]):
			num = sv.build[0]
		case len(sv.build) == 2 && sv.build[0] == "build" && apkNumber(sv.build[1]):
			num = sv.build[1]
		default:
			return "", fmt.Errorf("build metadata %q: want N or build.N", strings.Join(sv.build, "."))
		}
		v += "_p" + num
	}
	return v + hash, nil
}

// Arch returns the architecture name format uses for target ("os/arch").
func Arch(format, target string) (string, error) {
	var arch string
	switch target {
	case "linux/amd64":
		arch = "x86_64"
		if format == "deb" {
			arch = "amd64"
		}
	case "linux/arm64":
		arch = "aarch64"
		if format == "deb" {
			arch = "arm64"
		}
	default:
		return "", fmt.Errorf("linuxpkg: target %q has no packages (targets: %s)", target, strings.Join(Targets, ", "))
	}
	switch format {
	case "deb", "rpm", "apk":
		return arch, nil
	}
	return "", fmt.Errorf("linuxpkg: unknown package format %q", format)
}

// Path returns the slash path, relative to the package folder, of the
// package of the given format, release version and target:
//
//	packages/cavra-runtime_<version>_<arch>.deb
//	packages/cavra-runtime-<version>-1.<arch>.rpm
//	packages/cavra-runtime_<version>_<arch>.apk
//
// with the version and architecture as [Version] and [Arch] spell them.
// These are the conventional file names nfpm gives.
func Path(format, version, target string) (string, error) {
	v, err := Version(format, version)
	if err != nil {
		return "", err
	}
	arch, err := Arch(format, target)
	if err != nil {
		return "", err
	}
	switch format {
	case "deb":
		return "packages/" + Name + "_" + v + "_" + arch + ".deb", nil
	case "rpm":
		return "packages/" + Name + "-" + v + "-" + RPMRelease + "." + arch + ".rpm", nil
	default: // apk; Version checked the format
		return "packages/" + Name + "_" + v + "_" + arch + ".apk", nil
	}
}
