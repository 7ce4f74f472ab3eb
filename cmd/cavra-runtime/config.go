package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
	"github.com/cavra/cavra/runtime/runnerauth"
)

// config holds the flags shared by the command forms.
type config struct {
	pack     string
	pin      bool
	policy   string
	registry string

	evidence   string
	evKey      string
	evKeyID    string
	runnerKey  string
	runnerKID  string
	issuer     string
	audience   string
	jwks       string
	jwksURL    string
	claims     string
	oidcToken  string
	oidcTokenF string
}

// envFlags name the environment variable each flag falls back to when
// it is not given, as in CAVRA. Values from the environment are never
// printed.
var envFlags = map[string]string{
	"evidence-signing-key":        "CAVRA_DAEMON_EVIDENCE_HMAC_KEY",
	"evidence-signing-key-id":     "CAVRA_DAEMON_EVIDENCE_KEY_ID",
	"runner-auth-key":             "CAVRA_RUNNER_AUTH_HMAC_KEY",
	"runner-auth-key-id":          "CAVRA_RUNNER_AUTH_KEY_ID",
	"runner-auth-oidc-token":      "CAVRA_RUNNER_AUTH_OIDC_TOKEN",
	"runner-auth-oidc-token-file": "CAVRA_RUNNER_AUTH_OIDC_TOKEN_FILE",
	"runner-oidc-issuer":          "CAVRA_RUNNER_OIDC_ISSUER",
	"runner-oidc-audience":        "CAVRA_RUNNER_OIDC_AUDIENCE",
	"runner-oidc-jwks":            "CAVRA_RUNNER_OIDC_JWKS",
	"runner-oidc-jwks-url":        "CAVRA_RUNNER_OIDC_JWKS_URL",
}

// registerPolicy adds the flags that choose what decides.
func (c *config) registerPolicy(fs *flag.FlagSet) {
	fs.StringVar(&c.pack, "pack", "", "built-in pack for requests that name none")
	fs.BoolVar(&c.pin, "pin-pack", false, "block requests that name another pack")
	fs.StringVar(&c.policy, "policy", "", "compiled policy `file`")
	fs.StringVar(&c.registry, "registry", "", "MCP trust registry `file`")
}

// registerEvidence adds the evidence log flags.
func (c *config) registerEvidence(fs *flag.FlagSet) {
	fs.StringVar(&c.evidence, "evidence-log", "", "evidence log `file`")
	fs.StringVar(&c.evKey, "evidence-signing-key", "", "HMAC `key` signing evidence records")
	fs.StringVar(&c.evKeyID, "evidence-signing-key-id", "", "`id` of the evidence signing key")
}

// registerServer adds the runner authentication flags of a daemon.
func (c *config) registerServer(fs *flag.FlagSet) {
	fs.StringVar(&c.runnerKey, "runner-auth-key", "", "HMAC `key` runners sign with")
	fs.StringVar(&c.runnerKID, "runner-auth-key-id", "", "`id` of the runner key")
	fs.StringVar(&c.issuer, "runner-oidc-issuer", "", "OIDC `issuer` of runner tokens")
	fs.StringVar(&c.audience, "runner-oidc-audience", "", "OIDC `audience` of runner tokens")
	fs.StringVar(&c.jwks, "runner-oidc-jwks", "", "JWKS `file` with the issuer's keys")
	fs.StringVar(&c.jwksURL, "runner-oidc-jwks-url", "", "JWKS `url`, fetched once at start")
}

// registerClient adds the flags of the --daemon client.
func (c *config) registerClient(fs *flag.FlagSet) {
	fs.StringVar(&c.claims, "runner-auth-claims", "", "runner identity JSON `file` to sign")
	fs.StringVar(&c.oidcToken, "runner-auth-oidc-token", "", "OIDC `token` to send instead of an HMAC signature")
	fs.StringVar(&c.oidcTokenF, "runner-auth-oidc-token-file", "", "`file` holding the OIDC token")
}

// applyEnv fills flags that were not given from their variables.
func applyEnv(fs *flag.FlagSet) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, env := range envFlags {
		if f := fs.Lookup(name); f != nil && !set[name] {
			if v, ok := os.LookupEnv(env); ok {
				f.Value.Set(v)
			}
		}
	}
}

// engine loads the policy and registry files and builds the engine.
func (c *config) engine() (*policy.Engine, error) {
	cfg := policy.Config{Default: c.pack, Pin: c.pin}
	if c.policy != "" {
		p, err := policy.LoadPolicy(c.policy)
		if err != nil {
			return nil, err
		}
		cfg.Policy = p
	}
	if c.registry != "" {
		r, err := policy.LoadRegistry(c.registry)
		if err != nil {
			return nil, err
		}
		cfg.Registry = r
	}
	return policy.NewEngine(cfg)
}

func (c *config) evidenceOptions() evidence.Options {
	o := evidence.Options{KeyID: c.evKeyID}
	if c.evKey != "" {
		o.Key = []byte(c.evKey)
	}
	return o
}

// enforcer builds the enforcer, opening the evidence log if asked. The
// caller must call closeLog when done.
func (c *config) enforcer() (e *enforce.Enforcer, closeLog func() error, err error) {
	eng, err := c.engine()
	if err != nil {
		return nil, nil, err
	}
	e = &enforce.Enforcer{Engine: eng}
	closeLog = func() error { return nil }
	if c.evidence == "" && c.evKey != "" {
		return nil, nil, usageErr("--evidence-signing-key needs --evidence-log")
	}
	if c.evidence != "" {
		l, err := evidence.Open(c.evidence, c.evidenceOptions())
		if err != nil {
			return nil, nil, err
		}
		e.Log = l
		closeLog = l.Close
	}
	return e, closeLog, nil
}

// verifier builds the runner verifier of a daemon: HMAC with a runner
// key, OIDC with an issuer, an audience and a JWKS; nil if neither.
func (c *config) verifier() (*runnerauth.Verifier, error) {
	v := &runnerauth.Verifier{KeyID: c.runnerKID}
	if c.runnerKey != "" {
		v.Key = []byte(c.runnerKey)
	} else if c.runnerKID != "" {
		return nil, usageErr("--runner-auth-key-id needs --runner-auth-key")
	}
	oidc := c.issuer != "" || c.audience != "" || c.jwks != "" || c.jwksURL != ""
	if oidc {
		var missing []string
		if c.issuer == "" {
			missing = append(missing, "--runner-oidc-issuer")
		}
		if c.audience == "" {
			missing = append(missing, "--runner-oidc-audience")
		}
		if c.jwks == "" && c.jwksURL == "" {
			missing = append(missing, "--runner-oidc-jwks (or --runner-oidc-jwks-url)")
		}
		if len(missing) > 0 {
			return nil, usageErr("runner OIDC verification needs %s", strings.Join(missing, ", "))
		}
		var data []byte
		var err error
		if c.jwks != "" {
			data, err = runnerauth.LoadJWKS(c.jwks)
		} else {
			data, err = runnerauth.FetchJWKS(c.jwksURL)
		}
		if err != nil {
			return nil, fmt.Errorf("runner OIDC: %w", err)
		}
		src := c.jwks
		if src == "" {
			src = c.jwksURL
		}
		if v.OIDC, err = runnerauth.NewOIDCVerifier(c.issuer, c.audience, data); err != nil {
			return nil, fmt.Errorf("runner OIDC: %s: %w", src, err)
		}
	}
	if !v.Enabled() {
		return nil, nil
	}
	return v, nil
}

// daemonArgs and daemonEnv carry a daemon's settings to the process
// --lifecycle start runs: files as flags, keys in the environment.
func (c *config) daemonArgs() []string {
	var a []string
	add := func(flag, v string) {
		if v != "" {
			a = append(a, flag, v)
		}
	}
	add("--policy", c.policy)
	add("--registry", c.registry)
	add("--pack", c.pack)
	if c.pin {
		a = append(a, "--pin-pack")
	}
	add("--evidence-log", c.evidence)
	add("--runner-oidc-issuer", c.issuer)
	add("--runner-oidc-audience", c.audience)
	add("--runner-oidc-jwks", c.jwks)
	add("--runner-oidc-jwks-url", c.jwksURL)
	return a
}

func (c *config) daemonEnv() []string {
	var e []string
	add := func(name, v string) {
		if v != "" {
			e = append(e, name+"="+v)
		}
	}
	add("CAVRA_DAEMON_EVIDENCE_HMAC_KEY", c.evKey)
	add("CAVRA_DAEMON_EVIDENCE_KEY_ID", c.evKeyID)
	add("CAVRA_RUNNER_AUTH_HMAC_KEY", c.runnerKey)
	add("CAVRA_RUNNER_AUTH_KEY_ID", c.runnerKID)
	return e
}

var errNoInput = errors.New("no request on the input")
