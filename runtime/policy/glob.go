package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type segKind uint8

const (
	segLit  segKind = iota // literal text
	segWild                // text with * or ?
	segAny                 // **: any number of segments, including none
)

// gseg is one compiled pattern segment.
type gseg struct {
	kind segKind
	text string
	// For segWild: the literal text before the first and after the last
	// wildcard, and whether text is exactly pre*suf.
	pre, suf string
	simple   bool
}

// glob is a compiled pattern: a sequence of segments. Path patterns are
// split at '/', command patterns at white space (one segment per word).
type glob struct {
	src  string
	segs []gseg
}

// compileGlob compiles pat. For paths (cmd false) segments are separated
// by '/', and a leading '/' anchors the pattern at the root. For
// commands, segments are the words of pat. If fold is set the pattern is
// case-folded and must be matched against folded subjects.
func compileGlob(pat string, cmd, fold bool) (*glob, error) {
	if pat == "" {
		return nil, errors.New("empty pattern")
	}
	var parts []string
	if cmd {
		parts = strings.Fields(pat)
		if len(parts) == 0 {
			return nil, errors.New("empty pattern")
		}
	} else {
		parts = strings.Split(pat, "/")
	}
	g := &glob{src: pat}
	for i, p := range parts {
		if p == "" {
			if !cmd && i == 0 && len(parts) > 1 {
				g.segs = append(g.segs, gseg{kind: segLit}) // root of an absolute path
				continue
			}
			return nil, errors.New("empty segment")
		}
		if err := checkSeg(p); err != nil {
			return nil, err
		}
		s := gseg{kind: segLit, text: p}
		switch {
		case p == "**":
			s.kind = segAny
			if n := len(g.segs); n > 0 && g.segs[n-1].kind == segAny {
				continue // **/** is **
			}
		case strings.ContainsAny(p, "*?"):
			s.kind = segWild
		}
		if fold {
			s.text = foldString(s.text)
		}
		if s.kind == segWild {
			t := s.text
			s.pre = t[:strings.IndexAny(t, "*?")]
			s.suf = t[strings.LastIndexAny(t, "*?")+1:]
			s.simple = strings.Count(t, "*") == 1 && !strings.Contains(t, "?")
		}
		g.segs = append(g.segs, s)
	}
	return g, nil
}

func checkSeg(p string) error {
	if strings.Contains(p, "**") && p != "**" {
		return errors.New("** must be a whole segment")
	}
	for _, r := range p {
		switch {
		case r == '\\':
			return errors.New("backslash not allowed (use / as the separator)")
		case strings.ContainsRune("[]{}", r):
			return fmt.Errorf("unsupported character %q (only *, ? and ** are special)", r)
		case r == utf8.RuneError, unicode.IsControl(r):
			return fmt.Errorf("invalid character %q", r)
		}
	}
	return nil
}

// String returns the pattern source.
func (g *glob) String() string { return g.src }

// match reports whether the pattern matches the whole of segs.
func (g *glob) match(segs []string) bool { return matchSegs(g.segs, segs) }

// matchSegs matches pattern segments against subject segments. ** may
// match any run of segments; other segments match exactly one.
func matchSegs(ps []gseg, ss []string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(ss) || pi < len(ps) {
		if pi < len(ps) {
			p := &ps[pi]
			if p.kind == segAny {
				star, mark = pi, si
				pi++
				continue
			}
			if si < len(ss) && matchOne(p, ss[si]) {
				pi++
				si++
				continue
			}
		}
		if star >= 0 && mark < len(ss) {
			mark++
			pi, si = star+1, mark
			continue
		}
		return false
	}
	return true
}

// matchOne matches one non-** segment against one subject segment.
func matchOne(p *gseg, s string) bool {
	if p.kind == segLit {
		return p.text == s
	}
	if !strings.HasPrefix(s, p.pre) || !strings.HasSuffix(s, p.suf) {
		return false
	}
	if p.simple {
		return len(s) >= len(p.pre)+len(p.suf)
	}
	return wildMatch(p.text, s)
}

// wildMatch matches p, where * matches any run of characters and ? any
// one character, against all of s.
func wildMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				star, mark = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if star >= 0 {
			_, n := utf8.DecodeRuneInString(s[mark:])
			mark += n
			pi, si = star+1, mark
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// foldString case-folds s for case-insensitive matching. It returns s
// itself, without allocating, when s is already folded ASCII.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return foldSlow(s)
		}
	}
	return s
}

func foldSlow(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune maps r to its lower case, also mapping the two non-ASCII
// runes that case-fold to ASCII letters (KELVIN SIGN and LATIN SMALL
// LETTER LONG S), which case-insensitive file systems treat as k and s.
func foldRune(r rune) rune {
	switch r {
	case '\u212a':
		return 'k'
	case '\u017f':
		return 's'
	}
	return unicode.ToLower(r)
}
