package semaphoreapp

import (
	"context"
	"time"

	"github.com/statekit/statekit/app/internal/keeper"
	"github.com/statekit/statekit/domain/semaphore"
)

// Permit is held permits of a pool as their Go holder sees them. Unless taken WithoutRefresh they refresh
// themselves at a third of their lease until released, lost, or the acquiring context ends (which also
// releases them). Its methods are safe for concurrent use.
type Permit struct {
	permit semaphore.Permit
	kept   *keeper.Lease
}

func (s *Service) keep(parent context.Context, p semaphore.Permit, sent time.Time, refresh bool) *Permit {
	return &Permit{permit: p, kept: keeper.Start(parent, sent, keeper.Config{
		TTL: p.TTL, DriftFactor: s.cfg.DriftFactor, Renew: refresh,
		Extend: func(ctx context.Context, ttl time.Duration) error {
			return s.store.Refresh(ctx, p.Pool, p.ID, ttl)
		},
		Release: func(ctx context.Context) error { return s.store.Release(ctx, p.Pool, p.ID) },
		Gone:    errs.Gone,
		Lost:    errs.LostFor(p.Pool),
		Retry:   s.cfg.Backoff.Next,
	})}
}

// Pool is the pool the permits belong to.
func (p *Permit) Pool() string { return p.permit.Pool }

// ID is the permit id; whoever has it may refresh and release the permits.
func (p *Permit) ID() string { return p.permit.ID }

// Weight is how many permits are held.
func (p *Permit) Weight() int { return p.permit.Weight }

// Context is the holder's context: cancelled as soon as the permit is lost (context.Cause is then a
// semaphore.ErrLost), released, or the acquiring context ends.
func (p *Permit) Context() context.Context { return p.kept.Context() }

// Err is nil while held, then why not: a semaphore.ErrLost, ErrReleased, or the acquiring context's cause.
func (p *Permit) Err() error { return p.kept.Err() }

// ValidUntil is when the lease runs out on this side unless refreshed.
func (p *Permit) ValidUntil() time.Time { return p.kept.ValidUntil() }

// Refresh extends the lease now to ttl (later refreshes use ttl too).
func (p *Permit) Refresh(ctx context.Context, ttl time.Duration) error {
	if err := semaphore.ValidateTTL(ttl); err != nil {
		return err
	}
	return p.kept.Extend(ctx, ttl)
}

// Release gives the permits back; semaphore.ErrLost when they had been lost before. Releasing twice is a no-op.
func (p *Permit) Release(ctx context.Context) error { return p.kept.Release(ctx) }
