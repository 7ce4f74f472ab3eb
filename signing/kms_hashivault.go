//go:build hashivault

package signing

import _ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault" // registers hashivault:// and openbao://

func init() {
	registerKMS("hashivault://")
	registerKMS("openbao://")
}
