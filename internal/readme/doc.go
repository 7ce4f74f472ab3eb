// Package readme holds the test that runs the README's commands as a reader
// types them (see readme_test.go). The README is part of the product: a
// command it shows that does not work is a bug.
//
// # How the README is written so that it can run
//
// Every fenced block whose info string starts with "sh" is a list of shell
// commands, and the words after "sh" say where they run:
//
//	sh setup      the two set-up commands at the top; the test checks them
//	              against .ci/run and the release section (it cannot run the
//	              test suite inside itself)
//	sh checkout   in the repository checkout, connected; a release there
//	              carries a virtual Sigstore's trusted root
//	              (CAVRA_SIGSTORE_TRUSTED_ROOT names its file, as CI's
//	              release job sets it to fetch the public-good one)
//	sh download   in a folder holding what a user downloads from a release:
//	              cavra-go-runtime-<version>.zip with its .sha256, .sig and
//	              .sigstore.json, its three keyless bundles and
//	              trusted_root.json (signed by that virtual Sigstore as the
//	              release workflow at refs/tags/<version>, as CI's signing
//	              job signs), and 1.root.json, the TUF root the maintainers
//	              hand out (obtained separately); `cavra` is on PATH (go
//	              install)
//	sh runtime    the runtime section: run, and their output checked, by
//	              TestREADME of cmd/cavra-runtime, with cavra-runtime built
//	              from the checkout on PATH and the contract suite at hand
//	sh airgap     inside the restricted network: no network (a network
//	              namespace), an empty module cache, only the Go toolchain
//	              (the release toolchain first on PATH, as the README says to
//	              install it) and standard tools; the folder holds only what
//	              was transferred: the zip, its keyless bundles,
//	              1.root.json and vulndb.zip (no trusted_root.json: the
//	              package carries it)
//	cosign-v2, cosign-v3
//	              which major version `cosign` is, for blocks that show one
//	              form of a cosign command
//
// Blocks run in the order they appear; `cd` carries over from one block to
// the next of the same place, and each place starts at its folder. The only
// placeholder is <version>, the version of the newest package in dist/.
// Commands are not chained with && or ||, so that every failing command
// fails the test. Other blocks (text, json, console output) are not run.
package readme
