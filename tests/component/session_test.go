package component

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// TestSessionLifecycle walks one user's sessions through their whole life over HTTP.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	a := newApp(t)

	// A trusted service signs the user in.
	before := time.Now().Add(-time.Minute)
	first := a.create("alice", map[string]any{"ip": "203.0.113.7", "device": map[string]string{"ua": "firefox"}})
	if first.Session.IP != "203.0.113.7" || first.Session.Device["ua"] != "firefox" || first.Session.ActivityCount != 0 {
		t.Errorf("created session = %+v", first.Session)
	}
	if c := first.Session.CreatedAt; c.Before(before) || c.After(time.Now().Add(time.Minute)) {
		t.Errorf("created_at = %s, want about now", c)
	}

	// The holder reads its session; every authenticated request counts as activity.
	var cur sessionView
	a.Do("GET", "/v1/session", bearer(first.Token), nil).Expect(t, "GET /v1/session", http.StatusOK, &cur)
	if cur.ID != first.Session.ID || !cur.Current || cur.UserID != "alice" || cur.ActivityCount != 1 {
		t.Errorf("GET /v1/session = %+v, want the session, current, activity 1", cur)
	}
	a.Do("GET", "/v1/session", bearer(first.Token), nil).Expect(t, "GET /v1/session again", http.StatusOK, &cur)
	if cur.ActivityCount != 2 {
		t.Errorf("activity_count = %d, want 2", cur.ActivityCount)
	}

	// Application data: set two fields, then delete one with null.
	a.Do("PATCH", "/v1/session", bearer(first.Token), map[string]any{"data": map[string]any{"cart": "c1", "theme": "dark"}}).
		Expect(t, "PATCH set", http.StatusOK, &cur)
	if cur.Data["cart"] != "c1" || cur.Data["theme"] != "dark" {
		t.Errorf("data after set = %v", cur.Data)
	}
	var patched sessionView // fresh: decoding into cur would merge the maps
	a.Do("PATCH", "/v1/session", bearer(first.Token), map[string]any{"data": map[string]any{"theme": nil}}).
		Expect(t, "PATCH delete", http.StatusOK, &patched)
	if len(patched.Data) != 1 || patched.Data["cart"] != "c1" {
		t.Errorf("data after delete = %v, want only cart", patched.Data)
	}

	var mine sessionList
	a.Do("GET", "/v1/sessions", bearer(first.Token), nil).Expect(t, "GET /v1/sessions", http.StatusOK, &mine)
	if mine.Count != 1 || len(mine.Sessions) != 1 || !mine.Sessions[0].Current || mine.Sessions[0].ID != first.Session.ID {
		t.Errorf("GET /v1/sessions = %+v", mine)
	}

	// Rotation: the old token stops working at once, the new one carries the same session on.
	var rot issued
	a.Do("POST", "/v1/session/rotate", bearer(first.Token), nil).Expect(t, "rotate", http.StatusOK, &rot)
	if rot.Token == first.Token || rot.Session.ID == first.Session.ID || rot.Session.Data["cart"] != "c1" {
		t.Errorf("rotate = %+v, want a new token and id with the data kept", rot)
	}
	a.Do("GET", "/v1/session", bearer(first.Token), nil).ExpectProblem(t, "old token after rotate", http.StatusUnauthorized, "")
	a.Do("GET", "/v1/session", bearer(rot.Token), nil).Expect(t, "new token after rotate", http.StatusOK, &cur)
	if cur.ID != rot.Session.ID || cur.Data["cart"] != "c1" {
		t.Errorf("after rotate GET /v1/session = %+v", cur)
	}

	// A second device; the first ends every other session.
	second := a.create("alice", nil)
	a.Do("GET", "/v1/sessions", bearer(rot.Token), nil).Expect(t, "list two", http.StatusOK, &mine)
	if mine.Count != 2 || mine.Sessions[0].ID != rot.Session.ID || mine.Sessions[1].ID != second.Session.ID {
		t.Errorf("list of two, oldest first = %+v", mine)
	}
	var ended struct{ Ended int }
	a.Do("DELETE", "/v1/sessions", bearer(rot.Token), nil).Expect(t, "end others", http.StatusOK, &ended)
	if ended.Ended != 1 {
		t.Errorf("end others: ended = %d, want 1", ended.Ended)
	}
	a.Do("GET", "/v1/session", bearer(second.Token), nil).ExpectProblem(t, "ended other session", http.StatusUnauthorized, "")
	if n := a.count("alice"); n != 1 {
		t.Errorf("count after ending others = %d, want 1", n)
	}

	// Logout.
	r := a.Do("DELETE", "/v1/session", bearer(rot.Token), nil)
	r.Expect(t, "logout", http.StatusNoContent, nil)
	a.Do("GET", "/v1/session", bearer(rot.Token), nil).ExpectProblem(t, "token after logout", http.StatusUnauthorized, "")
	if n := a.count("alice"); n != 0 {
		t.Errorf("count after logout = %d, want 0", n)
	}
}

// TestServiceManagesSessions covers the service routes on one user's sessions.
func TestServiceManagesSessions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	s1, s2 := a.create("bob", nil), a.create("bob", nil)
	base := "/v1/users/bob/sessions"

	var got sessionView
	a.Do("GET", base+"/"+s1.Session.ID, serviceCreds(), nil).Expect(t, "get one", http.StatusOK, &got)
	if got.ID != s1.Session.ID || got.ActivityCount != 0 || got.Current {
		t.Errorf("get one = %+v (a service read is not activity)", got)
	}
	// Another user's path never reaches bob's session.
	a.Do("GET", "/v1/users/carol/sessions/"+s1.Session.ID, serviceCreds(), nil).ExpectProblem(t, "other user's path", http.StatusNotFound, "session-not-found")

	var list sessionList
	a.Do("GET", base, serviceCreds(), nil).Expect(t, "list", http.StatusOK, &list)
	if list.Count != 2 || len(list.Sessions) != 2 {
		t.Errorf("list = %+v, want 2", list)
	}

	var rot issued
	a.Do("POST", base+"/"+s1.Session.ID+"/rotate", serviceCreds(), nil).Expect(t, "rotate for user", http.StatusOK, &rot)
	a.Do("GET", "/v1/session", bearer(s1.Token), nil).ExpectProblem(t, "old token after service rotate", http.StatusUnauthorized, "")
	a.Do("GET", "/v1/session", bearer(rot.Token), nil).Expect(t, "new token after service rotate", http.StatusOK, nil)

	a.Do("DELETE", base+"/"+rot.Session.ID, serviceCreds(), nil).Expect(t, "revoke one", http.StatusNoContent, nil)
	a.Do("GET", base+"/"+rot.Session.ID, serviceCreds(), nil).ExpectProblem(t, "revoked", http.StatusNotFound, "session-not-found")
	a.Do("DELETE", base+"/"+rot.Session.ID, serviceCreds(), nil).ExpectProblem(t, "revoke twice", http.StatusNotFound, "session-not-found")

	// The holder may end one of its own other sessions by id.
	s3 := a.create("bob", nil)
	a.Do("DELETE", "/v1/sessions/"+s2.Session.ID, bearer(s3.Token), nil).Expect(t, "end mine by id", http.StatusNoContent, nil)
	a.Do("GET", "/v1/session", bearer(s2.Token), nil).ExpectProblem(t, "ended by id", http.StatusUnauthorized, "")

	var ended struct{ Ended int }
	a.Do("DELETE", base, serviceCreds(), nil).Expect(t, "revoke all", http.StatusOK, &ended)
	if ended.Ended != 1 || a.count("bob") != 0 {
		t.Errorf("revoke all: ended %d, count %d; want 1 and 0", ended.Ended, a.count("bob"))
	}
	a.Do("GET", "/v1/session", bearer(s3.Token), nil).ExpectProblem(t, "after revoke all", http.StatusUnauthorized, "")
}

// TestCookieAuth signs in with the session cookie instead of the Authorization header.
func TestCookieAuth(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	s := a.create("dora", nil)
	cookie := testapp.Creds{Cookie: s.Token}

	var cur sessionView
	a.Do("GET", "/v1/session", cookie, nil).Expect(t, "GET with cookie", http.StatusOK, &cur)
	if cur.ID != s.Session.ID {
		t.Errorf("GET with cookie = %+v", cur)
	}

	// Rotating with the cookie sets the new token as the cookie.
	r := a.Do("POST", "/v1/session/rotate", cookie, nil)
	var rot issued
	r.Expect(t, "rotate with cookie", http.StatusOK, &rot)
	set := cookieNamed(r, "statekit_session")
	if set == nil || set.Value != rot.Token || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Secure || set.MaxAge <= 0 {
		t.Fatalf("rotate Set-Cookie = %+v, want the new token, HttpOnly, SameSite=Strict, not Secure (configured off)", set)
	}
	a.Do("GET", "/v1/session", cookie, nil).ExpectProblem(t, "old cookie", http.StatusUnauthorized, "")

	// Logout with the cookie clears it.
	r = a.Do("DELETE", "/v1/session", testapp.Creds{Cookie: rot.Token}, nil)
	r.Expect(t, "logout with cookie", http.StatusNoContent, nil)
	if c := cookieNamed(r, "statekit_session"); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout Set-Cookie = %+v, want the cookie cleared", c)
	}
	a.Do("GET", "/v1/session", testapp.Creds{Cookie: rot.Token}, nil).ExpectProblem(t, "cookie after logout", http.StatusUnauthorized, "")

	// A header session never gets a cookie.
	s2 := a.create("dora", nil)
	if r := a.Do("POST", "/v1/session/rotate", bearer(s2.Token), nil); cookieNamed(r, "statekit_session") != nil {
		t.Error("rotate with a Bearer token set a cookie")
	}
}

func cookieNamed(r testapp.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestIdleExpiry: a session unused past its idle timeout no longer authenticates.
func TestIdleExpiry(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_SESSION_IDLE_TIMEOUT"] = "1s"
	a := start(t, vars, tg.Client)

	s := a.create("erin", nil)
	a.Do("GET", "/v1/session", bearer(s.Token), nil).Expect(t, "fresh session", http.StatusOK, nil)
	time.Sleep(1200 * time.Millisecond)
	a.Do("GET", "/v1/session", bearer(s.Token), nil).ExpectProblem(t, "idle session", http.StatusUnauthorized, "")
	if n := a.count("erin"); n != 0 {
		t.Errorf("count after expiry = %d, want 0", n)
	}
}

// TestPerUserCap: creating one session more than the cap evicts the user's oldest.
func TestPerUserCap(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_SESSION_MAX_PER_USER"] = "3"
	a := start(t, vars, tg.Client)

	var all []issued
	for range 4 {
		all = append(all, a.create("finn", nil))
	}
	a.Do("GET", "/v1/session", bearer(all[0].Token), nil).ExpectProblem(t, "evicted oldest", http.StatusUnauthorized, "")
	var list sessionList
	a.Do("GET", "/v1/users/finn/sessions", serviceCreds(), nil).Expect(t, "list", http.StatusOK, &list)
	var ids []string
	for _, s := range list.Sessions {
		ids = append(ids, s.ID)
	}
	want := []string{all[1].Session.ID, all[2].Session.ID, all[3].Session.ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("sessions after cap = %v, want %v (oldest evicted, creation order)", ids, want)
	}
	for _, s := range all[1:] {
		a.Do("GET", "/v1/session", bearer(s.Token), nil).Expect(t, "kept session", http.StatusOK, nil)
	}
	// The cap is per user.
	a.create("gus", nil)
	if n := a.count("finn"); n != 3 {
		t.Errorf("finn's count = %d, want 3", n)
	}
}
