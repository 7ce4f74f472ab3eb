package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// node is a JSON value that keeps member order and number literals, so
// that a compiled policy can be printed back exactly as CAVRA's compiler
// prints it.
type node struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' boolean, 'z' null
	text string
	keys []string
	vals []*node
}

// parseTree parses one JSON value strictly (see scanner), rejecting an
// object key given twice and anything after the value.
func parseTree(data []byte) (*node, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	d := scanner{s: string(data)}
	if d.peek() == 0 {
		return nil, fmt.Errorf("empty file")
	}
	n, err := d.tree()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return n, nil
}

func (d *scanner) tree() (*node, error) {
	switch d.peek() {
	case '{':
		n := &node{kind: 'o'}
		var seen keySet
		err := d.object(func(key string) error {
			if seen.add(key) {
				return fmt.Errorf("key %q given more than once", key)
			}
			v, err := d.tree()
			n.keys = append(n.keys, key)
			n.vals = append(n.vals, v)
			return err
		})
		return n, err
	case '[':
		n := &node{kind: 'a'}
		err := d.array(func() error {
			v, err := d.tree()
			n.vals = append(n.vals, v)
			return err
		})
		return n, err
	case '"':
		s, err := d.str()
		return &node{kind: 's', text: s}, err
	case 't':
		return &node{kind: 'b', text: "true"}, d.literal("true")
	case 'f':
		return &node{kind: 'b', text: "false"}, d.literal("false")
	case 'n':
		return &node{kind: 'z', text: "null"}, d.literal("null")
	}
	lit, err := d.number()
	return &node{kind: 'n', text: lit}, err
}

var kindNames = map[byte]string{'o': "an object", 'a': "a list", 's': "a string", 'n': "a number", 'b': "a boolean", 'z': "null"}

// member returns the value of the member whose key matches name as
// encoding/json matches field names (ignoring case), and fails if two
// keys match.
func (n *node) member(where, name string) (*node, error) {
	var found *node
	for i, k := range n.keys {
		if foldKey(k, name) {
			if found != nil {
				return nil, fmt.Errorf("%s%s: given more than once (in any spelling)", where, name)
			}
			found = n.vals[i]
		}
	}
	return found, nil
}

// appendPython appends n as Python's json.dumps(n, indent=2,
// ensure_ascii=False) writes it, which is how `cavra policy compile`
// prints a compiled policy.
func (n *node) appendPython(b []byte, indent int) []byte {
	switch n.kind {
	case 'o':
		if len(n.keys) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, k := range n.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = pyNewline(b, indent+2)
			b = appendPyString(b, k)
			b = append(b, ": "...)
			b = n.vals[i].appendPython(b, indent+2)
		}
		b = pyNewline(b, indent)
		return append(b, '}')
	case 'a':
		if len(n.vals) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, v := range n.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = pyNewline(b, indent+2)
			b = v.appendPython(b, indent+2)
		}
		b = pyNewline(b, indent)
		return append(b, ']')
	case 's':
		return appendPyString(b, n.text)
	}
	return append(b, n.text...)
}

func pyNewline(b []byte, indent int) []byte {
	b = append(b, '\n')
	for range indent {
		b = append(b, ' ')
	}
	return b
}

// appendPyString quotes s as Python's json module does with
// ensure_ascii=False.
func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if c < 0x20 {
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// stringList reads a list of strings, CAVRA's way: entries trimmed,
// empty ones dropped. null is an empty list.
func (n *node) stringList(where string) ([]string, error) {
	if n == nil || n.kind == 'z' {
		return nil, nil
	}
	if n.kind != 'a' {
		return nil, fmt.Errorf("%s: is %s, want a list of strings", where, kindNames[n.kind])
	}
	var l []string
	for i, v := range n.vals {
		if v.kind != 's' {
			return nil, fmt.Errorf("%s[%d]: is %s, want a string", where, i, kindNames[v.kind])
		}
		if s := strings.TrimSpace(v.text); s != "" {
			l = append(l, s)
		}
	}
	return l, nil
}

func (n *node) object(where string) (*node, error) {
	if n == nil || n.kind == 'z' {
		return &node{kind: 'o'}, nil
	}
	if n.kind != 'o' {
		return nil, fmt.Errorf("%s: is %s, want an object", where, kindNames[n.kind])
	}
	return n, nil
}

func (n *node) stringValue(where string) (string, error) {
	if n == nil || n.kind == 'z' {
		return "", nil
	}
	if n.kind != 's' {
		return "", fmt.Errorf("%s: is %s, want a string", where, kindNames[n.kind])
	}
	return n.text, nil
}

// appendGo appends n compactly, strings escaped as encoding/json escapes
// them.
func (n *node) appendGo(b []byte) []byte {
	switch n.kind {
	case 'o':
		b = append(b, '{')
		for i, k := range n.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = appendEscaped(b, k)
			b = append(b, '"', ':')
			b = n.vals[i].appendGo(b)
		}
		return append(b, '}')
	case 'a':
		b = append(b, '[')
		for i, v := range n.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.appendGo(b)
		}
		return append(b, ']')
	case 's':
		b = append(b, '"')
		b = appendEscaped(b, n.text)
		return append(b, '"')
	}
	return append(b, n.text...)
}

// WithRunnerAuth returns the request JSON with its runner_auth (in any
// spelling) replaced by a, keeping every other member as it was.
func WithRunnerAuth(request []byte, a *RunnerAuth) ([]byte, error) {
	t, err := parseTree(request)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if t.kind != 'o' {
		return nil, fmt.Errorf("request is %s, want an object", kindNames[t.kind])
	}
	out := &node{kind: 'o'}
	for i, k := range t.keys {
		if !foldKey(k, "runner_auth") {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, t.vals[i])
		}
	}
	r := Request{RunnerAuth: a}
	v := r.AppendV1(nil, false) // {"runner_auth":{…}}
	b := out.appendGo(nil)
	if len(out.keys) > 0 {
		b = append(b[:len(b)-1], ',')
	} else {
		b = b[:len(b)-1]
	}
	return append(b, v[1:]...), nil
}
