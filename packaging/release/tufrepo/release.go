package tufrepo

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/signingops"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing"
	"github.com/cavra/cavra/signing/trust"
)

// Source finds the trust repository of a release, and loads its online
// key, once per release: the signing-operations step and the TUF step share
// it.
type Source struct {
	// Getenv reads CAVRA_TRUST_REPO, CAVRA_ONLINE_KEY,
	// CAVRA_ONLINE_PRIVATE_KEY and CAVRA_ONLINE_PASSWORD; nil means
	// os.Getenv.
	Getenv func(string) string
	// Dir, when set, is the repository to use, made as a snapshot
	// repository (1 of 1, unencrypted keys) when it holds none: for tools
	// that play a release key holder.
	Dir string
	// SnapshotDir holds the machine-local snapshot repository; "" means
	// <os.UserConfigDir()>/cavra/snapshot-signing/trust.
	SnapshotDir string

	once  sync.Once
	trust *Trust
	err   error
}

// Trust is the TUF material of one release.
type Trust struct {
	Repo          *Repo
	Online        *signing.Key
	OnlineCustody signingops.Custody
	// Snapshot says the repository is a machine-local snapshot one.
	Snapshot bool
	// Note says which repository is used and why, for the log.
	Note string

	targets        release.Signer
	targetsCustody signingops.Custody
	targetsID      string
}

func (s *Source) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// Resolve returns the trust material of the release in st, signed with
// targets (the release key), as the package documentation describes: the
// configured repository when targets is its targets key, else, for a
// snapshot, the machine-local one.
func (s *Source) Resolve(ctx context.Context, c *release.Config, targets release.Signer) (*Trust, error) {
	s.once.Do(func() { s.trust, s.err = s.resolve(ctx, c, targets) })
	return s.trust, s.err
}

func (s *Source) resolve(ctx context.Context, c *release.Config, targets release.Signer) (*Trust, error) {
	k, err := trust.ParsePublicKey(targets.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	tid, err := KeyID(k.Public())
	if err != nil {
		return nil, fmt.Errorf("the release key cannot be a TUF targets key: %w", err)
	}
	t := &Trust{targets: targets, targetsCustody: custodyOf(targets.Kind(), targets.Identity()), targetsID: tid}
	now := time.Now()
	if s.Dir != "" {
		return s.snapshotRepo(ctx, t, s.Dir, k.Public(), now, "the trust repository "+s.Dir)
	}
	dir := s.getenv("CAVRA_TRUST_REPO")
	if dir == "" {
		dir = filepath.Join(c.Root, ".cavra", "trust")
	} else if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	repo, err := Load(dir)
	switch {
	case err == nil && slices.Contains(repo.root.Roles[tuf.RoleTargets].KeyIDs, tid):
		t.Repo = repo
		if !c.Snapshot && repo.root.Roles[tuf.RoleRoot].Threshold < 2 {
			return nil, fmt.Errorf("trust repository %s: a root threshold of %d; a release needs 2 or more offline root keys (1 of 1 is for snapshots)", dir, repo.root.Roles[tuf.RoleRoot].Threshold)
		}
		if err := s.loadOnline(ctx, t, false); err != nil {
			return nil, err
		}
		t.Note = fmt.Sprintf("trust repository %s, root version %d", dir, repo.root.Version)
		return t, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case !c.Snapshot && err != nil:
		return nil, fmt.Errorf("a release needs a TUF trust repository, and %s holds none: make one with `go run mage.go trust:init` (or set CAVRA_TRUST_REPO)", dir)
	case !c.Snapshot:
		return nil, fmt.Errorf("the release key %s is not the targets key of root version %d in %s: rotate to it with `go run mage.go trust:rotate targets` (CAVRA_NEW_KEY names it)", k.Fingerprint(), repo.root.Version, dir)
	}
	why := "no trust repository at " + dir
	if err == nil {
		why = "its key is not the targets key of " + dir
	}
	sd := s.SnapshotDir
	if sd == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("no folder for the snapshot trust repository: %w", err)
		}
		sd = filepath.Join(cfg, "cavra", "snapshot-signing", "trust")
	}
	return s.snapshotRepo(ctx, t, sd, k.Public(), now, "the machine-local snapshot trust repository "+sd+" ("+why+")")
}

// snapshotRepo uses (making, rotating or renewing as needed) the snapshot
// repository in dir for targets key pub.
func (s *Source) snapshotRepo(ctx context.Context, t *Trust, dir string, pub crypto.PublicKey, now time.Time, note string) (*Trust, error) {
	t.Snapshot = true
	repo, err := Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		repo, err = initSnapshot(dir, NewKey{Public: pub, Custody: t.targetsCustody}, now)
	}
	if err != nil {
		return nil, err
	}
	var change *Change
	switch m, _ := tuf.Parse(repo.Roots[len(repo.Roots)-1], tuf.RoleRoot); {
	case !slices.Contains(repo.root.Roles[tuf.RoleTargets].KeyIDs, t.targetsID):
		change = &Change{Role: tuf.RoleTargets, New: &NewKey{Public: pub, Custody: t.targetsCustody}}
		note += ", rotated to this release key"
	case m.Expires.Sub(now) < 30*24*time.Hour:
		change = &Change{Renew: true}
		note += ", renewed"
	}
	if change != nil {
		keys, err := loadKeys(repo.RootKeyFiles(), nil)
		if err != nil {
			return nil, err
		}
		change.RootKeys, change.Now = keys, now
		if _, err := repo.Apply(*change); err != nil {
			return nil, err
		}
	}
	t.Repo = repo
	if err := s.loadOnline(ctx, t, true); err != nil {
		return nil, err
	}
	t.Note = fmt.Sprintf("%s, root version %d", note, repo.root.Version)
	return t, nil
}

// initSnapshot makes a snapshot repository in dir, in a folder beside it
// renamed into place, so that two releases at once make one.
func initSnapshot(dir string, targets NewKey, now time.Time) (*Repo, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := Init(InitOptions{Dir: tmp, Targets: targets, RootKeys: 1, Threshold: 1, Now: now}); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, lerr := Load(dir); lerr != nil {
			return nil, err
		}
	}
	return Load(dir)
}

// loadKeys loads key files encrypted with password.
func loadKeys(files []string, password []byte) ([]*signing.Key, error) {
	var keys []*signing.Key
	for _, f := range files {
		k, err := loadFile(f, password)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// loadOnline loads the snapshot and timestamp key: CAVRA_ONLINE_KEY (a file
// or KMS reference) or CAVRA_ONLINE_PRIVATE_KEY (the encrypted key itself),
// with CAVRA_ONLINE_PASSWORD; else the file the record names.
func (s *Source) loadOnline(ctx context.Context, t *Trust, snapshot bool) error {
	env := map[string]string{"COSIGN_PASSWORD": s.getenv("CAVRA_ONLINE_PASSWORD")}
	switch ref := s.getenv("CAVRA_ONLINE_KEY"); {
	case snapshot:
		env["COSIGN_PASSWORD"] = ""
		fallthrough
	case ref == "" && s.getenv("CAVRA_ONLINE_PRIVATE_KEY") == "":
		held := heldBy(t.Repo.Ops, tuf.RoleTimestamp)
		if held.Kind != signingops.CustodyFile {
			return fmt.Errorf("the online (snapshot and timestamp) key is held in a %s (%s): set CAVRA_ONLINE_KEY or CAVRA_ONLINE_PRIVATE_KEY", held.Kind, held.Ref)
		}
		env["COSIGN_KEY"] = filepath.Join(t.Repo.Dir, filepath.FromSlash(held.Ref))
		t.OnlineCustody = held
	case ref != "":
		env["COSIGN_KEY"] = ref
		t.OnlineCustody = signingops.Custody{Kind: signingops.CustodyFile, Ref: filepath.Base(ref)}
		if scheme, _, ok := strings.Cut(ref, "://"); ok {
			t.OnlineCustody = signingops.Custody{Kind: signingops.CustodyKMS, Ref: scheme}
		}
	default:
		env["COSIGN_PRIVATE_KEY"] = s.getenv("CAVRA_ONLINE_PRIVATE_KEY")
		t.OnlineCustody = signingops.Custody{Kind: signingops.CustodyCISecret, Ref: "CAVRA_ONLINE_PRIVATE_KEY"}
	}
	k, err := signing.Load(ctx, signing.Options{Getenv: func(name string) string { return env[name] }})
	if err != nil {
		return fmt.Errorf("the online (snapshot and timestamp) key: %w", err)
	}
	id, err := KeyID(k.Public())
	if err != nil {
		return fmt.Errorf("the online key: %w", err)
	}
	root := t.Repo.root
	for _, role := range []string{tuf.RoleSnapshot, tuf.RoleTimestamp} {
		if !slices.Contains(root.Roles[role].KeyIDs, id) {
			return fmt.Errorf("the online key %s is not a %s key of root version %d in %s", tuf.Short(id), role, root.Version, t.Repo.Dir)
		}
	}
	t.Online = k
	return nil
}

func heldBy(ops *signingops.Document, role string) signingops.Custody {
	if r := ops.Role(role); r != nil && len(r.Keys) > 0 {
		return r.Keys[0].HeldBy
	}
	return signingops.Custody{}
}

// Custody says where a loaded key is held.
func Custody(k *signing.Key) signingops.Custody { return custodyOf(k.Kind(), k.Identity()) }

// custodyOf says where a release key is held, from how it was loaded
// (signing.Key's Kind and Identity).
func custodyOf(kind, identity string) signingops.Custody {
	switch {
	case kind == signing.KindKMS:
		scheme, _, _ := strings.Cut(strings.TrimPrefix(identity, "kms:"), "://")
		return signingops.Custody{Kind: signingops.CustodyKMS, Ref: scheme}
	case strings.HasPrefix(identity, "cosign-key:env:"):
		return signingops.Custody{Kind: signingops.CustodyCISecret, Ref: strings.TrimPrefix(identity, "cosign-key:env:")}
	case kind == signing.KindSnapshot:
		return signingops.Custody{Kind: signingops.CustodyFile, Ref: "snapshot-signing/cosign.key"}
	}
	return signingops.Custody{Kind: signingops.CustodyFile, Ref: strings.TrimPrefix(identity, "cosign-key:")}
}

// Record returns the record a package of c carries: the repository's,
// with the release's identity and where its targets and online keys were
// held for it.
func (t *Trust) Record(c *release.Config) (*signingops.Document, error) {
	data, err := json.Marshal(t.Repo.Ops)
	if err != nil {
		return nil, err
	}
	var doc signingops.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	doc.Package = &signingops.Package{Name: layout.Name, Version: c.Version, Commit: c.Commit, Snapshot: c.Snapshot}
	onlineID, _ := KeyID(t.Online.Public())
	for i := range doc.Roles {
		for j, k := range doc.Roles[i].Keys {
			switch k.KeyID {
			case t.targetsID:
				doc.Roles[i].Keys[j].HeldBy = t.targetsCustody
			case onlineID:
				doc.Roles[i].Keys[j].HeldBy = t.OnlineCustody
			}
		}
	}
	return &doc, doc.Check()
}

// OperationsStep writes cavra-runtime.signing-operations.json.
type OperationsStep struct {
	Trust  *Source
	Signer release.Signer // the release key, the targets key
}

// Name implements [release.Step].
func (OperationsStep) Name() string { return "signing-operations" }

// Run implements [release.Step].
func (o OperationsStep) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	t, err := o.Trust.Resolve(ctx, s.Config, o.Signer)
	if err != nil {
		return nil, err
	}
	s.Log.Printf("%-42s %s", "trust", t.Note)
	doc, err := t.Record(s.Config)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, layout.SigningOps, artifact.SigningOps, 0o644, append(data, '\n'))
	if err != nil {
		return nil, err
	}
	a.Format = "signing-operations-v1"
	return artifact.List{a}, nil
}

// Step writes the package's TUF metadata under trust/: the repository's
// root chain, targets.json over every file the package holds at this point
// (so it must run after the last file but the zip), signed with the release
// key, and snapshot.json and timestamp.json, signed with the online key.
// It checks what it wrote with the verifier's own client before it hands
// it on.
type Step struct {
	Trust  *Source
	Signer release.Signer
}

// Name implements [release.Step].
func (Step) Name() string { return "tuf" }

// Run implements [release.Step].
func (st Step) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	t, err := st.Trust.Resolve(ctx, s.Config, st.Signer)
	if err != nil {
		return nil, err
	}
	c := s.Config
	start := time.Now()
	version := max(c.Epoch.Unix(), 1)
	expires := func(role string) time.Time {
		days := DefaultPolicy[role].ExpiryDays
		if r := t.Repo.Ops.Role(role); r != nil {
			days = r.ExpiryDays
		}
		return c.Epoch.UTC().AddDate(0, 0, days)
	}
	var files artifact.List
	for _, a := range s.Artifacts {
		if a.Kind != artifact.Archive && a.Kind != artifact.TUF {
			files = append(files, a)
		}
	}
	sums, err := sha512s(s.Dir, files)
	if err != nil {
		return nil, err
	}
	custom, err := json.Marshal(tuf.Custom{Version: c.Version, Commit: c.Commit})
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(custom)
	targets := metadata.Targets(expires(tuf.RoleTargets))
	targets.Signed.Version = version
	for i, a := range files {
		h256, err := hex.DecodeString(a.SHA256)
		if err != nil {
			return nil, err
		}
		targets.Signed.Targets[a.Path] = &metadata.TargetFiles{Length: a.Size, Hashes: metadata.Hashes{tuf.SHA256: h256, tuf.SHA512: sums[i]}, Custom: &raw}
	}
	tb, err := sign(targets, tufSigner{ctx: ctx, s: st.Signer})
	if err != nil {
		return nil, fmt.Errorf("targets.json: %w", err)
	}
	snap := metadata.Snapshot(expires(tuf.RoleSnapshot))
	snap.Signed.Version = version
	snap.Signed.Meta[tuf.MetaName(tuf.RoleTargets)] = metaFile(version, tb)
	sb, err := sign(snap, t.Online.SignerVerifier())
	if err != nil {
		return nil, fmt.Errorf("snapshot.json: %w", err)
	}
	ts := metadata.Timestamp(expires(tuf.RoleTimestamp))
	ts.Signed.Version = version
	ts.Signed.Meta[tuf.MetaName(tuf.RoleSnapshot)] = metaFile(version, sb)
	tsb, err := sign(ts, t.Online.SignerVerifier())
	if err != nil {
		return nil, fmt.Errorf("timestamp.json: %w", err)
	}

	out := map[string][]byte{tuf.TargetsPath: tb, tuf.SnapshotPath: sb, tuf.TimestampPath: tsb}
	for i, r := range t.Repo.Roots {
		out[tuf.Path(tuf.RoleRoot, int64(i+1))] = r
	}
	if err := selfCheck(t, c, files, sums, out); err != nil {
		return nil, err
	}
	var list artifact.List
	for _, p := range slices.Sorted(maps.Keys(out)) {
		a, err := artifact.WriteFile(s.Dir, p, artifact.TUF, 0o644, out[p])
		if err != nil {
			return nil, err
		}
		a.Format = "tuf-metadata"
		list = append(list, a)
	}
	if exp := expires(tuf.RoleTimestamp); time.Now().After(exp) {
		s.Log.Printf("WARNING: the timestamp of this release expired on %s (SOURCE_DATE_EPOCH %s plus %d days): a verifier with --trust-dir refuses it unless given --at",
			exp.Format(tuf.TimeFormat), c.Epoch.Format(tuf.TimeFormat), int(exp.Sub(c.Epoch).Hours()/24))
	}
	s.Log.Done(fmt.Sprintf("tuf: %d targets, version %d, root version %d", len(files), version, t.Repo.root.Version), time.Since(start))
	return list, nil
}

func metaFile(version int64, data []byte) *metadata.MetaFiles {
	a, b := sha256.Sum256(data), sha512.Sum512(data)
	return &metadata.MetaFiles{Version: version, Length: int64(len(data)), Hashes: metadata.Hashes{tuf.SHA256: a[:], tuf.SHA512: b[:]}}
}

// sign signs go-tuf metadata m with s and returns its file.
func sign[T metadata.Roles](m *metadata.Metadata[T], s signature.Signer) ([]byte, error) {
	if _, err := m.Sign(s); err != nil {
		return nil, err
	}
	return encode(m)
}

// tufSigner signs TUF metadata with the release key as it signs files: the
// signature cosign sign-blob makes, which is TUF's for ed25519 and ECDSA
// P-256 (over the SHA-256 of the canonical JSON, ASN.1).
type tufSigner struct {
	ctx context.Context
	s   release.Signer
}

func (t tufSigner) SignMessage(r io.Reader, _ ...signature.SignOption) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return t.s.Sign(t.ctx, data)
}

func (t tufSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	k, err := trust.ParsePublicKey(t.s.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	return k.Public(), nil
}

// sha512s reads every file, checks it against the SHA-256 its step
// recorded, and returns its SHA-512.
func sha512s(dir string, files artifact.List) ([][]byte, error) {
	out := make([][]byte, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, a := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(a.Path)))
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			h256, h512 := sha256.New(), sha512.New()
			if _, err := io.Copy(io.MultiWriter(h256, h512), f); err != nil {
				errs[i] = err
				return
			}
			if hex.EncodeToString(h256.Sum(nil)) != a.SHA256 {
				errs[i] = fmt.Errorf("%s changed on disk after its step recorded it", a.Path)
				return
			}
			out[i] = h512.Sum(nil)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// selfCheck runs the verifier's client on what the step wrote, from root
// version 1, at SOURCE_DATE_EPOCH: a release never ships metadata its own
// verifier refuses.
func selfCheck(t *Trust, c *release.Config, files artifact.List, sums [][]byte, meta map[string][]byte) error {
	st, err := tufclient.NewState(t.Repo.Roots[0])
	if err != nil {
		return fmt.Errorf("tuf: root version 1: %w", err)
	}
	p := tufclient.Package{Metadata: meta, Files: map[string]tufclient.File{}, Version: c.Version, Commit: c.Commit}
	for i, a := range files {
		p.Files[a.Path] = tufclient.File{Length: a.Size, SHA256: a.SHA256, SHA512: hex.EncodeToString(sums[i])}
	}
	res := (&tufclient.Client{State: st, At: c.Epoch}).Update(p)
	if !res.OK() {
		var errs []string
		for _, s := range res.Steps {
			if !s.OK {
				errs = append(errs, s.File+": "+s.Detail)
			}
		}
		return fmt.Errorf("tuf: the verifier refuses the metadata written: %s", strings.Join(errs, "; "))
	}
	return nil
}
