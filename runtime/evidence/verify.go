package evidence

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Kind classifies a verification failure.
type Kind string

// Kinds of verification failure.
const (
	// Malformed: the line is not a record (bad JSON, no hash member,
	// missing members, too long).
	Malformed Kind = "malformed"
	// Modified: the record's content does not match its own hash.
	Modified Kind = "modified"
	// Deleted: the sequence skips one or more numbers that appear
	// nowhere later in the log.
	Deleted Kind = "deleted"
	// Reordered: the record's sequence number is out of order: an
	// earlier number, a repeat, or a later one whose missing
	// predecessors appear further down.
	Reordered Kind = "reordered"
	// ChainBroken: the record's prev is not the hash of the record
	// before it: that record was rewritten with a fresh hash, or this
	// one was inserted or forged.
	ChainBroken Kind = "chain-broken"
	// Truncated: the last line has no newline, as left by a crash
	// during a write. Open repairs this; Verify only reports it.
	Truncated Kind = "truncated"
)

// Error describes the first problem Verify found.
type Error struct {
	Line   int    // 1-based line number
	Seq    uint64 // the record's sequence number, or the expected one if unreadable
	Kind   Kind
	Detail string
}

// Error formats e as "evidence: line L (seq S): kind: detail".
func (e *Error) Error() string {
	return fmt.Sprintf("evidence: line %d (seq %d): %s: %s", e.Line, e.Seq, e.Kind, e.Detail)
}

// Summary describes a log that verified.
type Summary struct {
	Records    int    // number of records
	LastSeq    uint64 // sequence number of the last record
	Head       string // hash of the last record, Genesis if none
	Recoveries int    // recovery records among them
}

// VerifyFile verifies the log in the named file.
func VerifyFile(name string) (Summary, error) {
	f, err := os.Open(name)
	if err != nil {
		return Summary{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	return Verify(f)
}

// Verify reads a log and checks every record and the chain between
// them. It returns an *Error for the first record that fails, or an I/O
// error.
func Verify(r io.Reader) (Summary, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s := Summary{Head: Genesis}
	for lineNo := 1; ; lineNo++ {
		line, complete, err := readLine(br)
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("evidence: read line %d: %w", lineNo, err)
		}
		exp := s.LastSeq + 1
		fail := func(seq uint64, k Kind, format string, args ...any) (Summary, error) {
			return s, &Error{Line: lineNo, Seq: seq, Kind: k, Detail: fmt.Sprintf(format, args...)}
		}
		if !complete {
			return fail(exp, Truncated, "last line is incomplete (%d bytes, no newline): a write was interrupted", len(line))
		}
		if len(line) > MaxRecordSize {
			return fail(exp, Malformed, "line is longer than %d bytes", MaxRecordSize)
		}
		body, stored, computed, ok := unseal(line)
		if !ok {
			return fail(exp, Malformed, "line does not end in a hash member")
		}
		var h struct {
			Seq  *uint64         `json:"seq"`
			Prev string          `json:"prev"`
			Time time.Time       `json:"time"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &h); err != nil {
			return fail(exp, Malformed, "bad JSON: %v", err)
		}
		if h.Seq == nil || !isHex(h.Prev) || h.Type == "" || h.Data == nil || h.Time.IsZero() {
			return fail(exp, Malformed, "missing or bad seq, prev, time, type or data")
		}
		seq := *h.Seq
		if stored != computed {
			return fail(seq, Modified, "content does not match the record's hash (stored %.12s…, computed %.12s…)", stored, computed)
		}
		if seq != exp {
			switch {
			case seq < exp && stored == s.Head:
				return fail(seq, Reordered, "duplicate of the record before it")
			case seq < exp:
				return fail(seq, Reordered, "sequence goes back from %d to %d", exp-1, seq)
			}
			later, err := seqAppears(br, exp)
			if err != nil {
				return s, fmt.Errorf("evidence: read after line %d: %w", lineNo, err)
			}
			if later {
				return fail(seq, Reordered, "expected seq %d, which appears later in the log", exp)
			}
			return fail(seq, Deleted, "records %d to %d are missing", exp, seq-1)
		}
		if h.Prev != s.Head {
			return fail(seq, ChainBroken, "prev %.12s… is not the hash of the record before it (%.12s…)", h.Prev, s.Head)
		}
		s.Records++
		s.LastSeq = seq
		s.Head = stored
		if h.Type == TypeRecovery {
			s.Recoveries++
		}
	}
}

// readLine reads one line without its newline. complete is false if
// the input ended without a newline. Lines longer than MaxRecordSize are
// cut at MaxRecordSize+1 bytes, the rest of the line being discarded.
func readLine(br *bufio.Reader) (line []byte, complete bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if len(line) <= MaxRecordSize {
			line = append(line, frag[:min(len(frag), MaxRecordSize+1-len(line))]...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(line) == 0 {
				return nil, false, io.EOF
			}
			return line, false, nil
		case err != nil:
			return nil, false, err
		}
		return bytes.TrimSuffix(line, []byte("\n")), true, nil
	}
}

// seqAppears reports whether a record with sequence number seq appears
// in the rest of the input. Unreadable lines are skipped.
func seqAppears(br *bufio.Reader, seq uint64) (bool, error) {
	for {
		line, _, err := readLine(br)
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var h struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(line, &h) == nil && h.Seq == seq {
			return true, nil
		}
	}
}

// IsTruncated reports whether err is a verification error for an
// incomplete last line.
func IsTruncated(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Truncated
}
