package daemon

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
)

// benchLines are the requests the clients send, in turn.
var benchLines = [][]byte{
	[]byte(`{"session_id":"bench","agent_id":"a1","action_type":"execute_command","target":"terraform plan -out=tf.plan"}` + "\n"),
	[]byte(`{"session_id":"bench","agent_id":"a1","action_type":"read_file","target":"src/service/handler.go"}` + "\n"),
	[]byte(`{"session_id":"bench","agent_id":"a1","action_type":"execute_command","target":"terraform apply -auto-approve"}` + "\n"),
	[]byte(`{"session_id":"bench","agent_id":"a1","action_type":"write_file","target":"iam/role.json"}` + "\n"),
}

// benchDaemon streams b.N JSON Lines requests through a daemon on a Unix
// socket from clients connections, each with up to window requests in
// flight, and reports decisions per second. With logged, decisions are
// answered only once their evidence records are on disk; afterwards the
// log must verify and hold every decision.
func benchDaemon(b *testing.B, clients int, logged bool) {
	dir := shortDir(b)
	sock := filepath.Join(dir, "d.sock")
	eng, err := policy.NewEngine(policy.Config{})
	if err != nil {
		b.Fatal(err)
	}
	enf := &enforce.Enforcer{Engine: eng}
	logName := filepath.Join(dir, "evidence.jsonl")
	if logged {
		if enf.Log, err = evidence.Open(logName, evidence.Options{Key: []byte("bench-key")}); err != nil {
			b.Fatal(err)
		}
	}
	ln, err := ListenUnix(sock)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := &Server{Enforcer: enf}
	go func() { done <- srv.Serve(ctx, ln) }()

	const window = 256
	per := (b.N + clients - 1) / clients
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("unix", sock)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			slots := make(chan struct{}, window)
			go func() {
				w := bufio.NewWriterSize(conn, 64<<10)
				for i := range per {
					slots <- struct{}{}
					w.Write(benchLines[(i+c)%len(benchLines)])
					if len(slots) == window || i == per-1 {
						w.Flush()
					}
				}
				w.Flush()
			}()
			r := bufio.NewReaderSize(conn, 64<<10)
			for range per {
				line, err := r.ReadSlice('\n')
				if err != nil || !bytes.Contains(line, []byte(`"decision":"`)) {
					b.Errorf("answer %q: %v", line, err)
					return
				}
				<-slots
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(per*clients)/elapsed.Seconds(), "decisions/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if logged {
		batches, records := enf.Log.Stats()
		enf.Log.Close()
		b.ReportMetric(float64(records)/float64(max(batches, 1)), "records/fsync")
		rep, err := evidence.VerifyFile(logName, evidence.VerifyOptions{Key: []byte("bench-key")})
		if err != nil || !rep.Valid || rep.Records != per*clients || rep.SignedRecords != rep.Records {
			b.Fatalf("evidence after the run: %+v, %v; want %d valid signed records", rep, err, per*clients)
		}
	}
}

// BenchmarkDaemon measures JSON Lines throughput through the daemon
// socket: four clients without evidence, eight with an fsynced,
// group-committed evidence log.
func BenchmarkDaemon(b *testing.B) {
	for _, tt := range []struct {
		clients int
		logged  bool
	}{{4, false}, {8, true}} {
		name := fmt.Sprintf("clients=%d", tt.clients)
		if tt.logged {
			name += "/evidence-log"
		}
		b.Run(name, func(b *testing.B) { benchDaemon(b, tt.clients, tt.logged) })
	}
}
