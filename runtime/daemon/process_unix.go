//go:build unix

package daemon

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// detach starts the daemon in a session of its own, so that it outlives
// the terminal that started it.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// processRunning reports whether pid is a live process: one that
// exists and, where /proc tells, has not exited (a zombie waiting for its
// parent to reap it has).
func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}

func interrupt(pid int) { syscall.Kill(pid, syscall.SIGINT) }

func kill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
