// Package progress prints what long work is doing, one line at a time with
// its time, from any number of goroutines: the release's steps and builds,
// and the rebuilder's targets.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Log prints progress lines. It is safe for concurrent use. A nil *Log
// prints nothing.
type Log struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

// New returns a Log writing to w, or nil (which prints nothing) when w is
// nil.
func New(w io.Writer) *Log {
	if w == nil {
		return nil
	}
	return &Log{w: w, start: time.Now()}
}

// Printf prints one line.
func (l *Log) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}

// Done prints that one unit of work (e.g. "build linux/amd64") finished.
func (l *Log) Done(what string, d time.Duration) {
	l.Printf("  %-40s %6.2fs", what, d.Seconds())
}

// Total prints the total time since the log was created.
func (l *Log) Total(what string) {
	if l == nil {
		return
	}
	l.Printf("%-42s %6.2fs", what, time.Since(l.start).Seconds())
}
