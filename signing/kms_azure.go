//go:build azurekms

package signing

import _ "github.com/sigstore/sigstore/pkg/signature/kms/azure" // registers azurekms://

func init() { registerKMS("azurekms://") }
