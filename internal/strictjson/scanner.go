package strictjson

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a value.
type Kind byte

// Kinds. Invalid is what Scanner.Peek says of anything that cannot start
// a value, and of the end of the input.
const (
	Invalid Kind = iota
	Object
	Array
	String
	Number
	Bool
	Null
)

var kindNames = [...]string{"value", "object", "array", "string", "number", "boolean", "null"}

// String returns the kind's JSON name: "object", "array", "string",
// "number", "boolean", "null", or "value" for Invalid.
func (k Kind) String() string { return kindNames[k] }

// Scanner reads one document from a string by the package's rules,
// calling back for each member and element, so that the caller decides
// what to keep. Strings without escapes are returned as substrings of the
// input: reading a document allocates nothing of its own unless it has
// escapes or objects of more than 16 members.
type Scanner struct {
	s     string
	i     int
	depth int
}

// NewScanner returns a scanner reading s, which must be valid UTF-8.
func NewScanner(s string) (Scanner, error) {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return Scanner{}, &Error{Offset: i, Msg: "not valid UTF-8", Rule: ErrUTF8}
	}
	return Scanner{s: s}, nil
}

// Offset returns how many bytes have been read.
func (d *Scanner) Offset() int { return d.i }

// Text returns the input from offset start to the offset now: the text of
// the values read since.
func (d *Scanner) Text(start int) string { return d.s[start:d.i] }

func (d *Scanner) fail(rule error, format string, args ...any) error {
	return &Error{Offset: d.i, Msg: fmt.Sprintf(format, args...), Rule: rule}
}

// syntax returns the error for the byte at the offset, as encoding/json
// words it.
func (d *Scanner) syntax(what string) error {
	if d.i >= len(d.s) {
		return &Error{Offset: -1, Msg: "unexpected EOF"} // the offset would be only the length
	}
	c := d.s[d.i]
	q := "'" + string(c) + "'"
	switch {
	case c == '\'':
		q = `'\''`
	case c == '"':
		q = `'"'`
	case c < 0x20 || c >= 0x7f:
		q = strconv.QuoteRune(rune(c))
	}
	return d.fail(nil, "invalid character %s %s", q, what)
}

// Peek returns the kind of the next value, skipping white space.
func (d *Scanner) Peek() Kind {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			continue
		case '{':
			return Object
		case '[':
			return Array
		case '"':
			return String
		case 't', 'f':
			return Bool
		case 'n':
			return Null
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return Number
		}
		return Invalid
	}
	return Invalid
}

// next returns the next byte that is not white space, or 0 at the end.
func (d *Scanner) next() byte {
	d.Peek()
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// String reads a string value.
func (d *Scanner) String() (string, error) {
	if d.next() != '"' {
		return "", d.syntax("looking for beginning of string")
	}
	d.i++
	start := d.i
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			if c == 0 {
				return "", d.fail(ErrNUL, "NUL character in a string")
			}
			return "", d.syntax("in string literal")
		default:
			d.i++
		}
	}
	return "", d.syntax("")
}

// escaped reads the rest of a string that has escapes.
func (d *Scanner) escaped(start int) (string, error) {
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), nil
		case c < 0x20:
			if c == 0 {
				return "", d.fail(ErrNUL, "NUL character in a string")
			}
			return "", d.syntax("in string literal")
		case c != '\\':
			b.WriteByte(c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			d.i++
			return "", d.syntax("")
		}
		d.i++
		e := d.s[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := d.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if strings.HasPrefix(d.s[d.i:], `\u`) {
					d.i += 2
					if r2, err = d.hex4(); err != nil {
						return "", err
					}
				}
				if r = utf16.DecodeRune(r, r2); r == unicode.ReplacementChar {
					return "", d.fail(ErrUTF8, "string has an unpaired UTF-16 surrogate")
				}
			}
			if r == 0 {
				return "", d.fail(ErrNUL, "NUL character in a string")
			}
			b.WriteRune(r)
		default:
			d.i--
			return "", d.syntax("in string escape code")
		}
	}
	return "", d.syntax("")
}

func (d *Scanner) hex4() (rune, error) {
	if d.i+4 > len(d.s) {
		d.i = len(d.s)
		return 0, d.syntax("")
	}
	var r rune
	for range 4 {
		c := d.s[d.i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			c = c | 0x20 - 'a' + 10
		default:
			return 0, d.syntax("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		d.i++
	}
	return r, nil
}

// Number reads a number and returns its literal.
func (d *Scanner) Number() (string, error) {
	d.Peek()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return "", d.syntax("in numeric literal")
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return "", d.syntax("after decimal point in numeric literal")
		}
	}
	if d.i < len(d.s) && d.s[d.i]|0x20 == 'e' {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return "", d.syntax("in exponent of numeric literal")
		}
	}
	return d.s[start:d.i], nil
}

func (d *Scanner) digits() int {
	n := 0
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// Bool reads true or false.
func (d *Scanner) Bool() (bool, error) {
	switch d.next() {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	}
	return false, d.syntax("looking for beginning of value")
}

// Null consumes a null if one is next, and reports whether it did.
func (d *Scanner) Null() bool {
	if d.next() == 'n' && strings.HasPrefix(d.s[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

func (d *Scanner) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if d.i >= len(d.s) || d.s[d.i] != lit[k] {
			return d.syntax("in literal " + lit + " (expecting '" + lit[k:k+1] + "')")
		}
		d.i++
	}
	return nil
}

// Skip reads and discards any value.
func (d *Scanner) Skip() error {
	switch d.Peek() {
	case Object:
		return d.Object(func(string) error { return d.Skip() })
	case Array:
		return d.Array(d.Skip)
	case String:
		_, err := d.String()
		return err
	case Bool:
		_, err := d.Bool()
		return err
	case Null:
		return d.literal("null")
	case Number:
		_, err := d.Number()
		return err
	}
	return d.syntax("looking for beginning of value")
}

// Object reads an object, calling member for each key with the scanner at
// the value, which member must consume. It refuses a key given twice, in
// any spelling (see the package documentation).
func (d *Scanner) Object(member func(key string) error) error {
	var seen keySet
	more, err := d.open('{', '}', "object")
	for ; more && err == nil; more, err = d.after('}', "object key:value pair") {
		if d.next() != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		at := d.i
		key, err := d.String()
		if err != nil {
			return err
		}
		if prev, dup := seen.add(key); dup {
			d.i = at
			if prev == key {
				return d.fail(ErrDuplicate, "duplicate key %q", key)
			}
			return d.fail(ErrDuplicate, "duplicate key %q (as %q: encoding/json matches keys without regard to case)", key, prev)
		}
		if d.next() != ':' {
			return d.syntax("after object key")
		}
		d.i++
		if err := member(key); err != nil {
			return err
		}
	}
	return err
}

// Array reads an array, calling elem with the scanner at each element,
// which elem must consume.
func (d *Scanner) Array(elem func() error) error {
	more, err := d.open('[', ']', "array")
	for ; more && err == nil; more, err = d.after(']', "array element") {
		if err := elem(); err != nil {
			return err
		}
	}
	return err
}

// open reads an opening bracket and reports whether members or elements
// follow it.
func (d *Scanner) open(open, close byte, what string) (bool, error) {
	if d.next() != open {
		return false, d.syntax("looking for beginning of " + what)
	}
	if d.depth++; d.depth > MaxDepth {
		return false, d.fail(ErrDepth, "JSON nested deeper than %d levels", MaxDepth)
	}
	d.i++
	return !d.closed(close), nil
}

// after reads what follows a member or element, and reports whether
// another one follows.
func (d *Scanner) after(close byte, what string) (bool, error) {
	switch {
	case d.closed(close):
		return false, nil
	case d.next() != ',':
		return false, d.syntax("after " + what)
	}
	d.i++
	return true, nil
}

// closed consumes a closing bracket if it is next.
func (d *Scanner) closed(close byte) bool {
	if d.next() != close {
		return false
	}
	d.i++
	d.depth--
	return true
}

// End checks that only white space is left.
func (d *Scanner) End() error {
	if d.Peek(); d.i < len(d.s) {
		return d.fail(ErrTrailing, "unexpected data after the JSON value")
	}
	return nil
}

// keySet holds the keys of one object: a list while it is short, then a
// map of folded keys.
type keySet struct {
	list  [16]string
	ascii uint16 // bit i: list[i] is ASCII
	n     int
	m     map[string]string
}

// add adds k and, if a key equal to it under case folding was there,
// returns that key and true.
func (s *keySet) add(k string) (string, bool) {
	if s.m == nil {
		ascii := true
		for i := 0; i < len(k) && ascii; i++ {
			ascii = k[i] < utf8.RuneSelf
		}
		for i, x := range s.list[:s.n] {
			// ASCII keys of different lengths cannot be equal.
			if (len(x) == len(k) || !ascii || s.ascii&(1<<i) == 0) && strings.EqualFold(x, k) {
				return x, true
			}
		}
		if s.n < len(s.list) {
			if ascii {
				s.ascii |= 1 << s.n
			}
			s.list[s.n] = k
			s.n++
			return "", false
		}
		s.m = make(map[string]string, 2*len(s.list))
		for _, x := range s.list {
			s.m[fold(x)] = x
		}
	}
	f := fold(k)
	if x, ok := s.m[f]; ok {
		return x, true
	}
	s.m[f] = k
	return "", false
}

// fold returns a string that is equal for two keys exactly when
// strings.EqualFold says they are: every rune replaced by the smallest
// rune of its case-folding orbit.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// ValueEnd returns the length of the first JSON value in data, after any
// leading white space, without decoding it: the offset just after its
// closing brace, bracket or quote, or after a scalar's last character.
// It returns -1 if data holds only the start of a value, so that a
// reader can wait for more input, and an error if data cannot be the
// start of a JSON value. It is how a reader answers a value as soon as
// its last byte arrives, as encoding/json's Decoder does, when values are
// not separated by new lines.
func ValueEnd(data []byte) (int, error) {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	if i == len(data) {
		return -1, nil
	}
	switch data[i] {
	case '{', '[':
	case '"':
		j := i + 1
		for j < len(data) {
			switch data[j] {
			case '\\':
				j += 2
				continue
			case '"':
				return j + 1, nil
			}
			j++
		}
		return -1, nil
	default:
		// A scalar ends at white space or the end of the input; the
		// caller decides once it has seen the delimiter.
		for j := i; j < len(data); j++ {
			switch data[j] {
			case ' ', '\t', '\n', '\r':
				return j, nil
			case '{', '}', '[', ']', ',', ':', '"':
				return j, nil
			}
		}
		return -1, nil
	}
	depth := 0
	in := false
	for j := i; j < len(data); j++ {
		c := data[j]
		if in {
			switch c {
			case '\\':
				j++
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case '"':
			in = true
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return 0, &Error{Offset: j, Msg: ErrDepth.Error(), Rule: ErrDepth}
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return -1, nil
}
