// Package enforce turns requests into decisions: it decodes input,
// evaluates it with a policy engine, stamps each decision with an id and
// a time, and records it in the evidence log before returning it.
//
// Every input gets exactly one decision, and the decision is never
// allow unless the request decoded cleanly, the policy allowed it and,
// when an evidence log is in use, its record is safely on disk:
//
//   - input that does not decode is blocked with rule input.invalid;
//   - a line longer than policy.MaxRequestSize is blocked with rule
//     input.too_large;
//   - if the evidence record cannot be written the decision is replaced
//     by a block with rule evidence.unavailable.
//
// In each case Decide also returns an error describing the problem.
package enforce

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
)

// Rule ids of decisions made by this package rather than by a pack.
const (
	RuleInputInvalid        = "input.invalid"
	RuleInputTooLarge       = "input.too_large"
	RuleEvidenceUnavailable = "evidence.unavailable"
)

// Enforcer decides requests. Its fields must not change after first use;
// it is then safe for concurrent use.
type Enforcer struct {
	Engine *policy.Engine
	Log    *evidence.Log    // optional
	Now    func() time.Time // nil means time.Now
	Rand   io.Reader        // source of decision ids; nil means crypto/rand
}

// Decide evaluates req and returns its decision.
func (e *Enforcer) Decide(req *policy.Request) (policy.Decision, error) {
	return e.finish(req, e.Engine.Evaluate(req))
}

// DecideJSON decodes one request (see policy.Decode) and decides it. If
// it does not decode, the decision is a block and the error says why.
func (e *Enforcer) DecideJSON(data []byte) (policy.Decision, error) {
	req, err := policy.Decode(data)
	if err != nil {
		return e.Reject(err)
	}
	return e.Decide(&req)
}

// Reject returns a block decision for input that could not be read as a
// request, such as an oversize line, together with err. The decision is
// recorded like any other.
func (e *Enforcer) Reject(cause error) (policy.Decision, error) {
	res := policy.Result{
		Verdict:  policy.Block,
		RuleID:   RuleInputInvalid,
		Reason:   "request rejected: " + cause.Error(),
		Severity: policy.High,
		Pack:     e.Engine.Default().Name(),
	}
	if errors.Is(cause, policy.ErrTooLarge) {
		res.RuleID = RuleInputTooLarge
	}
	d, err := e.finish(&policy.Request{}, res)
	return d, errors.Join(fmt.Errorf("invalid request: %w", cause), err)
}

func (e *Enforcer) finish(req *policy.Request, res policy.Result) (policy.Decision, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	t := now().UTC()
	d := policy.NewDecision(req, res, e.newID(t), t)
	if e.Log == nil {
		return d, nil
	}
	ref, err := e.Log.Append(evidence.TypeDecision, t, d)
	if err != nil {
		d.Decision = policy.Block
		d.RuleID = RuleEvidenceUnavailable
		d.Reason = "the decision could not be recorded as evidence, so it is refused"
		d.Severity = policy.Critical
		d.ApproverGroup = ""
		return d, err
	}
	d.EvidenceRefs = []string{ref.String()}
	return d, nil
}

// newID returns a UUID version 7 (RFC 9562): the decision time in
// milliseconds followed by random bits, so ids are unique and sort by
// time.
func (e *Enforcer) newID(t time.Time) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], uint64(t.UnixMilli())<<16)
	r := e.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, u[6:]); err != nil {
		panic("enforce: reading random bytes: " + err.Error())
	}
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
