package component

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
	"github.com/statekit/statekit/tests/wait"
)

// app is one running statekit (see testapp.App) with this package's helpers.
type app struct{ *testapp.App }

// env is the environment of an app on the shared standalone Redis with its own prefix; tests override
// entries before calling start.
func env(tg harness.Target) map[string]string {
	vars := testapp.Env(tg)
	// Rate limiting is off here so no module's test is throttled (nor sees the limiter's keys in its
	// snapshots); ratelimit_test.go turns it on with its own policies.
	vars["STATEKIT_RATE_LIMITS"] = "off"
	return vars
}

// newApp starts the shared standalone Redis target's app with the default environment.
func newApp(t *testing.T, extra ...fx.Option) *app {
	t.Helper()
	tg := harness.Standalone(t)
	return start(t, env(tg), tg.Client, extra...)
}

// start starts an app with the configuration read from vars (see testapp.Start) whose HTTP client does not
// follow redirects. rc, when not nil, is a client on the same Redis for inspecting keys.
func start(t *testing.T, vars map[string]string, rc redis.UniversalClient, extra ...fx.Option) *app {
	t.Helper()
	a := testapp.Start(t, vars, rc, extra...)
	a.HTTP.CheckRedirect = noRedirects
	return &app{a}
}

// noRedirects hands a redirect back to the test instead of following it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func serviceCreds() testapp.Creds       { return testapp.Creds{APIKey: testapp.SessionsKey} }
func bearer(token string) testapp.Creds { return testapp.Creds{Bearer: token} }

// sessionView is the JSON form of a session.
type sessionView struct {
	ID                string            `json:"id"`
	UserID            string            `json:"user_id"`
	IP                string            `json:"ip"`
	Device            map[string]string `json:"device"`
	Data              map[string]string `json:"data"`
	CreatedAt         time.Time         `json:"created_at"`
	LastActivityAt    time.Time         `json:"last_activity_at"`
	ExpiresAt         time.Time         `json:"expires_at"`
	AbsoluteExpiresAt time.Time         `json:"absolute_expires_at"`
	ActivityCount     int64             `json:"activity_count"`
	Current           bool              `json:"current"`
}

// issued is the answer to a create or rotate.
type issued struct {
	Token   string      `json:"token"`
	Session sessionView `json:"session"`
}

type sessionList struct {
	Sessions []sessionView `json:"sessions"`
	Count    int           `json:"count"`
}

// create starts a session for user with a service key and returns it with its token.
func (a *app) create(user string, body any) issued {
	a.T.Helper()
	if body == nil {
		body = map[string]any{"device": map[string]string{"ua": "component-test"}}
	}
	var out issued
	a.Do("POST", "/v1/users/"+user+"/sessions", serviceCreds(), body).Expect(a.T, "create session", http.StatusCreated, &out)
	if out.Token == "" || out.Session.ID == "" || out.Session.UserID != user {
		a.T.Fatalf("create session for %s: got %+v", user, out)
	}
	return out
}

// count asks the service API how many live sessions user has.
func (a *app) count(user string) int {
	a.T.Helper()
	var out struct{ Count int }
	a.Do("GET", "/v1/users/"+user+"/sessions/count", serviceCreds(), nil).Expect(a.T, "count sessions", http.StatusOK, &out)
	return out.Count
}

// eventually polls cond every 50 ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, timeout, 50*time.Millisecond, what, cond)
}

// snapshot describes every key under the app's prefix: its type and the parts of its value that a request
// must not change (activity counters and idle deadlines move on every authenticated request, so session
// hashes are described without them). It first waits until the relay has moved every event out of the
// outbox, and leaves the outbox keys out: they hold events in transit, not state.
func (a *app) snapshot() map[string]string {
	a.T.Helper()
	ctx := context.Background()
	eventually(a.T, 10*time.Second, "the outbox to drain", func() bool {
		for _, k := range a.scan(a.Prefix + ":outbox*") {
			if strings.HasSuffix(k, ":lease") || a.Redis.XLen(ctx, k).Val() > 0 {
				return false
			}
		}
		return true
	})
	out := map[string]string{}
	for _, k := range a.scan(a.Prefix + "*") {
		if strings.HasPrefix(k, a.Prefix+":outbox") {
			continue
		}
		typ, err := a.Redis.Type(ctx, k).Result()
		if err != nil {
			a.T.Fatalf("TYPE %s: %v", k, err)
		}
		var desc string
		switch typ {
		case "hash":
			h, err := a.Redis.HGetAll(ctx, k).Result()
			if err != nil {
				a.T.Fatalf("HGETALL %s: %v", k, err)
			}
			fields := maps.Clone(h)
			delete(fields, "la")
			delete(fields, "ie")
			delete(fields, "n")
			raw, _ := json.Marshal(fields)
			desc = string(raw)
		case "zset":
			m, err := a.Redis.ZRangeWithScores(ctx, k, 0, -1).Result()
			if err != nil {
				a.T.Fatalf("ZRANGE %s: %v", k, err)
			}
			raw, _ := json.Marshal(m)
			desc = string(raw)
		case "stream":
			n, err := a.Redis.XLen(ctx, k).Result()
			if err != nil {
				a.T.Fatalf("XLEN %s: %v", k, err)
			}
			raw, _ := json.Marshal(n)
			desc = string(raw)
		}
		out[k] = typ + " " + desc
	}
	return out
}

// scan lists the keys matching pattern.
func (a *app) scan(pattern string) []string {
	a.T.Helper()
	ctx := context.Background()
	var keys []string
	iter := a.Redis.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		a.T.Fatalf("scan %s: %v", pattern, err)
	}
	return keys
}
