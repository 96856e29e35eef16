// Package ratelimitapp carries out the rate-limiting use cases: it picks the policy for a request, asks the
// limiter within a bounded time, applies the policy's failure mode when Redis cannot answer, records
// metrics and publishes a sample of denials as ratelimit.denied.
package ratelimitapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/statekit/statekit/domain/ratelimit"
	"github.com/statekit/statekit/ports"
)

// Service is the rate-limiting application service.
type Service struct {
	limiter ports.RateLimiter
	events  ports.EventPublisher
	metrics ports.RateLimitMetrics
	cfg     Config
	sample  func() float64 // uniform in [0, 1): decides which denials are published
}

// NewService returns a service enforcing cfg's rules with limiter, reporting to metrics and publishing
// sampled denials to events.
func NewService(limiter ports.RateLimiter, events ports.EventPublisher, metrics ports.RateLimitMetrics, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{limiter: limiter, events: events, metrics: metrics, cfg: cfg, sample: rand.Float64}, nil
}

// Decision is the outcome of one request.
type Decision struct {
	// Limited is false when no policy applies to the request: nothing was decided or is to be reported.
	Limited bool
	Policy  ratelimit.Policy
	Result  ratelimit.Result
	// Degraded means the store could not answer in time and the policy failed open: the request is
	// admitted without a known quota.
	Degraded bool
}

// Check decides one request over HTTP to route (the server's pattern) by the caller, for one unit of the
// policy that matches them. A denial is a Decision whose Result is not allowed, not an error; an error
// wrapping ports.ErrUnavailable means the store could not answer and the policy fails closed.
func (s *Service) Check(ctx context.Context, route string, c ratelimit.Caller) (Decision, error) {
	p, ok := s.cfg.Rules.Match(route, c.Kind)
	if !ok {
		return Decision{}, nil
	}
	if err := ratelimit.ValidateSubject(c.Subject()); err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, p, c.Subject(), 1, c.Kind, route)
}

// Allow decides a request of cost units by subject under the named policy: the Go API for limiting work
// other than HTTP requests. The subject is 1-160 of letters, digits and `_ . @ / -`.
func (s *Service) Allow(ctx context.Context, policy, subject string, cost int64) (Decision, error) {
	p, err := s.policy(policy)
	if err != nil {
		return Decision{}, err
	}
	if err := errors.Join(ratelimit.ValidateSubject(subject), p.ValidateCost(cost)); err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, p, subject, cost, "", "")
}

// State reports a caller's quota under the named policy without taking anything.
func (s *Service) State(ctx context.Context, policy string, c ratelimit.Caller) (ratelimit.Policy, ratelimit.Result, error) {
	p, err := s.policy(policy)
	if err != nil {
		return ratelimit.Policy{}, ratelimit.Result{}, err
	}
	r, err := s.limiter.Peek(ctx, p, c.Subject())
	return p, r, err
}

// Reset gives a caller the full quota of the named policy again.
func (s *Service) Reset(ctx context.Context, policy string, c ratelimit.Caller) error {
	p, err := s.policy(policy)
	if err != nil {
		return err
	}
	return s.limiter.Reset(ctx, p, c.Subject())
}

// Rules returns the configured rules in match order, the default last.
func (s *Service) Rules() []ratelimit.Rule { return s.cfg.Rules.All() }

func (s *Service) policy(name string) (ratelimit.Policy, error) {
	if err := ratelimit.ValidatePolicyName(name); err != nil {
		return ratelimit.Policy{}, err
	}
	p, ok := s.cfg.Rules.Lookup(name)
	if !ok {
		return ratelimit.Policy{}, fmt.Errorf("%w: %q", ratelimit.ErrUnknownPolicy, name)
	}
	return p, nil
}

// decide asks the limiter within the configured timeout and applies the policy's failure mode when the
// store is unreachable.
func (s *Service) decide(ctx context.Context, p ratelimit.Policy, subject string, cost int64, kind ratelimit.Kind, route string) (Decision, error) {
	tctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	res, err := s.limiter.Allow(tctx, p, subject, cost)
	cancel()
	d := Decision{Limited: true, Policy: p, Result: res}
	switch {
	case errors.Is(err, ports.ErrUnavailable):
		s.metrics.StoreFailed(p.Name)
		if p.Failure == ratelimit.FailClosed {
			s.metrics.Decided(p.Name, ratelimit.OutcomeFailedClosed)
			return d, fmt.Errorf("rate limit %q fails closed: %w", p.Name, err)
		}
		s.metrics.Decided(p.Name, ratelimit.OutcomeFailedOpen)
		d.Degraded, d.Result = true, ratelimit.Result{Allowed: true}
		return d, nil
	case err != nil:
		return d, err
	case res.Allowed:
		s.metrics.Decided(p.Name, ratelimit.OutcomeAllowed)
	default:
		s.metrics.Decided(p.Name, ratelimit.OutcomeDenied)
		if s.cfg.DeniedSample > 0 && s.sample() < s.cfg.DeniedSample {
			s.publishDenied(ctx, p, subject, cost, kind, route, res)
		}
	}
	return d, nil
}

// publishDenied publishes a sampled ratelimit.denied. The event is best effort: a failure is counted in
// metrics and never changes the decision.
func (s *Service) publishDenied(ctx context.Context, p ratelimit.Policy, subject string, cost int64, kind ratelimit.Kind, route string, res ratelimit.Result) {
	e := ratelimit.Denied{Policy: p.Name, Subject: subject, Kind: kind, Route: route, Cost: cost, Limit: res.Limit,
		RetryAfterMs: res.RetryAfter.Milliseconds(), SampleRate: s.cfg.DeniedSample}
	if err := s.events.Publish(ctx, e); err != nil {
		s.metrics.EventFailed(p.Name)
	}
}
