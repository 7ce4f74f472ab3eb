package release

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// SourceStep writes the source archive: every file git tracks at the commit, with
// the mode git records (0644 or 0755), in a deterministic tar.gz under one top
// folder. For a dirty snapshot the tracked files are read from the working
// tree instead, so the binaries match what the developer sees.
//
// The binaries of a release are built from this archive, by the same code a
// rebuilder runs, so a package can only ship binaries its own source makes.
type SourceStep struct{}

// Name implements [Step].
func (SourceStep) Name() string { return "source" }

// Run implements [Step].
func (SourceStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	c := s.Config
	var files []archive.Entry
	var err error
	if c.Dirty {
		files, err = worktreeFiles(ctx, c.Root)
	} else {
		files, err = commitFiles(ctx, c.Root, c.Commit)
	}
	if err != nil {
		return nil, err
	}
	top := layout.SourceRoot(c.Version)
	for i := range files {
		files[i].Name = top + "/" + files[i].Name
	}
	a, err := artifact.Create(s.Dir, layout.Source(c.Version), artifact.Source, 0o644, func(w io.Writer) error {
		_, err := archive.WriteTarGz(w, files, c.Epoch)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.Format = "tar.gz"
	s.Log.Printf("  source: %d files from %s", len(files), map[bool]string{true: "the working tree (dirty)", false: "commit " + c.Commit[:12]}[c.Dirty])
	return artifact.List{a}, nil
}

// commitFiles reads the tracked files of commit through git archive, which
// gives git's own view of the content (no checkout filters, no line-ending
// conversion).
func commitFiles(ctx context.Context, root, commit string) ([]archive.Entry, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", commit)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git archive: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(bytes.NewReader(out))
	var files []archive.Entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("git archive: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader, tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("source: %s: only regular files are supported (tar type %q)", h.Name, h.Typeflag)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files = append(files, archive.BytesEntry(h.Name, data, gitMode(h.Mode&0o111 != 0)))
	}
	return files, nil
}

// worktreeFiles reads the tracked files from the working tree.
func worktreeFiles(ctx context.Context, root string) ([]archive.Entry, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--stage").Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []archive.Entry
	for _, rec := range strings.Split(string(out), "\x00") {
		if rec == "" {
			continue
		}
		meta, name, ok := strings.Cut(rec, "\t")
		if !ok {
			return nil, fmt.Errorf("git ls-files: bad record %q", rec)
		}
		mode, _, _ := strings.Cut(meta, " ")
		switch mode {
		case "100644", "100755":
		default:
			return nil, fmt.Errorf("source: %s: git mode %s is not a regular file", name, mode)
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			return nil, err
		}
		files = append(files, archive.BytesEntry(name, data, gitMode(mode == "100755")))
	}
	return files, nil
}

func gitMode(exec bool) os.FileMode {
	if exec {
		return 0o755
	}
	return 0o644
}
