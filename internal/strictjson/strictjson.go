// Package strictjson is the one JSON reader of the runtime and of the
// release's own documents: requests, compiled policies, registries, native
// packs, evidence lines, manifests, provenance and SBOMs are all read by
// its rules.
//
// A document is accepted only if it is RFC 8259 JSON and
//
//   - is valid UTF-8 throughout (encoding/json would replace bad bytes);
//   - holds no NUL character in any string, raw or escaped as \u0000;
//   - has no object with two keys that encoding/json would take for one
//     field: keys equal under Unicode case folding ("a" and "A", "sk" and
//     "ſK"), so a document cannot mean one thing here and another to a
//     reader that keeps the first or the last of them;
//   - has nothing but white space after its value;
//   - nests at most MaxDepth arrays and objects (a deeper document counts
//     as oversize, as does one longer than the limit its caller sets).
//
// What it accepts it reads as encoding/json does: FuzzDifferential checks
// that every document both accept decodes to the same value, and that the
// rules above are the only reasons this package refuses one that
// encoding/json accepts.
//
// Three ways in: Decode for a typed document (the rules, then
// encoding/json with unknown fields refused), Parse for a tree that keeps
// member order and number literals, and Scanner for a reader that
// allocates nothing where a request must be decided fast.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxDepth is the deepest nesting of arrays and objects accepted.
const MaxDepth = 512

// The rules a document can break, for errors.Is. Syntax errors wrap none
// of them.
var (
	ErrDuplicate = errors.New("duplicate key")
	ErrNUL       = errors.New("NUL character in a string")
	ErrUTF8      = errors.New("not valid UTF-8")
	ErrTrailing  = errors.New("unexpected data after the JSON value")
	ErrDepth     = fmt.Errorf("JSON nested deeper than %d levels", MaxDepth)
)

// Error is a document that breaks a rule or the JSON syntax: what, and
// where (the byte offset, and the member path when the reader knows it).
type Error struct {
	Path   string // "commands.allow"; empty at the top or when unknown
	Offset int    // -1 at the end of the input
	Msg    string // what is wrong
	Rule   error  // one of the Err values, or nil for a syntax error
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Msg
	if e.Offset >= 0 {
		msg = fmt.Sprintf("%s (offset %d)", e.Msg, e.Offset)
	}
	if e.Path != "" {
		return e.Path + ": " + msg
	}
	return msg
}

// Unwrap returns the rule broken, if any.
func (e *Error) Unwrap() error { return e.Rule }

// Decode decodes data into v by the package's rules, refusing members v
// has no field for.
func Decode(data []byte, v any) error {
	if err := CheckDuplicates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// CheckDuplicates checks data against every rule of the package, not only
// the one against repeated keys its name recalls, and returns the first
// one broken or the syntax error.
func CheckDuplicates(data []byte) error {
	d, err := NewScanner(string(data))
	if err != nil {
		return err
	}
	if err := d.Skip(); err != nil {
		return err
	}
	return d.End()
}
