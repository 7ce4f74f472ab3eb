package tuf

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// TimeFormat is how metadata spells its expiry: UTC, whole seconds.
const TimeFormat = "2006-01-02T15:04:05Z"

// Signature is one signature of a metadata file: the key id and the hex
// signature over the canonical JSON of the signed part.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// Key is a public key as root metadata lists it.
type Key struct {
	Type   string   `json:"keytype"` // ed25519, ecdsa or ecdsa-sha2-nistp256
	Scheme string   `json:"scheme"`  // ed25519 or ecdsa-sha2-nistp256
	Value  KeyValue `json:"keyval"`
}

// KeyValue holds a key's public half: hex for ed25519, PEM for ECDSA.
type KeyValue struct {
	Public string `json:"public"`
}

// Role is a role's keys and threshold, in root metadata.
type Role struct {
	KeyIDs    []string `json:"keyids"`
	Threshold int      `json:"threshold"`
}

// Root is the signed part of root metadata.
type Root struct {
	Type               string           `json:"_type"`
	SpecVersion        string           `json:"spec_version"`
	ConsistentSnapshot bool             `json:"consistent_snapshot"`
	Version            int64            `json:"version"`
	Expires            string           `json:"expires"`
	Keys               map[string]*Key  `json:"keys"`
	Roles              map[string]*Role `json:"roles"`
}

// MetaFile describes a metadata file in a snapshot or timestamp.
type MetaFile struct {
	Version int64             `json:"version"`
	Length  int64             `json:"length,omitempty"`
	Hashes  map[string]string `json:"hashes,omitempty"`
}

// Timestamp is the signed part of timestamp metadata.
type Timestamp struct {
	Type        string               `json:"_type"`
	SpecVersion string               `json:"spec_version"`
	Version     int64                `json:"version"`
	Expires     string               `json:"expires"`
	Meta        map[string]*MetaFile `json:"meta"`
}

// Snapshot is the signed part of snapshot metadata.
type Snapshot struct {
	Type        string               `json:"_type"`
	SpecVersion string               `json:"spec_version"`
	Version     int64                `json:"version"`
	Expires     string               `json:"expires"`
	Meta        map[string]*MetaFile `json:"meta"`
}

// Targets is the signed part of targets metadata.
type Targets struct {
	Type        string                 `json:"_type"`
	SpecVersion string                 `json:"spec_version"`
	Version     int64                  `json:"version"`
	Expires     string                 `json:"expires"`
	Targets     map[string]*TargetFile `json:"targets"`
}

// TargetFile is one file targets metadata lists.
type TargetFile struct {
	Length int64             `json:"length"`
	Hashes map[string]string `json:"hashes"`
	Custom *Custom           `json:"custom,omitempty"`
}

// Custom is what a cavra release says of each target beyond its length and
// hashes: the release it belongs to, so that a file or a targets.json of
// another release is refused even where its bytes would pass.
type Custom struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// Metadata is one metadata file as read: who signed it, and its signed
// part, checked for its form but not yet for its signatures.
type Metadata struct {
	Role       string // the signed _type
	Version    int64
	Expires    time.Time
	Signatures []Signature
	// Signed is the canonical JSON of the signed part: what the
	// signatures sign.
	Signed []byte
	// File is the whole file, in the form [EncodeFile] writes.
	File []byte

	signed []byte // the signed part in file form, for typed decoding
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// Parse reads the metadata file data of role: at most [MaxSize] bytes, in
// the form [EncodeFile] writes, an object of "signatures" and "signed"
// alone, whose _type is role, with spec_version 1.x, a version of 1 or
// more and an expiry in [TimeFormat]. Errors say which rule failed.
func Parse(data []byte, role string) (*Metadata, error) {
	if n, max := int64(len(data)), MaxSize(role); n > max {
		return nil, fmt.Errorf("size: %d bytes, more than the %d a %s file may have", n, max, role)
	}
	v, err := Normalize(data)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok || len(top) != 2 || top["signed"] == nil || top["signatures"] == nil {
		return nil, errors.New(`form: want an object of "signatures" and "signed" alone`)
	}
	m := &Metadata{File: data}
	sigs, err := EncodeFile(top["signatures"])
	if err != nil {
		return nil, err
	}
	if err := strictjson.Decode(sigs, &m.Signatures); err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	for _, s := range m.Signatures {
		if len(s.KeyID) != 64 || !hexRE.MatchString(s.KeyID) || !hexRE.MatchString(s.Sig) || len(s.Sig)%2 != 0 {
			return nil, fmt.Errorf("signatures: key id %q or signature %.16q... is not lowercase hex", s.KeyID, s.Sig)
		}
	}
	signed, ok := top["signed"].(map[string]any)
	if !ok {
		return nil, errors.New("signed: not an object")
	}
	if m.Signed, err = EncodeCanonical(signed); err != nil {
		return nil, err
	}
	if m.signed, err = EncodeFile(signed); err != nil {
		return nil, err
	}
	var head struct {
		Type        string `json:"_type"`
		SpecVersion string `json:"spec_version"`
		Version     int64  `json:"version"`
		Expires     string `json:"expires"`
	}
	if err := json.Unmarshal(m.signed, &head); err != nil {
		return nil, fmt.Errorf("signed: %w", err)
	}
	m.Role, m.Version = head.Type, head.Version
	switch {
	case head.Type != role:
		return nil, fmt.Errorf("type: _type is %q, want %q (a %s file in the place of the %s)", head.Type, role, head.Type, role)
	case !strings.HasPrefix(head.SpecVersion, "1."):
		return nil, fmt.Errorf("spec_version %q: want 1.x", head.SpecVersion)
	case head.Version < 1:
		return nil, fmt.Errorf("version %d: want 1 or more", head.Version)
	}
	if m.Expires, err = time.Parse(TimeFormat, head.Expires); err != nil {
		return nil, fmt.Errorf("expires %q: want %s", head.Expires, TimeFormat)
	}
	return m, nil
}

// decode decodes the signed part strictly into v.
func (m *Metadata) decode(v any) error {
	if err := strictjson.Decode(m.signed, v); err != nil {
		return fmt.Errorf("%s: %w", m.Role, err)
	}
	return nil
}

// Root returns the signed part of root metadata, checked: every role with
// a threshold of 1 or more that its key ids can meet, every key id the
// SHA-256 of its key and of a key type this package checks.
func (m *Metadata) Root() (*Root, error) {
	var r Root
	if err := m.decode(&r); err != nil {
		return nil, err
	}
	for id, k := range r.Keys {
		got, err := k.ID()
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", short(id), err)
		}
		if got != id {
			return nil, fmt.Errorf("key id %s is not the SHA-256 of its key (%s)", short(id), short(got))
		}
		if _, err := k.Public(); err != nil {
			return nil, fmt.Errorf("key %s: %w", short(id), err)
		}
	}
	for _, name := range Roles {
		role := r.Roles[name]
		if role == nil {
			return nil, fmt.Errorf("roles: no %s role", name)
		}
		if role.Threshold < 1 {
			return nil, fmt.Errorf("roles: %s threshold %d: want 1 or more", name, role.Threshold)
		}
		for _, id := range role.KeyIDs {
			if r.Keys[id] == nil {
				return nil, fmt.Errorf("roles: %s lists key %s, which keys lacks", name, short(id))
			}
		}
		if len(role.KeyIDs) < role.Threshold {
			return nil, fmt.Errorf("roles: %s threshold %d with %d keys can never be met", name, role.Threshold, len(role.KeyIDs))
		}
	}
	if len(r.Roles) != len(Roles) {
		return nil, fmt.Errorf("roles: %d roles, want the %d top-level roles", len(r.Roles), len(Roles))
	}
	return &r, nil
}

// Timestamp returns the signed part of timestamp metadata: its meta must
// list snapshot.json alone.
func (m *Metadata) Timestamp() (*Timestamp, error) {
	var t Timestamp
	if err := m.decode(&t); err != nil {
		return nil, err
	}
	if len(t.Meta) != 1 || t.Meta[MetaName(RoleSnapshot)] == nil {
		return nil, errors.New("meta: want snapshot.json alone")
	}
	return &t, checkMeta(t.Meta)
}

// Snapshot returns the signed part of snapshot metadata: its meta must list
// targets.json (and, as no delegation is used, nothing else).
func (m *Metadata) Snapshot() (*Snapshot, error) {
	var s Snapshot
	if err := m.decode(&s); err != nil {
		return nil, err
	}
	if len(s.Meta) != 1 || s.Meta[MetaName(RoleTargets)] == nil {
		return nil, errors.New("meta: want targets.json alone (delegations are not used)")
	}
	return &s, checkMeta(s.Meta)
}

// Targets returns the signed part of targets metadata; fields beyond the
// specification's top-level targets, delegations among them, are refused.
func (m *Metadata) Targets() (*Targets, error) {
	var t Targets
	if err := m.decode(&t); err != nil {
		if strings.Contains(err.Error(), `"delegations"`) {
			return nil, errors.New("targets: delegations are not used by cavra releases and are refused")
		}
		return nil, err
	}
	for p, f := range t.Targets {
		if f == nil || f.Length < 0 || len(f.Hashes) == 0 {
			return nil, fmt.Errorf("targets: %s: want a length and hashes", p)
		}
		for alg, h := range f.Hashes {
			if !hexRE.MatchString(h) {
				return nil, fmt.Errorf("targets: %s: %s hash is not lowercase hex", p, alg)
			}
		}
	}
	return &t, nil
}

func checkMeta(meta map[string]*MetaFile) error {
	for name, f := range meta {
		if f.Version < 1 || f.Length < 0 {
			return fmt.Errorf("meta: %s: version %d, length %d", name, f.Version, f.Length)
		}
		for alg, h := range f.Hashes {
			if !hexRE.MatchString(h) {
				return fmt.Errorf("meta: %s: %s hash is not lowercase hex", name, alg)
			}
		}
	}
	return nil
}

// Expired reports whether metadata that expires at exp has expired at
// time at.
func Expired(exp, at time.Time) bool { return !at.Before(exp) }

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// Short returns the first 16 hex digits of a key id, as errors print it.
func Short(id string) string { return short(id) }
