package tufclient

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/tuf"
)

// setup makes a repository and a trust folder pinned to its root version 1.
func setup(t *testing.T) (*repo, *Client) {
	t.Helper()
	r := newRepo(t)
	dir := t.TempDir()
	if _, _, err := Init(dir, r.roots[0], now); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// pass updates c with rel, which must pass, and records it.
func pass(t *testing.T, c *Client, rel *release) *Result {
	t.Helper()
	res := c.Update(rel.pkg())
	if !res.OK() {
		t.Fatalf("%s: want a pass, got:\n%s", rel.version, steps(res))
	}
	if err := c.Commit(res, "go-runtime-"+rel.version, now); err != nil {
		t.Fatal(err)
	}
	return res
}

func steps(r *Result) string {
	var b strings.Builder
	for _, s := range r.Steps {
		ok := "PASS"
		if !s.OK {
			ok = "FAIL"
		}
		b.WriteString(ok + " " + s.Step + " " + s.File + ": " + s.Detail + "\n")
	}
	return b.String()
}

func TestUpdatePasses(t *testing.T) {
	r, c := setup(t)
	a := r.build("v1.0.0", 100)
	res := pass(t, c, a)
	if res.Versions != (Versions{Root: 1, Timestamp: 100, Snapshot: 100, Targets: 100}) {
		t.Errorf("versions: got %+v", res.Versions)
	}
	// The same package again, and a package of one commit with equal
	// versions, pass.
	pass(t, c, a)
	pass(t, c, r.build("v1.0.1", 100))

	// A rotation of every key but one root key: the client walks to root
	// version 2 and forgets the timestamp and snapshot it trusted.
	ks := newKeyset(t)
	ks.root[0] = r.keys.root[0]
	r.rotate(ks)
	b := r.build("v1.1.0", 90) // lower versions: after a key change, not a rollback
	res = pass(t, c, b)
	if res.Root.Version != 2 || len(res.Walked) != 1 || !res.Forgot {
		t.Errorf("got root %d, walked %v, forgot %v; want root 2 walked [2], forgot", res.Root.Version, res.Walked, res.Forgot)
	}
	// The folder kept both roots, and the versions of b.
	s, err := Load(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roots) != 2 || s.Versions() != (Versions{Root: 2, Timestamp: 90, Snapshot: 90, Targets: 90}) || s.Package != "go-runtime-v1.1.0" {
		t.Errorf("state: %d roots, versions %+v, package %s", len(s.Roots), s.Versions(), s.Package)
	}
}

// TestAttacks is the attack table of issue 16: each row builds what an
// attacker would bring and checks the client refuses it at the right step,
// naming the version and the check, and records nothing.
func TestAttacks(t *testing.T) {
	tests := []struct {
		name string
		// attack returns the package the attacker brings; it may first
		// record packages that passed.
		attack func(t *testing.T, r *repo, c *Client) Package
		step   string
		want   string
	}{
		{"rollback: an older timestamp after a newer one", func(t *testing.T, r *repo, c *Client) Package {
			old := r.build("v1.0.0", 100)
			pass(t, c, r.build("v1.1.0", 200))
			return old.pkg()
		}, StepTimestamp, "version 100: rollback: lower than the trusted version 200"},
		{"rollback: a newer timestamp naming an older snapshot", func(t *testing.T, r *repo, c *Client) Package {
			old := r.build("v1.0.0", 100)
			pass(t, c, r.build("v1.1.0", 200))
			rel := old.clone()
			ts := &tuf.Timestamp{Type: tuf.RoleTimestamp, SpecVersion: tuf.SpecVersion, Version: 300, Expires: future,
				Meta: map[string]*tuf.MetaFile{"snapshot.json": {Version: 100}}}
			rel.meta[tuf.TimestampPath] = encode(t, ts, by(r.keys.timestamp)...)
			return rel.pkg()
		}, StepTimestamp, "version 300: rollback: names snapshot version 100, lower than the trusted 200"},
		{"rollback: a newer snapshot listing an older targets", func(t *testing.T, r *repo, c *Client) Package {
			old := r.build("v1.0.0", 100)
			pass(t, c, r.build("v1.1.0", 200))
			rel := old.clone()
			snap := &tuf.Snapshot{Type: tuf.RoleSnapshot, SpecVersion: tuf.SpecVersion, Version: 300, Expires: future,
				Meta: map[string]*tuf.MetaFile{"targets.json": {Version: 100}}}
			sb := encode(t, snap, by(r.keys.snapshot)...)
			rel.meta[tuf.SnapshotPath] = sb
			ts := &tuf.Timestamp{Type: tuf.RoleTimestamp, SpecVersion: tuf.SpecVersion, Version: 300, Expires: future,
				Meta: map[string]*tuf.MetaFile{"snapshot.json": {Version: 300, Length: int64(len(sb)), Hashes: tuf.Hashes(sb)}}}
			rel.meta[tuf.TimestampPath] = encode(t, ts, by(r.keys.timestamp)...)
			return rel.pkg()
		}, StepSnapshot, "version 300: rollback: lists targets.json version 100, lower than the trusted 200"},
		{"freeze: an expired timestamp", func(t *testing.T, r *repo, c *Client) Package {
			rel := r.build("v1.0.0", 100)
			ts := &tuf.Timestamp{Type: tuf.RoleTimestamp, SpecVersion: tuf.SpecVersion, Version: 100, Expires: now.Add(-time.Hour).Format(tuf.TimeFormat),
				Meta: map[string]*tuf.MetaFile{"snapshot.json": {Version: 100}}}
			rel.meta[tuf.TimestampPath] = encode(t, ts, by(r.keys.timestamp)...)
			return rel.pkg()
		}, StepTimestamp, "version 100: freeze: expired on 2026-12-08T11:00:00Z"},
		{"freeze: an expired root", func(t *testing.T, r *repo, c *Client) Package {
			root := rootOf(2, r.keys)
			root.Expires = now.Add(-time.Hour).Format(tuf.TimeFormat)
			r.roots = append(r.roots, encode(t, root, by(r.keys.root...)...))
			return r.build("v1.0.0", 100).pkg()
		}, StepRoot, "version 2: freeze: the newest root expired"},
		{"mix-and-match: a file of another release", func(t *testing.T, r *repo, c *Client) Package {
			a := r.build("v1.0.0", 100)
			b := r.build("v1.1.0", 200)
			p := b.pkg()
			p.Files["bin/linux-amd64/cavra-runtime"] = a.pkg().Files["bin/linux-amd64/cavra-runtime"]
			return p
		}, StepFiles, "version 200: targets.json: hash: sha256"},
		{"mix-and-match: the targets.json of another release", func(t *testing.T, r *repo, c *Client) Package {
			a := r.build("v1.0.0", 100)
			b := r.build("v1.1.0", 100)
			p := b.pkg()
			p.Metadata[tuf.TargetsPath] = a.meta[tuf.TargetsPath]
			return p
		}, StepTargets, "lists another targets.json: mix-and-match"},
		{"mix-and-match: targets.json, snapshot and timestamp of another release", func(t *testing.T, r *repo, c *Client) Package {
			a := r.build("v1.0.0", 100)
			p := a.pkg()
			p.Version = "v1.1.0"
			return p
		}, StepTargets, "mix-and-match: targets.json is of release v1.0.0"},
		{"threshold not met: a new root signed by one old root key", func(t *testing.T, r *repo, c *Client) Package {
			ks := r.keys
			r.roots = append(r.roots, encode(t, rootOf(2, ks), by(ks.root[0])...))
			return r.build("v1.0.0", 100).pkg()
		}, StepRoot, "version 2: not signed by a threshold of root version 1's root keys: threshold: signed by 1 of the 2 root key(s) required"},
		{"one key counted twice: two signatures by one key", func(t *testing.T, r *repo, c *Client) Package {
			ks := r.keys
			r.roots = append(r.roots, encode(t, rootOf(2, ks), by(ks.root[0], ks.root[0])...))
			return r.build("v1.0.0", 100).pkg()
		}, StepRoot, "1 more signature(s) by a key already counted, counted once"},
		{"one key counted twice: two key ids for one key", func(t *testing.T, r *repo, c *Client) Package {
			ks := r.keys
			root := rootOf(2, ks)
			// The targets key again, spelled with the older key type: another
			// key id for the same key, and a threshold of 2.
			twin := *ks.targets.key
			twin.Type = tuf.KeyTypeECDSACompat
			twinID, _ := twin.ID()
			root.Keys[twinID] = &twin
			root.Roles[tuf.RoleTargets] = &tuf.Role{KeyIDs: []string{ks.targets.id, twinID}, Threshold: 2}
			r.roots = append(r.roots, encode(t, root, by(ks.root...)...))
			rel := r.build("v1.0.0", 100)
			full, _ := tuf.Decode(rel.meta[tuf.TargetsPath])
			signed := full.(map[string]any)["signed"]
			tg2 := encode(t, signed, sigBy{s: ks.targets}, sigBy{s: ks.targets, id: twinID})
			r.finish(rel, ks, tg2)
			return rel.pkg()
		}, StepTargets, "threshold: signed by 1 of the 2 targets key(s) required; 1 more signature(s) by a key already counted"},
		{"a revoked key: targets signed by a key the newest root removed", func(t *testing.T, r *repo, c *Client) Package {
			old := r.keys
			ks := old
			ks.targets = newSigner(t, true)
			r.rotate(ks)
			rel := r.build("v1.0.0", 100)
			// The holder of the revoked key signs targets.json; the package
			// carries the newest root.
			r.sign(rel, keyset{targets: old.targets, snapshot: ks.snapshot, timestamp: ks.timestamp})
			return rel.pkg()
		}, StepTargets, "threshold: signed by 0 of the 1 targets key(s) required"},
		{"root chain with a gap", func(t *testing.T, r *repo, c *Client) Package {
			r.rotate(r.keys)
			r.rotate(r.keys)
			p := r.build("v1.0.0", 100).pkg()
			delete(p.Metadata, tuf.Path(tuf.RoleRoot, 2))
			return p
		}, StepRoot, "version 2: chain: missing, though the package carries root version 3: a gap"},
		{"root chain with a skipped version", func(t *testing.T, r *repo, c *Client) Package {
			ks := r.keys
			r.roots = append(r.roots, encode(t, rootOf(3, ks), by(ks.root...)...))
			return r.build("v1.0.0", 100).pkg()
		}, StepRoot, "version 3: version: trust/2.root.json holds version 3; root version 2 must follow version 1"},
		{"a new root signed only by its own keys", func(t *testing.T, r *repo, c *Client) Package {
			ks := newKeyset(t)
			r.roots = append(r.roots, encode(t, rootOf(2, ks), by(ks.root...)...))
			r.keys = ks
			return r.build("v1.0.0", 100).pkg()
		}, StepRoot, "version 2: not signed by a threshold of root version 1's root keys: threshold: signed by 0 of the 2"},
		{"a root fork: another version 1", func(t *testing.T, r *repo, c *Client) Package {
			ks := newKeyset(t)
			p := r.build("v1.0.0", 100).pkg()
			p.Metadata[tuf.Path(tuf.RoleRoot, 1)] = encode(t, rootOf(1, ks), by(ks.root...)...)
			return p
		}, StepRoot, "version 1: fork: differs from the root version 1 this trust folder trusts"},
		{"wrong role type: a snapshot as the timestamp", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			p.Metadata[tuf.TimestampPath] = p.Metadata[tuf.SnapshotPath]
			return p
		}, StepTimestamp, `type: _type is "snapshot", want "timestamp"`},
		{"wrong role key: the timestamp signed by the snapshot key", func(t *testing.T, r *repo, c *Client) Package {
			rel := r.build("v1.0.0", 100)
			r.finish(rel, keyset{targets: r.keys.targets, snapshot: r.keys.snapshot, timestamp: r.keys.snapshot}, rel.meta[tuf.TargetsPath])
			return rel.pkg()
		}, StepTimestamp, "threshold: signed by 0 of the 1 timestamp key(s) required"},
		{"valid JSON that is not canonical", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			var buf bytes.Buffer
			json.Indent(&buf, p.Metadata[tuf.TimestampPath], "", "  ")
			p.Metadata[tuf.TimestampPath] = buf.Bytes()
			return p
		}, StepTimestamp, "not canonical JSON: differs from its canonical form at byte 1"},
		{"valid JSON that is not canonical: a duplicate key", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			ts := p.Metadata[tuf.TimestampPath]
			p.Metadata[tuf.TimestampPath] = bytes.Replace(ts, []byte(`"version":100}`), []byte(`"version":100,"version":1}`), 1)
			return p
		}, StepTimestamp, `duplicate key "version"`},
		{"valid JSON that is not canonical: a float", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			ts := p.Metadata[tuf.TimestampPath]
			p.Metadata[tuf.TimestampPath] = bytes.Replace(ts, []byte(`"version":100}`), []byte(`"version":100.0}`), 1)
			return p
		}, StepTimestamp, "number 100.0 is not an integer"},
		{"oversize metadata", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			p.Metadata[tuf.TimestampPath] = append(p.Metadata[tuf.TimestampPath], bytes.Repeat([]byte(" "), 16<<10)...)
			return p
		}, StepTimestamp, "size: 1"},
		{"an unlisted file", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			p.Files["trust/extra.json"] = File{Length: 1}
			return p
		}, StepFiles, "not listed: a file the release did not sign"},
		{"no metadata", func(t *testing.T, r *repo, c *Client) Package {
			p := r.build("v1.0.0", 100).pkg()
			p.Metadata = nil
			return p
		}, StepRoot, "chain: the package carries no root metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c := setup(t)
			p := tt.attack(t, r, c)
			before, err := os.ReadFile(filepath.Join(c.Dir, StateFile))
			if err != nil {
				t.Fatal(err)
			}
			res := c.Update(p)
			if res.OK() {
				t.Fatalf("the attack passed:\n%s", steps(res))
			}
			var failed *Step
			for i := range res.Steps {
				if !res.Steps[i].OK {
					failed = &res.Steps[i]
					break
				}
			}
			if failed.Step != tt.step || !strings.Contains(failed.Detail, tt.want) {
				t.Errorf("got %s %s: %s\nwant %s: ...%s...", failed.Step, failed.File, failed.Detail, tt.step, tt.want)
			}
			if err := c.Commit(res, "attack", now); err == nil {
				t.Error("a failed update was committed")
			}
			after, _ := os.ReadFile(filepath.Join(c.Dir, StateFile))
			if !bytes.Equal(before, after) {
				t.Error("the state changed")
			}
		})
	}
}

// TestStateEdited: a state file edited to a lower version, or otherwise
// corrupt, is a clear error, never a silent reset, and is left as it was.
func TestStateEdited(t *testing.T) {
	r, c := setup(t)
	pass(t, c, r.build("v1.1.0", 200))
	path := filepath.Join(c.Dir, StateFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"the recorded version lowered", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"versions":{"root":1,"snapshot":200,"targets":200,"timestamp":200}`), []byte(`"versions":{"root":1,"snapshot":200,"targets":200,"timestamp":100}`), 1)
		}, "the versions it records"},
		{"the signed timestamp's version lowered", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"_type":"timestamp"`))
			return append(b[:i:i], bytes.Replace(b[i:], []byte(`"version":200}`), []byte(`"version":100}`), 1)...)
		}, "timestamp: threshold: signed by 0 of the 1 timestamp key(s)"},
		{"not JSON", func(b []byte) []byte { return []byte("{") }, "corrupt state"},
		{"empty", func(b []byte) []byte { return nil }, "corrupt state"},
		{"re-indented", func(b []byte) []byte {
			var buf bytes.Buffer
			json.Indent(&buf, b, "", " ")
			return buf.Bytes()
		}, "not canonical JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.edit(bytes.Clone(good))
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(c.Dir, now)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "corrupt state, not used and not changed") {
				t.Errorf("got %v, want a corrupt-state error mentioning %q", err, tt.want)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, bad) {
				t.Error("the corrupt state was changed")
			}
		})
	}
	os.WriteFile(path, good, 0o644)
	if _, err := Open(c.Dir, now); err != nil {
		t.Errorf("the restored state: %v", err)
	}
}

func TestInit(t *testing.T) {
	r := newRepo(t)
	dir := filepath.Join(t.TempDir(), "trust")
	if _, warn, err := Init(dir, r.roots[0], now); err != nil || len(warn) != 0 {
		t.Fatalf("Init: %v %v", warn, err)
	}
	if _, _, err := Init(dir, r.roots[0], now); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second Init: got %v, want already exists", err)
	}
	// A root not signed by a threshold of its own keys is no root to pin.
	ks := newKeyset(t)
	bad := encode(t, rootOf(1, ks), by(ks.root[0])...)
	if _, _, err := Init(t.TempDir(), bad, now); err == nil || !strings.Contains(err.Error(), "by its own keys: threshold") {
		t.Errorf("an under-signed root: got %v", err)
	}
	// Not a root at all.
	rel := r.build("v1.0.0", 1)
	if _, _, err := Init(t.TempDir(), rel.meta[tuf.TimestampPath], now); err == nil || !strings.Contains(err.Error(), `_type is "timestamp"`) {
		t.Errorf("a timestamp as the root: got %v", err)
	}
	// An uninitialised folder says how to initialise it.
	if _, err := Open(t.TempDir(), now); err == nil || !strings.Contains(err.Error(), "cavra trust init --root") {
		t.Errorf("Open of an empty folder: got %v", err)
	}
	// An expired root is pinned with a warning.
	root := rootOf(1, ks)
	root.Expires = now.Add(-time.Hour).Format(tuf.TimeFormat)
	if _, warn, err := Init(t.TempDir(), encode(t, root, by(ks.root...)...), now); err != nil || len(warn) != 1 {
		t.Errorf("an expired root: got %v %v, want one warning", warn, err)
	}
}

// TestCheckInstalled: the current package of an upgrade is checked against
// the root it carries, which the folder trusted, not against the versions
// seen since nor its expiry.
func TestCheckInstalled(t *testing.T) {
	r, c := setup(t)
	a := r.build("v1.0.0", 100)
	pass(t, c, a)
	ks := r.keys
	ks.targets = newSigner(t, true)
	r.rotate(ks)
	pass(t, c, r.build("v1.1.0", 200))
	if res := c.Update(a.pkg()); res.OK() {
		t.Fatal("a rollback passed Update")
	}
	res := c.CheckInstalled(a.pkg())
	if !res.OK() || res.Root.Version != 1 {
		t.Fatalf("CheckInstalled of the older package:\n%s", steps(res))
	}
	if err := c.Commit(res, "x", now); err == nil {
		t.Error("an installed check was committed")
	}
	// A package whose root this folder never trusted is refused.
	other := newRepo(t).build("v1.0.0", 100)
	if res := c.CheckInstalled(other.pkg()); res.OK() {
		t.Error("a foreign package passed CheckInstalled")
	}
}

// TestSharedFolder runs two verifiers on one trust folder at once: the
// state never goes back to what the slower one saw, the same package passes
// both, and a verifier that finds the folder locked records nothing.
func TestSharedFolder(t *testing.T) {
	t.Run("an older package recorded after a newer one", func(t *testing.T) {
		r, c := setup(t)
		old, newer := r.build("v1.0.0", 100), r.build("v1.1.0", 200)
		slow, err := Open(c.Dir, now)
		if err != nil {
			t.Fatal(err)
		}
		res := slow.Update(old.pkg()) // passes: the folder has seen nothing yet
		if !res.OK() {
			t.Fatalf("the older package, alone: %s", steps(res))
		}
		pass(t, c, newer)
		before := readState(t, c.Dir)
		err = slow.Commit(res, "go-runtime-v1.0.0", now)
		if err == nil || !strings.Contains(err.Error(), "changed while this package was verified (another verifier recorded root 1, timestamp 200") {
			t.Fatalf("got %v, want the state changed", err)
		}
		if after := readState(t, c.Dir); !bytes.Equal(before, after) {
			t.Errorf("the state changed:\n%s", after)
		}
		if _, err := os.Stat(filepath.Join(c.Dir, LockFile)); !os.IsNotExist(err) {
			t.Errorf("the lock is left: %v", err)
		}
	})
	t.Run("one package by both", func(t *testing.T) {
		r, c := setup(t)
		a := r.build("v1.0.0", 100)
		other, err := Open(c.Dir, now)
		if err != nil {
			t.Fatal(err)
		}
		res := other.Update(a.pkg())
		pass(t, c, a)
		if err := other.Commit(res, "go-runtime-v1.0.0", now); err != nil {
			t.Fatalf("the same versions again: %v", err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		r, c := setup(t)
		defer func(d time.Duration) { lockWait = d }(lockWait)
		lockWait = 50 * time.Millisecond
		lock := filepath.Join(c.Dir, LockFile)
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		before := readState(t, c.Dir)
		res := c.Update(r.build("v1.0.0", 100).pkg())
		err := c.Commit(res, "go-runtime-v1.0.0", now)
		if err == nil || !strings.Contains(err.Error(), LockFile+": another verifier has been recording") {
			t.Fatalf("got %v, want the lock named", err)
		}
		if after := readState(t, c.Dir); !bytes.Equal(before, after) {
			t.Errorf("the state changed")
		}
		if _, err := os.Stat(lock); err != nil {
			t.Errorf("another verifier's lock was removed: %v", err)
		}
		// Once the other verifier is done, the package is recorded.
		os.Remove(lock)
		if err := c.Commit(res, "go-runtime-v1.0.0", now); err != nil {
			t.Fatal(err)
		}
	})
}

func readState(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
