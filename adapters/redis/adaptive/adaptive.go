// Package adaptive runs Lua scripts for many concurrent callers, coalescing their calls into pipelines so
// that they share round trips: Redis and the client then make one pair of system calls per batch instead
// of one per call, which is what limits throughput when many callers work at once.
//
// It never waits to form a batch (unless Config.Window asks it to): a caller that finds fewer than
// MaxPipelines pipelines in flight becomes a flusher and sends what is queued at once, its own call
// included; calls that arrive while pipelines are in flight queue up and go out together in the next one.
// So a lone caller pays one plain round trip, batches grow with load, and no goroutine runs while idle. A
// flusher sends until its own call is answered; if calls are still queued then, it hands them to a
// goroutine that drains the queue, so the caller returns at once. (go-redis's own autopipeliner holds a
// flush until the callers of the last batch send their next command; callers that alternate between
// pipelined and direct calls, as lock holders do, leave it waiting for commands that never come.)
//
// With Config.Yield a flusher first lets the goroutines that are ready to run go ahead of it
// (runtime.Gosched): most are callers the last pipeline just answered, about to make their next call, and
// their calls then ride in this pipeline instead of the next one. A busy process so sends fewer, fuller
// pipelines (fewer system calls on both sides) without waiting on a timer.
package adaptive

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config tunes a Runner.
type Config struct {
	// MaxBatch bounds the calls one pipeline carries; 1 sends every call on its own.
	MaxBatch int
	// MaxPipelines bounds the pipelines in flight at once; calls beyond them queue for the next one.
	MaxPipelines int
	// Window is how long a flusher that finds fewer than MaxBatch calls queued, while another pipeline is in
	// flight, waits for more before sending. 0 sends at once.
	Window time.Duration
	// Timeout bounds a pipeline whose callers set no deadline of their own.
	Timeout time.Duration
	// Yield lets the goroutines ready to run go first before a flusher takes its batch, so the callers the
	// last pipeline answered can queue their next calls into it. A lone caller loses nothing: with no other
	// goroutine ready, yielding returns at once. In a process whose processors are all busy with other work,
	// a yield may cost the call a scheduling turn.
	Yield bool
	// Observe, when set, is told the size of every batch sent.
	Observe func(size int)
	// Guard, when set, runs every round trip: it calls roundTrip (which sends the batch and returns its
	// commands) or refuses to, returning the error every call of the batch then gets (a circuit breaker).
	Guard func(roundTrip func() []*redis.Cmd) error
}

// DefaultConfig batches up to 128 calls per pipeline with up to 4 pipelines in flight, yields before each
// batch, adds no timed wait, and bounds a pipeline without deadlines at 10 s.
func DefaultConfig() Config {
	return Config{MaxBatch: 128, MaxPipelines: 4, Yield: true, Timeout: 10 * time.Second}
}

// Pipelined is DefaultConfig when on, and otherwise the same with every call sent on its own.
func Pipelined(on bool) Config {
	c := DefaultConfig()
	if !on {
		c.MaxBatch = 1
	}
	return c
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBatch < 1 || c.MaxBatch > 10_000 {
		errs = append(errs, fmt.Errorf("script batch %d: must be between 1 and 10000", c.MaxBatch))
	}
	if c.MaxPipelines < 1 || c.MaxPipelines > 256 {
		errs = append(errs, fmt.Errorf("script pipelines %d: must be between 1 and 256", c.MaxPipelines))
	}
	if c.Window < 0 || c.Window > 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("script batch window %s: must be between 0 and 10ms", c.Window))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("script pipeline timeout %s: must be positive", c.Timeout))
	}
	return errors.Join(errs...)
}

// Runner runs scripts on one client, coalescing concurrent calls into pipelines.
type Runner struct {
	client redis.UniversalClient
	cfg    Config

	mu     sync.Mutex
	queue  []*call
	active int // flushers running
	wg     sync.WaitGroup
}

// call is one script run waiting for a pipeline.
type call struct {
	ctx      context.Context
	script   *redis.Script
	keys     []string
	args     []any
	deadline time.Time // zero when the caller set none
	state    atomic.Int32
	cmd      *redis.Cmd
	done     chan struct{} // closed when cmd is set
}

// The states of a call: queued until a flusher takes it into a pipeline, or abandoned by a caller whose
// context ended first (then it is never sent).
const (
	queued int32 = iota
	taken
	abandoned
)

// New returns a Runner on client.
func New(client redis.UniversalClient, cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{client: client, cfg: cfg}, nil
}

// Client is the client the Runner sends on, for commands that are not scripts.
func (r *Runner) Client() redis.UniversalClient { return r.client }

// Close waits for the calls still queued to be sent. It does not close the client.
func (r *Runner) Close() { r.wg.Wait() }

// Run runs script (EVALSHA, and EVAL when Redis has not cached it) with keys and args in the next pipeline
// and returns its finished command. It returns as soon as ctx ends, with ctx's error; a call already sent
// may still take effect in Redis, as with any command whose reply is cut short.
func (r *Runner) Run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return r.run(ctx, false, script, keys, args)
}

// RunFirst is Run for a call others wait on (a release that hands a lock over): it goes ahead of the calls
// already queued, so the next pipeline carries it first and Redis runs it before them.
func (r *Runner) RunFirst(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return r.run(ctx, true, script, keys, args)
}

func (r *Runner) run(ctx context.Context, first bool, script *redis.Script, keys []string, args []any) *redis.Cmd {
	if r.cfg.MaxBatch == 1 {
		var cmd *redis.Cmd
		if err := r.guard(func() []*redis.Cmd {
			cmd = script.Run(ctx, r.client, keys, args...)
			return []*redis.Cmd{cmd}
		}); err != nil {
			return failed(ctx, err)
		}
		return cmd
	}
	c := &call{ctx: ctx, script: script, keys: keys, args: args, done: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		c.deadline = dl
	}
	r.mu.Lock()
	if first {
		r.queue = slices.Insert(r.queue, 0, c)
	} else {
		r.queue = append(r.queue, c)
	}
	lead := r.active < r.cfg.MaxPipelines
	if lead {
		r.active++
	}
	r.mu.Unlock()
	if lead {
		r.flush(c)
	}
	select {
	case <-c.done:
		return c.cmd
	case <-ctx.Done():
		c.state.CompareAndSwap(queued, abandoned) // a queued call is never sent; a sent one may still run
		return failed(ctx, ctx.Err())
	}
}

func failed(ctx context.Context, err error) *redis.Cmd {
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}

func (r *Runner) guard(roundTrip func() []*redis.Cmd) error {
	if r.cfg.Guard == nil {
		roundTrip()
		return nil
	}
	return r.cfg.Guard(roundTrip)
}

// flush sends pipelines until own is answered (or, for a background flusher with own nil, until the queue
// is empty).
func (r *Runner) flush(own *call) {
	for {
		if r.cfg.Yield {
			runtime.Gosched()
		}
		batch := r.take()
		if batch == nil {
			return
		}
		r.exec(batch)
		if own == nil || !isDone(own) {
			continue
		}
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.active--
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.flush(nil)
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

// take removes up to MaxBatch queued calls for one pipeline. With nothing left to send it gives up the
// flusher's slot and returns nil.
func (r *Runner) take() []*call {
	r.mu.Lock()
	if r.cfg.Window > 0 && len(r.queue) > 0 && len(r.queue) < r.cfg.MaxBatch && r.active > 1 {
		// Another pipeline is in flight, so more calls are likely on their way: give them a moment.
		r.mu.Unlock()
		time.Sleep(r.cfg.Window)
		r.mu.Lock()
	}
	batch := make([]*call, 0, min(len(r.queue), r.cfg.MaxBatch))
	i := 0
	for ; i < len(r.queue) && len(batch) < r.cfg.MaxBatch; i++ {
		if c := r.queue[i]; c.state.CompareAndSwap(queued, taken) {
			batch = append(batch, c)
		}
	}
	n := copy(r.queue, r.queue[i:])
	clear(r.queue[n:])
	r.queue = r.queue[:n]
	if len(batch) == 0 {
		r.active--
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	return batch
}

// exec sends one batch: a plain script run on its caller's context for one call, else one pipeline of
// EVALSHAs (and, for any that found the script missing from Redis's cache, a second pipeline of EVALs,
// which cache it again) whose deadline is the latest of its callers' (a caller without one counts as
// Timeout).
func (r *Runner) exec(batch []*call) {
	cmds := make([]*redis.Cmd, len(batch))
	var refused error
	if len(batch) == 1 {
		c := batch[0]
		refused = r.guard(func() []*redis.Cmd {
			cmds[0] = c.script.Run(c.ctx, r.client, c.keys, c.args...)
			return cmds
		})
	} else {
		deadline := time.Time{}
		for _, c := range batch {
			d := c.deadline
			if d.IsZero() {
				d = time.Now().Add(r.cfg.Timeout)
			}
			if d.After(deadline) {
				deadline = d
			}
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		refused = r.guard(func() []*redis.Cmd {
			pipe := r.client.Pipeline()
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
				pipe := r.client.Pipeline()
				for _, i := range missing {
					c := batch[i]
					cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
				}
				_, _ = pipe.Exec(ctx)
			}
			return cmds
		})
	}
	// Observed before the callers are answered, so a caller that has its answer finds its batch counted.
	if refused == nil && r.cfg.Observe != nil {
		r.cfg.Observe(len(batch))
	}
	for i, c := range batch {
		if refused != nil {
			c.cmd = failed(c.ctx, refused)
		} else {
			c.cmd = cmds[i]
		}
		close(c.done)
	}
}
