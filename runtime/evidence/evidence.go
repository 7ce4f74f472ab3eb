// Package evidence keeps an append-only, hash-chained log of decisions
// and verifies it.
//
// # Format
//
// A log is a file of JSON Lines, one record per line, each line ending
// in a newline. A record is written as
//
//	{"seq":N,"prev":"<hex>","time":"<RFC 3339>","type":"<type>","data":<JSON>,"hash":"<hex>"}
//
// with the members in exactly that order and no white space outside
// strings. seq counts records from 1 with no gaps. type is "decision" for
// a decision record or "recovery" for the record written after a crash
// (see Open). data is the payload, for decisions the decision object.
//
// # Hash chain
//
// The hash of a record is the SHA-256, in lower-case hex, of the record's
// line with the final `,"hash":"<hex>"` member removed, that is, of the
// bytes up to the comma before "hash" followed by a closing brace. The
// record's hash member holds that hash, and the prev member of each
// record holds the hash of the record before it; the first record's prev
// is Genesis, 64 zeros. So a record's hash covers its prev, and through
// it every earlier record: changing, removing, inserting or reordering
// records breaks the chain at or after the change, and Verify reports the
// first break. Removing records from the end, or rewriting the last
// records with fresh hashes, cannot be seen from the file alone; keep the
// head hash that Verify prints somewhere else to detect that.
//
// # Durability
//
// Append writes each record with one write call and syncs the file
// before returning, so a crash loses at most the record being written,
// which leaves an incomplete last line. Open notices that, cuts the
// incomplete line off and appends a "recovery" record carrying the
// length and SHA-256 of the bytes it removed, so the loss is itself on
// the chain. Verify reports an incomplete last line as Truncated.
//
// Only one process may append to a log at a time; Open takes an
// exclusive lock on the file where the platform supports it (not on
// Windows).
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Genesis is the prev of the first record: 64 zeros.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// MaxRecordSize bounds one record line, in bytes, newline excluded.
const MaxRecordSize = 8 << 20

// Record types.
const (
	TypeDecision = "decision"
	TypeRecovery = "recovery"
)

// hashSuffixLen is the length of `,"hash":"<64 hex>"}`.
const hashSuffixLen = len(`,"hash":""}`) + 64

// header is a record without its hash, in written member order.
type header struct {
	Seq  uint64    `json:"seq"`
	Prev string    `json:"prev"`
	Time time.Time `json:"time"`
	Type string    `json:"type"`
	Data any       `json:"data"`
}

// Ref identifies a record.
type Ref struct {
	Seq  uint64
	Hash string
}

// String formats r as "evidence:<seq>:sha256:<hash>", the form used in
// a decision's evidence_refs.
func (r Ref) String() string { return fmt.Sprintf("evidence:%d:sha256:%s", r.Seq, r.Hash) }

// seal appends the hash member to body, the JSON of a header, and
// returns the line and the hash.
func seal(body []byte) ([]byte, string) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	line := make([]byte, 0, len(body)+hashSuffixLen)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, h...)
	line = append(line, `"}`...)
	return line, h
}

// unseal splits a record line into the hashed body and the stored hash,
// and computes the body's hash. ok is false if the line does not end in
// a well-formed hash member.
func unseal(line []byte) (body []byte, stored, computed string, ok bool) {
	n := len(line)
	if n < hashSuffixLen+2 || line[0] != '{' {
		return nil, "", "", false
	}
	suf := line[n-hashSuffixLen:]
	if !bytes.HasPrefix(suf, []byte(`,"hash":"`)) || !bytes.HasSuffix(suf, []byte(`"}`)) {
		return nil, "", "", false
	}
	stored = string(suf[len(`,"hash":"`) : len(suf)-2])
	if !isHex(stored) {
		return nil, "", "", false
	}
	body = make([]byte, 0, n-hashSuffixLen+1)
	body = append(body, line[:n-hashSuffixLen]...)
	body = append(body, '}')
	sum := sha256.Sum256(body)
	return body, stored, hex.EncodeToString(sum[:]), true
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
