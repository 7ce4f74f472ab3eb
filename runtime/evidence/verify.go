package evidence

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cavra/cavra/runtime/policy"
)

// rec mirrors CAVRA's EvidenceRecord, field for field and in order, so
// that encoding/json gives the bytes CAVRA hashes.
type rec struct {
	SchemaVersion string     `json:"schema_version"`
	Product       string     `json:"product"`
	EventType     string     `json:"event_type"`
	RecordID      string     `json:"record_id"`
	Sequence      int        `json:"sequence"`
	PreviousHash  string     `json:"previous_hash,omitempty"`
	RecordHash    string     `json:"record_hash,omitempty"`
	Timestamp     string     `json:"timestamp"`
	Request       recRequest `json:"request"`
	Response      recResp    `json:"response"`
	Signature     *recSig    `json:"signature,omitempty"`
}

type recRequest struct {
	SessionID          string      `json:"session_id,omitempty"`
	AgentID            string      `json:"agent_id,omitempty"`
	Actor              string      `json:"actor,omitempty"`
	ActionType         string      `json:"action_type,omitempty"`
	Target             string      `json:"target,omitempty"`
	RequestedOperation string      `json:"requested_operation,omitempty"`
	PolicyPack         string      `json:"policy_pack,omitempty"`
	ReleaseGovernance  *recRG      `json:"release_governance,omitempty"`
	RunnerAuth         *recRunAuth `json:"runner_auth,omitempty"`
}

type recRG struct {
	MetadataKind                  string   `json:"metadata_kind,omitempty"`
	ReleaseChannel                string   `json:"release_channel,omitempty"`
	ReleaseVersion                string   `json:"release_version,omitempty"`
	ApprovalState                 string   `json:"approval_state,omitempty"`
	ApprovalID                    string   `json:"approval_id,omitempty"`
	ApprovalRequiredCount         int      `json:"approval_required_count,omitempty"`
	DeliverySuccess               bool     `json:"delivery_success,omitempty"`
	FailedProviders               []string `json:"failed_providers,omitempty"`
	FailedDeliveryCount           int      `json:"failed_delivery_count,omitempty"`
	ConnectorDeliveryFailureCount int      `json:"connector_delivery_failure_count,omitempty"`
	AlertLevel                    string   `json:"alert_level,omitempty"`
	DriftStatus                   string   `json:"drift_status,omitempty"`
	HandoffStatus                 string   `json:"handoff_status,omitempty"`
	BlockedCount                  int      `json:"blocked_count,omitempty"`
	CriticalCount                 int      `json:"critical_count,omitempty"`
	BreachedCount                 int      `json:"breached_count,omitempty"`
	DriftedEndpointCount          int      `json:"drifted_endpoint_count,omitempty"`
	MissingTargetCount            int      `json:"missing_target_count,omitempty"`
	EvidenceRefs                  []string `json:"evidence_refs,omitempty"`
	ConnectorDeliverySource       string   `json:"connector_delivery_source,omitempty"`
	VerificationStatus            string   `json:"verification_status,omitempty"`
	IntegrityStatus               string   `json:"integrity_status,omitempty"`
	FailedVerificationCount       int      `json:"failed_verification_count,omitempty"`
	IntegrityFailureCount         int      `json:"integrity_failure_count,omitempty"`
	AuditExportStatus             string   `json:"audit_export_status,omitempty"`
	RollbackReferenceCount        int      `json:"rollback_reference_count,omitempty"`
}

type recRunAuth struct {
	Identity  recIdentity `json:"identity,omitempty"`
	Algorithm string      `json:"algorithm,omitempty"`
	KeyID     string      `json:"key_id,omitempty"`
	Signature string      `json:"signature,omitempty"`
}

type recIdentity struct {
	Provider   string `json:"provider,omitempty"`
	Repository string `json:"repository,omitempty"`
	Workflow   string `json:"workflow,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	RunAttempt string `json:"run_attempt,omitempty"`
	Ref        string `json:"ref,omitempty"`
	SHA        string `json:"sha,omitempty"`
	Actor      string `json:"actor,omitempty"`
	Job        string `json:"job,omitempty"`
	RunnerName string `json:"runner_name,omitempty"`
}

// recResp is CAVRA's DecisionResponse v1.
type recResp = policy.Response

type recSig struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id,omitempty"`
	Value     string `json:"value"`
}

// recordHash is the hex SHA-256 of the record without record_hash and
// signature, as encoding/json writes it.
func recordHash(r *rec) string {
	c := *r
	c.RecordHash, c.Signature = "", nil
	data, _ := json.Marshal(&c)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Report is the result of verifying a log, in CAVRA's form.
type Report struct {
	Path          string   `json:"path"`             // the log
	Valid         bool     `json:"valid"`            // every check passed
	Records       int      `json:"records"`          // records read
	SignedRecords int      `json:"signed_records"`   // records with a signature
	Errors        []string `json:"errors,omitempty"` // what failed, and where
}

// VerifyOptions say which key signatures are checked with.
type VerifyOptions struct {
	// Key checks signatures; without it a signed record is an error
	// (as in CAVRA). With it, the last record must be signed: a
	// signature covers its record and, through previous_hash, every
	// record before it, so unsigned records before a signed one (a log
	// whose key came later) are covered, and only unsigned records at
	// the end, which anyone able to write the file could have added or
	// rewritten, are an error.
	Key   []byte
	KeyID string // if set, signatures must name this key id
}

// VerifyFile verifies the log in the named file. The error is for a
// file that cannot be read; a log that fails a check gives a report with
// Valid false and the errors.
func VerifyFile(name string, opt VerifyOptions) (Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return Report{Path: name}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	r, err := Verify(f, opt)
	r.Path = name
	return r, err
}

// Verify checks every record of a log: CAVRA's checks (schema, sequence
// from 1 without gaps, previous_hash chain, record_hash, and for signed
// records algorithm, key, key id and value; a log with no records is
// invalid), and three more: each line must be exactly the canonical
// encoding of its record (so a member added, repeated in any spelling,
// reordered or re-spaced is found, where a decoder would drop it unseen
// or read it another way than the hash did), the last line must be
// complete, and with a key the last record must be signed (see
// VerifyOptions.Key). Blank lines are skipped, as CAVRA skips them.
func Verify(r io.Reader, opt VerifyOptions) (Report, error) {
	rep := Report{Valid: true}
	fail := func(format string, args ...any) {
		rep.Valid = false
		rep.Errors = append(rep.Errors, fmt.Sprintf(format, args...))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	prev := ""
	want, unsigned := 1, 0 // unsigned: the first of the unsigned records at the end
	for {
		line, complete, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("evidence: read: %w", err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rep.Records++
		n := rep.Records
		if !complete {
			fail("record %d is incomplete (no newline): a write was interrupted", n)
		}
		if len(line) > MaxRecordSize {
			fail("record %d is longer than %d bytes", n, MaxRecordSize)
			continue
		}
		var rc rec
		if err := json.Unmarshal(line, &rc); err != nil {
			fail("record %d is not valid JSON: %v", n, err)
			continue
		}
		if rc.SchemaVersion != Schema {
			fail("record %d schema mismatch: %s", n, rc.SchemaVersion)
		}
		if rc.Sequence != want {
			fail("record %d sequence mismatch: got %d want %d", n, rc.Sequence, want)
		}
		if rc.PreviousHash != prev {
			fail("record %d previous hash mismatch", n)
		}
		if rc.RecordHash != recordHash(&rc) {
			fail("record %d hash mismatch", n)
		}
		if canon, _ := json.Marshal(&rc); !bytes.Equal(bytes.TrimRight(line, "\r"), canon) {
			fail("record %d is not in canonical form: it was edited or has members the record format does not have", n)
		}
		switch s := rc.Signature; {
		case s != nil:
			rep.SignedRecords++
			unsigned = 0
			if s.Algorithm != SignatureAlgorithm {
				fail("record %d signature algorithm mismatch", n)
			}
			if opt.Key == nil {
				fail("record %d signature present but verification key was not provided", n)
				break
			}
			if opt.KeyID != "" && s.KeyID != opt.KeyID {
				fail("record %d signature key_id mismatch", n)
			}
			if !hmac.Equal([]byte(strings.ToLower(s.Value)), []byte(Sign(opt.Key, rc.PreviousHash, rc.RecordHash))) {
				fail("record %d signature mismatch", n)
			}
		case unsigned == 0:
			unsigned = n
		}
		prev = rc.RecordHash
		want++
	}
	switch {
	case rep.Records == 0:
		fail("evidence stream is empty")
	case opt.Key != nil && unsigned == rep.Records && unsigned > 0:
		fail("record %d is not signed, and no signed record follows it, so no signature covers it", unsigned)
	case opt.Key != nil && unsigned > 0:
		fail("records %d to %d are not signed, and no signed record follows them, so no signature covers them", unsigned, rep.Records)
	}
	return rep, nil
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
