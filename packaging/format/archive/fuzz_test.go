package archive

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keeps fuzzed archives small.
var fuzzLimits = Limits{MaxEntries: 100, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxRatio: 100}

// checkNames fails if full names (with the top folder) are unsafe, not
// under top, or collide case-insensitively, directly or as parent folders.
// It uses strings.EqualFold rather than the package's own folding.
func checkNames(t *testing.T, top string, names []string) {
	t.Helper()
	if err := CheckName(top); err != nil || strings.Contains(top, "/") {
		t.Fatalf("top folder %q: %v", top, err)
	}
	for i, a := range names {
		if err := CheckName(a); err != nil {
			t.Fatalf("accepted name: %v", err)
		}
		if !strings.HasPrefix(a, top+"/") {
			t.Fatalf("%q is outside the top folder %q", a, top)
		}
		for _, b := range names[:i] {
			if strings.EqualFold(a, b) {
				t.Fatalf("%q and %q collide", a, b)
			}
			for _, p := range [][2]string{{a, b}, {b, a}} {
				if x, y := p[0], p[1]; len(y) > len(x) && y[len(x)] == '/' && strings.EqualFold(x, y[:len(x)]) {
					t.Fatalf("file %q is a parent of %q", x, y)
				}
			}
		}
	}
}

func FuzzOpenZip(f *testing.F) {
	var buf bytes.Buffer
	if _, err := WriteZip(&buf, tiny(), mtime); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, a := range zipAttacks() {
		if a.name != "ratio bomb" {
			f.Add(a.zip(f))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := OpenZip(bytes.NewReader(data), int64(len(data)), fuzzLimits)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is a %T, want *Error", err, err)
			}
			return
		}
		var names []string
		for _, f := range z.Files {
			names = append(names, z.Top+"/"+f.Name)
			if f.Mode != 0o644 && f.Mode != 0o755 {
				t.Fatalf("%s: mode %v", f.Name, f.Mode)
			}
			if f.Size < 0 || f.Size > fuzzLimits.MaxFileSize {
				t.Fatalf("%s: size %d", f.Name, f.Size)
			}
			rc, err := f.Open()
			if err != nil {
				continue
			}
			n, err := io.Copy(io.Discard, io.LimitReader(rc, f.Size+1))
			rc.Close()
			if n > f.Size || err == nil && n != f.Size {
				t.Fatalf("%s: read %d bytes (%v), declared %d", f.Name, n, err, f.Size)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("%s: read error %v is a %T, want *Error", f.Name, err, err)
			}
		}
		checkNames(t, z.Top, names)
	})
}

func FuzzExtractTarGz(f *testing.F) {
	var buf bytes.Buffer
	if _, err := WriteTarGz(&buf, tiny(), mtime); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), true)
	f.Add(ungz(buf.Bytes()), false)
	for _, a := range tarAttacks() {
		b := a.tgz(f)
		f.Add(b, true)
		if t := ungz(b); len(t) <= 64<<10 { // big inputs slow the fuzzer down
			f.Add(t, false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		if !compressed {
			data = gz(data) // let the fuzzer work on the tar format itself
		}
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		top, files, err := ExtractTarGz(bytes.NewReader(data), dir, fuzzLimits)
		if des, _ := os.ReadDir(parent); len(des) > 1 || len(des) == 1 && des[0].Name() != "out" {
			t.Fatalf("wrote next to the target: %v", des)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is a %T, want *Error", err, err)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("failed extraction left %s behind", dir)
			}
			return
		}
		want := make(map[string]Digest)
		var names []string
		for _, d := range files {
			want[d.Name] = d
			names = append(names, top+"/"+d.Name)
		}
		checkNames(t, top, names)
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if rel != "." && rel != top && !strings.HasPrefix(rel, top+"/") {
				t.Fatalf("%s is outside the top folder %s", rel, top)
			}
			switch {
			case d.Type().IsDir():
			case d.Type().IsRegular():
				fi, _ := d.Info()
				if fi.Mode()&^0o755 != 0 {
					t.Fatalf("%s: mode %v", rel, fi.Mode())
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(data)
				name := strings.TrimPrefix(rel, top+"/")
				if w, ok := want[name]; !ok || w.Size != int64(len(data)) || w.SHA256 != hex.EncodeToString(sum[:]) {
					t.Fatalf("%s on disk does not match digest %+v", rel, w)
				}
				delete(want, name)
			default:
				t.Fatalf("%s: type %v", rel, d.Type())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 0 {
			t.Fatalf("reported but not on disk: %v", want)
		}
	})
}

// ungz decompresses what it can of data.
func ungz(data []byte) []byte {
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return data
	}
	b, _ := io.ReadAll(r)
	return b
}
