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
)

// Log is an open evidence log. Its methods are safe for concurrent use;
// appends are serialized, so the chain stays valid however many
// goroutines append.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	name string
	seq  uint64
	head string
	err  error // set when a write failed; the log accepts no more records
}

// Recovery is the data of a recovery record.
type Recovery struct {
	DroppedBytes  int64  `json:"dropped_bytes"`
	DroppedSHA256 string `json:"dropped_sha256"`
	Reason        string `json:"reason"`
}

// Open opens the log in the named file for appending, creating it with
// mode 0600 if needed. It locks the file, reads its last record to
// continue the chain and, if the file ends in an incomplete line,
// removes that line and appends a recovery record. Open checks the last
// record's own hash but does not verify the rest of the chain; use
// Verify for that.
func Open(name string) (*Log, error) {
	_, statErr := os.Lstat(name)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	l := &Log{f: f, name: name, head: Genesis}
	if err := l.open(created); err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence: open %s: %w", name, err)
	}
	return l, nil
}

func (l *Log) open(created bool) error {
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
	if created {
		syncDir(filepath.Dir(l.name))
	}
	size := fi.Size()
	end, last, err := tail(l.f, size)
	if err != nil {
		return err
	}
	if last != nil {
		body, stored, computed, ok := unseal(last)
		var h struct {
			Seq uint64 `json:"seq"`
		}
		if !ok || json.Unmarshal(body, &h) != nil || h.Seq == 0 {
			return errors.New("last record is malformed; run verify")
		}
		if stored != computed {
			return fmt.Errorf("last record (seq %d) does not match its hash; run verify", h.Seq)
		}
		l.seq, l.head = h.Seq, stored
	}
	if end == size {
		return nil
	}
	// An incomplete last line: a crash during a write.
	dropped := make([]byte, size-end)
	if _, err := l.f.ReadAt(dropped, end); err != nil {
		return err
	}
	if err := l.f.Truncate(end); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	sum := sha256.Sum256(dropped)
	_, err = l.append(TypeRecovery, time.Now(), Recovery{
		DroppedBytes:  size - end,
		DroppedSHA256: hex.EncodeToString(sum[:]),
		Reason:        "incomplete last line removed on open (interrupted write)",
	})
	return err
}

// tail finds the end of the last complete line (the offset after its
// newline; 0 if there is none) and returns that line without its
// newline. It reads backwards from the end of the file only as far as it
// needs to.
func tail(f *os.File, size int64) (end int64, last []byte, err error) {
	nl, err := lastByte(f, size, '\n')
	if err != nil || nl < 0 {
		return 0, nil, err
	}
	if size-nl-1 > MaxRecordSize+1 {
		return 0, nil, errors.New("incomplete last line is longer than a record can be")
	}
	start, err := lastByte(f, nl, '\n')
	if err != nil {
		return 0, nil, err
	}
	start++
	if nl-start > MaxRecordSize {
		return 0, nil, errors.New("last line is longer than a record can be")
	}
	last = make([]byte, nl-start)
	if _, err := f.ReadAt(last, start); err != nil {
		return 0, nil, err
	}
	return nl + 1, last, nil
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

// Head returns the sequence number and hash of the last record (0 and
// Genesis for an empty log).
func (l *Log) Head() (uint64, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, l.head
}

// Name returns the file name the log was opened with.
func (l *Log) Name() string { return l.name }

// Append adds a record of the given type with time t and data, which
// must marshal to JSON, and syncs it to disk. After a failed write the
// log refuses further appends.
func (l *Log) Append(typ string, t time.Time, data any) (Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.append(typ, t, data)
}

func (l *Log) append(typ string, t time.Time, data any) (Ref, error) {
	if l.err != nil {
		return Ref{}, l.err
	}
	if l.f == nil {
		return Ref{}, fmt.Errorf("evidence: %s: log is closed", l.name)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	h := header{Seq: l.seq + 1, Prev: l.head, Time: t.UTC(), Type: typ, Data: data}
	if err := enc.Encode(h); err != nil {
		return Ref{}, fmt.Errorf("evidence: encode record: %w", err)
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(body)+hashSuffixLen > MaxRecordSize {
		return Ref{}, fmt.Errorf("evidence: record of %d bytes is too large", len(body))
	}
	line, hash := seal(body)
	line = append(line, '\n')
	if _, err := l.f.Write(line); err != nil {
		l.err = fmt.Errorf("evidence: write %s: %w", l.name, err)
		return Ref{}, l.err
	}
	if err := l.f.Sync(); err != nil {
		l.err = fmt.Errorf("evidence: sync %s: %w", l.name, err)
		return Ref{}, l.err
	}
	l.seq++
	l.head = hash
	return Ref{Seq: l.seq, Hash: hash}, nil
}

// Close closes the file, releasing its lock.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

// syncDir makes a new file's directory entry durable, where the
// platform allows syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
