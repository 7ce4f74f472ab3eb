package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxRequestSize is the largest encoded request, in bytes, that Decode
// accepts (1 MiB). Line readers use it as their line bound.
const MaxRequestSize = 1 << 20

// ErrTooLarge is returned for a request longer than MaxRequestSize.
var ErrTooLarge = errors.New("request larger than 1 MiB")

// requestFields lists the known request members in Request field order.
var requestFields = [...]string{
	"session_id", "agent_id", "actor", "action_type", "target",
	"operation", "policy_pack", "server", "tool", "capability",
}

func (r *Request) field(i int) *string {
	switch i {
	case 0:
		return &r.SessionID
	case 1:
		return &r.AgentID
	case 2:
		return &r.Actor
	case 3:
		return &r.ActionType
	case 4:
		return &r.Target
	case 5:
		return &r.Operation
	case 6:
		return &r.PolicyPack
	case 7:
		return &r.Server
	case 8:
		return &r.Tool
	}
	return &r.Capability
}

// Decode parses one request: a single JSON object, optionally surrounded
// by white space. It is strict where laxness could change a decision:
//
//   - the input must be valid UTF-8 and at most MaxRequestSize bytes;
//   - every known member must be a JSON string; null, numbers, booleans,
//     arrays and objects are rejected;
//   - known members are matched case-insensitively (as encoding/json
//     does), and a member given twice, in any spelling, is rejected, so a
//     request cannot mean one thing to this parser and another to a
//     different one;
//   - string values must not contain NUL;
//   - nothing may follow the object.
//
// Unknown members are ignored, whatever their type.
func Decode(data []byte) (Request, error) {
	var r Request
	if len(data) > MaxRequestSize {
		return r, ErrTooLarge
	}
	if !utf8.Valid(data) {
		return r, errors.New("request is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return r, errors.New("empty request")
	}
	if err != nil {
		return r, fmt.Errorf("bad JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return r, fmt.Errorf("request is a JSON %s, want an object", kind(tok))
	}
	var seen uint32
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return r, fmt.Errorf("bad JSON: %w", err)
		}
		key := tok.(string) // object keys are always strings
		i := fieldIndex(key)
		if i < 0 {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return r, fmt.Errorf("bad JSON in member %q: %w", key, err)
			}
			continue
		}
		name := requestFields[i]
		if seen&(1<<i) != 0 {
			return r, fmt.Errorf("member %q given more than once", name)
		}
		seen |= 1 << i
		tok, err = dec.Token()
		if err != nil {
			return r, fmt.Errorf("bad JSON in member %q: %w", name, err)
		}
		s, ok := tok.(string)
		if !ok {
			return r, fmt.Errorf("member %q is a JSON %s, want a string", name, kind(tok))
		}
		if strings.IndexByte(s, 0) >= 0 {
			return r, fmt.Errorf("member %q contains a NUL character", name)
		}
		*r.field(i) = s
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return r, fmt.Errorf("bad JSON: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return r, fmt.Errorf("bad JSON after the request: %w", err)
		}
		return r, fmt.Errorf("unexpected JSON %s after the request", kind(tok))
	}
	return r, nil
}

func fieldIndex(key string) int {
	for i, f := range requestFields {
		if strings.EqualFold(key, f) {
			return i
		}
	}
	return -1
}

func kind(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case json.Delim:
		if t == '[' {
			return "array"
		}
		return "object"
	}
	return "value"
}
