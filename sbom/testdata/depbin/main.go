// Command depbin is a small program with module dependencies, built by the
// tests of package sbom to check that linked modules are listed.
package main

import (
	"fmt"

	"github.com/google/uuid"
	"golang.org/x/mod/semver"
)

var version = "(unset)"

func main() {
	fmt.Println(version, semver.Canonical(version), uuid.NewSHA1(uuid.NameSpaceURL, []byte(version)))
}
