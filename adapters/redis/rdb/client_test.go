package rdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/ports"
)

// TestEmbeddedExpiresInRealTime: keys in the embedded Redis expire as wall-clock time passes, with no
// one calling FastForward by hand.
func TestEmbeddedExpiresInRealTime(t *testing.T) {
	c, err := Connect(Config{KeyPrefix: "statekit"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Embedded() {
		t.Fatal("no URL: want the embedded Redis")
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Shared().Set(ctx, "k", "v", 200*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if n := c.Shared().Exists(ctx, "k").Val(); n != 1 {
		t.Fatalf("key missing right after SET")
	}
	deadline := time.Now().Add(3 * time.Second)
	for c.Shared().Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key with a 200 ms TTL still there after 3 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A second client reaches the same server.
	other := c.New()
	defer other.Close()
	if err := other.Set(ctx, "shared", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if c.Shared().Get(ctx, "shared").Val() != "1" {
		t.Error("second client wrote somewhere else")
	}
}

func TestWrapClassifiesFailures(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer down.Close()
	err := Wrap("ping", down.Ping(context.Background()).Err())
	if !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("connection refused: %v, want ErrUnavailable", err)
	}
	if err := Wrap("get", redis.Nil); errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("redis.Nil is a reply, not unavailability: %v", err)
	}
	bad := fmt.Errorf("stats: %w: want an integer", reply.ErrBadReply)
	if err := Wrap("stats", bad); errors.Is(err, ports.ErrUnavailable) || !errors.Is(err, reply.ErrBadReply) {
		t.Errorf("a reply of the wrong shape is not unavailability: %v", err)
	}
	if Wrap("x", nil) != nil {
		t.Error("Wrap(nil) != nil")
	}
}

// TestClientsNeverResend: every client the Connector makes, standalone or cluster, tuned or not, sends a
// command once (no retries, and on a cluster no redirect loop, which also resends timed-out commands).
func TestClientsNeverResend(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, url := range []string{"redis://127.0.0.1:1", "redis+cluster://127.0.0.1:1,127.0.0.1:2"} {
		c, err := Connect(Config{URL: url, KeyPrefix: "statekit"}, log)
		if err != nil {
			t.Fatal(err)
		}
		tuned := c.NewTuned(func(o *redis.UniversalOptions) { o.MaxRetries = 5; o.MaxRedirects = 8 })
		for i, cl := range []redis.UniversalClient{c.Shared(), c.New(), tuned} {
			switch cl := cl.(type) {
			case *redis.Client:
				if n := cl.Options().MaxRetries; n != 0 {
					t.Errorf("%s client %d: MaxRetries %d after init, want 0 (none)", url, i, n)
				}
			case *redis.ClusterClient:
				if o := cl.Options(); o.MaxRetries != -1 || o.MaxRedirects != 0 {
					t.Errorf("%s client %d: MaxRetries %d, MaxRedirects %d; want -1 and 0", url, i, o.MaxRetries, o.MaxRedirects)
				}
			default:
				t.Errorf("%s client %d: unexpected type %T", url, i, cl)
			}
			_ = cl.Close()
		}
	}
}
