//go:build mage

package main

import "github.com/magefile/mage/mg"

// Trust groups the TUF trust repository targets (package
// packaging/release/tufrepo, through the release command): the root chain
// and the signing-operations record in CAVRA_TRUST_REPO (default
// .cavra/trust), the keys they made in its keys/ folder. Root keys sign
// with CAVRA_ROOT_KEYS (default: keys/root-*.key) and CAVRA_ROOT_PASSWORD.
type Trust mg.Namespace

// Init makes the trust repository: the root keys (CAVRA_ROOT_QUORUM, default
// 2/3, ed25519, encrypted with CAVRA_ROOT_PASSWORD), the online snapshot and
// timestamp key (ECDSA P-256, CAVRA_ONLINE_PASSWORD) and root version 1,
// whose targets key is the release key COSIGN_KEY (with COSIGN_PASSWORD).
// Give 1.root.json to verifiers out of band; move the root keys offline.
func (Trust) Init() error { return releaseCmd("trust", "init") }

// Rotate gives ROLE (root, targets, snapshot or timestamp; the last two
// share the online key) a new key and signs root version N+1 with the old
// and the new root keys. The key is made in the keys folder (a release key
// with COSIGN_PASSWORD), or CAVRA_NEW_KEY names one (a file or a KMS key).
func (Trust) Rotate(role string) error { return releaseCmd("trust", "rotate", role) }

// Revoke takes the key KEYID (a key id, 8 or more of its first hex digits,
// or its .pub file) out of its role, replaces it as Rotate does and records
// the revocation with CAVRA_REVOKE_REASON; a revoked key never signs the
// new root.
func (Trust) Revoke(keyid string) error { return releaseCmd("trust", "revoke", keyid) }

// Status prints the root's version and expiry, each role's keys with where
// they are held and their age against the rotation policy, the
// revocations, and what needs doing.
func (Trust) Status() error { return releaseCmd("trust", "status") }
