package tufclient

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/tuf"
)

// StateFile is the name of the state a trust folder holds.
const StateFile = "state.json"

// StateSchema identifies the state's format.
const StateSchema = "https://cavra.dev/schemas/tuf-client-state/v1"

// MaxState bounds the state file a client reads.
const MaxState = 16 << 20

// ErrNotInitialised is returned by [Open] for a folder without a state.
var ErrNotInitialised = errors.New("not initialised")

// State is what a trust folder remembers: every root it has trusted since
// it was initialised, oldest first (the last is the trusted root), and the
// timestamp and snapshot of the last package that passed. The versions
// seen are those of its signed metadata, so that an edit of the file shows
// as a signature that no longer verifies.
type State struct {
	Roots     []*tuf.Metadata
	Timestamp *tuf.Metadata // nil before the first pass, and after the timestamp or snapshot keys changed
	Snapshot  *tuf.Metadata
	Updated   time.Time // when the last pass was recorded
	Package   string    // the last package that passed

	roots []*tuf.Root
	ts    *tuf.Timestamp
	snap  *tuf.Snapshot
	raw   []byte // the file's bytes as read or written; nil for a state not yet in a folder
}

// Root returns the trusted root and its metadata.
func (s *State) Root() (*tuf.Root, *tuf.Metadata) {
	return s.roots[len(s.roots)-1], s.Roots[len(s.Roots)-1]
}

// root returns the trusted root of version v the folder has kept.
func (s *State) root(v int64) (*tuf.Root, *tuf.Metadata, bool) {
	for i, r := range s.roots {
		if r.Version == v {
			return r, s.Roots[i], true
		}
	}
	return nil, nil, false
}

// Versions are the versions of each role's metadata.
type Versions struct {
	Root      int64 `json:"root"`
	Timestamp int64 `json:"timestamp,omitempty"`
	Snapshot  int64 `json:"snapshot,omitempty"`
	Targets   int64 `json:"targets,omitempty"`
}

// Versions returns the versions the state has seen.
func (s *State) Versions() Versions {
	root, _ := s.Root()
	v := Versions{Root: root.Version}
	if s.ts != nil {
		v.Timestamp = s.ts.Version
	}
	if s.snap != nil {
		v.Snapshot = s.snap.Version
		if t := s.snap.Meta[tuf.MetaName(tuf.RoleTargets)]; t != nil {
			v.Targets = t.Version
		}
	}
	return v
}

// stateDoc is the file's form, written with tuf.EncodeFile.
type stateDoc struct {
	Schema    string   `json:"schema"`
	Roots     []any    `json:"roots"`
	Timestamp any      `json:"timestamp,omitempty"`
	Snapshot  any      `json:"snapshot,omitempty"`
	Versions  Versions `json:"versions"`
	Updated   string   `json:"updated"`
	Package   string   `json:"last_package,omitempty"`
}

// Encode returns the state file's bytes.
func (s *State) Encode() ([]byte, error) {
	d := stateDoc{Schema: StateSchema, Versions: s.Versions(), Updated: s.Updated.UTC().Format(tuf.TimeFormat), Package: s.Package}
	val := func(m *tuf.Metadata) (any, error) { return tuf.Decode(m.File) }
	for _, m := range s.Roots {
		v, err := val(m)
		if err != nil {
			return nil, err
		}
		d.Roots = append(d.Roots, v)
	}
	var err error
	if s.Timestamp != nil {
		if d.Timestamp, err = val(s.Timestamp); err != nil {
			return nil, err
		}
	}
	if s.Snapshot != nil {
		if d.Snapshot, err = val(s.Snapshot); err != nil {
			return nil, err
		}
	}
	return tuf.Marshal(d)
}

// decodeState reads a state file and checks it whole: each root signed by a
// threshold of its predecessor's root keys and of its own (the first by its
// own), the timestamp and snapshot by the trusted root's keys and of one
// update, and the versions it records equal to its signed metadata's.
func decodeState(data []byte) (*State, error) {
	v, err := tuf.Normalize(data)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	for k := range top {
		switch k {
		case "schema", "roots", "timestamp", "snapshot", "versions", "updated", "last_package":
		default:
			return nil, fmt.Errorf("unknown member %q", k)
		}
	}
	if top["schema"] != StateSchema {
		return nil, fmt.Errorf("schema %v, want %s", top["schema"], StateSchema)
	}
	meta := func(x any, role string) (*tuf.Metadata, error) {
		b, err := tuf.EncodeFile(x)
		if err != nil {
			return nil, err
		}
		return tuf.Parse(b, role)
	}
	s := &State{}
	roots, _ := top["roots"].([]any)
	if len(roots) == 0 {
		return nil, errors.New("no trusted root")
	}
	for i, x := range roots {
		m, err := meta(x, tuf.RoleRoot)
		if err != nil {
			return nil, fmt.Errorf("roots[%d]: %w", i, err)
		}
		r, err := m.Root()
		if err != nil {
			return nil, fmt.Errorf("root version %d: %w", m.Version, err)
		}
		if i > 0 {
			prev := s.roots[i-1]
			if r.Version != prev.Version+1 {
				return nil, fmt.Errorf("root version %d follows version %d", r.Version, prev.Version)
			}
			if _, err := m.Verify(prev, tuf.RoleRoot); err != nil {
				return nil, fmt.Errorf("root version %d: by root version %d's keys: %w", r.Version, prev.Version, err)
			}
		}
		if _, err := m.Verify(r, tuf.RoleRoot); err != nil {
			return nil, fmt.Errorf("root version %d: by its own keys: %w", r.Version, err)
		}
		s.Roots, s.roots = append(s.Roots, m), append(s.roots, r)
	}
	root, _ := s.Root()
	if x, ok := top["timestamp"]; ok {
		if s.Timestamp, err = meta(x, tuf.RoleTimestamp); err == nil {
			s.ts, err = s.Timestamp.Timestamp()
		}
		if err == nil {
			_, err = s.Timestamp.Verify(root, tuf.RoleTimestamp)
		}
		if err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
	}
	if x, ok := top["snapshot"]; ok {
		if s.Snapshot, err = meta(x, tuf.RoleSnapshot); err == nil {
			s.snap, err = s.Snapshot.Snapshot()
		}
		if err == nil {
			_, err = s.Snapshot.Verify(root, tuf.RoleSnapshot)
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	if (s.ts == nil) != (s.snap == nil) || (s.ts != nil && s.ts.Meta[tuf.MetaName(tuf.RoleSnapshot)].Version != s.snap.Version) {
		return nil, errors.New("the timestamp and the snapshot are not of one update")
	}
	vb, err := tuf.EncodeFile(top["versions"])
	if err != nil {
		return nil, err
	}
	want, err := tuf.Marshal(s.Versions())
	if err != nil {
		return nil, err
	}
	if string(vb) != string(want) {
		return nil, fmt.Errorf("the versions it records (%s) are not those of its signed metadata (%s): edited", trimNL(vb), trimNL(want))
	}
	if u, ok := top["updated"].(string); ok {
		s.Updated, _ = time.Parse(tuf.TimeFormat, u)
	}
	s.Package, _ = top["last_package"].(string)
	return s, nil
}

func trimNL(b []byte) string { return string(b[:len(b)-1]) }

// Load reads the state of the trust folder dir.
func Load(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	data, err := bounded.ReadFile(path, MaxState)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w: no %s; pin the root you obtained out of band first: cavra trust init --root 1.root.json --trust-dir %s", dir, ErrNotInitialised, StateFile, dir)
	}
	if err != nil {
		return nil, err
	}
	s, err := decodeState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt state, not used and not changed: %w (restore it from a backup, or start again with cavra trust init and the root you trust)", path, err)
	}
	s.raw = data
	return s, nil
}

// Save writes the state into dir atomically: a temporary file in dir,
// synced, renamed over state.json.
func (s *State) Save(dir string) error {
	data, err := s.Encode()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, StateFile), data, 0o644); err != nil {
		return err
	}
	s.raw = data
	return nil
}

// NewState returns the state of a folder that trusts root alone, checked
// as [Init] checks it, without writing anything.
func NewState(root []byte) (*State, error) {
	m, err := tuf.Parse(root, tuf.RoleRoot)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	r, err := m.Root()
	if err != nil {
		return nil, fmt.Errorf("root version %d: %w", m.Version, err)
	}
	if _, err := m.Verify(r, tuf.RoleRoot); err != nil {
		return nil, fmt.Errorf("root version %d: by its own keys: %w", m.Version, err)
	}
	return &State{Roots: []*tuf.Metadata{m}, roots: []*tuf.Root{r}}, nil
}

// Init pins root, the first-contact root obtained out of band, in the
// trust folder dir (made if missing): it must be root metadata signed by a
// threshold of its own root keys. A folder that already holds a state is
// refused. The warnings say what the operator should know: an expired root
// can only be used to walk to a newer one.
func Init(dir string, root []byte, now time.Time) (*State, []string, error) {
	s, err := NewState(root)
	if err != nil {
		return nil, nil, err
	}
	r, m := s.Root()
	var warn []string
	if tuf.Expired(m.Expires, now) {
		warn = append(warn, fmt.Sprintf("root version %d expired on %s: a package must carry a newer root to pass", m.Version, r.Expires))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, StateFile)
	if _, err := os.Lstat(path); err == nil {
		return nil, nil, fmt.Errorf("%s already exists: this folder trusts a root already (remove it to start again)", path)
	}
	s.Updated = now
	if err := s.Save(dir); err != nil {
		return nil, nil, err
	}
	return s, warn, nil
}

// clone returns a copy of s whose slices the caller may extend.
func (s *State) clone() *State {
	c := *s
	c.Roots, c.roots = slices.Clone(s.Roots), slices.Clone(s.roots)
	return &c
}
