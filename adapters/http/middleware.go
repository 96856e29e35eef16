package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/statekit/statekit/ports"
)

type requestIDKey struct{}

// RequestID returns the id of the request carried by ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{8,64}$`)

// withRequestID takes a well-formed X-Request-ID from the caller or draws one, echoes it, and puts it in the
// context as the request id and as the correlation id of every event the request publishes.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = ports.WithCorrelationID(ctx, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requestState is filled in by inner layers for the access log and metrics of the outer one.
type requestState struct {
	route     string // the matched route pattern
	principal string // "service:<key name>" or "user:<user id>"
}

type stateKey struct{}

func stateOf(ctx context.Context) *requestState {
	if st, ok := ctx.Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{}
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Flush lets streaming handlers (SSE) flush through the recorder.
func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// httpMetrics are the server's Prometheus metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_http_requests_total", Help: "HTTP requests, by route pattern and status code.",
		}, []string{"route", "code"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "statekit_http_request_seconds", Help: "HTTP request duration, by route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 4, 9),
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.seconds)
	return m
}

// observe wraps the whole chain: panic recovery, access log and metrics, all keyed by the route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		st := &requestState{}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "panic", fmt.Sprint(v),
					"stack", string(debug.Stack()), "request_id", RequestID(r.Context()))
				if rec.status == 0 {
					s.problem(rec, r, fmt.Errorf("panic: %v", v))
				}
			}
			route := st.route
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.requests.WithLabelValues(route, fmt.Sprint(rec.status)).Inc()
			s.metrics.seconds.WithLabelValues(route).Observe(elapsed.Seconds())
			attrs := []any{"method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds()) / 1000,
				"request_id", RequestID(r.Context()), "remote", r.RemoteAddr}
			if st.principal != "" {
				attrs = append(attrs, "principal", st.principal)
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", argsToAttrs(attrs)...)
		}()
		next.ServeHTTP(rec, r)
	})
}

func argsToAttrs(args []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, slog.Any(args[i].(string), args[i+1]))
	}
	return out
}

// limitBody caps every request body at the configured size.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}
