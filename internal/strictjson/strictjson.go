// Package strictjson decodes JSON documents that come from untrusted packages.
//
// Unlike a plain json.Unmarshal, [Decode] refuses a document with duplicate
// object keys (which different parsers resolve differently), keys that differ
// only in case (which encoding/json takes for the same field, the last one
// winning), fields the target type does not have, and data after the first
// value.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Decode decodes data into v, refusing duplicate keys, unknown fields and
// trailing data.
func Decode(data []byte, v any) error {
	if err := CheckDuplicates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// CheckDuplicates reports the first object key that appears twice in one
// object of data, or a syntax error.
func CheckDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, 0); err != nil {
		return err
	}
	return nil
}

const maxDepth = 64

// fold returns a key that is equal for two strings exactly when
// strings.EqualFold says they are: every rune replaced by the smallest rune
// of its Unicode case-folding orbit. encoding/json matches object keys to
// struct fields that way, so keys equal under it are duplicates.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

func walk(dec *json.Decoder, depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]string{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if prev, ok := seen[fold(key)]; ok {
				if prev == key {
					return fmt.Errorf("duplicate key %q", key)
				}
				return fmt.Errorf("duplicate key %q (as %q: encoding/json matches keys without regard to case)", key, prev)
			}
			seen[fold(key)] = key
			if err := walk(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walk(dec, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // closing delimiter
	return err
}
