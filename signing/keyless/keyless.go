// Package keyless signs a release package keyless, as the release
// workflow's isolated signing job does: with the workflow's OIDC identity,
// which Fulcio certifies in a ten-minute certificate, a Rekor v1 entry with
// its inclusion proof, signed checkpoint and signed entry timestamp, and an
// RFC 3161 timestamp when a timestamp authority is configured. No key is
// held anywhere, so no build step can read one.
//
// [SignPackage] writes, beside the package's zip (see package layout):
//
//	cavra-go-runtime-V.zip.keyless.sigstore.json            the zip
//	cavra-go-runtime-V.checksums.txt.keyless.sigstore.json  the package's checksums.txt
//	cavra-go-runtime-V.provenance.keyless.sigstore.json     the provenance statement, a DSSE attestation
//	trusted_root.json                                       Sigstore's trusted root the bundles were checked against
//
// and keeps a bundle only after the standard-library verifier (package
// github.com/cavra/cavra/signing/trust/keyless) accepted it with that
// trusted root and the identity the job expects: what is published is what
// an offline verifier accepts. The trusted root is the package's own
// sigstore/trusted_root.json when it has one (the release wrote it, see
// [TrustedRootStep]: signed with the release key and a TUF target, so a
// verifier with a trust folder needs no other copy), else the one
// Sigstore's TUF repository serves now. Signing needs the network (Fulcio,
// Rekor, the timestamp authority, Sigstore's TUF repository); verifying
// does not.
package keyless

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/trust"
	verifier "github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// Signer makes keyless bundles v0.3.
type Signer interface {
	// SignBlob signs a file's bytes (a message signature).
	SignBlob(ctx context.Context, data []byte) ([]byte, error)
	// SignDSSE signs a DSSE envelope of payload.
	SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error)
}

// The public-good instance.
const (
	PublicGoodFulcio = "https://fulcio.sigstore.dev"
	PublicGoodRekor  = "https://rekor.sigstore.dev"
	PublicGoodTSA    = "https://timestamp.sigstore.dev/api/v1/timestamp"
)

// Sigstore signs with a Sigstore instance through sigstore-go: an
// ephemeral key per bundle, certified by Fulcio for the identity token,
// logged in Rekor v1, and timestamped when TSAURL is set.
type Sigstore struct {
	FulcioURL, RekorURL, TSAURL string
	Token                       func(ctx context.Context) (string, error)
}

// SignBlob implements Signer.
func (s *Sigstore) SignBlob(ctx context.Context, data []byte) ([]byte, error) {
	return s.sign(ctx, &sign.PlainData{Data: data})
}

// SignDSSE implements Signer.
func (s *Sigstore) SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	return s.sign(ctx, &sign.DSSEData{Data: payload, PayloadType: payloadType})
}

func (s *Sigstore) sign(ctx context.Context, content sign.Content) ([]byte, error) {
	token, err := s.Token(ctx)
	if err != nil {
		return nil, err
	}
	key, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	opts := sign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL, Retries: 2}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		TransparencyLogs:           []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: s.RekorURL, Retries: 2})},
	}
	if s.TSAURL != "" {
		opts.TimestampAuthorities = []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.TSAURL, Retries: 2})}
	}
	b, err := sign.Bundle(content, key, opts)
	if err != nil {
		return nil, fmt.Errorf("keyless signing: %w", err)
	}
	return protojson.Marshal(b)
}

// IDToken returns the OIDC identity token source of the environment: the
// token in SIGSTORE_ID_TOKEN (cosign's variable), or GitHub Actions' token
// for the audience "sigstore", requested with ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which a job gets with the permission
// id-token: write.
func IDToken(getenv func(string) string, client *http.Client) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if t := getenv("SIGSTORE_ID_TOKEN"); t != "" {
			return t, nil
		}
		reqURL, reqToken := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		if reqURL == "" || reqToken == "" {
			return "", errors.New("no OIDC identity token: run in a GitHub Actions job with permission id-token: write, or set SIGSTORE_ID_TOKEN")
		}
		u, err := url.Parse(reqURL)
		if err != nil {
			return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL: %w", err)
		}
		q := u.Query()
		q.Set("audience", "sigstore")
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "bearer "+reqToken)
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("requesting the OIDC token: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("requesting the OIDC token: %s", resp.Status)
		}
		var v struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
			return "", errors.New("requesting the OIDC token: no token in the answer")
		}
		return v.Value, nil
	}
}

// GitHubPolicy returns the identity a GitHub Actions job signs as: the
// workflow file at its ref (GITHUB_WORKFLOW_REF on GITHUB_SERVER_URL),
// issued by GitHub's OIDC issuer, at the job's commit; false outside
// GitHub Actions.
func GitHubPolicy(getenv func(string) string) (verifier.Policy, bool) {
	ref := getenv("GITHUB_WORKFLOW_REF")
	if ref == "" {
		return verifier.Policy{}, false
	}
	server := getenv("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	return verifier.Policy{
		Identity: server + "/" + ref, Issuer: "https://token.actions.githubusercontent.com",
		GitHubWorkflowSHA: getenv("GITHUB_SHA"),
	}, true
}

// FetchTrustedRoot returns trusted_root.json as Sigstore's public-good TUF
// repository serves it, through sigstore-go's TUF client (which starts
// from its embedded root and verifies every metadata file), cached under
// cacheDir.
func FetchTrustedRoot(cacheDir string) ([]byte, error) {
	opts := tuf.DefaultOptions().WithCachePath(cacheDir)
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("sigstore TUF: %w", err)
	}
	data, err := c.GetTarget(sigstore.TrustedRootName)
	if err != nil {
		return nil, fmt.Errorf("sigstore TUF: %s: %w", sigstore.TrustedRootName, err)
	}
	return data, nil
}

// Options are what SignPackage signs and how.
type Options struct {
	Dist    string // the folder holding the zip and the package folder
	Version string
	Signer  Signer
	// Fetch returns Sigstore's trusted root as its TUF repository serves
	// it now (see FetchTrustedRoot). When the package carries no
	// sigstore/trusted_root.json, every bundle is checked against it and
	// it is saved beside the zip; when the package carries one, that one
	// is, and Fetch only explains a bundle that fails against it. Nil:
	// nothing can be fetched.
	Fetch func() ([]byte, error)
	// Policy is the identity every bundle must verify with.
	Policy verifier.Policy
	Log    io.Writer
}

// SignPackage signs the zip, checksums.txt and the provenance statement of
// the package keyless, checks each bundle with the standard-library
// verifier against the package's trusted root (or, when it has none, the
// one o.Fetch returns), and writes the bundles and the bytes of that
// trusted root beside the zip. It returns the files written.
func SignPackage(ctx context.Context, o Options) ([]string, error) {
	pkg := filepath.Join(o.Dist, layout.Dir(o.Version))
	fetch := sync.OnceValues(func() ([]byte, error) {
		if o.Fetch == nil {
			return nil, errors.New("no trusted root can be fetched")
		}
		return o.Fetch()
	})
	rootData, packaged, err := trustedRoot(pkg, fetch)
	if err != nil {
		return nil, err
	}
	from := "Sigstore's trusted root as its TUF repository serves it now"
	if packaged {
		from = "the package's " + layout.TrustedRoot
	}
	v, err := newVerifier(rootData, o.Policy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if o.Log != nil {
		sum := sha256.Sum256(rootData)
		fmt.Fprintf(o.Log, "keyless: every bundle is checked against %s (sha256 %x)\n", from, sum)
	}
	read := func(p string) ([]byte, error) { return os.ReadFile(p) }
	zip, err := read(filepath.Join(o.Dist, layout.Zip(o.Version)))
	if err != nil {
		return nil, err
	}
	sums, err := read(filepath.Join(pkg, "checksums.txt"))
	if err != nil {
		return nil, err
	}
	envData, err := read(filepath.Join(pkg, layout.Provenance))
	if err != nil {
		return nil, err
	}
	env, payload, err := trust.ParseEnvelope(envData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.Provenance, err)
	}

	type out struct {
		name string
		data []byte
	}
	var files []out
	for _, b := range []struct {
		name  string
		what  string
		data  []byte
		check func(v *verifier.Verifier, bundle []byte) (*verifier.Signer, error)
	}{
		{layout.KeylessZip(o.Version), layout.Zip(o.Version), zip, func(v *verifier.Verifier, b []byte) (*verifier.Signer, error) {
			return v.VerifyMessage(b, sha256.Sum256(zip), zip)
		}},
		{layout.KeylessChecksums(o.Version), "checksums.txt", sums, func(v *verifier.Verifier, b []byte) (*verifier.Signer, error) {
			return v.VerifyMessage(b, sha256.Sum256(sums), sums)
		}},
		{layout.KeylessProvenance(o.Version), layout.Provenance, nil, func(v *verifier.Verifier, b []byte) (*verifier.Signer, error) {
			pt, p, s, err := v.VerifyDSSE(b)
			if err == nil && (pt != env.PayloadType || !bytes.Equal(p, payload)) {
				err = errors.New("the attestation holds another statement")
			}
			return s, err
		}},
	} {
		start := time.Now()
		var bundle []byte
		if b.data != nil {
			bundle, err = o.Signer.SignBlob(ctx, b.data)
		} else {
			bundle, err = o.Signer.SignDSSE(ctx, env.PayloadType, payload)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.what, err)
		}
		s, err := b.check(v, bundle)
		if err != nil {
			err = fmt.Errorf("%s: the bundle Sigstore returned does not verify offline against %s: %w", b.what, from, err)
			if packaged {
				err = explain(err, rootData, fetch, o.Policy, func(v *verifier.Verifier) error { _, err := b.check(v, bundle); return err })
			}
			return nil, err
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "keyless: %s signed by %s (%s), log index %d, in %.1fs\n", b.what, s.Identity, s.Issuer, s.LogIndex, time.Since(start).Seconds())
		}
		files = append(files, out{b.name, bundle})
	}
	files = append(files, out{sigstore.TrustedRootName, rootData})
	var written []string
	for _, f := range files {
		p := filepath.Join(o.Dist, f.name)
		if err := atomicfile.Write(p, f.data, 0o644); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// trustedRoot returns the trusted root the bundles are checked against:
// the package's sigstore/trusted_root.json when it has one (packaged),
// else the one fetch returns.
func trustedRoot(pkg string, fetch func() ([]byte, error)) (data []byte, packaged bool, err error) {
	data, err = bounded.ReadFile(filepath.Join(pkg, filepath.FromSlash(layout.TrustedRoot)), sigstore.MaxTrustedRoot)
	switch {
	case err == nil:
		return data, true, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	data, err = fetch()
	if err != nil {
		return nil, false, fmt.Errorf("the package carries no %s, and Sigstore's: %w", layout.TrustedRoot, err)
	}
	return data, false, nil
}

func newVerifier(root []byte, p verifier.Policy) (*verifier.Verifier, error) {
	r, err := sigstore.ParseTrustedRoot(root)
	if err != nil {
		return nil, err
	}
	return verifier.New(r, p)
}

// explain adds to err, the failure of a bundle against the package's
// trusted root, whether the bundle verifies against the trusted root
// Sigstore serves now: if it does, Sigstore changed its trusted root (a
// new log or CA key) after the release fetched it, and a new release,
// which carries the new one, is the remedy.
func explain(err error, packaged []byte, fetch func() ([]byte, error), p verifier.Policy, check func(*verifier.Verifier) error) error {
	current, ferr := fetch()
	switch {
	case ferr != nil:
		return fmt.Errorf("%w (Sigstore's current trusted root, to compare: %v)", err, ferr)
	case bytes.Equal(current, packaged):
		return fmt.Errorf("%w (the package's trusted root is the one Sigstore serves now)", err)
	}
	v, verr := newVerifier(current, p)
	if verr == nil {
		verr = check(v)
	}
	if verr != nil {
		return fmt.Errorf("%w (it fails against the trusted root Sigstore serves now too: %v)", err, verr)
	}
	return fmt.Errorf("%w; it verifies against the trusted root Sigstore serves now, which differs from the one the release put in the package: Sigstore changed its trusted root after the release; release again, so that the package carries the new one", err)
}
