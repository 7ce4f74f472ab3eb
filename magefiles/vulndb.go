//go:build mage

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/packaging/format/vulndb"
)

// Vulndb writes dist/vulndb.zip, the Go vulnerability database in the
// layout vuln.go.dev serves (its vulndb.zip): of the golang.org/x/vulndb
// version go.mod pins, the one every release is checked against, or of
// CAVRA_VULNDB_VERSION (a version, or latest) fetched through the module
// proxy and checked against the checksum database. Carry it into a
// restricted network for `cavra release vulns --db vulndb.zip`.
func Vulndb() error {
	ctx := context.Background()
	mod := "golang.org/x/vulndb"
	if v := env("CAVRA_VULNDB_VERSION", ""); v != "" {
		mod += "@" + v
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m struct{ Path, Version, Sum, Zip, Error string }
	if jerr := json.Unmarshal(out, &m); jerr == nil && m.Error != "" {
		return fmt.Errorf("vulndb: go mod download %s: %s", mod, m.Error)
	}
	if err != nil {
		return fmt.Errorf("vulndb: go mod download %s: %w: %s", mod, err, strings.TrimSpace(stderr.String()))
	}
	db, err := vulndb.FromModuleZip(m.Zip, m.Path, m.Version, nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll("dist", 0o755); err != nil {
		return err
	}
	out2 := filepath.Join("dist", "vulndb.zip")
	if err := atomicfile.WriteFunc(out2, 0o644, func(w io.Writer) error { return vulndb.WriteZip(w, db.Files) }); err != nil {
		return err
	}
	fmt.Printf("%s: %s@%s (%s), %d entries, last modified %s\n", out2, m.Path, m.Version, m.Sum, db.Entries, db.Modified.Format(time.RFC3339))
	return nil
}
