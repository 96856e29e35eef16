package activityhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/statekit/statekit/adapters/http/activityhttp"
	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

const serviceKey = "fuzz-activity-key-0123456789"

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// FuzzRecordActivity sends arbitrary bodies (and user ids) to POST /v1/users/{userID}/activities on the
// real handlers, service and Redis store over a real redis-server: never a 5xx; a refusal is a problem
// document and writes nothing; an acceptance is in the user's feed.
func FuzzRecordActivity(f *testing.F) {
	for _, seed := range []struct{ user, body string }{
		{"alice", `{"action":"product.view","object":"product/sku-1","properties":{"ref":"ad"},"session_id":"s-1"}`},
		{"alice", `{"id":"evt-1","action":"login.failed"}`},
		{"alice", `{"action":"x","properties":{"n":1}}`},
		{"alice", `{"action":"Page.View"}`},
		{"alice", `{"action":"x","object":"a\nb"}`},
		{"alice", `{"action":"x","session_id":"s:{1}*"}`},
		{"alice", `{"action":"x","unknown":1}`},
		{"alice", `{`}, {"alice", `null`}, {"alice", ``},
		{"a:b", `{"action":"x"}`}, {"{u}", `{"action":"x"}`}, {"u*", `{"action":"x"}`},
		{strings.Repeat("u", 129), `{"action":"x"}`},
	} {
		f.Add(seed.user, []byte(seed.body))
	}
	rds := httpkit.NewRedis(f)
	policy := activity.DefaultPolicy()
	store := activityredis.New(rds.Client, rds.Prefix, policy, nil)
	h := activityhttp.New(activityapp.NewService(store, httpkit.Discard{}, policy))
	handler := httpkit.Handler(f, httpkit.Config(f, "svc:"+serviceKey+":activity"), nil, h.Routes(), activityhttp.Problems)

	f.Fuzz(func(t *testing.T, user string, body []byte) {
		rds.Flush(t)
		req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		req.URL.Path = "/v1/users/" + user + "/activities"
		req.URL.RawPath = "/v1/users/" + url.PathEscape(user) + "/activities"
		req.Header.Set("X-API-Key", serviceKey)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("user %q body %q: status %d: %s", user, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusTemporaryRedirect { // a user id with dot segments: net/http cleans the path
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("user %q body %q: %d with a body that is not JSON: %q", user, body, rec.Code, rec.Body)
		}
		switch {
		case rec.Code == http.StatusCreated:
			var out struct {
				Activity struct {
					ID     string `json:"id"`
					UserID string `json:"user_id"`
				} `json:"activity"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Activity.UserID != user {
				t.Fatalf("user %q body %q: 201 %s (%v)", user, body, rec.Body, err)
			}
			feed, err := store.Feed(context.Background(), user, "", 10)
			if err != nil || len(feed.Items) != 1 || feed.Items[0].ID != out.Activity.ID {
				t.Fatalf("user %q body %q: feed %+v, %v", user, body, feed, err)
			}
		case rec.Code >= 400:
			if !httpkit.IsProblem(rec) {
				t.Fatalf("user %q body %q: %d %s is not a problem document", user, body, rec.Code, rec.Body)
			}
			if keys := rds.Keys(t); len(keys) != 0 {
				t.Fatalf("user %q body %q: refused with %d, yet wrote %v", user, body, rec.Code, keys)
			}
		default:
			t.Fatalf("user %q body %q: unexpected status %d", user, body, rec.Code)
		}
	})
}
