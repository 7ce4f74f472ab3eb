package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// writeLog appends n decision records to a new log and returns its path.
func writeLog(t *testing.T, n int) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "evidence.jsonl")
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ref, err := l.Append(TypeDecision, t0.Add(time.Duration(i)*time.Second), map[string]any{"n": i, "decision": "allow"})
		if err != nil {
			t.Fatal(err)
		}
		if ref.Seq != uint64(i+1) || !isHex(ref.Hash) {
			t.Fatalf("append %d: got ref %+v", i, ref)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

func readLines(t *testing.T, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(data, []byte("\n"))
}

func writeLines(t *testing.T, name string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(name, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAppendVerify(t *testing.T) {
	name := writeLog(t, 10)
	s, err := VerifyFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 10 || s.LastSeq != 10 || s.Recoveries != 0 || !isHex(s.Head) || s.Head == Genesis {
		t.Errorf("got summary %+v, want 10 records", s)
	}
	lines := readLines(t, name)
	if !bytes.HasPrefix(lines[0], []byte(`{"seq":1,"prev":"`+Genesis+`","time":"2025-01-02T03:04:05Z","type":"decision","data":{`)) {
		t.Errorf("first record: got %s", lines[0])
	}
	// Reopen: the chain continues.
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if seq, head := l.Head(); seq != 10 || head != s.Head {
		t.Errorf("reopened head: got %d %s, want 10 %s", seq, head, s.Head)
	}
	ref, err := l.Append(TypeDecision, t0, "x")
	if err != nil || ref.Seq != 11 {
		t.Fatalf("append after reopen: got %+v, %v", ref, err)
	}
	l.Close()
	if s, err := VerifyFile(name); err != nil || s.Records != 11 || s.Head != ref.Hash {
		t.Errorf("verify after reopen: got %+v, %v; want 11 records, head %s", s, err, ref.Hash)
	}
	if got, want := ref.String(), fmt.Sprintf("evidence:11:sha256:%s", ref.Hash); got != want {
		t.Errorf("Ref.String: got %q, want %q", got, want)
	}
}

func TestEmptyLog(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode: got %v, want 0600", fi.Mode().Perm())
	}
	s, err := VerifyFile(name)
	if err != nil || s.Records != 0 || s.Head != Genesis {
		t.Errorf("verify empty: got %+v, %v", s, err)
	}
}

func TestTamper(t *testing.T) {
	tests := []struct {
		name   string
		change func(lines [][]byte) [][]byte
		line   int
		seq    uint64
		kind   Kind
	}{
		{"edit a byte in a field", func(ls [][]byte) [][]byte {
			ls[3] = bytes.Replace(ls[3], []byte(`"allow"`), []byte(`"block"`), 1)
			return ls
		}, 4, 4, Modified},
		{"edit the last record", func(ls [][]byte) [][]byte {
			ls[7] = bytes.Replace(ls[7], []byte(`"n":7`), []byte(`"n":8`), 1)
			return ls
		}, 8, 8, Modified},
		{"edit the sequence number", func(ls [][]byte) [][]byte {
			ls[2] = bytes.Replace(ls[2], []byte(`"seq":3`), []byte(`"seq":9`), 1)
			return ls
		}, 3, 9, Modified},
		{"delete a record", func(ls [][]byte) [][]byte {
			return append(ls[:4:4], ls[5:]...)
		}, 5, 6, Deleted},
		{"delete the first record", func(ls [][]byte) [][]byte {
			return ls[1:]
		}, 1, 2, Deleted},
		{"swap two records", func(ls [][]byte) [][]byte {
			ls[2], ls[3] = ls[3], ls[2]
			return ls
		}, 3, 4, Reordered},
		{"duplicate a record", func(ls [][]byte) [][]byte {
			return append(ls[:3:3], append([][]byte{ls[2]}, ls[3:]...)...)
		}, 4, 3, Reordered},
		{"truncate the last line", func(ls [][]byte) [][]byte {
			ls[7] = ls[7][:len(ls[7])/2]
			return ls
		}, 8, 8, Truncated},
		{"drop the final newline", func(ls [][]byte) [][]byte {
			ls[7] = bytes.TrimSuffix(ls[7], []byte("\n"))
			return ls
		}, 8, 8, Truncated},
		{"not JSON", func(ls [][]byte) [][]byte {
			ls[1] = []byte("hello\n")
			return ls
		}, 2, 2, Malformed},
		{"blank line", func(ls [][]byte) [][]byte {
			return append(ls[:2:2], append([][]byte{[]byte("\n")}, ls[2:]...)...)
		}, 3, 3, Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := writeLog(t, 8)
			lines := readLines(t, name)
			writeLines(t, name, tt.change(lines[:8]))
			_, err := VerifyFile(name)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want an *Error", err)
			}
			if e.Line != tt.line || e.Seq != tt.seq || e.Kind != tt.kind {
				t.Errorf("got line %d seq %d %s (%v), want line %d seq %d %s", e.Line, e.Seq, e.Kind, e, tt.line, tt.seq, tt.kind)
			}
		})
	}
}

// TestForgedRecord appends a well-formed record, with a correct hash of
// its own, whose prev is wrong.
func TestForgedRecord(t *testing.T) {
	name := writeLog(t, 5)
	h := header{Seq: 6, Prev: strings.Repeat("ab", 32), Time: t0, Type: TypeDecision, Data: map[string]string{"decision": "allow"}}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"seq":%d,"prev":%q,"time":"2025-01-02T03:04:05Z","type":"decision","data":{"decision":"allow"}}`, h.Seq, h.Prev)
	line, _ := seal(buf.Bytes())
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(append(line, '\n'))
	f.Close()
	_, err := VerifyFile(name)
	var e *Error
	if !errors.As(err, &e) || e.Line != 6 || e.Seq != 6 || e.Kind != ChainBroken {
		t.Errorf("got %v, want line 6 seq 6 %s", err, ChainBroken)
	}
	// And a record rewritten with a fresh hash breaks the next one.
	name = writeLog(t, 5)
	lines := readLines(t, name)
	body, _, _, _ := unseal(bytes.TrimSuffix(lines[1], []byte("\n")))
	body = bytes.Replace(body, []byte(`"allow"`), []byte(`"block"`), 1)
	resealed, _ := seal(body)
	lines[1] = append(resealed, '\n')
	writeLines(t, name, lines)
	if _, err := VerifyFile(name); !errors.As(err, &e) || e.Line != 3 || e.Kind != ChainBroken {
		t.Errorf("rewritten record 2: got %v, want line 3 %s", err, ChainBroken)
	}
}

// TestRecovery simulates a crash in the middle of a write.
func TestRecovery(t *testing.T) {
	name := writeLog(t, 3)
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":4,"prev":"abc`)
	f.Close()
	if _, err := VerifyFile(name); !IsTruncated(err) {
		t.Fatalf("verify before recovery: got %v, want truncated", err)
	}
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := l.Head(); seq != 4 {
		t.Errorf("after recovery: got head seq %d, want 4 (the recovery record)", seq)
	}
	if _, err := l.Append(TypeDecision, t0, "after"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	s, err := VerifyFile(name)
	if err != nil || s.Records != 5 || s.Recoveries != 1 {
		t.Errorf("verify after recovery: got %+v, %v; want 5 records, 1 recovery", s, err)
	}
	lines := readLines(t, name)
	if !bytes.Contains(lines[3], []byte(`"type":"recovery","data":{"dropped_bytes":20,`)) {
		t.Errorf("recovery record: got %s", lines[3])
	}
}

func TestOpenRefusesDamagedTail(t *testing.T) {
	name := writeLog(t, 3)
	lines := readLines(t, name)
	lines[2] = bytes.Replace(lines[2], []byte(`"n":2`), []byte(`"n":7`), 1)
	writeLines(t, name, lines)
	if _, err := Open(name); err == nil || !strings.Contains(err.Error(), "does not match its hash") {
		t.Errorf("Open with an edited last record: got %v, want a hash error", err)
	}
	os.WriteFile(name, []byte("junk\n"), 0o600)
	if _, err := Open(name); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Open of junk: got %v, want malformed", err)
	}
}

func TestLocked(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Open(name); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second Open: got %v, want a lock error", err)
	}
}

func TestConcurrentAppend(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if _, err := l.Append(TypeDecision, time.Now(), map[string]int{"g": g, "i": i}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	if s, err := VerifyFile(name); err != nil || s.Records != 200 {
		t.Errorf("got %+v, %v; want 200 records", s, err)
	}
	if _, err := l.Append(TypeDecision, time.Now(), 1); err == nil {
		t.Errorf("append after close: got nil error")
	}
}

func TestTooLarge(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(TypeDecision, t0, strings.Repeat("x", MaxRecordSize)); err == nil {
		t.Errorf("oversize append: got nil error")
	}
	if _, err := l.Append(TypeDecision, t0, "ok"); err != nil {
		t.Errorf("append after a refused oversize one: %v", err)
	}
}
