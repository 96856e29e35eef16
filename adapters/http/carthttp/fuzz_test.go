package carthttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/adapters/http/carthttp"
	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/httpkit"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// fixture is the real cart handlers, service and Redis adapters on a real redis-server behind the real
// server chain, with one SKU in stock and one guest cart.
type fixture struct {
	handler http.Handler
	svc     *cartapp.Service
	token   string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	rds := httpkit.NewRedis(tb)
	p := cart.DefaultPolicy()
	svc := cartapp.NewService(cartredis.New(rds.Client, rds.Prefix, p, nil), cartredis.NewInventory(rds.Client, rds.Prefix, p, nil),
		httpkit.Discard{}, p)
	handler := httpkit.Handler(tb, httpkit.Config(tb, ""), nil, carthttp.New(svc).Routes(), carthttp.Problems)
	ctx := context.Background()
	if _, err := svc.SetStock(ctx, "mug", 20, 1299); err != nil {
		tb.Fatal(err)
	}
	tok, _, err := svc.NewGuestCart(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{handler: handler, svc: svc, token: tok.String()}
}

// FuzzGuestCartRequests sends arbitrary bodies and SKUs to the guest item endpoints: the answer is never a
// 5xx, an error is always a problem document, and whatever happened the stock stays consistent (never
// below zero, reserved units equal to what the cart holds).
func FuzzGuestCartRequests(f *testing.F) {
	for _, seed := range []struct{ method, sku, body string }{
		{"POST", "", `{"sku":"mug","quantity":2}`},
		{"POST", "", `{"sku":"mug","quantity":-1}`},
		{"POST", "", `{"sku":"m:g","quantity":1}`},
		{"POST", "", `{"sku":"mug","quantity":1e30}`},
		{"PUT", "mug", `{"quantity":3}`},
		{"PUT", "{mug}", `{"quantity":3}`},
		{"PUT", "mug", `{"quantity":0}`},
		{"DELETE", "mug", ``},
		{"POST", "", `null`},
	} {
		f.Add(seed.method, seed.sku, seed.body)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, method, sku, body string) {
		path := "/v1/guest-cart/items"
		switch method {
		case "PUT", "DELETE":
			path += "/" + url.PathEscape(sku)
		default:
			method = "POST"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set(carthttp.TokenHeader, fx.token)
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var p httpapi.Problem
			if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != rec.Code {
				t.Fatalf("%s %s %q: %d without a problem document: %s", method, path, body, rec.Code, rec.Body)
			}
		}
		ctx := context.Background()
		s, err := fx.svc.Stock(ctx, "mug")
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := cart.ParseGuestToken(fx.token)
		v, err := fx.svc.Get(ctx, tok.Ref())
		if err != nil {
			t.Fatal(err)
		}
		var held int64
		for _, r := range v.Reservations {
			held += r.Quantity
		}
		if s.Available() < 0 || s.Reserved != held || v.Units() > s.OnHand {
			t.Fatalf("after %s %s %q: stock %+v, cart holds %d units, reserves %d", method, path, body, s, v.Units(), held)
		}
	})
}
