package component

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/testapp"
)

// activityDoc is an activity as the API shows it.
type activityDoc struct {
	ID         string            `json:"id"`
	UserID     string            `json:"user_id"`
	Action     string            `json:"action"`
	Object     string            `json:"object"`
	Properties map[string]string `json:"properties"`
	SessionID  string            `json:"session_id"`
	At         time.Time         `json:"at"`
	Cursor     string            `json:"cursor"`
}

type activityPage struct {
	Activities []activityDoc `json:"activities"`
	Next       string        `json:"next"`
}

func (p activityPage) actions() []string {
	out := make([]string, len(p.Activities))
	for i, a := range p.Activities {
		out[i] = a.Action
	}
	return out
}

// TestCartMergedBecomesActivity publishes cart.merged on the bus, as the cart module does after merging a
// guest cart on sign-in: the activity module's consumer group records it and publishes activity.recorded,
// and the user's feed shows it.
func TestCartMergedBecomesActivity(t *testing.T) {
	t.Parallel()
	recorded, recordedCh := testapp.Subscribe("test.recorded", "activity.recorded")
	var bus ports.EventPublisher
	a := newApp(t, recorded, fx.Populate(&bus))

	merged := cart.Merged{UserID: "olga", GuestCartID: "guest-9", LinesMerged: 4, Policy: "sum", MergedAt: time.Now().UTC()}
	ctx := ports.WithCorrelationID(context.Background(), "req-merge-0001")
	if err := bus.Publish(ctx, merged); err != nil {
		t.Fatal(err)
	}
	e := testapp.Next(t, recordedCh, "activity.recorded")
	var rec activity.Recorded
	if err := e.Decode(&rec); err != nil {
		t.Fatal(err)
	}
	if e.Source != "activity" || e.CorrelationID != "req-merge-0001" || rec.UserID != "olga" ||
		rec.Action != activity.ActionCartMerged || rec.Object != "cart/guest-9" || rec.Properties["lines_merged"] != "4" ||
		rec.Properties["guest_cart_id"] != "guest-9" || rec.ActivityID == "" {
		t.Errorf("activity.recorded = %+v (source %q, correlation %q)", rec, e.Source, e.CorrelationID)
	}
	var feed activityPage
	a.Do("GET", "/v1/users/olga/activities", adminCreds(), nil).Expect(t, "olga's feed", http.StatusOK, &feed)
	if len(feed.Activities) != 1 || feed.Activities[0].ID != rec.ActivityID || feed.Activities[0].Action != "cart.merged" {
		t.Errorf("feed = %+v", feed)
	}
}

// TestGuestCartChainToActivity drives the whole chain over HTTP: a guest fills a cart, signs in with it
// (session.created carries the guest cart id), the cart module merges it and publishes cart.merged, and the
// activity module records that and publishes activity.recorded.
func TestGuestCartChainToActivity(t *testing.T) {
	t.Parallel()
	recorded, recordedCh := testapp.Subscribe("test.recorded", "activity.recorded")
	a := newApp(t, recorded)
	a.Do("PUT", "/v1/inventory/sku-chain", adminCreds(), map[string]any{"on_hand": 10, "price_cents": 499}).
		Expect(t, "stock", http.StatusOK, nil)
	var guest struct {
		Token string `json:"token"`
		Cart  struct {
			CartID string `json:"cart_id"`
		} `json:"cart"`
	}
	a.Do("POST", "/v1/guest-carts", testapp.Creds{}, nil).Expect(t, "guest cart", http.StatusCreated, &guest)
	add := a.doWithHeaders("POST", "/v1/guest-cart/items", map[string]string{"X-Cart-Token": guest.Token},
		map[string]any{"sku": "sku-chain", "quantity": 2})
	if add.Status/100 != 2 {
		t.Fatalf("add to the guest cart: %d %s", add.Status, add.Body)
	}
	s := a.create("zoe", map[string]any{"guest_cart_id": guest.Cart.CartID})

	e := testapp.Next(t, recordedCh, "activity.recorded")
	var rec activity.Recorded
	if err := e.Decode(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.UserID != "zoe" || rec.Action != activity.ActionCartMerged || rec.Properties["guest_cart_id"] != guest.Cart.CartID ||
		rec.Properties["lines_merged"] != "1" {
		t.Errorf("activity.recorded = %+v", rec)
	}
	var mine struct {
		Lines []struct {
			SKU      string `json:"sku"`
			Quantity int64  `json:"quantity"`
		} `json:"lines"`
	}
	a.Do("GET", "/v1/cart", bearer(s.Token), nil).Expect(t, "merged cart", http.StatusOK, &mine)
	if len(mine.Lines) != 1 || mine.Lines[0].SKU != "sku-chain" || mine.Lines[0].Quantity != 2 {
		t.Errorf("zoe's cart after sign-in = %+v", mine)
	}
	var feed activityPage
	a.Do("GET", "/v1/activities", bearer(s.Token), nil).Expect(t, "zoe's feed", http.StatusOK, &feed)
	if len(feed.Activities) != 1 || feed.Activities[0].ID != rec.ActivityID {
		t.Errorf("zoe's feed = %+v", feed)
	}
}

// TestActivityOverHTTP records activities as a service and as a session holder and reads them back as
// feeds, a session replay, the global feed and a funnel; five failed logins publish a detection.
func TestActivityOverHTTP(t *testing.T) {
	t.Parallel()
	detected, detectedCh := testapp.Subscribe("test.detected", "activity.pattern_detected")
	a := newApp(t, detected)
	record := func(user string, body map[string]any, status int) activityDoc {
		t.Helper()
		var out struct {
			Activity  activityDoc `json:"activity"`
			Duplicate bool        `json:"duplicate"`
		}
		a.Do("POST", "/v1/users/"+user+"/activities", adminCreds(), body).Expect(t, "record "+user, status, &out)
		if out.Duplicate != (status == http.StatusOK) {
			t.Errorf("duplicate = %t with status %d", out.Duplicate, status)
		}
		return out.Activity
	}

	// A funnel: view -> cart.add -> checkout within an hour, for three users.
	start := time.Now().UTC().Add(-time.Minute)
	for _, step := range []struct{ user, action string }{
		{"pia", "product.view"}, {"pia", "cart.add"}, {"pia", "checkout"},
		{"quinn", "product.view"}, {"quinn", "cart.add"},
		{"rob", "cart.add"}, {"rob", "product.view"},
	} {
		record(step.user, map[string]any{"action": step.action, "object": "product/sku-1", "session_id": "s-" + step.user}, http.StatusCreated)
	}
	var funnel struct {
		Steps []struct {
			Action     string  `json:"action"`
			Users      int64   `json:"users"`
			Conversion float64 `json:"conversion"`
		} `json:"steps"`
		Scanned   int  `json:"scanned"`
		Truncated bool `json:"truncated"`
	}
	a.Do("POST", "/v1/activities/funnels", adminCreds(), map[string]any{
		"steps": []string{"product.view", "cart.add", "checkout"}, "within": "1h",
		"from": start, "to": time.Now().UTC().Add(time.Minute),
	}).Expect(t, "funnel", http.StatusOK, &funnel)
	if len(funnel.Steps) != 3 || funnel.Steps[0].Users != 3 || funnel.Steps[1].Users != 2 || funnel.Steps[2].Users != 1 ||
		funnel.Scanned != 7 || funnel.Truncated || funnel.Steps[2].Conversion != 0.5 {
		t.Errorf("funnel = %+v", funnel)
	}

	// Replay of one session, oldest first; the user's feed, newest first, in pages.
	var replay activityPage
	a.Do("GET", "/v1/users/pia/activities/sessions/s-pia", adminCreds(), nil).Expect(t, "replay", http.StatusOK, &replay)
	if got := strings.Join(replay.actions(), ","); got != "product.view,cart.add,checkout" {
		t.Errorf("replay = %s", got)
	}
	var p1, p2 activityPage
	a.Do("GET", "/v1/users/pia/activities?limit=2", adminCreds(), nil).Expect(t, "feed page 1", http.StatusOK, &p1)
	a.Do("GET", "/v1/users/pia/activities?limit=2&before="+p1.Next, adminCreds(), nil).Expect(t, "feed page 2", http.StatusOK, &p2)
	if got := strings.Join(append(p1.actions(), p2.actions()...), ","); got != "checkout,cart.add,product.view" || p2.Next != "" {
		t.Errorf("feed pages = %s (next %q)", got, p2.Next)
	}
	var global activityPage
	a.Do("GET", "/v1/activities/global?limit=100", adminCreds(), nil).Expect(t, "global", http.StatusOK, &global)
	if len(global.Activities) != 7 || global.Activities[0].UserID != "rob" {
		t.Errorf("global = %v", global.actions())
	}

	// An idempotency key: the repeat is a 200 duplicate with the first record's id and cursor.
	first := record("pia", map[string]any{"id": "order-77", "action": "order.paid"}, http.StatusCreated)
	again := record("pia", map[string]any{"id": "order-77", "action": "order.paid"}, http.StatusOK)
	if again.ID != first.ID || again.Cursor != first.Cursor {
		t.Errorf("repeat = %+v, first %+v", again, first)
	}

	// A session holder records into its own session and reads its own feed.
	s := a.create("sam", nil)
	var mine struct{ Activity activityDoc }
	a.Do("POST", "/v1/activities", bearer(s.Token), map[string]any{"action": "page.view", "properties": map[string]string{"path": "/"}}).
		Expect(t, "holder records", http.StatusCreated, &mine)
	if mine.Activity.UserID != "sam" || mine.Activity.SessionID != s.Session.ID || mine.Activity.Properties["path"] != "/" {
		t.Errorf("holder's activity = %+v", mine.Activity)
	}
	var own activityPage
	a.Do("GET", "/v1/activities", bearer(s.Token), nil).Expect(t, "holder's feed", http.StatusOK, &own)
	if len(own.Activities) != 1 || own.Activities[0].ID != mine.Activity.ID {
		t.Errorf("holder's feed = %+v", own)
	}
	a.Do("POST", "/v1/activities", bearer(s.Token), map[string]any{"action": "x", "session_id": "someone-else"}).
		ExpectProblem(t, "holder writes into another session", http.StatusUnprocessableEntity, "invalid-activity-input")

	// Five failed logins within the window publish activity.pattern_detected once.
	for range 5 {
		record("tess", map[string]any{"action": activity.ActionLoginFailed}, http.StatusCreated)
	}
	e := testapp.Next(t, detectedCh, "activity.pattern_detected")
	var det activity.PatternDetected
	if err := e.Decode(&det); err != nil {
		t.Fatal(err)
	}
	if det.Detector != "failed_logins" || det.UserID != "tess" || det.Count != 5 || det.WindowSeconds != 900 {
		t.Errorf("detection = %+v", det)
	}
	record("tess", map[string]any{"action": activity.ActionLoginFailed}, http.StatusCreated)
	select {
	case e := <-detectedCh:
		t.Errorf("a second detection within the window: %s", e.Payload)
	case <-time.After(300 * time.Millisecond):
	}

	// Scopes: the sessions key may not read activity; a holder may not use the service routes.
	a.Do("GET", "/v1/users/pia/activities", serviceCreds(), nil).ExpectProblem(t, "sessions key", http.StatusForbidden, "forbidden")
	a.Do("GET", "/v1/activities/global", bearer(s.Token), nil).ExpectProblem(t, "holder on global", http.StatusForbidden, "forbidden")
}

// TestActivityBadInput: ids with the characters Redis keys care about, bad actions, cursors, limits and
// funnels are 4xx problems, and nothing of the activity module changes in Redis.
func TestActivityBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.Do("POST", "/v1/users/uma/activities", adminCreds(), map[string]any{"action": "seed", "session_id": "s1"}).
		Expect(t, "seed", http.StatusCreated, nil)
	before := activityKeys(a.snapshot())
	admin := adminCreds()
	funnel := func(change map[string]any) map[string]any {
		f := map[string]any{"steps": []string{"a", "b"}, "within": "1h", "from": "2031-01-01T00:00:00Z", "to": "2031-01-02T00:00:00Z"}
		maps.Copy(f, change)
		return f
	}
	cases := []badCase{
		{"user with colon", "POST", "/v1/users/a:b/activities", admin, map[string]any{"action": "x"}, 422},
		{"user with braces", "POST", "/v1/users/%7Bu%7D/activities", admin, map[string]any{"action": "x"}, 422},
		{"user with star", "POST", "/v1/users/u*/activities", admin, map[string]any{"action": "x"}, 422},
		{"session with colon", "POST", "/v1/users/uma/activities", admin, map[string]any{"action": "x", "session_id": "s:1"}, 422},
		{"id with brace", "POST", "/v1/users/uma/activities", admin, map[string]any{"action": "x", "id": "k}"}, 422},
		{"no action", "POST", "/v1/users/uma/activities", admin, map[string]any{}, 422},
		{"action with star", "POST", "/v1/users/uma/activities", admin, map[string]any{"action": "x*"}, 422},
		{"object with a newline", "POST", "/v1/users/uma/activities", admin, map[string]any{"action": "x", "object": "a\nb"}, 422},
		{"property name with colon", "POST", "/v1/users/uma/activities", admin, map[string]any{"action": "x", "properties": map[string]string{"a:b": "1"}}, 422},
		{"properties not strings", "POST", "/v1/users/uma/activities", admin, []byte(`{"action":"x","properties":{"n":1}}`), 400},
		{"malformed JSON", "POST", "/v1/users/uma/activities", admin, []byte(`{"action":`), 400},
		{"unknown field", "POST", "/v1/users/uma/activities", admin, []byte(`{"action":"x","user":"y"}`), 400},
		{"feed cursor garbage", "GET", "/v1/users/uma/activities?before=abc", admin, nil, 422},
		{"feed limit 0", "GET", "/v1/users/uma/activities?limit=0", admin, nil, 422},
		{"feed limit huge", "GET", "/v1/users/uma/activities?limit=5000", admin, nil, 422},
		{"replay of a session with star", "GET", "/v1/users/uma/activities/sessions/s*", admin, nil, 422},
		{"replay cursor garbage", "GET", "/v1/users/uma/activities/sessions/s1?after=1:2", admin, nil, 422},
		{"global cursor garbage", "GET", "/v1/activities/global?before=*", admin, nil, 422},
		{"funnel of one step", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"steps": []string{"a"}}), 422},
		{"funnel step with colon", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"steps": []string{"a", "b:c"}}), 422},
		{"funnel within forever", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"within": "forever"}), 422},
		{"funnel within negative", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"within": "-1h"}), 422},
		{"funnel backwards", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"from": "2031-01-03T00:00:00Z"}), 422},
		{"funnel from not a time", "POST", "/v1/activities/funnels", admin, funnel(map[string]any{"from": "yesterday"}), 400},
	}
	for _, c := range cases {
		a.Do(c.method, c.path, c.c, c.body).ExpectProblem(t, c.name, c.want, "")
	}
	if after := activityKeys(a.snapshot()); !maps.Equal(before, after) {
		t.Errorf("bad requests changed the activity keys:\nbefore %v\nafter  %v", before, after)
	}
	if len(before) == 0 {
		t.Error("the snapshot holds no activity keys: the comparison checks nothing")
	}
}

// activityKeys keeps the activity module's keys and event streams of a snapshot.
func activityKeys(all map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if strings.Contains(k, ":activity:") || strings.Contains(k, ".evt.activity.") {
			out[k] = v
		}
	}
	return out
}
