// Package tuf is the metadata of The Update Framework (specification
// 1.0.x) as a cavra-go-runtime package carries it in trust/: the root chain
// 1.root.json ... N.root.json, targets.json (every other file of the
// package, by its path, with its length, SHA-256 and SHA-512 and the
// release's version and commit), snapshot.json and timestamp.json. The
// release writes it (with go-tuf, see package
// github.com/cavra/cavra/packaging/release/tufrepo) and the verifier reads
// it (see package github.com/cavra/cavra/packaging/verify/tufclient), both
// through this package, which needs the standard library alone.
//
// It defines the four roles' documents, key ids, canonical JSON and the
// signature checks, for ed25519 keys and ECDSA P-256 keys (keytype "ecdsa"
// or "ecdsa-sha2-nistp256", scheme "ecdsa-sha2-nistp256", the PEM key of
// cosign.pub). The rules it holds every file to, beyond the specification:
//
//   - A metadata file is exactly the form [EncodeFile] writes: canonical
//     JSON (sorted keys, no white space, integers only) with strings
//     escaped as JSON needs, and a newline. Anything else, even valid JSON
//     that means the same, is refused, so that no two readers can see two
//     documents in one file.
//   - Fields this format does not define are refused, and so are
//     delegations, which cavra's releases do not use.
//   - A file is refused above the size its role may have ([MaxSize]).
//   - A threshold counts keys, not signatures or key ids: two signatures
//     by one key, or one key listed under two key ids, count once.
//   - A key id must be the SHA-256 of its key's canonical JSON.
package tuf

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cavra/cavra/packaging/format/layout"
)

// The four top-level roles.
const (
	RoleRoot      = "root"
	RoleTargets   = "targets"
	RoleSnapshot  = "snapshot"
	RoleTimestamp = "timestamp"
)

// Roles lists the top-level roles in the order the client updates them
// after the root.
var Roles = []string{RoleRoot, RoleTimestamp, RoleSnapshot, RoleTargets}

// SpecVersion is the specification version the release writes; a reader
// accepts any 1.x.
const SpecVersion = "1.0.31"

// The paths of the metadata files in a package.
const (
	TimestampPath = layout.TrustDir + "/timestamp.json"
	SnapshotPath  = layout.TrustDir + "/snapshot.json"
	TargetsPath   = layout.TrustDir + "/targets.json"
)

// Path returns the path of a role's metadata file in a package; for the
// root, of version v.
func Path(role string, v int64) string {
	if role == RoleRoot {
		return fmt.Sprintf("%s/%d.root.json", layout.TrustDir, v)
	}
	return layout.TrustDir + "/" + role + ".json"
}

// MetaName is the name a snapshot or timestamp lists a role's file by:
// "targets.json", "snapshot.json".
func MetaName(role string) string { return role + ".json" }

// RootVersion returns the version a root file's path names:
// trust/3.root.json is version 3.
func RootVersion(p string) (int64, bool) {
	s, ok := strings.CutPrefix(p, layout.TrustDir+"/")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".root.json")
	if !ok || s == "" || s[0] == '0' {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// IsMetadata reports whether p is the path of a TUF metadata file in a
// package: trust/timestamp.json, snapshot.json, targets.json or
// <N>.root.json. These are the files targets.json does not list.
func IsMetadata(p string) bool {
	switch p {
	case TimestampPath, SnapshotPath, TargetsPath:
		return true
	}
	_, ok := RootVersion(p)
	return ok
}

// MaxSize returns the largest metadata file of role a reader accepts, as
// go-tuf's client bounds them.
func MaxSize(role string) int64 {
	switch role {
	case RoleRoot:
		return 512 << 10
	case RoleTimestamp:
		return 16 << 10
	case RoleSnapshot:
		return 2 << 20
	}
	return 5 << 20
}

// MaxRootRotations bounds how many root versions one update walks.
const MaxRootRotations = 256
