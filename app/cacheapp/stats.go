package cacheapp

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of one instance's cache counters since it started.
type Stats struct {
	// L1Hits and L2Hits count requests answered fresh (or negative) by the in-process tier and by Redis.
	L1Hits, L2Hits uint64
	// Misses counts requests that neither tier answered fresh: they were loaded, waited for another
	// instance's load, got a stale value or failed.
	Misses uint64
	// NegativeHits counts requests answered cache.ErrNotFound from a remembered "not found".
	NegativeHits uint64
	// StaleServed counts requests answered with a stale value: while revalidating, instead of a failed or
	// shed load, or while another instance loaded.
	StaleServed uint64
	// Loads counts loader runs; LoadErrors those that failed (a "not found" is not a failure).
	Loads, LoadErrors uint64
	// LoadsShed counts loads refused because MaxLoads were running.
	LoadsShed uint64
	// LockWaits counts requests that waited for another instance's load instead of loading.
	LockWaits uint64
	// EarlyRefreshes counts XFetch refreshes started before expiry; BackgroundRefreshes those started by a
	// stale-while-revalidate read.
	EarlyRefreshes, BackgroundRefreshes uint64
	// FillsDropped counts loaded values not stored because a write, a delete or the lock's expiry came first.
	FillsDropped uint64
	// RedisErrors counts failed Redis calls (the request fell back to the in-process tier or the loader);
	// RedisSkipped counts requests that skipped Redis during the backoff after a failure.
	RedisErrors, RedisSkipped uint64
	// CodecErrors counts values that could not be encoded or stored bytes that could not be decoded.
	CodecErrors uint64
	// InvalidationsPublished and InvalidationsReceived count cache.invalidated events sent by this
	// instance and received from others.
	InvalidationsPublished, InvalidationsReceived uint64
	// L1Entries is the in-process tier's approximate size.
	L1Entries int
	// Load is the distribution of load durations.
	Load Histogram
}

// HitRate is the share of requests answered fresh by either tier, 0 to 1.
func (s Stats) HitRate() float64 {
	total := s.L1Hits + s.L2Hits + s.Misses
	if total == 0 {
		return 0
	}
	return float64(s.L1Hits+s.L2Hits) / float64(total)
}

// LoadBuckets are the upper bounds of the load-duration histogram.
var LoadBuckets = []time.Duration{time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, time.Second, 5 * time.Second,
	10 * time.Second}

// Histogram is a cumulative histogram over LoadBuckets.
type Histogram struct {
	// Buckets[i] counts loads that took at most LoadBuckets[i].
	Buckets []uint64
	Count   uint64
	Sum     time.Duration
}

// stripes spreads a hot counter over cache lines, so goroutines on different cores do not fight over one.
const stripes = 8

type stripedCounter struct {
	s [stripes]struct {
		n atomic.Uint64
		_ [56]byte
	}
}

func (c *stripedCounter) inc() { c.s[rand.Uint32()%stripes].n.Add(1) }

func (c *stripedCounter) load() uint64 {
	var n uint64
	for i := range c.s {
		n += c.s[i].n.Load()
	}
	return n
}

// counters are the live counters behind Stats.
type counters struct {
	l1Hits                                         stripedCounter
	l2Hits, misses, negativeHits, staleServed      atomic.Uint64
	loads, loadErrors, loadsShed, lockWaits        atomic.Uint64
	earlyRefreshes, backgroundRefreshes            atomic.Uint64
	fillsDropped, redisErrors, redisSkipped        atomic.Uint64
	codecErrors, invalidationsOut, invalidationsIn atomic.Uint64
	loadBuckets                                    [10]atomic.Uint64 // the last one is +Inf
	loadSum                                        atomic.Int64
}

func (c *counters) observeLoad(d time.Duration) {
	i := len(LoadBuckets)
	for j, b := range LoadBuckets {
		if d <= b {
			i = j
			break
		}
	}
	c.loadBuckets[i].Add(1)
	c.loadSum.Add(int64(d))
}

func (c *counters) snapshot() Stats {
	s := Stats{
		L1Hits: c.l1Hits.load(), L2Hits: c.l2Hits.Load(), Misses: c.misses.Load(),
		NegativeHits: c.negativeHits.Load(), StaleServed: c.staleServed.Load(),
		Loads: c.loads.Load(), LoadErrors: c.loadErrors.Load(), LoadsShed: c.loadsShed.Load(),
		LockWaits: c.lockWaits.Load(), EarlyRefreshes: c.earlyRefreshes.Load(),
		BackgroundRefreshes: c.backgroundRefreshes.Load(), FillsDropped: c.fillsDropped.Load(),
		RedisErrors: c.redisErrors.Load(), RedisSkipped: c.redisSkipped.Load(), CodecErrors: c.codecErrors.Load(),
		InvalidationsPublished: c.invalidationsOut.Load(), InvalidationsReceived: c.invalidationsIn.Load(),
	}
	s.Load.Buckets = make([]uint64, len(LoadBuckets))
	var cum uint64
	for i := range LoadBuckets {
		cum += c.loadBuckets[i].Load()
		s.Load.Buckets[i] = cum
	}
	s.Load.Count = cum + c.loadBuckets[len(LoadBuckets)].Load()
	s.Load.Sum = time.Duration(c.loadSum.Load())
	return s
}
