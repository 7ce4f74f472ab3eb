package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/policy"
)

// cmdEvaluate decides the requests on stdin.
//
// Input is either JSON Lines, one request per line, or a single request
// that may span lines. It is read as JSON Lines unless the first
// non-blank line is not a complete JSON value; then the input, up to
// policy.MaxRequestSize, is read as one document, and if that is not
// valid JSON either, it goes back to being read line by line.
//
// Each request line gets one decision line on stdout, in order: CAVRA's
// runtime decision, compact. A line
// that is not a valid request, or is longer than 1 MiB, gets a block
// decision (input.invalid or input.too_large) and a message on stderr,
// and the lines after it are still decided; the exit status is then 1.
// Blank lines are skipped.
func cmdEvaluate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	var c config
	c.registerPolicy(fs)
	c.registerEvidence(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("evaluate: unexpected argument %q", fs.Arg(0))
	}
	enf, closeLog, err := c.enforcer()
	if err != nil {
		return err
	}
	ev := evaluator{enf: enf, out: bufio.NewWriter(stdout), stderr: stderr}
	ev.run(enforce.NewLineReader(stdin))
	if err := closeLog(); err != nil {
		fmt.Fprintf(stderr, "cavra-runtime: %v\n", err)
		ev.failed = true
	}
	if ev.failed {
		return errReported
	}
	return nil
}

type evaluator struct {
	enf     *enforce.Enforcer
	out     *bufio.Writer
	stderr  io.Writer
	failed  bool
	decided int
	buf     []byte
}

// pending is a line held back while deciding whether the input is one
// multi-line document.
type pending struct {
	line    []byte
	tooLong bool
	no      int
}

func (ev *evaluator) run(lr *enforce.LineReader) {
	var held []pending
	first := true
	for {
		line, tooLong, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintf(ev.stderr, "cavra-runtime: read standard input: %v\n", err)
			ev.failed = true
			break
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 && held == nil {
			continue
		}
		p := pending{line: bytes.Clone(line), tooLong: tooLong, no: lr.Line()}
		if first && !tooLong && !json.Valid(line) {
			held = append(held, p) // perhaps the start of a multi-line request
			first = false
			continue
		}
		first = false
		if held != nil {
			held = append(held, p)
			if !tooLong && size(held) <= policy.MaxRequestSize {
				continue
			}
			ev.lines(held)
			held = nil
			continue
		}
		ev.line(p)
	}
	if held != nil {
		doc := join(held)
		if json.Valid(doc) {
			ev.decide("standard input", doc)
		} else {
			ev.lines(held)
		}
	}
	if ev.decided == 0 && !ev.failed {
		fmt.Fprintln(ev.stderr, "cavra-runtime: no request on standard input")
		ev.failed = true
	}
}

func (ev *evaluator) lines(ps []pending) {
	for _, p := range ps {
		if !p.tooLong && len(bytes.TrimSpace(p.line)) == 0 {
			continue
		}
		ev.line(p)
	}
}

func (ev *evaluator) line(p pending) {
	where := fmt.Sprintf("standard input line %d", p.no)
	if p.tooLong {
		d, err := ev.enf.Reject(policy.ErrTooLarge)
		ev.emit(where, d, err)
		return
	}
	ev.decide(where, p.line)
}

func (ev *evaluator) decide(where string, data []byte) {
	d, err := ev.enf.DecideJSON(data)
	ev.emit(where, d, err)
}

func (ev *evaluator) emit(where string, d policy.Decision, err error) {
	ev.decided++
	if err != nil {
		fmt.Fprintf(ev.stderr, "cavra-runtime: %s: %v\n", where, err)
		ev.failed = true
	}
	ev.buf = append(d.AppendRuntime(ev.buf[:0], false), '\n')
	ev.out.Write(ev.buf)
	if err := ev.out.Flush(); err != nil {
		fmt.Fprintf(ev.stderr, "cavra-runtime: write decision: %v\n", err)
		ev.failed = true
	}
}

func size(ps []pending) int {
	n := 0
	for _, p := range ps {
		n += len(p.line) + 1
	}
	return n
}

func join(ps []pending) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		b.Write(p.line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
