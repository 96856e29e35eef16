package flagapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
)

// Snapshot is this instance's copy of every flag, compiled for evaluation. Evaluate reads it without a
// round trip or a lock; Refresh replaces it wholesale from the store. Evaluations are counted per flag and
// variant in memory (one atomic add) and flushed to the store in batches by the Syncer; every
// SampleEvery-th evaluation of a variant is also queued as a flags.evaluated event.
type Snapshot struct {
	store       ports.FlagStore
	sampleEvery int64

	state   atomic.Pointer[state]
	samples chan flag.Evaluated

	mu       sync.Mutex // serialises refreshes and guards counters
	counters map[counterKey]*atomic.Int64
}

type state struct {
	version int64
	loaded  bool
	flags   map[string]*entry
	keys    []string // sorted
}

type entry struct {
	compiled *flag.Compiled
	counts   []*atomic.Int64 // by variant index
}

type counterKey struct{ flag, variant string }

// sampleQueue bounds the flags.evaluated events waiting for the next flush; more are dropped.
const sampleQueue = 256

// NewSnapshot returns an empty snapshot over store; it holds no flag until the first Refresh.
func NewSnapshot(store ports.FlagStore, cfg Config) *Snapshot {
	s := &Snapshot{store: store, sampleEvery: cfg.SampleEvery, samples: make(chan flag.Evaluated, sampleQueue),
		counters: map[counterKey]*atomic.Int64{}}
	s.state.Store(&state{flags: map[string]*entry{}})
	return s
}

// Version is the flag set's version the snapshot holds (0 before the first load).
func (s *Snapshot) Version() int64 { return s.state.Load().version }

// Loaded reports whether the snapshot has been loaded from the store at least once.
func (s *Snapshot) Loaded() bool { return s.state.Load().loaded }

// Refresh loads every flag from the store (one round trip) and replaces the snapshot. Loads are
// serialised, so a later load never installs data older than an earlier one. A stored flag that no longer
// compiles (it was written by a newer statekit, say) is left out and reported in the error; the others are
// installed all the same.
func (s *Snapshot) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, err := s.store.All(ctx)
	if err != nil {
		return fmt.Errorf("refresh flags: %w", err)
	}
	next := &state{version: set.Version, loaded: true, flags: make(map[string]*entry, len(set.Flags))}
	var errs []error
	for _, f := range set.Flags {
		c, err := flag.Compile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("flag %s: %w", f.Key, err))
			continue
		}
		e := &entry{compiled: c}
		for _, v := range c.Variants() {
			e.counts = append(e.counts, s.counter(f.Key, v))
		}
		next.flags[f.Key] = e
		next.keys = append(next.keys, f.Key)
	}
	slices.Sort(next.keys)
	s.state.Store(next)
	return errors.Join(errs...)
}

// RefreshIfBehind refreshes unless the snapshot already holds version (or a newer one).
func (s *Snapshot) RefreshIfBehind(ctx context.Context, version int64) error {
	if st := s.state.Load(); st.loaded && st.version >= version {
		return nil
	}
	return s.Refresh(ctx)
}

// counter returns the evaluation counter of a flag's variant; s.mu is held. Counters outlive snapshots, so
// an evaluation still holding the previous snapshot counts into the same place.
func (s *Snapshot) counter(key, variant string) *atomic.Int64 {
	k := counterKey{key, variant}
	c := s.counters[k]
	if c == nil {
		c = new(atomic.Int64)
		s.counters[k] = c
	}
	return c
}

// Evaluate decides a flag for ctx from the snapshot: no round trip, no lock, no allocation. An unknown key
// gives flag.NotFound. The context is not validated here (callers with outside input use
// Service.Evaluate).
func (s *Snapshot) Evaluate(key string, ctx *flag.Context) flag.Result {
	e, ok := s.state.Load().flags[key]
	if !ok {
		return flag.NotFound(key)
	}
	r := e.compiled.Evaluate(ctx)
	if n := e.counts[r.VariantIndex].Add(1); s.sampleEvery > 0 && n%s.sampleEvery == 0 {
		s.sample(r, ctx.UserID)
	}
	return r
}

// EvaluateAll evaluates the named flags (every flag, in key order, when keys is empty) and returns the
// results with the snapshot's version.
func (s *Snapshot) EvaluateAll(ctx *flag.Context, keys []string) ([]flag.Result, int64) {
	st := s.state.Load()
	if len(keys) == 0 {
		keys = st.keys
	}
	out := make([]flag.Result, 0, len(keys))
	for _, k := range keys {
		e, ok := st.flags[k]
		if !ok {
			out = append(out, flag.NotFound(k))
			continue
		}
		r := e.compiled.Evaluate(ctx)
		if n := e.counts[r.VariantIndex].Add(1); s.sampleEvery > 0 && n%s.sampleEvery == 0 {
			s.sample(r, ctx.UserID)
		}
		out = append(out, r)
	}
	return out, st.version
}

// sample queues a flags.evaluated event without ever blocking the evaluation.
func (s *Snapshot) sample(r flag.Result, userID string) {
	e := flag.Evaluated{Key: r.Key, Variant: r.Variant, Reason: r.Reason, Rule: r.Rule, UserID: userID,
		Version: r.Version, SampleEvery: s.sampleEvery, EvaluatedAt: time.Now().UTC()}
	select {
	case s.samples <- e:
	default:
	}
}

// takeCounts returns the evaluations counted since the last call and zeroes them.
func (s *Snapshot) takeCounts() []flag.Count {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flag.Count
	for k, c := range s.counters {
		if n := c.Swap(0); n != 0 {
			out = append(out, flag.Count{Key: k.flag, Variant: k.variant, N: n})
		}
	}
	return out
}

// giveBack returns counts that could not be stored, so the next flush carries them.
func (s *Snapshot) giveBack(counts []flag.Count) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range counts {
		s.counter(c.Key, c.Variant).Add(c.N)
	}
}

// takeSamples returns the queued flags.evaluated events.
func (s *Snapshot) takeSamples() []ports.Event {
	var out []ports.Event
	for {
		select {
		case e := <-s.samples:
			out = append(out, e)
		default:
			return out
		}
	}
}
