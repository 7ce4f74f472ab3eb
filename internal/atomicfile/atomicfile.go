// Package atomicfile writes files so that a reader never sees part of one:
// the bytes go to a temporary file in the same folder, which is given its
// mode, synced, and then renamed over the file ([Write]) or linked to a name
// that must not exist yet ([Create]).
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data, mode mode: a reader sees the
// old file or the new one whole.
func Write(path string, data []byte, mode fs.FileMode) error {
	return WriteFunc(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc is [Write] for content that write produces.
func WriteFunc(path string, mode fs.FileMode, write func(io.Writer) error) error {
	tmp, err := temp(path, mode, write)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// Create writes data to a new file at path, mode mode. When a file exists
// at path, also one made while data was being written, it changes nothing
// and returns an error that errors.Is fs.ErrExist.
func Create(path string, data []byte, mode fs.FileMode) error {
	tmp, err := temp(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// temp writes a temporary file beside path and returns its name; on an
// error it leaves nothing behind.
func temp(path string, mode fs.FileMode, write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return "", err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes a rename or link in dir durable, where the file system
// allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
