package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cavra/cavra/runtime/policy"
)

// Log is an open evidence log. Its methods are safe for concurrent use.
type Log struct {
	name  string
	f     *os.File
	key   []byte
	keyID string

	mu      sync.Mutex
	pending []*Entry
	closing bool
	err     error // set when a write failed; the log takes no more records
	wake    chan struct{}
	stopped chan struct{}

	// Chain state, owned by the writer goroutine.
	seq  int64
	prev string

	// Batches counts group commits, for tests and benchmarks.
	batches, records int64
}

// Options configure a log.
type Options struct {
	// Key, if set, signs every record (HMAC-SHA256); KeyID names it.
	Key   []byte
	KeyID string // names the key in each signature
}

// Open opens the log in the named file for appending, creating it (mode
// 0600) and its folder if needed. It locks the file, reads the last
// record to continue the chain, checking that record's own hash, and, if
// the file ends in an incomplete line, removes that line and appends a
// recovery record. It does not verify the rest of the chain; use Verify
// for that.
func Open(name string, opt Options) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	l := &Log{name: name, f: f, key: opt.Key, keyID: opt.KeyID,
		wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	if err := l.open(); err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence: open %s: %w", name, err)
	}
	go l.writer()
	return l, nil
}

func (l *Log) open() error {
	fi, err := l.f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	if err := lock(l.f); err != nil {
		return fmt.Errorf("locked by another process (%w)", err)
	}
	size := fi.Size()
	end, last, err := tail(l.f, size)
	if err != nil {
		return err
	}
	if last != nil {
		var r rec
		if err := json.Unmarshal(last, &r); err != nil {
			return fmt.Errorf("last record is not valid JSON (%v); run --verify-evidence", err)
		}
		if r.RecordHash != recordHash(&r) {
			return fmt.Errorf("last record (sequence %d) does not match its record_hash; run --verify-evidence", r.Sequence)
		}
		l.seq, l.prev = int64(r.Sequence), r.RecordHash
	}
	if end == size {
		return nil
	}
	// An incomplete last line: a write that was interrupted.
	dropped := make([]byte, size-end)
	if _, err := l.f.ReadAt(dropped, end); err != nil {
		return err
	}
	if err := l.f.Truncate(end); err != nil {
		return err
	}
	sum := sha256.Sum256(dropped)
	now := time.Now().UTC()
	d := policy.Decision{Bare: true}
	d.Reason = fmt.Sprintf("incomplete last line removed on open: %d bytes, sha256 %s (a write was interrupted before the decision was answered)",
		size-end, hex.EncodeToString(sum[:]))
	resp := d.AppendV1(nil)
	e := newEntry(EventRecovery, RecordID([]byte("{}"), resp, now), now, []byte("{}"), &d)
	line, hash := e.seal(nil, l.seq+1, l.prev, l.key, l.keyID)
	if _, err := l.f.Write(line); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.seq++
	l.prev = hash
	return nil
}

// tail finds the end of the last complete line (the offset after its
// newline; 0 if there is none) and returns that line, reading backwards
// only as far as it needs to. Blank lines are passed over.
func tail(f *os.File, size int64) (end int64, last []byte, err error) {
	nl, err := lastByte(f, size, '\n')
	if err != nil || nl < 0 {
		return 0, nil, err
	}
	if size-nl-1 > MaxRecordSize+1 {
		return 0, nil, errors.New("incomplete last line is longer than a record can be")
	}
	for stop := nl; ; {
		start, err := lastByte(f, stop, '\n')
		if err != nil {
			return 0, nil, err
		}
		start++
		if stop-start > MaxRecordSize {
			return 0, nil, errors.New("last line is longer than a record can be")
		}
		line := make([]byte, stop-start)
		if _, err := f.ReadAt(line, start); err != nil {
			return 0, nil, err
		}
		if len(bytes.TrimSpace(line)) > 0 || start == 0 {
			if len(bytes.TrimSpace(line)) == 0 {
				line = nil
			}
			return nl + 1, line, nil
		}
		stop = start - 1
	}
}

// lastByte returns the offset of the last c in the file before offset
// before, or -1. It gives up after MaxRecordSize+2 bytes.
func lastByte(f *os.File, before int64, c byte) (int64, error) {
	buf := make([]byte, 64<<10)
	limit := max(0, before-MaxRecordSize-2)
	for end := before; end > limit; {
		start := max(limit, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return -1, err
		}
		if i := bytes.LastIndexByte(b, c); i >= 0 {
			return start + int64(i), nil
		}
		end = start
	}
	if limit > 0 {
		return -1, errors.New("line longer than a record can be")
	}
	return -1, nil
}

// Name returns the file name the log was opened with.
func (l *Log) Name() string { return l.name }

// Submit queues e for the log and returns at once; e.Wait waits for it
// to be on disk. Entries are chained in the order they are submitted.
func (l *Log) Submit(e *Entry) {
	l.mu.Lock()
	switch {
	case l.err != nil:
		e.err = l.err
	case l.closing:
		e.err = fmt.Errorf("evidence: %s: log is closed", l.name)
	}
	if e.err != nil {
		l.mu.Unlock()
		close(e.done)
		return
	}
	l.pending = append(l.pending, e)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Append adds e to the log and returns once it is on disk. After a
// failed write the log refuses further records.
func (l *Log) Append(e *Entry) error {
	l.Submit(e)
	return e.Wait()
}

// writer commits queued entries in groups: one write and one sync for
// every entry waiting when it wakes.
func (l *Log) writer() {
	defer close(l.stopped)
	var batch []*Entry
	var buf []byte
	for {
		<-l.wake
		for {
			l.mu.Lock()
			batch, l.pending = l.pending, batch[:0]
			closing := l.closing
			l.mu.Unlock()
			if len(batch) == 0 {
				if closing {
					return
				}
				break
			}
			buf = l.commit(batch, buf[:0])
			clear(batch)
		}
	}
}

func (l *Log) commit(batch []*Entry, buf []byte) []byte {
	seq, prev := l.seq, l.prev
	for _, e := range batch {
		seq++
		e.seq = seq
		buf, prev = e.seal(buf, seq, prev, l.key, l.keyID)
	}
	err := l.err
	if err == nil && len(buf) > 0 {
		if _, werr := l.f.Write(buf); werr != nil {
			err = fmt.Errorf("evidence: write %s: %w", l.name, werr)
		} else if serr := l.f.Sync(); serr != nil {
			err = fmt.Errorf("evidence: sync %s: %w", l.name, serr)
		}
	}
	if err != nil {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
	} else {
		l.seq, l.prev = seq, prev
		l.batches++
		l.records += int64(len(batch))
	}
	for _, e := range batch {
		e.err = err
		close(e.done)
	}
	return buf
}

// Stats returns how many group commits and records the log has written
// since it was opened. It must not be called while records are being
// appended.
func (l *Log) Stats() (batches, records int64) { return l.batches, l.records }

// Close waits for queued records to be written, then closes the file,
// releasing its lock.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return nil
	}
	l.closing = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.stopped
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Head returns the sequence number and hash of the last record written.
// It must not be called while records are being appended.
func (l *Log) Head() (int64, string) { return l.seq, l.prev }
