package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/htmlreport"
	"github.com/cavra/cavra/signing/trust"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// count is an int flag that knows whether it was given.
type count struct {
	n   int
	set bool
}

func (c *count) String() string { return strconv.Itoa(c.n) }
func (c *count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	c.n, c.set = n, true
	return nil
}

// rebuildFlags are the flags of the install policy: the rebuilders'
// attestations and keys, and how many must agree.
type rebuildFlags struct {
	attestations stringList
	keys         stringList
	min          count
}

func (f *rebuildFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.attestations, "rebuild-attestation", "a rebuilder's signed rebuild attestation (rebuild.intoto.jsonl); repeatable")
	fs.Var(&f.keys, "rebuilder-key", "a rebuilder's public key (PEM) you trust, obtained from the rebuilder; repeatable")
	fs.Var(&f.min, "min-rebuilds", "trusted rebuilders that must have reproduced every binary (default 1 with any -rebuild-attestation, else 0)")
}

// verifyFlags are the flags of a verification: the trusted material and
// the install policy.
type verifyFlags struct {
	trustFlags
	rebuildFlags
}

func (f *verifyFlags) register(fs *flag.FlagSet) {
	f.trustFlags.register(fs)
	f.rebuildFlags.register(fs)
}

func (f *verifyFlags) options() (verify.Options, error) {
	o, err := f.trustFlags.options()
	if err == nil {
		err = f.rebuildFlags.apply(&o)
	}
	return o, err
}

// apply reads the keys and attestations into o.
func (f *rebuildFlags) apply(o *verify.Options) error {
	for _, p := range f.keys {
		k, err := trust.ReadPublicKey(p)
		if err != nil {
			return fmt.Errorf("-rebuilder-key: %w", err)
		}
		o.RebuilderKeys = append(o.RebuilderKeys, k)
	}
	for _, p := range f.attestations {
		data, err := readBounded(p, trust.MaxEnvelope)
		if err != nil {
			return fmt.Errorf("-rebuild-attestation: %w", err)
		}
		o.RebuildAttestations = append(o.RebuildAttestations, verify.Attestation{Name: p, Data: data})
	}
	o.MinRebuilds = f.min.n
	if !f.min.set && len(f.attestations) > 0 {
		o.MinRebuilds = 1
	}
	if (o.MinRebuilds > 0 || len(f.attestations) > 0) && len(f.keys) == 0 {
		return errors.New("rebuild attestations are checked against the rebuilders' keys you trust: give -rebuilder-key")
	}
	return nil
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > max {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", path, max)
	}
	return os.ReadFile(path)
}

// checkURI checks that s is an absolute URI, as verifier.id must be.
func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" {
		return fmt.Errorf("%q is not an absolute URI (e.g. https://rebuilders.example.com/alice)", s)
	}
	return nil
}

// pubPath names the public half of a private key file: rebuilder.pub for
// rebuilder.key, else the file name with .pub added.
func pubPath(priv string) string {
	if p, ok := strings.CutSuffix(priv, ".key"); ok {
		return p + ".pub"
	}
	return priv + ".pub"
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ed := fs.Bool("ed25519", false, "make an Ed25519 key instead of ECDSA P-256")
	out := fs.String("out", "rebuilder.key", "the private key file (mode 0600); the public key goes beside it, .key replaced by .pub")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "cavra keygen: unexpected arguments %q\n", pos)
		return 2
	}
	alg := attestation.ECDSAP256
	if *ed {
		alg = attestation.Ed25519
	}
	s, err := attestation.GenerateKey(alg)
	if err == nil {
		err = s.WriteKeyPair(*out, pubPath(*out))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra keygen: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "wrote %s (private, mode 0600; keep it secret) and %s (public; give it to those who trust your rebuilds)\n%s key, fingerprint %s\n",
		*out, pubPath(*out), s.Algorithm(), s.Public().Fingerprint())
	return 0
}

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the HTML page to write, e.g. report.html")
	var vf verifyFlags
	vf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	opts, err := vf.options()
	if err == nil && *out == "" {
		err = errors.New("-out: name the HTML page to write")
	}
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want one package, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	rep, pkg, err := verify.Path(pos[0], opts)
	if err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	var page bytes.Buffer
	meta := htmlreport.Meta{Tool: "cavra " + version, Generated: time.Now(), Command: "cavra release report " + strings.Join(args, " ")}
	if err := htmlreport.Write(&page, rep, pkg, meta); err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	if err := os.WriteFile(*out, page.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s  %s %s: %d checks passed, %d failed, %d skipped; %d rebuild attestation(s); report %s\n",
		rep.Status, rep.Package, rep.Version, rep.Passed, rep.Failed, rep.Skipped, len(rep.Rebuilders), *out)
	if !rep.OK() {
		for _, e := range rep.Errors() {
			fmt.Fprintf(stderr, "verify: %s\n", e)
		}
		return 1
	}
	return 0
}
