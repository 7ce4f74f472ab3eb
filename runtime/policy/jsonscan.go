package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a decoded JSON value.
const maxDepth = 512

// scanner reads JSON from a string, strictly: RFC 8259 syntax, valid
// UTF-8, no raw control characters in strings. Strings without escapes
// are returned as substrings of the input, so decoding a request costs
// no more than the one copy of the input into a string.
type scanner struct {
	s     string
	i     int
	depth int
}

var errEOF = errors.New("unexpected end of JSON input")

func (d *scanner) syntax(what string) error {
	if d.i >= len(d.s) {
		return errEOF
	}
	return fmt.Errorf("invalid character %s %s (offset %d)", quoteChar(d.s[d.i]), what, d.i)
}

func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < 0x20 || c >= 0x7f:
		return fmt.Sprintf("%q", rune(c))
	}
	return "'" + string(c) + "'"
}

func (d *scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *scanner) peek() byte {
	d.ws()
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// kind names the JSON type of the value starting at the next byte.
func (d *scanner) kind() string {
	switch d.peek() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	}
	return "value"
}

// str reads a string value.
func (d *scanner) str() (string, error) {
	if d.peek() != '"' {
		return "", d.syntax("looking for beginning of string")
	}
	d.i++
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			return "", d.syntax("in string literal")
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && n == 1 {
				return "", errors.New("string is not valid UTF-8")
			}
			d.i += n
		}
	}
	return "", errEOF
}

// strSlow reads the rest of a string that has escapes.
func (d *scanner) strSlow(start int) (string, error) {
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), nil
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", errEOF
			}
			e := d.s[d.i+1]
			d.i += 2
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
				r, ok := d.hex4()
				if !ok {
					return "", errors.New("invalid \\u escape in string")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u' {
						d.i += 2
						if r2, ok = d.hex4(); !ok {
							return "", errors.New("invalid \\u escape in string")
						}
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return "", errors.New("string has an unpaired UTF-16 surrogate")
					}
				}
				b.WriteRune(r)
			default:
				d.i--
				return "", d.syntax("in string escape code")
			}
		case c < 0x20:
			return "", d.syntax("in string literal")
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			d.i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && n == 1 {
				return "", errors.New("string is not valid UTF-8")
			}
			b.WriteString(d.s[d.i : d.i+n])
			d.i += n
		}
	}
	return "", errEOF
}

func (d *scanner) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(v), true
}

// number reads a number and returns its literal.
func (d *scanner) number() (string, error) {
	d.ws()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.i < len(d.s) && '1' <= d.s[d.i] && d.s[d.i] <= '9':
		d.digits()
	default:
		return "", d.syntax("in numeric literal")
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return "", d.syntax("after decimal point in numeric literal")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
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

func (d *scanner) digits() int {
	n := 0
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

func (d *scanner) literal(lit string) error {
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return d.syntax("in literal " + lit)
	}
	d.i += len(lit)
	return nil
}

// skip reads and discards any value.
func (d *scanner) skip() error {
	switch d.peek() {
	case '{':
		return d.object(func(string) error { return d.skip() })
	case '[':
		return d.array(func() error { return d.skip() })
	case '"':
		_, err := d.str()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, err := d.number()
	return err
}

// object reads an object, calling member for each key with the scanner
// positioned at the value, which member must consume.
func (d *scanner) object(member func(key string) error) error {
	if d.peek() != '{' {
		return d.syntax("looking for beginning of object")
	}
	if d.depth++; d.depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("after object key")
		}
		d.i++
		if err := member(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("after object key:value pair")
		}
	}
}

// array reads an array, calling elem with the scanner positioned at
// each element, which elem must consume.
func (d *scanner) array(elem func() error) error {
	if d.peek() != '[' {
		return d.syntax("looking for beginning of array")
	}
	if d.depth++; d.depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("after array element")
		}
	}
}

// end checks that only white space is left.
func (d *scanner) end() error {
	if d.peek() != 0 {
		return fmt.Errorf("unexpected data after the JSON value (offset %d)", d.i)
	}
	return nil
}

// foldKey reports whether key matches name as encoding/json matches
// struct field names: ignoring case, with Unicode simple folding (so
// the Kelvin sign matches k and the long s matches s).
func foldKey(key, name string) bool {
	ascii := true
	if len(key) == len(name) {
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != name[i] {
				return false
			}
		}
		if ascii {
			return true
		}
	} else {
		for i := 0; i < len(key) && ascii; i++ {
			ascii = key[i] < utf8.RuneSelf
		}
		if ascii {
			return false // names are ASCII: only the Kelvin sign and long s change length
		}
	}
	return strings.EqualFold(key, name)
}

// keyIndex maps ASCII member names to their index.
type keyIndex map[string]int

func newKeyIndex(names ...string) keyIndex {
	m := keyIndex{}
	for i, n := range names {
		m[n] = i
	}
	return m
}

// find returns the index of the name key matches as encoding/json would
// (see foldKey), or -1.
func (m keyIndex) find(key string, names []string) int {
	if len(key) <= 64 {
		var buf [64]byte
		ascii := true
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if ascii {
			if i, ok := m[string(buf[:len(key)])]; ok {
				return i
			}
			return -1
		}
	}
	for i, n := range names {
		if foldKey(key, n) {
			return i
		}
	}
	return -1
}

// ValueEnd returns the length of the first JSON value in data, after any
// leading white space, without decoding it: the offset just after its
// closing brace, bracket or quote, or after a scalar's last character.
// It returns -1 if data holds only the start of a value, so that a
// reader can wait for more input, and an error if data cannot be the
// start of a JSON value. It is used to answer a request as soon as its
// last byte arrives, as encoding/json's Decoder does, when requests are
// not separated by newlines.
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
			if depth > maxDepth {
				return 0, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
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
