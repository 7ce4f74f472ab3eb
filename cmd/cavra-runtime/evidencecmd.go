package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/cavra/cavra/runtime/evidence"
)

// cmdEvidence runs "evidence verify FILE".
func cmdEvidence(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("evidence: want \"evidence verify FILE\"")
	}
	if len(args) == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
		return flag.ErrHelp
	}
	if len(args) != 2 || args[1] == "" {
		return usageErr("evidence verify: want exactly one FILE")
	}
	s, err := evidence.VerifyFile(args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s: %d records, last seq %d, %d recoveries, head sha256:%s\n",
		args[1], s.Records, s.LastSeq, s.Recoveries, s.Head)
	return nil
}
