package ratelimitredis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker"
)

// call is one script run waiting for a pipeline.
type call struct {
	ctx      context.Context
	script   *redis.Script
	keys     []string
	args     []any
	deadline time.Time // zero when the caller set none
	state    atomic.Int32
	val      any
	err      error
	done     chan struct{} // closed when val and err are set
}

// The states of a call: queued until a flusher takes it into a pipeline, or abandoned by a caller whose
// context ended first (then it is never sent).
const (
	queued int32 = iota
	taken
	abandoned
)

// batcher coalesces concurrent script runs into pipelines, so many decisions share one round trip.
//
// It owns no goroutine while idle. A caller that finds fewer than maxFlush pipelines in flight becomes a
// flusher: it takes up to maxBatch queued calls (its own among them), sends them as one pipeline, and
// repeats until its own call is answered. Calls that arrive meanwhile queue up and go out together in the
// next pipeline, so batches grow with load and a lone caller pays one plain round trip. When a flusher's
// own call is answered and calls are still queued, it hands the queue to a goroutine that flushes until the
// queue is empty, so the caller returns at once; close waits for those goroutines.
type batcher struct {
	client   redis.UniversalClient
	maxBatch int
	maxFlush int
	window   time.Duration
	timeout  time.Duration
	observe  func(size int)
	breaker  *gobreaker.CircuitBreaker

	mu     sync.Mutex
	queue  []*call
	active int // flushers running
	wg     sync.WaitGroup
}

func newBatcher(c redis.UniversalClient, cfg Config, observe func(int), breaker *gobreaker.CircuitBreaker) *batcher {
	return &batcher{client: c, maxBatch: cfg.MaxBatch, maxFlush: cfg.MaxPipelines, window: cfg.Window,
		timeout: cfg.Timeout, observe: observe, breaker: breaker}
}

// do runs c's script in the next pipeline and returns its reply. It returns ctx's error as soon as ctx
// ends; a call that was already sent may still take effect in Redis (for a rate limiter that only ever
// counts against the caller).
func (b *batcher) do(ctx context.Context, c *call) (any, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.deadline = dl
	}
	c.ctx, c.done = ctx, make(chan struct{})
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := b.active < b.maxFlush
	if lead {
		b.active++
	}
	b.mu.Unlock()
	if lead {
		b.flush(c)
	}
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		c.state.CompareAndSwap(queued, abandoned)
		return nil, ctx.Err()
	}
}

// flush sends pipelines until own is answered (or, for a background flusher with own nil, until the
// queue is empty).
func (b *batcher) flush(own *call) {
	for {
		batch := b.take()
		if batch == nil {
			return
		}
		b.exec(batch)
		if own == nil || !isDone(own) {
			continue
		}
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.active--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.flush(nil)
		}()
		return
	}
}

func isDone(c *call) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// take removes up to maxBatch queued calls from the queue for one pipeline. With nothing left to send it
// gives up the flusher's slot and returns nil.
func (b *batcher) take() []*call {
	b.mu.Lock()
	if b.window > 0 && len(b.queue) > 0 && len(b.queue) < b.maxBatch && b.active > 1 {
		// Another pipeline is in flight, so more calls are likely on their way: give them a moment.
		b.mu.Unlock()
		time.Sleep(b.window)
		b.mu.Lock()
	}
	batch := make([]*call, 0, min(len(b.queue), b.maxBatch))
	i := 0
	for ; i < len(b.queue) && len(batch) < b.maxBatch; i++ {
		if c := b.queue[i]; c.state.CompareAndSwap(queued, taken) {
			batch = append(batch, c)
		}
	}
	n := copy(b.queue, b.queue[i:])
	clear(b.queue[n:])
	b.queue = b.queue[:n]
	if len(batch) == 0 {
		b.active--
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	return batch
}

// exec sends one batch under the circuit breaker: a plain script run on its caller's context for one call,
// else one pipeline of EVALSHAs (and, for any that found the script missing from Redis's cache, a second
// pipeline of EVALs, which cache it again) whose deadline is the latest of its callers' (a caller without
// one counts as the configured timeout).
func (b *batcher) exec(batch []*call) {
	cmds := make([]*redis.Cmd, len(batch))
	if len(batch) == 1 {
		c := batch[0]
		b.finish(batch, cmds, guarded(b.breaker, func() error {
			cmds[0] = c.script.Run(c.ctx, b.client, c.keys, c.args...)
			return unreachable(cmds)
		}))
		return
	}
	deadline := time.Time{}
	for _, c := range batch {
		d := c.deadline
		if d.IsZero() {
			d = time.Now().Add(b.timeout)
		}
		if d.After(deadline) {
			deadline = d
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	refused := guarded(b.breaker, func() error {
		pipe := b.client.Pipeline()
		for i, c := range batch {
			cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx) // each command carries its own error
		var missing []int
		for i, cmd := range cmds {
			if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
				missing = append(missing, i)
			}
		}
		if len(missing) > 0 {
			pipe := b.client.Pipeline()
			for _, i := range missing {
				c := batch[i]
				cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
			}
			_, _ = pipe.Exec(ctx)
		}
		return unreachable(cmds)
	})
	b.finish(batch, cmds, refused)
}

// finish hands each call its reply (or the breaker's refusal) and wakes its caller.
func (b *batcher) finish(batch []*call, cmds []*redis.Cmd, refused error) {
	for i, c := range batch {
		if refused != nil {
			c.err = refused
		} else {
			c.val, c.err = cmds[i].Result()
		}
		close(c.done)
	}
	if refused == nil && b.observe != nil {
		b.observe(len(batch))
	}
}

// close waits for the background flushers to empty the queue.
func (b *batcher) close() { b.wg.Wait() }
