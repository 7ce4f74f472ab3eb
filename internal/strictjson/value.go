package strictjson

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Value is a parsed JSON value that keeps member order and number
// literals, so that a document can be printed back as it was written.
type Value struct {
	Kind  Kind     // the JSON type
	Text  string   // a string's value; a number, true, false or null as written
	Keys  []string // an object's keys, in order
	Elems []*Value // an object's values (Keys[i] holds Elems[i]) or an array's elements
}

// Parse parses a whole document by the package's rules.
func Parse(data []byte) (*Value, error) {
	d, err := NewScanner(string(data))
	if err != nil {
		return nil, err
	}
	v, err := d.value("")
	if err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return v, nil
}

// value reads a value at path (for errors).
func (d *Scanner) value(path string) (*Value, error) {
	v := &Value{Kind: d.Peek()}
	var err error
	switch v.Kind {
	case Object:
		err = d.Object(func(key string) error {
			e, err := d.value(join(path, key))
			v.Keys, v.Elems = append(v.Keys, key), append(v.Elems, e)
			return err
		})
	case Array:
		err = d.Array(func() error {
			e, err := d.value(path + "[" + strconv.Itoa(len(v.Elems)) + "]")
			v.Elems = append(v.Elems, e)
			return err
		})
	case String:
		v.Text, err = d.String()
	case Number:
		v.Text, err = d.Number()
	case Bool:
		start := d.i
		_, err = d.Bool()
		v.Text = d.s[start:d.i]
	case Null:
		err = d.literal("null")
		v.Text = "null"
	default:
		err = d.syntax("looking for beginning of value")
	}
	var e *Error
	if errors.As(err, &e) && e.Path == "" {
		e.Path = path
	}
	return v, err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Member returns the value of the member whose key matches name in any
// spelling (Parse has made sure there is at most one), or nil.
func (v *Value) Member(name string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i, k := range v.Keys {
		if strings.EqualFold(k, name) {
			return v.Elems[i]
		}
	}
	return nil
}

// Has reports whether v is an object with a member spelled exactly name.
func (v *Value) Has(name string) bool {
	return v != nil && v.Kind == Object && slices.Contains(v.Keys, name)
}
