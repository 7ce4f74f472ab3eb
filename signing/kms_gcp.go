//go:build gcpkms

package signing

import _ "github.com/sigstore/sigstore/pkg/signature/kms/gcp" // registers gcpkms://

func init() { registerKMS("gcpkms://") }
