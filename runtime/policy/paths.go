package policy

import (
	"net/url"
	"path"
	"strings"
)

// maxForms is the number of spellings of one path that are matched.
const maxForms = 3

// pathForms holds the folded spellings of a path that path rules are
// matched against, split into segments (see init). It has room for
// typical paths so that it can live on the stack.
type pathForms struct {
	n    int
	lens [maxForms]int
	segs [maxForms][24]string
	big  [maxForms][]string // a spelling too long for segs
}

func (f *pathForms) form(i int) []string {
	if f.big[i] != nil {
		return f.big[i]
	}
	return f.segs[i][:f.lens[i]]
}

func (f *pathForms) add(p string) {
	i := f.n
	f.n++
	n := countSegs(p)
	if n > len(f.segs[i]) {
		f.big[i] = splitSegs(p, make([]string, 0, n))
		return
	}
	f.lens[i] = len(splitSegs(p, f.segs[i][:0]))
}

// init sets f to the spellings of target:
//
//  1. the cleaned path: backslashes turned into slashes, then
//     path.Clean, so "./a/../.env" and "a\\..\\.env" become ".env";
//  2. the Windows reading of the cleaned path, if different: trailing
//     dots and spaces dropped from each segment and NTFS stream suffixes
//     (":stream", "::$DATA") removed, as Windows itself does;
//  3. the uncleaned path, if different from the cleaned one.
//
// A file: URL is reduced to its decoded path first. Deny rules match if
// any spelling matches, so each extra spelling can only add blocks.
func (f *pathForms) init(target string) {
	t := target
	if !strings.ContainsAny(t, "/\\:") && t != "." && t != ".." && !windowsSensitive(t) {
		// A plain name: cleaning and the Windows reading change nothing.
		f.n, f.lens[0], f.big[0] = 1, 1, nil
		f.segs[0][0] = foldString(t)
		return
	}
	if len(t) >= 5 && strings.EqualFold(t[:5], "file:") {
		if u, err := url.Parse(t); err == nil && u.Path != "" {
			t = u.Path
		}
	}
	if strings.IndexByte(t, '\\') >= 0 {
		t = strings.ReplaceAll(t, `\`, "/")
	}
	c := path.Clean(t)
	f.n = 0
	f.add(foldString(c))
	if w := windowsForm(c); w != c {
		f.add(foldString(w))
	}
	if t != c {
		f.add(foldString(t))
	}
}

func countSegs(p string) int { return strings.Count(p, "/") + 1 }

// splitSegs splits a slash-separated path into segments. An absolute
// path starts with an empty segment, which a pattern's leading / matches.
func splitSegs(p string, out []string) []string {
	if p == "" {
		return out
	}
	if p[0] == '/' {
		out = append(out, "")
		p = p[1:]
		if p == "" {
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
