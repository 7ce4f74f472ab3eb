package sbom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/pkg"
	"github.com/anchore/syft/syft/pkg/cataloger/golang"
	"github.com/gabriel-vasile/mimetype"
)

// scan is what the Go binary cataloger found in one binary.
type scan struct {
	bin    Binary
	sha512 string
	coord  file.Coordinates
	pkgs   []pkg.Package // main, dependencies and stdlib, sorted
	rels   []artifact.Relationship
}

// executable lists the MIME types syft's Go binary cataloger asks for.
var executable = []string{
	"application/vnd.microsoft.portable-executable",
	"application/x-elf",
	"application/x-executable",
	"application/x-mach-binary",
	"application/x-sharedlib",
}

// catalog runs syft's Go binary cataloger over the bytes of b.
func catalog(ctx context.Context, info Info, b Binary, data []byte, sha512sum string) (*scan, error) {
	mime := mimetype.Detect(data).String()
	if !slices.Contains(executable, mime) {
		return nil, fmt.Errorf("sbom: %s: not an executable (%s)", b.Path, mime)
	}
	sc := &scan{bin: b, sha512: sha512sum, coord: file.NewCoordinates(b.Path, "")}
	meta := file.Metadata{Path: b.Path, MIMEType: mime} // Type is TypeRegular
	r := &resolver{loc: file.NewLocationFromCoordinates(sc.coord), meta: meta, data: data}

	c := golang.NewGoModuleBinaryCataloger(golang.CatalogerConfig{
		// No licenses from the module cache, a vendor directory or a
		// proxy, no version guessing: only the build information counts.
		CaptureSymbols: cataloging.SymbolScopeNone,
	})
	pkgs, rels, catErr := c.Catalog(ctx, r)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	// The cataloger reports gaps in secondary metadata as errors beside
	// its packages: kastenhq/goversion, which it asks for crypto settings,
	// cannot read stripped Mach-O and PE binaries. Such an error is fatal
	// only if the build information itself was not read.
	fail := func(format string, args ...any) error {
		err := fmt.Errorf("sbom: %s: "+format, append([]any{b.Path}, args...)...)
		if catErr != nil {
			err = fmt.Errorf("%w: %w", err, catErr)
		}
		return err
	}

	mainAt := -1
	for i, p := range pkgs {
		m, ok := p.Metadata.(pkg.GolangBinaryBuildinfoEntry)
		if !ok {
			return nil, fail("unexpected %T package %s", p.Metadata, p.Name)
		}
		if p.Name != "stdlib" && p.Name == m.MainModule {
			if mainAt >= 0 {
				return nil, fail("two main modules")
			}
			mainAt = i
		}
	}
	if mainAt < 0 {
		return nil, fail("no Go build information with a main module")
	}
	main := pkgs[mainAt]
	if main.Name != info.ModulePath {
		return nil, fmt.Errorf("sbom: %s: main module is %s, want %s", b.Path, main.Name, info.ModulePath)
	}
	m := main.Metadata.(pkg.GolangBinaryBuildinfoEntry)
	goos, _ := m.BuildSettings.Get("GOOS")
	goarch, _ := m.BuildSettings.Get("GOARCH")
	if goos+"/"+goarch != b.Target {
		return nil, fmt.Errorf("sbom: %s: built for %s/%s, want %s", b.Path, goos, goarch, b.Target)
	}
	if m.GoCompiledVersion != info.GoVersion {
		return nil, fmt.Errorf("sbom: %s: built with %s, want %s", b.Path, m.GoCompiledVersion, info.GoVersion)
	}
	stdlibs := 0
	for _, p := range pkgs {
		if p.Name == "stdlib" {
			stdlibs++
		}
	}
	if stdlibs != 1 {
		return nil, fmt.Errorf("sbom: %s: found %d stdlib packages, want 1", b.Path, stdlibs)
	}

	// The build information says (devel); the release version is ours.
	// The version is part of syft's package ID, so relationships that
	// named the old package are pointed at the new one.
	old := main.ID()
	main.Version = info.Version
	main.PURL = goPURL(main.Name, info.Version)
	main.SetID()
	pkgs[mainAt] = main
	swap := func(x artifact.Identifiable) artifact.Identifiable {
		if p, ok := x.(pkg.Package); ok && p.ID() == old {
			return main
		}
		return x
	}
	for i := range rels {
		rels[i].From, rels[i].To = swap(rels[i].From), swap(rels[i].To)
	}

	pkg.Sort(pkgs)
	sc.pkgs, sc.rels = pkgs, rels
	return sc, nil
}

// goPURL returns the package URL of a Go module as syft writes it:
// pkg:golang/github.com/cavra/cavra@v1.2.3.
func goPURL(module, version string) string {
	ns, name := "", module
	if i := strings.LastIndex(module, "/"); i > 0 && i < len(module)-1 {
		ns, name = module[:i], module[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// resolver is a file.Resolver holding one file, in memory, under its
// path in the release package.
type resolver struct {
	loc  file.Location
	meta file.Metadata
	data []byte
}

var _ file.Resolver = (*resolver)(nil)

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (r *resolver) FileContentsByLocation(l file.Location) (io.ReadCloser, error) {
	if l.Coordinates != r.loc.Coordinates {
		return nil, fmt.Errorf("%s: no such file", l.RealPath)
	}
	return readCloser{bytes.NewReader(r.data)}, nil
}

func (r *resolver) FileMetadataByLocation(l file.Location) (file.Metadata, error) {
	if l.Coordinates != r.loc.Coordinates {
		return file.Metadata{}, fmt.Errorf("%s: no such file", l.RealPath)
	}
	return r.meta, nil
}

func (r *resolver) is(p string) bool {
	return strings.TrimPrefix(p, "/") == r.loc.RealPath
}

func (r *resolver) HasPath(p string) bool { return r.is(p) }

func (r *resolver) FilesByPath(paths ...string) ([]file.Location, error) {
	if slices.ContainsFunc(paths, r.is) {
		return []file.Location{r.loc}, nil
	}
	return nil, nil
}

func (r *resolver) FilesByGlob(patterns ...string) ([]file.Location, error) {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.TrimPrefix(p, "/"), r.loc.RealPath); ok {
			return []file.Location{r.loc}, nil
		}
	}
	return nil, nil
}

func (r *resolver) FilesByMIMEType(types ...string) ([]file.Location, error) {
	if slices.Contains(types, r.meta.MIMEType) {
		return []file.Location{r.loc}, nil
	}
	return nil, nil
}

func (r *resolver) RelativeFileByPath(_ file.Location, p string) *file.Location {
	if r.is(p) {
		return &r.loc
	}
	return nil
}

func (r *resolver) AllLocations(ctx context.Context) <-chan file.Location {
	ch := make(chan file.Location, 1)
	ch <- r.loc
	close(ch)
	return ch
}
