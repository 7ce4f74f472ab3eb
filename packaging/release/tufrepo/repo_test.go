package tufrepo

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/cavra/cavra/packaging/format/signingops"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/signing"
)

var now = time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)

const rootPassword = "root password"

// newRepo makes a 2-of-3 repository whose targets key is a new cosign key.
func newRepo(t *testing.T) (*Repo, *signing.Key) {
	t.Helper()
	dir := t.TempDir()
	if err := signing.GenerateFiles(filepath.Join(dir, "release.key"), filepath.Join(dir, "release.pub"), []byte("release"), signing.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	rel, err := loadFile(filepath.Join(dir, "release.key"), []byte("release"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Init(InitOptions{Dir: filepath.Join(dir, "trust"), Targets: NewKey{Public: rel.Public(), Custody: Custody(rel)},
		RootPassword: []byte(rootPassword), OnlinePassword: []byte("online"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r, rel
}

func rootKeys(t *testing.T, r *Repo) []*signing.Key {
	t.Helper()
	keys, err := loadKeys(r.RootKeyFiles(), []byte(rootPassword))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// goTUF walks the repository's root chain with go-tuf's own trusted
// metadata, from version 1.
func goTUF(t *testing.T, r *Repo) *metadata.Metadata[metadata.RootType] {
	t.Helper()
	tm, err := trustedmetadata.New(r.Roots[0])
	if err != nil {
		t.Fatalf("go-tuf refuses 1.root.json: %v", err)
	}
	for i, data := range r.Roots[1:] {
		if _, err := tm.UpdateRoot(data); err != nil {
			t.Fatalf("go-tuf refuses %d.root.json: %v", i+2, err)
		}
	}
	return tm.Root
}

func TestInit(t *testing.T) {
	r, rel := newRepo(t)
	root := r.Root()
	if root.Version != 1 || root.Roles[tuf.RoleRoot].Threshold != 2 || len(root.Roles[tuf.RoleRoot].KeyIDs) != 3 || root.ConsistentSnapshot {
		t.Errorf("root: version %d, root role %+v, consistent_snapshot %v", root.Version, root.Roles[tuf.RoleRoot], root.ConsistentSnapshot)
	}
	relID, _ := KeyID(rel.Public())
	if !slices.Equal(root.Roles[tuf.RoleTargets].KeyIDs, []string{relID}) {
		t.Errorf("targets: %v, want the release key %s", root.Roles[tuf.RoleTargets].KeyIDs, relID)
	}
	if !slices.Equal(root.Roles[tuf.RoleSnapshot].KeyIDs, root.Roles[tuf.RoleTimestamp].KeyIDs) {
		t.Error("snapshot and timestamp do not share the online key")
	}
	for _, id := range root.Roles[tuf.RoleRoot].KeyIDs {
		if root.Keys[id].Type != tuf.KeyTypeEd25519 {
			t.Errorf("root key %s is %s, want ed25519", id, root.Keys[id].Type)
		}
	}
	if k := root.Keys[relID]; k.Type != tuf.KeyTypeECDSA || k.Scheme != tuf.SchemeECDSAP256 {
		t.Errorf("the release key is %s/%s, want ecdsa/ecdsa-sha2-nistp256", k.Type, k.Scheme)
	}
	goTUF(t, r)
	// The record: custody, dates, policies.
	if k := r.Ops.Role(tuf.RoleRoot).Keys[0]; k.HeldBy != (signingops.Custody{Kind: signingops.CustodyFile, Ref: "keys/root-v1-1.key"}) || k.Created != "2026-12-08T12:00:00Z" {
		t.Errorf("root key record %+v", k)
	}
	if got := r.Ops.Role(tuf.RoleTimestamp).ExpiryDays; got != 90 {
		t.Errorf("timestamp expiry %d days, want 90", got)
	}
	// The keys are encrypted.
	if _, err := loadKeys(r.RootKeyFiles(), []byte("wrong")); err == nil {
		t.Error("a root key decrypts with a wrong password")
	}
	if _, err := Init(InitOptions{Dir: r.Dir, Targets: NewKey{Public: rel.Public()}, Now: now}); err == nil || !strings.Contains(err.Error(), "already holds a root") {
		t.Errorf("a second Init: %v", err)
	}
}

// TestKeysAgreeWithGoTUF: the verifier's key ids and canonical JSON are
// go-tuf's and go-securesystemslib's, for both key types.
func TestKeysAgreeWithGoTUF(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, pub := range []any{&ec.PublicKey, ed} {
		gk, err := metadata.KeyFromPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := gk.ID()
		got, err := KeyID(pub)
		if err != nil || got != want {
			t.Errorf("%T: key id %s, go-tuf %s (%v)", pub, got, want, err)
		}
		want1, _ := cjson.EncodeCanonical(gk)
		v, _ := tuf.Decode(mustJSON(t, gk))
		got1, _ := tuf.EncodeCanonical(v)
		if !bytes.Equal(got1, want1) {
			t.Errorf("%T: canonical JSON\n%q\ngo-securesystemslib\n%q", pub, got1, want1)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRotateAndRevoke(t *testing.T) {
	r, rel := newRepo(t)
	relID, _ := KeyID(rel.Public())
	keys := rootKeys(t, r)

	// The release key: a new one in keys/targets-v2.key.
	res, err := r.Apply(Change{Role: tuf.RoleTargets, Password: []byte("release"), RootKeys: keys, Now: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 2 || len(res.Made) != 1 || filepath.Base(res.Made[0]) != "targets-v2.key" || !slices.Equal(res.Removed, []string{relID}) {
		t.Errorf("rotate targets: %+v", res)
	}
	if slices.Contains(r.Root().Roles[tuf.RoleTargets].KeyIDs, relID) || r.Root().Keys[relID] != nil {
		t.Error("the old release key is still in the root")
	}
	if r.Ops.Role(tuf.RoleTargets).Keys[0].Created != "2026-12-08T13:00:00Z" {
		t.Errorf("the new key's date: %+v", r.Ops.Role(tuf.RoleTargets).Keys[0])
	}
	newRel, err := loadFile(res.Made[0], []byte("release"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyID(newRel.Public()); id != res.Added {
		t.Error("the key made is not the key added")
	}

	// A root key: the oldest is replaced; the new root is signed by 2 of
	// the old keys and 2 of the new ones.
	res, err = r.Apply(Change{Role: tuf.RoleRoot, Password: []byte(rootPassword), RootKeys: keys, Now: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 3 || filepath.Base(res.Made[0]) != "root-v3-1.key" || len(r.Root().Roles[tuf.RoleRoot].KeyIDs) != 3 {
		t.Errorf("rotate root: %+v, root role %+v", res, r.Root().Roles[tuf.RoleRoot])
	}

	// The online key: both roles at once.
	res, err = r.Apply(Change{Role: tuf.RoleTimestamp, Password: []byte("online"), RootKeys: rootKeys(t, r), Now: now.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(res.Made[0]) != "online-v4.key" || !slices.Equal(r.Root().Roles[tuf.RoleSnapshot].KeyIDs, []string{res.Added}) || !slices.Equal(r.Root().Roles[tuf.RoleTimestamp].KeyIDs, []string{res.Added}) {
		t.Errorf("rotate online: %+v", res)
	}

	// A revocation: recorded with its reason; the revoked root key does not
	// sign the new root, the others still meet both thresholds.
	out := r.Root().Roles[tuf.RoleRoot].KeyIDs[1]
	if _, err := r.Apply(Change{Revoke: out, RootKeys: rootKeys(t, r), Now: now}); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Errorf("a revocation without a reason: %v", err)
	}
	res, err = r.Apply(Change{Revoke: out, Reason: "token lost", Password: []byte(rootPassword), RootKeys: rootKeys(t, r), Now: now.Add(4 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 5 || !slices.Equal(res.Removed, []string{out}) || filepath.Base(res.Made[0]) != "root-v5-1.key" {
		t.Errorf("revoke: %+v", res)
	}
	m, _ := tuf.Parse(r.Roots[4], tuf.RoleRoot)
	for _, s := range m.Signatures {
		if s.KeyID == out {
			t.Error("the revoked key signed the new root")
		}
	}
	if v, ok := r.Ops.Revoked(out); !ok || v.Reason != "token lost" || v.RootVersion != 5 || v.Role != tuf.RoleRoot {
		t.Errorf("revocation record %+v", v)
	}
	goTUF(t, r)

	// Reloaded from disk, the record and the chain still agree.
	if _, err := Load(r.Dir); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r.Status(&b, now.AddDate(0, 4, 0))
	for _, want := range []string{"root version 5", "revoked " + tuf.Short(out), "token lost", "DUE FOR ROTATION", "TODO  targets key"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}

// TestChangeNeedsThresholds: a new root is written only when a threshold
// of the old root keys and of the new ones signed it.
func TestChangeNeedsThresholds(t *testing.T) {
	r, _ := newRepo(t)
	keys := rootKeys(t, r)
	before, _ := os.ReadDir(r.Dir)
	_, err := r.Apply(Change{Role: tuf.RoleTargets, Password: []byte("x"), RootKeys: keys[:1], Now: now})
	if err == nil || !strings.Contains(err.Error(), "must be signed by a threshold of version 1's root keys") {
		t.Errorf("one root key: got %v", err)
	}
	after, _ := os.ReadDir(r.Dir)
	if len(before) != len(after) {
		t.Error("a refused change left files")
	}
	if files, _ := filepath.Glob(filepath.Join(r.Dir, KeysDir, "targets-*")); len(files) != 0 {
		t.Errorf("a refused change left keys: %v", files)
	}
	// Revoking one of the two keys present leaves one: not enough either.
	_, err = r.Apply(Change{Revoke: r.Root().Roles[tuf.RoleRoot].KeyIDs[0], Reason: "x", Password: []byte(rootPassword), RootKeys: keys[:2], Now: now})
	if err == nil || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("revoking a signer: got %v", err)
	}
	if _, err := r.Apply(Change{Revoke: strings.Repeat("ab", 32), Reason: "x", RootKeys: keys, Now: now}); err == nil || !strings.Contains(err.Error(), "in no role") {
		t.Errorf("revoking an unknown key: %v", err)
	}
	if _, err := r.Apply(Change{Role: "mirror", RootKeys: keys, Now: now}); err == nil {
		t.Error("rotating an unknown role passed")
	}
	if _, err := Load(r.Dir); err != nil {
		t.Errorf("the repository after refused changes: %v", err)
	}
}

// TestLoadRefusesTampering: a repository whose record disagrees with its
// root, or whose chain does not verify, is refused.
func TestLoadRefusesTampering(t *testing.T) {
	r, _ := newRepo(t)
	data, _ := os.ReadFile(filepath.Join(r.Dir, OpsFile))
	var ops signingops.Document
	json.Unmarshal(data, &ops)
	ops.Roles[0].Threshold = 1
	b, _ := json.Marshal(ops)
	os.WriteFile(filepath.Join(r.Dir, OpsFile), b, 0o644)
	if _, err := Load(r.Dir); err == nil || !strings.Contains(err.Error(), "disagrees") {
		t.Errorf("a record edited: %v", err)
	}
	os.WriteFile(filepath.Join(r.Dir, OpsFile), data, 0o644)
	os.WriteFile(filepath.Join(r.Dir, "2.root.json"), r.Roots[0], 0o644)
	if _, err := Load(r.Dir); err == nil || !strings.Contains(err.Error(), "2.root.json holds version 1") {
		t.Errorf("a copied root: %v", err)
	}
}

func TestSnapshotRepo(t *testing.T) {
	dir := t.TempDir()
	key := func() *signing.Key {
		p := filepath.Join(dir, "k"+time.Now().Format("150405.000000000"))
		if err := signing.GenerateFiles(p+".key", p+".pub", nil, signing.ECDSAP256); err != nil {
			t.Fatal(err)
		}
		k, err := loadFile(p+".key", nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b := key(), key()
	s := &Source{Dir: filepath.Join(dir, "trust")}
	tr, err := s.snapshotRepo(context.Background(), &Trust{targetsCustody: Custody(a), targetsID: mustID(t, a)}, s.Dir, a.Public(), now, "x")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Repo.Root().Version != 1 || tr.Repo.Root().Roles[tuf.RoleRoot].Threshold != 1 {
		t.Errorf("a new snapshot repository: %+v", tr.Repo.Root().Roles[tuf.RoleRoot])
	}
	// Another key: rotated to it, signed by the local root key.
	tr, err = (&Source{}).snapshotRepo(context.Background(), &Trust{targetsCustody: Custody(b), targetsID: mustID(t, b)}, s.Dir, b.Public(), now, "x")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Repo.Root().Version != 2 || !slices.Contains(tr.Repo.Root().Roles[tuf.RoleTargets].KeyIDs, mustID(t, b)) {
		t.Errorf("rotated snapshot repository: version %d", tr.Repo.Root().Version)
	}
	// Close to its expiry: renewed.
	tr, err = (&Source{}).snapshotRepo(context.Background(), &Trust{targetsCustody: Custody(b), targetsID: mustID(t, b)}, s.Dir, b.Public(), now.AddDate(0, 11, 10), "x")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Repo.Root().Version != 3 {
		t.Errorf("renewed snapshot repository: version %d", tr.Repo.Root().Version)
	}
	goTUF(t, tr.Repo)
}

func mustID(t *testing.T, k *signing.Key) string {
	id, err := KeyID(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return id
}
