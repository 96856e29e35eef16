// Package adaptive runs Lua scripts either directly on a client or through go-redis's autopipeliner,
// depending on how busy the caller is. Pipelining many concurrent callers' scripts together saves Redis and
// the client most of their per-command system calls, which is what limits throughput when many callers work
// on distinct keys; but a script waiting for a batch to form and flush costs latency, which is what limits a
// contended lock's hand-over, where only one or two calls are in flight. So a Runner pipelines only while
// more than a threshold of its calls are in flight.
package adaptive

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// DefaultThreshold is how many calls must be in flight before further ones join pipelines.
const DefaultThreshold = 4

// Runner runs scripts on one client, pipelining under load when enabled.
type Runner struct {
	direct    redis.UniversalClient
	piped     redis.UniversalClient // nil: never pipeline
	threshold int64
	inflight  atomic.Int64
}

// New returns a Runner on client. With pipeline it uses the client's autopipeliner (go-redis caches one per
// client and closes it with the client) once more than threshold calls are in flight; threshold 0 means
// DefaultThreshold.
func New(client redis.UniversalClient, pipeline bool, threshold int) (*Runner, error) {
	r := &Runner{direct: client, threshold: int64(threshold)}
	if r.threshold <= 0 {
		r.threshold = DefaultThreshold
	}
	if pipeline {
		ap, err := client.AutoPipeline()
		if err != nil {
			return nil, fmt.Errorf("autopipeline: %w", err)
		}
		r.piped = ap
	}
	return r, nil
}

// Run runs script (EVALSHA, falling back to EVAL) with keys and args and returns its finished command.
func (r *Runner) Run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := r.direct
	if n := r.inflight.Add(1); r.piped != nil && n > r.threshold {
		c = r.piped
	}
	defer r.inflight.Add(-1)
	return script.Run(ctx, c, keys, args...)
}

// Client is the client for commands that are not scripts.
func (r *Runner) Client() redis.UniversalClient { return r.direct }
