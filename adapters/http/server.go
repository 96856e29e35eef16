package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// SessionCookie is the cookie that may carry a session token instead of the Authorization header.
const SessionCookie = "statekit_session"

// TokenResolver turns a presented session token into its user principal (the sessions module provides it).
type TokenResolver func(ctx context.Context, token string) (auth.Principal, error)

// Server is the HTTP server of statekit.
type Server struct {
	cfg      Config
	log      *slog.Logger
	metrics  *httpMetrics
	keys     map[[32]byte]APIKey
	resolve  TokenResolver
	limit    Limiter
	checks   []ports.ReadinessCheck
	routes   []Route
	problems []ports.Problem
	openAPI  []byte
	rows     []ports.Problem
	frags    []ports.OpenAPIFragment
	handler  http.Handler

	mu   sync.Mutex
	srv  *http.Server
	addr net.Addr
}

// Option adjusts a Server as NewServer builds it.
type Option func(*Server)

// WithLimiter installs the rate-limiting hook for every non-public route and every throttled public one.
func WithLimiter(l Limiter) Option { return func(s *Server) { s.limit = l } }

// WithProblems adds the modules' error-to-problem rows after the server's own.
func WithProblems(rows []ports.Problem) Option {
	return func(s *Server) { s.rows = append(s.rows, rows...) }
}

// WithOpenAPI merges the modules' OpenAPI fragments into the served /openapi.yaml.
func WithOpenAPI(fragments []ports.OpenAPIFragment) Option {
	return func(s *Server) { s.frags = append(s.frags, fragments...) }
}

// NewServer builds the server and its routes: the modules' routes plus /healthz, /readyz, /metrics and
// /openapi.yaml. It fails when a route lacks an access rule or a handler, when a problem row is malformed
// or declared twice, and when the OpenAPI fragments do not merge.
func NewServer(cfg Config, log *slog.Logger, reg *prometheus.Registry, resolve TokenResolver, checks []ports.ReadinessCheck, routes []Route, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, metrics: newHTTPMetrics(reg), keys: map[[32]byte]APIKey{},
		resolve: resolve, checks: checks}
	for _, o := range opts {
		o(s)
	}
	for _, k := range cfg.APIKeys {
		s.keys[k.Hash] = k
	}
	var err error
	if s.problems, err = newProblemTable(s.rows); err != nil {
		return nil, err
	}
	if s.openAPI, err = MergeOpenAPI(s.frags); err != nil {
		return nil, err
	}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	s.routes = append(s.operationalRoutes(metrics), routes...)
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		if err := rt.check(); err != nil {
			return nil, err
		}
		mux.Handle(rt.Pattern, s.wrap(rt))
	}
	s.handler = withClientAddr(s.cfg.TrustedProxies, withRequestID(s.observe(s.limitBody(s.problemsForMux(mux)))))
	return s, nil
}

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.yaml: the server's part with every module's
// fragment merged in.
func (s *Server) OpenAPI() []byte { return s.openAPI }

// Handler returns the complete handler chain, for tests that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns every route pattern the server serves.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, rt.Pattern)
	}
	return out
}

// wrap turns a route into an http.Handler: it records the pattern, authenticates the caller, applies the
// rate limit (non-public routes, and throttled public ones by client address; a failed authentication counts
// against the client address, so guessing credentials is limited too), authorizes per the route's Access,
// runs the handler and writes any error as a problem document.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r.Context())
		st.route = rt.Pattern
		if rt.Access.Public && rt.Access.Throttled && s.limit != nil {
			if err := s.limit(w, r, rt.Pattern); err != nil {
				s.problem(w, r, err)
				return
			}
		}
		if !rt.Access.Public {
			p, ok, err := s.authenticate(r)
			if ok {
				st.principal = string(p.Kind) + ":" + p.Name
				r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			}
			if s.limit != nil {
				if err := s.limit(w, r, rt.Pattern); err != nil {
					s.problem(w, r, err)
					return
				}
			}
			if err != nil {
				s.problem(w, r, err)
				return
			}
			if err := rt.Access.allows(p, ok); err != nil {
				s.problem(w, r, err)
				return
			}
		}
		if err := rt.Handle(w, r); err != nil {
			s.problem(w, r, err)
		}
	})
}

// authenticate finds the caller: a service by X-API-Key, or a user by a session token in
// "Authorization: Bearer" or the session cookie. A credential that is present but wrong is an error, never
// a fall-through to anonymous.
func (s *Server) authenticate(r *http.Request) (auth.Principal, bool, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		k, ok := s.keys[sha256.Sum256([]byte(key))]
		if !ok {
			return auth.Principal{}, false, fmt.Errorf("%w: unknown API key", auth.ErrUnauthenticated)
		}
		return auth.Principal{Kind: auth.KindService, Name: k.Name, Scopes: k.Scopes}, true, nil
	}
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || value == "" {
			return auth.Principal{}, false, fmt.Errorf("%w: Authorization must be \"Bearer <session token>\"", auth.ErrUnauthenticated)
		}
		token = value
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if token == "" {
		return auth.Principal{}, false, nil
	}
	if s.resolve == nil {
		return auth.Principal{}, false, fmt.Errorf("%w: session tokens are not accepted", auth.ErrUnauthenticated)
	}
	p, err := s.resolve(r.Context(), token)
	if err != nil {
		return auth.Principal{}, false, err
	}
	return p, true, nil
}

// problemsForMux answers unmatched paths and wrong methods with problem documents instead of the mux's
// plain text.
func (s *Server) problemsForMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			s.problem(w, r, fmt.Errorf("%w: %s %s", errMethod, r.Method, r.URL.Path))
			return
		}
		s.problem(w, r, fmt.Errorf("%w: %s", errNoRoute, r.URL.Path))
	})
}

// statusProbe captures what the mux would answer for an unmatched request.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// Start listens on the configured address and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{Handler: s.handler, ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout,
		ReadHeaderTimeout: s.cfg.ReadTimeout, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.mu.Lock()
	s.srv, s.addr = srv, ln.Addr()
	s.mu.Unlock()
	s.log.Info("http server listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Stop stops accepting and drains requests in flight, up to the shutdown timeout.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(ctx)
}

// Addr returns the address the server listens on (useful with port 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}
