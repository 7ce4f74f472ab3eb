//go:build awskms

package signing

import _ "github.com/sigstore/sigstore/pkg/signature/kms/aws" // registers awskms://

func init() { registerKMS("awskms://") }
