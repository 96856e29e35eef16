// Package ratelimithttp serves the rate-limiting module over HTTP: the server's limiting hook, which sends
// the RateLimit-Policy and RateLimit headers of the IETF draft (draft-ietf-httpapi-ratelimit-headers) on
// every limited response and answers 429 with Retry-After when a caller is over its limit, and admin
// endpoints to list the policies and to read and reset a caller's state.
package ratelimithttp

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Handlers serves the rate-limiting hook and endpoints.
type Handlers struct {
	svc *ratelimitapp.Service
}

// New returns the rate-limiting handlers.
func New(svc *ratelimitapp.Service) *Handlers { return &Handlers{svc: svc} }

// Limiter is the server's rate-limiting hook: it decides the request under the policy for its route and
// caller, writes the quota headers, and refuses a caller over its limit with ratelimit.ErrLimited (429
// with Retry-After). When Redis cannot answer in time a fail-open policy admits the request without
// headers and a fail-closed one refuses it as unavailable (503 with Retry-After: 1).
func (h *Handlers) Limiter() httpapi.Limiter {
	return func(w http.ResponseWriter, r *http.Request, route string) error {
		d, err := h.svc.Check(r.Context(), route, CallerOf(r))
		if err != nil {
			if errors.Is(err, ports.ErrUnavailable) {
				w.Header().Set("Retry-After", "1")
			}
			return err
		}
		if !d.Limited || d.Degraded {
			return nil
		}
		writeHeaders(w.Header(), d.Policy, d.Result)
		if d.Result.Allowed {
			return nil
		}
		retry := seconds(d.Result.RetryAfter)
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
		return fmt.Errorf("%w: policy %q allows %d per %s; retry after %d s", ratelimit.ErrLimited, d.Policy.Name,
			d.Result.Limit, bindingWindow(d.Result), retry)
	}
}

// CallerOf is who a request counts against: the API key's name for a service, the user id for a session
// holder, else the client's IP address (its /64 network for IPv6), read from RemoteAddr: the connection's
// peer, or, behind a proxy listed in STATEKIT_TRUSTED_PROXIES, the client the server found in
// X-Forwarded-For (behind any other proxy every anonymous caller is the proxy).
func CallerOf(r *http.Request) ratelimit.Caller {
	if p, ok := auth.FromContext(r.Context()); ok {
		if p.Kind == auth.KindService {
			return ratelimit.Caller{Kind: ratelimit.KindKey, ID: p.Name}
		}
		return ratelimit.Caller{Kind: ratelimit.KindUser, ID: p.Name}
	}
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return ratelimit.Caller{Kind: ratelimit.KindIP, ID: "unknown"}
	}
	return ratelimit.CallerFromAddr(a)
}

// writeHeaders sets RateLimit-Policy (each tier's quota q over window w seconds) and RateLimit (each
// tier's remaining units r and seconds t until its quota is whole again), as lists with one item per tier.
func writeHeaders(h http.Header, p ratelimit.Policy, res ratelimit.Result) {
	policies := make([]string, len(res.Tiers))
	states := make([]string, len(res.Tiers))
	for i, t := range res.Tiers {
		name := strconv.Quote(tierName(p, i))
		policies[i] = fmt.Sprintf("%s;q=%d;w=%d", name, t.Limit.Capacity(), seconds(t.Limit.Window()))
		states[i] = fmt.Sprintf("%s;r=%d;t=%d", name, t.Remaining, seconds(t.ResetAfter))
	}
	h.Set("RateLimit-Policy", strings.Join(policies, ", "))
	h.Set("RateLimit", strings.Join(states, ", "))
}

// tierName names a tier in the headers: the policy's name, with the tier's number when there are several.
func tierName(p ratelimit.Policy, i int) string {
	if len(p.Tiers) == 1 {
		return p.Name
	}
	return p.Name + "." + strconv.Itoa(i+1)
}

// seconds rounds up to whole seconds: a client that waits that long is never early.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

func bindingWindow(res ratelimit.Result) time.Duration {
	for _, t := range res.Tiers {
		if !t.Allowed && t.RetryAfter == res.RetryAfter {
			return t.Limit.Window()
		}
	}
	return 0
}
