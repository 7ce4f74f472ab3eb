package inspect

import (
	"errors"
	"fmt"
	"strings"
)

// CheckLicense reports whether expr is an SPDX licence expression (SPDX
// 2.3 Annex D) that names licences: identifiers, "+", LicenseRef-s,
// exceptions after WITH, AND, OR and parentheses. Only the syntax is
// checked, not the SPDX licence list; NONE and NOASSERTION are refused.
func CheckLicense(expr string) error {
	if expr == "" {
		return errors.New("empty licence expression")
	}
	switch strings.TrimSpace(expr) {
	case "NONE", "NOASSERTION":
		return fmt.Errorf("%s names no licence", strings.TrimSpace(expr))
	}
	p := &licParser{toks: licTokens(expr)}
	if err := p.or(); err != nil {
		return fmt.Errorf("licence expression %q: %w", expr, err)
	}
	if p.i < len(p.toks) {
		return fmt.Errorf("licence expression %q: unexpected %q", expr, p.toks[p.i])
	}
	return nil
}

// licTokens splits an expression into parentheses and words.
func licTokens(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		for f != "" {
			i := strings.IndexAny(f, "()")
			switch {
			case i < 0:
				out, f = append(out, f), ""
			case i > 0:
				out, f = append(out, f[:i]), f[i:]
			default:
				out, f = append(out, f[:1]), f[1:]
			}
		}
	}
	return out
}

type licParser struct {
	toks []string
	i    int
}

func (p *licParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

// or = and *("OR" and)
func (p *licParser) or() error {
	if err := p.and(); err != nil {
		return err
	}
	for p.peek() == "OR" {
		p.i++
		if err := p.and(); err != nil {
			return err
		}
	}
	return nil
}

// and = term *("AND" term)
func (p *licParser) and() error {
	if err := p.term(); err != nil {
		return err
	}
	for p.peek() == "AND" {
		p.i++
		if err := p.term(); err != nil {
			return err
		}
	}
	return nil
}

// term = "(" or ")" / simple ["WITH" exception]
func (p *licParser) term() error {
	switch t := p.peek(); {
	case t == "":
		return errors.New("ends where a licence is expected")
	case t == "(":
		p.i++
		if err := p.or(); err != nil {
			return err
		}
		if p.peek() != ")" {
			return errors.New("unbalanced parenthesis")
		}
		p.i++
		return nil
	case isRef(t) && !licenseRef(t), !isRef(t) && !idString(strings.TrimSuffix(t, "+")):
		return fmt.Errorf("%q is not a licence identifier", t)
	}
	p.i++
	if p.peek() == "WITH" {
		p.i++
		if t := p.peek(); !idString(t) {
			return fmt.Errorf("%q is not a licence exception", t)
		}
		p.i++
	}
	return nil
}

// idString reports whether s is an SPDX idstring (letters, digits, "-"
// and ".") and not an operator.
func idString(s string) bool {
	switch s {
	case "", "AND", "OR", "WITH", "NONE", "NOASSERTION":
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func isRef(s string) bool {
	return strings.HasPrefix(s, "LicenseRef-") || strings.HasPrefix(s, "DocumentRef-")
}

// licenseRef reports whether s is [DocumentRef-<id>:]LicenseRef-<id>.
func licenseRef(s string) bool {
	if doc, ref, ok := strings.Cut(s, ":"); ok {
		d, ok := strings.CutPrefix(doc, "DocumentRef-")
		if !ok || !idString(d) {
			return false
		}
		s = ref
	}
	r, ok := strings.CutPrefix(s, "LicenseRef-")
	return ok && idString(r)
}
