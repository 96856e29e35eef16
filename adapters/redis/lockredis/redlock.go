package lockredis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
)

// Redlock runs every lock operation on several independent Redis masters (no replication between them) and
// succeeds when a majority agrees, so the lock survives the loss of a minority of masters (Redis's Redlock
// algorithm, as in go-redsync/redsync). An acquisition counts only when a quorum granted it within the lease's
// validity (lock.Validity: the lease minus the time acquisition took minus a clock-drift allowance); otherwise
// it is undone on every master.
//
// Differences from a single Store: there are no wait queues (a hand-over would need a quorum of its own), so
// blocking acquisition retries with backoff and jitter; and the fencing token is the largest of the granting
// masters' fences. Those are each increasing per master and floored by that master's clock, so the combined
// fence increases across holders only as long as the masters' clocks agree to within the time between two
// holders — a weaker promise than a single master's (Kleppmann's critique of Redlock). Use a single master's
// locks where fencing must be exact.
type Redlock struct {
	masters []*Store
	drift   float64
	quorum  int
}

var _ ports.Locker = (*Redlock)(nil)

// DefaultDriftFactor is Redlock's usual clock drift allowance: 1% of the lease.
const DefaultDriftFactor = 0.01

// NewRedlock returns a Redlock over stores, each on its own independent master; driftFactor is the share of
// a lease allowed for clock drift (DefaultDriftFactor when zero).
func NewRedlock(masters []*Store, driftFactor float64) (*Redlock, error) {
	if len(masters) < 3 {
		return nil, fmt.Errorf("redlock: %d masters: want at least 3 independent masters", len(masters))
	}
	if driftFactor <= 0 {
		driftFactor = DefaultDriftFactor
	}
	return &Redlock{masters: masters, drift: driftFactor, quorum: lock.Quorum(len(masters))}, nil
}

// Close stops every master store's wake-up subscription.
func (r *Redlock) Close() error {
	var errs []error
	for _, m := range r.masters {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// callTimeout bounds one master's answer, small against the lease so a dead master cannot eat the validity.
func callTimeout(ttl time.Duration) time.Duration {
	return min(max(ttl/10, 5*time.Millisecond), 250*time.Millisecond)
}

// each runs fn on every master at once, each bounded by timeout, and returns the errors by master.
func (r *Redlock) each(ctx context.Context, timeout time.Duration, fn func(ctx context.Context, i int, m *Store) error) []error {
	errs := make([]error, len(r.masters))
	var wg sync.WaitGroup
	for i, m := range r.masters {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			errs[i] = fn(c, i, m)
		})
	}
	wg.Wait()
	return errs
}

// unreachable reports an error wrapping ports.ErrUnavailable when so many masters failed that no quorum can
// answer, else nil.
func (r *Redlock) unreachable(op string, errs []error) error {
	var failed []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, lock.ErrNotHeld) {
			failed = append(failed, err)
		}
	}
	if len(r.masters)-len(failed) >= r.quorum {
		return nil
	}
	return fmt.Errorf("redlock %s: %d of %d masters answered, quorum is %d: %w: %w",
		op, len(r.masters)-len(failed), len(r.masters), r.quorum, ports.ErrUnavailable, errors.Join(failed...))
}

// Acquire tries every master at once (one round trip each, in parallel); the request's Queue is ignored.
func (r *Redlock) Acquire(ctx context.Context, req lock.Request) (lock.Attempt, error) {
	req.Queue = false
	start := time.Now()
	attempts := make([]lock.Attempt, len(r.masters))
	errs := r.each(ctx, callTimeout(req.TTL), func(ctx context.Context, i int, m *Store) error {
		var err error
		attempts[i], err = m.Acquire(ctx, req)
		return err
	})
	granted, fences, retry := 0, make([]int64, len(req.Names)), time.Duration(0)
	for i, a := range attempts {
		switch {
		case errs[i] != nil:
		case a.Acquired:
			granted++
			for j, f := range a.Fences {
				fences[j] = max(fences[j], f)
			}
		case retry == 0 || a.RetryIn < retry:
			retry = a.RetryIn
		}
	}
	if granted >= r.quorum && lock.Validity(req.TTL, time.Since(start), r.drift) > 0 {
		return lock.Attempt{Acquired: true, Fences: fences}, nil
	}
	if granted > 0 {
		r.each(context.WithoutCancel(ctx), callTimeout(req.TTL), func(ctx context.Context, _ int, m *Store) error {
			return m.Release(ctx, req.Names, req.Token)
		})
	}
	if err := r.unreachable("acquire", errs); err != nil {
		return lock.Attempt{}, err
	}
	return lock.Attempt{RetryIn: retry}, nil
}

// Extend extends on every master at once; it holds when a quorum held the lock.
func (r *Redlock) Extend(ctx context.Context, names []string, token string, ttl time.Duration) error {
	errs := r.each(ctx, callTimeout(ttl), func(ctx context.Context, _ int, m *Store) error {
		return m.Extend(ctx, names, token, ttl)
	})
	return r.majority("extend", errs)
}

// Release releases on every master at once; it succeeds when a quorum held the lock.
func (r *Redlock) Release(ctx context.Context, names []string, token string) error {
	errs := r.each(ctx, 250*time.Millisecond, func(ctx context.Context, _ int, m *Store) error {
		return m.Release(ctx, names, token)
	})
	return r.majority("release", errs)
}

func (r *Redlock) majority(op string, errs []error) error {
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok >= r.quorum {
		return nil
	}
	if err := r.unreachable(op, errs); err != nil {
		return err
	}
	return fmt.Errorf("%w: held on %d of %d masters, quorum is %d", lock.ErrNotHeld, ok, len(r.masters), r.quorum)
}

// Leave releases whatever token holds on each master: Redlock never queues.
func (r *Redlock) Leave(ctx context.Context, name, token string) error {
	errs := r.each(ctx, 250*time.Millisecond, func(ctx context.Context, _ int, m *Store) error {
		return m.Leave(ctx, name, token)
	})
	return r.unreachable("leave", errs)
}

// Notify returns a channel that never delivers: without queues nothing is handed over, so waiters retry.
func (r *Redlock) Notify(context.Context, string) (<-chan lock.Wake, func(), error) {
	return nil, func() {}, nil
}

// Inspect asks every master at once and reports the lock as held when a quorum says so.
func (r *Redlock) Inspect(ctx context.Context, name string) (lock.State, error) {
	states := make([]lock.State, len(r.masters))
	errs := r.each(ctx, 250*time.Millisecond, func(ctx context.Context, i int, m *Store) error {
		var err error
		states[i], err = m.Inspect(ctx, name)
		return err
	})
	if err := r.unreachable("inspect", errs); err != nil {
		return lock.State{}, err
	}
	out, held := lock.State{Name: name}, 0
	for i, st := range states {
		if errs[i] != nil {
			continue
		}
		out.Fence = max(out.Fence, st.Fence)
		if st.Held {
			held++
			if !out.Held {
				out.Mode, out.Holders, out.TTL = st.Mode, st.Holders, st.TTL
			}
			out.Held = true
		}
	}
	if held < r.quorum {
		out.Held, out.Mode, out.Holders, out.TTL = false, "", 0, 0
	}
	return out, nil
}
