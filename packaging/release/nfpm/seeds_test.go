package nfpm

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/linuxpkg"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the seed packages in ../linuxpkg/testdata")

// seedDir holds the small packages that seed linuxpkg's fuzz tests.
const seedDir = "../../format/linuxpkg/testdata"

// seed returns a small package of the given format made the way the step
// makes packages, with a two-line script as the binary and a short
// licence, so that fuzzing spends its time on structure, not on contents.
func seed(t *testing.T, format string) []byte {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bin := write("cavra-runtime", "#!/bin/sh\necho cavra-runtime v1.2.3-rc.1\n")
	src := sources{
		license: write("LICENSE", "Apache License 2.0\n"),
		readme:  write("README", "cavra-runtime\n"),
		unit:    write("cavra-runtime.service", "[Service]\nExecStart=/usr/bin/cavra-runtime serve\n"),
	}
	j := job{format: format, target: "linux/amd64"}
	j.version, _ = linuxpkg.Version(format, testVersion)
	j.arch, _ = linuxpkg.Arch(format, j.target)
	var buf bytes.Buffer
	if err := packagers[format].Package(packageInfo(j, time.Unix(testEpoch, 0), Homepage, bin, src), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSeeds checks that the committed seed packages are what seed makes
// today; go test -run TestSeeds -write-seeds rewrites them.
func TestSeeds(t *testing.T) {
	for _, format := range linuxpkg.Formats {
		data := seed(t, format)
		name := filepath.Join(seedDir, "seed."+format)
		if *writeSeeds {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, data) {
			t.Errorf("%s is out of date: run go test ./packaging/nfpm -run TestSeeds -write-seeds", name)
		}
	}
}
