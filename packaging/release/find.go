package release

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Find returns the one package in the output folder out: the folder
// go-runtime-<version>, or else the zip cavra-go-runtime-<version>.zip. It is
// an error when out holds packages of more than one version, or none.
func Find(out string) (string, error) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", fmt.Errorf("release: no package found: %w", err)
	}
	found := map[string]string{} // version -> path, folder preferred
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && strings.HasPrefix(name, "go-runtime-"):
			found[strings.TrimPrefix(name, "go-runtime-")] = filepath.Join(out, name)
		case !e.IsDir() && strings.HasPrefix(name, "cavra-go-runtime-") && strings.HasSuffix(name, ".zip"):
			v := strings.TrimSuffix(strings.TrimPrefix(name, "cavra-go-runtime-"), ".zip")
			if _, ok := found[v]; !ok {
				found[v] = filepath.Join(out, name)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("release: no package in %s (set CAVRA_PACKAGE to a package folder or zip)", out)
	case 1:
		for _, p := range found {
			return p, nil
		}
	}
	var versions []string
	for v := range found {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return "", fmt.Errorf("release: %s holds packages of %d versions (%s); set CAVRA_PACKAGE to choose one", out, len(versions), strings.Join(versions, ", "))
}
