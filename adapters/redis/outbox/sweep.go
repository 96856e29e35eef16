package outbox

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
)

// sweepChunk bounds the commands of one sweep pipeline. On a cluster the client splits a pipeline by node,
// so a chunk is one pipeline per node, run in parallel.
const sweepChunk = 1024

func (r *Relay) sweepLoop() {
	defer r.wg.Done()
	ctx, cancel := r.stopCtx()
	defer cancel()
	for {
		// Jitter spreads the instances' attempts over the interval; the lease lets one of them sweep.
		wait := r.cfg.SweepInterval/2 + rand.N(r.cfg.SweepInterval/2+1)
		select {
		case <-r.stop:
			return
		case <-time.After(wait):
		}
		ok, err := r.rdb.SetNX(ctx, r.o.prefix+":outbox:sweep", r.token, r.cfg.SweepInterval).Result()
		if err != nil || !ok {
			continue // Redis is away, or another instance sweeps this round
		}
		if _, err := r.Sweep(ctx); err != nil {
			r.m.errors.Inc()
			if ctx.Err() == nil {
				r.log.Warn("outbox sweep failed", "err", err)
			}
		}
	}
}

// Sweep looks at the oldest entry of every outbox stream and relays each stream whose oldest entry is older
// than the grace (streams a relay holds are left to it). It reports how many entries the outbox held and
// sets the pending and lag metrics. The sweep loop runs it under the sweep lease; tests call it directly.
func (r *Relay) Sweep(ctx context.Context) (int64, error) {
	keys := r.o.Keys()
	now := time.Now()
	var pending int64
	var oldest time.Duration
	var stale []string
	for start := 0; start < len(keys); start += sweepChunk {
		chunk := keys[start:min(start+sweepChunk, len(keys))]
		heads, err := r.heads(ctx, chunk)
		if err != nil {
			return 0, err
		}
		for i, h := range heads {
			if h.length == 0 {
				continue
			}
			pending += h.length
			age := now.Sub(time.UnixMilli(h.ms))
			oldest = max(oldest, age)
			if age >= r.cfg.SweepGrace {
				stale = append(stale, chunk[i])
			}
		}
	}
	r.m.pending.Set(float64(pending))
	r.m.lag.Set(oldest.Seconds())
	for _, key := range stale {
		if _, err := r.Relay(ctx, key); err != nil {
			return pending, err
		}
	}
	return pending, nil
}

// head is what the sweep learns of one outbox stream: its length and the time of its oldest entry.
type head struct {
	length int64
	ms     int64
}

// heads reads the length and oldest entry of each key in one pipeline.
func (r *Relay) heads(ctx context.Context, keys []string) ([]head, error) {
	lens := make([]*redis.IntCmd, len(keys))
	firsts := make([]*redis.XMessageSliceCmd, len(keys))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			lens[i] = p.XLen(ctx, key)
			firsts[i] = p.XRangeN(ctx, key, "-", "+", 1)
		}
		return nil
	})
	if err != nil {
		return nil, rdb.Wrap("outbox sweep", err)
	}
	out := make([]head, len(keys))
	for i := range keys {
		out[i].length = lens[i].Val()
		if msgs := firsts[i].Val(); len(msgs) > 0 {
			out[i].ms, _ = entryMillis(msgs[0].ID)
		}
	}
	return out, nil
}
