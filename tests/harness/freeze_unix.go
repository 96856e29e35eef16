//go:build unix

package harness

import (
	"syscall"
	"testing"
)

// Freeze stops the server's process (SIGSTOP) without closing its connections: clients' commands are
// accepted by the kernel and get no reply until Thaw, as with a server stuck in a long fork or a paused VM.
// A frozen server is thawed by t.Cleanup. Freezing a stopped server is fatal.
func (s *Server) Freeze(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGSTOP)
	t.Cleanup(func() { s.Thaw(t) })
}

// Thaw lets a frozen server run again (SIGCONT); thawing a running server does nothing.
func (s *Server) Thaw(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGCONT)
}

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		if sig == syscall.SIGCONT {
			return
		}
		t.Fatalf("harness: signal %v: the server on %d is stopped", sig, s.port)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("harness: signal %v to the server on %d: %v", sig, s.port, err)
	}
}
