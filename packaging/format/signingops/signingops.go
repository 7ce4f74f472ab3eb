// Package signingops defines cavra-runtime.signing-operations.json: how a
// release's keys are run, as data. For each TUF role (root, targets,
// snapshot, timestamp) it lists the key ids and threshold, where each key is
// held (a file, a KMS by URI scheme, a CI secret by name, a hardware token),
// when the key was made, the rotation policy (the age at which a key is
// due for rotation) and the expiry the role's metadata is signed with; and
// every key ever revoked, with the reason, the date and the root version
// that removed it.
//
// The trust repository keeps this record (signing-operations.json beside
// its root chain, written by the trust mage targets) and every release
// copies it into the package with the release's identity, where it is
// signed, listed in targets.json, checksums.txt and the bootstrap list.
// The verifier checks it against the root ([Document.CheckRoot]) and
// reports keys past their rotation age ([Document.Overdue]).
package signingops

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/packaging/format/tuf"
)

// Schema identifies this format.
const Schema = "https://cavra.dev/schemas/signing-operations/v1"

// DateFormat is how dates are spelled: RFC 3339, UTC, whole seconds.
const DateFormat = tuf.TimeFormat

// Document is cavra-runtime.signing-operations.json.
type Document struct {
	SchemaVersion string `json:"schema_version"`
	// Package names the release that carries the record; empty in the
	// trust repository's own copy.
	Package     *Package     `json:"package,omitempty"`
	RootVersion int64        `json:"root_version"` // the root this record describes
	Roles       []Role       `json:"roles"`        // root, targets, snapshot, timestamp
	Revocations []Revocation `json:"revocations"`
}

// Package identifies the release.
type Package struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Snapshot bool   `json:"snapshot"`
}

// Role is how one role's keys are run.
type Role struct {
	Name      string `json:"role"`
	Threshold int    `json:"threshold"`
	// RotationDays is the rotation policy: a key older than this many
	// days is due for rotation.
	RotationDays int `json:"rotation_max_age_days"`
	// ExpiryDays is how long the role's metadata is valid: from the
	// signing time for the root, from SOURCE_DATE_EPOCH for the others.
	ExpiryDays int   `json:"expiry_days"`
	Keys       []Key `json:"keys"`
}

// Key is one key of a role.
type Key struct {
	KeyID   string  `json:"keyid"`
	Scheme  string  `json:"scheme"`  // ed25519 or ecdsa-sha2-nistp256
	Created string  `json:"created"` // when the key was made or adopted
	HeldBy  Custody `json:"held_by"`
}

// Custody says where a private key is held, never the key or a secret.
type Custody struct {
	Kind string `json:"kind"` // one of the Custody* kinds
	// Ref names it without a secret: a file name, a KMS URI scheme
	// ("awskms"), a CI secret's name, a token's label.
	Ref string `json:"ref"`
}

// The kinds of custody.
const (
	CustodyFile     = "file"
	CustodyKMS      = "kms"
	CustodyCISecret = "ci-secret"
	CustodyToken    = "hardware-token"
)

// Revocation records a key taken out of its role.
type Revocation struct {
	KeyID       string `json:"keyid"`
	Role        string `json:"role"`
	Reason      string `json:"reason"`
	Revoked     string `json:"revoked"`      // the date
	RootVersion int64  `json:"root_version"` // the first root without it
}

// Parse decodes a record strictly and checks its own consistency (see
// [Document.Check]).
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := strictjson.Decode(data, &d); err != nil {
		return nil, err
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Check checks the record on its own: the schema, the four roles once each
// in order, thresholds its keys can meet, key ids of 64 hex digits listed
// once, known custody kinds, dates, and no revoked key in a role.
func (d *Document) Check() error {
	if d.SchemaVersion != Schema {
		return fmt.Errorf("schema_version %q, want %q", d.SchemaVersion, Schema)
	}
	if d.RootVersion < 1 {
		return fmt.Errorf("root_version %d: want 1 or more", d.RootVersion)
	}
	if len(d.Roles) != len(tuf.Roles) {
		return fmt.Errorf("roles: %d, want %v", len(d.Roles), tuf.Roles)
	}
	seen := map[string]bool{}
	for i, r := range d.Roles {
		if r.Name != tuf.Roles[i] {
			return fmt.Errorf("roles[%d] is %q, want %q", i, r.Name, tuf.Roles[i])
		}
		if r.Threshold < 1 || r.Threshold > len(r.Keys) {
			return fmt.Errorf("%s: threshold %d with %d keys", r.Name, r.Threshold, len(r.Keys))
		}
		if r.RotationDays < 1 || r.ExpiryDays < 1 {
			return fmt.Errorf("%s: rotation_max_age_days %d and expiry_days %d must be 1 or more", r.Name, r.RotationDays, r.ExpiryDays)
		}
		ids := map[string]bool{}
		for _, k := range r.Keys {
			if !isKeyID(k.KeyID) {
				return fmt.Errorf("%s: key id %q: want 64 lowercase hex digits", r.Name, k.KeyID)
			}
			if ids[k.KeyID] {
				return fmt.Errorf("%s: key %s listed twice", r.Name, tuf.Short(k.KeyID))
			}
			ids[k.KeyID] = true
			seen[k.KeyID] = true
			if _, err := time.Parse(DateFormat, k.Created); err != nil {
				return fmt.Errorf("%s: key %s: created %q: want %s", r.Name, tuf.Short(k.KeyID), k.Created, DateFormat)
			}
			switch k.HeldBy.Kind {
			case CustodyFile, CustodyKMS, CustodyCISecret, CustodyToken:
			default:
				return fmt.Errorf("%s: key %s: held_by.kind %q: want file, kms, ci-secret or hardware-token", r.Name, tuf.Short(k.KeyID), k.HeldBy.Kind)
			}
		}
	}
	for _, v := range d.Revocations {
		if !isKeyID(v.KeyID) || v.Reason == "" || v.RootVersion < 2 {
			return fmt.Errorf("revocation of %q: want a key id, a reason and the root version (2 or more) that removed it", v.KeyID)
		}
		if _, err := time.Parse(DateFormat, v.Revoked); err != nil {
			return fmt.Errorf("revocation of %s: revoked %q: want %s", tuf.Short(v.KeyID), v.Revoked, DateFormat)
		}
		if seen[v.KeyID] {
			return fmt.Errorf("key %s is revoked but still held by a role", tuf.Short(v.KeyID))
		}
	}
	return nil
}

func isKeyID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Role returns the record of role name, or nil.
func (d *Document) Role(name string) *Role {
	for i := range d.Roles {
		if d.Roles[i].Name == name {
			return &d.Roles[i]
		}
	}
	return nil
}

// CheckRoot checks that the record agrees with root: the same version,
// and for each role the same key ids and threshold; and that no revoked key
// is in any role of root.
func (d *Document) CheckRoot(root *tuf.Root) error {
	var errs []error
	if d.RootVersion != root.Version {
		errs = append(errs, fmt.Errorf("describes root version %d, the root is version %d", d.RootVersion, root.Version))
	}
	for _, name := range tuf.Roles {
		rr, dr := root.Roles[name], d.Role(name)
		if rr == nil || dr == nil {
			errs = append(errs, fmt.Errorf("%s: missing", name))
			continue
		}
		var ids []string
		for _, k := range dr.Keys {
			ids = append(ids, k.KeyID)
		}
		want := slices.Clone(rr.KeyIDs)
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, slices.Compact(want)) || dr.Threshold != rr.Threshold {
			errs = append(errs, fmt.Errorf("%s: keys %v threshold %d, the root has %v threshold %d", name, shorts(ids), dr.Threshold, shorts(want), rr.Threshold))
		}
	}
	for _, v := range d.Revocations {
		for _, name := range tuf.Roles {
			if rr := root.Roles[name]; rr != nil && slices.Contains(rr.KeyIDs, v.KeyID) {
				errs = append(errs, fmt.Errorf("key %s, revoked on %s (%s), is still a %s key of the root", tuf.Short(v.KeyID), v.Revoked, v.Reason, name))
			}
		}
	}
	return errors.Join(errs...)
}

func shorts(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tuf.Short(id)
	}
	return out
}

// Due is a key past its rotation age.
type Due struct {
	Role    string
	KeyID   string
	AgeDays int
	MaxDays int
}

func (d Due) String() string {
	return fmt.Sprintf("%s key %s is %d days old, past its rotation policy of %d days", d.Role, tuf.Short(d.KeyID), d.AgeDays, d.MaxDays)
}

// Overdue returns the keys older than their role's rotation policy at time
// at.
func (d *Document) Overdue(at time.Time) []Due {
	var out []Due
	for _, r := range d.Roles {
		for _, k := range r.Keys {
			created, err := time.Parse(DateFormat, k.Created)
			if err != nil {
				continue
			}
			if age := int(at.Sub(created).Hours() / 24); age > r.RotationDays {
				out = append(out, Due{Role: r.Name, KeyID: k.KeyID, AgeDays: age, MaxDays: r.RotationDays})
			}
		}
	}
	return out
}

// Revoked returns the revocation of keyid, if any.
func (d *Document) Revoked(keyid string) (Revocation, bool) {
	for _, v := range d.Revocations {
		if v.KeyID == keyid {
			return v, true
		}
	}
	return Revocation{}, false
}
