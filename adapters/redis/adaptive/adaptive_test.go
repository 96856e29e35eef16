package adaptive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
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

// echo spends a little Redis time, so concurrent calls overlap, and answers its key and argument.
var echo = redis.NewScript(`local n = 0 for i = 1, 5000 do n = n + i end return {KEYS[1], ARGV[1]}`)

func newClient(t *testing.T, tg harness.Target) (*redis.Client, *counter) {
	c := redis.NewClient(&redis.Options{Addr: tg.Addrs[0], PoolSize: 64})
	t.Cleanup(func() { _ = c.Close() })
	n := &counter{}
	c.AddHook(n)
	return c, n
}

// TestRunnerCoalescesOnlyConcurrentCalls: a lone caller's calls go one by one; 16 callers at once share
// pipelines, and every caller gets the answer to its own call.
func TestRunnerCoalescesOnlyConcurrentCalls(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	for _, pipelined := range []bool{false, true} {
		c, n := newClient(t, tg)
		r, err := New(c, Pipelined(pipelined))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := r.Run(ctx, echo, []string{tg.Prefix + "k"}, i).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if n.piped.Load() != 0 || n.alone.Load() < 5 {
			t.Errorf("pipelined=%v: %d sequential calls pipelined, %d sent alone; want all alone", pipelined, n.piped.Load(), n.alone.Load())
		}
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range 50 {
					key, arg := fmt.Sprintf("%sk%d", tg.Prefix, g), fmt.Sprint(i)
					got, err := r.Run(ctx, echo, []string{key}, arg).StringSlice()
					if err != nil || len(got) != 2 || got[0] != key || got[1] != arg {
						t.Errorf("caller %d call %d: %v, %v; want [%s %s]", g, i, got, err, key, arg)
						return
					}
				}
			})
		}
		wg.Wait()
		if got := n.piped.Load(); pipelined && got == 0 || !pipelined && got != 0 {
			t.Errorf("pipelined=%v: %d of 800 concurrent calls pipelined", pipelined, got)
		}
		r.Close()
		if r.Client() != redis.UniversalClient(c) {
			t.Error("Client() is not the runner's client")
		}
	}
}

// TestRunnerReloadsFlushedScripts: after SCRIPT FLUSH, calls in a pipeline that answer NOSCRIPT are sent
// again as EVAL, and every one succeeds once.
func TestRunnerReloadsFlushedScripts(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	c, _ := newClient(t, tg)
	r, err := New(c, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	incr := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
	key := tg.Prefix + "count"
	for round := range 3 {
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				if err := r.Run(ctx, incr, []string{key}).Err(); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, err := c.Get(ctx, key).Int(); err != nil || n != 32*(round+1) {
			t.Fatalf("round %d: count %d, %v; want %d", round, n, err, 32*(round+1))
		}
	}
}

// TestRunnerGuardRefuses: a guard that refuses a round trip fails every call of it with its error, and
// nothing reaches Redis.
func TestRunnerGuardRefuses(t *testing.T) {
	tg := harness.Standalone(t)
	c, n := newClient(t, tg)
	refusal := errors.New("refused")
	cfg := DefaultConfig()
	cfg.Guard = func(func() []*redis.Cmd) error { return refusal }
	r, err := New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := r.Run(context.Background(), echo, []string{tg.Prefix + "k"}, 1).Err(); !errors.Is(err, refusal) {
				t.Errorf("call: %v, want the refusal", err)
			}
		})
	}
	wg.Wait()
	if n.alone.Load()+n.piped.Load() != 0 {
		t.Errorf("%d scripts reached Redis past a refusing guard", n.alone.Load()+n.piped.Load())
	}
}

// TestRunnerReturnsWhenTheCallerGivesUp: a caller whose context ends while its call waits behind a busy
// pipeline gets its context's error at once, and its call is never sent.
func TestRunnerReturnsWhenTheCallerGivesUp(t *testing.T) {
	tg := harness.Standalone(t)
	c, _ := newClient(t, tg)
	cfg := DefaultConfig()
	cfg.MaxPipelines = 1
	r, err := New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	slow := redis.NewScript(`local t = redis.call('TIME') local s = t[1] * 1000000 + t[2]
		repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 300000 return 1`)
	incr := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
	busy := make(chan error, 1)
	go func() { busy <- r.Run(context.Background(), slow, []string{tg.Prefix + "slow"}).Err() }()
	time.Sleep(50 * time.Millisecond) // the slow call holds the only pipeline slot

	// Two callers queue behind it and give up; together they would go out as one pipeline.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			err := r.Run(ctx, incr, []string{tg.Prefix + "late"}).Err()
			if !errors.Is(err, context.Canceled) || time.Since(start) > 200*time.Millisecond {
				t.Errorf("after %s: %v; want the cancellation before the slow call ends", time.Since(start), err)
			}
		})
	}
	wg.Wait()
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	r.Close() // whatever was still queued has been sent (or dropped) by now
	if n, err := c.Exists(context.Background(), tg.Prefix+"late").Result(); err != nil || n != 0 {
		t.Errorf("the abandoned call ran: exists=%d, %v", n, err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	for name, c := range map[string]Config{
		"no batch":     {MaxBatch: 0, MaxPipelines: 1, Timeout: time.Second},
		"no pipelines": {MaxBatch: 1, MaxPipelines: 0, Timeout: time.Second},
		"long window":  {MaxBatch: 1, MaxPipelines: 1, Window: time.Second, Timeout: time.Second},
		"no timeout":   {MaxBatch: 1, MaxPipelines: 1},
	} {
		if c.Validate() == nil {
			t.Errorf("%s: valid", name)
		}
		if _, err := New(nil, c); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// TestRunFirstGoesAheadOfQueuedCalls: while the only pipeline is in flight, calls queue; one made with
// RunFirst is sent ahead of those queued before it, and Redis runs it first.
func TestRunFirstGoesAheadOfQueuedCalls(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	c, _ := newClient(t, tg)
	inFlight, letGo := make(chan struct{}), make(chan struct{})
	var rounds atomic.Int32
	cfg := DefaultConfig()
	cfg.MaxPipelines = 1
	cfg.Guard = func(roundTrip func() []*redis.Cmd) error {
		if rounds.Add(1) == 1 { // the first round trip stays in flight until the test lets it go
			close(inFlight)
			<-letGo
		}
		roundTrip()
		return nil
	}
	r, err := New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	list := tg.Prefix + "order"
	push := redis.NewScript(`return redis.call('RPUSH', KEYS[1], ARGV[1])`)
	var wg sync.WaitGroup
	run := func(first bool, tag string) {
		wg.Go(func() {
			call := r.Run
			if first {
				call = r.RunFirst
			}
			if err := call(ctx, push, []string{list}, tag).Err(); err != nil {
				t.Error(err)
			}
		})
	}
	queued := func(n int) {
		t.Helper()
		wait.Until(t, 5*time.Second, time.Millisecond, fmt.Sprintf("%d calls queued", n), func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return len(r.queue) == n
		})
	}
	run(false, "in flight")
	<-inFlight
	run(false, "a")
	queued(1)
	run(false, "b")
	queued(2)
	run(true, "first")
	queued(3)
	close(letGo)
	wg.Wait()
	got, err := c.LRange(ctx, list, 0, -1).Result()
	if want := []string{"in flight", "first", "a", "b"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("order %q, %v; want %q", got, err, want)
	}
}

// TestYieldLetsReadyCallersJoinTheBatch: on one processor, a goroutine that is ready to run but has not run
// yet (as a caller just answered by a pipeline is) makes its call before a yielding flusher takes its batch,
// so both calls share one pipeline; without Yield the flusher sends its own call alone.
func TestYieldLetsReadyCallersJoinTheBatch(t *testing.T) {
	tg := harness.Standalone(t)
	ctx := context.Background()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, yield := range []bool{true, false} {
		c, _ := newClient(t, tg)
		var mu sync.Mutex
		var sizes []int
		cfg := DefaultConfig()
		cfg.MaxPipelines, cfg.Yield = 1, yield
		cfg.Observe = func(n int) {
			mu.Lock()
			sizes = append(sizes, n)
			mu.Unlock()
		}
		r, err := New(c, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { // ready, but it runs only when this goroutine lets go of the processor
			if err := r.Run(ctx, echo, []string{tg.Prefix + "k"}, "ready").Err(); err != nil {
				t.Error(err)
			}
		})
		if err := r.Run(ctx, echo, []string{tg.Prefix + "k"}, "flusher").Err(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		r.Close()
		mu.Lock()
		want := []int{2}
		if !yield {
			want = []int{1, 1}
		}
		if !slices.Equal(sizes, want) {
			t.Errorf("yield=%v: batch sizes %v, want %v", yield, sizes, want)
		}
		mu.Unlock()
	}
}
