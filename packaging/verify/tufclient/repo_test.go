package tufclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/tuf"
)

// This file builds TUF repositories for the tests with the standard
// library, through package tuf: keys of both kinds the format uses (ed25519
// and ECDSA P-256), generated at test time.

type signer struct {
	key  *tuf.Key
	id   string
	sign func(msg []byte) []byte
}

func newSigner(t testing.TB, ec bool) signer {
	t.Helper()
	var pub crypto.PublicKey
	var sign func([]byte) []byte
	if ec {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = &k.PublicKey
		sign = func(msg []byte) []byte {
			sum := sha256.Sum256(msg)
			sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	} else {
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = p
		sign = func(msg []byte) []byte { return ed25519.Sign(k, msg) }
	}
	key, err := tuf.NewKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	id, err := key.ID()
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key, id: id, sign: sign}
}

// signAs signs signed with each signer under the key id given (a key id
// other than the signer's own models a key listed twice).
type sigBy struct {
	s  signer
	id string
}

// encode returns the metadata file of signed, signed by each of by.
func encode(t testing.TB, signed any, by ...sigBy) []byte {
	t.Helper()
	data, err := tuf.Marshal(signed)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tuf.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := tuf.EncodeCanonical(v)
	if err != nil {
		t.Fatal(err)
	}
	sigs := []any{}
	for _, b := range by {
		id := b.id
		if id == "" {
			id = b.s.id
		}
		sigs = append(sigs, map[string]any{"keyid": id, "sig": hex.EncodeToString(b.s.sign(msg))})
	}
	out, err := tuf.EncodeFile(map[string]any{"signatures": sigs, "signed": v})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func by(ss ...signer) []sigBy {
	var out []sigBy
	for _, s := range ss {
		out = append(out, sigBy{s: s})
	}
	return out
}

// keyset is the keys of each role of one root version.
type keyset struct {
	root                         []signer
	rootThreshold                int
	targets, snapshot, timestamp signer
}

func newKeyset(t testing.TB) keyset {
	return keyset{
		root:          []signer{newSigner(t, false), newSigner(t, false), newSigner(t, false)},
		rootThreshold: 2,
		targets:       newSigner(t, true),
		snapshot:      newSigner(t, true),
		timestamp:     newSigner(t, true),
	}
}

var (
	now    = time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	future = now.AddDate(1, 0, 0).Format(tuf.TimeFormat)
)

func rootOf(v int64, ks keyset) *tuf.Root {
	r := &tuf.Root{Type: tuf.RoleRoot, SpecVersion: tuf.SpecVersion, Version: v, Expires: future,
		Keys: map[string]*tuf.Key{}, Roles: map[string]*tuf.Role{}}
	add := func(role string, threshold int, ss ...signer) {
		r.Roles[role] = &tuf.Role{Threshold: threshold}
		for _, s := range ss {
			r.Keys[s.id] = s.key
			r.Roles[role].KeyIDs = append(r.Roles[role].KeyIDs, s.id)
		}
	}
	add(tuf.RoleRoot, ks.rootThreshold, ks.root...)
	add(tuf.RoleTargets, 1, ks.targets)
	add(tuf.RoleSnapshot, 1, ks.snapshot)
	add(tuf.RoleTimestamp, 1, ks.timestamp)
	return r
}

// release is one package: its files and metadata, made by build.
type release struct {
	version, commit string
	tufVersion      int64
	files           map[string][]byte
	meta            map[string][]byte // trust/ files
}

// repo is a test repository: the root chain and the current keys.
type repo struct {
	t     testing.TB
	roots [][]byte
	keys  keyset
}

func newRepo(t testing.TB) *repo {
	ks := newKeyset(t)
	r := &repo{t: t, keys: ks}
	r.roots = append(r.roots, encode(t, rootOf(1, ks), by(ks.root...)...))
	return r
}

// rotate makes root N+1 with ks, signed by the old and new root keys.
func (r *repo) rotate(ks keyset) {
	old := r.keys
	sigs := by(old.root...)
	for _, s := range ks.root {
		if !containsID(old.root, s.id) {
			sigs = append(sigs, sigBy{s: s})
		}
	}
	r.roots = append(r.roots, encode(r.t, rootOf(int64(len(r.roots)+1), ks), sigs...))
	r.keys = ks
}

func containsID(ss []signer, id string) bool {
	for _, s := range ss {
		if s.id == id {
			return true
		}
	}
	return false
}

// build makes a package of version with TUF version v.
func (r *repo) build(version string, v int64) *release {
	rel := &release{version: version, commit: "0123456789abcdef0123456789abcdef01234567", tufVersion: v,
		files: map[string][]byte{
			"bin/linux-amd64/cavra-runtime": []byte("binary of " + version),
			"checksums.txt":                 []byte("sums of " + version),
			"cosign.pub":                    []byte("key"),
		}, meta: map[string][]byte{}}
	r.sign(rel, r.keys)
	return rel
}

// sign (re)writes the metadata of rel with ks.
func (r *repo) sign(rel *release, ks keyset) {
	t := r.t
	for i, root := range r.roots {
		rel.meta[tuf.Path(tuf.RoleRoot, int64(i+1))] = root
	}
	tg := &tuf.Targets{Type: tuf.RoleTargets, SpecVersion: tuf.SpecVersion, Version: rel.tufVersion, Expires: future, Targets: map[string]*tuf.TargetFile{}}
	for p, data := range rel.files {
		tg.Targets[p] = &tuf.TargetFile{Length: int64(len(data)), Hashes: tuf.Hashes(data), Custom: &tuf.Custom{Version: rel.version, Commit: rel.commit}}
	}
	r.finish(rel, ks, encode(t, tg, by(ks.targets)...))
}

// finish writes snapshot and timestamp over the targets file tg.
func (r *repo) finish(rel *release, ks keyset, tg []byte) {
	t := r.t
	rel.meta[tuf.TargetsPath] = tg
	v := rel.tufVersion
	snap := &tuf.Snapshot{Type: tuf.RoleSnapshot, SpecVersion: tuf.SpecVersion, Version: v, Expires: future,
		Meta: map[string]*tuf.MetaFile{"targets.json": {Version: v, Length: int64(len(tg)), Hashes: tuf.Hashes(tg)}}}
	sb := encode(t, snap, by(ks.snapshot)...)
	rel.meta[tuf.SnapshotPath] = sb
	ts := &tuf.Timestamp{Type: tuf.RoleTimestamp, SpecVersion: tuf.SpecVersion, Version: v, Expires: future,
		Meta: map[string]*tuf.MetaFile{"snapshot.json": {Version: v, Length: int64(len(sb)), Hashes: tuf.Hashes(sb)}}}
	rel.meta[tuf.TimestampPath] = encode(t, ts, by(ks.timestamp)...)
}

// pkg returns what the client reads of rel.
func (rel *release) pkg() Package {
	p := Package{Metadata: maps.Clone(rel.meta), Files: map[string]File{}, Version: rel.version, Commit: rel.commit}
	for path, data := range rel.files {
		h := tuf.Hashes(data)
		p.Files[path] = File{Length: int64(len(data)), SHA256: h[tuf.SHA256], SHA512: h[tuf.SHA512]}
	}
	return p
}

func (rel *release) clone() *release {
	c := *rel
	c.files, c.meta = maps.Clone(rel.files), maps.Clone(rel.meta)
	return &c
}
