//go:build ignore

// Command mage.go runs the project's mage targets without installing mage:
//
//	go run mage.go -l            # list targets
//	go run mage.go release       # build a complete snapshot package into dist/
//
// The targets live in magefiles/.
//
// mage compiles the magefiles into a binary and, by default, builds it anew
// on every run so as not to miss a change in a package they import. This
// file instead keys mage's cache by a content hash of everything that binary
// is made of (the magefiles, every package of this module they import, go.mod,
// go.sum and go env: see internal/cmdcache), so the binary is reused until one
// of them changes, and a stale one cannot be found. MAGEFILE_CACHE set by the
// caller is left to mage.
package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/magefile/mage/mage"

	"github.com/cavra/cavra/internal/cmdcache"
)

func main() {
	if os.Getenv("MAGEFILE_CACHE") == "" {
		key, err := cmdcache.Key(context.Background(), cmdcache.Spec{Root: ".", Pkg: "./magefiles", Tags: []string{"mage"}})
		dir, derr := cmdcache.DefaultDir()
		if err == nil && derr == nil {
			cache := filepath.Join(dir, "mage-"+key[:32])
			if _, err := os.Stat(cache); err != nil {
				cmdcache.Trim(dir, "mage-", cache) // a new key: forget week-old ones
			}
			cmdcache.Use(cache)
			os.Setenv("MAGEFILE_CACHE", cache)
			os.Setenv("MAGEFILE_HASHFAST", "1")
		}
	}
	os.Exit(mage.Main())
}
