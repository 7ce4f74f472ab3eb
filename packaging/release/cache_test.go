package release_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// counting is a step that writes out.txt from the SHA-256 of its input
// artifacts and counts its runs.
type counting struct{ runs *int }

func (counting) Name() string { return "counting" }

func (c counting) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	*c.runs++
	data := "made from"
	for _, a := range s.Artifacts {
		data += " " + a.SHA256
	}
	a, err := artifact.WriteFile(s.Dir, "out/out.txt", artifact.SBOM, 0o640, []byte(data+"\n"))
	return artifact.List{a}, err
}

// TestStepCache runs a cached step again and again: the same inputs and
// code restore its file without running it; another input, another
// configuration or other code run it; a damaged entry is made anew.
func TestStepCache(t *testing.T) {
	cacheDir := t.TempDir()
	runs := 0
	input := artifact.Artifact{Kind: artifact.Binary, Path: "bin/x", SHA256: "aa", Size: 1}
	cfg := &release.Config{Version: "v1.0.0", Epoch: time.Unix(1700000000, 0).UTC(), Root: "/a", Out: "/a/dist"}
	run := func(t *testing.T, code string, cfg *release.Config, in artifact.Artifact) (artifact.List, string) {
		t.Helper()
		dir := t.TempDir()
		s := &release.State{Config: cfg, Dir: dir, Artifacts: artifact.List{in}}
		step := release.Cached{Step: counting{&runs}, Cache: &release.StepCache{Dir: cacheDir, Code: code}}
		list, err := step.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "out", "out.txt"))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(filepath.Join(dir, "out", "out.txt"))
		if st.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640", st.Mode().Perm())
		}
		return list, string(data)
	}
	first, want := run(t, "code-1", cfg, input)
	tests := []struct {
		name string
		code string
		cfg  func() *release.Config
		in   artifact.Artifact
		runs int // runs after this case
	}{
		{"same inputs", "code-1", func() *release.Config { return cfg }, input, 1},
		{"other folders only", "code-1", func() *release.Config { c := *cfg; c.Root, c.Out = "/b", "/b/out"; return &c }, input, 1},
		{"other input digest", "code-1", func() *release.Config { return cfg }, artifact.Artifact{Kind: input.Kind, Path: input.Path, SHA256: "bb", Size: 1}, 2},
		{"other version", "code-1", func() *release.Config { c := *cfg; c.Version = "v1.0.1"; return &c }, input, 3},
		{"other code", "code-2", func() *release.Config { return cfg }, input, 4},
		{"first inputs again", "code-1", func() *release.Config { return cfg }, input, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, data := run(t, tc.code, tc.cfg(), tc.in)
			if runs != tc.runs {
				t.Fatalf("got %d runs, want %d", runs, tc.runs)
			}
			if tc.runs == 1 && (data != want || list[0] != first[0]) {
				t.Errorf("restored %q %+v, want %q %+v", data, list[0], want, first[0])
			}
		})
	}

	// Damage every cached copy: the step runs again and writes the right
	// bytes, never the damaged ones.
	filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "out.txt" {
			os.WriteFile(p, []byte("tampered\n"), 0o644)
		}
		return nil
	})
	before := runs
	_, data := run(t, "code-1", cfg, input)
	if runs != before+1 || data != want {
		t.Fatalf("after damage: %d runs (want %d), data %q (want %q)", runs, before+1, data, want)
	}
	// And the entry was made anew.
	if _, data := run(t, "code-1", cfg, input); runs != before+1 || data != want {
		t.Fatalf("after repair: %d runs, data %q", runs, data)
	}

	// No cache: the step runs every time.
	s := &release.State{Config: cfg, Dir: t.TempDir(), Artifacts: artifact.List{input}}
	if _, err := (release.Cached{Step: counting{&runs}}).Run(context.Background(), s); err != nil || runs != before+2 {
		t.Fatalf("without a cache: %d runs, err %v", runs, err)
	}
}
