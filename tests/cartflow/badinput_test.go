package cartflow

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/tests/testapp"
)

// TestBadInput sends the cart and inventory endpoints malformed JSON, wrong types, unknown fields, oversize
// bodies, negative and absurd numbers, unknown SKUs and ids with the characters Redis keys care about,
// without credentials or with the wrong ones. Each must answer a 4xx problem document, never a 5xx, and
// none may change anything in Redis.
func TestBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.setStock("mug", 5, 1299)
	g := a.newGuest()
	guest := guestOf(g.Token)
	a.Do("POST", "/v1/guest-cart/items", guest, map[string]any{"sku": "mug", "quantity": 1}).Expect(t, "add", http.StatusOK, nil)
	alice := user(a.signIn("alice", map[string]any{}, ""))
	a.Do("POST", "/v1/cart/items", alice, map[string]any{"sku": "mug", "quantity": 1}).Expect(t, "add", http.StatusOK, nil)
	otherGuest := a.newGuest() // exists, empty: its token must not reach g's cart
	unknownToken := "g." + strings.Repeat("A", 43)

	type bad struct {
		name, method, path string
		c                  testapp.Creds
		body               any
		want               int
		slug               string
	}
	var cases []bad
	add := func(name, method, path string, c testapp.Creds, body any, want int, slug string) {
		cases = append(cases, bad{name, method, path, c, body, want, slug})
	}
	raw := func(s string) []byte { return []byte(s) }
	oversize := `{"sku":"` + strings.Repeat("a", 1<<20+64<<10) + `","quantity":1}`

	// Every body-reading endpoint, for the user and the guest.
	for _, who := range []struct {
		prefix string
		c      testapp.Creds
	}{{"/v1/cart", alice}, {"/v1/guest-cart", guest}} {
		for _, ep := range []struct{ method, path string }{
			{"POST", who.prefix + "/items"}, {"PUT", who.prefix + "/items/mug"},
		} {
			for _, b := range []struct {
				name, body string
				want       int
			}{
				{"malformed JSON", `{"sku":`, 400}, {"not JSON", `hello`, 400}, {"empty body", ``, 400},
				{"null", `null`, 400}, {"array", `[]`, 400}, {"trailing data", `{}{}`, 400},
				{"unknown field", `{"quantity":1,"price_cents":1}`, 400},
				{"quantity as a string", `{"sku":"mug","quantity":"2"}`, 400},
				{"fractional quantity", `{"sku":"mug","quantity":1.5}`, 400},
				{"quantity beyond int64", `{"sku":"mug","quantity":1e30}`, 400},
				{"oversize body", oversize, http.StatusRequestEntityTooLarge},
			} {
				add(fmt.Sprintf("%s %s: %s", ep.method, ep.path, b.name), ep.method, ep.path, who.c, raw(b.body), b.want, "")
			}
		}
		items := who.prefix + "/items"
		for _, q := range []int64{0, -1, -9999999, 10000, 1 << 40} {
			add(fmt.Sprintf("%s: add quantity %d", items, q), "POST", items, who.c, map[string]any{"sku": "mug", "quantity": q}, 422, "invalid-cart-input")
		}
		for _, q := range []int64{-1, 10000, 1 << 50} {
			add(fmt.Sprintf("%s: set quantity %d", items, q), "PUT", items+"/mug", who.c, map[string]any{"quantity": q}, 422, "invalid-cart-input")
		}
		add(items+": set without quantity", "PUT", items+"/mug", who.c, map[string]any{}, 422, "invalid-cart-input")
		for _, sku := range []string{"", "a:b", "{mug}", "mug}", "m*g", "a b", strings.Repeat("s", 65), "ü"} {
			add(fmt.Sprintf("%s: add sku %q", items, sku), "POST", items, who.c, map[string]any{"sku": sku, "quantity": 1}, 422, "invalid-cart-input")
		}
		for _, sku := range []string{"a:b", "%7Bmug%7D", "m*g", "a%20b", strings.Repeat("s", 65)} {
			add(items+": set path sku "+sku, "PUT", items+"/"+sku, who.c, map[string]any{"quantity": 1}, 422, "invalid-cart-input")
			add(items+": remove path sku "+sku, "DELETE", items+"/"+sku, who.c, nil, 422, "invalid-cart-input")
		}
		add(items+": unknown sku", "POST", items, who.c, map[string]any{"sku": "ghost", "quantity": 1}, 404, "sku-not-found")
		add(items+": set unknown sku", "PUT", items+"/ghost", who.c, map[string]any{"quantity": 1}, 404, "sku-not-found")
		add(items+": more than in stock", "POST", items, who.c, map[string]any{"sku": "mug", "quantity": 4}, 409, "insufficient-stock")
		add(items+": set more than in stock", "PUT", items+"/mug", who.c, map[string]any{"quantity": 5}, 409, "insufficient-stock")
		add(items+": remove a missing line", "DELETE", items+"/tea", who.c, nil, 404, "cart-line-not-found")
	}

	// Guest credentials.
	for _, ep := range []struct{ method, path string }{
		{"GET", "/v1/guest-cart"}, {"DELETE", "/v1/guest-cart"}, {"POST", "/v1/guest-cart/items"},
		{"PUT", "/v1/guest-cart/items/mug"}, {"DELETE", "/v1/guest-cart/items/mug"},
		{"POST", "/v1/guest-cart/reservations/extend"}, {"POST", "/v1/guest-cart/checkout"},
	} {
		body := map[string]any{"sku": "mug", "quantity": 1}
		if ep.method == "PUT" {
			body = map[string]any{"quantity": 1}
		}
		add(ep.path+" without a token", ep.method, ep.path, testapp.Creds{}, body, 401, "unauthenticated")
		for _, tok := range []string{"nope", g.Cart.CartID, "g." + strings.Repeat("*", 43), "g.{" + g.Token[3:], g.Token + "x"} {
			add(ep.path+" with token "+tok, ep.method, ep.path, guestOf(tok), body, 401, "invalid-cart-token")
		}
		add(ep.path+" with an unknown token", ep.method, ep.path, guestOf(unknownToken), body, 404, "cart-not-found")
		add(ep.path+" with a session token", ep.method, ep.path, alice, body, 401, "unauthenticated")
	}
	add("another guest removes a line it lacks", "DELETE", "/v1/guest-cart/items/mug", guestOf(otherGuest.Token), nil, 404, "cart-line-not-found")
	add("another guest checks out an empty cart", "POST", "/v1/guest-cart/checkout", guestOf(otherGuest.Token), nil, 409, "cart-empty")

	// User cart credentials and merge.
	for _, ep := range []struct{ method, path string }{{"GET", "/v1/cart"}, {"POST", "/v1/cart/checkout"}, {"DELETE", "/v1/cart"}} {
		add(ep.path+" anonymous", ep.method, ep.path, testapp.Creds{}, nil, 401, "unauthenticated")
		add(ep.path+" with a service key", ep.method, ep.path, admin(), nil, 403, "forbidden")
		add(ep.path+" with a guest token", ep.method, ep.path, guest, nil, 401, "unauthenticated")
	}
	for _, tok := range []string{"", "nope", g.Cart.CartID, "g.{" + g.Token[3:]} {
		add("merge with guest_token "+tok, "POST", "/v1/cart/merge", alice, map[string]any{"guest_token": tok}, 422, "invalid-cart-input")
	}
	add("merge an unknown guest cart", "POST", "/v1/cart/merge", alice, map[string]any{"guest_token": unknownToken}, 404, "cart-not-found")
	add("merge with an unknown field", "POST", "/v1/cart/merge", alice, raw(`{"guest_token":"x","policy":"max"}`), 400, "malformed-request")

	// Inventory administration.
	inv := "/v1/inventory/"
	for _, body := range []struct {
		name string
		body any
		want int
	}{
		{"negative stock", map[string]any{"on_hand": -1, "price_cents": 1}, 422},
		{"absurd stock", map[string]any{"on_hand": int64(1) << 40, "price_cents": 1}, 422},
		{"negative price", map[string]any{"on_hand": 1, "price_cents": -1}, 422},
		{"absurd price", map[string]any{"on_hand": 1, "price_cents": int64(1) << 40}, 422},
		{"missing price", map[string]any{"on_hand": 1}, 422},
		{"below reserved", map[string]any{"on_hand": 1, "price_cents": 1}, 409},
		{"price as a string", raw(`{"on_hand":1,"price_cents":"1"}`), 400},
		{"unknown field", raw(`{"on_hand":1,"price_cents":1,"sold":3}`), 400},
	} {
		add("set stock: "+body.name, "PUT", inv+"mug", admin(), body.body, body.want, "")
	}
	for _, sku := range []string{"a:b", "%7Bx%7D", "x*", strings.Repeat("s", 65)} {
		add("get stock "+sku, "GET", inv+sku, admin(), nil, 422, "invalid-cart-input")
		add("set stock "+sku, "PUT", inv+sku, admin(), map[string]any{"on_hand": 1, "price_cents": 1}, 422, "invalid-cart-input")
		add("adjust stock "+sku, "POST", inv+sku+"/adjust", admin(), map[string]any{"delta": 1}, 422, "invalid-cart-input")
	}
	add("get an unknown sku", "GET", inv+"ghost", admin(), nil, 404, "sku-not-found")
	add("adjust an unknown sku", "POST", inv+"ghost/adjust", admin(), map[string]any{"delta": 1}, 404, "sku-not-found")
	add("adjust by 0", "POST", inv+"mug/adjust", admin(), map[string]any{"delta": 0}, 422, "invalid-cart-input")
	add("adjust absurdly", "POST", inv+"mug/adjust", admin(), map[string]any{"delta": int64(-1) << 40}, 422, "invalid-cart-input")
	add("adjust below reserved", "POST", inv+"mug/adjust", admin(), map[string]any{"delta": -4}, 409, "stock-conflict")
	add("set stock with a sessions key", "PUT", inv+"mug", service(), map[string]any{"on_hand": 9, "price_cents": 1}, 403, "forbidden")
	add("set stock as a user", "PUT", inv+"mug", alice, map[string]any{"on_hand": 9, "price_cents": 1}, 403, "forbidden")
	add("set stock as a guest", "PUT", inv+"mug", guest, map[string]any{"on_hand": 9, "price_cents": 1}, 401, "unauthenticated")

	before := a.snapshot()
	for _, c := range cases {
		r := a.Do(c.method, c.path, c.c, c.body)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: status %d, want 4xx; body %.200s", c.name, r.Status, r.Body)
			continue
		}
		if c.want != 0 && r.Status != c.want {
			t.Errorf("%s: status %d, want %d; body %.300s", c.name, r.Status, c.want, r.Body)
			continue
		}
		expectProblem(t, r, c.name, r.Status, c.slug)
	}
	after := a.snapshot()
	if !maps.Equal(before, after) {
		for _, k := range slices.Sorted(maps.Keys(after)) {
			if before[k] != after[k] {
				t.Errorf("%s changed:\n  before %s\n  after  %s", k, before[k], after[k])
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("%s disappeared", k)
			}
		}
	}
	t.Logf("%d bad requests refused, nothing changed", len(cases))
}

// expectProblem fails the test unless r is a problem+json document with the status and a title (and, when
// slug is not empty, the type ending in it). Unlike testapp's Response.ExpectProblem it does not want a
// type when slug is empty.
func expectProblem(t *testing.T, r testapp.Response, what string, status int, slug string) {
	t.Helper()
	var p testapp.Problem
	r.Expect(t, what, status, &p)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
	if p.Status != status || p.Title == "" {
		t.Errorf("%s: problem %+v", what, p)
	}
	if slug != "" && p.Type != httpapi.ProblemTypeBase+slug {
		t.Errorf("%s: problem type = %q, want %q (detail %q)", what, p.Type, httpapi.ProblemTypeBase+slug, p.Detail)
	}
}
