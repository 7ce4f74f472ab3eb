package vulns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/internal/cmdcache"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/release"
)

// Level is how far govulncheck got into a vulnerability's code.
type Level int

// The levels of a finding, as govulncheck reports them.
const (
	None     Level = iota // no finding: the vulnerable packages are not built for the target
	Required              // the module is linked, no vulnerable package is imported
	Imported              // a vulnerable package is imported, no vulnerable symbol reached
	Called                // a vulnerable symbol is reachable from the runtime
)

func (l Level) describe() string {
	switch l {
	case Called:
		return "govulncheck found a call path to a vulnerable symbol."
	case Imported:
		return "govulncheck: a vulnerable package is linked, no vulnerable symbol is reachable."
	case Required:
		return "govulncheck: the module is linked, no vulnerable package is imported."
	}
	return "govulncheck: no vulnerable package is built for this target."
}

// Reach is what govulncheck found for one target: the level per entry id,
// and for reachable ones a call path.
type Reach struct {
	Levels map[string]Level
	Traces map[string]string // "main.main → ... → net/http.(*Server).Serve"
}

// Level returns the level of the entry id (None when r is empty).
func (r Reach) Level(id string) Level { return r.Levels[id] }

// Scanner finds what each target of the runtime reaches of the
// vulnerabilities of the database in the folder db: the reach by target
// ("os/arch"), and the tool that found it.
type Scanner interface {
	Scan(ctx context.Context, s *release.State, db string) (map[string]Reach, vex.Scanner, error)
}

// Govulncheck runs govulncheck, the version go.mod pins, built by the
// release toolchain (`go tool -n govulncheck`: compiled once, then from
// the build cache), on ./cmd/cavra-runtime of the source archive, one
// process per target, at most Parallel at once (default 2: each holds the
// typed syntax of the runtime and the standard library, about 0.5 GB).
type Govulncheck struct {
	Parallel int
	// Cache, when set, is a folder keeping govulncheck's output per
	// target by the hash of all it depends on: the scanner's version, the
	// release toolchain and the target's go env, the runtime's packages of
	// this module and go.mod and go.sum (as package cmdcache keys a
	// command), and every file of the database. A scan from the cache says
	// so in the log.
	Cache string
}

// Scan implements [Scanner].
func (g Govulncheck) Scan(ctx context.Context, s *release.State, db string) (map[string]Reach, vex.Scanner, error) {
	c := s.Config
	mod, err := Download(ctx, c, ScannerModule)
	if err != nil {
		return nil, vex.Scanner{}, err
	}
	tool := vex.Scanner{Name: "govulncheck", Module: ScannerModule, Version: mod.Version}
	start := time.Now()
	var stderr bytes.Buffer
	cmd := c.GoCommand(ctx, c.Root, "tool", "-n", "govulncheck")
	cmd.Env = append(cmd.Env, "GOFLAGS=-mod=readonly")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, tool, fmt.Errorf("vulns: go tool -n govulncheck: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	exe := strings.TrimSpace(string(out))
	s.Log.Done("vulns: govulncheck built by "+c.GoVersion, time.Since(start))

	root, cleanup, err := release.ExtractSource(s)
	if err != nil {
		return nil, tool, err
	}
	defer cleanup()
	dbURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(db)}).String()
	if !strings.HasPrefix(filepath.ToSlash(db), "/") {
		dbURL = "file:///" + filepath.ToSlash(db) // a Windows drive path
	}
	r := c.Runner()
	par := g.Parallel
	if par <= 0 {
		par = 2
	}
	dbSum := ""
	if g.Cache != "" {
		if dbSum, err = hashTree(db); err != nil {
			return nil, tool, fmt.Errorf("vulns: database %s: %w", db, err)
		}
	}
	sem := make(chan struct{}, par)
	reach := make(map[string]Reach, len(c.Targets))
	var mu sync.Mutex
	errs := make([]error, len(c.Targets))
	var wg sync.WaitGroup
	for i, t := range c.Targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			env := r.Env(build.Command{Env: build.Env(t)})
			var cached string
			if g.Cache != "" {
				key, err := cmdcache.Key(ctx, cmdcache.Spec{Root: root, Pkg: build.MainPackage, Env: env})
				if err == nil {
					sum := sha256.Sum256([]byte("govulncheck " + tool.Version + "\x00" + key + "\x00" + dbSum))
					k := hex.EncodeToString(sum[:])
					cached = filepath.Join(g.Cache, k[:2], k+".json")
				}
			}
			var stdout bytes.Buffer
			from := ""
			if data, err := os.ReadFile(cached); cached != "" && err == nil {
				stdout.Write(data)
				from = " (from the scan cache)"
			} else {
				cmd := exec.CommandContext(ctx, exe, "-mode", "source", "-scan", "symbol", "-format", "json", "-db", dbURL, build.MainPackage)
				cmd.Dir = root
				cmd.Env = env
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					errs[i] = fmt.Errorf("vulns: govulncheck %s: %w: %s", t, err, strings.TrimSpace(stderr.String()))
					return
				}
			}
			rt, goVersion, err := ParseFindings(bytes.NewReader(stdout.Bytes()))
			if err != nil {
				errs[i] = fmt.Errorf("vulns: govulncheck %s: %w", t, err)
				return
			}
			if goVersion != c.GoVersion {
				errs[i] = fmt.Errorf("vulns: govulncheck %s scanned the standard library of %s, the release toolchain is %s", t, goVersion, c.GoVersion)
				return
			}
			if cached != "" && from == "" {
				keep(cached, stdout.Bytes()) // a scan not kept is only made again
			}
			mu.Lock()
			reach[t.String()] = rt
			mu.Unlock()
			s.Log.Done(fmt.Sprintf("vulns: govulncheck %s: %d vulnerabilities found, %d reachable%s", t, len(rt.Levels), len(rt.Traces), from), time.Since(start))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, tool, err
		}
	}
	return reach, tool, nil
}

// ParseFindings reads govulncheck's JSON output (a stream of messages:
// config, progress, SBOM, osv, finding) and returns the deepest level of
// each entry's findings, a call path for each reachable one, and the Go
// version whose standard library it scanned.
func ParseFindings(r io.Reader) (Reach, string, error) {
	rt := Reach{Levels: map[string]Level{}, Traces: map[string]string{}}
	goVersion := ""
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Config *struct {
				GoVersion string `json:"go_version"`
				ScanLevel string `json:"scan_level"`
			} `json:"config"`
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module   string `json:"module"`
					Package  string `json:"package"`
					Function string `json:"function"`
					Receiver string `json:"receiver"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return rt, "", err
		}
		if msg.Config != nil {
			goVersion = msg.Config.GoVersion
			if msg.Config.ScanLevel != "symbol" {
				return rt, "", fmt.Errorf("scan level %q, want symbol", msg.Config.ScanLevel)
			}
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		level := Required
		switch {
		case f.Trace[0].Function != "":
			level = Called
		case f.Trace[0].Package != "":
			level = Imported
		}
		if level > rt.Levels[f.OSV] {
			rt.Levels[f.OSV] = level
		}
		if level == Called {
			if _, ok := rt.Traces[f.OSV]; !ok {
				var path []string
				for i := len(f.Trace) - 1; i >= 0; i-- {
					fr := f.Trace[i]
					name := fr.Package + "." + fr.Function
					if fr.Receiver != "" {
						name = fr.Package + ".(" + fr.Receiver + ")." + fr.Function
					}
					path = append(path, name)
				}
				rt.Traces[f.OSV] = strings.Join(path, " → ")
			}
		}
	}
	if goVersion == "" {
		return rt, "", fmt.Errorf("no config message")
	}
	return rt, goVersion, nil
}

// Module is a module version the go command downloaded.
type Module struct {
	Path, Version, Sum, Zip, Error string
}

// Download returns the module path at the version go.mod selects, from
// the module cache, as `go mod download -json` checks it against go.sum
// (fetching it through the module proxy the first time), with the
// release toolchain in the repository.
func Download(ctx context.Context, c *release.Config, path string) (*Module, error) {
	cmd := c.GoCommand(ctx, c.Root, "mod", "download", "-json", path)
	cmd.Env = append(cmd.Env, "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m Module
	if jerr := json.Unmarshal(out, &m); jerr == nil && m.Error != "" {
		return nil, fmt.Errorf("vulns: go mod download %s: %s", path, m.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("vulns: go mod download %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("vulns: go mod download %s: %w", path, err)
	}
	if m.Version == "" || m.Sum == "" || m.Zip == "" {
		return nil, fmt.Errorf("vulns: go mod download %s: no version, sum or zip (is it required in go.mod?)", path)
	}
	return &m, nil
}

// hashTree returns the hex SHA-256 of every file below dir, by its slash
// path and content, in path order.
func hashTree(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%d:%s%d:", len(rel), filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// keep writes data to path through a temporary file beside it, so that a
// reader never sees half a scan.
func keep(path string, data []byte) {
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		atomicfile.Write(path, data, 0o600)
	}
}
