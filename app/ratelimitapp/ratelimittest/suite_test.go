package ratelimittest_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/ratelimitredis"
	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/app/ratelimitapp/ratelimittest"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// The policies the suite runs under: periods long enough that nothing refills while a test runs.
const rulesText = `exports: route="POST /v1/exports" gcra 3/h
burst: route="POST /v1/burst" token_bucket 10/h burst 4 + gcra 100/h`

// each runs the behaviour test against the fake and against the real limiter on Redis (standalone and
// cluster), so the fake cannot drift from what it stands in for.
func each(t *testing.T, test func(t *testing.T, l ratelimitapp.Limiter)) {
	rules, err := ratelimit.ParseRules(rulesText)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		f, err := ratelimittest.New(rules, nil)
		if err != nil {
			t.Fatal(err)
		}
		test(t, f)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		harness.Each(t, func(t *testing.T, tg harness.Target) {
			var metrics *ratelimitredis.Metrics
			store, err := ratelimitredis.New(tg.Client, tg.Prefix, ratelimitredis.DefaultConfig(), nil, metrics)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(store.Close)
			cfg := ratelimitapp.DefaultConfig()
			cfg.Rules, cfg.Timeout = rules, 5*time.Second // a loaded machine must not make this test fail open
			svc, err := ratelimitapp.NewService(store, eventlog.Discard{}, metrics, cfg)
			if err != nil {
				t.Fatal(err)
			}
			test(t, svc)
		})
	})
}

func TestQuotaRunsOutPerSubject(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, l ratelimitapp.Limiter) {
		ctx := context.Background()
		for want := int64(2); want >= 0; want-- {
			d, err := l.Allow(ctx, "exports", "user.ada", 1)
			if err != nil || !d.Limited || !d.Result.Allowed || d.Result.Remaining != want || d.Result.Limit != 3 {
				t.Fatalf("Allow = %+v, %v; want allowed with %d of 3 left", d.Result, err, want)
			}
		}
		d, err := l.Allow(ctx, "exports", "user.ada", 1)
		if err != nil || d.Result.Allowed || d.Result.Remaining != 0 || d.Result.RetryAfter <= 0 {
			t.Errorf("Allow past the quota = %+v, %v; want denied with a RetryAfter", d.Result, err)
		}
		if d, err := l.Allow(ctx, "exports", "user.bob", 3); err != nil || !d.Result.Allowed || d.Result.Remaining != 0 {
			t.Errorf("another subject = %+v, %v; want its own full quota", d.Result, err)
		}
	})
}

// TestEveryTierMustAdmit: a request takes from every tier or from none; the smallest tier binds.
func TestEveryTierMustAdmit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, l ratelimitapp.Limiter) {
		ctx := context.Background()
		if d, err := l.Allow(ctx, "burst", "job.7", 3); err != nil || !d.Result.Allowed || d.Result.Remaining != 1 {
			t.Fatalf("Allow(3) = %+v, %v; want allowed with 1 left", d.Result, err)
		}
		d, err := l.Allow(ctx, "burst", "job.7", 2)
		if err != nil || d.Result.Allowed || len(d.Result.Tiers) != 2 {
			t.Fatalf("Allow(2) = %+v, %v; want denied over two tiers", d.Result, err)
		}
		if !d.Result.Tiers[1].Allowed || d.Result.Tiers[0].Allowed {
			t.Errorf("tiers = %+v; want the small bucket to deny and the large one to have room", d.Result.Tiers)
		}
		if d, err := l.Allow(ctx, "burst", "job.7", 1); err != nil || !d.Result.Allowed {
			t.Errorf("Allow(1) after a denial = %+v, %v; the denial must have taken nothing", d.Result, err)
		}
	})
}

func TestBadInputIsRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, l ratelimitapp.Limiter) {
		ctx := context.Background()
		for _, c := range []struct {
			policy, subject string
			cost            int64
			want            error
		}{
			{"nope", "s", 1, ratelimit.ErrUnknownPolicy},
			{"Exports", "s", 1, ratelimit.ErrInvalid},
			{"exports", "a:b", 1, ratelimit.ErrInvalid},
			{"exports", "s", 0, ratelimit.ErrInvalid},
			{"exports", "s", 4, ratelimit.ErrInvalid}, // more than the policy can ever admit
		} {
			if _, err := l.Allow(ctx, c.policy, c.subject, c.cost); !errors.Is(err, c.want) {
				t.Errorf("Allow(%q, %q, %d) = %v, want %v", c.policy, c.subject, c.cost, err, c.want)
			}
		}
	})
}

// TestConcurrentCallersNeverOverspend: many goroutines ask at once; exactly the quota is admitted.
func TestConcurrentCallersNeverOverspend(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, l ratelimitapp.Limiter) {
		ctx := context.Background()
		var admitted atomic.Int32
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				d, err := l.Allow(ctx, "exports", "user.hot", 1)
				if err != nil {
					t.Error(err)
				} else if d.Result.Allowed {
					admitted.Add(1)
				}
			})
		}
		wg.Wait()
		if admitted.Load() != 3 {
			t.Errorf("%d of 32 concurrent requests admitted, want the quota of 3", admitted.Load())
		}
	})
}

// TestFakeDeniesOnDemandAndRefills is about the fake alone: Deny and the clock are how a unit test
// drives code through denials.
func TestFakeDeniesOnDemandAndRefills(t *testing.T) {
	t.Parallel()
	rules, err := ratelimit.ParseRules(rulesText)
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(time.Unix(1_700_000_000, 0))
	f, err := ratelimittest.New(rules, clock)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f.Deny("exports", "user.ada", time.Minute)
	d, err := f.Allow(ctx, "exports", "user.ada", 1)
	if err != nil || d.Result.Allowed || d.Result.RetryAfter != time.Minute {
		t.Errorf("Allow while denied = %+v, %v; want denied for a minute", d.Result, err)
	}
	if d, _ := f.Allow(ctx, "exports", "user.bob", 1); !d.Result.Allowed {
		t.Errorf("another subject was denied: %+v", d.Result)
	}
	clock.Advance(time.Minute)
	for range 3 {
		if d, err := f.Allow(ctx, "exports", "user.ada", 1); err != nil || !d.Result.Allowed {
			t.Fatalf("Allow after the denial ended = %+v, %v; want the full quota", d.Result, err)
		}
	}
	if d, _ := f.Allow(ctx, "exports", "user.ada", 1); d.Result.Allowed || d.Result.RetryAfter != 20*time.Minute {
		t.Errorf("Allow past the quota = %+v; want denied for one interval (20m)", d.Result)
	}
	clock.Advance(20 * time.Minute)
	if d, _ := f.Allow(ctx, "exports", "user.ada", 1); !d.Result.Allowed || d.Result.Remaining != 0 {
		t.Errorf("Allow one interval later = %+v; want one unit refilled", d.Result)
	}
}
