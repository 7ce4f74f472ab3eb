package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/daemon"
	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/policy"
)

// contractCase is one case of the contract suite (see testdata/README.md).
type contractCase struct {
	file        string
	Name        string          `json:"name"`
	Request     json.RawMessage `json:"request"`
	RequestText string          `json:"request_text"`
	RequestFile string          `json:"request_file"` // in the case file's folder
	asWritten   []byte          // the request file's bytes, which the binary reads as they are

	Registry string      `json:"registry"`
	Policy   string      `json:"policy"`
	Expected expectation `json:"expected"`
}

type expectation struct {
	Decision          string `json:"decision"`
	RuleID            string `json:"rule_id"`
	Severity          string `json:"severity"`
	ApproverGroup     string `json:"approver_group"`
	EvidenceRefPrefix string `json:"evidence_ref_prefix,omitempty"`
	Reason            string `json:"reason,omitempty"`
	ReasonContains    string `json:"reason_contains,omitempty"`
	ActionType        string `json:"action_type,omitempty"`
	Target            string `json:"target,omitempty"`
	Operation         string `json:"requested_operation,omitempty"`
	PolicyPack        string `json:"policy_pack,omitempty"`
}

func (c *contractCase) request() []byte {
	if c.RequestText != "" {
		return []byte(c.RequestText)
	}
	var b bytes.Buffer
	json.Compact(&b, c.Request) // keeps every member, even a repeated one
	return b.Bytes()
}

// load reads the case's request_file, if it has one.
func (c *contractCase) load() error {
	if c.RequestFile == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(c.file), c.RequestFile))
	c.Request, c.asWritten = data, data
	return err
}

// config is the command line a case needs: its policy and registry.
func (c *contractCase) config() []string {
	var args []string
	if c.Policy != "" {
		args = append(args, "--policy", filepath.Join(filepath.Dir(c.file), c.Policy))
	}
	if c.Registry != "" {
		args = append(args, "--registry", filepath.Join(filepath.Dir(c.file), c.Registry))
	}
	return args
}

func loadContract(t *testing.T) []*contractCase {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "cavra", "*_cases.json"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "cavra", "release_governance_*.json"))
	own, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "cases", "*.json"))
	files = slices.Concat(files, more, own)
	var all []*contractCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cs []*contractCase
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cs {
			c.file = f
			if err := c.load(); err != nil {
				t.Fatalf("%s: case %q: %v", f, c.Name, err)
			}
			if c.Expected.Decision == "" || c.Expected.RuleID == "" || c.Expected.Severity == "" {
				t.Fatalf("%s: case %q: expected decision, rule_id and severity are required", f, c.Name)
			}
		}
		all = append(all, cs...)
	}
	return all
}

var (
	reDecisionID    = regexp.MustCompile(`^dec_[0-9a-f]{12}$`)
	reCorrelationID = regexp.MustCompile(`^corr_[0-9a-f]{12}$`)
)

// check compares a decision with a case's expectation and CAVRA's
// invariants, returning what disagrees.
func check(c *contractCase, d *policy.Response) []string {
	var bad []string
	e := &c.Expected
	eq := func(what, got, want string) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s: got %q, want %q", what, got, want))
		}
	}
	eq("decision", d.Decision, e.Decision)
	eq("rule_id", d.RuleID, e.RuleID)
	eq("severity", d.Severity, e.Severity)
	eq("approver_group", d.ApproverGroup, e.ApproverGroup)
	if e.Reason != "" {
		eq("reason", d.Reason, e.Reason)
	}
	if e.ReasonContains != "" && !strings.Contains(d.Reason, e.ReasonContains) {
		bad = append(bad, fmt.Sprintf("reason: got %q, want it to contain %q", d.Reason, e.ReasonContains))
	}
	for _, f := range [][3]string{{"action_type", d.ActionType, e.ActionType}, {"target", d.Target, e.Target},
		{"requested_operation", d.RequestedOperation, e.Operation}, {"policy_pack", d.PolicyPack, e.PolicyPack}} {
		if f[2] != "" {
			eq(f[0], f[1], f[2])
		}
	}
	// CAVRA's invariants of an evaluated decision.
	eq("policy_id", d.PolicyID, d.PolicyPack)
	if d.PolicyPack == "" {
		bad = append(bad, "policy_pack: empty")
	}
	if !reDecisionID.MatchString(d.DecisionID) || !reCorrelationID.MatchString(d.CorrelationID) {
		bad = append(bad, fmt.Sprintf("ids: got %q %q", d.DecisionID, d.CorrelationID))
	}
	if _, err := time.Parse(time.RFC3339Nano, d.Timestamp); err != nil || !strings.HasSuffix(d.Timestamp, "Z") {
		bad = append(bad, fmt.Sprintf("timestamp: got %q", d.Timestamp))
	}
	if d.SessionID == "" || d.AgentID == "" || d.Actor == "" {
		bad = append(bad, "session_id, agent_id and actor must be set (CAVRA's defaults: local, unknown-agent, ai-agent)")
	}
	want := "evidence://" + d.SessionID + "/" + d.DecisionID
	if len(d.EvidenceRefs) != 1 || d.EvidenceRefs[0] != want {
		bad = append(bad, fmt.Sprintf("evidence_refs: got %q, want [%q]", d.EvidenceRefs, want))
	}
	if p := e.EvidenceRefPrefix; p != "" && (len(d.EvidenceRefs) == 0 || !strings.HasPrefix(d.EvidenceRefs[0], p)) {
		bad = append(bad, fmt.Sprintf("evidence_refs: got %q, want one starting %q", d.EvidenceRefs, p))
	}
	return bad
}

// report fails t with the whole expected and actual decision.
func report(t *testing.T, way string, c *contractCase, d *policy.Response, raw []byte, bad []string) {
	t.Helper()
	exp, _ := json.MarshalIndent(c.Expected, "", "  ")
	got, _ := json.MarshalIndent(d, "", "  ")
	t.Errorf("%s: %s: case %q:\n  %s\nrequest:  %s\nexpected: %s\nactual:   %s\nas sent:  %s",
		way, filepath.Base(c.file), c.Name, strings.Join(bad, "\n  "), c.request(), exp, got, raw)
}

// same returns what differs between two ways' decisions, ids and times
// aside.
func same(a, b *policy.Response) []string {
	x, y := *a, *b
	for _, r := range []*policy.Response{&x, &y} {
		r.DecisionID, r.CorrelationID, r.Timestamp, r.EvidenceRefs = "", "", "", nil
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	if !bytes.Equal(xb, yb) {
		return []string{fmt.Sprintf("differs from the engine's decision %s", xb)}
	}
	return nil
}

// TestContract runs every case of the contract suite (CAVRA's public
// cases and this runtime's own, in testdata/) through the policy engine,
// through the built binary on standard input, through the daemon socket
// with CAVRA's exchange (--serve), and through the JSON Lines daemon
// (serve); each way must give the expected decision, and all ways the
// same one.
func TestContract(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the daemons listen on Unix sockets")
	}
	cases := loadContract(t)
	if len(cases) < 34 {
		t.Fatalf("got %d cases, want CAVRA's 34 and more", len(cases))
	}
	// Group the cases by the command line they need.
	groups := map[string][]*contractCase{}
	var keys []string
	for _, c := range cases {
		k := strings.Join(c.config(), " ")
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	dir, err := os.MkdirTemp("", "cavra-contract")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	counts := map[string]int{}
	for gi, k := range keys {
		cs := groups[k]
		args := cs[0].config()

		// 1. The engine.
		var cfg config
		for i := 0; i < len(args); i += 2 {
			switch args[i] {
			case "--policy":
				cfg.policy = args[i+1]
			case "--registry":
				cfg.registry = args[i+1]
			}
		}
		eng, err := cfg.engine()
		if err != nil {
			t.Fatal(err)
		}
		enf := &enforce.Enforcer{Engine: eng}
		engine := make([]*policy.Response, len(cs))
		for i, c := range cs {
			d, _ := enf.DecideJSON(c.request())
			raw := d.AppendV1(nil)
			engine[i] = new(policy.Response)
			json.Unmarshal(raw, engine[i])
			if bad := check(c, engine[i]); bad != nil {
				report(t, "engine", c, engine[i], raw, bad)
			}
			counts["engine"]++
		}

		// 2. The binary, one run per case, the request on standard input.
		for i, c := range cs {
			cmd := exec.Command(binary, args...)
			cmd.Stdin = bytes.NewReader(c.request())
			if c.asWritten != nil {
				cmd.Stdin = bytes.NewReader(c.asWritten)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if code := cmd.ProcessState.ExitCode(); code != 0 && c.Expected.RuleID != "input.invalid" || err != nil && code != 1 {
				t.Errorf("binary: case %q: exit %v: %s", c.Name, err, stderr.Bytes())
			}
			var d policy.Response
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&d); err != nil {
				t.Errorf("binary: case %q: output %q: %v", c.Name, out, err)
				continue
			}
			bad := check(c, &d)
			bad = append(bad, same(engine[i], &d)...)
			if len(bad) > 0 {
				report(t, "binary", c, &d, out, bad)
			}
			counts["binary"]++
		}

		// 3. The daemon, CAVRA's exchange: one request per connection.
		sock := filepath.Join(dir, fmt.Sprintf("c%d.sock", gi))
		stop := startDaemon(t, append([]string{"--serve", "--socket", sock}, args...), sock)
		for i, c := range cs {
			out, err := daemon.Exchange(sock, c.request(), 10*time.Second)
			if err != nil {
				t.Errorf("daemon: case %q: %v", c.Name, err)
				continue
			}
			var d policy.Response
			if err := json.Unmarshal(out, &d); err != nil {
				t.Errorf("daemon: case %q: answer %q: %v", c.Name, out, err)
				continue
			}
			bad := check(c, &d)
			bad = append(bad, same(engine[i], &d)...)
			if len(bad) > 0 {
				report(t, "daemon", c, &d, out, bad)
			}
			counts["daemon"]++
		}
		stop()

		// 4. The JSON Lines daemon: every request of the group on one
		// connection, answers in order.
		sock = filepath.Join(dir, fmt.Sprintf("l%d.sock", gi))
		stop = startDaemon(t, append([]string{"serve", "--socket", sock}, args...), sock)
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			w := bufio.NewWriter(conn)
			for _, c := range cs {
				w.Write(append(c.request(), '\n'))
			}
			w.Flush()
		}()
		sc := bufio.NewScanner(conn)
		sc.Buffer(nil, 4<<20)
		for i, c := range cs {
			if !sc.Scan() {
				t.Fatalf("jsonl: case %q: no answer: %v", c.Name, sc.Err())
			}
			var d policy.Response
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Errorf("jsonl: case %q: answer %q: %v", c.Name, sc.Bytes(), err)
				continue
			}
			bad := check(c, &d)
			bad = append(bad, same(engine[i], &d)...)
			if len(bad) > 0 {
				report(t, "jsonl", c, &d, sc.Bytes(), bad)
			}
			counts["jsonl"]++
		}
		conn.Close()
		stop()
	}
	t.Logf("%d cases in %d configurations; decided by the engine %d, the binary %d, the daemon %d, JSON Lines %d",
		len(cases), len(keys), counts["engine"], counts["binary"], counts["daemon"], counts["jsonl"])
}

// startDaemon runs the binary with args until the returned function is
// called, once it answers on sock.
func startDaemon(t *testing.T, args []string, sock string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i == 200 {
			cancel()
			t.Fatalf("%v: daemon did not start:\n%s", args, stderr.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	return func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("%v: daemon did not stop:\n%s", args, stderr.String())
		}
		cancel()
	}
}
