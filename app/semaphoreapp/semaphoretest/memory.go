package semaphoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/statekit/statekit/app/internal/memwake"
	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
)

// memory is an in-memory ports.Semaphore. It has no wait queue: whatever frees permits wakes every waiter
// to look again (or a waiter looks again when the earliest permit runs out), so waiters are not served in
// arrival order. Permits expire by the wall clock, which is what a *Permit's refresh runs on.
type memory struct {
	mu    sync.Mutex
	pools map[string]*pool
	wakes memwake.Hub[semaphore.Wake]
}

var _ ports.Semaphore = (*memory)(nil)

type pool struct {
	capacity int
	permits  map[string]permit
}

type permit struct {
	weight int
	end    time.Time
}

func newMemory() *memory { return &memory{pools: map[string]*pool{}} }

// live returns the pool with lapsed permits dropped, or nil. m.mu is held.
func (m *memory) live(name string, now time.Time) *pool {
	p := m.pools[name]
	if p == nil {
		return nil
	}
	for id, pm := range p.permits {
		if !now.Before(pm.end) {
			delete(p.permits, id)
		}
	}
	return p
}

func (p *pool) used() (used int, earliest time.Time) {
	for _, pm := range p.permits {
		used += pm.weight
		if earliest.IsZero() || pm.end.Before(earliest) {
			earliest = pm.end
		}
	}
	return used, earliest
}

func (m *memory) Acquire(_ context.Context, req semaphore.Request) (semaphore.Attempt, error) {
	if err := req.Validate(); err != nil {
		return semaphore.Attempt{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	p := m.live(req.Pool, now)
	if p == nil {
		if req.Capacity == 0 {
			return semaphore.Attempt{}, fmt.Errorf("%w: %s", semaphore.ErrNoPool, req.Pool)
		}
		p = &pool{capacity: req.Capacity, permits: map[string]permit{}}
		m.pools[req.Pool] = p
	}
	if req.Weight > p.capacity {
		return semaphore.Attempt{}, fmt.Errorf("%w (%d > %d)", semaphore.ErrTooHeavy, req.Weight, p.capacity)
	}
	if _, held := p.permits[req.ID]; held {
		return semaphore.Attempt{Acquired: true}, nil
	}
	used, earliest := p.used()
	if used+req.Weight > p.capacity {
		return semaphore.Attempt{RetryIn: earliest.Sub(now)}, nil
	}
	p.permits[req.ID] = permit{weight: req.Weight, end: now.Add(req.TTL)}
	return semaphore.Attempt{Acquired: true}, nil
}

// held runs fn on a live permit, or returns semaphore.ErrNotHeld.
func (m *memory) held(name, id string, fn func(p *pool)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.live(name, time.Now())
	if p == nil {
		return fmt.Errorf("%w: %s", semaphore.ErrNotHeld, name)
	}
	if _, ok := p.permits[id]; !ok {
		return fmt.Errorf("%w: %s", semaphore.ErrNotHeld, name)
	}
	fn(p)
	return nil
}

func (m *memory) Refresh(_ context.Context, name, id string, ttl time.Duration) error {
	if err := errors.Join(semaphore.ValidatePool(name), semaphore.ValidatePermitID(id), semaphore.ValidateTTL(ttl)); err != nil {
		return err
	}
	return m.held(name, id, func(p *pool) {
		pm := p.permits[id]
		pm.end = time.Now().Add(ttl)
		p.permits[id] = pm
	})
}

func (m *memory) Release(_ context.Context, name, id string) error {
	if err := errors.Join(semaphore.ValidatePool(name), semaphore.ValidatePermitID(id)); err != nil {
		return err
	}
	defer m.wakes.Wake(semaphore.Wake{})
	return m.held(name, id, func(p *pool) { delete(p.permits, id) })
}

// Leave has no queue to leave; permits the id holds are released, as a grant would have been.
func (m *memory) Leave(ctx context.Context, name, id string) error {
	if err := m.Release(ctx, name, id); err != nil && !errors.Is(err, semaphore.ErrNotHeld) {
		return err
	}
	return nil
}

// Notify registers the waiter for "look again" wake-ups; permits are never granted to it directly.
func (m *memory) Notify(context.Context, string) (<-chan semaphore.Wake, func(), error) {
	wakes, stop := m.wakes.Register()
	return wakes, stop, nil
}

func (m *memory) SetCapacity(_ context.Context, name string, capacity int) (semaphore.Stats, error) {
	if err := errors.Join(semaphore.ValidatePool(name), semaphore.ValidateCapacity(capacity)); err != nil {
		return semaphore.Stats{}, err
	}
	defer m.wakes.Wake(semaphore.Wake{})
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.live(name, time.Now())
	if p == nil {
		p = &pool{permits: map[string]permit{}}
		m.pools[name] = p
	}
	p.capacity = capacity
	return stats(name, p), nil
}

func (m *memory) Stats(_ context.Context, name string) (semaphore.Stats, error) {
	if err := semaphore.ValidatePool(name); err != nil {
		return semaphore.Stats{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.live(name, time.Now())
	if p == nil {
		return semaphore.Stats{}, fmt.Errorf("%w: %s", semaphore.ErrNoPool, name)
	}
	return stats(name, p), nil
}

func stats(name string, p *pool) semaphore.Stats {
	used, _ := p.used()
	return semaphore.Stats{Pool: name, Capacity: p.capacity, Used: used, Holders: len(p.permits)}
}

func (m *memory) Delete(_ context.Context, name string) error {
	if err := semaphore.ValidatePool(name); err != nil {
		return err
	}
	defer m.wakes.Wake(semaphore.Wake{})
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pools, name)
	return nil
}

// drop forgets every permit of the pool, as if their leases had run out.
func (m *memory) drop(name string) {
	m.mu.Lock()
	if p := m.pools[name]; p != nil {
		clear(p.permits)
	}
	m.mu.Unlock()
	m.wakes.Wake(semaphore.Wake{})
}
