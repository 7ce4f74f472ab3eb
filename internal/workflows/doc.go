// Package workflows holds the tests of the GitHub Actions workflows in
// .github/workflows: actionlint, pinned actions, least privilege, and no
// logic but mage targets.
package workflows
