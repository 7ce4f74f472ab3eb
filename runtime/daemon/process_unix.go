//go:build unix

package daemon

import (
	"errors"
	"os/exec"
	"syscall"
)

// detach starts the daemon in a session of its own, so that it outlives
// the terminal that started it.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func interrupt(pid int) { syscall.Kill(pid, syscall.SIGINT) }

func kill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
