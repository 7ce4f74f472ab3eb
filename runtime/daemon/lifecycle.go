package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultLifecycleTimeout is how long start waits for the daemon to
// answer and stop waits for it to exit.
const DefaultLifecycleTimeout = 5 * time.Second

// Lifecycle describes a daemon started in the background, as CAVRA's
// --lifecycle manages it.
type Lifecycle struct {
	Socket  string        // default DefaultSocket
	PIDFile string        // default <Socket>.pid
	Timeout time.Duration // default DefaultLifecycleTimeout
	Binary  string        // default this executable
	// Args are the daemon's flags after --serve --socket <Socket>.
	Args []string
	// Env is added to the daemon's environment (keys are passed this
	// way, not on its command line, where other users could read them).
	Env []string
	// LogFile receives the daemon's standard output and error; default
	// <Socket>.log.
	LogFile string
}

// Status reports on a daemon, in CAVRA's form.
type Status struct {
	Running          bool   `json:"running"`
	PID              int    `json:"pid,omitempty"`
	SocketPath       string `json:"socket_path"`
	PIDPath          string `json:"pid_path"`
	ProcessRunning   bool   `json:"process_running"`
	SocketResponsive bool   `json:"socket_responsive"`
	Message          string `json:"message"`
}

// JSON returns the status indented by two spaces.
func (s Status) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return b
}

func (l *Lifecycle) normalize() error {
	if l.Socket == "" {
		l.Socket = DefaultSocket
	}
	if l.PIDFile == "" {
		l.PIDFile = l.Socket + ".pid"
	}
	if l.LogFile == "" {
		l.LogFile = l.Socket + ".log"
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultLifecycleTimeout
	}
	if l.Binary == "" {
		b, err := os.Executable()
		if err != nil {
			return err
		}
		l.Binary = b
	}
	return nil
}

// Start starts the daemon unless one is running, writes its PID file and
// waits until it answers a probe (execute_command "terraform plan").
func (l Lifecycle) Start() (Status, error) {
	if err := l.normalize(); err != nil {
		return Status{}, err
	}
	if st, _ := l.Status(); st.Running {
		return st, errors.New("daemon is already running")
	}
	for _, d := range []string{filepath.Dir(l.Socket), filepath.Dir(l.PIDFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Status{}, err
		}
	}
	os.Remove(l.Socket)
	logf, err := os.OpenFile(l.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return Status{}, err
	}
	defer logf.Close()
	cmd := exec.Command(l.Binary, append([]string{"--serve", "--socket", l.Socket}, l.Args...)...)
	cmd.Env = append(os.Environ(), l.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return Status{}, err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := os.WriteFile(l.PIDFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		cmd.Process.Kill()
		return Status{}, err
	}
	deadline := time.Now().Add(l.Timeout)
	for {
		if l.responsive(500 * time.Millisecond) {
			return l.Status()
		}
		select {
		case err := <-exited:
			os.Remove(l.PIDFile)
			return Status{}, fmt.Errorf("daemon exited before it was ready (%v); see %s", err, l.LogFile)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			os.Remove(l.PIDFile)
			os.Remove(l.Socket)
			return Status{}, fmt.Errorf("daemon did not become ready before %s; see %s", l.Timeout, l.LogFile)
		}
	}
}

// Stop interrupts the daemon, waits for it to exit (killing it after the
// timeout) and removes the PID file and socket.
func (l Lifecycle) Stop() (Status, error) {
	if err := l.normalize(); err != nil {
		return Status{}, err
	}
	pid, err := readPID(l.PIDFile)
	if err != nil {
		os.Remove(l.Socket)
		return Status{SocketPath: l.Socket, PIDPath: l.PIDFile, Message: "daemon pid file not found"}, nil
	}
	interrupt(pid)
	deadline := time.Now().Add(l.Timeout)
	for processRunning(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if processRunning(pid) {
		kill(pid)
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(l.PIDFile)
	os.Remove(l.Socket)
	return Status{PID: pid, SocketPath: l.Socket, PIDPath: l.PIDFile, ProcessRunning: processRunning(pid), Message: "daemon stopped"}, nil
}

// Status reports whether the daemon runs and answers.
func (l Lifecycle) Status() (Status, error) {
	if err := l.normalize(); err != nil {
		return Status{}, err
	}
	st := Status{SocketPath: l.Socket, PIDPath: l.PIDFile}
	if pid, err := readPID(l.PIDFile); err == nil {
		st.PID = pid
		st.ProcessRunning = processRunning(pid)
	}
	st.SocketResponsive = l.responsive(l.Timeout)
	st.Running = st.SocketResponsive && (st.ProcessRunning || st.PID == 0)
	switch {
	case st.Running:
		st.Message = "daemon is running"
	case st.PID != 0 && !st.ProcessRunning:
		st.Message = "daemon pid file exists but process is not running"
	default:
		st.Message = "daemon is not running"
	}
	return st, nil
}

func (l *Lifecycle) responsive(timeout time.Duration) bool {
	_, err := Exchange(l.Socket, []byte(`{"action_type":"execute_command","target":"terraform plan","requested_operation":"terraform plan"}`), timeout)
	return err == nil
}

func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, err
	}
	if pid <= 0 {
		return 0, errors.New("pid must be positive")
	}
	return pid, nil
}
