package lockapp

import (
	"context"
	"slices"
	"time"

	"github.com/statekit/statekit/app/internal/keeper"
	"github.com/statekit/statekit/domain/lock"
)

// Lock is a held lock (one name or several) as its Go holder sees it. Unless taken WithoutRenewal it renews
// itself at a third of its lease until released, lost, or the context it was acquired with ends (which also
// releases it). Its methods are safe for concurrent use.
type Lock struct {
	svc   *Service
	lease lock.Lease
	kept  *keeper.Lease
}

func (s *Service) keep(parent context.Context, lease lock.Lease, sent time.Time, renew bool) *Lock {
	l := &Lock{svc: s, lease: lease}
	l.kept = keeper.Start(parent, sent, keeper.Config{
		TTL: lease.TTL, DriftFactor: s.cfg.DriftFactor, Renew: renew,
		Extend: func(ctx context.Context, ttl time.Duration) error {
			return s.locker.Extend(ctx, lease.Names, lease.Token, ttl)
		},
		Release: func(ctx context.Context) error { return s.locker.Release(ctx, lease.Names, lease.Token) },
		Gone:    errs.Gone,
		Lost:    errs.LostFor(lease.Names),
		Retry:   s.cfg.Backoff.Next,
	})
	return l
}

// Name is the lock's (first) name.
func (l *Lock) Name() string { return l.lease.Names[0] }

// Names are every name the lock holds, in the order they were asked for.
func (l *Lock) Names() []string { return slices.Clone(l.lease.Names) }

// Token is the owner token; whoever has it may extend and release the lock.
func (l *Lock) Token() string { return l.lease.Token }

// Mode says whether the lock is held exclusively or shared.
func (l *Lock) Mode() lock.Mode { return l.lease.Mode }

// Fence is the fencing token of the (first) name: send it with every write to a protected resource.
func (l *Lock) Fence() int64 { return l.lease.Fence() }

// FenceOf is the fencing token of one name of a multi-lock (0 for a name it does not hold).
func (l *Lock) FenceOf(name string) int64 { return l.lease.FenceOf(name) }

// Lease is the lock as plain data.
func (l *Lock) Lease() lock.Lease {
	out := l.lease
	out.Names, out.Fences, out.TTL = slices.Clone(out.Names), slices.Clone(out.Fences), l.kept.TTL()
	return out
}

// Context is the holder's context: derived from the acquiring context and cancelled as soon as the lock is
// lost (context.Cause is then a lock.ErrLost), released, or the acquiring context ends. Do protected work
// under it so that it stops when the protection does.
func (l *Lock) Context() context.Context { return l.kept.Context() }

// Err is nil while the lock is held, then why it is not: a lock.ErrLost, ErrReleased, or the
// acquiring context's cause.
func (l *Lock) Err() error { return l.kept.Err() }

// ValidUntil is when the lease runs out on this side unless renewed (the lease minus the drift allowance).
func (l *Lock) ValidUntil() time.Time { return l.kept.ValidUntil() }

// Extend renews the lease now for ttl (later renewals use ttl too). A lock no longer held returns
// lock.ErrLost and cancels the holder context.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if err := lock.ValidateTTL(ttl); err != nil {
		return err
	}
	return l.kept.Extend(ctx, ttl)
}

// Release frees the lock and hands it to the next waiter. It returns lock.ErrLost when the lock had been lost
// before (the holder's work may have run unprotected); releasing twice is a no-op.
func (l *Lock) Release(ctx context.Context) error { return l.kept.Release(ctx) }

// WriteFenced writes value under key of the fenced store with this lock's (first) fence; lock.ErrStaleFence
// when a newer holder has written there since.
func (l *Lock) WriteFenced(ctx context.Context, key, value string, ttl time.Duration) error {
	return l.svc.WriteFenced(ctx, key, value, l.Fence(), ttl)
}
