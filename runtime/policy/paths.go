package policy

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSpellings is the number of spellings of one path that are matched.
const maxSpellings = 4

// spellings appends to out the spellings of target that a file system may
// resolve to the same file, target first, each once:
//
//  1. the path as sent;
//  2. a file: URL reduced to its decoded path, and backslashes read as
//     separators ("a\\..\\.env" is "a/../.env");
//  3. that, cleaned by path.Clean: "./.env", "a/../.env" and
//     "deploy//key.pem" are ".env" and "deploy/key.pem";
//  4. the Windows reading of the cleaned path: trailing dots and spaces
//     dropped from each segment and NTFS stream suffixes (":stream",
//     "::$DATA") removed, as Windows itself does (".env." is ".env").
//
// Both kinds of pack match every spelling (and ignore case where they
// say so), and the most restrictive answer wins, so each spelling can
// only add a block or an approval.
func spellings(target string, out []string) []string {
	out = append(out, target)
	if !strings.ContainsFunc(target, func(r rune) bool { return r == '/' || r == '\\' || r == ':' }) &&
		target != "." && target != ".." && !windowsSensitive(target) {
		return out // a plain name: nothing changes it
	}
	t := target
	if len(t) >= 5 && strings.EqualFold(t[:5], "file:") {
		if u, err := url.Parse(t); err == nil && u.Path != "" {
			t = u.Path
		}
	}
	t = strings.ReplaceAll(t, `\`, "/")
	c := path.Clean(t)
	for _, s := range [...]string{t, c, windowsForm(c)} {
		if s != "." && s != out[len(out)-1] && (len(out) < 2 || s != out[len(out)-2]) {
			out = append(out, s)
		}
	}
	return out
}

// needsSpellings reports, fast, whether target may have other spellings
// or letters in other cases, so that spellings or case can change a
// match.
func needsSpellings(t string) bool {
	if t == "" {
		return false
	}
	if c := t[len(t)-1]; c == '/' || c == '.' || c == ' ' {
		return true
	}
	prev := byte('/')
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case 'A' <= c && c <= 'Z', c >= utf8.RuneSelf, c == '\\', c == ':',
			c == '/' && prev == '/' && i > 0,                                             // a//b
			c == '.' && prev == '/' && (i+1 == len(t) || t[i+1] == '/' || t[i+1] == '.'), // ./ and ../
			(c == '.' || c == ' ') && i+1 < len(t) && t[i+1] == '/':                      // "a./", "a /"
			return true
		}
		prev = t[i]
	}
	return false
}

// windowsForm returns p as Windows would resolve its segments. It
// returns p unchanged, without allocating, when there is nothing to do.
func windowsForm(p string) string {
	if !windowsSensitive(p) {
		return p
	}
	segs := strings.Split(p, "/")
	changed := false
	for i, s := range segs {
		n := s
		if j := strings.IndexByte(n, ':'); j >= 0 && !(i == 0 && isDrive(n)) {
			n = n[:j]
		}
		if strings.Trim(n, ".") != "" {
			n = strings.TrimRight(n, ". ")
		}
		if n != s {
			segs[i] = n
			changed = true
		}
	}
	if !changed {
		return p
	}
	return path.Clean(strings.Join(segs, "/"))
}

func isDrive(s string) bool {
	return len(s) == 2 && s[1] == ':' && ('a' <= s[0]|0x20 && s[0]|0x20 <= 'z')
}

// windowsSensitive reports whether p has a ':' or a segment ending in a
// dot or a space.
func windowsSensitive(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case ':':
			return true
		case '.', ' ':
			if i+1 == len(p) || p[i+1] == '/' {
				return true
			}
		}
	}
	return false
}

// pathForms holds the folded spellings of a path, split into segments,
// for native path rules. It has room for typical paths so that it can
// live on the stack.
type pathForms struct {
	n    int
	lens [maxSpellings]int
	segs [maxSpellings][24]string
	big  [maxSpellings][]string // a spelling too long for segs
}

func (f *pathForms) init(target string) {
	var buf [maxSpellings]string
	f.n = 0
	for _, s := range spellings(target, buf[:0]) {
		i := f.n
		f.n++
		s = foldString(s)
		if n := strings.Count(s, "/") + 1; n > len(f.segs[i]) {
			f.big[i] = splitSegs(s, make([]string, 0, n))
		} else {
			f.big[i], f.lens[i] = nil, len(splitSegs(s, f.segs[i][:0]))
		}
	}
}

func (f *pathForms) form(i int) []string {
	if f.big[i] != nil {
		return f.big[i]
	}
	return f.segs[i][:f.lens[i]]
}

// splitSegs splits a slash-separated path into segments. An absolute
// path starts with an empty segment, which a pattern's leading / matches.
func splitSegs(p string, out []string) []string {
	if p == "" {
		return out
	}
	if p[0] == '/' {
		out = append(out, "")
		if p = p[1:]; p == "" {
			return out
		}
	}
	for {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return append(out, p)
		}
		out = append(out, p[:i])
		p = p[i+1:]
	}
}

// foldString case-folds s: the one rule of case both kinds of pack
// match by where they ignore it. Besides lower case, it maps the two
// non-ASCII runes that fold to ASCII letters (KELVIN SIGN and LATIN SMALL
// LETTER LONG S), which case-insensitive file systems treat as k and s.
// It returns s itself, without allocating, when s is folded ASCII.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.Map(func(r rune) rune {
				switch r {
				case '\u212a':
					return 'k'
				case '\u017f':
					return 's'
				}
				return unicode.ToLower(r)
			}, s)
		}
	}
	return s
}
