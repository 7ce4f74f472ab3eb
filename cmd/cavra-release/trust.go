package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/release/tufrepo"
	"github.com/cavra/cavra/signing"
	"github.com/cavra/cavra/signing/trust"
)

// runTrust runs the trust repository commands the trust mage targets call:
// init, rotate ROLE, revoke KEYID, status (see package tufrepo).
func runTrust(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	dir := os.Getenv("CAVRA_TRUST_REPO")
	if dir == "" {
		dir = filepath.Join(".cavra", "trust")
	}
	now := time.Now()
	switch cmd, args := args[0], args[1:]; {
	case cmd == "init" && len(args) == 0:
		return trustInit(ctx, dir, now, stdout)
	case cmd == "status" && len(args) == 0:
		repo, err := tufrepo.Load(dir)
		if err != nil {
			return err
		}
		repo.Status(stdout, now)
		return nil
	case cmd == "rotate" && len(args) == 1:
		return trustChange(ctx, dir, tufrepo.Change{Role: args[0], Now: now}, stdout)
	case cmd == "revoke" && len(args) == 1:
		reason := strings.TrimSpace(os.Getenv("CAVRA_REVOKE_REASON"))
		if reason == "" {
			return errors.New("trust revoke: say why in CAVRA_REVOKE_REASON (it is recorded in the signing operations of every later package)")
		}
		return trustChange(ctx, dir, tufrepo.Change{Revoke: args[0], Reason: reason, Now: now}, stdout)
	}
	fmt.Fprintf(stderr, "cavra-release trust: want init, rotate ROLE, revoke KEYID or status, got %q\n", args)
	return errUsage
}

func trustInit(ctx context.Context, dir string, now time.Time, stdout io.Writer) error {
	if !signing.Configured(os.Getenv) {
		return errors.New("trust init: the targets key is the release key: set COSIGN_KEY (e.g. .cavra/cosign.key from keys:generate) or COSIGN_PRIVATE_KEY, and COSIGN_PASSWORD")
	}
	key, err := signing.Load(ctx, signing.Options{})
	if err != nil {
		return err
	}
	n, m := 3, 2
	if q := os.Getenv("CAVRA_ROOT_QUORUM"); q != "" {
		a, b, ok := strings.Cut(q, "/")
		var e1, e2 error
		m, e1 = strconv.Atoi(a)
		n, e2 = strconv.Atoi(b)
		if !ok || e1 != nil || e2 != nil || m < 1 || m > n || n > 16 {
			return fmt.Errorf("CAVRA_ROOT_QUORUM=%q: want M/N, M root keys of N must sign, e.g. 2/3", q)
		}
	}
	repo, err := tufrepo.Init(tufrepo.InitOptions{
		Dir: dir, Targets: tufrepo.NewKey{Public: key.Public(), Custody: tufrepo.Custody(key)},
		RootKeys: n, Threshold: m, RootPassword: []byte(os.Getenv("CAVRA_ROOT_PASSWORD")), OnlinePassword: []byte(os.Getenv("CAVRA_ONLINE_PASSWORD")), Now: now,
	})
	if err != nil {
		return err
	}
	repo.Status(stdout, now)
	fmt.Fprintf(stdout, `
made %s/1.root.json: give it to every verifier through a channel that does not depend on the package
(they pin it once: cavra trust init --root 1.root.json --trust-dir DIR).
The root keys are in %s/root-v1-*.key: move each to its holder, offline. The online key
(%s/online-v1.key) signs snapshot.json and timestamp.json: give it to CI as CAVRA_ONLINE_PRIVATE_KEY.
`, dir, filepath.Join(dir, tufrepo.KeysDir), filepath.Join(dir, tufrepo.KeysDir))
	return nil
}

// trustChange rotates or revokes a key of the repository in dir.
func trustChange(ctx context.Context, dir string, c tufrepo.Change, stdout io.Writer) error {
	repo, err := tufrepo.Load(dir)
	if err != nil {
		return err
	}
	root := repo.Root()
	role := c.Role
	if c.Revoke != "" {
		if c.Revoke, err = resolveKeyID(root, c.Revoke); err != nil {
			return err
		}
		for _, name := range tuf.Roles {
			if slices.Contains(root.Roles[name].KeyIDs, c.Revoke) {
				role = name
				break
			}
		}
	}
	password := map[string]string{
		tuf.RoleRoot: "CAVRA_ROOT_PASSWORD", tuf.RoleTargets: "COSIGN_PASSWORD",
		tuf.RoleSnapshot: "CAVRA_ONLINE_PASSWORD", tuf.RoleTimestamp: "CAVRA_ONLINE_PASSWORD", "online": "CAVRA_ONLINE_PASSWORD",
	}[role]
	if password == "" {
		return fmt.Errorf("trust rotate: no role %q (root, targets, snapshot, timestamp)", role)
	}
	c.Password = []byte(os.Getenv(password))
	if ref := os.Getenv("CAVRA_NEW_KEY"); ref != "" {
		k, err := signing.Load(ctx, signing.Options{Getenv: func(name string) string {
			switch name {
			case "COSIGN_KEY":
				return ref
			case "COSIGN_PASSWORD":
				return os.Getenv(password)
			}
			return ""
		}})
		if err != nil {
			return fmt.Errorf("CAVRA_NEW_KEY: %w", err)
		}
		c.New = &tufrepo.NewKey{Public: k.Public(), Custody: tufrepo.Custody(k)}
	}
	files := filepath.SplitList(os.Getenv("CAVRA_ROOT_KEYS"))
	if len(files) == 0 {
		files = repo.RootKeyFiles()
	}
	for _, f := range files {
		k, err := signing.Load(ctx, signing.Options{Getenv: func(name string) string {
			switch name {
			case "COSIGN_KEY":
				return f
			case "COSIGN_PASSWORD":
				return os.Getenv("CAVRA_ROOT_PASSWORD")
			}
			return ""
		}})
		if err != nil {
			return fmt.Errorf("root key %s (CAVRA_ROOT_KEYS, CAVRA_ROOT_PASSWORD): %w", f, err)
		}
		c.RootKeys = append(c.RootKeys, k)
	}
	res, err := repo.Apply(c)
	if err != nil {
		return err
	}
	what := "rotated the " + role + " key"
	if c.Revoke != "" {
		what = fmt.Sprintf("revoked %s (%s)", tuf.Short(c.Revoke), c.Reason)
	}
	fmt.Fprintf(stdout, "%s: root version %d (%s/%d.root.json), signed by the old and the new root keys\n", what, res.Version, dir, res.Version)
	for _, f := range res.Made {
		fmt.Fprintf(stdout, "made %s\n", f)
	}
	switch {
	case role == tuf.RoleTargets && len(res.Made) > 0:
		fmt.Fprintf(stdout, "release with it: COSIGN_KEY=%s (COSIGN_PASSWORD as given); verifiers follow the root chain, nothing to hand over\n", res.Made[0])
	case role == tuf.RoleSnapshot || role == tuf.RoleTimestamp || role == "online":
		fmt.Fprintln(stdout, "give CI the new online key (CAVRA_ONLINE_PRIVATE_KEY); releases find the new file here by default")
	}
	repo.Status(stdout, c.Now)
	return nil
}

var hexPrefix = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// resolveKeyID returns the key id s names in root: a key id, a prefix of
// at least 8 hex digits of one, or a file holding the public key (a .pub, or
// a .key whose .pub is beside it).
func resolveKeyID(root *tuf.Root, s string) (string, error) {
	if hexPrefix.MatchString(s) {
		var found []string
		for id := range root.Keys {
			if strings.HasPrefix(id, s) {
				found = append(found, id)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return "", fmt.Errorf("no key %s in root version %d", s, root.Version)
		}
		return "", fmt.Errorf("%s names %d keys of root version %d; give more digits", s, len(found), root.Version)
	}
	pub := s
	if p, ok := strings.CutSuffix(s, ".key"); ok {
		pub = p + ".pub"
	}
	k, err := trust.ReadPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%s: not a key id, and not a public key file: %w", s, err)
	}
	id, err := tufrepo.KeyID(k.Public())
	if err != nil {
		return "", err
	}
	if root.Keys[id] == nil {
		return "", fmt.Errorf("%s (key %s) is in no role of root version %d", s, tuf.Short(id), root.Version)
	}
	return id, nil
}
