// Package testrepo makes throwaway git repositories holding a copy of this
// module, so tests can release a known commit without touching the
// developer's checkout.
package testrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Epoch is the commit time of every test repository (2026-01-02T03:04:05Z),
// so SOURCE_DATE_EPOCH defaults to it.
const Epoch = "1767323045"

// ModuleRoot returns the root of this module's checkout.
func ModuleRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testrepo: no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Files lists the module's files as git sees them: tracked files and
// untracked ones that are not ignored, from the working tree.
func Files(t testing.TB, root string) []string {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("testrepo: git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, f)); err != nil {
			continue // deleted in the working tree
		}
		files = append(files, f)
	}
	return files
}

// New copies the module into a new git repository under dir, commits it with
// a fixed author and date (Epoch), tags it with tag when tag is not empty,
// and returns the repository root.
func New(t testing.TB, dir, tag string) string {
	t.Helper()
	return NewAt(t, dir, tag, time.Unix(epoch, 0))
}

// NewAt is New with the commit made at when, as a fresh clone of a recent
// commit would be.
func NewAt(t testing.TB, dir, tag string, when time.Time) string {
	t.Helper()
	src := ModuleRoot(t)
	dst := filepath.Join(dir, "repo")
	for _, f := range Files(t, src) {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, dst, "init", "-q", "-b", "main")
	Git(t, dst, "add", "-A")
	gitAt(t, dst, when, "commit", "-q", "-m", "test release")
	Git(t, dst, "remote", "add", "origin", "https://github.com/cavra/cavra.git")
	if tag != "" {
		Git(t, dst, "tag", tag)
	}
	return dst
}

// Git runs git in dir with a fixed identity and dates, failing the test on
// error, and returns its trimmed output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gitAt(t, dir, time.Unix(epoch, 0), args...)
}

var epoch, _ = strconv.ParseInt(Epoch, 10, 64)

func gitAt(t testing.TB, dir string, when time.Time, args ...string) string {
	t.Helper()
	date := "@" + strconv.FormatInt(when.Unix(), 10) + " +0000"
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=CAVRA Test", "GIT_AUTHOR_EMAIL=test@cavra.invalid", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=CAVRA Test", "GIT_COMMITTER_EMAIL=test@cavra.invalid", "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
