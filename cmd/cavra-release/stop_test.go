package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
)

// TestStopped stops a release from outside: its standard output closed
// (`go run mage.go release | head`) and a SIGTERM (a cancelled CI job) once
// it has started staging. Either way the release exits 1 naming why, and the
// output folder holds what it held before: an earlier file, no staging
// folder, no package.
func TestStopped(t *testing.T) {
	tests := []struct {
		name string
		stop func(t *testing.T, cmd *exec.Cmd, out string)
		want string
	}{
		{"stdout closed", func(t *testing.T, cmd *exec.Cmd, out string) {}, "broken pipe"},
		{"terminated", func(t *testing.T, cmd *exec.Cmd, out string) {
			for deadline := time.Now().Add(time.Minute); !staging(t, out); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the release did not start staging within a minute")
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}, "terminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			repo := testrepo.New(t, dir, "")
			out := filepath.Join(dir, "dist")
			earlier := filepath.Join(out, "earlier.txt")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(earlier, []byte("an earlier release\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(testrelease.Tool(t), "release", "-out", out, "-targets", "linux/amd64")
			cmd.Dir, cmd.Env = repo, testrelease.Env(dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout = w
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if tc.name == "stdout closed" {
				r.Close()
			} else {
				defer r.Close()
				go func() { // drain, as a terminal would
					buf := make([]byte, 4096)
					for {
						if _, err := r.Read(buf); err != nil {
							return
						}
					}
				}()
			}
			tc.stop(t, cmd, out)
			err = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("got exit %d (%v), stderr %q; want exit 1 and %q", code, err, stderr.String(), tc.want)
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"earlier.txt"}) {
				t.Errorf("the output folder holds %v after the stop, want only earlier.txt", names)
			}
			if b, err := os.ReadFile(earlier); err != nil || string(b) != "an earlier release\n" {
				t.Errorf("the earlier file: %q, %v", b, err)
			}
		})
	}
}

// staging reports whether a release has made its staging folder in out.
func staging(t *testing.T, out string) bool {
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".stage-") {
			return true
		}
	}
	return false
}
