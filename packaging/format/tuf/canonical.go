package tuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/cavra/cavra/internal/strictjson"
)

// A Value is JSON as [Decode] returns it: map[string]any, []any, string,
// json.Number (an integer), bool or nil.
type Value = any

// Decode parses one JSON value, refusing duplicate or case-variant keys
// (which parsers resolve differently), numbers that are not integers
// (canonical JSON has none) and data after the value.
func Decode(data []byte) (Value, error) {
	if err := strictjson.CheckDuplicates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v Value
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// EncodeCanonical returns the canonical JSON of v that TUF signs (OLPC
// canonical JSON, as go-securesystemslib's cjson writes it): object keys
// sorted by their bytes, no white space, integers only, and in strings only
// the quote and the backslash escaped, every other byte as it is. Its
// output is not always valid JSON (a newline in a string stays a newline):
// it is what signatures are computed over, never a file.
func EncodeCanonical(v Value) ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, v, canonicalString, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// EncodeFile returns v in the one form a metadata file of a package may
// take: canonical JSON whose strings are escaped as JSON needs (the quote,
// the backslash and control characters, nothing else), then a newline. It
// is canonical JSON made valid JSON, so that any JSON reader (go-tuf's
// among them) reads the file and a file that differs from it in any byte
// (white space, key order, an escape, a number spelled 1.0) is refused.
func EncodeFile(v Value) ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, v, fileString, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Marshal encodes a Go value (a struct with json tags) as [EncodeFile]
// does, through encoding/json and [Decode].
func Marshal(x any) ([]byte, error) {
	data, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return EncodeFile(v)
}

// Normalize checks that data is in the form [EncodeFile] writes and
// returns its value. The error says how it differs.
func Normalize(data []byte) (Value, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("not canonical JSON: %w", err)
	}
	want, err := EncodeFile(v)
	if err != nil {
		return nil, fmt.Errorf("not canonical JSON: %w", err)
	}
	if !bytes.Equal(data, want) {
		i := 0
		for i < len(data) && i < len(want) && data[i] == want[i] {
			i++
		}
		return nil, fmt.Errorf("not canonical JSON: differs from its canonical form at byte %d (white space, key order, escapes or number spelling)", i)
	}
	return v, nil
}

const maxDepth = 64

func encode(b *bytes.Buffer, v Value, str func(*bytes.Buffer, string) error, depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deeply")
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		n, err := v.Int64()
		if err != nil || strconv.FormatInt(n, 10) != v.String() {
			return fmt.Errorf("number %s is not an integer in canonical form", v)
		}
		b.WriteString(v.String())
	case string:
		return str(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encode(b, e, str, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := str(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := encode(b, v[k], str, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("cannot encode %T as canonical JSON", v)
	}
	return nil
}

func canonicalString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string %q is not UTF-8", s)
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return nil
}

func fileString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string %q is not UTF-8", s)
	}
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return nil
}
