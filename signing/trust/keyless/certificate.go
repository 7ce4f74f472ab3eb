package keyless

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cavra/cavra/signing/trust/sigstore"
)

// Fulcio's certificate extensions (OID arc 1.3.6.1.4.1.57264.1).
var (
	oidIssuer            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1} // deprecated: raw string
	oidGitHubTrigger     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidGitHubSHA         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidGitHubName        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 4}
	oidGitHubRepository  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidGitHubRef         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 6}
	oidOtherName         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 7}
	oidIssuerV2          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8} // DER UTF8String
	oidSourceRepoURI     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceRepoDigest  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRepoRef     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildTrigger      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}
	oidRunInvocationURI  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 21}
	oidSubjectAltName    = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidSCTList           = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	oidExtKeyUsageCodeSn = x509.ExtKeyUsageCodeSigning
)

// checkChain checks, at every signing time, that the certificate chains to
// a Fulcio CA of the trusted root whose validFor holds that time, and
// returns the certificate that issued it and the CA.
func (v *Verifier) checkChain(leaf *x509.Certificate, times []SigningTime) (*x509.Certificate, *sigstore.CertificateAuthority, error) {
	// Go does not read Fulcio's other-name SAN; the critical SAN it
	// leaves unhandled is read by identity below.
	cert := *leaf
	cert.UnhandledCriticalExtensions = nil
	for _, oid := range leaf.UnhandledCriticalExtensions {
		if !oid.Equal(oidSubjectAltName) {
			cert.UnhandledCriticalExtensions = append(cert.UnhandledCriticalExtensions, oid)
		}
	}
	var issuer *x509.Certificate
	var ca *sigstore.CertificateAuthority
	for _, t := range times {
		var errs []string
		found := false
		for _, c := range v.root.CertificateAuthorities {
			if !c.Validity.Contains(t.Time) {
				errs = append(errs, fmt.Sprintf("%s is valid %s", c.URI, c.Validity))
				continue
			}
			roots, inter := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(c.Root())
			for _, i := range c.Chain[:len(c.Chain)-1] {
				inter.AddCert(i)
			}
			chains, err := cert.Verify(x509.VerifyOptions{
				Roots: roots, Intermediates: inter, CurrentTime: t.Time,
				KeyUsages: []x509.ExtKeyUsage{oidExtKeyUsageCodeSn},
			})
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", c.URI, err))
				continue
			}
			found = true
			if issuer == nil {
				issuer, ca = chains[0][1], c
			}
			break
		}
		if !found {
			return nil, nil, fail(CheckCertificateChain, "the certificate (%s, issued by %q) does not chain to a Fulcio CA of the trusted root valid at %s: %s",
				fingerprint(leaf), leaf.Issuer.String(), t.Time.UTC().Format(time.RFC3339), strings.Join(errs, "; "))
		}
	}
	return issuer, ca, nil
}

// identity is what the certificate says of its holder.
type identity struct {
	san, issuer                                 string
	trigger, sha, name, repository, ref, runURI string
	newTrigger, newSHA, newRef, newRepository   string
}

// readIdentity reads the SAN and Fulcio's extensions.
func readIdentity(leaf *x509.Certificate) (*identity, error) {
	id := &identity{}
	switch {
	case len(leaf.URIs) > 0:
		id.san = leaf.URIs[0].String()
	case len(leaf.EmailAddresses) > 0:
		id.san = leaf.EmailAddresses[0]
	default:
		id.san = otherNameSAN(leaf)
	}
	var issuerV1, issuerV2 string
	for _, e := range leaf.Extensions {
		var raw *string
		der := false
		switch {
		case e.Id.Equal(oidIssuer):
			raw = &issuerV1
		case e.Id.Equal(oidIssuerV2):
			raw, der = &issuerV2, true
		case e.Id.Equal(oidGitHubTrigger):
			raw = &id.trigger
		case e.Id.Equal(oidGitHubSHA):
			raw = &id.sha
		case e.Id.Equal(oidGitHubName):
			raw = &id.name
		case e.Id.Equal(oidGitHubRepository):
			raw = &id.repository
		case e.Id.Equal(oidGitHubRef):
			raw = &id.ref
		case e.Id.Equal(oidSourceRepoURI):
			raw, der = &id.newRepository, true
		case e.Id.Equal(oidSourceRepoDigest):
			raw, der = &id.newSHA, true
		case e.Id.Equal(oidSourceRepoRef):
			raw, der = &id.newRef, true
		case e.Id.Equal(oidBuildTrigger):
			raw, der = &id.newTrigger, true
		case e.Id.Equal(oidRunInvocationURI):
			raw, der = &id.runURI, true
		default:
			continue
		}
		if !der {
			*raw = string(e.Value)
			continue
		}
		rest, err := asn1.Unmarshal(e.Value, raw)
		if err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("extension %s is not a DER string", e.Id)
		}
	}
	switch {
	case issuerV1 != "" && issuerV2 != "" && issuerV1 != issuerV2:
		return nil, fmt.Errorf("the certificate names two issuers: %q (OID .1.1) and %q (OID .1.8)", issuerV1, issuerV2)
	case issuerV2 != "":
		id.issuer = issuerV2
	default:
		id.issuer = issuerV1
	}
	return id, nil
}

// otherNameSAN returns the UTF8String of Fulcio's other-name SAN
// (OID 1.3.6.1.4.1.57264.1.7), or "".
func otherNameSAN(leaf *x509.Certificate) string {
	for _, e := range leaf.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &names); err != nil || len(rest) > 0 {
			return ""
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 {
				continue
			}
			var on struct {
				ID    asn1.ObjectIdentifier
				Value asn1.RawValue `asn1:"explicit,tag:0"`
			}
			if _, err := asn1.UnmarshalWithParams(n.FullBytes, &on, "tag:0"); err != nil || !on.ID.Equal(oidOtherName) {
				continue
			}
			var s string
			if _, err := asn1.UnmarshalWithParams(on.Value.Bytes, &s, "utf8"); err == nil {
				return s
			}
		}
	}
	return ""
}

// githubClaim returns a legacy GitHub claim, or its successor's value when
// the certificate has no legacy one.
func githubClaim(legacy, successor string) string {
	if legacy != "" {
		return legacy
	}
	return successor
}

// checkPolicy checks the certificate's identity against the policy, and
// fills in the signer.
func (v *Verifier) checkPolicy(leaf *x509.Certificate, s *Signer) error {
	id, err := readIdentity(leaf)
	if err != nil {
		return &Error{Check: CheckCertificatePolicy, Err: err}
	}
	s.Identity, s.Issuer, s.RunURI = id.san, id.issuer, id.runURI
	s.Repository = githubClaim(id.repository, strings.TrimPrefix(id.newRepository, "https://github.com/"))
	s.Ref = githubClaim(id.ref, id.newRef)
	s.Commit = githubClaim(id.sha, id.newSHA)
	s.Trigger = githubClaim(id.trigger, id.newTrigger)
	s.WorkflowName = id.name
	p := v.policy
	switch {
	case id.san == "":
		return fail(CheckCertificatePolicy, "the certificate has no subject alternative name")
	case p.Identity != "" && id.san != p.Identity:
		return fail(CheckCertificatePolicy, "signed by %q, the policy requires %q (--certificate-identity)", id.san, p.Identity)
	case v.identity != nil && !v.identity.MatchString(id.san):
		return fail(CheckCertificatePolicy, "signed by %q, which does not match %q (--certificate-identity-regexp)", id.san, p.IdentityRegexp)
	case id.issuer == "":
		return fail(CheckCertificatePolicy, "the certificate names no OIDC issuer (OID 1.3.6.1.4.1.57264.1.8 or .1.1)")
	case p.Issuer != "" && id.issuer != p.Issuer:
		return fail(CheckCertificatePolicy, "issued for %q, the policy requires %q (--certificate-oidc-issuer)", id.issuer, p.Issuer)
	case v.issuer != nil && !v.issuer.MatchString(id.issuer):
		return fail(CheckCertificatePolicy, "issued for %q, which does not match %q (--certificate-oidc-issuer-regexp)", id.issuer, p.IssuerRegexp)
	}
	for _, c := range []struct{ flag, want, got string }{
		{"--certificate-github-workflow-repository", p.GitHubWorkflowRepository, s.Repository},
		{"--certificate-github-workflow-ref", p.GitHubWorkflowRef, s.Ref},
		{"--certificate-github-workflow-sha", p.GitHubWorkflowSHA, s.Commit},
		{"--certificate-github-workflow-trigger", p.GitHubWorkflowTrigger, s.Trigger},
		{"--certificate-github-workflow-name", p.GitHubWorkflowName, s.WorkflowName},
	} {
		if c.want != "" && c.got != c.want {
			return fail(CheckCertificatePolicy, "the certificate's claim is %q, the policy requires %q (%s)", c.got, c.want, c.flag)
		}
	}
	return nil
}

var errNoSCT = errors.New("the certificate carries no embedded signed certificate timestamp")
