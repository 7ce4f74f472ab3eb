package verify

// RebuildPolicy runs the install policy alone (the rebuild.* checks) on a
// package already read, so that a test can try many sets of attestations
// against one package without verifying it again each time.
func RebuildPolicy(pkg *Package, o Options) *Report {
	r := &Report{}
	checkRebuilds(r, pkg, pkg.Manifest, o)
	r.finish()
	return r
}
