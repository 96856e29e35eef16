package sessionhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/sessionhttp"
	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

const serviceKey = "fuzz-service-key-0123456789ab"

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// recordingPublisher keeps the events the service publishes, encoded as the bus would encode them.
type recordingPublisher struct {
	mu     sync.Mutex
	events []ports.Event
}

func (p *recordingPublisher) Publish(_ context.Context, events ...ports.Event) error {
	for _, e := range events {
		if _, err := json.Marshal(e); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.events = append(p.events, events...)
	p.mu.Unlock()
	return nil
}

// fixture is the real session handlers, service and Redis store, on a real redis-server, behind the real
// server chain.
type fixture struct {
	handler http.Handler
	redis   httpkit.Redis
	events  *recordingPublisher
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	rds := httpkit.NewRedis(tb)
	events := &recordingPublisher{}
	svc := sessionapp.NewService(sessionredis.New(rds.Client, rds.Prefix, nil), events, session.DefaultPolicy())
	cfg := httpkit.Config(tb, "fuzz:"+serviceKey+":sessions")
	h := sessionhttp.New(svc, cfg)
	return &fixture{handler: httpkit.Handler(tb, cfg, h.Resolver(), h.Routes(), sessionhttp.Problems), redis: rds, events: events}
}

// FuzzCreateRequest sends arbitrary bodies (and user ids) to POST /v1/users/{userID}/sessions: the answer
// is never a 5xx, always JSON, a problem document whenever it is an error, and a usable session whenever it
// is a success.
func FuzzCreateRequest(f *testing.F) {
	for _, seed := range []struct{ user, body string }{
		{"alice", `{"ip":"203.0.113.7","device":{"ua":"Mozilla/5.0","os":"linux"},"guest_cart_id":"cart-1"}`},
		{"alice", `{}`},
		{"alice", ``},
		{"alice", `null`},
		{"alice", `[]`},
		{"alice", `{"ip":`},
		{"alice", `{"ip":"x"}{"ip":"y"}`},
		{"alice", `{"device":5}`},
		{"alice", `{"unknown":true}`},
		{"alice", `{"ip":1e999}`},
		{"alice", `{"ip":-0.0000000000000000000001e-400}`},
		{"alice", `{"device":{"n":123456789012345678901234567890}}`},
		{"alice", `{"device":{"a":{"b":{"c":{"d":{}}}}}}`},
		{"alice", strings.Repeat(`{"device":`, 500) + `{}` + strings.Repeat(`}`, 500)},
		{"alice", strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001)},
		{"alice", `{"device":{"a:b":"x","{c}":"y","*":"z"}}`},
		{"alice", `{"guest_cart_id":"cart:{1}*"}`},
		{"alice", `{"ip":"\u0000\ud800","device":{"k":"\xff\xfe"}}`},
		{"alice", `{"device":{"k":"` + strings.Repeat("v", 1025) + `"}}`},
		{"a:b", `{}`},
		{"{u}", `{}`},
		{"u*", `{}`},
		{"u/../v", `{}`},
		{"", `{}`},
		{strings.Repeat("u", 129), `{}`},
	} {
		f.Add(seed.user, []byte(seed.body))
	}
	fix := newFixture(f)
	f.Fuzz(func(t *testing.T, user string, body []byte) {
		fix.redis.Flush(t) // each input stands alone
		req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		req.URL.Path = "/v1/users/" + user + "/sessions"
		req.URL.RawPath = "/v1/users/" + url.PathEscape(user) + "/sessions"
		req.Header.Set("X-API-Key", serviceKey)
		rec := httptest.NewRecorder()
		fix.handler.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("user %q body %q: status %d: %s", user, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusTemporaryRedirect { // a user id with dot segments: net/http cleans the path
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("user %q body %q: status %d with a body that is not JSON: %q", user, body, rec.Code, rec.Body)
		}
		ct := rec.Header().Get("Content-Type")
		switch {
		case rec.Code == http.StatusCreated:
			var out struct {
				Token   string `json:"token"`
				Session struct {
					ID     string `json:"id"`
					UserID string `json:"user_id"`
				} `json:"session"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || ct != "application/json" {
				t.Fatalf("user %q body %q: 201 %s %s (%v)", user, body, ct, rec.Body, err)
			}
			tok, err := session.ParseToken(out.Token)
			if err != nil || tok.ID() != out.Session.ID || out.Session.UserID != user {
				t.Fatalf("user %q body %q: issued %+v", user, body, out)
			}
		case rec.Code >= 400:
			var p httpapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || ct != "application/problem+json" ||
				p.Status != rec.Code || !strings.HasPrefix(p.Type, httpapi.ProblemTypeBase) || p.Title == "" {
				t.Fatalf("user %q body %q: %d %s %s is not a problem document", user, body, rec.Code, ct, rec.Body)
			}
			if keys := fix.redis.Keys(t); len(keys) != 0 {
				t.Fatalf("user %q body %q: refused with %d, yet wrote %v", user, body, rec.Code, keys)
			}
		default:
			t.Fatalf("user %q body %q: unexpected status %d", user, body, rec.Code)
		}
	})
}
