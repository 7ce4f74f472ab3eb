// Package reprotest proves that a release is reproducible: it releases one
// commit twice, in two fresh clones in different folders, at different
// times, under a different HOME, TZ, locale and umask, and compares every file
// of the two packages and of the two zips byte for byte.
//
// Only signature files may differ (a detached .sig, the DSSE provenance
// envelope), and for snapshots signed with two different local keys also the
// key and the files that name it; see [MayDiffer]. Everything else differing
// is a failure naming the file, and explaining it as gorebuild would (see
// package explain): for a binary the build settings and the first differing
// section, for the zip, the source archive and each Linux package every
// entry's name, mode, owner, time, size and digest that differ.
package reprotest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/explain"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/tuf"
)

// Options control a reproducibility test.
type Options struct {
	Root    string    // repository to release (its HEAD commit)
	Work    string    // folder for the two clones; "" means a temporary folder, removed after
	Targets string    // -targets for the release command; "" means all
	Env     []string  // extra environment for both releases, e.g. COSIGN_KEY and COSIGN_PASSWORD
	Log     io.Writer // progress; nil means none
}

// Variant is the environment of one of the two releases.
type Variant struct {
	Name  string `json:"name"`
	Dir   string `json:"dir"`
	TZ    string `json:"tz"`
	Umask string `json:"umask"`
	Lang  string `json:"lang"`
}

// Variants are the two releases' environments.
var Variants = [2]Variant{
	{Name: "a", TZ: "UTC", Umask: "022", Lang: "C"},
	{Name: "b", TZ: "Pacific/Chatham", Umask: "077", Lang: "tr_TR.UTF-8"},
}

// Status is how one file compares between the two releases.
type Status string

// The outcomes of comparing one file.
const (
	Same      Status = "SAME"      // identical bytes
	Allowed   Status = "ALLOWED"   // a signature, the signing key, or a zip holding only such differences
	Different Status = "DIFFERENT" // bytes differ
	Missing   Status = "MISSING"   // present in only one release
)

// File is the comparison of one file present in either release.
type File struct {
	Path   string `json:"path"` // relative to the output folder; zip entries as zip!entry
	Status Status `json:"status"`
	A      string `json:"a_sha256,omitempty"`
	B      string `json:"b_sha256,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Differences explains a file that differs (release a is "expected",
	// release b "actual").
	Differences []explain.Difference `json:"differences,omitempty"`
}

// Report is the result of a reproducibility test.
type Report struct {
	Commit   string    `json:"commit"`
	Variants []Variant `json:"variants"`
	Files    []File    `json:"files"`
	Same     int       `json:"same"`
	Allowed  int       `json:"allowed_to_differ"`
	Differ   int       `json:"differ"`
	First    string    `json:"first_difference,omitempty"`
}

// OK reports whether the two releases match.
func (r *Report) OK() bool { return r.Differ == 0 && r.Same > 0 }

// MayDiffer reports whether the file at p may differ between two releases
// of one commit: a signature (some signers randomise them) and, when the two
// releases were signed with different keys (snapshots signed with
// machine-local keys, under machine-local TUF roots), the public key, the
// TUF roots and the files that name them. A checksums.txt may then differ
// too, but only in those files' lines. The TUF timestamp, snapshot and
// targets metadata hold signatures and the digests of signed files: they
// may differ in those alone (see [Report]).
func MayDiffer(p string, keysDiffer bool) bool {
	base := p[strings.LastIndexAny(p, "/!")+1:]
	switch {
	case strings.HasSuffix(base, ".sig"), strings.HasSuffix(base, ".intoto.jsonl"), strings.HasSuffix(base, ".sigstore.json"):
		return true
	case base == "cosign.pub", base == "offline-trust-root-bootstrap.json",
		base == "release-evidence.json", base == "release-evidence.md", base == layout.SigningOps,
		isRoot(p):
		return keysDiffer
	}
	return false
}

// tufPath returns the path of p (a file of a package folder, or a zip
// entry) inside its package: trust/timestamp.json for
// dist/go-runtime-v1/trust/timestamp.json.
func tufPath(p string) string {
	if _, e, ok := strings.Cut(p, "!"); ok {
		p = e
	}
	i := strings.Index(p, "/"+layout.TrustDir+"/")
	if i < 0 {
		return ""
	}
	return p[i+1:]
}

func isRoot(p string) bool {
	_, ok := tuf.RootVersion(tufPath(p))
	return ok
}

// SignedDigest returns the digest of the signed part of a TUF timestamp,
// snapshot or targets file without the lengths and hashes of the files it
// lists that hold signatures (the metadata a snapshot or timestamp names,
// the signature files targets.json lists): what must not differ between two
// releases of one commit with the same keys.
func SignedDigest(data []byte) string {
	v, err := tuf.Decode(data)
	if err != nil {
		return "undecodable"
	}
	top, _ := v.(map[string]any)
	signed, _ := top["signed"].(map[string]any)
	strip := func(m any, all bool) {
		files, _ := m.(map[string]any)
		for name, f := range files {
			if f, ok := f.(map[string]any); ok && (all || MayDiffer(name, false)) {
				delete(f, "hashes")
				delete(f, "length")
			}
		}
	}
	strip(signed["meta"], true)
	strip(signed["targets"], false)
	c, err := tuf.EncodeCanonical(signed)
	if err != nil {
		return "undecodable"
	}
	return checksums.SHA256(c)
}

// Run releases the commit at o.Root twice and compares the results.
func Run(ctx context.Context, o Options) (*Report, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, err
	}
	commit, err := output(ctx, root, nil, "git", "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	if st, _ := output(ctx, root, nil, "git", "status", "--porcelain", "--untracked-files=no"); st != "" {
		logf("note: the working tree has uncommitted changes; the test releases commit %.12s without them", commit)
	}
	origin, _ := output(ctx, root, nil, "git", "remote", "get-url", "origin")
	// The caches stay where they are for both releases: what varies is
	// HOME, not whether the build cache is warm.
	goenv, err := output(ctx, root, nil, "go", "env", "GOCACHE", "GOMODCACHE", "GOPATH")
	if err != nil {
		return nil, err
	}
	caches := strings.Split(goenv, "\n")
	if len(caches) != 3 {
		return nil, fmt.Errorf("go env: unexpected output %q", goenv)
	}
	work := o.Work
	if work == "" {
		if work, err = os.MkdirTemp("", "cavra-reprotest-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	rep := &Report{Commit: commit}
	for i, v := range Variants {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // a different wall-clock second
		}
		v.Dir = filepath.Join(work, v.Name)
		src := filepath.Join(v.Dir, "src-"+v.Name)
		home := filepath.Join(v.Dir, "home")
		if err := os.MkdirAll(home, 0o755); err != nil {
			return nil, err
		}
		if _, err := output(ctx, root, nil, "git", "clone", "--quiet", "--no-local", root, src); err != nil {
			return nil, err
		}
		if _, err := output(ctx, src, nil, "git", "checkout", "--quiet", "--detach", commit); err != nil {
			return nil, err
		}
		if origin != "" {
			if _, err := output(ctx, src, nil, "git", "remote", "set-url", "origin", origin); err != nil {
				return nil, err
			}
		}
		env := append(cleanEnv(os.Environ()),
			"HOME="+home, "USERPROFILE="+home, "TZ="+v.TZ, "LANG="+v.Lang, "LC_ALL="+v.Lang,
			"GOCACHE="+caches[0], "GOMODCACHE="+caches[1], "GOPATH="+caches[2])
		env = append(env, o.Env...)
		args := []string{"go", "run", "./cmd/cavra-release", "release", "-out", filepath.Join(v.Dir, "dist")}
		if o.Targets != "" {
			args = append(args, "-targets", o.Targets)
		}
		if runtime.GOOS != "windows" {
			// The umask is set by a shell that then runs argv unchanged.
			args = append([]string{"/bin/sh", "-c", `umask "$0" && exec "$@"`, v.Umask}, args...)
		}
		start := time.Now()
		logf("release %s: %s in %s (TZ=%s umask=%s)", v.Name, strings.Join(args[len(args)-4:], " "), src, v.TZ, v.Umask)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir, cmd.Env = src, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("release %s: %w\n%s", v.Name, err, out.String())
		}
		logf("release %s done in %.1fs", v.Name, time.Since(start).Seconds())
		rep.Variants = append(rep.Variants, v)
	}
	a, err := collect(filepath.Join(rep.Variants[0].Dir, "dist"))
	if err != nil {
		return nil, err
	}
	b, err := collect(filepath.Join(rep.Variants[1].Dir, "dist"))
	if err != nil {
		return nil, err
	}
	rep.compare(a, b)
	rep.explain(filepath.Join(rep.Variants[0].Dir, "dist"), filepath.Join(rep.Variants[1].Dir, "dist"))
	return rep, nil
}

// explain says why each file that differs between the output folders a and
// b differs. Zip entries are explained with their zip.
func (r *Report) explain(a, b string) {
	for i, f := range r.Files {
		if f.Status != Different || strings.Contains(f.Path, "!") {
			continue
		}
		da, errA := os.ReadFile(filepath.Join(a, filepath.FromSlash(f.Path)))
		db, errB := os.ReadFile(filepath.Join(b, filepath.FromSlash(f.Path)))
		if errA != nil || errB != nil {
			continue
		}
		r.Files[i].Differences = explain.File(f.Path, da, db, explain.Labels{Expected: "release a", Actual: "release b"})
	}
}

// cleanEnv drops the variables a release reads, so both runs see the same.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SOURCE_DATE_EPOCH", "VERSION", "HOME", "USERPROFILE", "TZ", "LANG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
			"COSIGN_KEY", "COSIGN_PRIVATE_KEY", "COSIGN_PASSWORD", "CAVRA_RELEASE":
			continue
		}
		if strings.HasPrefix(k, "LC_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// collect returns the SHA-256 of every file under dir, and of every entry of
// the zips at its top (the package zips), keyed by slash path (zip entries as
// "<zip>!<entry>").
func collect(dir string) (map[string]string, error) {
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sums[rel] = checksums.SHA256(data)
		if path.Base(rel) == "checksums.txt" {
			sums[rel+stable] = stableChecksums(data)
		}
		if tuf.IsMetadata(tufPath(rel)) {
			sums[rel+signedPart] = SignedDigest(data)
		}
		if strings.HasSuffix(rel, ".zip") && !strings.Contains(rel, "/") {
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				sums[rel+"!"+f.Name] = checksums.SHA256(b) + fmt.Sprintf(" mode=%v time=%d", f.Mode(), f.Modified.Unix())
				if path.Base(f.Name) == "checksums.txt" {
					sums[rel+"!"+f.Name+stable] = stableChecksums(b)
				}
				if tuf.IsMetadata(tufPath(rel + "!" + f.Name)) {
					sums[rel+"!"+f.Name+signedPart] = SignedDigest(b)
				}
			}
		}
		return nil
	})
	return sums, err
}

// stable is the suffix of the derived entry that holds the digest of a
// checksums.txt without the lines of the files that name the signing key.
const stable = "#without-key-files"

// signedPart is the suffix of the derived entry that holds the digest of a
// TUF metadata file's signed part (see SignedDigest).
const signedPart = "#signed"

// stableChecksums returns the digest of the lines of a checksums.txt that do
// not depend on the signing key.
func stableChecksums(data []byte) string {
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		_, name, _ := strings.Cut(line, "  ")
		if !MayDiffer(strings.TrimSpace(name), true) {
			keep = append(keep, line)
		}
	}
	return checksums.SHA256([]byte(strings.Join(keep, "")))
}

func (r *Report) compare(a, b map[string]string) {
	all := maps.Clone(a) // every name in either release
	maps.Copy(all, b)
	names := slices.Sorted(maps.Keys(all))
	keysDiffer := false
	for _, n := range names {
		if (strings.HasSuffix(n, "/cosign.pub") || strings.HasSuffix(n, "/"+tuf.Path(tuf.RoleRoot, 1))) && a[n] != b[n] {
			keysDiffer = true
		}
	}
	// checksums.txt may differ only in the lines of the files that name
	// the key, when the keys differ; TUF metadata only in its signatures
	// and the digests of signed files, unless the keys differ.
	mayDiffer := func(n string) bool {
		switch {
		case strings.HasSuffix(n, signedPart):
			return keysDiffer
		case path.Base(n) == "checksums.txt":
			return keysDiffer && a[n+stable] != "" && a[n+stable] == b[n+stable]
		case tuf.IsMetadata(tufPath(n)) && !isRoot(n):
			return keysDiffer || (a[n+signedPart] != "" && a[n+signedPart] == b[n+signedPart])
		}
		return MayDiffer(n, keysDiffer)
	}
	// A zip (and its .sha256) may differ only when entries differ and
	// every entry that differs may.
	allowedIn, forbiddenIn := map[string]bool{}, map[string]bool{}
	for _, n := range names {
		z, _, ok := strings.Cut(n, "!")
		if !ok || a[n] == b[n] {
			continue
		}
		if mayDiffer(n) {
			allowedIn[z] = true
		} else {
			forbiddenIn[z] = true
		}
	}
	zipOK := map[string]bool{}
	for z := range allowedIn {
		zipOK[z] = !forbiddenIn[z]
	}
	for _, n := range names {
		f := File{Path: n, A: a[n], B: b[n]}
		allowed := mayDiffer(n)
		if z, ok := strings.CutSuffix(n, ".sha256"); ok && zipOK[z] {
			allowed = true
		} else if zipOK[n] {
			allowed = true
		}
		switch {
		case f.A == "" || f.B == "":
			f.Status, f.Detail = Missing, "present in only one release"
		case f.A == f.B:
			f.Status = Same
		case allowed:
			f.Status, f.Detail = Allowed, "signature, signing key, or a zip holding only such differences"
		default:
			f.Status, f.Detail = Different, "bytes differ"
		}
		switch f.Status {
		case Same:
			r.Same++
		case Allowed:
			r.Allowed++
		default:
			r.Differ++
		}
		r.Files = append(r.Files, f)
	}
	// Name the first file of the package folder that differs, else the
	// first zip or entry.
	for _, f := range r.Files {
		if f.Status == Same || f.Status == Allowed {
			continue
		}
		if r.First == "" {
			r.First = f.Path
		}
		if !strings.Contains(f.Path, "!") && !strings.HasSuffix(f.Path, ".zip") && !strings.HasSuffix(f.Path, ".zip.sha256") {
			r.First = f.Path
			break
		}
	}
}

// WriteText writes one line per file that is not the same, and a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Files {
		if f.Status != Same {
			fmt.Fprintf(&b, "%-9s %s: %s\n", f.Status, f.Path, f.Detail)
			for _, d := range f.Differences {
				fmt.Fprintf(&b, "          %s\n", d.Detail)
			}
		}
	}
	status := "PASS"
	if !r.OK() {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "%s  commit %.12s: %d files identical, %d allowed to differ, %d differ", status, r.Commit, r.Same, r.Allowed, r.Differ)
	if r.First != "" {
		fmt.Fprintf(&b, " (first: %s)", r.First)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

func output(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
