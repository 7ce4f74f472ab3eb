package sbom

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// TestSourceLicense reads the licence of the release from LICENSE in the
// source archive, as the SBOM step does.
func TestSourceLicense(t *testing.T) {
	apache, err := os.ReadFile(filepath.Join("..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	const version = "v1.2.3"
	root := layout.SourceRoot(version)
	for _, tt := range []struct {
		name  string
		files map[string][]byte
		want  string // or the error
	}{
		{"LICENSE", map[string][]byte{root + "/LICENSE": apache, root + "/go.mod": []byte("module x\n")}, "Apache-2.0"},
		{"no LICENSE", map[string][]byte{root + "/go.mod": []byte("module x\n")},
			"sbom: source/cavra-runtime-v1.2.3-src.tar.gz!cavra-runtime-v1.2.3/LICENSE: no such file"},
		{"LICENSE in another folder", map[string][]byte{root + "/docs/LICENSE": apache}, "no such file"},
		{"not a licence", map[string][]byte{root + "/LICENSE": []byte("All rights reserved.\n")},
			"sbom: source/cavra-runtime-v1.2.3-src.tar.gz!cavra-runtime-v1.2.3/LICENSE: no licence text found"},
		{"too large", map[string][]byte{root + "/LICENSE": bytes.Repeat([]byte("x"), maxLicense+1)}, "larger than 1048576 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var entries []archive.Entry
			for name, data := range tt.files {
				entries = append(entries, archive.Entry{Name: name, Mode: 0o644, Size: int64(len(data)),
					Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
			}
			a, err := artifact.Create(dir, layout.Source(version), artifact.Source, 0o644, func(w io.Writer) error {
				_, err := archive.WriteTarGz(w, entries, time.Unix(1700000000, 0))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			s := &release.State{Config: &release.Config{Version: version, ModuleDir: "."}, Dir: dir, Artifacts: artifact.List{a}}
			got, err := sourceLicense(s)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
