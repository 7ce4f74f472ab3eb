package verify

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/cavra/cavra/packaging/format/archive"
)

// file is one file of the package under verification.
type file struct {
	name string // slash path relative to the package root
	size int64
	open func() (io.ReadCloser, error)
}

// content is what reading a file once produced.
type content struct {
	size   int64
	sha256 string
	sha512 string // only when asked (a TUF check lists both)
	data   []byte // nil unless the file was kept
	err    error
	parsed any // what the after hook of readAll derived from data, if anything
}

// openZip validates the zip's structure and lists its files. An unsafe zip is
// reported as a failed "archive" check naming the entry.
func openZip(r *Report, path string, lim archive.Limits) ([]file, func(), bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, false, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, false, fmt.Errorf("%s is not a regular file", path)
	}
	z, err := archive.OpenZip(f, st.Size(), lim)
	if err != nil {
		f.Close()
		var ae *archive.Error
		if errors.As(err, &ae) {
			r.fail(CheckArchive, ae.Entry, "%s", ae.Reason)
		} else {
			r.fail(CheckArchive, filepath.Base(path), "%v", err)
		}
		return nil, nil, false, nil
	}
	r.Package = z.Top
	files := make([]file, 0, len(z.Files))
	for _, zf := range z.Files {
		files = append(files, file{name: zf.Name, size: zf.Size, open: zf.Open})
	}
	r.pass(CheckArchive, filepath.Base(path), "%d files under %s/, no links, no unsafe names, sizes within limits", len(files), z.Top)
	return files, func() { f.Close() }, true, nil
}

// openDir lists the regular files of an extracted package. Links, devices
// and other special files, unsafe names and names that differ only by case
// fail the "layout" check.
func openDir(r *Report, dir string) ([]file, bool, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		return nil, false, fmt.Errorf("%s is not a folder", dir)
	}
	// The package's name is its folder's, also when the folder is given
	// as "." or "..".
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false, err
	}
	r.Package = filepath.Base(abs)
	var files []file
	folded := map[string]string{}
	ok := true
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		name := filepath.ToSlash(rel)
		if err := archive.CheckName(name); err != nil {
			r.fail(CheckLayout, name, "%v", err)
			ok = false
			return nil
		}
		if prev, dup := folded[strings.ToLower(name)]; dup {
			r.fail(CheckLayout, name, "differs from %s only by case", prev)
			ok = false
		}
		folded[strings.ToLower(name)] = name
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
		default:
			r.fail(CheckLayout, name, "is a %s, not a regular file", kindOf(t))
			ok = false
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, file{name: name, size: info.Size(), open: func() (io.ReadCloser, error) { return os.Open(p) }})
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if ok {
		r.pass(CheckLayout, "", "%d regular files, no links or special files", len(files))
	}
	return files, ok, nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// readAll reads every file once, in parallel, hashing as it streams (SHA-256,
// and SHA-512 too when with512) and keeping the bytes of every file up to
// maxKeep bytes: the checks inspect documents and binaries, and every signed
// file's signatures are checked over its bytes. after, when not nil, runs in
// the same worker on each file read without error, so that expensive parsing
// overlaps with reading the other files.
func readAll(files []file, maxKeep int64, with512 bool, after func(string, *content)) map[string]*content {
	out := make(map[string]*content, len(files))
	for _, f := range files {
		out[f.name] = &content{}
	}
	work := make(chan file)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range work {
				c := out[f.name]
				*c = readOne(f, maxKeep, with512)
				if after != nil && c.err == nil {
					after(f.name, c)
				}
			}
		})
	}
	// Largest first, so the workers finish together.
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b file) int { return int(min(max(b.size-a.size, -1), 1)) })
	for _, f := range sorted {
		work <- f
	}
	close(work)
	wg.Wait()
	return out
}

func readOne(f file, maxKeep int64, with512 bool) content {
	rc, err := f.open()
	if err != nil {
		return content{err: err}
	}
	defer rc.Close()
	h := sha256.New()
	var c content
	if f.size <= maxKeep {
		c.data = make([]byte, 0, f.size)
		buf := &sliceWriter{b: c.data}
		c.size, c.err = io.Copy(io.MultiWriter(h, buf), rc)
		c.data = buf.b
		if with512 {
			s := sha512.Sum512(c.data)
			c.sha512 = hex.EncodeToString(s[:])
		}
	} else if with512 {
		h5 := sha512.New()
		c.size, c.err = io.Copy(io.MultiWriter(h, h5), rc)
		c.sha512 = hex.EncodeToString(h5.Sum(nil))
	} else {
		c.size, c.err = io.Copy(h, rc)
	}
	if c.err == nil && c.size != f.size {
		c.err = fmt.Errorf("read %d bytes, size is %d", c.size, f.size)
	}
	c.sha256 = hex.EncodeToString(h.Sum(nil))
	return c
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
