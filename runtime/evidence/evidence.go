// Package evidence keeps the daemon's evidence log in CAVRA's format and
// verifies it.
//
// # Format
//
// A log is a file of JSON Lines, one record per decision, as CAVRA's Go
// daemon writes it (schema cavra.go-daemon.evidence.v1):
//
//	{"schema_version":"cavra.go-daemon.evidence.v1","product":"CAVRA",
//	 "event_type":"cavra.go_daemon.decision","record_id":"<24 hex>",
//	 "sequence":N,"previous_hash":"<hex>","record_hash":"<hex>",
//	 "timestamp":"<RFC 3339>","request":{…},"response":{…},
//	 "signature":{"algorithm":"HMAC-SHA256","key_id":"…","value":"<hex>"}}
//
// members in exactly that order, no white space, strings escaped as Go's
// encoding/json escapes them (<, > and & as \u003c, \u003e, \u0026).
// request is the EvaluateRequest v1 as received (an OIDC token replaced
// by "<redacted-oidc-jwt>"), response the DecisionResponse v1 sent back.
// sequence counts from 1; previous_hash is left out of the first record;
// signature only when the log has a key.
//
//   - record_id: the first 24 hex digits of the SHA-256 of the request
//     (unredacted), the response without its go-daemon-evidence
//     reference, and the timestamp, each JSON-encoded on a line of its
//     own. The response, as logged and as returned, ends its
//     evidence_refs with go-daemon-evidence://<record_id>.
//   - record_hash: hex SHA-256 of the record without record_hash and
//     signature.
//   - signature.value: hex HMAC-SHA256, with the log's key, of
//     "cavra.go-daemon.evidence.v1\n<previous_hash>\n<record_hash>".
//
// So each record's hash covers the previous one's, and a signature
// covers the chain up to it. CAVRA's --verify-evidence accepts a log this
// package writes, and Verify accepts CAVRA's, unless, checked with a key,
// it ends in unsigned records, which no signature covers (see Verify).
//
// # Durability
//
// Append returns only once the record is on disk (written and synced).
// Records from concurrent callers are committed in groups: one writer
// takes every record waiting, writes them with one write call and syncs
// once, so throughput grows with the number of callers while each
// decision still waits for its own record. A crash loses at most records
// nobody was told about; they leave an incomplete last line, which Open
// cuts off, appending a recovery record (event_type
// cavra.runtime.evidence_recovery, response.reason saying how many
// bytes were dropped, and their SHA-256) so that the loss is on the
// chain. Only one process may append to a log: Open locks the file
// where the platform allows it (not on Windows).
package evidence

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/runtime/policy"
)

// Schema is the schema_version of every record.
const Schema = "cavra.go-daemon.evidence.v1"

// Event types.
const (
	EventDecision = "cavra.go_daemon.decision"
	EventRecovery = "cavra.runtime.evidence_recovery"
)

// SignatureAlgorithm is the only signature algorithm.
const SignatureAlgorithm = "HMAC-SHA256"

// MaxRecordSize bounds one record line, in bytes, newline excluded.
const MaxRecordSize = 8 << 20

// Entry is one record on its way to the log. NewEntry prepares it; the
// log gives it its place in the chain.
type Entry struct {
	pre  []byte // {"schema_version":…,"record_id":"…"
	post []byte // "timestamp":…,"request":…,"response":…
	seq  int64
	done chan struct{}
	err  error
}

// RecordID computes a record id as CAVRA does: the first 24 hex digits
// of the SHA-256 of reqV1, respV1 and the timestamp, each followed by a
// newline (the JSON encodings of the request, the response before its
// go-daemon-evidence reference, and the time as a JSON string).
func RecordID(reqV1, respV1 []byte, t time.Time) [24]byte {
	h := sha256.New()
	h.Write(reqV1)
	h.Write([]byte{'\n'})
	h.Write(respV1)
	h.Write([]byte{'\n', '"'})
	var tb [40]byte
	h.Write(t.UTC().AppendFormat(tb[:0], time.RFC3339Nano))
	h.Write([]byte{'"', '\n'})
	var sum [32]byte
	var id [24]byte
	hex.Encode(id[:], h.Sum(sum[:0])[:12])
	return id
}

// Record prepares the evidence of decision d for req: it sets d's
// record id (so that its evidence_refs end with the go-daemon-evidence
// reference) and returns the entry to append. buf is scratch space.
func Record(req *policy.Request, d *policy.Decision, buf []byte) *Entry {
	reqV1 := req.AppendV1(buf[:0], false)
	n := len(reqV1)
	d.HasRecord = false
	respBefore := d.AppendV1(reqV1)
	d.RecordID = RecordID(reqV1, respBefore[n:], d.Time)
	d.HasRecord = true
	return newEntry(EventDecision, d.RecordID, d.Time, req.AppendV1(respBefore[:0], true), d)
}

func newEntry(event string, id [24]byte, t time.Time, reqJSON []byte, d *policy.Decision) *Entry {
	e := &Entry{done: make(chan struct{})}
	e.pre = append(e.pre, `{"schema_version":"`+Schema+`","product":"CAVRA","event_type":"`...)
	e.pre = append(e.pre, event...)
	e.pre = append(e.pre, `","record_id":"`...)
	e.pre = append(e.pre, id[:]...)
	e.pre = append(e.pre, '"')
	e.post = append(e.post, `"timestamp":"`...)
	e.post = t.UTC().AppendFormat(e.post, time.RFC3339Nano)
	e.post = append(e.post, `","request":`...)
	e.post = append(e.post, reqJSON...)
	e.post = append(e.post, `,"response":`...)
	e.post = d.AppendV1(e.post)
	return e
}

// Wait waits until the entry is on disk, and returns the error that kept
// it off if there was one.
func (e *Entry) Wait() error {
	<-e.done
	return e.err
}

// Seq returns the entry's sequence number, once Wait has returned nil.
func (e *Entry) Seq() int64 { return e.seq }

// seal builds the record line for sequence seq after prev, with the
// signature if key is set, appending it to b. It returns the record hash.
func (e *Entry) seal(b []byte, seq int64, prev string, key []byte, keyID string) ([]byte, string) {
	start := len(b)
	b = append(b, e.pre...)
	b = append(b, `,"sequence":`...)
	b = strconv.AppendInt(b, seq, 10)
	if prev != "" {
		b = append(b, `,"previous_hash":"`...)
		b = append(b, prev...)
		b = append(b, '"')
	}
	mid := len(b)
	h := sha256.New()
	h.Write(b[start:mid])
	h.Write([]byte{','})
	h.Write(e.post)
	h.Write([]byte{'}'})
	var sum [32]byte
	hash := hex.EncodeToString(h.Sum(sum[:0]))
	b = append(b, `,"record_hash":"`...)
	b = append(b, hash...)
	b = append(b, `",`...)
	b = append(b, e.post...)
	if key != nil {
		b = append(b, `,"signature":{"algorithm":"`+SignatureAlgorithm+`"`...)
		if keyID != "" {
			b = append(b, `,"key_id":"`...)
			b = strictjson.AppendEscaped(b, keyID)
			b = append(b, '"')
		}
		b = append(b, `,"value":"`...)
		b = append(b, Sign(key, prev, hash)...)
		b = append(b, `"}`...)
	}
	return append(b, '}', '\n'), hash
}

// Sign returns the hex HMAC-SHA256 signature of a record.
func Sign(key []byte, prev, hash string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(Schema + "\n" + prev + "\n" + hash))
	return hex.EncodeToString(m.Sum(nil))
}

// RecordResponse records, in l, a response a daemon sent for req (as the
// --daemon client does with its own --evidence-log), and returns the
// response with its go-daemon-evidence reference added.
func RecordResponse(l *Log, req *policy.Request, resp []byte, t time.Time) ([]byte, error) {
	var r recResp
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("evidence: response is not a DecisionResponse: %w", err)
	}
	before, _ := json.Marshal(&r)
	id := RecordID(req.AppendV1(nil, false), before, t)
	ref := "go-daemon-evidence://" + string(id[:])
	if !slices.Contains(r.EvidenceRefs, ref) {
		r.EvidenceRefs = append(r.EvidenceRefs, ref)
	}
	after, _ := json.Marshal(&r)
	e := &Entry{done: make(chan struct{})}
	e.pre = fmt.Appendf(nil, `{"schema_version":"%s","product":"CAVRA","event_type":"%s","record_id":"%s"`, Schema, EventDecision, id[:])
	e.post = append(e.post, `"timestamp":"`...)
	e.post = t.UTC().AppendFormat(e.post, time.RFC3339Nano)
	e.post = append(e.post, `","request":`...)
	e.post = req.AppendV1(e.post, true)
	e.post = append(e.post, `,"response":`...)
	e.post = append(e.post, after...)
	if err := l.Append(e); err != nil {
		return nil, err
	}
	return after, nil
}
