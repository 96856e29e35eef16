package component

import (
	"net/http"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/tests/testapp"
)

// TestSessionCreatedEvent: a session created over HTTP reaches a subscriber of session.created with the
// request's id as its correlation id.
func TestSessionCreatedEvent(t *testing.T) {
	t.Parallel()
	created, createdCh := testapp.Subscribe("test.created", "session.created")
	ended, endedCh := testapp.Subscribe("test.ended", "session.ended")
	a := newApp(t, created, ended)

	const requestID = "req-component-0001"
	var out issued
	r := a.Do("POST", "/v1/users/ivan/sessions", testapp.Creds{APIKey: testapp.SessionsKey, RequestID: requestID},
		map[string]any{"ip": "198.51.100.4", "guest_cart_id": "cart-42", "device": map[string]string{"ua": "safari"}})
	r.Expect(t, "create", http.StatusCreated, &out)
	if got := r.Header.Get("X-Request-ID"); got != requestID {
		t.Errorf("X-Request-ID echoed = %q, want %q", got, requestID)
	}

	e := testapp.Next(t, createdCh, "session.created")
	if e.Name != "session.created" || e.Version != 1 || e.Source != "session" || e.CorrelationID != requestID || e.ID == "" {
		t.Errorf("envelope = name %q version %d source %q correlation %q id %q; want session.created, 1, session, %q, an id",
			e.Name, e.Version, e.Source, e.CorrelationID, e.ID, requestID)
	}
	if d := time.Since(e.OccurredAt); d < 0 || d > time.Minute {
		t.Errorf("occurred_at = %s, want about now", e.OccurredAt)
	}
	var payload session.Created
	if err := e.Decode(&payload); err != nil {
		t.Fatalf("decode payload %s: %v", e.Payload, err)
	}
	if payload.UserID != "ivan" || payload.GuestCartID != "cart-42" || payload.SessionID != out.Session.ID ||
		payload.IP != "198.51.100.4" || payload.Device["ua"] != "safari" {
		t.Errorf("payload = %+v", payload)
	}

	// Logout publishes session.ended with the logout's request id.
	a.Do("DELETE", "/v1/session", testapp.Creds{Bearer: out.Token, RequestID: "req-component-0002"}, nil).
		Expect(t, "logout", http.StatusNoContent, nil)
	e = testapp.Next(t, endedCh, "session.ended")
	var end session.Ended
	if err := e.Decode(&end); err != nil {
		t.Fatal(err)
	}
	if e.CorrelationID != "req-component-0002" || end.SessionID != out.Session.ID || end.Reason != session.EndLogout {
		t.Errorf("session.ended = %+v (correlation %q), want logout of %s", end, e.CorrelationID, out.Session.ID)
	}

	// A request without an id still correlates: the server draws one and echoes it.
	r = a.Do("POST", "/v1/users/ivan/sessions", serviceCreds(), map[string]any{})
	r.Expect(t, "create without request id", http.StatusCreated, nil)
	e = testapp.Next(t, createdCh, "second session.created")
	if drawn := r.Header.Get("X-Request-ID"); drawn == "" || e.CorrelationID != drawn {
		t.Errorf("correlation id = %q, drawn request id = %q", e.CorrelationID, drawn)
	}
}

// TestEvictionEvent: the session the per-user cap evicts is reported as session.ended, reason evicted.
func TestEvictionEvent(t *testing.T) {
	t.Parallel()
	ended, endedCh := testapp.Subscribe("test.ended", "session.ended")
	a := newApp(t, ended)
	first := a.create("jo", nil)
	for range 10 { // the default cap is 10
		a.create("jo", nil)
	}
	e := testapp.Next(t, endedCh, "session.ended")
	var end session.Ended
	if err := e.Decode(&end); err != nil {
		t.Fatal(err)
	}
	if end.SessionID != first.Session.ID || end.Reason != session.EndEvicted || end.UserID != "jo" {
		t.Errorf("session.ended = %+v, want %s evicted", end, first.Session.ID)
	}
}
