//go:build k8s

package signing

import (
	"context"
	"errors"

	"github.com/sigstore/cosign/v2/pkg/cosign/kubernetes"
	"github.com/sigstore/sigstore/pkg/signature"
)

// k8s:// names a Kubernetes secret that `cosign generate-key-pair
// k8s://NAMESPACE/NAME` wrote: cosign.key, encrypted with cosign.password,
// both in the secret.
func init() {
	providers[kubernetes.KeyReference] = func(ctx context.Context, ref string) (signature.SignerVerifier, error) {
		s, err := kubernetes.GetKeyPairSecret(ctx, ref)
		if err != nil {
			return nil, err
		}
		if len(s.Data["cosign.key"]) == 0 {
			return nil, errors.New("the secret holds no cosign.key")
		}
		return Decrypt(s.Data["cosign.key"], s.Data["cosign.password"])
	}
}
