package strictjson_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/strictjson"
)

// nested returns n arrays (or objects) nested around inner.
func nested(n int, object bool, inner string) string {
	open, close := "[", "]"
	if object {
		open, close = `{"k":`, "}"
	}
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestCheckDuplicates(t *testing.T) {
	const most = strictjson.MaxDepth
	tests := []struct {
		name string
		data string
		want string // substring of the error; "" for none
		rule error  // the rule broken, if any
	}{
		{"scalar", `1`, "", nil},
		{"string", `"a"`, "", nil},
		{"null", `null`, "", nil},
		{"empty object", `{}`, "", nil},
		{"empty array", `[]`, "", nil},
		{"distinct keys", `{"a":1,"b":2,"c":3}`, "", nil},
		{"keys differing only in case", `{"a":1,"b":2,"A":3}`, `duplicate key "A" (as "a"`, strictjson.ErrDuplicate},
		{"keys equal under Unicode folding", `{"sk":1,"\u017fK":2}`, "duplicate key", strictjson.ErrDuplicate},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, "", nil},
		{"same key at different depths", `{"a":{"a":{"a":1}}}`, "", nil},
		{"same key after a closed object", `{"x":{"a":1},"a":2}`, "", nil},
		{"top-level duplicate", `{"a":1,"a":1}`, `duplicate key "a"`, strictjson.ErrDuplicate},
		{"duplicate after others", `{"a":1,"b":2,"c":3,"b":4}`, `key "b"`, strictjson.ErrDuplicate},
		{"nested duplicate", `{"x":{"y":{"a":1,"a":2}}}`, `key "a"`, strictjson.ErrDuplicate},
		{"duplicate in an object in an array", `[1,{"a":1},{"b":1,"b":2}]`, `key "b"`, strictjson.ErrDuplicate},
		{"duplicate deep in arrays", `{"x":[[[{"k":[{"a":null,"a":null}]}]]]}`, `key "a"`, strictjson.ErrDuplicate},
		{"duplicate with different values", `{"a":{"x":1},"a":[1]}`, `key "a"`, strictjson.ErrDuplicate},
		{"escaped duplicate", `{"a":1,"\u0061":2}`, `key "a"`, strictjson.ErrDuplicate},
		{"empty key duplicate", `{"":1,"":2}`, `key ""`, strictjson.ErrDuplicate},
		{"duplicate among many keys", `{` + manyKeys(40) + `,"K7":0}`, `(as "k7"`, strictjson.ErrDuplicate},
		{"many distinct keys", `{` + manyKeys(40) + `}`, "", nil},
		{"escaped NUL", `{"a":"x\u0000"}`, "NUL character", strictjson.ErrNUL},
		{"NUL in a key", `{"\u0000":1}`, "NUL character", strictjson.ErrNUL},
		{"raw NUL", "\"a\x00\"", "NUL character", strictjson.ErrNUL},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8 (offset 6)", strictjson.ErrUTF8},
		{"unpaired surrogate", `"\ud800"`, "surrogate", strictjson.ErrUTF8},
		{"paired surrogates", `"\ud83d\ude00"`, "", nil},
		{"trailing data", `{} {}`, "unexpected data after the JSON value (offset 3)", strictjson.ErrTrailing},
		{"syntax error", `{"a":1,}`, "invalid character '}' looking for beginning of object key string (offset 7)", nil},
		{"unterminated", `{"a":[1,2`, "unexpected EOF", nil},
		{"empty input", ``, "unexpected EOF", nil},
		{"not JSON", `hello`, "invalid character 'h' looking for beginning of value", nil},
		{"number key", `{1:2}`, "invalid character '1'", nil},
		{"bad literal", `[tru]`, "in literal true", nil},
		{"bad escape", `"\x"`, "in string escape code", nil},
		{"raw control", "\"\t\"", "in string literal", nil},
		{"leading zero", `01`, "unexpected data after", strictjson.ErrTrailing},
		{"most nested arrays", nested(most, false, "1"), "", nil},
		{"most nested objects", nested(most, true, "1"), "", nil},
		{"one too deep", nested(most+1, false, "1"), "nested deeper than 512 levels", strictjson.ErrDepth},
		{"deep nesting", nested(100000, false, ""), "nested deeper", strictjson.ErrDepth},
		{"deep in an object", `{"a":` + nested(most+5, true, "1") + `}`, "nested deeper", strictjson.ErrDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strictjson.CheckDuplicates([]byte(tt.data))
			checkErr(t, err, tt.want)
			if tt.rule != nil && !errors.Is(err, tt.rule) {
				t.Errorf("got %v, want it to wrap %v", err, tt.rule)
			}
		})
	}
}

// manyKeys returns n members "k0" to "k<n-1>", more than fit the
// scanner's list of keys.
func manyKeys(n int) string {
	var l []string
	for i := range n {
		l = append(l, `"k`+strconv.Itoa(i)+`":0`)
	}
	return strings.Join(l, ",")
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("got %v, want nil", err)
	case want != "" && err == nil:
		t.Errorf("got nil, want an error containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

type inner struct {
	Name string `json:"name"`
}

type doc struct {
	Type  string         `json:"type"`
	Items []inner        `json:"items"`
	Meta  map[string]int `json:"meta"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // substring of the error; "" for none
		doc  doc    // the result when accepted
	}{
		{"valid", `{"type":"t","items":[{"name":"a"},{"name":"b"}],"meta":{"x":1}}`, "",
			doc{Type: "t", Items: []inner{{"a"}, {"b"}}, Meta: map[string]int{"x": 1}}},
		{"whitespace around", " \n\t{\"type\":\"t\"}\r\n ", "", doc{Type: "t"}},
		{"fields omitted", `{}`, "", doc{}},
		{"null", `null`, "", doc{}},
		{"duplicate field", `{"type":"a","type":"b"}`, `duplicate key "type"`, doc{}},
		{"duplicate in any case", `{"type":"a","TYPE":"b"}`, `duplicate key "TYPE" (as "type"`, doc{}},
		{"duplicate in an array element", `{"items":[{"name":"a"},{"name":"a","Name":"b"}]}`, `key "Name"`, doc{}},
		{"duplicate map key", `{"meta":{"x":1,"x":2}}`, `key "x"`, doc{}},
		{"unknown field", `{"type":"t","extra":1}`, `unknown field "extra"`, doc{}},
		{"unknown nested field", `{"items":[{"name":"a","extra":true}]}`, `unknown field "extra"`, doc{}},
		{"trailing value", `{"type":"t"} {"type":"u"}`, "after the JSON value", doc{}},
		{"trailing garbage", `{"type":"t"}x`, "after the JSON value", doc{}},
		{"trailing bracket", `{"type":"t"}]`, "after the JSON value", doc{}},
		{"trailing duplicate document", `{"type":"t"}{"a":1,"a":2}`, "after the JSON value", doc{}},
		{"wrong type", `{"type":1}`, "cannot unmarshal", doc{}},
		{"syntax error", `{"type":"t",}`, "invalid character", doc{}},
		{"NUL", `{"type":"a\u0000"}`, "NUL character", doc{}},
		{"deep nesting", `{"meta":` + nested(600, true, "1") + `}`, "nested deeper", doc{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got doc
			err := strictjson.Decode([]byte(tt.data), &got)
			checkErr(t, err, tt.want)
			if tt.want == "" && !reflect.DeepEqual(got, tt.doc) {
				t.Errorf("got %+v, want %+v", got, tt.doc)
			}
		})
	}
}

func TestDecodeAny(t *testing.T) {
	var got map[string]any
	data := `{"a":[1,2.5,"x",true,null,{"b":{}}],"c":` + nested(60, false, "0") + `}`
	if err := strictjson.Decode([]byte(data), &got); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if got, want := got["a"].([]any)[1], 2.5; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	// Objects inside arrays are checked for duplicates too.
	err := strictjson.Decode([]byte(`{"a":[{"b":1},{"b":1,"b":1}]}`), &got)
	checkErr(t, err, `key "b"`)
}

// TestParse checks the tree: order, literals, the member lookup and the
// member path errors name.
func TestParse(t *testing.T) {
	v, err := strictjson.Parse([]byte(`{"b":[1.50,true,null],"A":{"x":"y\n"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.Keys, ","); got != "b,A" {
		t.Errorf("keys: got %q, want %q", got, "b,A")
	}
	if l := v.Member("B"); l == nil || len(l.Elems) != 3 || l.Elems[0].Text != "1.50" || l.Elems[1].Text != "true" || l.Elems[2].Kind != strictjson.Null {
		t.Errorf("b: got %+v, want [1.50 true null] as written", l)
	}
	if got := v.Member("a").Member("X"); got == nil || got.Text != "y\n" {
		t.Errorf("a.x: got %+v, want %q", got, "y\n")
	}
	if v.Member("c") != nil || v.Has("a") || !v.Has("A") {
		t.Errorf("Member or Has finds what is not there")
	}
	for _, tt := range []struct{ data, want string }{
		{`{"a":{"b":[1,{"c":1,"C":2}]}}`, `a.b[1]: duplicate key "C" (as "c"`},
		{`{"a":[1,2,{"x":"\u0000"}]}`, `a[2].x: NUL character in a string`},
		{`{"a":{"b":tru}}`, `a.b: invalid character '}' in literal true`},
	} {
		if _, err := strictjson.Parse([]byte(tt.data)); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%s): got %v, want an error starting %q", tt.data, err, tt.want)
		}
	}
}

// TestScannerAllocs pins what reading a request costs: nothing beyond the
// input, for a document without escapes.
func TestScannerAllocs(t *testing.T) {
	s := `{"session_id":"s1","action_type":"execute_command","target":"terraform plan","extra":{"a":[1,2.5,true,null]}}`
	got := testing.AllocsPerRun(100, func() {
		d, err := strictjson.NewScanner(s)
		if err == nil {
			err = d.Skip()
		}
		if err == nil {
			err = d.End()
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	if got != 0 {
		t.Errorf("got %v allocations, want 0", got)
	}
}

func TestValueEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{"a":"}"}x`, 9},
		{` [1,[2]] `, 8},
		{`{"a":"\"}"}`, 11},
		{`{"a":`, -1},
		{`"ab\"c" `, 7},
		{`"ab`, -1},
		{`123 `, 3},
		{`123`, -1},
		{`   `, -1},
	}
	for _, tt := range tests {
		if got, err := strictjson.ValueEnd([]byte(tt.in)); got != tt.want || err != nil {
			t.Errorf("ValueEnd(%q): got %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
}

// TestAppendEscaped checks AppendEscaped against encoding/json for
// strings full of characters JSON escapes.
func TestAppendEscaped(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/<>&", "\n\r\t\b\f\x00\x01\x1f\x7f", "é😀\u2028\u2029\ufeff", "\xff\xc3(", "a\xe2\x80"} {
		want, _ := json.Marshal(s)
		if got := append(strictjson.AppendEscaped([]byte{'"'}, s), '"'); string(got) != string(want) {
			t.Errorf("AppendEscaped(%q): got %s, want %s", s, got, want)
		}
	}
}

// TestNames checks that a key finds the member encoding/json would fill,
// and Exact only the member spelled as it is.
func TestNames(t *testing.T) {
	n := strictjson.NewNames("session_id", "target", "sk")
	for _, tt := range []struct {
		key          string
		index, exact int
	}{
		{"target", 1, 1}, {"TARGET", 1, -1}, {"Session_ID", 0, -1}, {"\u017fk", 2, -1}, {"s\u212a", 2, -1},
		{"targets", -1, -1}, {"", -1, -1}, {strings.Repeat("x", 40), -1, -1},
	} {
		if got := n.Index(tt.key); got != tt.index {
			t.Errorf("Index(%q): got %d, want %d", tt.key, got, tt.index)
		}
		if got := n.Exact(tt.key); got != tt.exact {
			t.Errorf("Exact(%q): got %d, want %d", tt.key, got, tt.exact)
		}
	}
}
