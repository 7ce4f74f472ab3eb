package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// layout.ProxyDir is the folder of a package that holds the offline module proxy.
const ProxyDir = "goproxy"

// OfflineModules are the modules an offline team needs to run the mage
// targets (`go run mage.go verify:rebuild`): mage alone. The release-time
// libraries (syft, cosign, nfpm) are never needed offline.
var OfflineModules = []string{"github.com/magefile/mage"}

// ModulesStep writes a module proxy folder (GOPROXY=file://...) holding the
// versions of [OfflineModules] that go.mod selects, copied from the module
// cache after `go mod download` has checked them against go.sum.
type ModulesStep struct{}

// Name implements [Step].
func (ModulesStep) Name() string { return "modules" }

type download struct {
	Path, Version, Info, GoMod, Zip, Error string
}

// Run implements [Step].
func (ModulesStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	cmd := s.Config.GoCommand(ctx, s.Config.Root, append([]string{"mod", "download", "-json"}, OfflineModules...)...)
	cmd.Env = append(cmd.Env, "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var list artifact.List
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var d download
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go mod download: %w", err)
		}
		if d.Error != "" {
			return nil, fmt.Errorf("go mod download %s: %s", d.Path, d.Error)
		}
		dir := layout.ProxyDir + "/" + layout.EscapePath(d.Path) + "/@v/"
		a, err := artifact.WriteFile(s.Dir, dir+"list", artifact.Module, 0o644, []byte(d.Version+"\n"))
		if err != nil {
			return nil, err
		}
		list = append(list, a)
		for _, f := range []struct{ src, ext string }{{d.Info, ".info"}, {d.GoMod, ".mod"}, {d.Zip, ".zip"}} {
			a, err := copyFile(s.Dir, dir+d.Version+f.ext, f.src, artifact.Module)
			if err != nil {
				return nil, err
			}
			list = append(list, a)
		}
	}
	return list, nil
}

func copyFile(root, p, src string, kind artifact.Kind) (artifact.Artifact, error) {
	in, err := os.Open(src)
	if err != nil {
		return artifact.Artifact{}, err
	}
	defer in.Close()
	return artifact.Create(root, p, kind, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
