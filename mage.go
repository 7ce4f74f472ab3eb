//go:build ignore

// Command mage.go runs the project's mage targets without installing mage:
//
//	go run mage.go -l            # list targets
//	go run mage.go release       # build a complete snapshot package into dist/
//
// The targets live in magefiles/.
package main

import (
	"os"

	"github.com/magefile/mage/mage"
)

func main() { os.Exit(mage.Main()) }
