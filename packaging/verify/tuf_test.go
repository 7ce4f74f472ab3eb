package verify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/tufclient"
)

// TestSigningOperations: the record is checked against the root, and a key
// past its rotation age is a warning, or a failure when the operator
// requires the policy.
func TestSigningOperations(t *testing.T) {
	p := pkg(t)
	later := time.Now().AddDate(0, 0, 120) // the targets key's policy is 90 days
	rep, _, err := verify.Dir(p.Dir, verify.Options{Key: p.Key, At: later})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !has(rep, verify.Pass, verify.CheckSigningOps, layout.SigningOps, "key(s) past their rotation age") ||
		len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "past its rotation policy of 90 days") {
		t.Errorf("past the rotation age: got %s, warnings %q, errors %v", rep.Status, rep.Warnings, rep.Errors())
	}
	rep, _, err = verify.Dir(p.Dir, verify.Options{Key: p.Key, At: later, RequireRotationPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !has(rep, verify.Fail, verify.CheckSigningOps, layout.SigningOps, "past its rotation policy of 90 days (--require-rotation-policy)") {
		t.Errorf("--require-rotation-policy: got %s, %v", rep.Status, rep.Errors())
	}
	rep, _, _ = verify.Dir(p.Dir, verify.Options{Key: p.Key, RequireRotationPolicy: true})
	if !rep.OK() || !has(rep, verify.Pass, verify.CheckSigningOps, layout.SigningOps, "no key past its rotation age") {
		t.Errorf("a new key with --require-rotation-policy: got %s, %v", rep.Status, rep.Errors())
	}

	// A record that no longer agrees with the root: another threshold.
	dir := testrelease.Copy(t, p.Dir, t.TempDir())
	editJSON(t, dir, layout.SigningOps, func(m map[string]any) {
		obj(m["roles"].([]any)[1])["threshold"] = 2
		keys := obj(m["roles"].([]any)[1])["keys"].([]any)
		obj(m["roles"].([]any)[1])["keys"] = append(keys, map[string]any{"keyid": strings.Repeat("ab", 32), "scheme": "ed25519", "created": "2026-01-01T00:00:00Z", "held_by": map[string]any{"kind": "kms", "ref": "awskms"}})
	})
	rep, _, _ = verify.Dir(dir, verify.Options{Key: p.Key})
	if !has(rep, verify.Fail, verify.CheckSigningOps, layout.SigningOps, "timestamp: keys") {
		t.Errorf("an edited record: %v", rep.Errors())
	}
}

// TestTUFMetadataWithoutTrustDir: without a trust folder the TUF metadata is
// not checked, but it must be there, and nothing else may hide under
// trust/.
func TestTUFMetadataWithoutTrustDir(t *testing.T) {
	p := pkg(t)
	dir := testrelease.Copy(t, p.Dir, t.TempDir())
	os.Remove(filepath.Join(dir, filepath.FromSlash(tuf.SnapshotPath)))
	write(t, dir, "trust/notes.json", []byte("{}"))
	rep, _, err := verify.Dir(dir, verify.Options{Key: p.Key})
	if err != nil {
		t.Fatal(err)
	}
	if !has(rep, verify.Fail, verify.CheckRequired, tuf.SnapshotPath, "missing") || !has(rep, verify.Fail, verify.CheckChecksum, "trust/notes.json", "not listed in checksums.txt") {
		t.Errorf("got %v", rep.Errors())
	}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.Name, "tuf.") {
			t.Errorf("a TUF check without a trust folder: %s", c)
		}
	}
}

// TestTUFStateOnlyAfterAFullPass: a package that passes the TUF checks but
// fails another is not recorded; the state stays as it was.
func TestTUFStateOnlyAfterAFullPass(t *testing.T) {
	p := pkg(t)
	td := t.TempDir()
	root, err := os.ReadFile(filepath.Join(p.Dir, "trust", "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tufclient.Init(td, root, time.Now()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(td, tufclient.StateFile))
	at := time.Unix(1767323045, 0).Add(24 * time.Hour) // the test repositories' commit time, a day later
	c, err := tufclient.Open(td, at)
	if err != nil {
		t.Fatal(err)
	}
	// Passes TUF, fails the operator's version.
	rep, _, err := verify.Dir(p.Dir, verify.Options{TUF: c, At: at, ExpectVersion: "v9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !has(rep, verify.Pass, verify.CheckTUFFiles, "", "none unlisted") || !has(rep, verify.Skip, verify.CheckTUFState, tufclient.StateFile, "not recorded") {
		t.Fatalf("got %s: %v", rep.Status, rep.Checks)
	}
	after, _ := os.ReadFile(filepath.Join(td, tufclient.StateFile))
	if string(before) != string(after) {
		t.Error("a package that failed was recorded")
	}
	// The same package, passing: recorded, and the report says which
	// versions.
	rep, _, _ = verify.Dir(p.Dir, verify.Options{TUF: c, At: at})
	if !rep.OK() || !rep.TUF.Recorded || rep.TUF.Versions.Timestamp != 1767323045 || !rep.TUF.AtGiven {
		b, _ := json.Marshal(rep.TUF)
		t.Errorf("got %s, %s: %v", rep.Status, b, rep.Errors())
	}
}
