// Package tufclient is an offline client of The Update Framework for
// cavra-go-runtime packages, with the standard library alone: it follows
// the client workflow of the specification (sections 5.3 to 5.7) on the
// trust/ folder of a package, reading files instead of downloading them.
//
// A trust folder (cavra's --trust-dir) holds state.json: the roots it
// trusts, pinned first by `cavra trust init` with a root obtained out of
// band, and the timestamp and snapshot of the last package that passed.
// For each package, [Client.Update]:
//
//  1. updates the root through the package's chain: each version N+1
//     signed by a threshold of version N's root keys and of its own, with
//     no gap and no version skipped; a root the folder already trusts must
//     be byte for byte the one it trusts; the newest root must not have
//     expired (freeze). If the timestamp or snapshot keys changed, the
//     trusted timestamp and snapshot are forgotten.
//  2. checks timestamp.json: a threshold of the timestamp keys, a version
//     and a snapshot version not lower than the trusted ones (rollback),
//     not expired (freeze).
//  3. checks snapshot.json: the length and hashes the timestamp lists, a
//     threshold of the snapshot keys, the version the timestamp names, no
//     targets version lower than the trusted snapshot's, not expired.
//  4. checks targets.json: the length and hashes the snapshot lists, a
//     threshold of the targets keys, the version the snapshot names, not
//     expired, and every target of the release the package's manifest
//     names (custom version and commit).
//  5. checks every file of the package against targets.json: listed, of
//     that length, with that SHA-256 and SHA-512; nothing unlisted but the
//     metadata itself.
//
// An equal version is accepted (two packages of one commit carry the same
// versions: the release derives them from SOURCE_DATE_EPOCH); a lower one is
// a rollback. Expiry is checked at the client's time, the current time
// unless the operator gave another (cavra's --at). Nothing is written until
// the caller, once every check of the package has passed, calls
// [Client.Commit], which writes the new state atomically. Two verifiers may
// share a folder: Commit writes under a lock, and only over the state its
// update started from, so that neither can lower what the other recorded.
//
// A failure names the role, the file, the version and the check:
// "trust/timestamp.json: version 5: rollback: lower than the trusted
// version 7".
package tufclient

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/tuf"
)

// Client checks packages against a trust folder.
type Client struct {
	Dir   string
	State *State
	// At is the time expiry is checked at.
	At time.Time
}

// Open reads the state of the trust folder dir; expiry will be checked at
// at.
func Open(dir string, at time.Time) (*Client, error) {
	s, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return &Client{Dir: dir, State: s, At: at}, nil
}

// Package is what the client checks of a package: the bytes of each file
// under trust/ and what was read of every other file.
type Package struct {
	// Metadata holds every file under trust/ that is TUF metadata, by
	// path; nil bytes for one that could not be read whole.
	Metadata map[string][]byte
	// Files holds every other file of the package.
	Files map[string]File
	// Version and Commit are the release the package's manifest names;
	// every target must be of it. Empty: not compared.
	Version, Commit string
}

// File is what was read of one file.
type File struct {
	Length         int64
	SHA256, SHA512 string
	Err            error // it could not be read
}

// The steps of an update, as a [Step] names them.
const (
	StepRoot      = tuf.RoleRoot
	StepTimestamp = tuf.RoleTimestamp
	StepSnapshot  = tuf.RoleSnapshot
	StepTargets   = tuf.RoleTargets
	StepFiles     = "files"
)

// Step is the outcome of one step for one file.
type Step struct {
	Step    string // one of the Step* names
	File    string
	Version int64 // of the metadata checked, when known
	OK      bool
	Detail  string
}

// Result is the outcome of an update.
type Result struct {
	Steps []Step
	// Root is the root trusted at the end (nil when the root update
	// failed), Targets the checked targets metadata (nil unless it
	// passed).
	Root     *tuf.Root
	Targets  *tuf.Targets
	Versions Versions
	// Walked lists the root versions the update took from the package.
	Walked []int64
	// Forgot says the trusted timestamp and snapshot were forgotten
	// because their keys changed.
	Forgot bool

	next *State
}

// OK reports whether every step passed.
func (r *Result) OK() bool {
	if len(r.Steps) == 0 {
		return false
	}
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return true
}

func (r *Result) pass(step, file string, v int64, format string, args ...any) {
	r.Steps = append(r.Steps, Step{Step: step, File: file, Version: v, OK: true, Detail: fmt.Sprintf(format, args...)})
}

func (r *Result) fail(step, file string, v int64, format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	if v > 0 {
		d = fmt.Sprintf("version %d: %s", v, d)
	}
	r.Steps = append(r.Steps, Step{Step: step, File: file, Version: v, Detail: d})
}

// mode says what an update checks.
type mode struct {
	installed bool // the current package of an upgrade: no rollback, no expiry, no new state
}

// Update checks p against the trusted state, as the package documentation
// describes. The state is not written; see [Client.Commit].
func (c *Client) Update(p Package) *Result { return c.update(p, mode{}) }

// CheckInstalled checks p as the package installed now, the current side
// of an upgrade: against the root the package carries, which the folder
// must trust or have trusted (or reach through the package's chain), with
// its signatures, hashes and versions consistent, but neither compared with
// the versions seen since (it is older by design) nor held to its expiry.
// Its result cannot be committed.
func (c *Client) CheckInstalled(p Package) *Result { return c.update(p, mode{installed: true}) }

func (c *Client) update(p Package, md mode) *Result {
	r := &Result{}
	root, newRoots, ok := c.updateRoot(r, p, md)
	if !ok {
		return r
	}
	r.Root = root
	st := c.State
	trusted, _ := st.Root()
	tsT, snapT := st.ts, st.snap
	if md.installed {
		tsT, snapT = nil, nil
	} else if !tuf.SameKeys(trusted, root, tuf.RoleTimestamp) || !tuf.SameKeys(trusted, root, tuf.RoleSnapshot) {
		// Specification 5.3.11: forget them, to recover from a
		// fast-forward attack.
		r.Forgot = tsT != nil
		tsT, snapT = nil, nil
	}

	expired := func(step, file string, m *tuf.Metadata) bool {
		if md.installed || !tuf.Expired(m.Expires, c.At) {
			return false
		}
		r.fail(step, file, m.Version, "freeze: expired on %s (checked at %s)", m.Expires.Format(tuf.TimeFormat), c.At.UTC().Format(tuf.TimeFormat))
		return true
	}

	// Timestamp.
	tsFile := tuf.TimestampPath
	m, err := parse(p, tsFile, tuf.RoleTimestamp)
	if err != nil {
		r.fail(StepTimestamp, tsFile, 0, "%v", err)
		return r
	}
	ts, err := m.Timestamp()
	if err == nil {
		_, err = m.Verify(root, tuf.RoleTimestamp)
	}
	if err != nil {
		r.fail(StepTimestamp, tsFile, m.Version, "%v", err)
		return r
	}
	snapMeta := ts.Meta[tuf.MetaName(tuf.RoleSnapshot)]
	if tsT != nil {
		if m.Version < tsT.Version {
			r.fail(StepTimestamp, tsFile, m.Version, "rollback: lower than the trusted version %d", tsT.Version)
			return r
		}
		if old := tsT.Meta[tuf.MetaName(tuf.RoleSnapshot)].Version; snapMeta.Version < old {
			r.fail(StepTimestamp, tsFile, m.Version, "rollback: names snapshot version %d, lower than the trusted %d", snapMeta.Version, old)
			return r
		}
	}
	if expired(StepTimestamp, tsFile, m) {
		return r
	}
	r.pass(StepTimestamp, tsFile, m.Version, "version %d, signed by %d of %d timestamp key(s), expires %s", m.Version, root.Roles[tuf.RoleTimestamp].Threshold, len(root.Roles[tuf.RoleTimestamp].KeyIDs), m.Expires.Format(tuf.TimeFormat))
	tsNew := m

	// Snapshot.
	snapFile := tuf.SnapshotPath
	if err := checkBytes(p, snapFile, snapMeta); err != nil {
		r.fail(StepSnapshot, snapFile, snapMeta.Version, "%v (timestamp version %d lists another snapshot: mix-and-match)", err, ts.Version)
		return r
	}
	m, err = parse(p, snapFile, tuf.RoleSnapshot)
	if err != nil {
		r.fail(StepSnapshot, snapFile, 0, "%v", err)
		return r
	}
	snap, err := m.Snapshot()
	if err == nil {
		_, err = m.Verify(root, tuf.RoleSnapshot)
	}
	if err != nil {
		r.fail(StepSnapshot, snapFile, m.Version, "%v", err)
		return r
	}
	if m.Version != snapMeta.Version {
		r.fail(StepSnapshot, snapFile, m.Version, "version: the timestamp names snapshot version %d (mix-and-match)", snapMeta.Version)
		return r
	}
	if snapT != nil {
		for _, name := range slices.Sorted(maps.Keys(snapT.Meta)) {
			n := snap.Meta[name]
			switch {
			case n == nil:
				r.fail(StepSnapshot, snapFile, m.Version, "rollback: no longer lists %s, which the trusted snapshot lists", name)
				return r
			case n.Version < snapT.Meta[name].Version:
				r.fail(StepSnapshot, snapFile, m.Version, "rollback: lists %s version %d, lower than the trusted %d", name, n.Version, snapT.Meta[name].Version)
				return r
			}
		}
	}
	if expired(StepSnapshot, snapFile, m) {
		return r
	}
	r.pass(StepSnapshot, snapFile, m.Version, "version %d as the timestamp names it, signed by the snapshot key(s), expires %s", m.Version, m.Expires.Format(tuf.TimeFormat))
	snapNew := m

	// Targets.
	tgFile := tuf.TargetsPath
	tgMeta := snap.Meta[tuf.MetaName(tuf.RoleTargets)]
	if err := checkBytes(p, tgFile, tgMeta); err != nil {
		r.fail(StepTargets, tgFile, tgMeta.Version, "%v (snapshot version %d lists another targets.json: mix-and-match)", err, snap.Version)
		return r
	}
	m, err = parse(p, tgFile, tuf.RoleTargets)
	if err != nil {
		r.fail(StepTargets, tgFile, 0, "%v", err)
		return r
	}
	targets, err := m.Targets()
	var th *tuf.Threshold
	if err == nil {
		th, err = m.Verify(root, tuf.RoleTargets)
	}
	if err != nil {
		r.fail(StepTargets, tgFile, m.Version, "%v", err)
		return r
	}
	if m.Version != tgMeta.Version {
		r.fail(StepTargets, tgFile, m.Version, "version: the snapshot names targets version %d (mix-and-match)", tgMeta.Version)
		return r
	}
	if expired(StepTargets, tgFile, m) {
		return r
	}
	if err := checkRelease(targets, p.Version, p.Commit); err != nil {
		r.fail(StepTargets, tgFile, m.Version, "%v", err)
		return r
	}
	r.pass(StepTargets, tgFile, m.Version, "version %d as the snapshot names it, %d targets, signed by %s, expires %s", m.Version, len(targets.Targets), shortList(th.Signers), m.Expires.Format(tuf.TimeFormat))
	r.Targets = targets

	// Every file.
	if checkFiles(r, p, targets, m.Version) {
		r.pass(StepFiles, "", m.Version, "%d files match targets.json version %d (length, sha256, sha512); none unlisted", len(targets.Targets), m.Version)
	}

	r.Versions = Versions{Root: root.Version, Timestamp: tsNew.Version, Snapshot: snapNew.Version, Targets: m.Version}
	if !md.installed {
		next := st.clone()
		for _, nm := range newRoots {
			nr, _ := nm.Root()
			next.Roots, next.roots = append(next.Roots, nm), append(next.roots, nr)
		}
		next.Timestamp, next.ts = tsNew, ts
		next.Snapshot, next.snap = snapNew, snap
		r.next = next
	}
	return r
}

// updateRoot walks the package's root chain from the trusted root (or,
// installed, finds the root the package ends with) and returns the root to
// use and the new root metadata.
func (c *Client) updateRoot(r *Result, p Package, md mode) (*tuf.Root, []*tuf.Metadata, bool) {
	present := map[int64][]byte{}
	var top int64
	for path, data := range p.Metadata {
		if v, ok := tuf.RootVersion(path); ok {
			present[v] = data
			top = max(top, v)
		}
	}
	if top == 0 {
		r.fail(StepRoot, tuf.Path(tuf.RoleRoot, 1), 0, "chain: the package carries no root metadata (trust/1.root.json ... N.root.json)")
		return nil, nil, false
	}
	for v := int64(1); v <= top; v++ {
		if _, ok := present[v]; !ok {
			r.fail(StepRoot, tuf.Path(tuf.RoleRoot, v), v, "chain: missing, though the package carries root version %d: a gap in the root chain", top)
			return nil, nil, false
		}
	}
	st := c.State
	cur, curM := st.Root()
	// A root the folder trusts must be the one it trusts.
	for i, h := range st.Roots {
		if data, ok := present[h.Version]; ok && !bytes.Equal(data, h.File) {
			r.fail(StepRoot, tuf.Path(tuf.RoleRoot, h.Version), h.Version, "fork: differs from the root version %d this trust folder trusts", st.roots[i].Version)
			return nil, nil, false
		}
	}
	if md.installed && top <= cur.Version {
		hr, hm, ok := st.root(top)
		if !ok {
			r.fail(StepRoot, tuf.Path(tuf.RoleRoot, top), top, "chain: the package ends at root version %d, which this trust folder never trusted (it starts at version %d)", top, st.roots[0].Version)
			return nil, nil, false
		}
		r.pass(StepRoot, tuf.Path(tuf.RoleRoot, top), top, "version %d, trusted by this folder (the installed package's root; the trusted root is now version %d)", hm.Version, cur.Version)
		return hr, nil, true
	}
	from := cur.Version
	var walked []*tuf.Metadata
	for v := cur.Version + 1; v <= top; v++ {
		path := tuf.Path(tuf.RoleRoot, v)
		if v-from > tuf.MaxRootRotations {
			r.fail(StepRoot, path, v, "chain: more than %d root versions in one update", tuf.MaxRootRotations)
			return nil, nil, false
		}
		m, err := tuf.Parse(present[v], tuf.RoleRoot)
		if err != nil {
			r.fail(StepRoot, path, v, "%v", err)
			return nil, nil, false
		}
		if m.Version != v {
			r.fail(StepRoot, path, m.Version, "version: %s holds version %d; root version %d must follow version %d (a skipped or misplaced version)", path, m.Version, v, v-1)
			return nil, nil, false
		}
		next, err := m.Root()
		if err != nil {
			r.fail(StepRoot, path, v, "%v", err)
			return nil, nil, false
		}
		if _, err := m.Verify(cur, tuf.RoleRoot); err != nil {
			r.fail(StepRoot, path, v, "not signed by a threshold of root version %d's root keys: %v", cur.Version, err)
			return nil, nil, false
		}
		if _, err := m.Verify(next, tuf.RoleRoot); err != nil {
			r.fail(StepRoot, path, v, "not signed by a threshold of its own root keys: %v", err)
			return nil, nil, false
		}
		cur, curM = next, m
		walked = append(walked, m)
		r.Walked = append(r.Walked, v)
	}
	path := tuf.Path(tuf.RoleRoot, cur.Version)
	if !md.installed && tuf.Expired(curM.Expires, c.At) {
		r.fail(StepRoot, path, cur.Version, "freeze: the newest root expired on %s (checked at %s)", curM.Expires.Format(tuf.TimeFormat), c.At.UTC().Format(tuf.TimeFormat))
		return nil, nil, false
	}
	switch {
	case len(walked) > 0:
		r.pass(StepRoot, path, cur.Version, "version %d, reached from the trusted version %d through %s, each signed by its predecessor's and its own root keys; expires %s", cur.Version, from, versions(r.Walked), curM.Expires.Format(tuf.TimeFormat))
	default:
		r.pass(StepRoot, path, cur.Version, "version %d, the trusted root (the package carries versions 1 to %d); expires %s", cur.Version, top, curM.Expires.Format(tuf.TimeFormat))
	}
	return cur, walked, true
}

// Commit records the versions of an update that passed, with the package
// that passed, atomically. Call it only once every check of the package
// has passed.
//
// Another verifier may have recorded a package in the same folder since
// this one read it. Commit holds the folder's lock ([LockFile]) while it
// reads the state again and writes, and records nothing when the state
// changed to anything but these same versions: a package verified against
// an older state could otherwise write over a newer one and open the way
// back to a rollback.
func (c *Client) Commit(r *Result, pkg string, now time.Time) error {
	if r.next == nil || !r.OK() {
		return errors.New("tuf: nothing to record: the update did not pass")
	}
	unlock, err := lockDir(c.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := unchanged(c.Dir, r.next); err != nil {
		return err
	}
	r.next.Updated, r.next.Package = now, pkg
	if err := r.next.Save(c.Dir); err != nil {
		return err
	}
	c.State = r.next
	return nil
}

// unchanged checks that the folder's state is still the one next was
// derived from, or already records exactly next's roots and versions.
func unchanged(dir string, next *State) error {
	data, err := bounded.ReadFile(filepath.Join(dir, StateFile), MaxState)
	if err != nil {
		return err
	}
	if bytes.Equal(data, next.raw) {
		return nil
	}
	now, err := decodeState(data)
	if err != nil {
		return fmt.Errorf("%s: corrupt state, not used and not changed: %w", filepath.Join(dir, StateFile), err)
	}
	same := now.Versions() == next.Versions() && len(now.Roots) == len(next.Roots)
	for i := 0; same && i < len(now.Roots); i++ {
		same = bytes.Equal(now.Roots[i].File, next.Roots[i].File)
	}
	if !same {
		v := now.Versions()
		return fmt.Errorf("%s changed while this package was verified (another verifier recorded root %d, timestamp %d, snapshot %d, targets %d): nothing recorded; verify the package again",
			filepath.Join(dir, StateFile), v.Root, v.Timestamp, v.Snapshot, v.Targets)
	}
	return nil
}

// LockFile is the file that marks a trust folder's state as being
// recorded; it exists only for the moment of a write.
const LockFile = StateFile + ".lock"

// lockWait is how long [Client.Commit] waits for another verifier's lock.
var lockWait = 10 * time.Second

// lockDir takes the folder's lock: a file created only if it does not
// exist, which works alike on every system the verifier runs on.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: another verifier has been recording in %s for %v; nothing recorded (if no verifier runs, one stopped while recording: remove the file)", path, dir, lockWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parse(p Package, path, role string) (*tuf.Metadata, error) {
	data, ok := p.Metadata[path]
	switch {
	case !ok:
		return nil, errors.New("missing: a package verified with a trust folder must carry its TUF metadata")
	case data == nil:
		return nil, errors.New("unreadable, or larger than the verifier reads")
	}
	return tuf.Parse(data, role)
}

// checkBytes checks a metadata file against the length and hashes a
// snapshot or timestamp lists for it.
func checkBytes(p Package, path string, meta *tuf.MetaFile) error {
	data, ok := p.Metadata[path]
	if !ok || data == nil {
		return nil // reported when it is parsed
	}
	if meta.Length == 0 && len(meta.Hashes) == 0 {
		return nil
	}
	return tuf.CheckFile(meta.Length, meta.Hashes, int64(len(data)), tuf.Hashes(data))
}

// checkRelease checks that every target belongs to one release, and, when
// given, the release the manifest names.
func checkRelease(t *tuf.Targets, version, commit string) error {
	var seen *tuf.Custom
	for _, path := range slices.Sorted(maps.Keys(t.Targets)) {
		c := t.Targets[path].Custom
		switch {
		case c == nil:
			return fmt.Errorf("custom: %s names no release (version and commit)", path)
		case seen == nil:
			seen = c
		case *c != *seen:
			return fmt.Errorf("mix-and-match: %s is of release %s commit %.12s, other targets of %s commit %.12s", path, c.Version, c.Commit, seen.Version, seen.Commit)
		}
	}
	if seen != nil && version != "" && (seen.Version != version || seen.Commit != commit) {
		return fmt.Errorf("mix-and-match: targets.json is of release %s commit %.12s; the package's manifest is %s commit %.12s", seen.Version, seen.Commit, version, commit)
	}
	return nil
}

// checkFiles checks every file against targets; it reports each failure
// and returns whether all passed.
func checkFiles(r *Result, p Package, t *tuf.Targets, v int64) bool {
	ok := true
	for _, path := range slices.Sorted(maps.Keys(t.Targets)) {
		tf := t.Targets[path]
		f, found := p.Files[path]
		var err error
		switch {
		case !found:
			err = errors.New("missing")
		case f.Err != nil:
			err = fmt.Errorf("unreadable: %v", f.Err)
		case tf.Hashes[tuf.SHA256] == "" || tf.Hashes[tuf.SHA512] == "":
			err = errors.New("hash: targets.json must list sha256 and sha512")
		case tf.Length != f.Length:
			err = fmt.Errorf("length: %d bytes, targets.json lists %d", f.Length, tf.Length)
		default:
			err = tuf.CheckFile(tf.Length, tf.Hashes, f.Length, map[string]string{tuf.SHA256: f.SHA256, tuf.SHA512: f.SHA512})
		}
		if err != nil {
			r.fail(StepFiles, path, v, "targets.json: %v", err)
			ok = false
		}
	}
	for _, path := range slices.Sorted(maps.Keys(p.Files)) {
		if _, listed := t.Targets[path]; !listed {
			r.fail(StepFiles, path, v, "targets.json: not listed: a file the release did not sign")
			ok = false
		}
	}
	return ok
}

func versions(vs []int64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func shortList(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = tuf.Short(id)
	}
	return strings.Join(s, ", ")
}
