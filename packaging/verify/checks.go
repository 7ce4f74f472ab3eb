package verify

// The names of the checks, as reports print them, in the order of the table
// in the package documentation. Every check the verifier makes is one of
// these; a test holds the table, this list and the code to each other.
const (
	CheckArchive            = "archive"
	CheckLayout             = "layout"
	CheckRead               = "read"
	CheckManifest           = "manifest"
	CheckVersion            = "version"
	CheckRequired           = "required"
	CheckChecksum           = "checksum"
	CheckManifestIdentity   = "manifest.identity"
	CheckManifestMatrix     = "manifest.matrix"
	CheckManifestGo         = "manifest.go"
	CheckManifestBuild      = "manifest.build"
	CheckManifestControls   = "manifest.controls"
	CheckManifestSource     = "manifest.source"
	CheckManifestModules    = "manifest.modules"
	CheckRebuildCommand     = "rebuild-command"
	CheckBinary             = "binary"
	CheckBuildinfo          = "buildinfo"
	CheckPackage            = "package"
	CheckTUFRoot            = "tuf.root"
	CheckTUFTimestamp       = "tuf.timestamp"
	CheckTUFSnapshot        = "tuf.snapshot"
	CheckTUFTargets         = "tuf.targets"
	CheckTUFFiles           = "tuf.files"
	CheckSigningOps         = "signing-operations"
	CheckTrust              = "trust"
	CheckSignature          = "signature"
	CheckProvenance         = "provenance"
	CheckProvenanceBundle   = "provenance.bundle"
	CheckKeyless            = "keyless"
	CheckSBOM               = "sbom"
	CheckSBOMNTIA           = "sbom.ntia"
	CheckSBOMBSI            = "sbom.bsi"
	CheckVEX                = "vex"
	CheckVEXCycloneDX       = "vex.cyclonedx"
	CheckVulns              = "vulns"
	CheckVulnsBundle        = "vulns.bundle"
	CheckBootstrap          = "bootstrap"
	CheckEvidence           = "evidence"
	CheckRebuildAttestation = "rebuild.attestation"
	CheckRebuildPolicy      = "rebuild.policy"
	CheckTUFState           = "tuf.state"
)

// Checks lists every check name in the order of the package documentation.
var Checks = []string{
	CheckArchive, CheckLayout, CheckRead, CheckManifest, CheckVersion, CheckRequired, CheckChecksum,
	CheckManifestIdentity, CheckManifestMatrix, CheckManifestGo, CheckManifestBuild, CheckManifestControls,
	CheckManifestSource, CheckManifestModules, CheckRebuildCommand, CheckBinary, CheckBuildinfo, CheckPackage,
	CheckTUFRoot, CheckTUFTimestamp, CheckTUFSnapshot, CheckTUFTargets, CheckTUFFiles, CheckSigningOps,
	CheckTrust, CheckSignature, CheckProvenance, CheckProvenanceBundle, CheckKeyless, CheckSBOM, CheckSBOMNTIA, CheckSBOMBSI,
	CheckVEX, CheckVEXCycloneDX, CheckVulns, CheckVulnsBundle, CheckBootstrap, CheckEvidence, CheckRebuildAttestation, CheckRebuildPolicy, CheckTUFState,
}
