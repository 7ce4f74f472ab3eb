// Package keyref names the key providers a COSIGN_KEY reference may point
// at, and the build tag that links each into the release command. The
// release command links none of them by default (their cloud SDKs and the
// Kubernetes client are most of what it would otherwise compile); the mage
// targets read COSIGN_KEY and build the release command with the tag its
// provider needs. Standard library only: the magefiles use it.
package keyref

import "strings"

// Provider is a key provider that a build tag links into the release
// command.
type Provider struct {
	Scheme string // e.g. "awskms://"
	Tag    string // the build tag that links it, e.g. "awskms"
	Name   string // what it is, for people: "AWS KMS"
}

// Providers are the providers cosign's own command registers, by scheme.
var Providers = []Provider{
	{"awskms://", "awskms", "AWS KMS"},
	{"gcpkms://", "gcpkms", "Google Cloud KMS"},
	{"azurekms://", "azurekms", "Azure Key Vault"},
	{"hashivault://", "hashivault", "HashiCorp Vault transit"},
	{"openbao://", "hashivault", "OpenBao transit"},
	{"k8s://", "k8s", "a Kubernetes secret"},
}

// Lookup returns the provider of the key reference ref, or false when ref
// names none of them (a key file, env://, or an unknown scheme).
func Lookup(ref string) (Provider, bool) {
	for _, p := range Providers {
		if strings.HasPrefix(ref, p.Scheme) {
			return p, true
		}
	}
	return Provider{}, false
}

// Tags returns the build tags the release command needs for the key
// reference ref: none, or the one of its provider.
func Tags(ref string) []string {
	if p, ok := Lookup(ref); ok {
		return []string{p.Tag}
	}
	return nil
}
