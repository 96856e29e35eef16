// Package ratelimittest is an in-memory ratelimitapp.Limiter for unit tests of code that limits its work:
// no Redis, quotas that run out and refill by a clock the test may move, and denials on demand. A behaviour
// suite runs against it and against the real limiter on Redis, so what a test learns from the fake holds for
// the real one.
//
//	rules, _ := ratelimit.ParseRules(`exports: route="POST /v1/exports" gcra 3/h`)
//	limits, _ := ratelimittest.New(rules, nil)
//	limits.Deny("exports", "user.ada", time.Minute)
//	exporter := NewExporter(limits) // production: the *ratelimitapp.Service
package ratelimittest

import (
	"context"
	"time"

	"github.com/statekit/statekit/app/ratelimitapp"
	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Fake is the real ratelimitapp.Service over an in-memory store, so its decisions, validation and errors
// are the service's own. The store counts each tier as a token bucket of the tier's capacity refilled at its
// rate (exactly GCRA and token_bucket; the windowed strategies refill at their window edges instead). It
// publishes no events and records no metrics. Safe for concurrent use.
type Fake struct {
	*ratelimitapp.Service
	mem *memory
}

var _ ratelimitapp.Limiter = (*Fake)(nil)

// New returns a fake enforcing rules. A nil clock means wall-clock time; a simulated one (tests/fakeclock)
// lets a test refill quotas by moving it. It fails only on rules the service refuses.
func New(rules ratelimit.Rules, clock ports.Clock) (*Fake, error) {
	mem := newMemory(clock)
	cfg := ratelimitapp.DefaultConfig()
	cfg.Rules, cfg.DeniedSample = rules, 0
	svc, err := ratelimitapp.NewService(mem, nop{}, nop{}, cfg)
	if err != nil {
		return nil, err
	}
	return &Fake{Service: svc, mem: mem}, nil
}

// Deny makes every decision of subject under policy a denial for d by the fake's clock, whatever the
// quota says, with RetryAfter counting down to its end; nothing is taken meanwhile. An empty policy or
// subject matches every one. Reset of the subject under the policy lifts it.
func (f *Fake) Deny(policy, subject string, d time.Duration) { f.mem.deny(policy, subject, d) }

// nop is the fake's event publisher and metrics: it drops everything.
type nop struct{}

func (nop) Publish(context.Context, ...ports.Event) error { return nil }
func (nop) Decided(string, ratelimit.Outcome)             {}
func (nop) StoreFailed(string)                            {}
func (nop) EventFailed(string)                            {}
