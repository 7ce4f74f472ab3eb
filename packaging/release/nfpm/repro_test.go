//go:build unix

package nfpm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestReproducible runs the step a second time in another folder, with
// another time zone, umask and GOMAXPROCS, and compares the bytes; then a
// third time with another SOURCE_DATE_EPOCH, which must change them.
func TestReproducible(t *testing.T) {
	s1, got1 := run(t)

	saveLocal := time.Local
	time.Local = time.FixedZone("UTC+05:30", 5*3600+1800)
	saveUmask := syscall.Umask(0o077)
	saveProcs := runtime.GOMAXPROCS(1)
	defer func() {
		time.Local = saveLocal
		syscall.Umask(saveUmask)
		runtime.GOMAXPROCS(saveProcs)
	}()
	s2 := newState(t, time.Unix(testEpoch, 0).In(time.Local))
	got2, err := Step{}.Run(context.Background(), s2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got1) != len(got2) {
		t.Fatalf("got %d packages, then %d", len(got1), len(got2))
	}
	for i := range got1 {
		a, b := got1[i], got2[i]
		if a != b {
			t.Errorf("run 1: %+v\nrun 2: %+v", a, b)
			continue
		}
		d1, err := os.ReadFile(filepath.Join(s1.Dir, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		d2, err := os.ReadFile(filepath.Join(s2.Dir, filepath.FromSlash(b.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d1, d2) {
			t.Errorf("%s differs between runs", a.Path)
		}
	}

	s3 := newState(t, time.Unix(testEpoch+1, 0))
	got3, err := Step{}.Run(context.Background(), s3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got1 {
		if got1[i].SHA256 == got3[i].SHA256 {
			t.Errorf("%s does not depend on SOURCE_DATE_EPOCH", got1[i].Path)
		}
	}
}
