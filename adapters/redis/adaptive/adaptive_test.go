package adaptive

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// counter counts scripts sent alone and scripts sent in pipelines (go-redis also pipelines its connection
// handshake, which is not counted).
type counter struct{ alone, piped atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if isScript(cmd) {
			c.alone.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if isScript(cmd) {
				c.piped.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

func isScript(cmd redis.Cmder) bool { return cmd.Name() == "evalsha" || cmd.Name() == "eval" }

var slowish = redis.NewScript(`local n = 0 for i = 1, 20000 do n = n + i end return n`)

func TestRunnerPipelinesOnlyUnderLoad(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	for _, pipeline := range []bool{false, true} {
		c := redis.NewClient(&redis.Options{Addr: tg.Addrs[0], PoolSize: 64})
		t.Cleanup(func() { _ = c.Close() })
		var n counter
		c.AddHook(&n)
		r, err := New(c, pipeline, 1)
		if err != nil {
			t.Fatal(err)
		}
		// One call at a time never waits for a batch.
		for i := 0; i < 5; i++ {
			if err := r.Run(ctx, slowish, []string{tg.Prefix + "k"}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if n.piped.Load() != 0 || n.alone.Load() < 5 {
			t.Errorf("pipeline=%v: %d sequential calls pipelined, %d sent alone; want all alone", pipeline, n.piped.Load(), n.alone.Load())
		}
		// Many at once: with pipelining on, those beyond the threshold join pipelines.
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Go(func() {
				for i := 0; i < 20; i++ {
					if err := r.Run(ctx, slowish, []string{tg.Prefix + "k"}).Err(); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if got := n.piped.Load(); pipeline && got == 0 || !pipeline && got != 0 {
			t.Errorf("pipeline=%v: %d concurrent calls pipelined", pipeline, got)
		}
		if r.Client() != redis.UniversalClient(c) {
			t.Error("Client() is not the direct client")
		}
	}
}
