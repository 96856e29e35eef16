package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes ("10.0.0.0/8, ::1"), the
// reverse proxies whose X-Forwarded-For header is believed. An empty list trusts none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// withClientAddr sets r.RemoteAddr to the client's address when the connection comes from a trusted proxy:
// X-Forwarded-For is read from the right, past the trusted proxies, and the first address that is not one
// is the client (every proxy appends the address it was called from, so only the entries added by trusted
// proxies can be believed; whatever a client wrote itself stands to their left). When every entry is a
// trusted proxy, the leftmost is the client. An entry that is not an address stops the walk and the request
// stays attributed to the last proxy. From an untrusted peer the header is ignored: anyone can send it.
func withClientAddr(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); ok {
			r.RemoteAddr = net.JoinHostPort(a.String(), "0")
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the client's address per withClientAddr, and whether it differs from the peer's.
func clientAddr(remote string, forwarded []string, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseHostAddr(remote)
	if !ok || !isTrusted(peer, trusted) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, line := range forwarded {
		for hop := range strings.SplitSeq(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client, client != peer
}

// parseHostAddr reads "1.2.3.4", "1.2.3.4:80", "::1" or "[::1]:80", without a zone.
func parseHostAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
