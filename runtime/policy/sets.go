package policy

import "strings"

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

func (s *pathSet) add(r crule) {
	ri := int32(len(s.rules))
	s.rules = append(s.rules, r)
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

func (s *cmdSet) add(r crule) {
	ri := int32(len(s.rules))
	s.rules = append(s.rules, r)
	for _, g := range r.globs {
		id := int32(len(s.ents))
		s.ents = append(s.ents, entry{rule: ri, g: g})
		if f := g.segs[0]; f.kind == segLit {
			if s.byFirst == nil {
				s.byFirst = make(map[string][]int32)
			}
			s.byFirst[f.text] = append(s.byFirst[f.text], id)
		} else {
			s.scan = append(s.scan, id)
		}
	}
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
