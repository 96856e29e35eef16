package component

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/statekit/statekit/tests/testapp"
)

// badCase is one request that must be refused with a problem document.
type badCase struct {
	name, method, path string
	c                  testapp.Creds
	body               any
	want               int
}

// TestBadInput sends every session endpoint malformed JSON, wrong types, unknown fields, oversize bodies,
// unknown ids and ids with the characters Redis keys care about. Each must answer a 4xx problem document,
// never a 5xx, and none may change anything in Redis.
func TestBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	victim := a.create("nina", map[string]any{"device": map[string]string{"ua": "x"}})
	other := a.create("omar", nil)
	a.Do("PATCH", "/v1/session", bearer(victim.Token), map[string]any{"data": map[string]string{"k": "v"}}).
		Expect(t, "set data", http.StatusOK, nil)
	nina := bearer(victim.Token)
	svc := serviceCreds()
	// Bodies are sent as raw bytes, exactly as written here.
	raw := func(s string) []byte { return []byte(s) }

	var cases []badCase
	add := func(name, method, path string, c testapp.Creds, body any, want int) {
		cases = append(cases, badCase{name, method, path, c, body, want})
	}

	// Bodies every JSON endpoint refuses, sent to both endpoints that read a body.
	oversize := `{"ip":"` + strings.Repeat("a", 1<<20+64<<10) + `"}`
	common := []struct {
		name, body string
		want       int
	}{
		{"malformed JSON", `{"ip":`, 400},
		{"not JSON", `hello`, 400},
		{"empty body", ``, 400},
		{"null", `null`, 400},
		{"array", `[]`, 400},
		{"string", `"x"`, 400},
		{"trailing data", `{}{}`, 400},
		{"unknown field", `{"nope":1}`, 400},
		{"deeply nested", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), 400},
		{"oversize body", oversize, http.StatusRequestEntityTooLarge},
		{"oversize whitespace", strings.Repeat(" ", 1<<20+1), http.StatusRequestEntityTooLarge},
	}
	for _, b := range common {
		add("create: "+b.name, "POST", "/v1/users/nina/sessions", svc, raw(b.body), b.want)
		add("patch: "+b.name, "PATCH", "/v1/session", nina, raw(b.body), b.want)
	}

	// Create: wrong types and values the domain refuses.
	for _, b := range []struct {
		name, body string
		want       int
	}{
		{"device is a number", `{"device":5}`, 400},
		{"ip is a number", `{"ip":5}`, 400},
		{"huge number", `{"ip":1e999}`, 400},
		{"device value is a number", `{"device":{"a":5}}`, 400},
		{"nested device", `{"device":{"a":{"b":"c"}}}`, 400},
		{"guest cart is a list", `{"guest_cart_id":["x"]}`, 400},
		{"device field with colon", `{"device":{"a:b":"x"}}`, 422},
		{"device field with braces", `{"device":{"{a}":"x"}}`, 422},
		{"device field star", `{"device":{"*":"x"}}`, 422},
		{"empty device field", `{"device":{"":"x"}}`, 422},
		{"device value too long", `{"device":{"a":"` + strings.Repeat("v", 1025) + `"}}`, 422},
		{"too many device fields", `{"device":{` + fields(17) + `}}`, 422},
		{"ip too long", `{"ip":"` + strings.Repeat("1", 65) + `"}`, 422},
		{"guest cart with key characters", `{"guest_cart_id":"a:{b}*"}`, 422},
	} {
		add("create: "+b.name, "POST", "/v1/users/nina/sessions", svc, raw(b.body), b.want)
	}

	// Patch: wrong types and values the domain refuses.
	for _, b := range []struct {
		name, body string
		want       int
	}{
		{"data is a number", `{"data":5}`, 400},
		{"data is a list", `{"data":[]}`, 400},
		{"data value is a number", `{"data":{"k":5}}`, 400},
		{"data value is an object", `{"data":{"k":{}}}`, 400},
		{"unknown field beside data", `{"data":{"k":"w"},"extra":1}`, 400},
		{"no data", `{}`, 422},
		{"null data", `{"data":null}`, 422},
		{"empty data", `{"data":{}}`, 422},
		{"data field with colon", `{"data":{"a:b":"x"}}`, 422},
		{"data field with braces", `{"data":{"{k}":"x"}}`, 422},
		{"data field star", `{"data":{"k*":"x"}}`, 422},
		{"data value too long", `{"data":{"k":"` + strings.Repeat("v", 1025) + `"}}`, 422},
		{"too many data fields", `{"data":{` + fields(33) + `}}`, 422},
	} {
		add("patch: "+b.name, "PATCH", "/v1/session", nina, raw(b.body), b.want)
	}

	// User ids with Redis key characters and other junk, on every service route. Body-less routes get a
	// malformed body too, which they must not trip over.
	junk := raw(`{"oops":`)
	validID := strings.Repeat("A", 43)
	for _, u := range []string{"a:b", "%7Ba%7D", "a%7B", "b%7D", "*", "a*b", "a%2Fb", "a%00b", "a%20b", "%C3%BC",
		strings.Repeat("u", 129)} {
		base := "/v1/users/" + u + "/sessions"
		add("create for user "+u, "POST", base, svc, raw(`{}`), 422)
		add("list for user "+u, "GET", base, svc, junk, 422)
		add("count for user "+u, "GET", base+"/count", svc, junk, 422)
		add("revoke all of user "+u, "DELETE", base, svc, junk, 422)
		add("get for user "+u, "GET", base+"/"+victim.Session.ID, svc, junk, 422)
		add("revoke one of user "+u, "DELETE", base+"/"+victim.Session.ID, svc, junk, 422)
		add("rotate for user "+u, "POST", base+"/"+victim.Session.ID+"/rotate", svc, junk, 422)
	}

	// Session ids: malformed ones (422) and well-formed ones that are unknown or another user's (404).
	badIDs := []string{"x", "a:b", "%7Bx%7D", "*", validID[:42] + ":", validID[:42] + "%7B", validID[:42] + "%7D",
		validID[:42] + "*", validID + "A", "%2E%2E%2Fsecret"}
	ids := []struct {
		id   string
		want int
	}{{validID, 404}, {other.Session.ID, 404}}
	for _, id := range badIDs {
		ids = append(ids, struct {
			id   string
			want int
		}{id, 422})
	}
	for _, id := range ids {
		base := "/v1/users/nina/sessions/" + id.id
		add("get session "+id.id, "GET", base, svc, junk, id.want)
		add("revoke session "+id.id, "DELETE", base, svc, junk, id.want)
		add("rotate session "+id.id, "POST", base+"/rotate", svc, junk, id.want)
		add("holder ends session "+id.id, "DELETE", "/v1/sessions/"+id.id, nina, junk, id.want)
	}

	// Tokens: malformed, or shaped right and unknown, on every holder route.
	for _, tok := range []string{"x", "a:b", "{x}", "*", strings.Repeat("A", 48),
		"0000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		for _, rt := range []struct{ method, path string }{
			{"GET", "/v1/session"}, {"PATCH", "/v1/session"}, {"DELETE", "/v1/session"},
			{"POST", "/v1/session/rotate"}, {"GET", "/v1/sessions"}, {"DELETE", "/v1/sessions"},
			{"DELETE", "/v1/sessions/" + victim.Session.ID},
		} {
			add(fmt.Sprintf("%s %s with token %q", rt.method, rt.path, tok), rt.method, rt.path, bearer(tok),
				raw(`{"data":{"k":"stolen"}}`), http.StatusUnauthorized)
		}
	}

	// Paths and methods no route serves.
	add("unknown sub-resource", "GET", "/v1/users/nina/sessions/"+victim.Session.ID+"/nope", svc, nil, 404)
	add("empty user id", "POST", "/v1/users//sessions", svc, raw(`{}`), 404)
	// A path with dot segments names, per RFC 3986, the same resource as its clean form: net/http answers a
	// 307 to the clean path and does nothing itself.
	add("dot segments", "DELETE", "/v1/users/nina/sessions/../sessions", svc, nil, http.StatusTemporaryRedirect)
	add("PUT on sessions", "PUT", "/v1/users/nina/sessions", svc, raw(`{}`), 405)
	add("PATCH on a service session", "PATCH", "/v1/users/nina/sessions/"+victim.Session.ID, svc, raw(`{}`), 405)
	add("GET rotate", "GET", "/v1/session/rotate", nina, nil, 405)

	before := a.snapshot()
	countNina, countOmar := a.count("nina"), a.count("omar")
	if len(before) == 0 {
		t.Fatal("no keys under the prefix before the bad requests: the snapshot is not looking at the app")
	}

	for _, c := range cases {
		r := a.Do(c.method, c.path, c.c, c.body)
		what := c.name + " (" + c.method + " " + c.path
		if len(what) > 200 {
			what = what[:200] + "..."
		}
		what += ")"
		if c.want == http.StatusTemporaryRedirect {
			if r.Status != c.want || r.Header.Get("Location") == "" {
				t.Errorf("%s: status %d, Location %q; want a 307 redirect", what, r.Status, r.Header.Get("Location"))
			}
			continue
		}
		if r.Status >= 500 || r.Status < 400 {
			t.Errorf("%s: status %d, want a 4xx; body %.300s", what, r.Status, r.Body)
			continue
		}
		var p testapp.Problem
		testapp.CheckProblem(t, what, r, &p)
		if r.Status != c.want {
			t.Errorf("%s: status %d, want %d; body %.300s", what, r.Status, c.want, r.Body)
		}
	}

	after := a.snapshot()
	if !maps.Equal(before, after) {
		for _, k := range slices.Sorted(maps.Keys(maps.Collect(func(yield func(string, bool) bool) {
			for k := range before {
				yield(k, true)
			}
			for k := range after {
				yield(k, true)
			}
		}))) {
			if before[k] != after[k] {
				t.Errorf("key %s changed:\n before %s\n after  %s", k, before[k], after[k])
			}
		}
	}
	if n, m := a.count("nina"), a.count("omar"); n != countNina || m != countOmar {
		t.Errorf("session counts changed: nina %d -> %d, omar %d -> %d", countNina, n, countOmar, m)
	}
	// Both sessions still work, with their data.
	var cur sessionView
	a.Do("GET", "/v1/session", nina, nil).Expect(t, "victim after", http.StatusOK, &cur)
	if cur.Data["k"] != "v" || len(cur.Data) != 1 {
		t.Errorf("victim's data after the bad requests = %v, want k=v", cur.Data)
	}
	a.Do("GET", "/v1/session", bearer(other.Token), nil).Expect(t, "other user's session after", http.StatusOK, nil)
	t.Logf("%d bad requests refused", len(cases))
}

// fields returns n JSON members "f0":"v", "f1":"v", ...
func fields(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"f%d":"v"`, i)
	}
	return strings.Join(parts, ",")
}
