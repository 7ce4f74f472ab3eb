package release

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// ZipStep writes cavra-go-runtime-<version>.zip beside the package folder, with
// every file of the package under one top folder, sorted, with fixed modes
// (0755 for binaries, 0644 for the rest) and times from SOURCE_DATE_EPOCH,
// binaries and compressed files stored and the rest deflated,
// and cavra-go-runtime-<version>.zip.sha256 in sha256sum format beside it.
// Every file is checked against the artifact list while it is compressed,
// which for most files happens while later steps run (see [State.Prepack]).
// With a Signer it also writes cavra-go-runtime-<version>.zip.sig and
// .zip.sigstore.json, so the zip can be checked with `cosign verify-blob`
// before it is opened.
type ZipStep struct{ Signer Signer }

// Name implements [Step].
func (ZipStep) Name() string { return "zip" }

// Run implements [Step].
func (zp ZipStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	c := s.Config
	top := c.Name()
	var entries []archive.Entry
	want := map[string]artifact.Artifact{}
	for _, a := range s.Artifacts {
		if a.Kind == artifact.Archive {
			continue
		}
		e := zipEntry(top, s.Dir, a)
		e.Packed = s.zip.packed(e.Name, a) // nil: packed here
		entries = append(entries, e)
		want[e.Name] = a
	}
	z, err := artifact.Create(s.OutDir, c.ZipName(), artifact.Archive, 0o644, func(w io.Writer) error {
		got, err := archive.WriteZip(w, entries, c.Epoch)
		if err != nil {
			return err
		}
		for _, d := range got {
			if a := want[d.Name]; a.SHA256 != d.SHA256 || a.Size != d.Size {
				return fmt.Errorf("%s changed on disk after its step recorded it", a.Path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	z.Format = "zip"
	line := z.SHA256 + "  " + c.ZipName() + "\n"
	sum, err := artifact.WriteFile(s.OutDir, c.ZipName()+".sha256", artifact.Archive, 0o644, []byte(line))
	if err != nil {
		return nil, err
	}
	sum.Format = "sha256"
	out := artifact.List{z, sum}
	if zp.Signer != nil {
		// Signed by the SHA-256 taken while the zip was written.
		sigs, err := signFile(ctx, zp.Signer, s.OutDir, c.ZipName(), z.SHA256, artifact.Archive)
		if err != nil {
			return nil, err
		}
		out = append(out, sigs...)
	}
	return out, nil
}

func fileMode(k artifact.Kind) fs.FileMode {
	if k == artifact.Binary {
		return 0o755
	}
	return 0o644
}
