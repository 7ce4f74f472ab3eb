package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cavra/cavra/runtime/policy"
)

// cmdPolicy runs "policy list" and "policy show".
func cmdPolicy(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "list" && args[0] != "show" {
		return usageErr("policy: want \"policy list\" or \"policy show [NAME]\"")
	}
	sub := args[0]
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	var c config
	fs.StringVar(&c.policy, "policy", "", "policy `file`")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	eng, err := c.engine()
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if fs.NArg() > 0 {
			return usageErr("policy list: unexpected argument %q", fs.Arg(0))
		}
		if c.policy != "" {
			p := eng.Default()
			fmt.Fprintf(stdout, "%s (--policy %s, decides every request)\n    %s\n", eng.DefaultName(), c.policy, p.Title())
		}
		for _, n := range eng.Names() {
			mark := ""
			if n == eng.DefaultName() && c.policy == "" {
				mark = " (default)"
			}
			kind := "CAVRA"
			if _, ok := eng.Pack(n).(*policy.Policy); ok {
				kind = "native, opt-in"
			}
			fmt.Fprintf(stdout, "%s%s [%s]\n    %s\n", n, mark, kind, eng.Pack(n).Title())
		}
	case "show":
		p := eng.Default()
		switch fs.NArg() {
		case 0:
		case 1:
			if p = eng.Pack(fs.Arg(0)); p == nil {
				return fmt.Errorf("policy: unknown pack %q (known: %s)", fs.Arg(0), strings.Join(eng.Names(), ", "))
			}
		default:
			return usageErr("policy show: want at most one NAME")
		}
		switch p := p.(type) {
		case *policy.Compiled:
			stdout.Write(p.CompiledJSON())
		case *policy.Policy:
			fmt.Fprintf(stdout, "%s\n", p.JSON())
		}
	}
	return nil
}
