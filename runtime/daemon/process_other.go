//go:build !unix

package daemon

import (
	"os"
	"os/exec"
)

func detach(*exec.Cmd) {}

func processRunning(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

func interrupt(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill() // Windows has no SIGINT for other processes
	}
}

func kill(pid int) { interrupt(pid) }
