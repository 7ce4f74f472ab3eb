package release

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/sbom/inspect"
)

// Config describes one release. It is computed once, before any step runs,
// and steps only read it.
type Config struct {
	Root        string         // repository root (holds .git)
	ModuleDir   string         // module root relative to Root, slash-separated; "."
	Out         string         // output folder, e.g. dist
	Version     string         // e.g. v1.2.3 or v0.0.0-snapshot.0123456789ab
	Snapshot    bool           // not a tagged release: labelled as such everywhere
	Dirty       bool           // tracked files differ from Commit; implies Snapshot
	Commit      string         // full commit hash
	Ref         string         // e.g. refs/tags/v1.2.3 or refs/heads/main
	Repository  string         // e.g. https://github.com/cavra/cavra, no credentials
	WorkflowRef string         // GITHUB_WORKFLOW_REF, or ""
	Builder     string         // builder id for provenance
	Epoch       time.Time      // SOURCE_DATE_EPOCH, UTC
	GoVersion   string         // the release toolchain's version, e.g. go1.27.3
	Targets     []build.Target // the targets to build, a subset of build.Matrix
	Supplier    Supplier       // supplies the release and authors its SBOMs
	// Go is the release toolchain every binary is built with (see
	// build.Toolchain). Where it lives is this machine's business, not
	// the release's: it is left out of the step cache's key.
	Go *build.Go `json:"-"`
}

// Supplier is the organisation that supplies and creates the release and
// authors its SBOMs, as both SBOMs name it. [Detect] takes
// [DefaultSupplier] and lets the maintainer override each field with
// CAVRA_SUPPLIER_NAME, CAVRA_SUPPLIER_URL and CAVRA_SUPPLIER_EMAIL.
type Supplier struct {
	Name  string // e.g. "CAVRA"
	URL   string // https URL
	Email string // contact address, or ""
}

// DefaultSupplier is who supplies a CAVRA release unless the maintainer
// says otherwise.
var DefaultSupplier = Supplier{Name: "CAVRA", URL: "https://github.com/cavra/cavra", Email: "maintainers@cavra.dev"}

// supplier returns DefaultSupplier with the fields the environment sets.
func supplier(getenv func(string) string) (Supplier, error) {
	s := DefaultSupplier
	for _, f := range []struct {
		env string
		v   *string
	}{
		{"CAVRA_SUPPLIER_NAME", &s.Name},
		{"CAVRA_SUPPLIER_URL", &s.URL},
		{"CAVRA_SUPPLIER_EMAIL", &s.Email},
	} {
		if v := getenv(f.env); v != "" {
			*f.v = v
		}
	}
	if err := inspect.CheckParty(s.Name, s.URL, s.Email); err != nil {
		return Supplier{}, fmt.Errorf("release: supplier (CAVRA_SUPPLIER_NAME, _URL, _EMAIL): %w", err)
	}
	return s, nil
}

// Name returns the package folder name, go-runtime-<version>.
func (c *Config) Name() string { return "go-runtime-" + c.Version }

// ZipName returns the zip file name, cavra-go-runtime-<version>.zip.
func (c *Config) ZipName() string { return "cavra-go-runtime-" + c.Version + ".zip" }

// Options are what a caller may set when detecting a [Config]; empty fields
// are detected.
type Options struct {
	Root    string         // repository root; "" means the current folder's repository
	Out     string         // "" means <Root>/dist
	Version string         // "" means $VERSION, then git describe
	Targets []build.Target // nil means build.Matrix
	Getenv  func(string) string
	// Go is the release toolchain; nil means build.Toolchain as
	// build.FindGo finds it, fetched through the module proxy if need be.
	Go *build.Go
	// Refuse, when not nil, is asked once the version is known and before
	// Detect waits for the release toolchain: a release it refuses (a
	// release without a signing key) is refused at once, not after the
	// toolchain's download.
	Refuse func(*Config) error
}

var versionRE = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Detect computes the release configuration from the repository, the
// environment (VERSION, SOURCE_DATE_EPOCH, CAVRA_RELEASE, CAVRA_SUPPLIER_*,
// GITHUB_*), and the release toolchain (build.Toolchain, found with
// build.FindGo: go on PATH when it is that version, else go1.x.y on PATH,
// else the module cache, which GOTOOLCHAIN fills through the module proxy).
//
// The version is $VERSION when set, else the tag v* at HEAD when the tree is
// clean, else <latest tag or v0.0.0>-snapshot.<12 hex of the commit>, with
// ".dirty" added when tracked files have uncommitted changes. A release is a
// snapshot unless HEAD carries its version tag with a clean tree, or
// CAVRA_RELEASE=1 asks for a release; a release refuses a dirty tree.
func Detect(ctx context.Context, o Options) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &Config{Targets: o.Targets, Out: o.Out}
	if c.Targets == nil {
		c.Targets = build.Matrix
	}
	for _, t := range c.Targets {
		if !t.Known() {
			return nil, fmt.Errorf("release: target %s is not in the release matrix", t)
		}
	}
	if err := c.repository(ctx, o.Root); err != nil {
		return nil, err
	}
	// The questions below go to git and to the go command at once; every
	// one has finished when Detect returns, whatever it returns. A refusal
	// cancels those still running first (the release toolchain may be
	// downloading), so that it comes at once.
	ctx, cancel := context.WithCancel(ctx)
	ask := prefetch(ctx, c.Root, gitQuestions)
	var toolchain *build.Go
	var goErr error
	var asked sync.WaitGroup
	defer func() {
		cancel()
		asked.Wait()
		ask.wait()
	}()
	asked.Go(func() {
		if toolchain = o.Go; toolchain == nil {
			if toolchain, goErr = build.FindGo(ctx, build.Find{Version: build.Toolchain, Download: true}); goErr != nil {
				goErr = fmt.Errorf("release: the release toolchain: %w", goErr)
			}
		}
	})

	if c.Out == "" {
		c.Out = filepath.Join(c.Root, "dist")
	}
	if err := c.commit(ask); err != nil {
		return nil, err
	}
	if err := c.epoch(ask, getenv); err != nil {
		return nil, err
	}
	tag, _ := ask.answer("describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD")
	if err := c.version(ask, tag, o.Version, getenv); err != nil {
		return nil, err
	}
	c.source(ask, tag, getenv)
	var err error
	if c.Supplier, err = supplier(getenv); err != nil {
		return nil, err
	}
	if o.Refuse != nil {
		if err := o.Refuse(c); err != nil {
			return nil, err
		}
	}
	asked.Wait()
	if goErr != nil {
		return nil, goErr
	}
	c.Go, c.GoVersion = toolchain, toolchain.Version
	return c, nil
}

// gitQuestions are what [Detect] asks git, all at once.
var gitQuestions = [][]string{
	{"rev-parse", "--verify", "HEAD^{commit}"},
	{"status", "--porcelain", "--untracked-files=no"},
	{"log", "-1", "--format=%ct", "HEAD"},
	{"describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD"},
	{"describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD"},
	{"symbolic-ref", "-q", "HEAD"},
	{"remote", "get-url", "origin"},
}

// repository finds the repository of the folder root ("" means the
// current one), which must hold the module at its top.
func (c *Config) repository(ctx context.Context, root string) error {
	if root == "" {
		root = "."
	}
	top, err := git(ctx, root, "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("release: %s is not in a git repository: %w", root, err)
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	c.Root = top
	if rel, err := filepath.Rel(top, absRoot); err == nil {
		c.ModuleDir = filepath.ToSlash(rel)
	}
	if c.ModuleDir != "." {
		return fmt.Errorf("release: %s: the module must be at the repository root (found %s)", root, c.ModuleDir)
	}
	return nil
}

// commit records the commit at HEAD and whether tracked files differ
// from it.
func (c *Config) commit(ask *answers) error {
	var err error
	if c.Commit, err = ask.answer("rev-parse", "--verify", "HEAD^{commit}"); err != nil {
		return fmt.Errorf("release: no commit: %w", err)
	}
	status, err := ask.answer("status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return err
	}
	c.Dirty = status != ""
	return nil
}

// epoch records the time of the release: SOURCE_DATE_EPOCH, else the
// commit time.
func (c *Config) epoch(ask *answers, getenv func(string) string) error {
	s := getenv("SOURCE_DATE_EPOCH")
	if s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("release: SOURCE_DATE_EPOCH=%q is not a decimal number of seconds", s)
		}
		c.Epoch = time.Unix(n, 0).UTC()
		return nil
	}
	ct, err := ask.answer("log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return fmt.Errorf("release: commit time %q: %w", ct, err)
	}
	c.Epoch = time.Unix(n, 0).UTC()
	return nil
}

// version records the version and whether this is a snapshot: the
// version asked for, $VERSION, the tag at HEAD of a clean tree, or a
// snapshot version made up from the last tag and the commit.
func (c *Config) version(ask *answers, tag, asked string, getenv func(string) string) error {
	c.Version = asked
	if c.Version == "" {
		c.Version = getenv("VERSION")
	}
	derived := false // the version is a snapshot version made up here
	switch {
	case c.Version != "":
	case tag != "" && !c.Dirty:
		c.Version = tag
	default:
		derived = true
		base, _ := ask.answer("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")
		if base == "" {
			base = "v0.0.0"
		}
		base, _, _ = strings.Cut(base, "-") // drop a pre-release of the base tag
		c.Version = base + "-snapshot." + c.Commit[:12]
		if c.Dirty {
			c.Version += ".dirty"
		}
	}
	if !versionRE.MatchString(c.Version) {
		return fmt.Errorf("release: version %q is not a semantic version (vMAJOR.MINOR.PATCH[-pre][+build])", c.Version)
	}
	release := getenv("CAVRA_RELEASE") == "1" || (tag != "" && tag == c.Version)
	c.Snapshot = !release || c.Dirty
	if release && c.Dirty {
		return fmt.Errorf("release: %s has uncommitted changes to tracked files; a release is built from a clean commit (unset CAVRA_RELEASE for a snapshot)", c.Root)
	}
	if release && derived {
		return fmt.Errorf("release: no version for a release: tag the commit v<MAJOR>.<MINOR>.<PATCH> or set VERSION (unset CAVRA_RELEASE for a snapshot)")
	}
	return nil
}

// source records where the release comes from for the provenance: the
// ref, the repository (without credentials), the workflow and the builder.
func (c *Config) source(ask *answers, tag string, getenv func(string) string) {
	c.Ref = getenv("GITHUB_REF")
	if c.Ref == "" {
		switch {
		case tag != "":
			c.Ref = "refs/tags/" + tag
		default:
			c.Ref, _ = ask.answer("symbolic-ref", "-q", "HEAD")
		}
	}
	if server, repo := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"); server != "" && repo != "" {
		c.Repository = strings.TrimSuffix(server, "/") + "/" + repo
	} else if origin, err := ask.answer("remote", "get-url", "origin"); err == nil {
		c.Repository = redact(origin)
	}
	c.WorkflowRef = getenv("GITHUB_WORKFLOW_REF")
	c.Builder = builderID(getenv)
}

// builderID names who ran the build: the GitHub Actions workflow when run
// there, else a local builder.
func builderID(getenv func(string) string) string {
	if server, repo, ref := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_WORKFLOW_REF"); server != "" && repo != "" && ref != "" {
		return strings.TrimSuffix(server, "/") + "/" + ref
	}
	return "https://cavra.dev/builders/local-mage@v1"
}

// redact removes credentials from a remote URL: the user information, the
// query and the fragment, even when the URL does not parse. An scp-like
// "git@host:path" carries no secret but the user name and is kept.
func redact(remote string) string {
	scheme, rest, ok := strings.Cut(remote, "://")
	if !ok {
		return remote
	}
	if u, err := url.Parse(remote); err == nil && u.Host != "" {
		u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
		return u.String()
	}
	// The user information ends at the last "@" before the path, whatever
	// a stray "#" or "?" inside a password suggests.
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		authority = authority[i+1:]
	}
	authority, _, _ = strings.Cut(authority, "#")
	authority, _, _ = strings.Cut(authority, "?")
	path, _, _ = strings.Cut(path, "#")
	path, _, _ = strings.Cut(path, "?")
	if path != "" {
		return scheme + "://" + authority + "/" + path
	}
	return scheme + "://" + authority
}

// answers are git's answers to questions asked at once.
type answers struct {
	ctx     context.Context
	dir     string
	started map[string]*answer
	all     sync.WaitGroup
}

type answer struct {
	out  string
	err  error
	done chan struct{}
}

// prefetch starts every git command of queries in dir at once.
func prefetch(ctx context.Context, dir string, queries [][]string) *answers {
	a := &answers{ctx: ctx, dir: dir, started: map[string]*answer{}}
	for _, q := range queries {
		x := &answer{done: make(chan struct{})}
		a.started[strings.Join(q, "\x00")] = x
		a.all.Go(func() {
			defer close(x.done)
			x.out, x.err = git(ctx, dir, q...)
		})
	}
	return a
}

// answer answers a command, from those started or by running it.
func (a *answers) answer(args ...string) (string, error) {
	if x, ok := a.started[strings.Join(args, "\x00")]; ok {
		<-x.done
		return x.out, x.err
	}
	return git(a.ctx, a.dir, args...)
}

// wait waits for every command started.
func (a *answers) wait() { a.all.Wait() }

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(string(out)), nil
}
