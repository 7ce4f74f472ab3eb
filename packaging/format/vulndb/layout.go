package vulndb

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
)

// The files of the layout.
const (
	DBFile      = "index/db.json"
	ModulesFile = "index/modules.json"
	VulnsFile   = "index/vulns.json"
	idDir       = "ID/"
)

// Limits on what is read from a database, which is hostile input.
const (
	MaxEntry   = 4 << 20   // one OSV entry
	MaxIndex   = 128 << 20 // index/modules.json or index/vulns.json
	MaxEntries = 200_000   // files in a database
)

// ModuleVuln is one vulnerability of a module in index/modules.json.
type ModuleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleIndex struct {
	Path  string       `json:"path"`
	Vulns []ModuleVuln `json:"vulns"`
}

type vulnIndex struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

type dbIndex struct {
	Modified time.Time `json:"modified"`
}

// Index returns every file of a database holding entries (each the raw OSV
// JSON of one entry, by id, as data/osv holds them), by slash path:
// ID/<id>.json as given, and the three indexes, sorted. modified is the
// database's time for index/db.json; zero means the newest entry's. The
// same entries always give the same bytes.
func Index(entries map[string][]byte, modified time.Time) (map[string][]byte, error) {
	files := map[string][]byte{}
	mods := map[string]*moduleIndex{}
	var vulns []vulnIndex
	newest := time.Time{}
	for _, id := range slices.Sorted(maps.Keys(entries)) {
		e, err := ParseEntry(entries[id])
		if err != nil {
			return nil, fmt.Errorf("vulndb: %s: %w", id, err)
		}
		if e.ID != id {
			return nil, fmt.Errorf("vulndb: the entry named %s has id %s", id, e.ID)
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		files[idDir+id+".json"] = entries[id]
		vulns = append(vulns, vulnIndex{ID: id, Modified: e.Modified.UTC(), Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := mods[a.Package.Name]
			if m == nil {
				m = &moduleIndex{Path: a.Package.Name, Vulns: []ModuleVuln{}}
				mods[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, ModuleVuln{ID: id, Modified: e.Modified.UTC(), Fixed: nonSupersededFix(a.Ranges)})
		}
	}
	if modified.IsZero() {
		modified = newest
	}
	var modules []*moduleIndex
	for _, p := range slices.Sorted(maps.Keys(mods)) {
		m := mods[p]
		slices.SortStableFunc(m.Vulns, func(a, b ModuleVuln) int { return strings.Compare(a.ID, b.ID) })
		modules = append(modules, m)
	}
	for name, v := range map[string]any{DBFile: dbIndex{Modified: modified.UTC()}, ModulesFile: modules, VulnsFile: vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	return files, nil
}

// Write writes the files of [Index] into dir, which must not exist yet.
func Write(dir string, files map[string][]byte) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	made := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if d := filepath.Dir(p); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteZip writes the files of [Index] as vulndb.zip: sorted, every entry
// with the database's time, so that the same files give the same bytes.
func WriteZip(w io.Writer, files map[string][]byte) error {
	var db dbIndex
	if err := json.Unmarshal(files[DBFile], &db); err != nil {
		return fmt.Errorf("vulndb: %s: %w", DBFile, err)
	}
	zw := zip.NewWriter(w)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: db.Modified.UTC()}
		h.SetMode(0o644)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := f.Write(files[name]); err != nil {
			return err
		}
	}
	return zw.Close()
}

// FromModule reads the OSV entries of a golang.org/x/vulndb module zip (as
// the module cache and proxies hold it, its files under
// "<module>@<version>/"): every data/osv/<id>.json, by id.
func FromModule(r io.ReaderAt, size int64, module, version string) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %s@%s: %w", module, version, err)
	}
	if len(zr.File) > MaxEntries {
		return nil, fmt.Errorf("vulndb: %s@%s: %d files, more than %d", module, version, len(zr.File), MaxEntries)
	}
	prefix := module + "@" + version + "/data/osv/"
	out := map[string][]byte{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := readZipFile(f, MaxEntry)
		if err != nil {
			return nil, fmt.Errorf("vulndb: %s: %w", f.Name, err)
		}
		out[strings.TrimSuffix(name, ".json")] = data
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("vulndb: %s@%s holds no %s*.json", module, version, strings.TrimPrefix(prefix, module+"@"+version+"/"))
	}
	return out, nil
}

// Built is a database made from a golang.org/x/vulndb module zip.
type Built struct {
	Files    map[string][]byte // every file of the layout (see [Index])
	Entries  int               // how many entries it holds
	Modified time.Time         // the newest entry's time, or the module's commit time
}

// FromModuleZip makes the database of the golang.org/x/vulndb module zip at
// path, of module at version, with extra entries (raw OSV JSON by id) added
// or replaced: its data/osv entries indexed into the layout, its time the
// newest entry's, or, as the module's entries carry none, the commit time
// of its pseudo-version.
func FromModuleZip(path, module, version string, extra map[string][]byte) (*Built, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	entries, err := FromModule(f, st.Size(), module, version)
	if err != nil {
		return nil, err
	}
	maps.Copy(entries, extra)
	commit, _ := ModuleTime(version)
	modified := Newest(entries, commit)
	files, err := Index(entries, modified)
	if err != nil {
		return nil, err
	}
	return &Built{Files: files, Entries: len(entries), Modified: modified}, nil
}

// Newest returns the newest modified time of the entries, or def when
// every entry carries the zero time (as the golang.org/x/vulndb module's
// do; see [ModuleTime]).
func Newest(entries map[string][]byte, def time.Time) time.Time {
	var t time.Time
	for _, data := range entries {
		var e struct{ Modified time.Time }
		if json.Unmarshal(data, &e) == nil && e.Modified.After(t) {
			t = e.Modified
		}
	}
	if t.IsZero() {
		return def.UTC()
	}
	return t.UTC()
}

// ModuleTime returns the commit time of a pseudo-version
// (v0.0.0-20261105234957-e22db6528018), the time of a database module whose
// entries carry none: the golang.org/x/vulndb module's entries have the
// zero time as modified, which the deployed database replaces.
func ModuleTime(version string) (time.Time, bool) {
	parts := strings.Split(strings.TrimSuffix(version, "+incompatible"), "-")
	if len(parts) < 3 {
		return time.Time{}, false
	}
	stamp := parts[len(parts)-2]
	if i := strings.LastIndex(stamp, "."); i >= 0 {
		stamp = stamp[i+1:] // vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef
	}
	t, err := time.Parse("20060102150405", stamp)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// DB is a database opened for reading, a folder or a zip.
type DB struct {
	Source   string    // the folder or zip, as given
	Modified time.Time // from index/db.json
	modules  map[string][]ModuleVuln
	count    int
	read     func(name string, limit int64) ([]byte, error)
	close    func() error
}

// Open opens the database at p: a folder of the layout, or a zip holding
// it (vulndb.zip, its files at the top or under one folder).
func Open(p string) (*DB, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	db := &DB{Source: p, close: func() error { return nil }}
	if st.IsDir() {
		root, err := os.OpenRoot(p)
		if err != nil {
			return nil, err
		}
		db.close = root.Close
		db.read = func(name string, limit int64) ([]byte, error) {
			f, err := root.Open(filepath.FromSlash(name))
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return bounded.Read(f, name, limit)
		}
	} else {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return nil, fmt.Errorf("vulndb: %s: %w", p, err)
		}
		db.close = zr.Close
		if len(zr.File) > MaxEntries {
			zr.Close()
			return nil, fmt.Errorf("vulndb: %s: %d files, more than %d", p, len(zr.File), MaxEntries)
		}
		byName := map[string]*zip.File{}
		top := ""
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/"+DBFile) && strings.Count(f.Name, "/") == 2 {
				top = strings.TrimSuffix(f.Name, DBFile)
			}
			byName[f.Name] = f
		}
		db.read = func(name string, limit int64) ([]byte, error) {
			f := byName[name]
			if f == nil {
				f = byName[top+name]
			}
			if f == nil {
				return nil, fs.ErrNotExist
			}
			return readZipFile(f, limit)
		}
	}
	if err := db.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("vulndb: %s: %w", p, err)
	}
	return db, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.close() }

func (db *DB) load() error {
	data, err := db.read(DBFile, MaxEntry)
	if err != nil {
		return fmt.Errorf("%s: %w (is it a Go vulnerability database: the layout of vuln.go.dev, or its vulndb.zip?)", DBFile, err)
	}
	var meta dbIndex
	if err := json.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("%s: %w", DBFile, err)
	}
	db.Modified = meta.Modified.UTC()
	if data, err = db.read(ModulesFile, MaxIndex); err != nil {
		return fmt.Errorf("%s: %w", ModulesFile, err)
	}
	var mods []moduleIndex
	if err := json.Unmarshal(data, &mods); err != nil {
		return fmt.Errorf("%s: %w", ModulesFile, err)
	}
	db.modules = map[string][]ModuleVuln{}
	ids := map[string]bool{}
	for _, m := range mods {
		if _, dup := db.modules[m.Path]; dup {
			return fmt.Errorf("%s: module %s listed twice", ModulesFile, m.Path)
		}
		db.modules[m.Path] = m.Vulns
		for _, v := range m.Vulns {
			ids[v.ID] = true
		}
	}
	db.count = len(ids)
	return nil
}

// Len returns the number of entries the modules index names.
func (db *DB) Len() int { return db.count }

// Module returns the entries the index lists for the module path, each
// read and checked: named by its id, and naming the module.
func (db *DB) Module(modulePath string) ([]*Entry, error) {
	var out []*Entry
	seen := map[string]bool{}
	for _, v := range db.modules[modulePath] {
		if seen[v.ID] {
			continue // listed once per range of the entry, as vuln.go.dev does
		}
		seen[v.ID] = true
		e, err := db.Entry(v.ID)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(e.Affected, func(a Affected) bool { return a.Package.Name == modulePath }) {
			return nil, fmt.Errorf("vulndb: %s: %s lists %s for %s, which the entry does not name", db.Source, ModulesFile, v.ID, modulePath)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Entry) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Entry reads the entry id.
func (db *DB) Entry(id string) (*Entry, error) {
	if id == "" || strings.ContainsAny(id, `/\:`) || strings.Contains(id, "..") {
		return nil, fmt.Errorf("vulndb: %s: bad entry id %q", db.Source, id)
	}
	name := idDir + id + ".json"
	data, err := db.read(name, MaxEntry)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %s: %s: %w", db.Source, name, err)
	}
	e, err := ParseEntry(data)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %s: %s: %w", db.Source, name, err)
	}
	if e.ID != id {
		return nil, fmt.Errorf("vulndb: %s: %s holds entry %s", db.Source, name, e.ID)
	}
	return e, nil
}

// readZipFile reads a zip entry of at most limit bytes.
func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%s: more than %d bytes", f.Name, limit)
	}
	return b.Bytes(), nil
}
