package harness

import (
	"net"
	"strings"
	"testing"
)

// A port that is already taken must fail fast with the server's log in the
// error, and must never be mistaken for our server when another redis-server
// answers on it.
func TestStartProcPortTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	_, err = startProc(dir, l.Addr().(*net.TCPAddr).Port, nil)
	if err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("want bind error with log tail, got %v", err)
	}

	s := NewServer(t)
	_, err = startProc(t.TempDir(), s.port, nil)
	if err == nil {
		t.Fatal("second server on a busy redis port reported ready")
	}
	if err := s.Client(t).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("original server broken: %v", err)
	}
}

func TestFreePortWithBus(t *testing.T) {
	t.Parallel()
	for range 20 {
		p, err := freePort(true)
		if err != nil {
			t.Fatal(err)
		}
		if p <= 0 || p+10000 >= 65536 {
			t.Fatalf("bad port %d", p)
		}
	}
}
