// Package cacheredis implements ports.Cache, the shared tier of the multi-tier cache, on Redis: one string
// per entry under a key that carries the namespace generation, a generation counter per namespace, and a
// short load lock per entry. Every method is one round trip.
package cacheredis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis shared cache tier.
type Store struct {
	rdb  redis.UniversalClient
	keys keys
	// piped is the client's autopipeliner: while more than pipelineAbove reads are in flight, further GETs
	// join shared pipelines, sparing Redis and this process a system call pair per read; with fewer, a GET
	// goes alone and waits for no batch. nil when the client has none.
	piped    redis.Cmdable
	inflight atomic.Int64
}

// pipelineAbove is how many GETs must be in flight before further ones are pipelined.
const pipelineAbove = 4

var _ ports.Cache = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix.
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb, keys: newKeys(prefix)}
	if ap, err := rdb.AutoPipeline(); err == nil { // owned and closed by the client
		s.piped = ap
	}
	return s
}

// Generation runs generation.lua: one round trip.
func (s *Store) Generation(ctx context.Context, ns string) (int64, error) {
	if err := cache.ValidateNamespace(ns); err != nil {
		return 0, err
	}
	g, err := generationScript.Run(ctx, s.rdb, []string{s.keys.generation(ns)}).Int64()
	if err != nil {
		return 0, rdb.Wrap("cache generation", err)
	}
	return g, nil
}

// BumpGeneration runs bump.lua: one round trip, O(1) whatever the namespace holds.
func (s *Store) BumpGeneration(ctx context.Context, ns string) (int64, error) {
	if err := cache.ValidateNamespace(ns); err != nil {
		return 0, err
	}
	g, err := bumpScript.Run(ctx, s.rdb, []string{s.keys.generation(ns)}).Int64()
	if err != nil {
		return 0, rdb.Wrap("cache invalidate namespace", err)
	}
	return g, nil
}

// Get is one GET: one round trip, shared with other reads in flight when there are many. A pipelined GET does
// not honour ctx's cancellation once queued (a go-redis autopipeliner rule); it finishes with its batch.
func (s *Store) Get(ctx context.Context, ref cache.Ref) ([]byte, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	var c redis.Cmdable = s.rdb
	if n := s.inflight.Add(1); s.piped != nil && n > pipelineAbove {
		c = s.piped
	}
	b, err := c.Get(ctx, s.keys.entry(ref)).Bytes()
	s.inflight.Add(-1)
	if errors.Is(err, redis.Nil) {
		return nil, cache.ErrMiss
	}
	if err != nil {
		return nil, rdb.Wrap("cache get", err)
	}
	return b, nil
}

// Set runs set.lua (SET PX, DEL lock): one round trip.
func (s *Store) Set(ctx context.Context, ref cache.Ref, entry []byte, ttl time.Duration) error {
	if err := validTTL(ref, ttl); err != nil {
		return err
	}
	key := s.keys.entry(ref)
	if err := setScript.Run(ctx, s.rdb, []string{key, lockOf(key)}, entry, ttl.Milliseconds()).Err(); err != nil {
		return rdb.Wrap("cache set", err)
	}
	return nil
}

// Delete is one DEL of the entry and its lock (one slot): one round trip.
func (s *Store) Delete(ctx context.Context, ref cache.Ref) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	key := s.keys.entry(ref)
	if err := s.rdb.Del(ctx, key, lockOf(key)).Err(); err != nil {
		return rdb.Wrap("cache delete", err)
	}
	return nil
}

// Acquire runs acquire.lua (GET, else SET NX PX on the lock): one round trip.
func (s *Store) Acquire(ctx context.Context, ref cache.Ref, token string, lockTTL time.Duration, seen []byte) ([]byte, bool, error) {
	if err := validTTL(ref, lockTTL); err != nil {
		return nil, false, err
	}
	if seen == nil {
		seen = []byte{}
	}
	key := s.keys.entry(ref)
	res, err := acquireScript.Run(ctx, s.rdb, []string{key, lockOf(key)}, token, lockTTL.Milliseconds(), seen).Result()
	if err != nil {
		return nil, false, rdb.Wrap("cache acquire", err)
	}
	return acquireReply(res)
}

// acquireReply reads acquire.lua's {entry or false, 1 when the caller took the lock else 0}.
func acquireReply(res any) ([]byte, bool, error) {
	d := reply.New("cache acquire")
	a := d.Exactly(res, 2)
	v, found := d.OptString(a[0])
	locked := d.Bool(a[1])
	if err := d.Err(); err != nil {
		return nil, false, err
	}
	if found {
		return []byte(v), false, nil
	}
	return nil, locked, nil
}

// Fill runs fill.lua (compare the lock, SET PX, DEL lock): one round trip.
func (s *Store) Fill(ctx context.Context, ref cache.Ref, token string, entry []byte, ttl time.Duration) (bool, error) {
	if err := validTTL(ref, ttl); err != nil {
		return false, err
	}
	key := s.keys.entry(ref)
	n, err := fillScript.Run(ctx, s.rdb, []string{key, lockOf(key)}, token, entry, ttl.Milliseconds()).Int()
	if err != nil {
		return false, rdb.Wrap("cache fill", err)
	}
	return n == 1, nil
}

// Release runs release.lua (compare and delete): one round trip.
func (s *Store) Release(ctx context.Context, ref cache.Ref, token string) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{lockOf(s.keys.entry(ref))}, token).Err(); err != nil {
		return rdb.Wrap("cache release", err)
	}
	return nil
}

// validTTL checks the ref and that a TTL is at least one millisecond (PX rejects 0).
func validTTL(ref cache.Ref, ttl time.Duration) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: ttl %s: must be at least 1ms", cache.ErrInvalid, ttl)
	}
	return nil
}
