package layout_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/layout"
)

func TestFind(t *testing.T) {
	type entry struct {
		name string
		dir  bool
	}
	tests := []struct {
		name    string
		entries []entry
		want    string   // the base name found; "" for an error
		errHas  []string // substrings of the error
	}{
		{"folder", []entry{{"go-runtime-v1.0.0", true}}, "go-runtime-v1.0.0", nil},
		{"zip", []entry{{"cavra-go-runtime-v1.0.0.zip", false}}, "cavra-go-runtime-v1.0.0.zip", nil},
		{"folder preferred over its zip", []entry{{"cavra-go-runtime-v1.0.0.zip", false}, {"go-runtime-v1.0.0", true}}, "go-runtime-v1.0.0", nil},
		{"other files ignored", []entry{
			{"go-runtime-v1.0.0", true},
			{"go-runtime-v2.0.0", false},              // a file, not a folder
			{"cavra-go-runtime-v3.0.0.zip", true},     // a folder, not a zip
			{"cavra-go-runtime-v4.0.0.tar.gz", false}, // not a zip
			{"checksums.txt", false},
			{"runtime-v5.0.0", true},
		}, "go-runtime-v1.0.0", nil},
		{"two versions", []entry{{"go-runtime-v1.0.0", true}, {"cavra-go-runtime-v2.0.0.zip", false}}, "", []string{"2 versions", "v1.0.0, v2.0.0", "CAVRA_PACKAGE"}},
		{"three folders", []entry{{"go-runtime-v3.0.0", true}, {"go-runtime-v1.0.0", true}, {"go-runtime-v2.0.0", true}}, "", []string{"3 versions", "v1.0.0, v2.0.0, v3.0.0"}},
		{"none", []entry{{"other", true}}, "", []string{"no package"}},
		{"empty", nil, "", []string{"no package"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			for _, e := range tt.entries {
				p := filepath.Join(out, e.name)
				var err error
				if e.dir {
					err = os.Mkdir(p, 0o755)
				} else {
					err = os.WriteFile(p, []byte("zip"), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			got, _, err := layout.Find(out)
			if tt.want != "" {
				if err != nil || got != filepath.Join(out, tt.want) {
					t.Fatalf("got %v, %v, want %v", got, err, filepath.Join(out, tt.want))
				}
				return
			}
			if err == nil {
				t.Fatalf("got %v, want an error", got)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got %v, want an error containing %q", err, s)
				}
			}
		})
	}
	// The versions are listed sorted, however the map holding them iterates.
	out := t.TempDir()
	var versions []string
	for i := range 12 {
		v := fmt.Sprintf("v1.%d.0", i)
		versions = append(versions, v)
		if err := os.Mkdir(filepath.Join(out, "go-runtime-"+v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(versions)
	want := "(" + strings.Join(versions, ", ") + ")"
	for range 5 {
		if _, _, err := layout.Find(out); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want an error listing %s", err, want)
		}
	}
	if _, _, err := layout.Find(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "no package") {
		t.Errorf("missing folder: got %v, want an error", err)
	}
}
