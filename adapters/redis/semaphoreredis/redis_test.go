package semaphoreredis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/domain/semaphore"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

// TestQueueStateIsBounded looks inside Redis: the pool's own keys carry no expiry (a pool is configuration,
// removed by Delete), but its wait queue expires with its waiters.
func TestQueueStateIsBounded(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		cfg := DefaultConfig(tg.Prefix)
		cfg.WaiterLease = 100 * time.Millisecond
		s, err := New(tg.Client, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		take := func(queue bool) semaphore.Attempt {
			id, _ := semaphore.NewPermitID()
			a, err := s.Acquire(ctx, semaphore.Request{Pool: "p", ID: id, Weight: 1, TTL: time.Minute, Capacity: 1, Queue: queue})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if !take(false).Acquired || take(true).Acquired {
			t.Fatal("want the first permit granted and the second queued")
		}
		k := s.keys.pool("p")
		if ttl := tg.Client.PTTL(ctx, k[0]).Val(); ttl != -1 {
			t.Errorf("pool hash PTTL = %s, want no expiry", ttl)
		}
		for _, key := range k[3:] {
			if ttl := tg.Client.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 200*time.Millisecond {
				t.Errorf("PTTL %s = %s, want (0, 2 x waiter lease]", key, ttl)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for tg.Client.Exists(ctx, k[3], k[4]).Val() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("queue of a dead waiter still there after 5s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	s, err := New(c, DefaultConfig("down"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id, _ := semaphore.NewPermitID()
	_, err = s.Acquire(ctx, semaphore.Request{Pool: "p", ID: id, Weight: 1, TTL: time.Second, Capacity: 1})
	for what, err := range map[string]error{
		"Acquire": err,
		"Release": s.Release(ctx, "p", id),
		"Refresh": s.Refresh(ctx, "p", id, time.Second),
		"Stats":   func() error { _, err := s.Stats(ctx, "p"); return err }(),
		"Notify":  func() error { _, _, err := s.Notify(ctx, id); return err }(),
	} {
		if !errors.Is(err, ports.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", what, err)
		}
	}
}

// TestReleaseHandsOverInProcess: a release that grants permits to a waiter of the same process wakes it from
// the script's reply, publishing nothing on the process's channel; a waiter of another process is still
// woken over pub/sub.
func TestReleaseHandsOverInProcess(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		open := func() *Store {
			s, err := New(tg.Client, DefaultConfig(tg.Prefix), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		here, there := open(), open()
		request := func(id string, queue bool) semaphore.Request {
			return semaphore.Request{Pool: "handover", ID: id, Weight: 1, TTL: time.Minute, Capacity: 1, Queue: queue}
		}
		queue := func(s *Store, id string) <-chan semaphore.Wake {
			wakes, stop, err := s.Notify(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
			if a, err := s.Acquire(ctx, request(id, true)); err != nil || a.Acquired {
				t.Fatalf("%s: %+v, %v; want queued", id, a, err)
			}
			return wakes
		}
		holder, local, remote := newID(t), newID(t), newID(t)
		if a, err := here.Acquire(ctx, request(holder, false)); err != nil || !a.Acquired {
			t.Fatalf("holder: %+v, %v", a, err)
		}
		localWakes := queue(here, local)
		remoteWakes := queue(there, remote)
		published := tg.Client.Subscribe(ctx, here.hub.Channel(), there.hub.Channel())
		defer published.Close()
		for range 2 {
			if _, err := published.Receive(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := here.Release(ctx, "handover", holder); err != nil {
			t.Fatal(err)
		}
		if w := wait.Receive(t, 5*time.Second, "local waiter", localWakes); !w.Granted {
			t.Fatalf("local waiter woken with %+v", w)
		}
		wait.Nothing(t, 50*time.Millisecond, "a message on either channel", published.Channel())
		if err := here.Release(ctx, "handover", local); err != nil {
			t.Fatal(err)
		}
		if w := wait.Receive(t, 5*time.Second, "remote waiter", remoteWakes); !w.Granted {
			t.Fatalf("remote waiter woken with %+v", w)
		}
		msg := wait.Receive(t, 5*time.Second, "the remote waiter's message", published.Channel())
		if msg.Channel != there.hub.Channel() || msg.Payload != remote+" 1" {
			t.Errorf("published %q on %s, want %q on the remote process's channel", msg.Payload, msg.Channel, remote+" 1")
		}
	})
}

func newID(t *testing.T) string {
	t.Helper()
	id, err := semaphore.NewPermitID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
