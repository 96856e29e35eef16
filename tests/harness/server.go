package harness

import (
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Server is a private standalone redis-server owned by one test. It can be
// stopped and restarted on the same port and data dir, which makes it
// suitable for restart and failure tests. It is stopped and its dir removed
// by t.Cleanup. NewServer does not require Run, but Run also cleans it up.
type Server struct {
	mu   sync.Mutex
	port int
	dir  string
	args []string
	proc *proc // nil while stopped
}

// NewServer starts a private redis-server on a free loopback port in its own
// temp dir. extraArgs are appended to the redis-server command line (for
// example "--appendonly", "yes"). Failures are fatal.
func NewServer(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	dir, err := makeTempDir("statekit-server-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	s := &Server{dir: dir, args: append([]string(nil), extraArgs...)}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc != nil {
			s.proc.stop()
			s.proc = nil
		}
		_ = os.RemoveAll(dir)
	})
	p, err := startWithRetry(dir, false, s.args)
	if err != nil {
		t.Fatalf("harness: NewServer: %v", err)
	}
	s.port, s.proc = p.port, p
	return s
}

// Addr returns the server's address as "127.0.0.1:port".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "127.0.0.1:" + strconv.Itoa(s.port)
}

// URL returns the server's address as "redis://127.0.0.1:port".
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Dir returns the server's data directory (it also holds redis.log).
func (s *Server) Dir() string { return s.dir }

// Client returns a new client for the server, closed by t.Cleanup. The
// client keeps working across Stop/Start: it reconnects on demand.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop shuts the server down gracefully (SIGTERM, SIGKILL after 3s) and
// waits for the process to exit. Stopping a stopped server is a no-op.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}

// Start restarts a stopped server on the same port and dir and waits until
// it answers PING. Starting a running server is fatal.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		t.Fatalf("harness: Server.Start: server on %d is already running", s.port)
	}
	p, err := startProc(s.dir, s.port, s.args)
	if err != nil {
		t.Fatalf("harness: Server.Start: %v", err)
	}
	s.proc = p
}
