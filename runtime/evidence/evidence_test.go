package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/policy"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.UTC)

// decision makes a decision for req as the enforcer would.
func decision(req *policy.Request, i int) policy.Decision {
	eng, _ := policy.NewEngine(policy.Config{})
	d := policy.NewDecision(req, eng.Evaluate(req))
	d.Time = t0.Add(time.Duration(i) * time.Millisecond)
	copy(d.ID[:], "0123456789ab")
	copy(d.Corr[:], "ba9876543210")
	return d
}

func writeLog(t *testing.T, n int, opt Options) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "sub", "e.jsonl")
	l, err := Open(name, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		req := policy.Request{SessionID: "s", ActionType: policy.ReadFile, Target: "f<&>" + string(rune('a'+i))}
		d := decision(&req, i)
		if err := l.Append(Record(&req, &d, nil)); err != nil {
			t.Fatal(err)
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
	return bytes.SplitAfter(data, []byte("\n"))[:bytes.Count(data, []byte("\n"))]
}

func writeLines(t *testing.T, name string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(name, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, name string, opt VerifyOptions) Report {
	t.Helper()
	r, err := VerifyFile(name, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAppendVerify(t *testing.T) {
	name := writeLog(t, 3, Options{Key: []byte("k"), KeyID: "kid"})
	r := verify(t, name, VerifyOptions{Key: []byte("k"), KeyID: "kid"})
	if !r.Valid || r.Records != 3 || r.SignedRecords != 3 || r.Path != name {
		t.Fatalf("got %+v, want a valid log of 3 signed records", r)
	}
	fi, _ := os.Stat(name)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: got %v, want 0600", fi.Mode().Perm())
	}
	// Reopen: the chain goes on.
	l, err := Open(name, Options{Key: []byte("k"), KeyID: "kid"})
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := l.Head(); seq != 3 {
		t.Errorf("reopened head: got %d, want 3", seq)
	}
	req := policy.Request{ActionType: policy.WriteFile, Target: "x"}
	d := decision(&req, 9)
	e := Record(&req, &d, nil)
	if err := l.Append(e); err != nil || e.Seq() != 4 {
		t.Fatalf("append after reopen: seq %d, %v", e.Seq(), err)
	}
	l.Close()
	if r := verify(t, name, VerifyOptions{Key: []byte("k")}); !r.Valid || r.Records != 4 {
		t.Errorf("after reopen: got %+v", r)
	}
	// The record is CAVRA's: fields, response and reference.
	var rc rec
	json.Unmarshal(readLines(t, name)[3], &rc)
	if rc.SchemaVersion != Schema || rc.Product != "CAVRA" || rc.EventType != EventDecision || rc.Sequence != 4 ||
		rc.Response.RuleID != "filesystem.write.allow" || rc.Signature == nil || rc.Signature.KeyID != "kid" ||
		rc.Response.EvidenceRefs[1] != "go-daemon-evidence://"+rc.RecordID || string(d.RecordID[:]) != rc.RecordID {
		t.Errorf("record: got %+v", rc)
	}
}

// TestCAVRACompatible checks records against CAVRA's own algorithm,
// redone here with encoding/json over its structs: the record id over
// the request, the response before its reference and the timestamp; the
// hash over the record without hash and signature; the signature over
// schema, previous hash and hash.
func TestCAVRACompatible(t *testing.T) {
	name := writeLog(t, 2, Options{Key: []byte("key")})
	lines := readLines(t, name)
	for i, line := range lines {
		var rc rec
		if err := json.Unmarshal(line, &rc); err != nil {
			t.Fatal(err)
		}
		resp := rc.Response
		resp.EvidenceRefs = resp.EvidenceRefs[:len(resp.EvidenceRefs)-1]
		h := sha256.New()
		enc := json.NewEncoder(h)
		enc.Encode(rc.Request)
		enc.Encode(resp)
		enc.Encode(rc.Timestamp)
		if id := hex.EncodeToString(h.Sum(nil))[:24]; id != rc.RecordID {
			t.Errorf("record %d: id %s, CAVRA's %s", i+1, rc.RecordID, id)
		}
		c := rc
		c.RecordHash, c.Signature = "", nil
		b, _ := json.Marshal(c)
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != rc.RecordHash {
			t.Errorf("record %d: hash differs from CAVRA's", i+1)
		}
		full, _ := json.Marshal(rc)
		if !bytes.Equal(append(full, '\n'), line) {
			t.Errorf("record %d:\n got %s\nwant %s", i+1, line, full)
		}
	}
	// And a log written by CAVRA's algorithm verifies here.
	var prev string
	var out []byte
	for i := range 3 {
		rc := rec{SchemaVersion: Schema, Product: "CAVRA", EventType: EventDecision, RecordID: "0123456789abcdef01234567",
			Sequence: i + 1, PreviousHash: prev, Timestamp: t0.Format(time.RFC3339Nano),
			Request:  recRequest{ActionType: "execute_command", Target: "a <b>"},
			Response: recResp{Decision: "allow", EvidenceRefs: []string{"x"}}}
		rc.RecordHash = recordHash(&rc)
		rc.Signature = &recSig{Algorithm: "HMAC-SHA256", KeyID: "k1", Value: Sign([]byte("key"), prev, rc.RecordHash)}
		b, _ := json.Marshal(rc)
		out = append(append(out, b...), '\n')
		prev = rc.RecordHash
	}
	os.WriteFile(name, out, 0o600)
	if r := verify(t, name, VerifyOptions{Key: []byte("key"), KeyID: "k1"}); !r.Valid || r.SignedRecords != 3 {
		t.Errorf("CAVRA-written log: got %+v", r)
	}
}

// TestRequestV1 checks the request as logged against encoding/json of
// CAVRA's EvaluateRequest, with an OIDC token redacted.
func TestRequestV1(t *testing.T) {
	for _, in := range []string{
		`{"session_id":"s","agent_id":"a<","actor":"x","action_type":"read_file","target":"t","requested_operation":"r","policy_pack":"p","operation":"dropped","server":"dropped"}`,
		`{"release_governance":{"metadata_kind":"k","approval_required_count":3,"delivery_success":true,"failed_providers":["a","b<"],"evidence_refs":["e1","e2","e3"],"rollback_reference_count":2,"audit_export_status":"ok"}}`,
		`{"release_governance":{}}`,
		`{"action_type":"release_governance_record","record":{"metadata_kind":"k","blocked_count":2.5,"approval":{"state":"x"}}}`,
		`{"runner_auth":{"identity":{"provider":"p","repository":"r"},"algorithm":"OIDC-JWT","key_id":"k","signature":"a.b.c"}}`,
		`{"runner_auth":{"algorithm":"HMAC-SHA256","signature":"abc"}}`,
	} {
		req, err := policy.Decode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		var want recRequest
		json.Unmarshal([]byte(in), &want)
		if req.Record != nil && !req.Typed { // an untyped record as the typed one it fills
			want.ReleaseGovernance = &recRG{MetadataKind: req.Record.Kind, BlockedCount: int(req.Record.Blocked)}
		}
		if want.RunnerAuth != nil && want.RunnerAuth.Algorithm == "OIDC-JWT" {
			want.RunnerAuth.Signature = "<redacted-oidc-jwt>"
		}
		wb, _ := json.Marshal(want)
		if got := req.AppendV1(nil, true); !bytes.Equal(got, wb) {
			t.Errorf("%s:\n got %s\nwant %s", in, got, wb)
		}
	}
}

func TestEmptyLog(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	os.WriteFile(name, nil, 0o600)
	if r := verify(t, name, VerifyOptions{}); r.Valid || len(r.Errors) != 1 || r.Errors[0] != "evidence stream is empty" {
		t.Errorf("got %+v", r)
	}
	if _, err := VerifyFile(filepath.Join(t.TempDir(), "missing"), VerifyOptions{}); err == nil {
		t.Errorf("missing file: got no error")
	}
}

func TestTamper(t *testing.T) {
	tests := []struct {
		name string
		edit func(lines [][]byte) [][]byte
		opt  VerifyOptions
		want string
	}{
		{"edited response", func(l [][]byte) [][]byte {
			l[1] = bytes.Replace(l[1], []byte(`"allow"`), []byte(`"block"`), 1)
			return l
		}, VerifyOptions{Key: []byte("k")}, "record 2 hash mismatch"},
		{"deleted record", func(l [][]byte) [][]byte { return append(l[:1], l[2:]...) }, VerifyOptions{Key: []byte("k")}, "record 2 sequence mismatch: got 3 want 2"},
		{"reordered", func(l [][]byte) [][]byte { l[1], l[2] = l[2], l[1]; return l }, VerifyOptions{Key: []byte("k")}, "record 2 previous hash mismatch"},
		{"extra member", func(l [][]byte) [][]byte {
			l[0] = bytes.Replace(l[0], []byte(`"product":"CAVRA",`), []byte(`"product":"CAVRA","note":"x",`), 1)
			return l
		}, VerifyOptions{Key: []byte("k")}, "record 1 is not in canonical form"},
		{"re-spaced", func(l [][]byte) [][]byte {
			l[0] = bytes.Replace(l[0], []byte(`"product":"CAVRA"`), []byte(`"product": "CAVRA"`), 1)
			return l
		}, VerifyOptions{Key: []byte("k")}, "record 1 is not in canonical form"},
		{"wrong key", func(l [][]byte) [][]byte { return l }, VerifyOptions{Key: []byte("other")}, "record 1 signature mismatch"},
		{"wrong key id", func(l [][]byte) [][]byte { return l }, VerifyOptions{Key: []byte("k"), KeyID: "x"}, "record 1 signature key_id mismatch"},
		{"no key", func(l [][]byte) [][]byte { return l }, VerifyOptions{}, "record 1 signature present but verification key was not provided"},
		{"signature stripped", func(l [][]byte) [][]byte {
			i := bytes.Index(l[2], []byte(`,"signature"`))
			l[2] = append(l[2][:i:i], "}\n"...)
			return l
		}, VerifyOptions{Key: []byte("k")}, "record 3 is not signed, and no signed record follows it, so no signature covers it"},
		{"truncated", func(l [][]byte) [][]byte { l[2] = l[2][:40]; return l }, VerifyOptions{Key: []byte("k")}, "record 3 is incomplete"},
		{"not JSON", func(l [][]byte) [][]byte { l[1] = []byte("x\n"); return l }, VerifyOptions{Key: []byte("k")}, "record 2 is not valid JSON"},
		{"schema", func(l [][]byte) [][]byte {
			l[0] = bytes.Replace(l[0], []byte(Schema), []byte("x"), 1)
			return l
		}, VerifyOptions{Key: []byte("k")}, "record 1 schema mismatch: x"},
	}
	for _, tt := range tests {
		name := writeLog(t, 3, Options{Key: []byte("k")})
		writeLines(t, name, tt.edit(readLines(t, name)))
		r := verify(t, name, tt.opt)
		if r.Valid || !strings.Contains(strings.Join(r.Errors, "\n"), tt.want) {
			t.Errorf("%s: got %+v, want invalid with %q", tt.name, r, tt.want)
		}
	}
	// With a key, unsigned records are accepted where a signed record
	// follows them, its signature covering them through the chain, as
	// CAVRA accepts them; unsigned records at the end are not.
	name := writeLog(t, 3, Options{Key: []byte("k")})
	l := readLines(t, name)
	i := bytes.Index(l[1], []byte(`,"signature"`))
	l[1] = append(l[1][:i:i], "}\n"...)
	writeLines(t, name, l)
	if r := verify(t, name, VerifyOptions{Key: []byte("k")}); !r.Valid || r.SignedRecords != 2 {
		t.Errorf("unsigned record between signed ones: got %+v, want valid", r)
	}
	name = writeLog(t, 2, Options{})
	if r := verify(t, name, VerifyOptions{Key: []byte("k")}); r.Valid || len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0], "records 1 to 2 are not signed") {
		t.Errorf("unsigned log checked with a key: got %+v, want invalid, records 1 to 2 not signed", r)
	}
	keyed, err := Open(name, Options{Key: []byte("k")}) // the key came later
	if err != nil {
		t.Fatal(err)
	}
	req := policy.Request{ActionType: policy.ReadFile, Target: "x"}
	d := decision(&req, 9)
	if err := keyed.Append(Record(&req, &d, nil)); err != nil || keyed.Close() != nil {
		t.Fatal(err)
	}
	if r := verify(t, name, VerifyOptions{Key: []byte("k")}); !r.Valid || r.Records != 3 || r.SignedRecords != 1 {
		t.Errorf("log signed from its third record: got %+v, want valid", r)
	}
	// Blank lines are skipped, as CAVRA skips them.
	name = writeLog(t, 2, Options{})
	l = readLines(t, name)
	writeLines(t, name, [][]byte{l[0], []byte("\n  \n"), l[1]})
	if r := verify(t, name, VerifyOptions{}); !r.Valid {
		t.Errorf("blank lines: got %+v", r)
	}
}

func TestRecovery(t *testing.T) {
	name := writeLog(t, 2, Options{})
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"schema_version":"cavra.go-daemon`)
	f.Close()
	if r := verify(t, name, VerifyOptions{}); r.Valid {
		t.Fatalf("incomplete line: got valid")
	}
	l, err := Open(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	r := verify(t, name, VerifyOptions{})
	if !r.Valid || r.Records != 3 {
		t.Fatalf("after recovery: got %+v", r)
	}
	var rc rec
	json.Unmarshal(readLines(t, name)[2], &rc)
	if rc.EventType != EventRecovery || !strings.Contains(rc.Response.Reason, "34 bytes") {
		t.Errorf("recovery record: got %+v", rc)
	}
}

func TestOpenRefusesDamagedTail(t *testing.T) {
	name := writeLog(t, 2, Options{})
	lines := readLines(t, name)
	lines[1] = bytes.Replace(lines[1], []byte(`"allow"`), []byte(`"block"`), 1)
	writeLines(t, name, lines)
	if _, err := Open(name, Options{}); err == nil || !strings.Contains(err.Error(), "does not match its record_hash") {
		t.Errorf("got %v, want a hash error", err)
	}
	os.WriteFile(name, []byte("garbage\n"), 0o600)
	if _, err := Open(name, Options{}); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("got %v, want a JSON error", err)
	}
}

func TestLocked(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Open(name, Options{}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second Open: got %v, want locked", err)
	}
}

// TestGroupCommit appends from many goroutines: every record is on the
// chain, in one of fewer writes than records.
func TestGroupCommit(t *testing.T) {
	name := filepath.Join(t.TempDir(), "e.jsonl")
	l, err := Open(name, Options{Key: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req := policy.Request{ActionType: policy.ExecuteCommand, Target: "ls"}
				d := decision(&req, w*each+i)
				if err := l.Append(Record(&req, &d, nil)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	batches, records := l.Stats()
	l.Close()
	if records != workers*each || batches >= records {
		t.Errorf("got %d records in %d writes, want %d in fewer", records, batches, workers*each)
	}
	if r := verify(t, name, VerifyOptions{Key: []byte("k")}); !r.Valid || r.Records != workers*each {
		t.Errorf("got %+v", r)
	}
}

func TestClosedLogRefuses(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "e.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	req := policy.Request{ActionType: policy.ReadFile, Target: "a"}
	d := decision(&req, 0)
	if err := l.Append(Record(&req, &d, nil)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("got %v, want a closed error", err)
	}
}
