package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		remote    string
		forwarded []string
		want      string // "" for the peer
	}{
		{"untrusted peer: the header is ignored", "203.0.113.9:4000", []string{"198.51.100.1"}, ""},
		{"trusted peer, one hop", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a spoofed entry left of the real client is skipped", "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", "10.1.2.3:4000", []string{"198.51.100.1, 192.0.2.7", "10.9.9.9"}, "198.51.100.1"},
		{"every entry trusted: the leftmost", "10.1.2.3:4000", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"garbage stops the walk at the last proxy", "10.1.2.3:4000", []string{"198.51.100.1, not-an-ip"}, ""},
		{"garbage past a trusted hop", "10.1.2.3:4000", []string{"junk, 10.0.0.6"}, "10.0.0.6"},
		{"no header", "10.1.2.3:4000", nil, ""},
		{"IPv6 peer and client with a port", "[::1]:4000", []string{"[2001:db8::1]:5555"}, "2001:db8::1"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"zones are not addresses", "10.1.2.3:4000", []string{"fe80::1%eth0"}, ""},
	} {
		got, ok := clientAddr(c.remote, c.forwarded, trusted)
		if c.want == "" {
			if ok {
				t.Errorf("%s: client %s, want the peer", c.name, got)
			}
			continue
		}
		if !ok || got != netip.MustParseAddr(c.want) {
			t.Errorf("%s: client %s (%v), want %s", c.name, got, ok, c.want)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.1.2.3/8 ,2001:db8::/32,127.0.0.1,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("127.0.0.1/32")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("prefix %d: %s, want %s", i, got[i], want[i])
		}
	}
	if p, err := ParseTrustedProxies(""); err != nil || len(p) != 0 {
		t.Errorf("empty: %v, %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1:80"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestServerAttributesRequestsToTheClient: behind a trusted proxy a handler sees the client's address in
// RemoteAddr; from anyone else, the peer's.
func TestServerAttributesRequestsToTheClient(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.TrustedProxies, _ = ParseTrustedProxies("10.0.0.0/8")
	var seen string
	srv, err := NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil, nil, []Route{{Pattern: "GET /who", Access: Access{Public: true},
		Handle: func(w http.ResponseWriter, r *http.Request) error { seen = r.RemoteAddr; return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	for remote, want := range map[string]string{"10.0.0.1:1234": "198.51.100.1:0", "203.0.113.9:1234": "203.0.113.9:1234"} {
		req := httptest.NewRequest("GET", "/who", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		srv.Handler().ServeHTTP(httptest.NewRecorder(), req)
		if seen != want {
			t.Errorf("from %s: handler saw %s, want %s", remote, seen, want)
		}
	}
}
