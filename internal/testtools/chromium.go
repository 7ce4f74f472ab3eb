package testtools

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Chromium returns the path of a Chromium browser: CAVRA_CHROMIUM, or
// `chromium` from PATH (Debian's package, which `go run mage.go testTools`
// installs).
func Chromium(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a browser: not under -short (go run mage.go test runs it)")
	}
	if p := os.Getenv("CAVRA_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		Missing(t, "chromium not found: set CAVRA_CHROMIUM or run go run mage.go testTools")
		return ""
	}
	return p
}

// Browser is a headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: commands on file descriptor 3, answers on
// 4, each a JSON message ended by a NUL byte), with a fresh profile and
// no background traffic of its own.
type Browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	in   *os.File
	mu   sync.Mutex
	id   int
	wait map[int]chan message
	evs  []message
	done chan struct{}
}

type message struct {
	ID        int             `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Headless starts a headless Chromium for the test; it is closed when the
// test ends.
func Headless(t testing.TB) *Browser {
	t.Helper()
	path := Chromium(t)
	cmdIn, in, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, cmdOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdIn, cmdOut}
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	cmdIn.Close()
	cmdOut.Close()
	b := &Browser{t: t, cmd: cmd, in: in, wait: map[int]chan message{}, done: make(chan struct{})}
	go b.read(bufio.NewReader(out))
	t.Cleanup(func() {
		b.call("", "Browser.close", nil)
		in.Close()
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		cmd.Wait()
		out.Close()
	})
	return b
}

func (b *Browser) read(r *bufio.Reader) {
	defer close(b.done)
	for {
		line, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.wait[m.ID]; ok && m.ID != 0 {
			delete(b.wait, m.ID)
			ch <- m
		} else if m.Method != "" {
			b.evs = append(b.evs, m)
		}
		b.mu.Unlock()
	}
}

// call sends a command (to a page's session, or the browser when session
// is "") and returns its result.
func (b *Browser) call(session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan message, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	p, _ := json.Marshal(params)
	if params == nil {
		p = []byte("{}")
	}
	msg, _ := json.Marshal(message{ID: id, SessionID: session, Method: method, Params: p})
	if _, err := b.in.Write(append(msg, 0)); err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: chromium exited", method)
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("%s: no answer in 60s", method)
	}
}

// events returns the events of a session named method seen so far.
func (b *Browser) events(session, method string) []message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []message
	for _, m := range b.evs {
		if m.SessionID == session && m.Method == method {
			out = append(out, m)
		}
	}
	return out
}

// Page is a tab of a [Browser].
type Page struct {
	b       *Browser
	session string
}

// Open opens url in a new tab with the network and page domains watched,
// and waits until it has loaded.
func (b *Browser) Open(url string) *Page {
	t := b.t
	t.Helper()
	res, err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		t.Fatal(err)
	}
	var target struct{ TargetID string }
	json.Unmarshal(res, &target)
	if res, err = b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}); err != nil {
		t.Fatal(err)
	}
	var att struct{ SessionID string }
	json.Unmarshal(res, &att)
	p := &Page{b: b, session: att.SessionID}
	for _, m := range []string{"Network.enable", "Page.enable"} {
		if _, err := b.call(p.session, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.call(p.session, "Page.navigate", map[string]any{"url": url}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(b.events(p.session, "Page.loadEventFired")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("chromium: %s did not load in 60s", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// Eval evaluates a JavaScript expression in the page and returns its value.
func (p *Page) Eval(expr string) any {
	t := p.b.t
	t.Helper()
	res, err := p.b.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	json.Unmarshal(res, &r)
	if r.ExceptionDetails != nil {
		t.Fatalf("chromium: %s: %v", expr, r.ExceptionDetails)
	}
	return r.Result.Value
}

// Text returns the rendered text of the page: what a reader sees
// (innerText honours the style sheet: hidden elements are left out).
func (p *Page) Text() string {
	s, _ := p.Eval("document.body.innerText").(string)
	return s
}

// Requests returns the URL of every request the page made.
func (p *Page) Requests() []string {
	var urls []string
	for _, m := range p.b.events(p.session, "Network.requestWillBeSent") {
		var e struct {
			Request struct{ URL string } `json:"request"`
		}
		json.Unmarshal(m.Params, &e)
		urls = append(urls, e.Request.URL)
	}
	return urls
}

// PDF prints the page as Chromium's print dialog would, and returns the PDF.
func (p *Page) PDF() []byte {
	t := p.b.t
	t.Helper()
	res, err := p.b.call(p.session, "Page.printToPDF", map[string]any{"printBackground": false})
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Data string }
	json.Unmarshal(res, &r)
	pdf, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
