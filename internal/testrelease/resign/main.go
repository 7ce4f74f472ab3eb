// Command resign plays a release key holder who tampers with a package: it
// takes a package folder whose binaries, source archive or Linux packages a
// test has changed, and redoes every later step (SBOMs, vulnerability
// evidence, manifest, key, bootstrap, evidence, provenance, checksums,
// signatures) with the key in COSIGN_KEY and COSIGN_PASSWORD, so the package
// is consistent and validly signed. Tests use it to show what only a trusted
// key or a rebuild catches. Like such a key holder, it writes the VEX
// documents without scanning (the database of this module's go.mod, nothing
// reachable), since a tampered source archive may not scan at all.
//
// Usage:
//
//	resign <package folder>                   redo every step after the build
//	resign -blob <file>                       write <file>.sig and <file>.sigstore.json
//	resign -dsse <statement.json> <out.jsonl>  sign an in-toto statement
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/packaging/release/steps"
	"github.com/cavra/cavra/packaging/release/tufrepo"
	"github.com/cavra/cavra/packaging/release/vulns"
	"github.com/cavra/cavra/signing"
	"github.com/cavra/cavra/signing/keyless"
)

func main() {
	ctx := context.Background()
	var err error
	switch args := os.Args[1:]; {
	case len(args) == 1:
		err = resign(ctx, args[0])
	case len(args) == 2 && args[0] == "-blob":
		err = blob(ctx, args[1])
	case len(args) == 3 && args[0] == "-dsse":
		err = dsse(ctx, args[1], args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: resign <package folder> | -blob <file> | -dsse <statement> <out>")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resign:", err)
		os.Exit(1)
	}
}

func blob(ctx context.Context, file string) error {
	key, err := signing.Load(ctx, signing.Options{})
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	sig, err := key.Sign(ctx, data)
	if err != nil {
		return err
	}
	bundle, err := key.Bundle(data, sig)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file+layout.SigSuffix, []byte(base64.StdEncoding.EncodeToString(sig)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(file+layout.BundleSuffix, bundle, 0o644)
}

func dsse(ctx context.Context, in, out string) error {
	key, err := signing.Load(ctx, signing.Options{})
	if err != nil {
		return err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	env, err := key.SignDSSE(ctx, provenance.PayloadType, data)
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(env, '\n'), 0o644)
}

func resign(ctx context.Context, dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, manifest.Name))
	if err != nil {
		return err
	}
	m, err := manifest.Parse(data)
	if err != nil {
		return err
	}
	c := &release.Config{
		Version: m.Package.Version, Snapshot: m.Snapshot, Dirty: m.Package.Dirty, Commit: m.Package.Commit,
		Ref: m.Package.Ref, Repository: m.Package.Repository, WorkflowRef: m.Package.WorkflowRef,
		Builder: "https://cavra.dev/builders/local-mage@v1", Epoch: time.Unix(m.Package.SourceDateEpoch, 0).UTC(),
		GoVersion: m.Go.Version, ModuleDir: m.Go.ModuleDir, Supplier: release.DefaultSupplier,
	}
	// Keep what the build produced, and Sigstore's trusted root when the
	// release was given one, as they are now on disk; drop the rest.
	keep := map[string]artifact.Kind{m.Source.Archive: artifact.Source, layout.TrustedRoot: artifact.TrustedRoot}
	targets := map[string]string{}
	for _, b := range m.Binaries {
		keep[b.Binary] = artifact.Binary
		targets[b.Binary] = b.Target
		t, err := build.ParseTarget(b.Target)
		if err != nil {
			return err
		}
		c.Targets = append(c.Targets, t)
	}
	var list artifact.List
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		kind, ok := keep[rel]
		if strings.HasPrefix(rel, layout.ProxyDir+"/") && !strings.HasSuffix(rel, layout.SigSuffix) && !strings.HasSuffix(rel, layout.BundleSuffix) {
			kind, ok = artifact.Module, true
		}
		if !ok {
			return os.Remove(p)
		}
		mode := os.FileMode(0o644)
		if kind == artifact.Binary {
			mode = 0o755
		}
		a, err := artifact.Stat(dir, rel, kind, mode)
		if err != nil {
			return err
		}
		a.Target = targets[rel]
		list = append(list, a)
		return nil
	})
	if err != nil {
		return err
	}
	key, err := signing.Load(ctx, signing.Options{})
	if err != nil {
		return err
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	c.Root = filepath.Dir(strings.TrimSpace(string(out))) // for the database go.mod pins
	// The holder of the release key alone has no online key and no root
	// key: the TUF metadata comes from a repository of its own, which no
	// trust folder trusts.
	trustDir, err := os.MkdirTemp("", "resign-trust-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(trustDir)
	p := steps.AfterBuild(key, nil, &tufrepo.Source{Dir: filepath.Join(trustDir, "repo")}, keyless.TrustedRootStep{})
	p = p[:len(p)-1] // no zip
	for _, st := range p {
		for i, s := range st {
			if c, ok := s.(release.Cached); ok && c.Name() == "vulns" {
				st[i] = vulns.Step{Scanner: unscanned{}}
			}
		}
	}
	_, err = release.RunIn(ctx, c, p, dir, list, nil)
	return err
}

// unscanned is a scanner that reports nothing reachable in any target,
// without running.
type unscanned struct{}

func (unscanned) Scan(ctx context.Context, s *release.State, db string) (map[string]vulns.Reach, vex.Scanner, error) {
	reach := map[string]vulns.Reach{}
	for _, t := range s.Config.Targets {
		reach[t.String()] = vulns.Reach{}
	}
	return reach, vex.Scanner{Name: "govulncheck", Module: vulns.ScannerModule, Version: "unscanned"}, nil
}
