// Command cavra-release assembles a cavra-go-runtime release package. The mage
// targets run it (`go run ./cmd/cavra-release ...`); it is the one place that
// links the heavy release-time libraries, so that the runtime, the verifier
// and the mage binary never do.
//
// Usage:
//
//	cavra-release release [flags]            run every step; dist/go-runtime-<version>/ and its zip
//	cavra-release run -through STEP [flags]  run the steps up to STEP into -out (default dist/steps/STEP)
//	cavra-release steps                      list the steps in order
//
// Flags:
//
//	-version V     release version (default $VERSION, then git describe)
//	-out DIR       output folder (default dist)
//	-targets LIST  comma-separated os/arch subset of the matrix (default all six)
//
// The environment supplies SOURCE_DATE_EPOCH (default: the commit time),
// CAVRA_RELEASE=1 for a non-snapshot release, and the GITHUB_* variables of a
// CI run.
//
// Exit status: 0 on success, 1 when a step fails, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// pipeline is the full release, in order. Steps in one stage run at the same
// time.
func pipeline() release.Pipeline {
	return release.Pipeline{
		{release.Source{}, release.Modules{}},
		{release.Build{}},
		{release.WriteManifest{}},
		{release.Checksums{}},
		{release.Zip{}},
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	p := pipeline()
	var err error
	switch args[0] {
	case "steps":
		fmt.Fprintln(stdout, strings.Join(p.Steps(), "\n"))
		return 0
	case "release":
		err = runRelease(ctx, args[1:], p, "", stdout)
	case "run":
		err = runRelease(ctx, args[1:], p, "through", stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "cavra-release: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	switch {
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "cavra-release: %v\n", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  cavra-release release [-version V] [-out DIR] [-targets os/arch,...]
  cavra-release run -through STEP [-version V] [-out DIR] [-targets os/arch,...]
  cavra-release steps
`)
}

func runRelease(ctx context.Context, args []string, p release.Pipeline, mode string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cavra-release", flag.ContinueOnError)
	version := fs.String("version", "", "release version (default $VERSION, then git describe)")
	out := fs.String("out", "", "output folder (default dist)")
	targets := fs.String("targets", "", "comma-separated os/arch subset of the matrix")
	through := ""
	if mode == "through" {
		fs.StringVar(&through, "through", "", "last step to run")
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		return errUsage
	}
	if mode == "through" {
		if through == "" {
			fmt.Fprintln(fs.Output(), "-through STEP is required")
			return errUsage
		}
		var err error
		if p, err = p.Through(through); err != nil {
			return err
		}
		if *out == "" {
			*out = filepath.Join("dist", "steps", through)
		}
	}
	opts := release.Options{Version: *version, Out: *out, Getenv: os.Getenv}
	if *targets != "" {
		for _, s := range strings.Split(*targets, ",") {
			t, err := build.ParseTarget(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			opts.Targets = append(opts.Targets, t)
		}
	}
	log := release.NewLog(stdout)
	cfg, err := release.Detect(ctx, opts)
	if err != nil {
		return err
	}
	label := "release"
	if cfg.Snapshot {
		label = "SNAPSHOT"
	}
	log.Printf("cavra-go-runtime %s (%s) commit %s, %s, %d target(s)", cfg.Version, label, cfg.Commit[:12], cfg.GoVersion, len(cfg.Targets))
	res, err := release.Run(ctx, cfg, p, nil, log)
	if err != nil {
		return err
	}
	log.Printf("package %s (%d files)", rel(res.Dir), len(res.Artifacts))
	if res.Zip != "" {
		log.Printf("zip     %s", rel(res.Zip))
	}
	log.Total("total")
	return nil
}

func rel(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}
