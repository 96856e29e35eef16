package harness

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy in front of a Redis server, for tests of lost replies. It forwards bytes both
// ways, reading the RESP stream to pair each command with its reply, and can be told to swallow the replies
// of some commands while keeping the connection open: the command runs on the server, and the client sees
// nothing until its read timeout, as when a reply is lost in the network. It is closed by t.Cleanup.
type Proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	rules     []swallowRule
	until     time.Time // swallow every reply of a command sent before this
	swallowed int
	conns     map[net.Conn]bool
	wg        sync.WaitGroup
}

// swallowRule swallows the replies of the next n commands named name ("" names any command).
type swallowRule struct {
	name string
	n    int
}

// NewProxy starts a proxy on a free loopback port in front of target ("host:port").
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's address, "127.0.0.1:port", for a client's options.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SwallowReplies swallows the replies of the next n commands called name (case-insensitive, e.g. "EVALSHA";
// "" for any command), on any connection. The commands still reach the server and run.
func (p *Proxy) SwallowReplies(name string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, swallowRule{name: strings.ToUpper(name), n: n})
}

// SwallowAllFor swallows the reply of every command sent during the next d.
func (p *Proxy) SwallowAllFor(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.until = time.Now().Add(d)
}

// Swallowed is how many replies the proxy has swallowed so far.
func (p *Proxy) Swallowed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.swallowed
}

// swallow decides, as a command passes to the server, whether its reply will be dropped.
func (p *Proxy) swallow(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.until) {
		return true
	}
	for i := range p.rules {
		if r := &p.rules[i]; r.n > 0 && (r.name == "" || r.name == name) {
			r.n--
			return true
		}
	}
	return false
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, s) {
			return
		}
		p.wg.Add(1)
		go p.serve(c, s)
	}
}

// track registers both ends of a connection so close can end them; false once the proxy is closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

// serve pumps one client connection: commands to the server, noting for each whether its reply goes back.
func (p *Proxy) serve(client, server net.Conn) {
	defer p.wg.Done()
	decisions := make(chan bool, 1<<16) // one per command in flight, in order
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.replies(server, client, decisions)
	}()
	p.commands(client, server, decisions)
	close(decisions)
	_ = server.Close()
	_ = client.Close()
	<-done
}

func (p *Proxy) commands(client, server net.Conn, decisions chan<- bool) {
	rd := bufio.NewReader(client)
	for {
		raw, name, err := readCommand(rd)
		if err != nil {
			return
		}
		decisions <- p.swallow(name)
		if _, err := server.Write(raw); err != nil {
			return
		}
	}
}

func (p *Proxy) replies(server, client net.Conn, decisions <-chan bool) {
	rd := bufio.NewReader(server)
	for {
		raw, push, err := readValue(rd)
		if err != nil {
			_ = client.Close()
			return
		}
		drop := false
		if !push {
			drop = <-decisions
		}
		if drop {
			p.mu.Lock()
			p.swallowed++
			p.mu.Unlock()
			continue
		}
		if _, err := client.Write(raw); err != nil {
			return
		}
	}
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	p.wg.Wait()
}

// readCommand reads one command sent by a client: a RESP array of bulk strings, or an inline command line.
// It returns the raw bytes and the command's name in upper case.
func readCommand(rd *bufio.Reader) ([]byte, string, error) {
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return nil, "", err
	}
	if len(line) == 0 || line[0] != '*' {
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			return line, "", nil
		}
		return line, strings.ToUpper(fields[0]), nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(line[1:])))
	if err != nil {
		return nil, "", errors.New("proxy: bad command array header")
	}
	raw := append([]byte(nil), line...)
	name := ""
	for i := 0; i < n; i++ {
		part, _, err := readValue(rd)
		if err != nil {
			return nil, "", err
		}
		if i == 0 {
			if _, arg, ok := strings.Cut(string(part), "\r\n"); ok {
				name = strings.ToUpper(strings.TrimSuffix(arg, "\r\n"))
			}
		}
		raw = append(raw, part...)
	}
	return raw, name, nil
}

// readValue reads one complete RESP2 or RESP3 value and returns its raw bytes; push reports an out-of-band
// push message (">"), or an attribute ("|") that comes before its reply, neither of which answers a command.
func readValue(rd *bufio.Reader) (raw []byte, push bool, err error) {
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return nil, false, err
	}
	if len(line) < 3 {
		return nil, false, errors.New("proxy: short RESP line")
	}
	raw = line
	head := strings.TrimSpace(string(line[1:]))
	switch line[0] {
	case '+', '-', ':', '_', '#', ',', '(':
		return raw, false, nil
	case '$', '!', '=':
		n, err := strconv.Atoi(head)
		if err != nil {
			return nil, false, errors.New("proxy: bad bulk length")
		}
		if n < 0 {
			return raw, false, nil
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(rd, body); err != nil {
			return nil, false, err
		}
		return append(raw, body...), false, nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(head)
		if err != nil {
			return nil, false, errors.New("proxy: bad aggregate length")
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			part, _, err := readValue(rd)
			if err != nil {
				return nil, false, err
			}
			raw = append(raw, part...)
		}
		return raw, line[0] == '>' || line[0] == '|', nil
	}
	return nil, false, errors.New("proxy: unknown RESP type " + strconv.Quote(string(line[:1])))
}
