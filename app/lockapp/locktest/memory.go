package locktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/statekit/statekit/app/internal/memwake"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
)

// memory is an in-memory ports.Locker and ports.FencedStore. It has no wait queue: every release wakes
// every waiter to look again (or a waiter looks again when the holder's lease runs out), so waiters are not
// served in arrival order. Leases expire by the wall clock, which is what a *Lock's renewal runs on.
type memory struct {
	mu     sync.Mutex
	names  map[string]*name
	fenced map[string]fencedValue
	wakes  memwake.Hub[lock.Wake]
}

var (
	_ ports.Locker      = (*memory)(nil)
	_ ports.FencedStore = (*memory)(nil)
)

// name is one lock: its holders (token -> lease end) and the last fence issued.
type name struct {
	mode    lock.Mode
	holders map[string]time.Time
	fences  map[string]int64 // fence of each holder
	last    int64
}

type fencedValue struct {
	value   string
	fence   int64
	expires time.Time // zero: never
}

func newMemory() *memory {
	return &memory{names: map[string]*name{}, fenced: map[string]fencedValue{}}
}

// live returns the name's state with lapsed holders dropped. m.mu is held.
func (m *memory) live(n string, now time.Time) *name {
	st, ok := m.names[n]
	if !ok {
		st = &name{holders: map[string]time.Time{}, fences: map[string]int64{}}
		m.names[n] = st
	}
	for tok, end := range st.holders {
		if !now.Before(end) {
			delete(st.holders, tok)
			delete(st.fences, tok)
		}
	}
	return st
}

// blocked reports how long until the holders in the way of (token, mode) lapse, or 0 and false when the
// name is free for it.
func (st *name) blocked(token string, mode lock.Mode, now time.Time) (time.Duration, bool) {
	if _, mine := st.holders[token]; mine || len(st.holders) == 0 {
		return 0, false
	}
	if mode == lock.Shared && st.mode == lock.Shared {
		return 0, false
	}
	var wait time.Duration
	for _, end := range st.holders {
		wait = max(wait, end.Sub(now))
	}
	return wait, true
}

func (m *memory) Acquire(_ context.Context, req lock.Request) (lock.Attempt, error) {
	if err := req.Validate(); err != nil {
		return lock.Attempt{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var retry time.Duration
	for _, n := range req.Names {
		if wait, ok := m.live(n, now).blocked(req.Token, req.Mode, now); ok {
			retry = max(retry, wait)
		}
	}
	if retry > 0 {
		return lock.Attempt{RetryIn: retry}, nil
	}
	a := lock.Attempt{Acquired: true, Fences: make([]int64, len(req.Names))}
	for i, n := range req.Names {
		st := m.names[n]
		f, held := st.fences[req.Token]
		if !held {
			f = max(st.last+1, now.UnixMicro())
			st.last = f
		}
		st.mode, st.holders[req.Token], st.fences[req.Token] = req.Mode, now.Add(req.TTL), f
		a.Fences[i] = f
	}
	return a, nil
}

// each runs fn on every name the token holds and reports lock.ErrNotHeld when it held not all of them.
func (m *memory) each(names []string, token string, fn func(st *name)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var missing []string
	for _, n := range names {
		st := m.live(n, now)
		if _, ok := st.holders[token]; !ok {
			missing = append(missing, n)
			continue
		}
		fn(st)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %v", lock.ErrNotHeld, missing)
	}
	return nil
}

func (m *memory) Extend(_ context.Context, names []string, token string, ttl time.Duration) error {
	if err := errors.Join(lock.ValidateNames(names), lock.ValidateToken(token), lock.ValidateTTL(ttl)); err != nil {
		return err
	}
	end := time.Now().Add(ttl)
	return m.each(names, token, func(st *name) { st.holders[token] = end })
}

func (m *memory) Release(_ context.Context, names []string, token string) error {
	if err := errors.Join(lock.ValidateNames(names), lock.ValidateToken(token)); err != nil {
		return err
	}
	defer m.wakes.Wake(lock.Wake{})
	return m.each(names, token, func(st *name) {
		delete(st.holders, token)
		delete(st.fences, token)
	})
}

// Leave has no queue to leave; a lock the token holds is released, as a hand-over would have been.
func (m *memory) Leave(ctx context.Context, n, token string) error {
	if err := m.Release(ctx, []string{n}, token); err != nil && !errors.Is(err, lock.ErrNotHeld) {
		return err
	}
	return nil
}

// Notify registers the waiter for "look again" wake-ups; no lock is ever handed over to it.
func (m *memory) Notify(context.Context, string) (<-chan lock.Wake, func(), error) {
	wakes, stop := m.wakes.Register()
	return wakes, stop, nil
}

func (m *memory) Inspect(_ context.Context, n string) (lock.State, error) {
	if err := lock.ValidateName(n); err != nil {
		return lock.State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	st := m.live(n, now)
	s := lock.State{Name: n, Held: len(st.holders) > 0, Holders: len(st.holders), Fence: st.last}
	if s.Held {
		s.Mode = st.mode
	}
	for _, end := range st.holders {
		s.TTL = max(s.TTL, end.Sub(now))
	}
	return s, nil
}

// drop forgets every holder of n, as if their leases had run out.
func (m *memory) drop(n string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.names[n]; ok {
		clear(st.holders)
		clear(st.fences)
	}
	m.wakes.Wake(lock.Wake{})
}

func (m *memory) Set(_ context.Context, key, value string, fence int64, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	cur, ok := m.fenced[key]
	if ok && !cur.expires.IsZero() && !now.Before(cur.expires) {
		cur = fencedValue{}
	}
	if err := lock.CheckFence(cur.fence, fence); err != nil {
		return err
	}
	v := fencedValue{value: value, fence: fence}
	if ttl > 0 {
		v.expires = now.Add(ttl)
	}
	m.fenced[key] = v
	return nil
}

func (m *memory) Get(_ context.Context, key string) (string, int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.fenced[key]
	if !ok || !v.expires.IsZero() && !time.Now().Before(v.expires) {
		return "", 0, false, nil
	}
	return v.value, v.fence, true, nil
}
