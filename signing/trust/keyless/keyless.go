// Package keyless checks Sigstore keyless signatures offline, with the
// standard library alone: a bundle (see package
// github.com/cavra/cavra/signing/trust/sigstore) holding a signature made
// with a short-lived Fulcio certificate, the Rekor log entry that recorded
// it, and optionally RFC 3161 timestamps, against a trusted_root.json the
// operator supplies and an identity policy the operator states.
//
// It verifies what `cosign verify-blob --bundle B --trusted-root T
// --certificate-identity I --certificate-oidc-issuer O FILE` verifies, and
// means by the policy what cosign means by those flags (see [Policy]). A
// keyless signature proves only that someone who could log in as some
// identity signed; without a policy naming the identity and its issuer it
// proves nothing, so a [Verifier] cannot be made without one, as cosign
// refuses to verify without --certificate-identity and
// --certificate-oidc-issuer.
//
// # Checks
//
// Each check is one function, named by one constant; an error says which
// check failed and why ([Error]). In order:
//
//	bundle              the bundle parses (media type 0.1 to 0.3, one signature, one
//	                    certificate); the certificate is X.509
//	signature           the artifact's digest is the bundle's message digest (or, for a DSSE
//	                    envelope, its one signature is over the pre-authentication encoding),
//	                    and the certificate's key verifies the signature
//	tlog.body           for each entry of a log in the trusted root: the entry's body (Rekor
//	                    hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2) is of the kind the entry
//	                    says and records this artifact's digest (or this envelope's payload),
//	                    this signature and this certificate
//	tlog.inclusion      the inclusion proof leads from the body's leaf hash to the proof's root
//	                    hash (RFC 9162 2.1.3.2); every entry must carry one
//	tlog.checkpoint     the checkpoint is a signed note (C2SP signed-note, tlog-checkpoint)
//	                    with a signature by the log's key (key hint: the first four bytes of
//	                    the SHA-256 of the key's DER; Ed25519 as the note format says), and its
//	                    tree size and root hash are the proof's
//	tlog.set            a signed entry timestamp, when present, verifies with the log's key
//	                    over the canonical JSON of body, integratedTime, logID and logIndex, at
//	                    an integration time inside the key's validity
//	timestamp           each RFC 3161 timestamp is granted, signed over its TSTInfo by a
//	                    timestamp authority of the trusted root (chain, validity at its time),
//	                    and stamps the SHA-256 (or SHA-384, SHA-512) of the signature
//	signing-time        at least one signing time was verified (an integration time a
//	                    signed entry timestamp vouches for, or a timestamp's time), and every
//	                    one lies inside the certificate's validity
//	certificate.chain   at every signing time, the certificate chains to a Fulcio CA of the
//	                    trusted root valid then (validFor), with code-signing usage
//	sct                 an embedded signed certificate timestamp verifies with the key of a CT
//	                    log of the trusted root (valid at the SCT's time) over the
//	                    precertificate rebuilt from the certificate (RFC 6962 3.2)
//	certificate.policy  the certificate's identity (SAN: URI, email or other name) and issuer
//	                    (OID 1.3.6.1.4.1.57264.1.8, or the legacy 1.3.6.1.4.1.57264.1.1) match the
//	                    policy, and so does every GitHub workflow claim the policy names
//
// Entries of logs the trusted root does not hold are skipped, as
// sigstore-go skips them; at least one entry of a trusted log must pass
// every tlog check. This verifier is stricter than sigstore-go in three
// ways, each a refusal: every log entry needs an inclusion proof and a
// signed checkpoint whose tree size is the proof's (sigstore-go accepts a
// v0.1 bundle whose entries carry only a signed entry timestamp, and
// compares only the root hash); the intermediate certificates come from
// the trusted root alone, never from the bundle; and an issuer recorded
// twice (OID .1 and .8) with two values is refused. Rekor v2 entries
// (hashedrekord 0.0.2) are not read: releases are logged in Rekor v1.
package keyless

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/cavra/cavra/signing/trust/sigstore"
)

// The names of the checks, as errors name them, in the order of the
// package documentation.
const (
	CheckBundle            = "bundle"
	CheckSignature         = "signature"
	CheckTlogBody          = "tlog.body"
	CheckTlogInclusion     = "tlog.inclusion"
	CheckTlogCheckpoint    = "tlog.checkpoint"
	CheckTlogSET           = "tlog.set"
	CheckTimestamp         = "timestamp"
	CheckSigningTime       = "signing-time"
	CheckCertificateChain  = "certificate.chain"
	CheckSCT               = "sct"
	CheckCertificatePolicy = "certificate.policy"
)

// Checks lists the checks in order.
var Checks = []string{
	CheckBundle, CheckSignature, CheckTlogBody, CheckTlogInclusion, CheckTlogCheckpoint, CheckTlogSET,
	CheckTimestamp, CheckSigningTime, CheckCertificateChain, CheckSCT, CheckCertificatePolicy,
}

// Error is a failed check: which, and why.
type Error struct {
	Check string
	Err   error
}

func (e *Error) Error() string { return e.Check + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(check, format string, args ...any) *Error {
	return &Error{Check: check, Err: fmt.Errorf(format, args...)}
}

// Policy is who must have signed, with the meaning of cosign's flags:
//
//	Identity                  --certificate-identity: the certificate's SAN, exactly
//	IdentityRegexp            --certificate-identity-regexp: a Go regexp the SAN matches (unanchored)
//	Issuer                    --certificate-oidc-issuer: the OIDC issuer, exactly
//	IssuerRegexp              --certificate-oidc-issuer-regexp
//	GitHubWorkflowRepository  --certificate-github-workflow-repository, e.g. owner/repo
//	GitHubWorkflowRef         --certificate-github-workflow-ref, e.g. refs/tags/v1.2.3
//	GitHubWorkflowSHA         --certificate-github-workflow-sha: the commit
//	GitHubWorkflowTrigger     --certificate-github-workflow-trigger, e.g. push, release
//	GitHubWorkflowName        --certificate-github-workflow-name: the workflow's name
//
// One of Identity and IdentityRegexp, and one of Issuer and IssuerRegexp,
// are required. The GitHub claims are compared exactly with the legacy
// GitHub extensions (OIDs 1.3.6.1.4.1.57264.1.2 to .6) as cosign compares
// them; a certificate without a legacy one is compared through its
// successor (.20 build trigger, .13 source digest, .14 source ref, .12
// source repository URI).
type Policy struct {
	Identity, IdentityRegexp string
	Issuer, IssuerRegexp     string

	GitHubWorkflowRepository string
	GitHubWorkflowRef        string
	GitHubWorkflowSHA        string
	GitHubWorkflowTrigger    string
	GitHubWorkflowName       string
}

// ErrNoPolicy is the error of a keyless verification without an identity
// policy.
var ErrNoPolicy = errors.New("keyless verification needs an identity policy: give --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp); without them any identity Fulcio certifies would pass")

// IsZero reports whether p names nothing.
func (p Policy) IsZero() bool { return p == Policy{} }

// Verifier checks bundles against a trusted root and a policy.
type Verifier struct {
	root     *sigstore.TrustedRoot
	policy   Policy
	identity *regexp.Regexp
	issuer   *regexp.Regexp
}

// New returns a verifier of the trusted root and policy. The policy must
// name an identity and an issuer (see [ErrNoPolicy]), each exactly or by
// regexp, not both.
func New(root *sigstore.TrustedRoot, p Policy) (*Verifier, error) {
	if root == nil {
		return nil, errors.New("keyless verification needs a trusted root: give --trusted-root trusted_root.json")
	}
	v := &Verifier{root: root, policy: p}
	var err error
	if v.identity, v.issuer, err = p.compile(); err != nil {
		return nil, err
	}
	return v, nil
}

// Check reports whether a verifier can be made with p: it names an
// identity and an issuer, each exactly or by a valid regexp, not both.
func (p Policy) Check() error {
	_, _, err := p.compile()
	return err
}

// compile checks p and compiles its regexps (nil when not given).
func (p Policy) compile() (identity, issuer *regexp.Regexp, err error) {
	if (p.Identity == "" && p.IdentityRegexp == "") || (p.Issuer == "" && p.IssuerRegexp == "") {
		return nil, nil, ErrNoPolicy
	}
	if p.Identity != "" && p.IdentityRegexp != "" {
		return nil, nil, errors.New("give --certificate-identity or --certificate-identity-regexp, not both")
	}
	if p.Issuer != "" && p.IssuerRegexp != "" {
		return nil, nil, errors.New("give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
	}
	if p.IdentityRegexp != "" {
		if identity, err = regexp.Compile(p.IdentityRegexp); err != nil {
			return nil, nil, fmt.Errorf("--certificate-identity-regexp: %w", err)
		}
	}
	if p.IssuerRegexp != "" {
		if issuer, err = regexp.Compile(p.IssuerRegexp); err != nil {
			return nil, nil, fmt.Errorf("--certificate-oidc-issuer-regexp: %w", err)
		}
	}
	return identity, issuer, nil
}

// Policy returns the verifier's policy.
func (v *Verifier) Policy() Policy { return v.policy }

// Signer is who signed and when, as the verified certificate and log
// entry say: what a report shows.
type Signer struct {
	Identity     string `json:"identity"`                // the certificate's SAN
	Issuer       string `json:"issuer"`                  // the OIDC issuer
	Repository   string `json:"repository,omitempty"`    // GitHub: owner/repo
	Ref          string `json:"ref,omitempty"`           // GitHub: refs/...
	Commit       string `json:"commit,omitempty"`        // GitHub: the workflow's commit
	Trigger      string `json:"trigger,omitempty"`       // GitHub: the event
	WorkflowName string `json:"workflow_name,omitempty"` // GitHub: the workflow's name
	RunURI       string `json:"run,omitempty"`           // the run that signed, when certified

	LogURL         string    `json:"log,omitempty"` // the Rekor log of the verified entry
	LogIndex       int64     `json:"log_index"`
	IntegratedTime time.Time `json:"integrated_time"`
	// SigningTimes are the verified times the certificate was checked at,
	// with where each came from: "tlog" or the timestamp authority's URI.
	SigningTimes []SigningTime `json:"signing_times"`

	CertificateNotBefore time.Time `json:"certificate_not_before"`
	CertificateNotAfter  time.Time `json:"certificate_not_after"`
	CertificateAuthority string    `json:"certificate_authority,omitempty"`
}

// SigningTime is one verified time of signing.
type SigningTime struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
}

// VerifyMessage checks a bundle holding a message signature over a file
// whose SHA-256 is sum; data is the file's bytes, needed only when the
// certificate's key is Ed25519 (which signs the bytes, not a digest).
func (v *Verifier) VerifyMessage(bundle []byte, sum [32]byte, data []byte) (*Signer, error) {
	b, leaf, err := parse(bundle)
	if err != nil {
		return nil, err
	}
	if b.MessageSignature == nil {
		return nil, fail(CheckBundle, "holds a DSSE envelope, not a message signature over a file")
	}
	if err := checkMessageSignature(b, leaf, sum, data); err != nil {
		return nil, err
	}
	return v.verify(b, leaf, func(body *entryBody) error { return body.matchMessage(b, leaf) })
}

// VerifyDSSE checks a bundle holding a DSSE envelope and returns its
// payload type and payload; the caller checks what the payload says (an
// in-toto statement's subjects, see [SubjectDigest]).
func (v *Verifier) VerifyDSSE(bundle []byte) (payloadType string, payload []byte, s *Signer, err error) {
	b, leaf, err := parse(bundle)
	if err != nil {
		return "", nil, nil, err
	}
	if b.DSSEEnvelope == nil {
		return "", nil, nil, fail(CheckBundle, "holds a message signature, not a DSSE envelope")
	}
	if err := checkEnvelopeSignature(b, leaf); err != nil {
		return "", nil, nil, err
	}
	s, err = v.verify(b, leaf, func(body *entryBody) error { return body.matchEnvelope(b, leaf) })
	if err != nil {
		return "", nil, nil, err
	}
	return b.DSSEEnvelope.PayloadType, b.DSSEEnvelope.Payload, s, nil
}

// parse reads the bundle and its certificate.
func parse(data []byte) (*sigstore.Bundle, *x509.Certificate, error) {
	b, err := sigstore.ParseBundle(data)
	if err != nil {
		return nil, nil, &Error{Check: CheckBundle, Err: err}
	}
	der := b.LeafCertificate()
	if der == nil {
		return nil, nil, fail(CheckBundle, "signed with a public key (hint %q), not a certificate: verify it with --key", b.VerificationMaterial.PublicKey.Hint)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fail(CheckBundle, "certificate: %v", err)
	}
	return b, leaf, nil
}

// verify runs the checks after the signature's, in the order of the
// package documentation; match compares a log entry's body with the
// bundle.
func (v *Verifier) verify(b *sigstore.Bundle, leaf *x509.Certificate, match func(*entryBody) error) (*Signer, error) {
	s := &Signer{CertificateNotBefore: leaf.NotBefore, CertificateNotAfter: leaf.NotAfter}
	entry, log, setOK, err := v.checkTlog(b, match)
	if err != nil {
		return nil, err
	}
	s.LogURL, s.LogIndex, s.IntegratedTime = log.BaseURL, int64(entry.LogIndex), time.Unix(int64(entry.IntegratedTime), 0).UTC()
	if setOK {
		s.SigningTimes = append(s.SigningTimes, SigningTime{Time: s.IntegratedTime, Source: "tlog"})
	}
	stamps, err := v.checkTimestamps(b)
	if err != nil {
		return nil, err
	}
	s.SigningTimes = append(s.SigningTimes, stamps...)
	if err := checkSigningTime(leaf, s.SigningTimes); err != nil {
		return nil, err
	}
	issuer, ca, err := v.checkChain(leaf, s.SigningTimes)
	if err != nil {
		return nil, err
	}
	s.CertificateAuthority = ca.URI
	if err := v.checkSCT(leaf, issuer); err != nil {
		return nil, err
	}
	if err := v.checkPolicy(leaf, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkSigningTime checks that a signing time was verified and that every
// one lies inside the certificate's validity.
func checkSigningTime(leaf *x509.Certificate, times []SigningTime) error {
	if len(times) == 0 {
		return fail(CheckSigningTime, "no verified signing time: no log entry with a signed entry timestamp and no RFC 3161 timestamp, so nothing says when the short-lived certificate was used")
	}
	for _, t := range times {
		if t.Time.Before(leaf.NotBefore) || t.Time.After(leaf.NotAfter) {
			return fail(CheckSigningTime, "signed at %s (%s), outside the certificate's validity %s to %s",
				t.Time.UTC().Format(time.RFC3339), t.Source, leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// SubjectDigest reports whether an in-toto statement's subjects include
// one with this SHA-256.
func SubjectDigest(payload []byte, sum [32]byte) bool {
	st, err := parseStatement(payload)
	if err != nil {
		return false
	}
	want := fmt.Sprintf("%x", sum)
	for _, s := range st.Subject {
		if s.Digest["sha256"] == want {
			return true
		}
	}
	return false
}

// fingerprint is a short name of a certificate for errors.
func fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return fmt.Sprintf("%x", s[:6])
}
