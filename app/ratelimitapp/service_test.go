package ratelimitapp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

const rulesText = `login: route="POST /v1/users/{userID}/sessions" fixed_window 5/m + fixed_window 50/h fail=closed
anonymous: kind=ip gcra 10/s burst 20
default: gcra 100/s burst 200`

var rules = func() ratelimit.Rules {
	r, err := ratelimit.ParseRules(rulesText)
	if err != nil {
		panic(err)
	}
	return r
}()

func lookup(name string) ratelimit.Policy {
	p, ok := rules.Lookup(name)
	if !ok {
		panic(name)
	}
	return p
}

type fixture struct {
	ctx     context.Context
	limiter *mocks.MockRateLimiter
	pub     *mocks.MockEventPublisher
	metrics *mocks.MockRateLimitMetrics
	svc     *ratelimitapp.Service
}

// newFixture returns a service on mocks with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T, sample float64) fixture {
	ctrl := gomock.NewController(t)
	f := fixture{ctx: context.Background(), limiter: mocks.NewMockRateLimiter(ctrl),
		pub: mocks.NewMockEventPublisher(ctrl), metrics: mocks.NewMockRateLimitMetrics(ctrl)}
	svc, err := ratelimitapp.NewService(f.limiter, f.pub, f.metrics,
		ratelimitapp.Config{Rules: rules, Timeout: 50 * time.Millisecond, DeniedSample: sample})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func caller(t *testing.T, kind ratelimit.Kind, id string) ratelimit.Caller {
	t.Helper()
	c, err := ratelimit.NewCaller(kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func allowed(p ratelimit.Policy) ratelimit.Result {
	return ratelimit.Result{Allowed: true, Limit: p.Capacity(), Remaining: 3}
}

func denied(p ratelimit.Policy) ratelimit.Result {
	return ratelimit.Result{Allowed: false, Limit: p.Capacity(), RetryAfter: 1500 * time.Millisecond}
}

func TestCheckPicksThePolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		route  string
		caller ratelimit.Caller
		policy string
	}{
		{"POST /v1/users/{userID}/sessions", caller(t, ratelimit.KindKey, "shop"), "login"},
		{"POST /v1/users/{userID}/sessions", caller(t, ratelimit.KindIP, "192.0.2.1"), "login"},
		{"GET /v1/session", caller(t, ratelimit.KindIP, "192.0.2.1"), "anonymous"},
		{"GET /v1/session", caller(t, ratelimit.KindUser, "alice"), "default"},
	} {
		f := newFixture(t, 0)
		p := lookup(c.policy)
		f.limiter.EXPECT().Allow(gomock.Any(), p, c.caller.Subject(), int64(1)).Return(allowed(p), nil)
		f.metrics.EXPECT().Decided(c.policy, ratelimit.OutcomeAllowed)
		d, err := f.svc.Check(f.ctx, c.route, c.caller)
		if err != nil || !d.Limited || d.Degraded || d.Policy.Name != c.policy || !d.Result.Allowed {
			t.Errorf("Check(%s, %s) = %+v, %v; want allowed under %s", c.route, c.caller.Subject(), d, err, c.policy)
		}
	}
}

func TestCheckWithoutPolicy(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	onlyIP, err := ratelimit.ParseRules("anonymous: kind=ip gcra 1/s")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ratelimitapp.NewService(mocks.NewMockRateLimiter(ctrl), mocks.NewMockEventPublisher(ctrl),
		mocks.NewMockRateLimitMetrics(ctrl), ratelimitapp.Config{Rules: onlyIP, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.Check(context.Background(), "GET /v1/session", caller(t, ratelimit.KindUser, "alice"))
	if err != nil || d.Limited {
		t.Errorf("Check with no matching policy = %+v, %v; want not limited and no store call", d, err)
	}
}

func TestDeniedEventsAreSampled(t *testing.T) {
	t.Parallel()
	p := lookup("anonymous")
	c := caller(t, ratelimit.KindIP, "2001:db8::7")
	want := ratelimit.Denied{Policy: "anonymous", Subject: "ip.2001-db8--/64", Kind: ratelimit.KindIP,
		Route: "GET /v1/session", Cost: 1, Limit: 20, RetryAfterMs: 1500, SampleRate: 0.25}

	f := newFixture(t, 0.25)
	draws := []float64{0.1, 0.3, 0.2499, 0.25, 0.9, 0}
	f.svc.SetSampler(func() float64 { v := draws[0]; draws = draws[1:]; return v })
	f.limiter.EXPECT().Allow(gomock.Any(), p, c.Subject(), int64(1)).Return(denied(p), nil).Times(6)
	f.metrics.EXPECT().Decided("anonymous", ratelimit.OutcomeDenied).Times(6)
	f.pub.EXPECT().Publish(gomock.Any(), gomock.Eq([]ports.Event{want})).Return(nil).Times(3) // 0.1, 0.2499, 0
	for range 6 {
		d, err := f.svc.Check(f.ctx, "GET /v1/session", c)
		if err != nil || d.Result.Allowed || !d.Limited {
			t.Fatalf("Check = %+v, %v; want a denial without error", d, err)
		}
	}

	// A failed publish is counted and never turns the denial into an error.
	f = newFixture(t, 1)
	f.limiter.EXPECT().Allow(gomock.Any(), p, c.Subject(), int64(1)).Return(denied(p), nil)
	f.metrics.EXPECT().Decided("anonymous", ratelimit.OutcomeDenied)
	want.SampleRate = 1
	f.pub.EXPECT().Publish(gomock.Any(), gomock.Eq([]ports.Event{want})).Return(errors.New("bus down"))
	f.metrics.EXPECT().EventFailed("anonymous")
	if d, err := f.svc.Check(f.ctx, "GET /v1/session", c); err != nil || d.Result.Allowed {
		t.Errorf("Check with the bus down = %+v, %v; want a denial without error", d, err)
	}

	// Sample 0 publishes nothing (the fixture's publisher expects no call).
	f = newFixture(t, 0)
	f.limiter.EXPECT().Allow(gomock.Any(), p, c.Subject(), int64(1)).Return(denied(p), nil)
	f.metrics.EXPECT().Decided("anonymous", ratelimit.OutcomeDenied)
	if _, err := f.svc.Check(f.ctx, "GET /v1/session", c); err != nil {
		t.Fatal(err)
	}
}

// unreachable is what the Redis adapter returns when the store cannot be reached in time.
func unreachable(ctx context.Context) error {
	<-ctx.Done() // a hung store answers only when the caller gives up
	return fmt.Errorf("rate limit: %w: %w", ports.ErrUnavailable, ctx.Err())
}

func TestFailureModes(t *testing.T) {
	t.Parallel()
	bounded := func(ctx context.Context, p ratelimit.Policy, subject string, cost int64) (ratelimit.Result, error) {
		dl, ok := ctx.Deadline()
		if !ok || time.Until(dl) > 50*time.Millisecond {
			t.Errorf("the store was asked without the configured 50ms bound (deadline set %t, %s away)", ok, time.Until(dl))
		}
		return ratelimit.Result{}, unreachable(ctx)
	}

	// Fail open: admitted, marked degraded, counted.
	f := newFixture(t, 1)
	p := lookup("default")
	f.limiter.EXPECT().Allow(gomock.Any(), p, "key.shop", int64(1)).DoAndReturn(bounded)
	f.metrics.EXPECT().StoreFailed("default")
	f.metrics.EXPECT().Decided("default", ratelimit.OutcomeFailedOpen)
	d, err := f.svc.Check(f.ctx, "GET /v1/session", caller(t, ratelimit.KindKey, "shop"))
	if err != nil || !d.Degraded || !d.Result.Allowed || !d.Limited {
		t.Errorf("fail open: %+v, %v; want admitted and degraded", d, err)
	}

	// Fail closed: refused as unavailable, counted, no event.
	f = newFixture(t, 1)
	p = lookup("login")
	f.limiter.EXPECT().Allow(gomock.Any(), p, "key.shop", int64(1)).DoAndReturn(bounded)
	f.metrics.EXPECT().StoreFailed("login")
	f.metrics.EXPECT().Decided("login", ratelimit.OutcomeFailedClosed)
	_, err = f.svc.Check(f.ctx, "POST /v1/users/{userID}/sessions", caller(t, ratelimit.KindKey, "shop"))
	if !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("fail closed: %v, want ErrUnavailable", err)
	}

	// Any other failure (a bug, a script error) is an error whatever the mode, and no decision is counted.
	f = newFixture(t, 1)
	boom := errors.New("ERR script error")
	f.limiter.EXPECT().Allow(gomock.Any(), p, "key.shop", int64(1)).Return(ratelimit.Result{}, boom)
	if _, err := f.svc.Check(f.ctx, "POST /v1/users/{userID}/sessions", caller(t, ratelimit.KindKey, "shop")); !errors.Is(err, boom) {
		t.Errorf("script error: %v, want it returned", err)
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	p := lookup("login")
	f.limiter.EXPECT().Allow(gomock.Any(), p, "batch.import-7", int64(5)).Return(allowed(p), nil)
	f.metrics.EXPECT().Decided("login", ratelimit.OutcomeAllowed)
	if d, err := f.svc.Allow(f.ctx, "login", "batch.import-7", 5); err != nil || !d.Result.Allowed {
		t.Errorf("Allow = %+v, %v", d, err)
	}
	for _, c := range []struct {
		policy, subject string
		cost            int64
		want            error
	}{
		{"nope", "s", 1, ratelimit.ErrUnknownPolicy},
		{"Login", "s", 1, ratelimit.ErrInvalid},
		{"login", "a:b", 1, ratelimit.ErrInvalid},
		{"login", "{s}", 1, ratelimit.ErrInvalid},
		{"login", "s", 0, ratelimit.ErrInvalid},
		{"login", "s", 6, ratelimit.ErrInvalid}, // the 5/m tier can never admit 6
	} {
		if _, err := f.svc.Allow(f.ctx, c.policy, c.subject, c.cost); !errors.Is(err, c.want) {
			t.Errorf("Allow(%q, %q, %d) = %v, want %v", c.policy, c.subject, c.cost, err, c.want)
		}
	}
}

func TestStateAndReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	p := lookup("default")
	c := caller(t, ratelimit.KindUser, "alice")
	f.limiter.EXPECT().Peek(gomock.Any(), p, "user.alice").Return(allowed(p), nil)
	f.limiter.EXPECT().Reset(gomock.Any(), p, "user.alice").Return(nil)
	if got, r, err := f.svc.State(f.ctx, "default", c); err != nil || got.Name != "default" || r.Remaining != 3 {
		t.Errorf("State = %v %+v, %v", got.Name, r, err)
	}
	if err := f.svc.Reset(f.ctx, "default", c); err != nil {
		t.Errorf("Reset = %v", err)
	}
	if _, _, err := f.svc.State(f.ctx, "missing", c); !errors.Is(err, ratelimit.ErrUnknownPolicy) {
		t.Errorf("State of an unknown policy = %v", err)
	}
	if err := f.svc.Reset(f.ctx, "missing", c); !errors.Is(err, ratelimit.ErrUnknownPolicy) {
		t.Errorf("Reset of an unknown policy = %v", err)
	}
	if got := f.svc.Rules(); len(got) != 3 || got[2].Policy.Name != "default" {
		t.Errorf("Rules = %v", got)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	def := ratelimitapp.DefaultConfig()
	if err := def.Validate(); err != nil || def.Rules.Empty() {
		t.Fatalf("DefaultConfig = %+v, %v", def, err)
	}
	if p, ok := def.Rules.Match("GET /v1/session", ratelimit.KindIP); !ok || p.Name != "ip" {
		t.Errorf("default rules for an IP caller: %v %t", p.Name, ok)
	}
	for _, c := range []ratelimitapp.Config{
		{Timeout: 0}, {Timeout: time.Minute}, {Timeout: time.Second, DeniedSample: 1.5}, {Timeout: time.Second, DeniedSample: -0.1},
	} {
		if _, err := ratelimitapp.NewService(nil, nil, nil, c); !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("NewService(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}
