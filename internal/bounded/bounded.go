// Package bounded reads files that come from outside the program (keys,
// attestations, metadata an operator names) with a limit on their size, so
// that a wrong path, a device or a huge file is a clear error instead of
// memory exhausted.
package bounded

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads the regular file at path, which must hold at most max
// bytes. The error names the file.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, max)
}

// Read is [ReadFile] for a file already open (from an [os.Root], say);
// the error names it as name.
func Read(f *os.File, name string, max int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, nil
}
