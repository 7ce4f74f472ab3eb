package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing"
)

// Key is the release key, loaded in the background by its own line of the
// step list: decrypting a key file takes scrypt's time and a KMS answers over
// the network, while the first step that signs runs only after the build.
// Every signing method waits for it; a key that fails to load fails the
// release.
type Key struct {
	getenv func(string) string
	done   chan struct{}
	key    *signing.Key
	err    error
}

var _ release.DigestSigner = (*Key)(nil)

// NewKey returns the release key that getenv configures (COSIGN_KEY,
// COSIGN_PRIVATE_KEY, COSIGN_PASSWORD), or the machine-local snapshot key
// when none is; it loads when its step runs.
func NewKey(getenv func(string) string) *Key {
	return &Key{getenv: getenv, done: make(chan struct{})}
}

// Name implements [release.Step].
func (*Key) Name() string { return "key" }

// Run implements [release.Step]: it loads the key. A release (not a
// snapshot) needs a configured key.
func (a *Key) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	defer close(a.done)
	start := time.Now()
	if !signing.Configured(a.getenv) && !s.Config.Snapshot {
		a.err = signing.ErrNoKey
		return nil, a.err
	}
	a.key, a.err = signing.Load(ctx, signing.Options{Getenv: a.getenv, Snapshot: true})
	if a.err != nil {
		return nil, a.err
	}
	s.Log.Done(fmt.Sprintf("signing key %s (%s)", a.key.Fingerprint(), a.key.Identity()), time.Since(start))
	return nil, nil
}

func (a *Key) wait() (*signing.Key, error) {
	<-a.done
	return a.key, a.err
}

func (a *Key) Sign(ctx context.Context, data []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.Sign(ctx, data)
}

func (a *Key) SignSHA256(ctx context.Context, digest []byte) ([]byte, bool, error) {
	k, err := a.wait()
	if err != nil {
		return nil, false, err
	}
	return k.SignSHA256(ctx, digest)
}

func (a *Key) Bundle(data, sig []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.Bundle(data, sig)
}

func (a *Key) BundleSHA256(digest, sig []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.BundleSHA256(digest, sig)
}

func (a *Key) SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.SignDSSE(ctx, payloadType, payload)
}

func (a *Key) DSSEBundle(env []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.DSSEBundle(env)
}

func (a *Key) PublicKeyPEM() []byte {
	if k, err := a.wait(); err == nil {
		return k.PublicKeyPEM()
	}
	return nil
}

func (a *Key) Kind() string {
	if k, err := a.wait(); err == nil {
		return k.Kind()
	}
	return ""
}

func (a *Key) Identity() string {
	if k, err := a.wait(); err == nil {
		return k.Identity()
	}
	return ""
}
