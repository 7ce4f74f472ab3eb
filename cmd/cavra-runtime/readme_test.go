package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestREADME runs every command of the README's runtime section, as
// written: the cavra-runtime commands in a scratch folder with the
// repository's testdata and the built binary on PATH, the go commands
// at the repository's root (skipped with -short).
func TestREADME(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the commands are for a POSIX shell")
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(data)
	i := strings.Index(sec, "## The runtime: `cavra-runtime`")
	if i < 0 {
		t.Fatal("README has no runtime section")
	}
	sec = sec[i:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	var cmds []string
	for _, block := range strings.Split(sec, "```sh runtime\n")[1:] {
		block = block[:strings.Index(block, "```")]
		cmds = append(cmds, strings.Split(strings.TrimSpace(block), "\n")...)
	}
	if len(cmds) < 10 {
		t.Fatalf("found %d commands, want the section's", len(cmds))
	}
	root, _ := filepath.Abs("../..")
	dir, err := os.MkdirTemp("", "cavra-readme")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Symlink(filepath.Join(root, "testdata"), filepath.Join(dir, "testdata"))
	env := append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	want := map[string]string{ // what some commands must print, by a word of the command
		"sudo terraform apply":         `"rule_id": "commands.block"`,
		"--policy terraform-prod.json": `"rule_id": "commands.block"`,
		"evaluate":                     `"rule_id":"git.protected_branch.block_direct_push"`,
		"--daemon":                     `"rule_id": "filesystem.write.require_approval"`,
		"--lifecycle status":           `"running": true`,
		"--verify-evidence":            `"valid": true`,
		"policy list":                  "hardened-mcp-enterprise",
	}
	defer exec.Command("sh", "-c", "cd "+dir+" && cavra-runtime --lifecycle stop").Run()
	for _, c := range cmds {
		cmd := exec.Command("sh", "-c", c)
		cmd.Env, cmd.Dir = env, dir
		if strings.HasPrefix(c, "go ") {
			if testing.Short() {
				continue
			}
			cmd.Dir = root
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: %v\n%s%s", c, err, out.String(), errb.String())
			continue
		}
		for k, w := range want {
			if strings.Contains(c, k) && !strings.Contains(out.String(), w) {
				t.Errorf("%s: output does not hold %s:\n%s", c, w, out.String())
			}
		}
		t.Logf("%s (%v)", c, time.Since(start).Round(time.Millisecond))
	}
}
