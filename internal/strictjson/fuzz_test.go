package strictjson_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/cavra/cavra/internal/strictjson"
)

// FuzzDecode checks, for any input, that:
//
//   - CheckDuplicates and Decode never panic;
//   - whatever Decode accepts is valid JSON that CheckDuplicates accepts,
//     and decodes with plain encoding/json to the same value (strictness
//     only ever refuses, it never changes what a document means);
//   - an accepted document re-marshals to JSON that Decode accepts again
//     and that decodes to the same value (a fixed point);
//   - an accepted document has no duplicate keys: its re-marshalled form,
//     which cannot hold any, has as many keys as the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":"d"}]}}`,
		`{"a":[{"b":1},{"b":1,"b":2}]}`, `{"a":1,"\u0061":2}`, `{"a":1} {"b":2}`,
		`{"x":1e400}`, `{"\ud800":"\udfff"}`, `{"a":"\xff","\xfe":1}`, `[1,2]`, `"s"`,
		`{"n":-0,"f":1.5e-7,"i":12345678901234567890}`,
		nested(64, true, "1"), nested(65, false, "[]"), nested(70, true, "{}"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dupErr := strictjson.CheckDuplicates(data)
		var m map[string]any
		if err := strictjson.Decode(data, &m); err != nil {
			return
		}
		if dupErr != nil {
			t.Fatalf("Decode accepted %q that CheckDuplicates refuses: %v", data, dupErr)
		}
		if !json.Valid(data) {
			t.Fatalf("Decode accepted invalid JSON %q", data)
		}
		var plain map[string]any
		if err := json.Unmarshal(data, &plain); err != nil {
			t.Fatalf("Decode accepted %q that encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(m, plain) {
			t.Fatalf("Decode(%q) = %#v, encoding/json gives %#v", data, m, plain)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-marshal %#v: %v", m, err)
		}
		var m2 map[string]any
		if err := strictjson.Decode(again, &m2); err != nil {
			t.Fatalf("Decode refused the re-marshalled %q (from %q): %v", again, data, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the value: %#v, then %#v", m, m2)
		}
		if got, want := countKeys(t, again), countKeys(t, data); got != want {
			t.Fatalf("%q holds %d keys, its re-marshalled form %q %d: a duplicate was accepted", data, want, again, got)
		}
	})
}

// countKeys counts the object keys of a valid JSON document with the
// token reader of encoding/json, independently of the code under test.
func countKeys(t *testing.T, data []byte) int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	n := 0
	// Each stack entry says whether the container is an object and, for an
	// object, whether the next token is a key.
	type frame struct{ object, key bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].key {
			if _, ok := tok.(string); ok {
				n++
				stack[top].key = false
				continue
			}
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
		// A value has ended: in an object, a key comes next.
		if top >= 0 && stack[top].object {
			stack[top].key = true
		}
	}
}
