// Package enforce turns requests into decisions: it decodes input,
// checks the runner when asked to, evaluates the request with a policy
// engine, stamps the decision with ids and a time and, when an evidence
// log is in use, records it before the decision may be answered.
//
// Every input gets exactly one decision, and the decision is never
// allow unless the request decoded cleanly, the runner (if required)
// proved who it is, the policy allowed it and, with an evidence log, its
// record is safely on disk:
//
//   - input that does not decode is blocked with rule input.invalid, a
//     line longer than policy.MaxRequestSize with input.too_large;
//   - a request without valid runner_auth, when a Verifier is set, is
//     blocked with runner_auth.invalid (severity critical), reporting
//     who asked as sent and without ids, as CAVRA's daemon does;
//   - if the evidence record cannot be written the decision is replaced
//     by a block with rule evidence.unavailable.
//
// In each case the error returned says why.
package enforce

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
	"github.com/cavra/cavra/runtime/runnerauth"
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
	Log    *evidence.Log        // optional
	Auth   *runnerauth.Verifier // optional: requests must carry runner_auth
	Now    func() time.Time     // nil means time.Now
	// Rand is the source of decision and correlation ids; nil means the
	// runtime's unpredictable generator (ChaCha8, seeded by the system).
	Rand io.Reader
}

// Pending is a decision whose evidence record may still be on its way
// to disk.
type Pending struct {
	Decision policy.Decision
	entry    *evidence.Entry
	err      error
}

// Wait waits for the decision's record, if it has one. If the record
// could not be written the decision becomes a block
// (evidence.unavailable) and the error says why.
func (p *Pending) Wait() (policy.Decision, error) {
	if p.entry != nil {
		if err := p.entry.Wait(); err != nil {
			d := &p.Decision
			d.Verdict, d.RuleID, d.Severity, d.ApproverGroup = policy.Block, RuleEvidenceUnavailable, policy.Critical, ""
			d.Reason = "The decision could not be recorded as evidence, so it is refused."
			d.HasRecord = false
			p.err = errors.Join(p.err, err)
		}
		p.entry = nil
	}
	return p.Decision, p.err
}

// Decide decides req and returns once its record, if any, is on disk.
func (e *Enforcer) Decide(req *policy.Request) (policy.Decision, error) {
	var p Pending
	e.Start(req, &p)
	return p.Wait()
}

// DecideJSON decodes one request (see policy.Decode) and decides it.
func (e *Enforcer) DecideJSON(data []byte) (policy.Decision, error) {
	var p Pending
	e.StartJSON(data, &p)
	return p.Wait()
}

// Reject returns the block decision for input that could not be read as
// a request, such as an oversize line; it is recorded like any other.
func (e *Enforcer) Reject(cause error) (policy.Decision, error) {
	var p Pending
	e.StartReject(cause, &p)
	return p.Wait()
}

// StartJSON is DecideJSON without waiting for the evidence record.
func (e *Enforcer) StartJSON(data []byte, p *Pending) {
	req, err := policy.Decode(data)
	if err != nil {
		e.StartReject(err, p)
		return
	}
	e.Start(&req, p)
}

// StartReject is Reject without waiting for the evidence record.
func (e *Enforcer) StartReject(cause error, p *Pending) {
	res := policy.Result{
		Verdict:  policy.Block,
		RuleID:   RuleInputInvalid,
		Reason:   "Request rejected: " + cause.Error(),
		Severity: policy.High,
		Pack:     e.Engine.DefaultName(),
	}
	if errors.Is(cause, policy.ErrTooLarge) {
		res.RuleID = RuleInputTooLarge
	}
	var req policy.Request
	*p = Pending{Decision: policy.NewDecision(&req, res), err: fmt.Errorf("invalid request: %w", cause)}
	e.stamp(&p.Decision)
	e.record(&req, p)
}

// Start decides req without waiting for its evidence record; p.Wait
// finishes the decision.
func (e *Enforcer) Start(req *policy.Request, p *Pending) {
	*p = Pending{}
	if e.Auth.Enabled() {
		if err := e.Auth.Verify(req.RunnerAuth); err != nil {
			p.Decision = policy.Decision{Bare: true, SessionID: req.SessionID, AgentID: req.AgentID, Actor: req.Actor}
			d := &p.Decision
			d.ActionType, d.Target, d.Operation, d.Pack = req.ActionType, req.Target, req.RequestedOperation, req.PolicyPack
			d.Verdict, d.RuleID, d.Severity = policy.Block, runnerauth.RuleInvalid, policy.Critical
			d.Reason = "runner authentication failed: " + err.Error()
			d.Time = e.now()
			p.err = fmt.Errorf("runner authentication failed: %w", err)
			e.record(req, p)
			return
		}
	}
	p.Decision = policy.NewDecision(req, e.Engine.Evaluate(req))
	e.stamp(&p.Decision)
	e.record(req, p)
}

func (e *Enforcer) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Enforcer) stamp(d *policy.Decision) {
	d.Time = e.now()
	var r [12]byte
	if e.Rand != nil {
		if _, err := io.ReadFull(e.Rand, r[:]); err != nil {
			panic("enforce: reading random bytes: " + err.Error())
		}
	} else {
		a, b := rand.Uint64(), rand.Uint64()
		for i := range 8 {
			r[i] = byte(a >> (8 * i))
		}
		for i := range 4 {
			r[8+i] = byte(b >> (8 * i))
		}
	}
	const hex = "0123456789abcdef"
	for i := range 6 {
		d.ID[2*i], d.ID[2*i+1] = hex[r[i]>>4], hex[r[i]&15]
		d.Corr[2*i], d.Corr[2*i+1] = hex[r[6+i]>>4], hex[r[6+i]&15]
	}
}

func (e *Enforcer) record(req *policy.Request, p *Pending) {
	if e.Log == nil {
		return
	}
	var buf [2048]byte
	p.entry = evidence.Record(req, &p.Decision, buf[:0])
	e.Log.Submit(p.entry)
}
