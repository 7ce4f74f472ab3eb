package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
)

// MaxRequestSize is the largest encoded request, in bytes, that Decode
// accepts (1 MiB). Line readers use it as their line bound.
const MaxRequestSize = 1 << 20

// ErrTooLarge is returned for a request longer than MaxRequestSize.
var ErrTooLarge = errors.New("request larger than 1 MiB")

// Request is one action an agent wants to take: the union of CAVRA's
// runtime request and its EvaluateRequest v1 (see the package
// documentation for which members each action uses).
type Request struct {
	SessionID          string // session_id: who asks, with AgentID and Actor
	AgentID            string // agent_id
	Actor              string // actor
	ActionType         string // action_type: read_file, execute_command, …
	Target             string // target: the path, command line or branch
	Operation          string // operation (runtime request only)
	RequestedOperation string // requested_operation
	PolicyPack         string // policy_pack: the pack asked for
	Server             string // server of an MCP call (runtime request only)
	Tool               string // tool of an MCP call (runtime request only)
	Capability         string // capability of an MCP call (runtime request only)

	// Record is the release-governance payload, from "record" (untyped)
	// or "release_governance" (typed); nil if there is none.
	Record *Record
	// Typed is set when the request carried "release_governance". As
	// in CAVRA, such a request is read as an EvaluateRequest v1:
	// operation, server, tool and capability are dropped.
	Typed bool
	// RunnerAuth is the runner's proof of identity, for daemons that
	// require one; nil if absent.
	RunnerAuth *RunnerAuth
}

// Action returns the action type the request is decided as: its
// action_type, or release_governance_record for an EvaluateRequest v1
// that has none but carries a release_governance payload.
func (r *Request) Action() string {
	if r.ActionType == "" && r.Typed && r.Record != nil {
		return ReleaseGovernanceRecord
	}
	return r.ActionType
}

// Op returns the operation as CAVRA reads it: operation, else
// requested_operation, else capability.
func (r *Request) Op() string {
	switch {
	case r.Operation != "":
		return r.Operation
	case r.RequestedOperation != "":
		return r.RequestedOperation
	}
	return r.Capability
}

// RunnerAuth is the runner_auth member of a request.
type RunnerAuth struct {
	Identity  RunnerIdentity // the CI run
	Algorithm string         // HMAC-SHA256 or OIDC-JWT
	KeyID     string         // the key's id, or the token's kid
	Signature string         // hex HMAC of the identity, or the OIDC token
}

// RunnerIdentity names the CI run a request comes from.
type RunnerIdentity struct {
	Provider, Repository, Workflow, RunID, RunAttempt string // the CI provider, repository, workflow and run
	Ref, SHA, Actor, Job, RunnerName                  string // what it runs on, for whom, and where
}

// Fields returns the identity's members in v1 order, with their names.
func (id *RunnerIdentity) Fields() (f [10]struct{ Name, Value string }) {
	for i, n := range identityNames {
		f[i].Name, f[i].Value = n, *id.field(i)
	}
	return f
}

func (id *RunnerIdentity) field(i int) *string {
	return [...]*string{&id.Provider, &id.Repository, &id.Workflow, &id.RunID, &id.RunAttempt,
		&id.Ref, &id.SHA, &id.Actor, &id.Job, &id.RunnerName}[i]
}

var identityNames = [...]string{"provider", "repository", "workflow", "run_id", "run_attempt",
	"ref", "sha", "actor", "job", "runner_name"}

// Record is a release-governance record, read as CAVRA reads it. String
// members hold the value as text (trimmed when evaluated); counts and
// the delivery flag are what CAVRA's lenient reading makes of them.
type Record struct {
	Members int // members the payload had; 0 means none

	Kind, ReleaseChannel, ReleaseVersion            string   // metadata_kind, release_channel, release_version
	ApprovalState, ApprovalID                       string   // approval_state, approval_id
	AlertLevel, DriftStatus, HandoffStatus          string   // alert_level, drift_status, handoff_status
	VerificationStatus, IntegrityStatus             string   // verification_status, integrity_status
	AuditExportStatus, ConnectorDeliverySource      string   // audit_export_status, connector_delivery_source
	NestedState, NestedApprovalID                   string   // approval.state, approval.approval_id
	DeliverySuccess                                 bool     // delivery_success
	ApprovalRequired, FailedDelivery, ConnectorFail int64    // approval_required_count, failed_delivery_count, connector_delivery_failure_count
	Blocked, Critical, Breached                     int64    // blocked_count, critical_count, breached_count
	DriftedEndpoints, MissingTargets                int64    // drifted_endpoint_count, missing_target_count
	FailedVerification, IntegrityFailures           int64    // failed_verification_count, integrity_failure_count
	RollbackRefs                                    int64    // rollback_reference_count
	FailedProviders, EvidenceRefs                   []string // failed_providers, evidence_refs
}

// recordField describes one member of ReleaseGovernanceEvidence v1.
type recordField struct {
	name string
	kind byte // 's' string, 'i' integer, 'b' bool, 'l' list
	s    func(*Record) *string
	i    func(*Record) *int64
	l    func(*Record) *[]string
}

// recordFields lists ReleaseGovernanceEvidence v1 in proto order.
var recordFields = [...]recordField{
	{name: "metadata_kind", kind: 's', s: func(r *Record) *string { return &r.Kind }},
	{name: "release_channel", kind: 's', s: func(r *Record) *string { return &r.ReleaseChannel }},
	{name: "release_version", kind: 's', s: func(r *Record) *string { return &r.ReleaseVersion }},
	{name: "approval_state", kind: 's', s: func(r *Record) *string { return &r.ApprovalState }},
	{name: "approval_id", kind: 's', s: func(r *Record) *string { return &r.ApprovalID }},
	{name: "approval_required_count", kind: 'i', i: func(r *Record) *int64 { return &r.ApprovalRequired }},
	{name: "delivery_success", kind: 'b'},
	{name: "failed_providers", kind: 'l', l: func(r *Record) *[]string { return &r.FailedProviders }},
	{name: "failed_delivery_count", kind: 'i', i: func(r *Record) *int64 { return &r.FailedDelivery }},
	{name: "connector_delivery_failure_count", kind: 'i', i: func(r *Record) *int64 { return &r.ConnectorFail }},
	{name: "alert_level", kind: 's', s: func(r *Record) *string { return &r.AlertLevel }},
	{name: "drift_status", kind: 's', s: func(r *Record) *string { return &r.DriftStatus }},
	{name: "handoff_status", kind: 's', s: func(r *Record) *string { return &r.HandoffStatus }},
	{name: "blocked_count", kind: 'i', i: func(r *Record) *int64 { return &r.Blocked }},
	{name: "critical_count", kind: 'i', i: func(r *Record) *int64 { return &r.Critical }},
	{name: "breached_count", kind: 'i', i: func(r *Record) *int64 { return &r.Breached }},
	{name: "drifted_endpoint_count", kind: 'i', i: func(r *Record) *int64 { return &r.DriftedEndpoints }},
	{name: "missing_target_count", kind: 'i', i: func(r *Record) *int64 { return &r.MissingTargets }},
	{name: "evidence_refs", kind: 'l', l: func(r *Record) *[]string { return &r.EvidenceRefs }},
	{name: "connector_delivery_source", kind: 's', s: func(r *Record) *string { return &r.ConnectorDeliverySource }},
	{name: "verification_status", kind: 's', s: func(r *Record) *string { return &r.VerificationStatus }},
	{name: "integrity_status", kind: 's', s: func(r *Record) *string { return &r.IntegrityStatus }},
	{name: "failed_verification_count", kind: 'i', i: func(r *Record) *int64 { return &r.FailedVerification }},
	{name: "integrity_failure_count", kind: 'i', i: func(r *Record) *int64 { return &r.IntegrityFailures }},
	{name: "audit_export_status", kind: 's', s: func(r *Record) *string { return &r.AuditExportStatus }},
	{name: "rollback_reference_count", kind: 'i', i: func(r *Record) *int64 { return &r.RollbackRefs }},
}

// Members of a request, in the order of the v1 contract followed by the
// runtime request's own.
const (
	fSession = iota
	fAgent
	fActor
	fAction
	fTarget
	fRequestedOp
	fPack
	fReleaseGovernance
	fRunnerAuth
	fOperation
	fServer
	fTool
	fCapability
	fRecord
	nFields
)

var (
	requestNames = []string{"session_id", "agent_id", "actor", "action_type", "target", "requested_operation", "policy_pack", "release_governance", "runner_auth", "operation", "server", "tool", "capability", "record"}
	requestIndex = strictjson.NewNames(requestNames...)
	recordIndex  = func() *strictjson.Names {
		var l []string
		for i := range recordFields {
			l = append(l, recordFields[i].name)
		}
		return strictjson.NewNames(l...)
	}()
	identityIndex = strictjson.NewNames(identityNames[:]...)
	authIndex     = strictjson.NewNames("identity", "algorithm", "key_id", "signature")
)

func (r *Request) str(i int) *string {
	return [...]*string{fSession: &r.SessionID, fAgent: &r.AgentID, fActor: &r.Actor, fAction: &r.ActionType,
		fTarget: &r.Target, fRequestedOp: &r.RequestedOperation, fPack: &r.PolicyPack, fOperation: &r.Operation,
		fServer: &r.Server, fTool: &r.Tool, fCapability: &r.Capability, fRecord: nil}[i]
}

// Decode parses one request: a single JSON object, optionally surrounded
// by white space, by the rules of internal/strictjson (valid UTF-8, no
// NUL, no member given twice in any spelling, nothing after the object,
// at most MaxRequestSize bytes). It accepts every member of CAVRA's
// runtime request and EvaluateRequest v1 and is strict where laxness
// could change a decision:
//
//   - known members are matched ignoring case, as encoding/json matches
//     them (inside "record", whose keys CAVRA reads as a map, keys are
//     exact);
//   - string members must be JSON strings; release_governance members
//     must have their v1 types (strings, integers, a boolean, lists of
//     strings); record, release_governance and runner_auth must be
//     objects (or null, meaning absent);
//   - a request may not carry both record and release_governance.
//
// Unknown members are ignored, whatever their type. As in CAVRA, a
// request with release_governance is read as an EvaluateRequest v1: its
// operation, server, tool and capability are dropped, the typed payload
// becomes the record, and without an action_type the request is decided
// as a release_governance_record (see Request.Action).
func Decode(data []byte) (Request, error) {
	if len(data) > MaxRequestSize {
		return Request{}, ErrTooLarge
	}
	return DecodeString(string(data))
}

// DecodeString is Decode for a string. Members of the request share
// memory with s.
func DecodeString(s string) (Request, error) {
	var r Request
	if len(s) > MaxRequestSize {
		return r, ErrTooLarge
	}
	d, err := strictjson.NewScanner(s)
	if err != nil {
		return r, fmt.Errorf("request is %w", err)
	}
	switch k := d.Peek(); {
	case k == strictjson.Invalid && d.End() == nil:
		return r, errors.New("empty request")
	case k != strictjson.Object && k != strictjson.Invalid:
		return r, fmt.Errorf("request is a JSON %s, want an object", k)
	}
	var record *Record
	hasRecord := false
	err = d.Object(func(key string) error {
		i := requestIndex.Index(key)
		if i < 0 {
			return d.Skip()
		}
		var err error
		switch i {
		case fReleaseGovernance:
			var rec *Record
			rec, r.Typed, err = typedRecord(&d)
			if r.Typed && rec.Members > 0 {
				record = rec
			}
		case fRecord:
			var rec *Record
			rec, err = untypedRecord(&d)
			hasRecord = rec != nil
			if !r.Typed && rec != nil && rec.Members > 0 {
				record = rec
			}
		case fRunnerAuth:
			r.RunnerAuth, err = runnerAuth(&d)
		default:
			*r.str(i), err = stringMember(&d)
		}
		if err != nil {
			return fmt.Errorf("member %q: %w", requestNames[i], err)
		}
		return nil
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		var e *strictjson.Error
		if errors.As(err, &e) && e.Rule == nil {
			err = fmt.Errorf("bad JSON: %w", err)
		}
		return Request{}, err
	}
	if r.Typed && hasRecord {
		return Request{}, errors.New(`request has both "record" and "release_governance"; send one`)
	}
	if r.Typed {
		r.Operation, r.Server, r.Tool, r.Capability = "", "", "", ""
	}
	r.Record = record
	return r, nil
}

// stringMember reads a member that must be a string.
func stringMember(d *strictjson.Scanner) (string, error) {
	if k := d.Peek(); k != strictjson.String && k != strictjson.Invalid {
		return "", fmt.Errorf("is a JSON %s, want a string", k)
	}
	return d.String()
}

// object reads null (false) or the start of an object (true).
func object(d *strictjson.Scanner) (bool, error) {
	switch k := d.Peek(); {
	case d.Null():
		return false, nil
	case k != strictjson.Object && k != strictjson.Invalid:
		return false, fmt.Errorf("is a JSON %s, want an object", k)
	}
	return true, nil
}

// typedRecord reads release_governance: ReleaseGovernanceEvidence v1.
// ok is false for null.
func typedRecord(d *strictjson.Scanner) (rec *Record, ok bool, err error) {
	if ok, err = object(d); !ok {
		return nil, false, err
	}
	rec = &Record{}
	err = d.Object(func(key string) error {
		fi := recordIndex.Index(key)
		if fi < 0 {
			return d.Skip()
		}
		f := &recordFields[fi]
		n, err := f.typed(d, rec)
		if err != nil {
			return fmt.Errorf("member %q: %w", f.name, err)
		}
		rec.Members += n
		return nil
	})
	return rec, true, err
}

// typed reads the member's value with its v1 type, and returns 1 if it
// is not empty.
func (f *recordField) typed(d *strictjson.Scanner, rec *Record) (int, error) {
	k := d.Peek()
	switch {
	case f.kind == 's':
		if k != strictjson.String && k != strictjson.Invalid {
			return 0, fmt.Errorf("is a JSON %s, want a string", k)
		}
		v, err := d.String()
		*f.s(rec) = v
		return notEmpty(v != ""), err
	case f.kind == 'l':
		if k != strictjson.Array {
			return 0, fmt.Errorf("is a JSON %s, want a list of strings", k)
		}
		var l []string
		err := d.Array(func() error {
			v, err := stringMember(d)
			l = append(l, v)
			return err
		})
		*f.l(rec) = l
		return notEmpty(len(l) > 0), err
	case k == strictjson.Invalid:
		return 0, d.Skip()
	case f.kind == 'b' && k == strictjson.Bool:
		v, err := d.Bool()
		rec.DeliverySuccess = v
		return notEmpty(v), err
	case f.kind == 'i' && k == strictjson.Number:
		lit, err := d.Number()
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("is %s, want an integer", lit)
		}
		*f.i(rec) = n
		return notEmpty(n != 0), nil
	case f.kind == 'b':
		return 0, fmt.Errorf("is a JSON %s, want a boolean", k)
	}
	return 0, fmt.Errorf("is a JSON %s, want an integer", k)
}

func notEmpty(b bool) int {
	if b {
		return 1
	}
	return 0
}

// untypedRecord reads record, a JSON object read the way CAVRA reads its
// map: exact keys, values converted leniently (see Record). It returns
// nil for null.
func untypedRecord(d *strictjson.Scanner) (*Record, error) {
	if ok, err := object(d); !ok {
		return nil, err
	}
	rec := &Record{}
	err := d.Object(func(key string) error {
		rec.Members++
		if key == "approval" {
			if d.Peek() != strictjson.Object {
				return d.Skip()
			}
			return d.Object(func(key string) (err error) {
				switch key {
				case "state":
					rec.NestedState, err = lenientString(d)
				case "approval_id":
					rec.NestedApprovalID, err = lenientString(d)
				default:
					err = d.Skip()
				}
				return err
			})
		}
		i := recordIndex.Exact(key)
		if i < 0 {
			return d.Skip()
		}
		var err error
		switch f := &recordFields[i]; f.kind {
		case 's':
			*f.s(rec), err = lenientString(d)
		case 'i':
			*f.i(rec), err = lenientInt(d)
		case 'b':
			rec.DeliverySuccess, err = lenientBool(d)
		case 'l':
			*f.l(rec), err = lenientList(d)
		}
		return err
	})
	return rec, err
}

// lenientString reads any value as CAVRA's stringValue does: strings
// as they are, null as "", anything else as Go's fmt prints it.
func lenientString(d *strictjson.Scanner) (string, error) {
	switch d.Peek() {
	case strictjson.String:
		return d.String()
	case strictjson.Null:
		d.Null()
		return "", nil
	}
	start := d.Offset()
	if err := d.Skip(); err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal([]byte(d.Text(start)), &v); err != nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}

// lenientInt reads a count as CAVRA's intValue does: JSON numbers
// truncated towards zero, anything else 0. Values beyond the int64 range
// are clamped (Go's float-to-int conversion would make them negative).
func lenientInt(d *strictjson.Scanner) (int64, error) {
	if d.Peek() != strictjson.Number {
		return 0, d.Skip()
	}
	lit, err := d.Number()
	if err != nil {
		return 0, err
	}
	switch f, _ := strconv.ParseFloat(lit, 64); {
	case f >= 9.2e18:
		return 1<<63 - 1, nil
	case f <= -9.2e18:
		return -1 << 63, nil
	default:
		return int64(f), nil
	}
}

// lenientBool reads delivery_success as CAVRA's boolValue does.
func lenientBool(d *strictjson.Scanner) (bool, error) {
	switch d.Peek() {
	case strictjson.Bool:
		return d.Bool()
	case strictjson.String:
		v, err := d.String()
		switch normalizeState(v) {
		case "true", "yes", "success", "succeeded":
			return true, err
		}
		return false, err
	}
	return false, d.Skip()
}

// lenientList keeps the strings of a list (for evidence); other values
// are skipped.
func lenientList(d *strictjson.Scanner) ([]string, error) {
	if d.Peek() != strictjson.Array {
		return nil, d.Skip()
	}
	var l []string
	err := d.Array(func() error {
		if d.Peek() != strictjson.String {
			return d.Skip()
		}
		v, err := d.String()
		l = append(l, v)
		return err
	})
	return l, err
}

func runnerAuth(d *strictjson.Scanner) (*RunnerAuth, error) {
	if ok, err := object(d); !ok {
		return nil, err
	}
	ra := &RunnerAuth{}
	err := d.Object(func(key string) error {
		var err error
		switch authIndex.Index(key) {
		case 0:
			err = identity(d, &ra.Identity)
		case 1:
			ra.Algorithm, err = stringMember(d)
		case 2:
			ra.KeyID, err = stringMember(d)
		case 3:
			ra.Signature, err = stringMember(d)
		default:
			return d.Skip()
		}
		if err != nil {
			return fmt.Errorf("member %q: %w", key, err)
		}
		return nil
	})
	return ra, err
}

func identity(d *strictjson.Scanner, id *RunnerIdentity) error {
	if ok, err := object(d); !ok {
		return err
	}
	return d.Object(func(key string) error {
		i := identityIndex.Index(key)
		if i < 0 {
			return d.Skip()
		}
		v, err := stringMember(d)
		if err != nil {
			return fmt.Errorf("member %q: %w", identityNames[i], err)
		}
		*id.field(i) = v
		return nil
	})
}

// DecodeIdentity parses a RunnerIdentity JSON object (the file given to
// --runner-auth-claims), as strictly as a request.
func DecodeIdentity(data []byte) (RunnerIdentity, error) {
	var id RunnerIdentity
	d, err := strictjson.NewScanner(string(data))
	if err != nil {
		return id, err
	}
	if k := d.Peek(); k != strictjson.Object {
		return id, fmt.Errorf("is a JSON %s, want an object", k)
	}
	if err := identity(&d, &id); err != nil {
		return id, err
	}
	return id, d.End()
}

// WithRunnerAuth returns the request JSON with its runner_auth (in any
// spelling) replaced by a, keeping every other member as it was.
func WithRunnerAuth(request []byte, a *RunnerAuth) ([]byte, error) {
	t, err := strictjson.Parse(request)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if t.Kind != strictjson.Object {
		return nil, fmt.Errorf("request is a JSON %s, want an object", t.Kind)
	}
	b := []byte{'{'}
	for i, k := range t.Keys {
		if !strings.EqualFold(k, "runner_auth") {
			b = append(appendQuoted(b, k), ':')
			b = append(appendJSON(b, t.Elems[i], -1), ',')
		}
	}
	r := Request{RunnerAuth: a}
	return append(b, r.AppendV1(nil, false)[1:]...), nil // "runner_auth":{…}}
}

// AppendV1 appends the request as an EvaluateRequest v1 JSON object, as
// Go's encoding/json writes CAVRA's struct: members in proto order,
// empty ones left out, HTML characters escaped. Members v1 lacks
// (operation, server, tool, capability) are left out; an untyped record
// becomes release_governance with the members it fills. With redact, an
// OIDC token in runner_auth is replaced by "<redacted-oidc-jwt>", as
// CAVRA's evidence log writes it.
func (r *Request) AppendV1(b []byte, redact bool) []byte {
	w := jw{b: append(b, '{')}
	w.opt("session_id", r.SessionID)
	w.opt("agent_id", r.AgentID)
	w.opt("actor", r.Actor)
	w.opt("action_type", r.ActionType)
	w.opt("target", r.Target)
	w.opt("requested_operation", r.RequestedOperation)
	w.opt("policy_pack", r.PolicyPack)
	if r.Typed || r.Record != nil {
		w.key("release_governance")
		w.b = r.Record.appendV1(w.b)
	}
	if a := r.RunnerAuth; a != nil {
		w.key("runner_auth")
		v := jw{b: append(w.b, '{')}
		v.key("identity")
		id := jw{b: append(v.b, '{')}
		for _, f := range a.Identity.Fields() {
			id.opt(f.Name, f.Value)
		}
		v.b = append(id.b, '}')
		v.opt("algorithm", a.Algorithm)
		v.opt("key_id", a.KeyID)
		sig := a.Signature
		if redact && a.Algorithm == "OIDC-JWT" && sig != "" {
			sig = "<redacted-oidc-jwt>"
		}
		v.opt("signature", sig)
		w.b = append(v.b, '}')
	}
	return append(w.b, '}')
}

func (rec *Record) appendV1(b []byte) []byte {
	w := jw{b: append(b, '{')}
	if rec != nil {
		for i := range recordFields {
			f := &recordFields[i]
			switch f.kind {
			case 's':
				w.opt(f.name, *f.s(rec))
			case 'i':
				if v := *f.i(rec); v != 0 {
					w.num(f.name, v)
				}
			case 'b':
				if rec.DeliverySuccess {
					w.key(f.name)
					w.b = append(w.b, "true"...)
				}
			case 'l':
				if l := *f.l(rec); len(l) > 0 {
					w.key(f.name)
					sep := byte('[')
					for _, s := range l {
						w.b, sep = appendQuoted(append(w.b, sep), s), ','
					}
					w.b = append(w.b, ']')
				}
			}
		}
	}
	return append(w.b, '}')
}
