package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
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
	SessionID          string
	AgentID            string
	Actor              string
	ActionType         string
	Target             string
	Operation          string
	RequestedOperation string
	PolicyPack         string
	Server             string
	Tool               string
	Capability         string

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
	Identity  RunnerIdentity
	Algorithm string
	KeyID     string
	Signature string
}

// RunnerIdentity names the CI run a request comes from.
type RunnerIdentity struct {
	Provider, Repository, Workflow, RunID, RunAttempt string
	Ref, SHA, Actor, Job, RunnerName                  string
}

// Fields returns the identity's members in v1 order, with their names.
func (id *RunnerIdentity) Fields() [10]struct{ Name, Value string } {
	return [10]struct{ Name, Value string }{
		{"provider", id.Provider}, {"repository", id.Repository}, {"workflow", id.Workflow},
		{"run_id", id.RunID}, {"run_attempt", id.RunAttempt}, {"ref", id.Ref}, {"sha", id.SHA},
		{"actor", id.Actor}, {"job", id.Job}, {"runner_name", id.RunnerName},
	}
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

	Kind, ReleaseChannel, ReleaseVersion            string
	ApprovalState, ApprovalID                       string
	AlertLevel, DriftStatus, HandoffStatus          string
	VerificationStatus, IntegrityStatus             string
	AuditExportStatus, ConnectorDeliverySource      string
	NestedState, NestedApprovalID                   string // approval.state, approval.approval_id
	DeliverySuccess                                 bool
	ApprovalRequired, FailedDelivery, ConnectorFail int64
	Blocked, Critical, Breached                     int64
	DriftedEndpoints, MissingTargets                int64
	FailedVerification, IntegrityFailures           int64
	RollbackRefs                                    int64
	FailedProviders, EvidenceRefs                   []string
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

// Top-level request members, in the order of the v1 contract followed
// by the runtime request's own members.
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

var requestNames = [nFields]string{
	"session_id", "agent_id", "actor", "action_type", "target", "requested_operation",
	"policy_pack", "release_governance", "runner_auth", "operation", "server", "tool",
	"capability", "record",
}

func (r *Request) str(i int) *string {
	switch i {
	case fSession:
		return &r.SessionID
	case fAgent:
		return &r.AgentID
	case fActor:
		return &r.Actor
	case fAction:
		return &r.ActionType
	case fTarget:
		return &r.Target
	case fRequestedOp:
		return &r.RequestedOperation
	case fPack:
		return &r.PolicyPack
	case fOperation:
		return &r.Operation
	case fServer:
		return &r.Server
	case fTool:
		return &r.Tool
	case fCapability:
		return &r.Capability
	}
	return nil
}

var (
	requestIndex = newKeyIndex(requestNames[:]...)
	recordIndex  = func() keyIndex {
		m := keyIndex{}
		for i := range recordFields {
			m[recordFields[i].name] = i
		}
		return m
	}()
	recordNames = func() []string {
		var l []string
		for i := range recordFields {
			l = append(l, recordFields[i].name)
		}
		return l
	}()
	identityIndex = newKeyIndex(identityNames[:]...)
	authNames     = []string{"identity", "algorithm", "key_id", "signature"}
	authIndex     = newKeyIndex(authNames...)
)

func requestField(key string) int {
	var buf [24]byte
	if len(key) <= len(buf) {
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= utf8.RuneSelf {
				return requestIndex.find(key, requestNames[:])
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		switch string(buf[:len(key)]) {
		case "session_id":
			return fSession
		case "agent_id":
			return fAgent
		case "actor":
			return fActor
		case "action_type":
			return fAction
		case "target":
			return fTarget
		case "requested_operation":
			return fRequestedOp
		case "policy_pack":
			return fPack
		case "release_governance":
			return fReleaseGovernance
		case "runner_auth":
			return fRunnerAuth
		case "operation":
			return fOperation
		case "server":
			return fServer
		case "tool":
			return fTool
		case "capability":
			return fCapability
		case "record":
			return fRecord
		}
		return -1
	}
	return requestIndex.find(key, requestNames[:])
}

// Decode parses one request: a single JSON object, optionally surrounded
// by white space. It accepts every member of CAVRA's runtime request and
// EvaluateRequest v1 and is strict where laxness could change a
// decision:
//
//   - the input must be valid UTF-8 and at most MaxRequestSize bytes;
//   - known members are matched ignoring case, as encoding/json matches
//     them, and a member given twice, in any spelling, is rejected, so a
//     request cannot mean one thing to this parser and another to a
//     different one (inside "record", whose keys CAVRA reads as a map,
//     keys are exact and an exact repeat is rejected);
//   - string members must be JSON strings without NUL characters;
//     release_governance members must have their v1 types (strings,
//     integers, a boolean, lists of strings); record, release_governance
//     and runner_auth must be objects (or null, meaning absent);
//   - a request may not carry both record and release_governance;
//   - nothing may follow the object.
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
	if !utf8.ValidString(s) {
		return r, errors.New("request is not valid UTF-8")
	}
	d := scanner{s: s}
	switch k := d.kind(); {
	case d.peek() == 0:
		return r, errors.New("empty request")
	case k != "object":
		if k == "value" {
			return r, fmt.Errorf("bad JSON: %w", d.syntax("looking for beginning of value"))
		}
		return r, fmt.Errorf("request is a JSON %s, want an object", k)
	}
	var seen [nFields]bool
	var record *Record
	hasRecord := false
	err := d.object(func(key string) error {
		i := requestField(key)
		if i < 0 {
			if err := d.skip(); err != nil {
				return fmt.Errorf("bad JSON in member %q: %w", key, err)
			}
			return nil
		}
		name := requestNames[i]
		if seen[i] {
			return fmt.Errorf("member %q given more than once", name)
		}
		seen[i] = true
		switch i {
		case fReleaseGovernance:
			rec, ok, err := d.typedRecord()
			if err != nil {
				return fmt.Errorf("member %q: %w", name, err)
			}
			r.Typed = ok
			if ok && rec.Members > 0 {
				record = rec
			}
			return nil
		case fRecord:
			rec, err := d.untypedRecord()
			if err != nil {
				return fmt.Errorf("member %q: %w", name, err)
			}
			hasRecord = rec != nil
			if !r.Typed && rec != nil && rec.Members > 0 {
				record = rec
			}
			return nil
		case fRunnerAuth:
			ra, err := d.runnerAuth()
			if err != nil {
				return fmt.Errorf("member %q: %w", name, err)
			}
			r.RunnerAuth = ra
			return nil
		}
		v, err := d.stringMember(name)
		if err != nil {
			return err
		}
		*r.str(i) = v
		return nil
	})
	if err != nil {
		return Request{}, wrapBad(err)
	}
	if err := d.end(); err != nil {
		return Request{}, errors.New("unexpected data after the request")
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

// wrapBad marks syntax errors as such; errors about members are kept.
func wrapBad(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "member ") || strings.HasPrefix(msg, "bad JSON") || strings.HasPrefix(msg, "request ") {
		return err
	}
	return fmt.Errorf("bad JSON: %w", err)
}

func (d *scanner) stringMember(name string) (string, error) {
	if d.peek() != '"' {
		if k := d.kind(); k != "value" {
			return "", fmt.Errorf("member %q is a JSON %s, want a string", name, k)
		}
		return "", fmt.Errorf("bad JSON in member %q: %w", name, d.syntax("looking for beginning of value"))
	}
	v, err := d.str()
	if err != nil {
		return "", fmt.Errorf("bad JSON in member %q: %w", name, err)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "", fmt.Errorf("member %q contains a NUL character", name)
	}
	return v, nil
}

// nullable reports whether the next value is null, consuming it.
func (d *scanner) null() bool {
	if d.peek() == 'n' && strings.HasPrefix(d.s[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

// typedRecord reads release_governance: ReleaseGovernanceEvidence v1.
// ok is false for null.
func (d *scanner) typedRecord() (*Record, bool, error) {
	if d.null() {
		return nil, false, nil
	}
	if d.peek() != '{' {
		return nil, false, fmt.Errorf("is a JSON %s, want an object", d.kind())
	}
	rec := &Record{}
	var seen [len(recordFields)]bool
	err := d.object(func(key string) error {
		fi := recordIndex.find(key, recordNames)
		if fi < 0 {
			return d.skip()
		}
		f := &recordFields[fi]
		if seen[fi] {
			return fmt.Errorf("member %q given more than once", f.name)
		}
		seen[fi] = true
		switch f.kind {
		case 's':
			v, err := d.stringMember(f.name)
			if err != nil {
				return err
			}
			*f.s(rec) = v
			if v != "" {
				rec.Members++
			}
		case 'i':
			if d.kind() != "number" {
				return fmt.Errorf("member %q is a JSON %s, want an integer", f.name, d.kind())
			}
			lit, err := d.number()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(lit, 10, 64)
			if err != nil {
				return fmt.Errorf("member %q is %s, want an integer", f.name, lit)
			}
			*f.i(rec) = n
			if n != 0 {
				rec.Members++
			}
		case 'b':
			switch d.peek() {
			case 't':
				rec.DeliverySuccess = true
				rec.Members++
				return d.literal("true")
			case 'f':
				return d.literal("false")
			}
			return fmt.Errorf("member %q is a JSON %s, want a boolean", f.name, d.kind())
		case 'l':
			l, err := d.stringList(f.name)
			if err != nil {
				return err
			}
			*f.l(rec) = l
			if len(l) > 0 {
				rec.Members++
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

func (d *scanner) stringList(name string) ([]string, error) {
	if d.peek() != '[' {
		return nil, fmt.Errorf("member %q is a JSON %s, want a list of strings", name, d.kind())
	}
	var l []string
	err := d.array(func() error {
		v, err := d.stringMember(name + " item")
		if err != nil {
			return err
		}
		l = append(l, v)
		return nil
	})
	return l, err
}

// keySet notes the keys of an object, to find a repeated one: a list
// while it is short, a map after that.
type keySet struct {
	list [16]string
	n    int
	m    map[string]bool
}

// add adds k and reports whether it was there already.
func (s *keySet) add(k string) bool {
	if s.m != nil {
		if s.m[k] {
			return true
		}
		s.m[k] = true
		return false
	}
	for _, x := range s.list[:s.n] {
		if x == k {
			return true
		}
	}
	if s.n < len(s.list) {
		s.list[s.n] = k
		s.n++
		return false
	}
	s.m = map[string]bool{k: true}
	for _, x := range s.list {
		s.m[x] = true
	}
	return false
}

// untypedRecord reads record, a JSON object read the way CAVRA reads its
// map: exact keys, values converted leniently (see Record). It returns
// nil for null.
func (d *scanner) untypedRecord() (*Record, error) {
	if d.null() {
		return nil, nil
	}
	if d.peek() != '{' {
		return nil, fmt.Errorf("is a JSON %s, want an object", d.kind())
	}
	rec := &Record{}
	var seen keySet
	err := d.object(func(key string) error {
		if seen.add(key) {
			return fmt.Errorf("key %q given more than once", key)
		}
		rec.Members++
		if key == "approval" {
			return d.nestedApproval(rec)
		}
		if i, ok := recordIndex[key]; ok {
			f := &recordFields[i]
			switch f.kind {
			case 's':
				v, err := d.lenientString()
				*f.s(rec) = v
				return err
			case 'i':
				v, err := d.lenientInt()
				*f.i(rec) = v
				return err
			case 'b':
				v, err := d.lenientBool()
				rec.DeliverySuccess = v
				return err
			case 'l':
				v, err := d.lenientList()
				*f.l(rec) = v
				return err
			}
		}
		return d.skip()
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func (d *scanner) nestedApproval(rec *Record) error {
	if d.peek() != '{' {
		return d.skip()
	}
	var seen keySet
	return d.object(func(key string) error {
		if seen.add(key) {
			return fmt.Errorf("key \"approval.%s\" given more than once", key)
		}
		switch key {
		case "state":
			v, err := d.lenientString()
			rec.NestedState = v
			return err
		case "approval_id":
			v, err := d.lenientString()
			rec.NestedApprovalID = v
			return err
		}
		return d.skip()
	})
}

// lenientString reads any value as CAVRA's stringValue does: strings
// as they are, null as "", anything else as Go's fmt prints it.
func (d *scanner) lenientString() (string, error) {
	switch d.peek() {
	case '"':
		v, err := d.str()
		if err == nil && strings.IndexByte(v, 0) >= 0 {
			err = errors.New("record value contains a NUL character")
		}
		return v, err
	case 'n':
		return "", d.literal("null")
	}
	v, err := d.anyValue()
	if err != nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}

// lenientInt reads a count as CAVRA's intValue does: JSON numbers
// truncated towards zero, anything else 0. Values beyond the int64 range
// are clamped (Go's float-to-int conversion would make them negative).
func (d *scanner) lenientInt() (int64, error) {
	if d.kind() != "number" {
		return 0, d.skip()
	}
	lit, err := d.number()
	if err != nil {
		return 0, err
	}
	f, _ := strconv.ParseFloat(lit, 64)
	switch {
	case f >= 9.2e18:
		return 1<<63 - 1, nil
	case f <= -9.2e18:
		return -1 << 63, nil
	}
	return int64(f), nil
}

// lenientBool reads delivery_success as CAVRA's boolValue does.
func (d *scanner) lenientBool() (bool, error) {
	switch d.peek() {
	case 't':
		return true, d.literal("true")
	case '"':
		v, err := d.str()
		switch normalizeState(v) {
		case "true", "yes", "success", "succeeded":
			return true, err
		}
		return false, err
	}
	return false, d.skip()
}

// lenientList keeps the strings of a list (for evidence); other values
// are skipped.
func (d *scanner) lenientList() ([]string, error) {
	if d.peek() != '[' {
		return nil, d.skip()
	}
	var l []string
	err := d.array(func() error {
		if d.peek() == '"' {
			v, err := d.str()
			l = append(l, v)
			return err
		}
		return d.skip()
	})
	return l, err
}

// anyValue decodes the next value into the form encoding/json gives
// an interface.
func (d *scanner) anyValue() (any, error) {
	start := d.i
	if err := d.skip(); err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal([]byte(d.s[start:d.i]), &v); err != nil {
		return nil, err
	}
	return v, nil
}

func (d *scanner) runnerAuth() (*RunnerAuth, error) {
	if d.null() {
		return nil, nil
	}
	if d.peek() != '{' {
		return nil, fmt.Errorf("is a JSON %s, want an object", d.kind())
	}
	ra := &RunnerAuth{}
	var seen [4]bool
	err := d.object(func(key string) error {
		fi := authIndex.find(key, authNames)
		if fi < 0 {
			return d.skip()
		}
		if seen[fi] {
			return fmt.Errorf("member %q given more than once", authNames[fi])
		}
		seen[fi] = true
		var err error
		switch fi {
		case 0:
			err = d.identity(&ra.Identity)
		case 1:
			ra.Algorithm, err = d.stringMember("algorithm")
		case 2:
			ra.KeyID, err = d.stringMember("key_id")
		case 3:
			ra.Signature, err = d.stringMember("signature")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ra, nil
}

func (d *scanner) identity(id *RunnerIdentity) error {
	if d.null() {
		return nil
	}
	if d.peek() != '{' {
		return fmt.Errorf("member \"identity\" is a JSON %s, want an object", d.kind())
	}
	var seen [len(identityNames)]bool
	return d.object(func(key string) error {
		i := identityIndex.find(key, identityNames[:])
		if i < 0 {
			return d.skip()
		}
		n := identityNames[i]
		if seen[i] {
			return fmt.Errorf("member \"identity.%s\" given more than once", n)
		}
		seen[i] = true
		v, err := d.stringMember("identity." + n)
		*id.field(i) = v
		return err
	})
}

// DecodeIdentity parses a RunnerIdentity JSON object (the file given to
// --runner-auth-claims), as strictly as a request.
func DecodeIdentity(data []byte) (RunnerIdentity, error) {
	var id RunnerIdentity
	if !utf8.Valid(data) {
		return id, errors.New("not valid UTF-8")
	}
	d := scanner{s: string(data)}
	if d.peek() != '{' {
		return id, fmt.Errorf("is a JSON %s, want an object", d.kind())
	}
	if err := d.identity(&id); err != nil {
		return id, err
	}
	if err := d.end(); err != nil {
		return id, err
	}
	return id, nil
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
					w.b = append(w.b, '[')
					for j, s := range l {
						if j > 0 {
							w.b = append(w.b, ',')
						}
						w.b = append(w.b, '"')
						w.b = appendEscaped(w.b, s)
						w.b = append(w.b, '"')
					}
					w.b = append(w.b, ']')
				}
			}
		}
	}
	return append(w.b, '}')
}
