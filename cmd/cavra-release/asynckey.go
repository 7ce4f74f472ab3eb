package main

import (
	"context"

	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/signing"
)

// asyncKey is the release key while it loads: decrypting a key file takes
// scrypt's time and a KMS answers over the network, and the first step that
// signs runs only after the build. Every method waits for the key; a key
// that fails to load has already cancelled the release.
type asyncKey struct {
	done chan struct{}
	key  *signing.Key
	err  error
}

var _ release.DigestSigner = (*asyncKey)(nil)

func (a *asyncKey) wait() (*signing.Key, error) {
	<-a.done
	return a.key, a.err
}

func (a *asyncKey) Sign(ctx context.Context, data []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.Sign(ctx, data)
}

func (a *asyncKey) SignSHA256(ctx context.Context, digest []byte) ([]byte, bool, error) {
	k, err := a.wait()
	if err != nil {
		return nil, false, err
	}
	return k.SignSHA256(ctx, digest)
}

func (a *asyncKey) Bundle(data, sig []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.Bundle(data, sig)
}

func (a *asyncKey) BundleSHA256(digest, sig []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.BundleSHA256(digest, sig)
}

func (a *asyncKey) SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.SignDSSE(ctx, payloadType, payload)
}

func (a *asyncKey) DSSEBundle(env []byte) ([]byte, error) {
	k, err := a.wait()
	if err != nil {
		return nil, err
	}
	return k.DSSEBundle(env)
}

func (a *asyncKey) PublicKeyPEM() []byte {
	if k, err := a.wait(); err == nil {
		return k.PublicKeyPEM()
	}
	return nil
}

func (a *asyncKey) Kind() string {
	if k, err := a.wait(); err == nil {
		return k.Kind()
	}
	return ""
}

func (a *asyncKey) Identity() string {
	if k, err := a.wait(); err == nil {
		return k.Identity()
	}
	return ""
}
