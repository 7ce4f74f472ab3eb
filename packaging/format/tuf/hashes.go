package tuf

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
)

// The hash algorithms a release lists for every file, and the only ones a
// reader checks: a file listed with another is refused, since it cannot be
// checked.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

// Hashes returns the SHA-256 and SHA-512 of data, as metadata lists them.
func Hashes(data []byte) map[string]string {
	a, b := sha256.Sum256(data), sha512.Sum512(data)
	return map[string]string{SHA256: hex.EncodeToString(a[:]), SHA512: hex.EncodeToString(b[:])}
}

// CheckFile checks a file of length n whose digests are got (algorithm ->
// hex) against the length and hashes metadata lists for it (length 0 with
// no hashes listed is a meta entry without them, which checks nothing but
// the version). Every listed hash must be one of [SHA256] and [SHA512] and
// match; want.Length must equal n when given.
func CheckFile(wantLength int64, want map[string]string, n int64, got map[string]string) error {
	if wantLength != 0 && wantLength != n {
		return fmt.Errorf("length: %d bytes, metadata lists %d", n, wantLength)
	}
	for _, alg := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[alg]
		switch {
		case alg != SHA256 && alg != SHA512:
			return fmt.Errorf("hash: %s is not a hash this verifier checks (sha256, sha512)", alg)
		case !ok:
			return fmt.Errorf("hash: no %s computed", alg)
		case g != want[alg]:
			return fmt.Errorf("hash: %s %s, metadata lists %s", alg, g, want[alg])
		}
	}
	return nil
}
