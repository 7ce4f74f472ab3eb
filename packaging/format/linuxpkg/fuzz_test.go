package linuxpkg

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"path"
	"testing"
)

// fuzzLimits keep each input's work small.
var fuzzLimits = Limits{MaxFiles: 200, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxMetadataSize: 1 << 20}

// checkRead reads data and checks what Read promises: an *Error, or
// sorted, unique, clean entries with consistent sizes and digests.
func checkRead(t *testing.T, format string, data []byte) {
	info, files, err := Read(format, bytes.NewReader(data), fuzzLimits)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Format != format {
			t.Fatalf("got %T %v, want an *Error for %s", err, err, format)
		}
		if info != (Info{}) || files != nil {
			t.Fatalf("error %v with results %+v %v", err, info, files)
		}
		return
	}
	if info.Name == "" || info.Version == "" || info.Arch == "" {
		t.Fatalf("accepted without metadata: %+v", info)
	}
	if len(files) > fuzzLimits.MaxFiles {
		t.Fatalf("%d files", len(files))
	}
	var total int64
	for i, f := range files {
		if i > 0 && files[i-1].Path >= f.Path {
			t.Fatalf("files not sorted or not unique: %q, %q", files[i-1].Path, f.Path)
		}
		if f.Path == "/" || path.Clean(f.Path) != f.Path || !path.IsAbs(f.Path) {
			t.Fatalf("bad path %q", f.Path)
		}
		switch {
		case f.Mode.IsRegular():
			if len(f.SHA256) != 64 || f.Size < 0 || f.Size > fuzzLimits.MaxFileSize {
				t.Fatalf("bad file %+v", f)
			}
			total += f.Size
		case f.Mode.IsDir() || f.Mode.Type() == fs.ModeSymlink:
			if f.SHA256 != "" || f.Size != 0 {
				t.Fatalf("bad entry %+v", f)
			}
		default:
			t.Fatalf("entry of type %v: %+v", f.Mode.Type(), f)
		}
	}
	if total > fuzzLimits.MaxTotalSize {
		t.Fatalf("payload of %d bytes", total)
	}
	if b, err := Installed(files); err == nil && !b.Mode.IsRegular() {
		t.Fatalf("Installed returned %+v", b)
	}
}

func FuzzReadDeb(f *testing.F) {
	f.Add(readSeed(f, "deb"))
	f.Add(deb(f, goodControl, goodData))
	f.Add(deb(f, goodControl, []entry{{"./usr/bin/cavra-runtime", tar.TypeSymlink, 0o777, "", "x"}}))
	f.Add(arData(member{"debian-binary", []byte("2.0\n")}, member{"control.tar", tarData(f, []entry{{"control", tar.TypeReg, 0o644, goodControl, ""}}, true)}, member{"data.tar", tarData(f, goodData, true)}))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "deb", data) })
}

func FuzzReadRPM(f *testing.F) {
	f.Add(readSeed(f, "rpm"))
	f.Add(rpmPackage(f, rpmGood, []string{"/var/log/x"}, rpmGood)) // no header digests
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "rpm", data) })
}

func FuzzReadAPK(f *testing.F) {
	f.Add(readSeed(f, "apk"))
	f.Add(apk(f, true, goodPKGINFO, apkData, nil))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "apk", data) })
}
