package cacheapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/statekit/statekit/domain/cache"
)

// request is one read that missed the fresh part of L1, with the typed pieces its generic caller supplied.
type request struct {
	ref    cache.Ref
	policy cache.Policy
	load   func(context.Context) (any, error) // nil for a plain Get
	typ    valueType                          // the caller's T
	// fallback is a stale-if-error value from L1, served if the load fails or is shed.
	fallback *outcome
}

// source says where an answer came from, for the counters.
type source uint8

const (
	srcMiss   source = iota // nothing usable (an error or cache.ErrMiss)
	srcL2                   // a fresh entry (or remembered "not found") in Redis
	srcLoaded               // this instance ran the loader
	srcWaited               // another instance loaded it while this one waited
	srcStale                // a stale value stood in
)

// outcome is what one resolution hands to every caller that shared it.
type outcome struct {
	value  any
	raw    []byte
	source source
}

// uniform draws u in (0, 1] for XFetch.
func uniform() float64 { return 1 - rand.Float64() }

const (
	firstPoll = 2 * time.Millisecond
	maxPoll   = 50 * time.Millisecond
)

// fetch resolves a request past L1: one GET on the caller's goroutine, then, on a miss, a load that the
// callers in this process asking for the same key at once share (singleflight) and that runs detached from
// any one caller's cancellation.
func (s *Service) fetch(ctx context.Context, r *request) (any, error) {
	if err := errors.Join(cache.ValidateNamespace(r.ref.Namespace), cache.ValidateKey(r.ref.Key)); err != nil {
		return nil, err
	}
	r.ref.Generation = s.l.generation(ctx, r.ref.Namespace)
	// The generation had to be (re)read: L1 may hold the key after all.
	if e, ok := s.l.peek(r.ref); ok && e.state(s.l.now()) == cache.Fresh && (e.meta.Negative || r.typ.accepts(e.value)) {
		s.l.stats.l1Hits.inc()
		if e.meta.Negative {
			s.l.stats.negativeHits.Add(1)
			return nil, cache.ErrNotFound
		}
		return e.value, nil
	}
	seq := s.l.seq(r.ref.Namespace, r.ref.Key)
	rd := s.readShared(ctx, r, seq)
	if rd.done {
		s.count(rd.out.source, rd.err)
		return s.answer(r, rd.out, rd.err)
	}
	if r.load == nil {
		s.count(srcMiss, cache.ErrMiss)
		return nil, cache.ErrMiss
	}
	ch := s.l.flights.DoChan(flightKey('l', r.ref), func() (any, error) {
		lctx := context.WithoutCancel(ctx)
		if !rd.shared {
			return s.loadHere(lctx, r, rd.fallback, seq)
		}
		return s.loadShared(lctx, r, rd.seen, rd.fallback, seq)
	})
	select {
	case res := <-ch:
		out, _ := res.Val.(outcome)
		s.count(out.source, res.Err)
		return s.answer(r, out, res.Err)
	case <-ctx.Done():
		s.l.stats.misses.Add(1)
		return nil, ctx.Err()
	}
}

// answer hands an outcome to a caller, decoding the shared bytes when the caller asked for another type
// than the one that resolved the key.
func (s *Service) answer(r *request, out outcome, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if r.typ.accepts(out.value) {
		return out.value, nil
	}
	v, err := r.typ.decode(s.codec, out.raw)
	if err != nil {
		s.l.stats.codecErrors.Add(1)
		return nil, err
	}
	return v, nil
}

func (s *Service) count(src source, err error) {
	st := &s.l.stats
	switch src {
	case srcL2:
		st.l2Hits.Add(1)
		if errors.Is(err, cache.ErrNotFound) {
			st.negativeHits.Add(1)
		}
	case srcStale:
		st.misses.Add(1)
		st.staleServed.Add(1)
	default:
		st.misses.Add(1)
	}
}

// read is what the shared tier said about a key: an answer (done), or what a load needs to know.
type read struct {
	out      outcome
	err      error
	done     bool
	shared   bool     // Redis is usable for the load (lock, fill)
	seen     []byte   // the stale or unreadable entry Redis holds, which a load should replace
	fallback *outcome // a stale-if-error value
}

// readShared is one GET on the caller's goroutine: L2 hits never wait for other callers or for a goroutine
// hand-off. Only a load is shared between callers.
func (s *Service) readShared(ctx context.Context, r *request, seq uint64) read {
	l := s.l
	rd := read{fallback: r.fallback, shared: r.ref.Generation != 0 && l.sharedUp()}
	if !rd.shared {
		return rd
	}
	b, err := l.store.Get(ctx, r.ref)
	switch {
	case errors.Is(err, cache.ErrMiss):
		return rd
	case err != nil:
		if ctx.Err() != nil {
			return read{err: ctx.Err(), done: true}
		}
		l.redisFailed(err)
		rd.shared = false
		return rd
	}
	rd.seen = b
	e, v, ok := s.decodeEntry(b, r)
	if !ok {
		return rd
	}
	now := l.now()
	switch cache.StateAt(now, e.FreshUntil.UnixNano(), e.Revalidate, e.IfError) {
	case cache.Fresh:
		l.remember(r.ref, seq, e.Meta(), v, e.Value)
		if e.Negative {
			return read{out: outcome{source: srcL2}, err: cache.ErrNotFound, done: true}
		}
		if r.load != nil && cache.RefreshEarly(now, e.FreshUntil.UnixNano(), e.LoadTime, l.cfg.Policy.Beta, uniform) {
			s.refresh(r, e.Header(), true)
		}
		return read{out: outcome{value: v, raw: e.Value, source: srcL2}, done: true}
	case cache.Revalidating:
		if r.load == nil {
			return rd
		}
		l.remember(r.ref, seq, e.Meta(), v, e.Value)
		s.refresh(r, e.Header(), false)
		return read{out: outcome{value: v, raw: e.Value, source: srcStale}, done: true}
	case cache.StaleIfError:
		if rd.fallback == nil && !e.Negative {
			rd.fallback = &outcome{value: v, raw: e.Value, source: srcStale}
		}
	}
	rd.seen = e.Header() // a stale or dead entry: the load replaces exactly this one
	return rd
}

// loadShared loads under the cluster-wide lock: the process that takes it loads and fills; the others
// serve a stale value when they have one, or poll (one round trip each, 2 ms doubling to 50 ms) until the
// value arrives or the lock is free for them to take.
func (s *Service) loadShared(ctx context.Context, r *request, seen []byte, fallback *outcome, seq uint64) (outcome, error) {
	l := s.l
	token := newToken()
	deadline := time.Now().Add(2 * l.cfg.LoadTimeout)
	wait, waited := firstPoll, false
	for {
		if time.Now().After(deadline) {
			return s.loadHere(ctx, r, fallback, seq)
		}
		b, locked, err := l.store.Acquire(ctx, r.ref, token, l.cfg.LoadTimeout, seen)
		if err != nil {
			l.redisFailed(err)
			return s.loadHere(ctx, r, fallback, seq)
		}
		if locked {
			return s.loadAndFill(ctx, r, token, fallback, seq)
		}
		if b != nil {
			seen = b
			if e, v, ok := s.decodeEntry(b, r); ok {
				seen = e.Header()
				if st := e.StateAt(l.nowTime()); st == cache.Fresh || st == cache.Revalidating && !e.Negative {
					l.remember(r.ref, seq, e.Meta(), v, e.Value)
					if e.Negative {
						return outcome{source: srcWaited}, cache.ErrNotFound
					}
					return outcome{value: v, raw: e.Value, source: srcWaited}, nil
				}
			}
			continue // a newer entry, yet not usable: try for the lock at once
		}
		if fallback != nil {
			return *fallback, nil // another instance is loading: serve stale meanwhile
		}
		if !waited {
			waited = true
			l.stats.lockWaits.Add(1)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return outcome{}, ctx.Err()
		}
		wait = min(2*wait, maxPoll)
	}
}

// loadAndFill runs the loader while holding the lock and stores the result (one round trip, fill.lua),
// unless a write, a delete or the lock's expiry came first.
func (s *Service) loadAndFill(ctx context.Context, r *request, token string, fallback *outcome, seq uint64) (outcome, error) {
	l := s.l
	out, e, err := s.runLoad(ctx, r)
	if e == nil {
		if rerr := l.store.Release(ctx, r.ref, token); rerr != nil {
			l.redisFailed(rerr)
		}
		return s.failed(out, err, fallback)
	}
	now := l.nowTime()
	ttl := e.Expiry().Sub(now)
	if ttl < time.Millisecond {
		_ = l.store.Release(ctx, r.ref, token)
		return out, err
	}
	stored, ferr := l.store.Fill(ctx, r.ref, token, e.Encode(), ttl)
	switch {
	case ferr != nil:
		l.redisFailed(ferr)
		l.remember(r.ref, seq, e.Meta(), out.value, out.raw)
	case stored:
		l.remember(r.ref, seq, e.Meta(), out.value, out.raw)
	default:
		l.stats.fillsDropped.Add(1)
	}
	return out, err
}

// loadHere loads without the shared tier (Redis unreachable or skipped) and keeps the result in L1 only.
func (s *Service) loadHere(ctx context.Context, r *request, fallback *outcome, seq uint64) (outcome, error) {
	out, e, err := s.runLoad(ctx, r)
	if e == nil {
		return s.failed(out, err, fallback)
	}
	s.l.remember(r.ref, seq, e.Meta(), out.value, out.raw)
	return out, err
}

// failed turns a load that produced nothing to store into an answer: a stale value when one is at hand
// (stale-if-error, or a shed load), else the error.
func (s *Service) failed(out outcome, err error, fallback *outcome) (outcome, error) {
	if err == nil || errors.Is(err, cache.ErrNotFound) {
		return out, err
	}
	if fallback != nil {
		return *fallback, nil
	}
	return outcome{}, err
}

// runLoad runs the loader if a load slot is free, timing it. It returns the entry to store: a value, a
// negative entry with cache.ErrNotFound, or nil with the error (the loader's own, cache.ErrOverloaded when
// shed, or a codec error).
func (s *Service) runLoad(ctx context.Context, r *request) (outcome, *cache.Entry, error) {
	l := s.l
	select {
	case s.loads <- struct{}{}:
	default:
		l.stats.loadsShed.Add(1)
		return outcome{}, nil, cache.ErrOverloaded
	}
	defer func() { <-s.loads }()
	lctx, cancel := context.WithTimeout(ctx, l.cfg.LoadTimeout)
	defer cancel()
	start := l.nowTime()
	v, err := callLoader(lctx, r.load)
	end := l.nowTime()
	took := end.Sub(start)
	l.stats.loads.Add(1)
	l.stats.observeLoad(took)
	switch {
	case errors.Is(err, cache.ErrNotFound):
		if r.policy.NegativeTTL <= 0 {
			return outcome{source: srcLoaded}, nil, err
		}
		e := r.policy.NewEntry(nil, true, took, end, 0)
		return outcome{source: srcLoaded}, &e, err
	case err != nil:
		l.stats.loadErrors.Add(1)
		return outcome{}, nil, err
	}
	raw, err := s.codec.Marshal(v)
	if err != nil {
		l.stats.codecErrors.Add(1)
		return outcome{}, nil, err
	}
	e := r.policy.NewEntry(raw, false, took, end, rand.Float64())
	return outcome{value: v, raw: raw, source: srcLoaded}, &e, nil
}

// callLoader runs load, turning a panic into an error: the load runs on behalf of every caller sharing it
// (and sometimes in the background), so a panic must not escape into a goroutine nobody recovers.
func callLoader(ctx context.Context, load func(context.Context) (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache loader panicked: %v", p)
		}
	}()
	return load(ctx)
}

// refresh reloads the key in the background (XFetch when early, else stale-while-revalidate), at most once
// at a time per key in this process and, through the lock, across instances. seen is the entry being
// replaced: when Redis already holds a newer one, that one is taken instead of loading.
func (s *Service) refresh(r *request, seen []byte, early bool) {
	l := s.l
	fk := flightKey('r', r.ref)
	if _, busy := s.refreshing.LoadOrStore(fk, struct{}{}); busy {
		return
	}
	bg := *r
	bg.fallback = nil
	started := l.goBackground(func(ctx context.Context) {
		defer s.refreshing.Delete(fk)
		seq := l.seq(bg.ref.Namespace, bg.ref.Key)
		if bg.ref.Generation == 0 || !l.sharedUp() {
			_, _ = s.loadHere(ctx, &bg, nil, seq)
			return
		}
		token := newToken()
		b, locked, err := l.store.Acquire(ctx, bg.ref, token, l.cfg.LoadTimeout, seen)
		switch {
		case err != nil:
			l.redisFailed(err)
			_, _ = s.loadHere(ctx, &bg, nil, seq)
		case locked:
			_, _ = s.loadAndFill(ctx, &bg, token, nil, seq)
		case b != nil:
			if e, v, ok := s.decodeEntry(b, &bg); ok && e.StateAt(l.nowTime()) == cache.Fresh {
				l.remember(bg.ref, seq, e.Meta(), v, e.Value)
			}
		}
	})
	if !started {
		s.refreshing.Delete(fk)
		return
	}
	if early {
		l.stats.earlyRefreshes.Add(1)
	} else {
		l.stats.backgroundRefreshes.Add(1)
	}
}

// decodeEntry reads stored bytes and decodes the value for the request; false (counted) when either fails.
func (s *Service) decodeEntry(b []byte, r *request) (cache.Entry, any, bool) {
	e, err := cache.DecodeEntry(b)
	if err != nil {
		s.l.stats.codecErrors.Add(1)
		return e, nil, false
	}
	if e.Negative {
		return e, nil, true
	}
	v, err := r.typ.decode(s.codec, e.Value)
	if err != nil {
		s.l.stats.codecErrors.Add(1)
		return e, nil, false
	}
	return e, v, true
}

// flightKey names a key's shared work of one kind ('l' load, 'r' background refresh) in this process.
func flightKey(kind byte, r cache.Ref) string {
	b := make([]byte, 0, len(r.Namespace)+len(r.Key)+24)
	b = append(b, kind)
	b = append(b, r.Namespace...)
	b = append(b, 0)
	b = strconv.AppendInt(b, r.Generation, 10)
	b = append(b, 0)
	b = append(b, r.Key...)
	return string(b)
}
