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
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}
