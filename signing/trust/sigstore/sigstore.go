// Package sigstore reads the two documents of Sigstore's keyless signing
// that a verifier needs offline, with the standard library alone: the
// bundle (<file>.sigstore.json: a signature with its certificate, log
// entries and timestamps) and the trusted root (trusted_root.json: the
// certificate authorities, transparency logs, CT logs and timestamp
// authorities to trust, each with the time it is valid for).
//
// Both are the protobuf-specs messages in protobuf's JSON mapping, as
// sigstore-go, cosign and sigstore-js write them: lowerCamel names, bytes
// in base64 (standard or URL-safe, padded or not), 64-bit integers as
// strings or numbers, times in RFC 3339. Reading them here decides nothing
// about trust: package github.com/cavra/cavra/signing/trust/keyless checks
// a bundle against a trusted root, and the release's signing step writes
// both (with sigstore-go) and reads them back with this package.
//
// A bundle is read strictly, as sigstore-go reads it with protojson: an
// unknown field, a duplicate key or trailing data is an error. A trusted
// root is operator-supplied trusted material that newer releases of the
// specification extend, so fields this package does not know are ignored;
// duplicate keys are still an error.
package sigstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// Bytes is a bytes field of protobuf's JSON mapping: base64, standard or
// URL-safe, with or without padding.
type Bytes []byte

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("bytes: %w", err)
	}
	d, err := decodeBase64(s)
	if err != nil {
		return err
	}
	*b = d
	return nil
}

// MarshalJSON implements json.Marshaler: standard base64, padded.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if d, err := enc.Strict().DecodeString(s); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("bytes: %.40q is not base64", s)
}

// Int64 is a 64-bit integer field of protobuf's JSON mapping: a string or a
// number.
type Int64 int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int64) UnmarshalJSON(data []byte) error {
	s := string(data)
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("int64: %s is not a whole number", data)
	}
	*n = Int64(v)
	return nil
}

// MarshalJSON implements json.Marshaler: a string, as protojson writes it.
func (n Int64) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(n), 10))
}

// Timestamp is a google.protobuf.Timestamp field: RFC 3339 in UTC.
type Timestamp struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = v
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// decode decodes one JSON document into v: duplicate keys (in any case
// spelling, which encoding/json would merge; see package strictjson) are an
// error, and unknown fields too when strict.
func decode(data []byte, v any, strict bool) error {
	if err := strictjson.CheckDuplicates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("data after the JSON value")
	}
	return nil
}
