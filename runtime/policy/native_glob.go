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
	g := &glob{}
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

// crule is a compiled rule: its outcome and its patterns.
type crule struct {
	res   Result
	globs []*glob
}

// entry is one pattern of one rule in a set.
type entry struct {
	rule int32
	g    *glob
	last *gseg // pattern's final segment, for a quick reject; nil if **
}

func (e *entry) matchPath(segs []string) bool {
	if e.last != nil && (len(segs) == 0 || !matchOne(e.last, segs[len(segs)-1])) {
		return false
	}
	return e.g.match(segs)
}

// pathSet is an ordered list of path rules, indexed so that a lookup
// tests only the patterns that could match. The first rule, in pack
// order, that matches wins.
type pathSet struct {
	rules  []crule
	ents   []entry
	bySeg  map[string][]int32 // a literal segment the subject must contain
	byExt  map[string][]int32 // the extension the final segment must have
	byLead [256][]int32       // the first byte the final segment must have
	scan   []int32            // patterns with no usable anchor
}

func newPathSet(rules []crule) (s pathSet) {
	s.rules = rules
	for ri, r := range rules {
		s.add(int32(ri), r)
	}
	return s
}

func (s *pathSet) add(ri int32, r crule) {
	for _, g := range r.globs {
		id := int32(len(s.ents))
		e := entry{rule: ri, g: g}
		if n := len(g.segs); n > 0 && g.segs[n-1].kind != segAny {
			e.last = &g.segs[n-1]
		}
		s.ents = append(s.ents, e)
		if ext, ok := extAnchor(g); ok {
			if s.byExt == nil {
				s.byExt = make(map[string][]int32)
			}
			s.byExt[ext] = append(s.byExt[ext], id)
		} else if lit, ok := segAnchor(g); ok {
			if s.bySeg == nil {
				s.bySeg = make(map[string][]int32)
			}
			s.bySeg[lit] = append(s.bySeg[lit], id)
		} else if e.last != nil && e.last.pre != "" {
			s.byLead[e.last.pre[0]] = append(s.byLead[e.last.pre[0]], id)
		} else {
			s.scan = append(s.scan, id)
		}
	}
}

// extAnchor reports the extension a subject must end in for g to match,
// when g's final segment is *<literal> and the literal has a dot.
func extAnchor(g *glob) (string, bool) {
	n := len(g.segs)
	if n == 0 || g.segs[n-1].kind != segWild {
		return "", false
	}
	t := g.segs[n-1].text
	if len(t) < 2 || t[0] != '*' || strings.ContainsAny(t[1:], "*?") {
		return "", false
	}
	i := strings.LastIndexByte(t, '.')
	if i < 1 {
		return "", false
	}
	return t[i:], true
}

// segAnchor returns a literal segment every match must contain,
// preferring the last one.
func segAnchor(g *glob) (string, bool) {
	for i := len(g.segs) - 1; i >= 0; i-- {
		if s := g.segs[i]; s.kind == segLit && s.text != "" {
			return s.text, true
		}
	}
	return "", false
}

func extOf(seg string) string {
	if i := strings.LastIndexByte(seg, '.'); i >= 0 {
		return seg[i:]
	}
	return ""
}

// match returns the index of the first rule matching segs, or -1.
func (s *pathSet) match(segs []string) int {
	best := int32(-1)
	for _, seg := range segs {
		if ids := s.bySeg[seg]; ids != nil {
			best = s.first(ids, segs, best)
		}
	}
	if len(segs) > 0 {
		last := segs[len(segs)-1]
		if s.byExt != nil {
			if ext := extOf(last); ext != "" {
				best = s.first(s.byExt[ext], segs, best)
			}
		}
		if last != "" {
			best = s.first(s.byLead[last[0]], segs, best)
		}
	}
	best = s.first(s.scan, segs, best)
	if best < 0 {
		return -1
	}
	return int(s.ents[best].rule)
}

// first returns the lowest entry id in ids (ascending) below best that
// matches, or best.
func (s *pathSet) first(ids []int32, segs []string, best int32) int32 {
	for _, id := range ids {
		if best >= 0 && id >= best {
			break
		}
		if s.ents[id].matchPath(segs) {
			return id
		}
	}
	return best
}

// matchAny returns the first rule matching any of the subject forms.
func (s *pathSet) matchAny(f *pathForms) int {
	best := -1
	for k := range f.n {
		if i := s.match(f.form(k)); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// cmdSet is an ordered list of command rules indexed by the pattern's
// first word (the program name).
type cmdSet struct {
	rules   []crule
	ents    []entry
	byFirst map[string][]int32
	scan    []int32
}

func newCmdSet(rules []crule) (s cmdSet) {
	s.rules, s.byFirst = rules, map[string][]int32{}
	for ri, r := range rules {
		for _, g := range r.globs {
			id := int32(len(s.ents))
			s.ents = append(s.ents, entry{rule: int32(ri), g: g})
			if f := g.segs[0]; f.kind == segLit {
				s.byFirst[f.text] = append(s.byFirst[f.text], id)
			} else {
				s.scan = append(s.scan, id)
			}
		}
	}
	return s
}

// match returns the first rule whose pattern matches the program name
// prog followed by args, or -1.
func (s *cmdSet) match(prog string, args []string) int {
	if len(s.ents) == 0 {
		return -1
	}
	return s.matchIndexed(s.byFirst[prog], prog, args)
}

// matchIndexed is match with the byFirst lookup done by the caller.
func (s *cmdSet) matchIndexed(ids []int32, prog string, args []string) int {
	best := int32(-1)
	if ids != nil {
		best = s.first(ids, prog, args, best, true)
	}
	best = s.first(s.scan, prog, args, best, false)
	if best < 0 {
		return -1
	}
	return int(s.ents[best].rule)
}

// first returns the lowest entry id in ids below best that matches, or
// best. If known, the entries' first segments are known to match prog.
func (s *cmdSet) first(ids []int32, prog string, args []string, best int32, known bool) int32 {
	for _, id := range ids {
		if best >= 0 && id >= best {
			break
		}
		g := s.ents[id].g
		if (known || matchOne(&g.segs[0], prog)) && matchSegs(g.segs[1:], args) {
			return id
		}
	}
	return best
}

// ruleList is a short ordered list of rules matched one by one.
type ruleList []crule

// match returns the index of the first rule with a pattern matching
// segs, or -1.
func (l ruleList) match(segs []string) int {
	for i := range l {
		for _, g := range l[i].globs {
			if g.match(segs) {
				return i
			}
		}
	}
	return -1
}
