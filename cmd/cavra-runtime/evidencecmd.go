package main

import (
	"flag"
	"io"
)

// cmdEvidence runs "evidence verify [flags] FILE".
func cmdEvidence(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("evidence: want \"evidence verify [flags] FILE\"")
	}
	fs := flag.NewFlagSet("evidence verify", flag.ContinueOnError)
	var c config
	c.registerEvidence(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		return usageErr("evidence verify: want exactly one FILE")
	}
	return verifyEvidence(fs.Arg(0), &c, stdout)
}
