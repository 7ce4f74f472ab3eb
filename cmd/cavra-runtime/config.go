package main

import (
	"flag"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
)

// config holds the flags shared by evaluate and serve.
type config struct {
	pack     string
	pin      bool
	policy   string
	registry string
	evidence string
}

func (c *config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.pack, "pack", "", "pack for requests that name none")
	fs.BoolVar(&c.pin, "pin-pack", false, "block requests that name another pack")
	fs.StringVar(&c.policy, "policy", "", "compiled policy pack `file`")
	fs.StringVar(&c.registry, "registry", "", "MCP trust registry `file`")
	fs.StringVar(&c.evidence, "evidence-log", "", "evidence log `file`")
}

// engine loads the policy and registry files and builds the engine.
func (c *config) engine() (*policy.Engine, error) {
	var cfg policy.Config
	cfg.Default = c.pack
	cfg.Pin = c.pin
	if c.policy != "" {
		p, err := policy.Load(c.policy)
		if err != nil {
			return nil, err
		}
		cfg.Policies = []*policy.Policy{p}
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

// enforcer builds the enforcer, opening the evidence log if asked. The
// caller must call closeLog when done.
func (c *config) enforcer() (e *enforce.Enforcer, closeLog func() error, err error) {
	eng, err := c.engine()
	if err != nil {
		return nil, nil, err
	}
	e = &enforce.Enforcer{Engine: eng}
	closeLog = func() error { return nil }
	if c.evidence != "" {
		l, err := evidence.Open(c.evidence)
		if err != nil {
			return nil, nil, err
		}
		e.Log = l
		closeLog = l.Close
	}
	return e, closeLog, nil
}
