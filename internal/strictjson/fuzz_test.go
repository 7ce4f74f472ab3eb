package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cavra/cavra/internal/strictjson"
)

var seeds = []string{
	`{}`, `null`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"A":2}`, `{"sk":1,"\u017fK":2}`, `{"a":{"b":[1,{"c":"d"}]}}`,
	`{"a":[{"b":1},{"b":1,"b":2}]}`, `{"a":1,"\u0061":2}`, `{"a":1} {"b":2}`, `{"x":1e400}`, `{"\ud800":"\udfff"}`,
	`{"a":"\xff","\xfe":1}`, `[1,2]`, `"s"`, `"a\u0000b"`, `{"n":-0,"f":1.5e-7,"i":12345678901234567890}`,
	`[1,true,false,null,"\u00e9\ud83d\ude00\n\/"]`, ` [ ] `, `{"a":}`, `01`, `[1,]`, `"\x01"`,
	nested(64, true, "1"), nested(65, false, "[]"), nested(strictjson.MaxDepth, false, "0"), nested(strictjson.MaxDepth+1, true, "{}"),
}

// FuzzDifferential checks Parse against encoding/json: every document
// both accept decodes to the same value, and every document that
// encoding/json accepts and Parse refuses breaks one of the package's
// rules (a key given twice in any spelling, a NUL character, invalid
// UTF-8, too deep), which the test confirms on its own.
func FuzzDifferential(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, err := strictjson.Parse(data)
		var theirs any
		jerr := json.Unmarshal(data, &theirs)
		switch {
		case err == nil && jerr == nil:
			got, ok := toAny(ours)
			if !ok {
				t.Fatalf("%q: a number encoding/json reads is out of range for Parse", data)
			}
			if !reflect.DeepEqual(got, theirs) {
				t.Fatalf("%q: Parse reads %#v, encoding/json %#v", data, got, theirs)
			}
		case err == nil:
			// Parse keeps number literals, so it may read a number
			// encoding/json cannot hold in a float64; nothing else.
			if _, ok := toAny(ours); ok {
				t.Fatalf("%q: Parse accepts what encoding/json refuses: %v", data, jerr)
			}
		case jerr == nil:
			checkRule(t, data, theirs, err)
		}
		// Decode and CheckDuplicates follow the same rules.
		var m any
		if derr := strictjson.Decode(data, &m); (derr == nil) != (err == nil && jerr == nil) {
			t.Fatalf("%q: Decode says %v, Parse %v, encoding/json %v", data, derr, err, jerr)
		}
		if cerr := strictjson.CheckDuplicates(data); (cerr == nil) != (err == nil) {
			t.Fatalf("%q: CheckDuplicates says %v, Parse %v", data, cerr, err)
		}
	})
}

// checkRule checks that err names a rule data really breaks; theirs is
// what encoding/json made of data.
func checkRule(t *testing.T, data []byte, theirs any, err error) {
	t.Helper()
	var broken bool
	switch {
	case errors.Is(err, strictjson.ErrDuplicate):
		broken = hasFoldedDuplicate(data)
	case errors.Is(err, strictjson.ErrNUL):
		broken = holds(theirs, "\x00")
	case errors.Is(err, strictjson.ErrUTF8):
		broken = !utf8.Valid(data) || holds(theirs, "\ufffd")
	case errors.Is(err, strictjson.ErrDepth):
		broken = depth(data) > strictjson.MaxDepth
	}
	if !broken {
		t.Fatalf("%q: encoding/json accepts it, Parse refuses it for no documented rule: %v", data, err)
	}
}

func toAny(v *strictjson.Value) (any, bool) {
	switch v.Kind {
	case strictjson.Object:
		m := map[string]any{}
		for i, k := range v.Keys {
			e, ok := toAny(v.Elems[i])
			if !ok {
				return nil, false
			}
			m[k] = e
		}
		return m, true
	case strictjson.Array:
		l := []any{}
		for _, e := range v.Elems {
			x, ok := toAny(e)
			if !ok {
				return nil, false
			}
			l = append(l, x)
		}
		return l, true
	case strictjson.String:
		return v.Text, true
	case strictjson.Number:
		f, err := strconv.ParseFloat(v.Text, 64)
		return f, err == nil
	case strictjson.Bool:
		return v.Text == "true", true
	}
	return nil, true
}

// holds reports whether a key or string in v contains s.
func holds(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case []any:
		for _, e := range v {
			if holds(e, s) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, s) || holds(e, s) {
				return true
			}
		}
	}
	return false
}

// hasFoldedDuplicate reports, with encoding/json's token reader, whether
// an object of data has two keys equal under case folding.
func hasFoldedDuplicate(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object, key bool
		keys        []string
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := len(stack) - 1
		if k, ok := tok.(string); ok && top >= 0 && stack[top].object && stack[top].key {
			for _, x := range stack[top].keys {
				if strings.EqualFold(x, k) {
					return true
				}
			}
			stack[top].keys = append(stack[top].keys, k)
			stack[top].key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		}
		if top >= 0 && stack[top].object {
			stack[top].key = true
		}
	}
}

// depth returns the deepest nesting of a valid document.
func depth(data []byte) int {
	d, most, in := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == '{' || c == '['):
			d++
			most = max(most, d)
		case !in && (c == '}' || c == ']'):
			d--
		}
	}
	return most
}
