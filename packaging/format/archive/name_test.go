package archive

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	good := []string{
		"a",
		"go-runtime-v1.2.3/bin/linux-amd64/cavra-runtime",
		"a/b.c/.hidden/..x/x..y",
		"ünïcode/日本語",
		"con_fig/comma,semi;plus+at@",
		"a/CONx/COM10/LPT/auxiliary",
		strings.Repeat("a", 255) + "/b",
		strings.Repeat("a/", 511) + "b",
	}
	for _, name := range good {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
	bad := map[string]string{
		"":                              "empty name",
		"/a":                            "absolute path",
		"//server/share":                "absolute path",
		"C:/a":                          "drive letter",
		"c:a":                           "drive letter",
		`C:\a`:                          "backslash",
		`\\server\share`:                "backslash",
		"a\\b":                          "backslash",
		"a/b:c":                         "colon",
		"a\x00":                         "NUL",
		"a\tb":                          "control character U+0009",
		"a\x7f":                         "control character U+007F",
		"a\u0085":                       "control character U+0085",
		"\xc0\xaf":                      "UTF-8",
		"..":                            "escapes",
		"../a":                          "escapes",
		"a/../b":                        "escapes",
		"a/b/../c":                      `".." path segment`,
		"a/b/..":                        `".." path segment`,
		".":                             `"." path segment`,
		"a/./b":                         `"." path segment`,
		"a/":                            "empty path segment",
		"a//b":                          "empty path segment",
		"a/b.":                          "dot or space",
		"a/b ":                          "dot or space",
		"a/...":                         "dot or space",
		"a/CON":                         "reserved",
		"a/nul.tar.gz":                  "reserved",
		"a/Com1.txt":                    "reserved",
		"a/lpt9":                        "reserved",
		"a/aux .c":                      "reserved",
		"a/CONOUT$":                     "reserved",
		strings.Repeat("a", 256):        "segment longer than 255",
		strings.Repeat("a/", 512) + "b": "name longer than 1024",
	}
	for name, reason := range bad {
		err := CheckName(name)
		var e *Error
		if !errors.As(err, &e) || e.Entry != name || !strings.Contains(e.Reason, reason) {
			t.Errorf("CheckName(%q) = %v, want an *Error with %q", name, err, reason)
		}
	}
}

// TestFold checks that fold agrees with strings.EqualFold.
func TestFold(t *testing.T) {
	runes := []rune("aAbBkKsSıIİiσςΣǅǄǆµΜμẞßÅåÅ\u212a\u017f\u1e9e日/")
	rng := rand.New(rand.NewPCG(5, 6))
	word := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		return b.String()
	}
	for range 200000 {
		a, b := word(), word()
		if got, want := fold(a) == fold(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("fold(%q) == fold(%q) is %v, EqualFold says %v", a, b, got, want)
		}
	}
}
