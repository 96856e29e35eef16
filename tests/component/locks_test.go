package component

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// locksKey is a service key holding only the "locks" scope.
const locksKey = "coord-secret-0123456789abcdef"

func newLocksApp(t *testing.T) *app {
	t.Helper()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_API_KEYS"] += ",coord:" + locksKey + ":locks"
	return start(t, vars, tg.Client)
}

type leaseBody struct {
	Names  []string         `json:"names"`
	Token  string           `json:"token"`
	Mode   string           `json:"mode"`
	Fence  int64            `json:"fence"`
	Fences map[string]int64 `json:"fences"`
	TTLMS  int64            `json:"ttl_ms"`
}

type stateBody struct {
	Held    bool   `json:"held"`
	Mode    string `json:"mode"`
	Holders int    `json:"holders"`
	Fence   int64  `json:"fence"`
	Waiters int    `json:"waiters"`
}

// TestLocksOverHTTP is the tour of the lock endpoints a non-Go service uses: acquire, refuse a second owner,
// wait in the queue and be handed the lock on release, extend and release only with the token, fenced
// writes that refuse a stale fence, lock sets, and shared locks.
func TestLocksOverHTTP(t *testing.T) {
	t.Parallel()
	a := newLocksApp(t)
	coord := testapp.Creds{APIKey: locksKey}

	var first leaseBody
	a.Do("POST", "/v1/locks/orders.42", coord, map[string]any{"ttl_ms": 10000}).Expect(t, "acquire", http.StatusOK, &first)
	if first.Token == "" || first.Fence <= 0 || first.Mode != "exclusive" || first.TTLMS != 10000 || first.Fences["orders.42"] != first.Fence {
		t.Fatalf("acquire = %+v", first)
	}
	a.Do("POST", "/v1/locks/orders.42", coord, map[string]any{}).ExpectProblem(t, "second owner", http.StatusConflict, "lock-not-acquired")
	a.Do("POST", "/v1/locks/orders.42/extend", coord, map[string]any{"token": strings.Repeat("A", 22), "ttl_ms": 5000}).
		ExpectProblem(t, "extend with another token", http.StatusConflict, "lock-not-held")
	a.Do("POST", "/v1/locks/orders.42/extend", coord, map[string]any{"token": first.Token, "ttl_ms": 20000}).
		Expect(t, "extend", http.StatusOK, nil)

	// A waiter queues; the release hands it the lock.
	waited := make(chan testapp.Response, 1)
	go func() {
		waited <- a.Do("POST", "/v1/locks/orders.42", coord, map[string]any{"wait_ms": 10000, "ttl_ms": 10000})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var st stateBody
		a.Do("GET", "/v1/locks/orders.42", coord, nil).Expect(t, "inspect", http.StatusOK, &st)
		if st.Waiters == 1 {
			if !st.Held || st.Holders != 1 || st.Fence != first.Fence {
				t.Errorf("inspect while held = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter never queued")
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.Do("POST", "/v1/locks/orders.42/release", coord, map[string]any{"token": first.Token}).Expect(t, "release", http.StatusNoContent, nil)
	var second leaseBody
	(<-waited).Expect(t, "waiter", http.StatusOK, &second)
	if second.Fence <= first.Fence {
		t.Errorf("waiter's fence %d, want > %d", second.Fence, first.Fence)
	}
	a.Do("POST", "/v1/locks/orders.42/release", coord, map[string]any{"token": first.Token}).
		ExpectProblem(t, "release by the old owner", http.StatusConflict, "lock-not-held")

	// Fenced writes: the new holder writes; the old holder's fence is refused.
	a.Do("PUT", "/v1/fenced/orders.42.total", coord, map[string]any{"value": "90", "fence": second.Fence}).
		Expect(t, "fenced write", http.StatusNoContent, nil)
	a.Do("PUT", "/v1/fenced/orders.42.total", coord, map[string]any{"value": "150", "fence": first.Fence}).
		ExpectProblem(t, "stale fenced write", http.StatusConflict, "stale-fence")
	var fv struct {
		Value string `json:"value"`
		Fence int64  `json:"fence"`
	}
	a.Do("GET", "/v1/fenced/orders.42.total", coord, nil).Expect(t, "fenced read", http.StatusOK, &fv)
	if fv.Value != "90" || fv.Fence != second.Fence {
		t.Errorf("fenced value = %+v", fv)
	}
	a.Do("GET", "/v1/fenced/nothing.here", coord, nil).ExpectProblem(t, "fenced read of nothing", http.StatusNotFound, "fenced-value-not-found")
	a.Do("POST", "/v1/locks/orders.42/release", coord, map[string]any{"token": second.Token}).Expect(t, "release", http.StatusNoContent, nil)

	// Lock sets: all or none.
	var set leaseBody
	a.Do("POST", "/v1/lock-sets", coord, map[string]any{"names": []string{"acct.1", "acct.2"}}).Expect(t, "lock set", http.StatusOK, &set)
	if len(set.Fences) != 2 || set.Fences["acct.1"] <= 0 || set.Fences["acct.2"] <= 0 {
		t.Errorf("lock set = %+v", set)
	}
	a.Do("POST", "/v1/lock-sets", coord, map[string]any{"names": []string{"acct.3", "acct.2"}}).
		ExpectProblem(t, "overlapping set", http.StatusConflict, "lock-not-acquired")
	var st stateBody
	a.Do("GET", "/v1/locks/acct.3", coord, nil).Expect(t, "inspect acct.3", http.StatusOK, &st)
	if st.Held {
		t.Error("a failed lock set left acct.3 held")
	}
	a.Do("POST", "/v1/lock-sets/extend", coord, map[string]any{"names": set.Names, "token": set.Token, "ttl_ms": 5000}).
		Expect(t, "extend set", http.StatusOK, nil)
	a.Do("POST", "/v1/lock-sets/release", coord, map[string]any{"names": set.Names, "token": set.Token}).
		Expect(t, "release set", http.StatusNoContent, nil)

	// Shared locks share.
	var r1, r2 leaseBody
	a.Do("POST", "/v1/locks/doc", coord, map[string]any{"mode": "shared"}).Expect(t, "reader 1", http.StatusOK, &r1)
	a.Do("POST", "/v1/locks/doc", coord, map[string]any{"mode": "shared"}).Expect(t, "reader 2", http.StatusOK, &r2)
	a.Do("POST", "/v1/locks/doc", coord, map[string]any{}).ExpectProblem(t, "writer among readers", http.StatusConflict, "lock-not-acquired")
	a.Do("GET", "/v1/locks/doc", coord, nil).Expect(t, "inspect doc", http.StatusOK, &st)
	if st.Mode != "shared" || st.Holders != 2 {
		t.Errorf("readers: %+v", st)
	}
}

// TestSemaphoresOverHTTP: permits of a pool over HTTP, and who may change a pool.
func TestSemaphoresOverHTTP(t *testing.T) {
	t.Parallel()
	a := newLocksApp(t)
	coord, admin := testapp.Creds{APIKey: locksKey}, testapp.Creds{APIKey: testapp.AdminKey}
	type permit struct {
		PermitID string `json:"permit_id"`
		Weight   int    `json:"weight"`
	}
	type stats struct {
		Capacity, Used, Available, Holders, Waiters int
	}
	a.Do("POST", "/v1/semaphores/db/permits", coord, map[string]any{}).ExpectProblem(t, "no pool", http.StatusNotFound, "semaphore-pool-not-found")
	var p1 permit
	a.Do("POST", "/v1/semaphores/db/permits", coord, map[string]any{"capacity": 2, "weight": 2}).Expect(t, "take both", http.StatusOK, &p1)
	if p1.PermitID == "" || p1.Weight != 2 {
		t.Fatalf("permit = %+v", p1)
	}
	a.Do("POST", "/v1/semaphores/db/permits", coord, map[string]any{}).ExpectProblem(t, "pool full", http.StatusConflict, "no-permit")
	a.Do("POST", "/v1/semaphores/db/permits", coord, map[string]any{"weight": 3}).ExpectProblem(t, "too heavy", http.StatusUnprocessableEntity, "permit-weight-too-large")
	var s stats
	a.Do("GET", "/v1/semaphores/db", coord, nil).Expect(t, "stats", http.StatusOK, &s)
	if s.Capacity != 2 || s.Used != 2 || s.Available != 0 || s.Holders != 1 {
		t.Errorf("stats = %+v", s)
	}
	a.Do("POST", "/v1/semaphores/db/permits/refresh", coord, map[string]any{"permit_id": p1.PermitID, "ttl_ms": 60000}).
		Expect(t, "refresh", http.StatusOK, nil)

	waited := make(chan testapp.Response, 1)
	go func() { waited <- a.Do("POST", "/v1/semaphores/db/permits", coord, map[string]any{"wait_ms": 10000}) }()
	for deadline := time.Now().Add(5 * time.Second); s.Waiters != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the waiter never queued")
		}
		a.Do("GET", "/v1/semaphores/db", coord, nil).Expect(t, "stats", http.StatusOK, &s)
	}
	a.Do("POST", "/v1/semaphores/db/permits/release", coord, map[string]any{"permit_id": p1.PermitID}).Expect(t, "release", http.StatusNoContent, nil)
	var p2 permit
	(<-waited).Expect(t, "waiter", http.StatusOK, &p2)
	a.Do("POST", "/v1/semaphores/db/permits/release", coord, map[string]any{"permit_id": p1.PermitID}).
		ExpectProblem(t, "release twice", http.StatusConflict, "permit-not-held")

	a.Do("PUT", "/v1/semaphores/db", coord, map[string]any{"capacity": 5}).ExpectProblem(t, "resize with the locks scope", http.StatusForbidden, "forbidden")
	a.Do("PUT", "/v1/semaphores/db", admin, map[string]any{"capacity": 5}).Expect(t, "resize", http.StatusOK, &s)
	if s.Capacity != 5 || s.Used != 1 {
		t.Errorf("after resize: %+v", s)
	}
	a.Do("DELETE", "/v1/semaphores/db", coord, nil).ExpectProblem(t, "delete with the locks scope", http.StatusForbidden, "forbidden")
	a.Do("DELETE", "/v1/semaphores/db", admin, nil).Expect(t, "delete", http.StatusNoContent, nil)
	a.Do("GET", "/v1/semaphores/db", coord, nil).ExpectProblem(t, "stats after delete", http.StatusNotFound, "semaphore-pool-not-found")
}

// TestLocksBadInput: every lock and semaphore endpoint answers malformed bodies, wrong types, out-of-range
// numbers and names with Redis key characters with a 4xx problem, and changes nothing in Redis; a sessions
// key may not use them.
func TestLocksBadInput(t *testing.T) {
	t.Parallel()
	a := newLocksApp(t)
	coord := testapp.Creds{APIKey: locksKey}
	var held leaseBody
	a.Do("POST", "/v1/locks/held", coord, map[string]any{"ttl_ms": 60000}).Expect(t, "acquire", http.StatusOK, &held)
	var p struct {
		PermitID string `json:"permit_id"`
	}
	a.Do("POST", "/v1/semaphores/pool/permits", coord, map[string]any{"capacity": 1, "ttl_ms": 60000}).Expect(t, "permit", http.StatusOK, &p)
	raw := func(s string) []byte { return []byte(s) }

	var cases []badCase
	add := func(name, method, path string, body any, want int) {
		cases = append(cases, badCase{name, method, path, coord, body, want})
	}
	bodyRoutes := []struct{ method, path string }{
		{"POST", "/v1/locks/x"}, {"POST", "/v1/locks/x/extend"}, {"POST", "/v1/locks/x/release"},
		{"POST", "/v1/lock-sets"}, {"POST", "/v1/lock-sets/extend"}, {"POST", "/v1/lock-sets/release"},
		{"PUT", "/v1/fenced/x"}, {"POST", "/v1/semaphores/pool/permits"}, {"POST", "/v1/semaphores/pool/permits/refresh"},
		{"POST", "/v1/semaphores/pool/permits/release"},
	}
	for _, rt := range bodyRoutes {
		for _, b := range []struct {
			name, body string
			want       int
		}{
			{"malformed JSON", `{"ttl_ms":`, 400},
			{"empty body", ``, 400},
			{"array", `[]`, 400},
			{"unknown field", `{"nope":1}`, 400},
			{"ttl is a string", `{"ttl_ms":"1s"}`, 400},
			{"huge number", `{"ttl_ms":1e999}`, 400},
			{"oversize body", `{"token":"` + strings.Repeat("a", 1<<20+64<<10) + `"}`, http.StatusRequestEntityTooLarge},
		} {
			add(rt.method+" "+rt.path+": "+b.name, rt.method, rt.path, raw(b.body), b.want)
		}
	}
	for _, b := range []struct{ name, body string }{
		{"negative ttl", `{"ttl_ms":-1}`},
		{"ttl too short", `{"ttl_ms":1}`},
		{"ttl too long", `{"ttl_ms":90000000}`},
		{"wait too long", `{"wait_ms":60000}`},
		{"unknown mode", `{"mode":"upgradable"}`},
		{"names on a single lock", `{"names":["a"]}`},
	} {
		add("acquire: "+b.name, "POST", "/v1/locks/x", raw(b.body), 422)
	}
	for _, b := range []struct{ name, body string }{
		{"no names", `{}`},
		{"duplicate names", `{"names":["a","a"]}`},
		{"name with colon", `{"names":["a","b:c"]}`},
		{"name with braces", `{"names":["{a}"]}`},
		{"too many names", `{"names":[` + strings.Repeat(`"n",`, 64) + `"z"]}`},
	} {
		add("lock set: "+b.name, "POST", "/v1/lock-sets", raw(b.body), 422)
	}
	for _, b := range []struct{ name, body string }{
		{"no token", `{"ttl_ms":1000}`},
		{"short token", `{"token":"abc","ttl_ms":1000}`},
		{"token with key characters", `{"token":"aaaaaaaaaaaaaaaaaa:{}*","ttl_ms":1000}`},
		{"no ttl", `{"token":"` + held.Token + `"}`},
	} {
		add("extend: "+b.name, "POST", "/v1/locks/held/extend", raw(b.body), 422)
	}
	add("release with a ttl", "POST", "/v1/locks/held/release", raw(`{"token":"`+held.Token+`","ttl_ms":5}`), 422)
	add("fenced write without a fence", "PUT", "/v1/fenced/x", raw(`{"value":"v"}`), 422)
	add("fenced write with a negative fence", "PUT", "/v1/fenced/x", raw(`{"value":"v","fence":-4}`), 422)
	add("fenced write too large", "PUT", "/v1/fenced/x", raw(`{"value":"`+strings.Repeat("v", 64<<10+1)+`","fence":4}`), 422)
	for _, b := range []struct{ name, body string }{
		{"negative weight", `{"weight":-1}`},
		{"negative capacity", `{"capacity":-1}`},
		{"huge capacity", `{"capacity":2000000}`},
		{"wait too long", `{"wait_ms":60000}`},
	} {
		add("permit: "+b.name, "POST", "/v1/semaphores/pool/permits", raw(b.body), 422)
	}
	add("refresh without an id", "POST", "/v1/semaphores/pool/permits/refresh", raw(`{"ttl_ms":1000}`), 422)
	add("refresh of a stranger", "POST", "/v1/semaphores/pool/permits/refresh", raw(`{"permit_id":"`+strings.Repeat("Z", 22)+`","ttl_ms":1000}`), 409)
	for _, n := range []string{"a:b", "%7Ba%7D", "a%7B", "b%7D", "*", "a*b", "a%20b", "%C3%BC", strings.Repeat("n", 129)} {
		add("acquire "+n, "POST", "/v1/locks/"+n, raw(`{}`), 422)
		add("inspect "+n, "GET", "/v1/locks/"+n, nil, 422)
		add("extend "+n, "POST", "/v1/locks/"+n+"/extend", raw(`{"token":"`+held.Token+`","ttl_ms":1000}`), 422)
		add("release "+n, "POST", "/v1/locks/"+n+"/release", raw(`{"token":"`+held.Token+`"}`), 422)
		add("fenced write "+n, "PUT", "/v1/fenced/"+n, raw(`{"value":"v","fence":1}`), 422)
		add("fenced read "+n, "GET", "/v1/fenced/"+n, nil, 422)
		add("permit "+n, "POST", "/v1/semaphores/"+n+"/permits", raw(`{"capacity":1}`), 422)
		add("stats "+n, "GET", "/v1/semaphores/"+n, nil, 422)
		add("refresh "+n, "POST", "/v1/semaphores/"+n+"/permits/refresh", raw(`{"permit_id":"`+p.PermitID+`","ttl_ms":1000}`), 422)
		add("release permit "+n, "POST", "/v1/semaphores/"+n+"/permits/release", raw(`{"permit_id":"`+p.PermitID+`"}`), 422)
	}
	cases = append(cases,
		badCase{"sessions key acquires", "POST", "/v1/locks/x", serviceCreds(), raw(`{}`), 403},
		badCase{"sessions key takes a permit", "POST", "/v1/semaphores/pool/permits", serviceCreds(), raw(`{}`), 403},
		badCase{"anonymous acquire", "POST", "/v1/locks/x", testapp.Creds{}, raw(`{}`), 401},
	)

	// Only the two modules' keys: other modules' background work (job workers) changes theirs meanwhile.
	mine := func(all map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range all {
			if strings.Contains(k, ":lock:") || strings.Contains(k, ":sem:") {
				out[k] = v
			}
		}
		return out
	}
	before := mine(a.snapshot())
	if len(before) < 2 {
		t.Fatalf("snapshot %v: the lock and the permit taken above are not in it", before)
	}
	for _, c := range cases {
		r := a.Do(c.method, c.path, c.c, c.body)
		what := c.name
		if r.Status >= 500 || r.Status < 400 {
			t.Errorf("%s: status %d, want a 4xx; body %.300s", what, r.Status, r.Body)
			continue
		}
		var pr testapp.Problem
		testapp.CheckProblem(t, what, r, &pr)
		if r.Status != c.want {
			t.Errorf("%s: status %d, want %d; body %.300s", what, r.Status, c.want, r.Body)
		}
	}
	after := mine(a.snapshot())
	if !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Errorf("bad requests changed %s: %q -> %q", k, before[k], v)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("bad requests removed %s", k)
			}
		}
	}
}
