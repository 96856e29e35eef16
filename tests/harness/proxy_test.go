package harness_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func proxiedClient(t *testing.T, p *harness.Proxy, readTimeout time.Duration) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, ReadTimeout: readTimeout, PoolSize: 4})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestProxyForwardsBothWays: many goroutines' commands, pipelines and large values pass the proxy intact.
func TestProxyForwardsBothWays(t *testing.T) {
	srv := harness.NewServer(t)
	c := proxiedClient(t, harness.NewProxy(t, srv.Addr()), 10*time.Second)
	ctx := context.Background()
	big := make([]byte, 1<<16)
	for i := range big {
		big[i] = byte(i)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "k" + string(rune('a'+g))
			for range 20 {
				cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, key, big, 0)
					p.Get(ctx, key)
					p.HSet(ctx, key+"h", "f", "v")
					p.HGetAll(ctx, key+"h")
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if got := cmds[1].(*redis.StringCmd).Val(); got != string(big) {
					t.Error("value changed through the proxy")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestProxySwallowsReplies: a swallowed reply leaves the command applied and the client timing out; the
// replies of other commands, and of later ones, come through.
func TestProxySwallowsReplies(t *testing.T) {
	srv := harness.NewServer(t)
	p := harness.NewProxy(t, srv.Addr())
	c := proxiedClient(t, p, 200*time.Millisecond)
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	p.SwallowReplies("incr", 1)
	if err := c.Incr(ctx, "n").Err(); !isTimeout(err) {
		t.Fatalf("INCR with its reply swallowed: %v, want a timeout", err)
	}
	if n, err := c.Incr(ctx, "n").Result(); err != nil || n != 2 {
		t.Fatalf("next INCR: %d, %v; want 2 (the first one ran)", n, err)
	}
	p.SwallowAllFor(300 * time.Millisecond)
	if err := c.Set(ctx, "s", "1", 0).Err(); !isTimeout(err) {
		t.Fatalf("SET while every reply is swallowed: %v, want a timeout", err)
	}
	time.Sleep(300 * time.Millisecond)
	if v, err := c.Get(ctx, "s").Result(); err != nil || v != "1" {
		t.Fatalf("GET after the window: %q, %v; want 1", v, err)
	}
	if p.Swallowed() != 2 {
		t.Errorf("swallowed %d replies, want 2", p.Swallowed())
	}
}

// TestServerFreeze: a frozen server answers nothing until thawed, then answers again.
func TestServerFreeze(t *testing.T) {
	srv := harness.NewServer(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, ReadTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Freeze(t)
	if err := c.Ping(ctx).Err(); !isTimeout(err) {
		t.Fatalf("PING to a frozen server: %v, want a timeout", err)
	}
	srv.Thaw(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Thaw: %v", err)
	}
}
