// Package tufrepo is the producer's side of TUF: the trust repository a
// maintainer keeps (the root chain, the signing-operations record, the
// keys it generated), the changes to it that the trust mage targets make
// (init, rotate, revoke, status), and the release steps that write a
// package's cavra-runtime.signing-operations.json and its trust/ metadata.
// It writes metadata with go-tuf (github.com/theupdateframework/go-tuf/v2)
// and signs with the sigstore libraries (package
// github.com/cavra/cavra/signing), so it is heavy; the verifier reads what
// it writes through package github.com/cavra/cavra/packaging/format/tuf.
//
// # The trust repository
//
// A folder, .cavra/trust in the checkout unless CAVRA_TRUST_REPO names
// another:
//
//	1.root.json ... N.root.json   the root chain (public)
//	signing-operations.json       the record of each role's keys, custody, policy and revocations (public)
//	keys/                         the private keys trust:init and trust:rotate made: root-v<N>-<i>.key
//	                              (ed25519, CAVRA_ROOT_PASSWORD), online-v<N>.key (ECDSA P-256, the
//	                              snapshot and timestamp key, CAVRA_ONLINE_PASSWORD), targets-v<N>.key
//	                              (a new release key, COSIGN_PASSWORD); each with its .pub
//
// The roles: root, a threshold of offline keys (2 of 3 by default); targets,
// the release key that signs the cosign signatures (COSIGN_KEY); snapshot
// and timestamp, one online key a CI job holds (CAVRA_ONLINE_KEY or
// CAVRA_ONLINE_PRIVATE_KEY, with CAVRA_ONLINE_PASSWORD; by default the
// file the record names). Move each root key to its holder once made.
//
// A snapshot whose release key is not the repository's targets key (or
// that has no repository) uses a machine-local snapshot repository, as it
// uses a machine-local snapshot signing key: 1 of 1, unencrypted keys,
// under the user configuration folder (cavra/snapshot-signing/trust), made
// on first use, rotated to the snapshot's key and renewed before it expires
// without a word from anyone. A release (not a snapshot) needs the
// repository, a root threshold of 2 or more and the online key.
//
// # Versions and expiry
//
// The timestamp, snapshot and targets versions of a release are its
// SOURCE_DATE_EPOCH (the commit time): they rise from release to release
// with no server to count them, and two releases of one commit write the
// same metadata but for the signatures. Each expires a number of days after
// SOURCE_DATE_EPOCH (the record's expiry_days: timestamp 90, snapshot and
// targets 365, by default); a root, that many days after it is signed (365).
package tufrepo

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/packaging/format/signingops"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/signing"
)

// The files of a trust repository.
const (
	OpsFile = "signing-operations.json"
	KeysDir = "keys"
)

// Policy is a role's rotation policy and expiry, in days.
type Policy struct{ RotationDays, ExpiryDays int }

// DefaultPolicy is each role's policy unless the record says otherwise:
// metadata that travels on removable media lives long (root and targets a
// year), the online timestamp a quarter, which bounds how long a package
// can be held back (freeze); keys rotate yearly (root) or quarterly.
var DefaultPolicy = map[string]Policy{
	tuf.RoleRoot:      {RotationDays: 365, ExpiryDays: 365},
	tuf.RoleTargets:   {RotationDays: 90, ExpiryDays: 365},
	tuf.RoleSnapshot:  {RotationDays: 90, ExpiryDays: 365},
	tuf.RoleTimestamp: {RotationDays: 90, ExpiryDays: 90},
}

// Repo is a trust repository, loaded.
type Repo struct {
	Dir   string
	Roots [][]byte             // root version i+1, as its file holds it
	Ops   *signingops.Document // the record, without a package
	root  *tuf.Root            // the newest root
}

// Root returns the newest root.
func (r *Repo) Root() *tuf.Root { return r.root }

// Load reads the repository in dir and checks it: a root chain 1..N with
// each version signed by its predecessor's and its own root keys, and a
// record that agrees with root N.
func Load(dir string) (*Repo, error) {
	r := &Repo{Dir: dir}
	for v := int64(1); ; v++ {
		data, err := os.ReadFile(filepath.Join(dir, strconv.FormatInt(v, 10)+".root.json"))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		r.Roots = append(r.Roots, data)
	}
	if len(r.Roots) == 0 {
		return nil, fmt.Errorf("trust repository %s: no 1.root.json: %w", dir, fs.ErrNotExist)
	}
	root, err := verifyChain(r.Roots)
	if err != nil {
		return nil, fmt.Errorf("trust repository %s: %w", dir, err)
	}
	r.root = root
	data, err := os.ReadFile(filepath.Join(dir, OpsFile))
	if err != nil {
		return nil, fmt.Errorf("trust repository %s: %w", dir, err)
	}
	if r.Ops, err = signingops.Parse(data); err != nil {
		return nil, fmt.Errorf("trust repository %s: %s: %w", dir, OpsFile, err)
	}
	if err := r.Ops.CheckRoot(root); err != nil {
		return nil, fmt.Errorf("trust repository %s: %s disagrees with %d.root.json: %w", dir, OpsFile, root.Version, err)
	}
	return r, nil
}

// verifyChain checks a root chain with the verifier's own rules and
// returns its newest root.
func verifyChain(roots [][]byte) (*tuf.Root, error) {
	var prev *tuf.Root
	for i, data := range roots {
		m, err := tuf.Parse(data, tuf.RoleRoot)
		if err != nil {
			return nil, fmt.Errorf("%d.root.json: %w", i+1, err)
		}
		r, err := m.Root()
		if err != nil {
			return nil, fmt.Errorf("%d.root.json: %w", i+1, err)
		}
		if r.Version != int64(i+1) {
			return nil, fmt.Errorf("%d.root.json holds version %d", i+1, r.Version)
		}
		if prev != nil {
			if _, err := m.Verify(prev, tuf.RoleRoot); err != nil {
				return nil, fmt.Errorf("%d.root.json: by root version %d's keys: %w", i+1, prev.Version, err)
			}
		}
		if _, err := m.Verify(r, tuf.RoleRoot); err != nil {
			return nil, fmt.Errorf("%d.root.json: by its own keys: %w", i+1, err)
		}
		prev = r
	}
	return prev, nil
}

// NewKey is a public key a role takes, with where it is held.
type NewKey struct {
	Public  crypto.PublicKey
	Custody signingops.Custody
}

// InitOptions make a repository.
type InitOptions struct {
	Dir string
	// Targets is the release key (the cosign key that signs the
	// packages).
	Targets NewKey
	// RootKeys and Threshold: how many root keys to make, and how many
	// must sign (3 and 2 by default; 1 and 1 for a snapshot repository).
	RootKeys, Threshold int
	// RootPassword and OnlinePassword encrypt the keys made.
	RootPassword, OnlinePassword []byte
	Now                          time.Time
}

// Init makes a new repository in o.Dir (which must hold no root yet): the
// root keys and the online key in keys/, root version 1 signed by every
// root key, and the record.
func Init(o InitOptions) (*Repo, error) {
	if o.RootKeys == 0 {
		o.RootKeys, o.Threshold = 3, 2
	}
	if o.Threshold < 1 || o.Threshold > o.RootKeys {
		return nil, fmt.Errorf("trust: a root threshold of %d of %d keys", o.Threshold, o.RootKeys)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "1.root.json")); err == nil {
		return nil, fmt.Errorf("trust: %s already holds a root (1.root.json): see trust:status, trust:rotate", o.Dir)
	}
	now := o.Now.UTC().Truncate(time.Second)
	ops := &signingops.Document{SchemaVersion: signingops.Schema, RootVersion: 1, Revocations: []signingops.Revocation{}}
	for _, name := range tuf.Roles {
		p := DefaultPolicy[name]
		ops.Roles = append(ops.Roles, signingops.Role{Name: name, RotationDays: p.RotationDays, ExpiryDays: p.ExpiryDays, Keys: []signingops.Key{}})
	}
	root := metadata.Root(now.AddDate(0, 0, DefaultPolicy[tuf.RoleRoot].ExpiryDays))
	root.Signed.ConsistentSnapshot = false
	var signers []signature.Signer
	for i := 1; i <= o.RootKeys; i++ {
		name := fmt.Sprintf("root-v1-%d", i)
		sv, k, err := generate(o.Dir, name, signing.Ed25519, o.RootPassword)
		if err != nil {
			return nil, err
		}
		signers = append(signers, sv)
		if err := addKey(root, ops, tuf.RoleRoot, k, now); err != nil {
			return nil, err
		}
	}
	_, online, err := generate(o.Dir, "online-v1", signing.ECDSAP256, o.OnlinePassword)
	if err != nil {
		return nil, err
	}
	for _, role := range []string{tuf.RoleSnapshot, tuf.RoleTimestamp} {
		if err := addKey(root, ops, role, online, now); err != nil {
			return nil, err
		}
	}
	if err := addKey(root, ops, tuf.RoleTargets, o.Targets, now); err != nil {
		return nil, err
	}
	root.Signed.Roles[tuf.RoleRoot].Threshold = o.Threshold
	ops.Role(tuf.RoleRoot).Threshold = o.Threshold
	for _, name := range []string{tuf.RoleTargets, tuf.RoleSnapshot, tuf.RoleTimestamp} {
		ops.Role(name).Threshold = 1
	}
	r := &Repo{Dir: o.Dir, Ops: ops}
	if err := r.write(root, signers, nil); err != nil {
		return nil, err
	}
	return Load(o.Dir)
}

// generate makes a key pair keys/<name>.key and .pub in dir and returns its
// signer and public key with its custody.
func generate(dir, name, alg string, password []byte) (signature.SignerVerifier, NewKey, error) {
	rel := filepath.ToSlash(filepath.Join(KeysDir, name+".key"))
	priv := filepath.Join(dir, KeysDir, name+".key")
	if err := signing.GenerateFiles(priv, filepath.Join(dir, KeysDir, name+".pub"), password, alg); err != nil {
		return nil, NewKey{}, err
	}
	k, err := loadFile(priv, password)
	if err != nil {
		return nil, NewKey{}, err
	}
	return k.SignerVerifier(), NewKey{Public: k.Public(), Custody: signingops.Custody{Kind: signingops.CustodyFile, Ref: rel}}, nil
}

// loadFile loads an encrypted cosign-format key file.
func loadFile(path string, password []byte) (*signing.Key, error) {
	return signing.Load(context.Background(), signing.Options{Getenv: func(k string) string {
		switch k {
		case "COSIGN_KEY":
			return path
		case "COSIGN_PASSWORD":
			return string(password)
		}
		return ""
	}})
}

// addKey adds k to role in root and in the record, made at now.
func addKey(root *metadata.Metadata[metadata.RootType], ops *signingops.Document, role string, k NewKey, now time.Time) error {
	tk, err := metadata.KeyFromPublicKey(k.Public)
	if err != nil {
		return fmt.Errorf("trust: %s key: %w", role, err)
	}
	if _, err := tuf.NewKey(k.Public); err != nil {
		return fmt.Errorf("trust: %s key: %w", role, err)
	}
	id, err := tk.ID()
	if err != nil {
		return err
	}
	if err := root.Signed.AddKey(tk, role); err != nil {
		return err
	}
	scheme := tk.Scheme
	rr := ops.Role(role)
	rr.Keys = append(rr.Keys, signingops.Key{KeyID: id, Scheme: scheme, Created: now.Format(signingops.DateFormat), HeldBy: k.Custody})
	return nil
}

// write signs root with signers, checks it with the verifier's rules
// against its predecessor prev (nil for version 1), and writes it and the
// record.
func (r *Repo) write(root *metadata.Metadata[metadata.RootType], signers []signature.Signer, prev *tuf.Root) error {
	root.Signatures = nil
	for _, s := range signers {
		if _, err := root.Sign(s); err != nil {
			return fmt.Errorf("trust: sign root version %d: %w", root.Signed.Version, err)
		}
	}
	data, err := encode(root)
	if err != nil {
		return err
	}
	m, err := tuf.Parse(data, tuf.RoleRoot)
	if err != nil {
		return fmt.Errorf("trust: root version %d: %w", root.Signed.Version, err)
	}
	next, err := m.Root()
	if err != nil {
		return fmt.Errorf("trust: root version %d: %w", root.Signed.Version, err)
	}
	if prev != nil {
		if _, err := m.Verify(prev, tuf.RoleRoot); err != nil {
			return fmt.Errorf("trust: root version %d must be signed by a threshold of version %d's root keys: %w (give the root keys you hold in CAVRA_ROOT_KEYS)", next.Version, prev.Version, err)
		}
	}
	if _, err := m.Verify(next, tuf.RoleRoot); err != nil {
		return fmt.Errorf("trust: root version %d must be signed by a threshold of its own root keys: %w", next.Version, err)
	}
	r.Ops.RootVersion = next.Version
	if err := r.Ops.Check(); err != nil {
		return fmt.Errorf("trust: the record: %w", err)
	}
	if err := r.Ops.CheckRoot(next); err != nil {
		return fmt.Errorf("trust: the record: %w", err)
	}
	ops, err := json.MarshalIndent(r.Ops, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(r.Dir, strconv.FormatInt(next.Version, 10)+".root.json")
	if err := atomicfile.Create(path, data, 0o644); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("trust: %s exists: another change was made at the same time; run it again", path)
		}
		return err
	}
	return atomicfile.Write(filepath.Join(r.Dir, OpsFile), append(ops, '\n'), 0o644)
}

// encode writes go-tuf metadata in the file form of package tuf.
func encode(m any) ([]byte, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	v, err := tuf.Decode(data)
	if err != nil {
		return nil, err
	}
	return tuf.EncodeFile(v)
}

// Change is a change of the root: a role's key replaced (rotation), a key
// revoked (and replaced), or the root renewed as it is.
type Change struct {
	// Role is the role whose key is replaced; "snapshot", "timestamp"
	// and "online" all mean the online key of both.
	Role string
	// Revoke names the key id to take out (and replace); Reason says why.
	Revoke, Reason string
	// Renew re-signs the root with the same keys and a new expiry.
	Renew bool
	// New is the key the role takes; nil: one is made in keys/.
	New *NewKey
	// Password encrypts a key made: the root password for a root key,
	// the online password for the online key, COSIGN_PASSWORD for a
	// release key.
	Password []byte
	// RootKeys sign the new root: every root key held (the old and the
	// new root's keys are picked from them; a revoked key never signs).
	RootKeys []*signing.Key
	Now      time.Time
}

// Result says what a change did.
type Result struct {
	Version int64    // the new root version
	Made    []string // key files made
	Removed []string // key ids no longer in any role
	Added   string   // the key id added
}

// Apply makes root version N+1 with the change, signed by a threshold of
// version N's root keys and of its own, and writes it with the record.
func (r *Repo) Apply(c Change) (*Result, error) {
	now := c.Now.UTC().Truncate(time.Second)
	prev := r.root
	old, err := (&metadata.Metadata[metadata.RootType]{}).FromBytes(r.Roots[len(r.Roots)-1])
	if err != nil {
		return nil, err
	}
	next := old
	next.Signed.Version = prev.Version + 1
	exp := DefaultPolicy[tuf.RoleRoot].ExpiryDays
	if rr := r.Ops.Role(tuf.RoleRoot); rr != nil {
		exp = rr.ExpiryDays
	}
	next.Signed.Expires = now.AddDate(0, 0, exp)
	res := &Result{Version: next.Signed.Version}

	var roles []string // the roles whose key is replaced
	var outID string   // the key replaced
	switch {
	case c.Renew:
	case c.Revoke != "":
		for _, name := range tuf.Roles {
			if slices.Contains(prev.Roles[name].KeyIDs, c.Revoke) {
				roles = append(roles, name)
			}
		}
		if len(roles) == 0 {
			return nil, fmt.Errorf("trust: key %s is in no role of root version %d", tuf.Short(c.Revoke), prev.Version)
		}
		if c.Reason == "" {
			return nil, errors.New("trust: a revocation needs a reason (CAVRA_REVOKE_REASON)")
		}
		outID = c.Revoke
	default:
		switch c.Role {
		case tuf.RoleRoot:
			roles = []string{tuf.RoleRoot}
			outID = oldest(r.Ops.Role(tuf.RoleRoot))
		case tuf.RoleTargets:
			roles = []string{tuf.RoleTargets}
			outID = oldest(r.Ops.Role(tuf.RoleTargets))
		case tuf.RoleSnapshot, tuf.RoleTimestamp, "online":
			roles = []string{tuf.RoleSnapshot, tuf.RoleTimestamp}
			outID = oldest(r.Ops.Role(tuf.RoleTimestamp))
		default:
			return nil, fmt.Errorf("trust: no role %q (root, targets, snapshot, timestamp)", c.Role)
		}
	}
	if len(roles) > 0 && (roles[0] == tuf.RoleSnapshot || roles[0] == tuf.RoleTimestamp) {
		roles = []string{tuf.RoleSnapshot, tuf.RoleTimestamp} // the online key holds both
	}

	var newSigner signature.Signer
	if len(roles) > 0 {
		nk := c.New
		if nk == nil {
			name, alg := fmt.Sprintf("%s-v%d", roles[0], next.Signed.Version), signing.ECDSAP256
			switch roles[0] {
			case tuf.RoleRoot:
				name, alg = fmt.Sprintf("root-v%d-1", next.Signed.Version), signing.Ed25519
			case tuf.RoleSnapshot:
				name = fmt.Sprintf("online-v%d", next.Signed.Version)
			}
			sv, k, err := generate(r.Dir, name, alg, c.Password)
			if err != nil {
				return nil, err
			}
			nk, newSigner = &k, sv
			res.Made = append(res.Made, filepath.Join(r.Dir, filepath.FromSlash(k.Custody.Ref)))
		}
		tk, err := metadata.KeyFromPublicKey(nk.Public)
		if err != nil {
			return nil, err
		}
		id, err := tk.ID()
		if err != nil {
			return nil, err
		}
		if id == outID {
			return nil, fmt.Errorf("trust: the new %s key is the key it replaces (%s)", roles[0], tuf.Short(id))
		}
		res.Added = id
		for _, name := range roles {
			if err := next.Signed.RevokeKey(outID, name); err != nil {
				return nil, fmt.Errorf("trust: %s: %w", name, err)
			}
			rr := r.Ops.Role(name)
			rr.Keys = slices.DeleteFunc(rr.Keys, func(k signingops.Key) bool { return k.KeyID == outID })
			if err := addKey(next, r.Ops, name, *nk, now); err != nil {
				return nil, err
			}
		}
		res.Removed = append(res.Removed, outID)
		if c.Revoke != "" {
			r.Ops.Revocations = append(r.Ops.Revocations, signingops.Revocation{
				KeyID: outID, Role: strings.Join(roles, ","), Reason: c.Reason, Revoked: now.Format(signingops.DateFormat), RootVersion: next.Signed.Version})
		}
	}

	// The signers: the root keys held that are in the old or the new root
	// role, never a revoked one; and a root key just made.
	var signers []signature.Signer
	inRoot := func(id string) bool {
		return slices.Contains(prev.Roles[tuf.RoleRoot].KeyIDs, id) || slices.Contains(next.Signed.Roles[tuf.RoleRoot].KeyIDs, id)
	}
	for _, k := range c.RootKeys {
		tk, err := metadata.KeyFromPublicKey(k.Public())
		if err != nil {
			continue
		}
		id, _ := tk.ID()
		if inRoot(id) && id != c.Revoke {
			signers = append(signers, k.SignerVerifier())
		}
	}
	if newSigner != nil && len(roles) > 0 && roles[0] == tuf.RoleRoot {
		signers = append(signers, newSigner)
	}
	if err := r.write(next, signers, prev); err != nil {
		for _, f := range res.Made {
			os.Remove(f)
			os.Remove(strings.TrimSuffix(f, ".key") + ".pub")
		}
		return nil, err
	}
	loaded, err := Load(r.Dir)
	if err != nil {
		return nil, err
	}
	*r = *loaded
	return res, nil
}

// oldest returns the key id of the role's oldest key.
func oldest(r *signingops.Role) string {
	if r == nil || len(r.Keys) == 0 {
		return ""
	}
	keys := slices.Clone(r.Keys)
	slices.SortStableFunc(keys, func(a, b signingops.Key) int { return strings.Compare(a.Created, b.Created) })
	return keys[0].KeyID
}

// RootKeyFiles returns the root key files of the repository's keys folder.
func (r *Repo) RootKeyFiles() []string {
	files, _ := filepath.Glob(filepath.Join(r.Dir, KeysDir, "root-*.key"))
	return files
}

// KeyID returns the TUF key id of a public key.
func KeyID(pub crypto.PublicKey) (string, error) {
	k, err := tuf.NewKey(pub)
	if err != nil {
		return "", err
	}
	return k.ID()
}
