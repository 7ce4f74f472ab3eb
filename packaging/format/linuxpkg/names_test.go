package linuxpkg

import (
	"os/exec"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	tests := []struct {
		in            string
		deb, rpm, apk string // "" means an error
	}{
		{"v1.2.3", "1.2.3", "1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3", "1.2.3", "1.2.3"},
		{"v1.2.3-rc.1", "1.2.3~rc.1", "1.2.3~rc.1", "1.2.3_rc1"},
		{"v1.2.3-rc1", "1.2.3~rc1", "1.2.3~rc1", "1.2.3_rc1"},
		{"v1.2.3-rc", "1.2.3~rc", "1.2.3~rc", "1.2.3_rc"},
		{"v1.2.3-alpha.2", "1.2.3~alpha.2", "1.2.3~alpha.2", "1.2.3_alpha2"},
		{"v1.2.3-beta.10", "1.2.3~beta.10", "1.2.3~beta.10", "1.2.3_beta10"},
		{"v1.2.3-pre.3", "1.2.3~pre.3", "1.2.3~pre.3", "1.2.3_pre3"},
		{"v0.0.0-snapshot.0123456789ab", "0.0.0~snapshot.0123456789ab", "0.0.0~snapshot.0123456789ab", "0.0.0_pre~0123456789ab"},
		{"v0.0.0-snapshot.0123456789ab.dirty", "0.0.0~snapshot.0123456789ab.dirty", "0.0.0~snapshot.0123456789ab.dirty", "0.0.0_pre_p~0123456789ab"},
		{"v1.4.0-snapshot.0123456789ab", "1.4.0~snapshot.0123456789ab", "1.4.0~snapshot.0123456789ab", "1.4.0_pre~0123456789ab"},
		{"v1.2.3+build.5", "1.2.3+build.5", "1.2.3+build.5", "1.2.3_p5"},
		{"v1.2.3+5", "1.2.3+5", "1.2.3+5", "1.2.3_p5"},
		{"v1.2.3-rc.1+build.5", "1.2.3~rc.1+build.5", "1.2.3~rc.1+build.5", "1.2.3_rc1_p5"},
		{"v10.20.30", "10.20.30", "10.20.30", "10.20.30"},
		// Expressible in deb and rpm only.
		{"v1.2.3-test.1", "1.2.3~test.1", "1.2.3~test.1", ""},
		{"v1.2.3-RC.1", "1.2.3~RC.1", "1.2.3~RC.1", ""},
		{"v1.2.3-rc.1.2", "1.2.3~rc.1.2", "1.2.3~rc.1.2", ""},
		{"v1.2.3-rc.01", "1.2.3~rc.01", "1.2.3~rc.01", ""},
		{"v1.2.3+sha.5114f85", "1.2.3+sha.5114f85", "1.2.3+sha.5114f85", ""},
		{"v0.0.0-snapshot.0123456789AB", "0.0.0~snapshot.0123456789AB", "0.0.0~snapshot.0123456789AB", ""},
		{"v0.0.0-snapshot.0123456789ab.other", "0.0.0~snapshot.0123456789ab.other", "0.0.0~snapshot.0123456789ab.other", ""},
		{"v0.0.0-snapshot.0123456789ab+build.1", "0.0.0~snapshot.0123456789ab+build.1", "0.0.0~snapshot.0123456789ab+build.1", ""},
		// Expressible nowhere.
		{"v1.2.3-rc-1", "", "", ""},
		{"v1.2.3+build-1", "", "", ""},
		{"v1.2", "", "", ""},
		{"v1.2.3.4", "", "", ""},
		{"v01.2.3", "", "", ""},
		{"v1.2.3-", "", "", ""},
		{"v1.2.3-rc..1", "", "", ""},
		{"v1.2.3+", "", "", ""},
		{"v1.2.3-rc_1", "", "", ""},
		{"v1.2.3-rc~1", "", "", ""},
		{"va.b.c", "", "", ""},
		{"", "", "", ""},
		{"v1234567890.0.0", "", "", ""},
	}
	for _, tt := range tests {
		for _, f := range []struct{ format, want string }{{"deb", tt.deb}, {"rpm", tt.rpm}, {"apk", tt.apk}} {
			got, err := Version(f.format, tt.in)
			if f.want == "" {
				if err == nil {
					t.Errorf("Version(%q, %q) = %q, want an error", f.format, tt.in, got)
				}
				continue
			}
			if err != nil || got != f.want {
				t.Errorf("Version(%q, %q) = %q, %v, want %q", f.format, tt.in, got, err, f.want)
			}
			if f.format == "apk" && !apkValid(got) {
				t.Errorf("Version(%q, %q) = %q, which apk's grammar refuses", f.format, tt.in, got)
			}
		}
	}
	if _, err := Version("zip", "v1.2.3"); err == nil {
		t.Error("Version(zip) did not fail")
	}
}

func TestArchPath(t *testing.T) {
	tests := []struct {
		format, target, arch, path string
	}{
		{"deb", "linux/amd64", "amd64", "packages/cavra-runtime_1.2.3~rc.1_amd64.deb"},
		{"deb", "linux/arm64", "arm64", "packages/cavra-runtime_1.2.3~rc.1_arm64.deb"},
		{"rpm", "linux/amd64", "x86_64", "packages/cavra-runtime-1.2.3~rc.1-1.x86_64.rpm"},
		{"rpm", "linux/arm64", "aarch64", "packages/cavra-runtime-1.2.3~rc.1-1.aarch64.rpm"},
		{"apk", "linux/amd64", "x86_64", "packages/cavra-runtime_1.2.3_rc1_x86_64.apk"},
		{"apk", "linux/arm64", "aarch64", "packages/cavra-runtime_1.2.3_rc1_aarch64.apk"},
		{"deb", "darwin/amd64", "", ""},
		{"rpm", "linux/386", "", ""},
		{"msi", "linux/amd64", "", ""},
	}
	for _, tt := range tests {
		arch, err := Arch(tt.format, tt.target)
		if (err != nil) != (tt.arch == "") || arch != tt.arch {
			t.Errorf("Arch(%q, %q) = %q, %v, want %q", tt.format, tt.target, arch, err, tt.arch)
		}
		p, err := Path(tt.format, "v1.2.3-rc.1", tt.target)
		if (err != nil) != (tt.path == "") || p != tt.path {
			t.Errorf("Path(%q, v1.2.3-rc.1, %q) = %q, %v, want %q", tt.format, tt.target, p, err, tt.path)
		}
	}
	if _, err := Path("apk", "v1.2.3-test.1", "linux/amd64"); err == nil {
		t.Error("Path did not fail for a version apk cannot spell")
	}
}

// ordered lists release versions in increasing order, as each package
// manager must sort them.
var ordered = []string{
	"v0.0.0-snapshot.0123456789ab",
	"v0.0.0-snapshot.0123456789ab.dirty",
	"v0.0.0",
	"v1.2.3-alpha.1",
	"v1.2.3-beta.1",
	"v1.2.3-rc.1",
	"v1.2.3-rc.1+build.5",
	"v1.2.3-rc.2",
	"v1.2.3-rc.10",
	"v1.2.3",
	"v1.2.3+build.5",
	"v1.2.3+build.6",
	"v1.2.4-rc.1",
	"v1.2.4",
	"v1.10.0",
}

func TestAPKOrder(t *testing.T) {
	for i := 0; i+1 < len(ordered); i++ {
		a, err := Version("apk", ordered[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := Version("apk", ordered[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if c := apkCompare(a, b); c != -1 {
			t.Errorf("apk compares %s with %s: got %d, want -1", a, b, c)
		}
		if c := apkCompare(b, a); c != 1 {
			t.Errorf("apk compares %s with %s: got %d, want 1", b, a, c)
		}
	}
}

func TestDebOrder(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("no dpkg")
	}
	for i := 0; i+1 < len(ordered); i++ {
		a, _ := Version("deb", ordered[i])
		b, _ := Version("deb", ordered[i+1])
		if err := exec.Command(dpkg, "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("dpkg --compare-versions %s lt %s: %v", a, b, err)
		}
	}
}

// The rest of this file is a transcription of apk-tools' version grammar
// and comparison (src/version.c, "digit{.digit}...{letter}{_suf{#}}...
// {~hash}{-r#}"), for the tests: there is no apk on the machines that run
// them.

const (
	tokInitialDigit = iota
	tokDigit
	tokLetter
	tokSuffix
	tokSuffixNo
	tokCommitHash
	tokRevisionNo
	tokEnd
	tokInvalid
)

var apkSuffixValue = map[string]int{"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}

const apkSuffixNone = 5

type apkToken struct {
	kind   int
	suffix int
	number uint64
	value  string
}

func apkDigits(s string) (string, string) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

func apkTokens(v string) []apkToken {
	var toks []apkToken
	num := func(kind int, s string) (apkToken, string) {
		d, rest := apkDigits(s)
		if d == "" {
			return apkToken{kind: tokInvalid}, rest
		}
		var n uint64
		for _, c := range d {
			n = n*10 + uint64(c-'0')
		}
		return apkToken{kind: kind, number: n, value: d}, rest
	}
	t, s := num(tokInitialDigit, v)
	for {
		toks = append(toks, t)
		if t.kind >= tokEnd {
			return toks
		}
		if s == "" {
			t = apkToken{kind: tokEnd}
			continue
		}
		prev := t.kind
		switch c := s[0]; {
		case 'a' <= c && c <= 'z':
			if prev > tokDigit {
				t = apkToken{kind: tokInvalid}
				continue
			}
			t, s = apkToken{kind: tokLetter, value: s[:1]}, s[1:]
		case c == '.' || '0' <= c && c <= '9':
			if c == '.' {
				if prev > tokDigit {
					t = apkToken{kind: tokInvalid}
					continue
				}
				s = s[1:]
			}
			switch prev {
			case tokInitialDigit, tokDigit:
				t, s = num(tokDigit, s)
			case tokSuffix:
				t, s = num(tokSuffixNo, s)
			default:
				t = apkToken{kind: tokInvalid}
			}
		case c == '_':
			if prev > tokSuffixNo {
				t = apkToken{kind: tokInvalid}
				continue
			}
			i := 1
			for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
				i++
			}
			v, ok := apkSuffixValue[s[1:i]]
			if !ok {
				t = apkToken{kind: tokInvalid}
				continue
			}
			t, s = apkToken{kind: tokSuffix, suffix: v, value: s[1:i]}, s[i:]
		case c == '~':
			if prev >= tokCommitHash {
				t = apkToken{kind: tokInvalid}
				continue
			}
			i := 1
			for i < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[i]) >= 0 {
				i++
			}
			if i == 1 {
				t = apkToken{kind: tokInvalid}
				continue
			}
			t, s = apkToken{kind: tokCommitHash, value: s[1:i]}, s[i:]
		case c == '-':
			if prev >= tokRevisionNo || !strings.HasPrefix(s, "-r") {
				t = apkToken{kind: tokInvalid}
				continue
			}
			t, s = num(tokRevisionNo, s[2:])
		default:
			t = apkToken{kind: tokInvalid}
		}
	}
}

func apkValid(v string) bool {
	toks := apkTokens(v)
	return toks[len(toks)-1].kind == tokEnd
}

func apkCompare(a, b string) int {
	ta, tb := apkTokens(a), apkTokens(b)
	i := 0
	for ; ta[i].kind == tb[i].kind && ta[i].kind < tokEnd; i++ {
		x, y := ta[i], tb[i]
		var c int
		switch {
		case x.kind == tokDigit && (x.value[0] == '0' || y.value[0] == '0'):
			c = strings.Compare(x.value, y.value)
		case x.kind == tokInitialDigit || x.kind == tokDigit || x.kind == tokSuffixNo || x.kind == tokRevisionNo:
			c = cmpUint(x.number, y.number)
		case x.kind == tokLetter:
			c = strings.Compare(x.value, y.value)
		case x.kind == tokSuffix:
			c = cmpUint(uint64(x.suffix), uint64(y.suffix))
		default:
			c = strings.Compare(x.value, y.value)
		}
		if c != 0 {
			return c
		}
	}
	x, y := ta[i], tb[i]
	switch {
	case x.kind == y.kind:
		return 0
	case x.kind == tokSuffix && x.suffix < apkSuffixNone:
		return -1
	case y.kind == tokSuffix && y.suffix < apkSuffixNone:
		return 1
	case x.kind > y.kind:
		return -1
	default:
		return 1
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestAPKGrammar(t *testing.T) {
	for _, tt := range []struct {
		v  string
		ok bool
	}{
		{"1.2.3", true}, {"1.2.3_rc1", true}, {"1.2.3_rc", true}, {"1.2.3_pre_p~0123abc", true},
		{"1.2.3a", true}, {"1.2.3_rc1-r0", true}, {"1.2.3-r1", true},
		{"1.2.3_rc.1", false}, {"1.2.3~rc.1", false}, {"1.2.3_test1", false}, {"1.2.3-1", false},
		{"1.2.3~xyz", false}, {"1.2.3-r1_rc1", false}, {"", false}, {"v1.2.3", false},
	} {
		if got := apkValid(tt.v); got != tt.ok {
			t.Errorf("apkValid(%q) = %v, want %v", tt.v, got, tt.ok)
		}
	}
}
