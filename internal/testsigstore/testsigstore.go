// Package testsigstore is a Sigstore in memory for tests: a Fulcio CA, a
// Rekor v1 log, a CT log and a timestamp authority, whose keys are made at
// test time, and the trusted_root.json that trusts them. It signs files
// and DSSE envelopes into bundles v0.3 as the public-good instance does:
// a Fulcio certificate for a GitHub Actions workflow (URI SAN, issuer in
// OIDs .1.1 and .1.8, the legacy and current workflow claims, an embedded
// SCT over the precertificate), a Rekor entry (hashedrekord 0.0.1 or dsse
// 0.0.1) with its signed entry timestamp, an inclusion proof in a tree of
// several entries and a signed checkpoint, and an RFC 3161 timestamp.
//
// It is built from sigstore-go's virtual Sigstore (package
// github.com/sigstore/sigstore-go/pkg/testing/ca: its root, intermediate
// and TSA certificate generators), Rekor's entry types and checkpoint
// signer, certificate-transparency-go's SCT encoding and digitorus's
// timestamp responses, never from the verifier it tests. ca's own Sign
// makes certificates with an email SAN and only the legacy issuer OID, and
// attaches no inclusion proof and no SCT: what a bundle of the public-good
// instance carries and a verifier must check, this package adds.
//
// Heavy, for tests only.
package testsigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/digitorus/timestamp"
	"github.com/go-openapi/runtime"
	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	"github.com/sigstore/rekor/pkg/types"
	dssetype "github.com/sigstore/rekor/pkg/types/dsse"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1" // registers the dsse 0.0.1 kind
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // registers the hashedrekord 0.0.1 kind
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// URLs of the virtual instance, as its trusted root names them.
const (
	FulcioURL = "https://fulcio.virtual.sigstore.test"
	RekorURL  = "https://rekor.virtual.sigstore.test"
	CTURL     = "https://ctfe.virtual.sigstore.test"
	TSAURL    = "https://tsa.virtual.sigstore.test/api/v1/timestamp"
)

// GitHubIssuer is the OIDC issuer of GitHub Actions.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// Sigstore is a virtual Sigstore instance.
type Sigstore struct {
	Start time.Time // the trusted root's validity starts here

	root, intermediate *x509.Certificate
	intermediateKey    *ecdsa.PrivateKey
	tsaRoot, tsaInter  *x509.Certificate
	tsaLeaf            *x509.Certificate
	tsaKey             *ecdsa.PrivateKey
	rekorKey, ctKey    *ecdsa.PrivateKey

	mu     sync.Mutex
	leaves [][]byte // leaf hashes of the log, in order
}

// New makes an instance whose keys and certificates are valid from a few
// hours before now to a few hours after.
func New(t testing.TB) *Sigstore {
	t.Helper()
	s := &Sigstore{Start: time.Now().Add(-4 * time.Hour).Truncate(time.Second)}
	var err error
	check := func(e error) {
		if e != nil {
			t.Helper()
			t.Fatalf("virtual sigstore: %v", e)
		}
	}
	var rootKey *ecdsa.PrivateKey
	s.root, rootKey, err = ca.GenerateRootCa()
	check(err)
	s.intermediate, s.intermediateKey, err = ca.GenerateFulcioIntermediate(s.root, rootKey)
	check(err)
	var tsaRootKey, tsaInterKey *ecdsa.PrivateKey
	s.tsaRoot, tsaRootKey, err = ca.GenerateRootCa()
	check(err)
	s.tsaInter, tsaInterKey, err = ca.GenerateTSAIntermediate(s.tsaRoot, tsaRootKey)
	check(err)
	s.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	// ca's TSA certificates are valid ten minutes from the time given.
	s.tsaLeaf, err = ca.GenerateTSALeafCert(time.Now().Add(-5*time.Minute), s.tsaKey, s.tsaInter, tsaInterKey)
	check(err)
	s.rekorKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	s.ctKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	// Earlier entries of the log, so that proofs have several hashes.
	for i := range 11 {
		h := sha256.Sum256([]byte(fmt.Sprintf("\x00earlier entry %d", i)))
		s.leaves = append(s.leaves, h[:])
	}
	return s
}

// TrustedRoot returns the instance's trusted_root.json, as sigstore-go
// writes it.
func (s *Sigstore) TrustedRoot(t testing.TB) []byte {
	t.Helper()
	end := time.Now().Add(4 * time.Hour).Truncate(time.Second)
	fulcio := &root.FulcioCertificateAuthority{
		Root: s.root, Intermediates: []*x509.Certificate{s.intermediate},
		ValidityPeriodStart: s.Start, ValidityPeriodEnd: end, URI: FulcioURL,
	}
	tsa := &root.SigstoreTimestampingAuthority{
		Root: s.tsaRoot, Intermediates: []*x509.Certificate{s.tsaInter}, Leaf: s.tsaLeaf,
		ValidityPeriodStart: s.Start, ValidityPeriodEnd: end, URI: TSAURL,
	}
	tl := func(url string, key *ecdsa.PrivateKey) map[string]*root.TransparencyLog {
		id := logID(&key.PublicKey)
		return map[string]*root.TransparencyLog{hex.EncodeToString(id): {
			BaseURL: url, ID: id, ValidityPeriodStart: s.Start, HashFunc: crypto.SHA256,
			PublicKey: &key.PublicKey, SignatureHashFunc: crypto.SHA256,
		}}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{fulcio}, tl(CTURL, s.ctKey), []root.TimestampingAuthority{tsa}, tl(RekorURL, s.rekorKey))
	if err != nil {
		t.Fatalf("virtual sigstore: trusted root: %v", err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatalf("virtual sigstore: trusted root: %v", err)
	}
	return data
}

func logID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	s := sha256.Sum256(der)
	return s[:]
}

// Identity is who signs: the certificate's SAN and issuer and, for GitHub
// Actions, the workflow's claims.
type Identity struct {
	SAN          string // a URI or an email address
	Issuer       string
	Repository   string // owner/repo
	Ref          string
	SHA          string
	Trigger      string
	WorkflowName string
}

// GitHubWorkflow is the identity of the workflow .github/workflows/<file>
// of repo running for ref at commit sha, triggered by event.
func GitHubWorkflow(repo, file, ref, sha, event string) Identity {
	return Identity{
		SAN:    "https://github.com/" + repo + "/.github/workflows/" + file + "@" + ref,
		Issuer: GitHubIssuer, Repository: repo, Ref: ref, SHA: sha, Trigger: event, WorkflowName: "release",
	}
}

// Options shape one signature, its certificate and its log entry.
type Options struct {
	Identity Identity
	// Issued is when the certificate starts to be valid (default now); it
	// is valid ten minutes.
	Issued time.Time
	// Integrated is the log's integration time (default a minute after
	// Issued); Stamped the timestamp's (default the same).
	Integrated, Stamped time.Time
	// Timestamp adds an RFC 3161 timestamp.
	Timestamp bool
	// NoTlog leaves the log entry out; NoSET its signed entry timestamp;
	// NoProof its inclusion proof.
	NoTlog, NoSET, NoProof bool
	// NoSCT issues the certificate without an embedded SCT.
	NoSCT bool
	// Untrusted issues the certificate from another CA, which the trusted
	// root does not hold.
	Untrusted *Sigstore
}

// SignBlob signs a file's SHA-256 and returns the bundle JSON.
func (s *Sigstore) SignBlob(t testing.TB, artifact []byte, o Options) []byte {
	t.Helper()
	o = s.defaults(o)
	leaf, key := s.issue(t, o)
	sum := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	body := rekorBody(t, hashedrekord.KIND, "0.0.1", types.ArtifactProperties{ArtifactHash: "sha256:" + hex.EncodeToString(sum[:]), SignatureBytes: sig}, leaf)
	b := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}},
	}
	return s.finish(t, b, leaf, sig, body, "hashedrekord", o)
}

// SignDSSE signs a DSSE envelope of payload and returns the bundle JSON.
func (s *Sigstore) SignDSSE(t testing.TB, payloadType string, payload []byte, o Options) []byte {
	t.Helper()
	o = s.defaults(o)
	leaf, key := s.issue(t, o)
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
	h := sha256.Sum256([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	env, err := json.Marshal(map[string]any{
		"payloadType": payloadType, "payload": base64.StdEncoding.EncodeToString(payload),
		"signatures": []map[string]string{{"sig": base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := rekorBody(t, dssetype.KIND, "0.0.1", types.ArtifactProperties{ArtifactBytes: env}, leaf)
	b := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: payloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return s.finish(t, b, leaf, sig, body, "dsse", o)
}

func (s *Sigstore) defaults(o Options) Options {
	if o.Identity.SAN == "" {
		o.Identity = GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/v1.2.3", strings.Repeat("ab", 20), "release")
	}
	if o.Issued.IsZero() {
		o.Issued = time.Now().Add(-time.Minute).Truncate(time.Second)
	}
	if o.Integrated.IsZero() {
		o.Integrated = o.Issued.Add(time.Minute)
	}
	if o.Stamped.IsZero() {
		o.Stamped = o.Integrated
	}
	return o
}

// finish adds the verification material: the certificate, the log entry
// and the timestamp.
func (s *Sigstore) finish(t testing.TB, b *protobundle.Bundle, leaf *x509.Certificate, sig, body []byte, kind string, o Options) []byte {
	t.Helper()
	vm := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
	}
	if !o.NoTlog {
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{s.logEntry(t, body, kind, o)}
	}
	if o.Timestamp {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: s.stamp(t, sig, o.Stamped)}},
		}
	}
	b.VerificationMaterial = vm
	data, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Fulcio's extensions.
var (
	oidIssuer       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidTrigger      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidSHA          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidName         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 4}
	oidRepository   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidRef          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 6}
	oidIssuerV2     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidBuildSigner  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 9}
	oidSourceRepo   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceDigest = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRef    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildTrigger = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}
	oidRunURI       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 21}
	oidSCTList      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

// issue makes a signing key and its Fulcio certificate with an embedded
// SCT: the certificate is made once without the SCT list (its TBS is the
// precertificate's, poison aside), the CT log signs that, and the
// certificate is made again with the list as its last extension.
func (s *Sigstore) issue(t testing.TB, o Options) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		t.Fatal(err)
	}
	id := o.Identity
	der := func(v string) []byte {
		b, err := asn1.MarshalWithParams(v, "utf8")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    o.Issued, NotAfter: o.Issued.Add(10 * time.Minute),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuer, Value: []byte(id.Issuer)},
			{Id: oidIssuerV2, Value: der(id.Issuer)},
		},
	}
	if strings.Contains(id.SAN, "://") {
		u, err := url.Parse(id.SAN)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	} else {
		tmpl.EmailAddresses = []string{id.SAN}
	}
	if id.Repository != "" {
		repoURL := "https://github.com/" + id.Repository
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions,
			pkix.Extension{Id: oidTrigger, Value: []byte(id.Trigger)},
			pkix.Extension{Id: oidSHA, Value: []byte(id.SHA)},
			pkix.Extension{Id: oidName, Value: []byte(id.WorkflowName)},
			pkix.Extension{Id: oidRepository, Value: []byte(id.Repository)},
			pkix.Extension{Id: oidRef, Value: []byte(id.Ref)},
			pkix.Extension{Id: oidBuildSigner, Value: der(id.SAN)},
			pkix.Extension{Id: oidSourceRepo, Value: der(repoURL)},
			pkix.Extension{Id: oidSourceDigest, Value: der(id.SHA)},
			pkix.Extension{Id: oidSourceRef, Value: der(id.Ref)},
			pkix.Extension{Id: oidBuildTrigger, Value: der(id.Trigger)},
			pkix.Extension{Id: oidRunURI, Value: der(repoURL + "/actions/runs/42/attempts/1")},
		)
	}
	parent, parentKey := s.intermediate, s.intermediateKey
	if o.Untrusted != nil {
		parent, parentKey = o.Untrusted.intermediate, o.Untrusted.intermediateKey
	}
	create := func() *x509.Certificate {
		raw, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pre := create()
	if o.NoSCT {
		return pre, key
	}
	list := s.sctList(t, pre, parent, o.Issued)
	tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidSCTList, Value: list})
	return create(), key
}

// sctList returns the SCT list extension's value for a certificate whose
// TBS (without the list) is pre's, issued by issuer.
func (s *Sigstore) sctList(t testing.TB, pre, issuer *x509.Certificate, at time.Time) []byte {
	t.Helper()
	var id ct.LogID
	copy(id.KeyID[:], logID(&s.ctKey.PublicKey))
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, LogID: id, Timestamp: uint64(at.UnixMilli())}
	entry := ct.LogEntry{Leaf: ct.MerkleTreeLeaf{LeafType: ct.TimestampedEntryLeafType, TimestampedEntry: &ct.TimestampedEntry{
		EntryType: ct.PrecertLogEntryType,
		PrecertEntry: &ct.PreCert{
			IssuerKeyHash:  sha256.Sum256(issuer.RawSubjectPublicKeyInfo),
			TBSCertificate: pre.RawTBSCertificate,
		},
	}}}
	input, err := ct.SerializeSCTSignatureInput(sct, entry)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(rand.Reader, s.ctKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sct.Signature = ct.DigitallySigned{
		Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA},
		Signature: sig,
	}
	one, err := cttls.Marshal(sct)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cttls.Marshal(ctx509.SignedCertificateTimestampList{SCTList: []ctx509.SerializedSCT{{Val: one}}})
	if err != nil {
		t.Fatal(err)
	}
	ext, err := asn1.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return ext
}

// rekorBody returns the canonical body Rekor would log for the properties
// and the certificate.
func rekorBody(t testing.TB, kind, version string, props types.ArtifactProperties, leaf *x509.Certificate) []byte {
	t.Helper()
	ctx := context.Background()
	props.PublicKeyBytes = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})}
	props.PKIFormat = string(pki.X509)
	proposed, err := types.NewProposedEntry(ctx, kind, version, props)
	if err != nil {
		t.Fatalf("rekor %s entry: %v", kind, err)
	}
	impl, err := types.CreateVersionedEntry(proposed)
	if err != nil {
		t.Fatalf("rekor %s entry: %v", kind, err)
	}
	can, err := types.CanonicalizeEntry(ctx, impl)
	if err != nil {
		t.Fatalf("rekor %s entry: %v", kind, err)
	}
	// As Rekor returns it: the canonical entry, read back and written
	// again.
	pe, err := models.UnmarshalProposedEntry(bytes.NewReader(can), runtime.JSONConsumer())
	if err != nil {
		t.Fatal(err)
	}
	impl, err = types.UnmarshalEntry(pe)
	if err != nil {
		t.Fatal(err)
	}
	body, err := impl.Canonicalize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// logEntry appends the body to the log and returns its entry with the
// signed entry timestamp, the inclusion proof and a signed checkpoint.
func (s *Sigstore) logEntry(t testing.TB, body []byte, kind string, o Options) *protorekor.TransparencyLogEntry {
	t.Helper()
	s.mu.Lock()
	leafHash := sha256.Sum256(append([]byte{0}, body...))
	s.leaves = append(s.leaves, leafHash[:])
	leaves := append([][]byte(nil), s.leaves...)
	s.mu.Unlock()
	index := int64(len(leaves) - 1)
	globalIndex := 7_000_000 + index // Rekor's virtual index across shards
	id := logID(&s.rekorKey.PublicKey)
	e := &protorekor.TransparencyLogEntry{
		LogIndex:          globalIndex,
		LogId:             &protocommon.LogId{KeyId: id},
		KindVersion:       &protorekor.KindVersion{Kind: kind, Version: "0.0.1"},
		IntegratedTime:    o.Integrated.Unix(),
		CanonicalizedBody: body,
	}
	signer, err := signature.LoadECDSASignerVerifier(s.rekorKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !o.NoSET {
		payload, err := json.Marshal(tlog.RekorPayload{
			Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: e.IntegratedTime,
			LogIndex: globalIndex, LogID: hex.EncodeToString(id),
		})
		if err != nil {
			t.Fatal(err)
		}
		canonical, err := jsoncanonicalizer.Transform(payload)
		if err != nil {
			t.Fatal(err)
		}
		set, err := signer.SignMessage(bytes.NewReader(canonical))
		if err != nil {
			t.Fatal(err)
		}
		e.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	}
	if !o.NoProof {
		rootHash := treeHash(leaves)
		cp, err := rekorutil.CreateAndSignCheckpoint(context.Background(), strings.TrimPrefix(RekorURL, "https://"), 1193050959916656506, uint64(len(leaves)), rootHash, signer)
		if err != nil {
			t.Fatal(err)
		}
		e.InclusionProof = &protorekor.InclusionProof{
			LogIndex: index, TreeSize: int64(len(leaves)), RootHash: rootHash,
			Hashes: auditPath(int(index), leaves), Checkpoint: &protorekor.Checkpoint{Envelope: string(cp)},
		}
	}
	return e
}

// treeHash is the Merkle tree hash of leaf hashes (RFC 6962 2.1).
func treeHash(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return node(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// auditPath is the inclusion proof of leaf m (RFC 6962 2.1.1).
func auditPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return [][]byte{}
	}
	k := split(len(leaves))
	if m < k {
		return append(auditPath(m, leaves[:k]), treeHash(leaves[k:]))
	}
	return append(auditPath(m-k, leaves[k:]), treeHash(leaves[:k]))
}

// split is the largest power of two less than n.
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func node(l, r []byte) []byte {
	h := sha256.Sum256(append(append([]byte{1}, l...), r...))
	return h[:]
}

// stamp returns an RFC 3161 TimeStampResp over sig at the time at.
func (s *Sigstore) stamp(t testing.TB, sig []byte, at time.Time) []byte {
	t.Helper()
	h := sha256.Sum256(sig)
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: h[:], Time: at,
		Policy:            asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2},
		AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(s.tsaLeaf, s.tsaKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// SignPackage does what the release workflow's signing job does, with the
// virtual instance: beside the zip of version in the folder dist, it
// writes the keyless bundles of the zip, of the package's checksums.txt
// and of its provenance statement (a DSSE attestation of the same
// statement as the package's envelope), and the trusted root as
// trusted_root.json: the bytes of the package's sigstore/trusted_root.json
// when it has one (whichever instance's it is), else this instance's. The
// package folder dist/go-runtime-<version> is read for checksums.txt, the
// provenance and the trusted root.
func (s *Sigstore) SignPackage(t testing.TB, dist, version string, o Options) {
	t.Helper()
	read := func(p string) []byte {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("virtual sigstore: %v", err)
		}
		return data
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dist, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(dist, layout.Dir(version))
	write(layout.KeylessZip(version), s.SignBlob(t, read(filepath.Join(dist, layout.Zip(version))), o))
	write(layout.KeylessChecksums(version), s.SignBlob(t, read(filepath.Join(dir, "checksums.txt")), o))
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"`
	}
	if err := json.Unmarshal(read(filepath.Join(dir, layout.Provenance)), &env); err != nil {
		t.Fatalf("virtual sigstore: %s: %v", layout.Provenance, err)
	}
	write(layout.KeylessProvenance(version), s.SignDSSE(t, env.PayloadType, env.Payload, o))
	root, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(layout.TrustedRoot)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		root = s.TrustedRoot(t)
	case err != nil:
		t.Fatalf("virtual sigstore: %v", err)
	}
	write(sigstore.TrustedRootName, root)
}

// WriteTrustedRoot writes the instance's trusted root into a new file in
// dir and returns its path: what CAVRA_SIGSTORE_TRUSTED_ROOT names for a
// release whose package carries it.
func (s *Sigstore) WriteTrustedRoot(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, sigstore.TrustedRootName)
	if err := os.WriteFile(p, s.TrustedRoot(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
