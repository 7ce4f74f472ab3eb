package artifact_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		p    string
		want string // substring of the error; "" for none
	}{
		{"a", ""},
		{"a/b/c.txt", ""},
		{"bin/linux-amd64/cavra-runtime", ""},
		{"goproxy/github.com/!burnt!sushi/toml/@v/list", ""},
		{"..a", ""},
		{"a..", ""},
		{"a/..b/c", ""},
		{".hidden", ""},
		{"a b/c d", ""},
		{"é/日本", ""},
		{"", "empty"},
		{".", "empty"},
		{"/a", "absolute"},
		{"/", "absolute"},
		{"C:/a", "absolute"},
		{"c:", "absolute"},
		{"a\\b", "backslash"},
		{"C:\\a", "backslash"},
		{"\\\\server\\share", "backslash"},
		{"a/../b", "not clean"},
		{"a/..", "not clean"},
		{"../a", "leaves its root"},
		{"..", "leaves its root"},
		{"a//b", "not clean"},
		{"a/./b", "not clean"},
		{"./a", "not clean"},
		{"ab:c", "colon"},
		{"bin/cavra-runtime.exe:stream", "colon"},
		{"a\xffb", "not UTF-8"},
		{"a\u0085b", "control character"},
		{"a/", "not clean"},
		{"a\x00b", "control character"},
		{"a\nb", "control character"},
		{"a\tb", "control character"},
		{"\x1b[31m", "control character"},
		{"a\x7f", "control character"},
	}
	for _, tt := range tests {
		err := layout.CheckPath(tt.p)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("layout.CheckPath(%q): got %v, want nil", tt.p, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("layout.CheckPath(%q): got %v, want an error containing %q", tt.p, err, tt.want)
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCreate(t *testing.T) {
	root := t.TempDir()
	// Written in pieces of several sizes; the record hashes all of them.
	var want bytes.Buffer
	a, err := artifact.Create(root, "sub/dir/file.bin", artifact.Binary, 0o755, func(w io.Writer) error {
		for i := range 100 {
			chunk := bytes.Repeat([]byte{byte(i)}, i*37)
			want.Write(chunk)
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantA := artifact.Artifact{Kind: artifact.Binary, Path: "sub/dir/file.bin", Size: int64(want.Len()), SHA256: sha(want.Bytes())}
	if !reflect.DeepEqual(a, wantA) {
		t.Errorf("got %+v, want %+v", a, wantA)
	}
	got, err := os.ReadFile(filepath.Join(root, "sub", "dir", "file.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file holds %d bytes, want the %d written", len(got), want.Len())
	}

	// An empty file.
	a, err = artifact.Create(root, "empty", artifact.Evidence, 0o644, func(io.Writer) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != 0 || a.SHA256 != sha(nil) {
		t.Errorf("empty file: got size %d sha256 %s, want 0 %s", a.Size, a.SHA256, sha(nil))
	}
}

func TestWriteFile(t *testing.T) {
	root := t.TempDir()
	data := []byte("checksums\n")
	a, err := artifact.WriteFile(root, "checksums.txt", artifact.Checksums, 0o644, data)
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.Artifact{Kind: artifact.Checksums, Path: "checksums.txt", Size: int64(len(data)), SHA256: sha(data)}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v, want %+v", a, want)
	}
	if got, err := os.ReadFile(filepath.Join(root, "checksums.txt")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("got %q, %v, want %q", got, err, data)
	}
}

func TestCreateRefusesToOverwrite(t *testing.T) {
	root := t.TempDir()
	name := filepath.Join(root, "a.txt")
	if err := os.WriteFile(name, []byte("original"), 0o600); err != nil {
		t.Fatal(err)
	}
	called := false
	_, err := artifact.Create(root, "a.txt", artifact.Source, 0o644, func(w io.Writer) error {
		called = true
		_, err := w.Write([]byte("new"))
		return err
	})
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("got %v, want fs.ErrExist", err)
	}
	if called {
		t.Errorf("the writer ran for an existing file")
	}
	if got, _ := os.ReadFile(name); string(got) != "original" {
		t.Errorf("existing file: got %q, want %q", got, "original")
	}
	if _, err := artifact.WriteFile(root, "a.txt", artifact.Source, 0o644, []byte("new")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteFile: got %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "original" {
		t.Errorf("existing file after WriteFile: got %q, want %q", got, "original")
	}
}

func TestCreateRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := artifact.WriteFile(root, "link", artifact.Source, 0o644, []byte("x")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("got %v, want fs.ErrExist", err)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the symlink target was created: %v", err)
	}
}

func TestCreateRemovesPartialFile(t *testing.T) {
	root := t.TempDir()
	boom := errors.New("boom")
	_, err := artifact.Create(root, "dir/partial.bin", artifact.Binary, 0o755, func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("x"), 4096)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the writer's error", err)
	}
	if !strings.Contains(err.Error(), "dir/partial.bin") {
		t.Errorf("got %v, want the path in the error", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "dir", "partial.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file: got %v, want it removed", err)
	}
	// The name is free again.
	if _, err := artifact.WriteFile(root, "dir/partial.bin", artifact.Binary, 0o755, []byte("ok")); err != nil {
		t.Errorf("writing the name again: got %v, want nil", err)
	}
}

func TestCreateRefusesBadPaths(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", ".", "../escape", "/abs", "a/../b", "a\\b", "a//b", "x\n"} {
		called := false
		_, err := artifact.Create(sub, p, artifact.Source, 0o644, func(io.Writer) error { called = true; return nil })
		if err == nil || called {
			t.Errorf("Create(%q): got %v (writer called %v), want a refusal", p, err, called)
		}
		if _, err := artifact.Stat(sub, p, artifact.Source, 0o644); err == nil {
			t.Errorf("Stat(%q): got nil, want a refusal", p)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "escape")); err == nil {
		t.Errorf("a file was written outside its root")
	}
	entries, _ := os.ReadDir(sub)
	if len(entries) != 0 {
		t.Errorf("got %d files in the root, want none", len(entries))
	}
}

func TestStat(t *testing.T) {
	root := t.TempDir()
	data := bytes.Repeat([]byte("binary"), 10000)
	name := filepath.Join(root, "bin", "linux-amd64", "cavra-runtime")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := artifact.Stat(root, "bin/linux-amd64/cavra-runtime", artifact.Binary, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.Artifact{Kind: artifact.Binary, Path: "bin/linux-amd64/cavra-runtime", Size: int64(len(data)), SHA256: sha(data)}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v, want %+v", a, want)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o755 {
			t.Errorf("mode: got %v, want %v", got, fs.FileMode(0o755))
		}
	}
	if _, err := artifact.Stat(root, "missing", artifact.Binary, 0o755); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v, want fs.ErrNotExist", err)
	}
}

func TestList(t *testing.T) {
	l := artifact.List{
		{Kind: artifact.Binary, Path: "bin/z"},
		{Kind: artifact.Signature, Path: "bin/z.sig", Signs: "bin/z"},
		{Kind: artifact.Binary, Path: "bin/a"},
		{Kind: artifact.Manifest, Path: "m.json"},
		{Kind: artifact.Binary, Path: "bin/m"},
	}
	orig := append(artifact.List(nil), l...)

	if got, want := l.Of(artifact.Binary), (artifact.List{l[0], l[2], l[4]}); !reflect.DeepEqual(got, want) {
		t.Errorf("Of(binary): got %v, want %v", got, want)
	}
	if got := l.Of(artifact.SBOM); len(got) != 0 {
		t.Errorf("Of(sbom): got %v, want none", got)
	}
	if got, ok := l.Find("bin/z.sig"); !ok || !reflect.DeepEqual(got, l[1]) {
		t.Errorf("Find(bin/z.sig): got %v, %v, want %v, true", got, ok, l[1])
	}
	if got, ok := l.Find("bin"); ok || !reflect.DeepEqual(got, artifact.Artifact{}) {
		t.Errorf("Find(bin): got %v, %v, want the zero artifact, false", got, ok)
	}
	sorted := l.Sorted()
	var paths []string
	for _, a := range sorted {
		paths = append(paths, a.Path)
	}
	if want := []string{"bin/a", "bin/m", "bin/z", "bin/z.sig", "m.json"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("Sorted: got %v, want %v", paths, want)
	}
	if !reflect.DeepEqual(l, orig) {
		t.Errorf("Sorted changed the list: got %v, want %v", l, orig)
	}
	if got := artifact.List(nil).Sorted(); len(got) != 0 {
		t.Errorf("nil.Sorted(): got %v, want empty", got)
	}
}
