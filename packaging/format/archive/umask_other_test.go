//go:build !unix

package archive

import (
	"io/fs"
	"testing"
)

func currentUmask(t *testing.T) fs.FileMode {
	t.Skip("file modes are Unix-specific")
	return 0
}
