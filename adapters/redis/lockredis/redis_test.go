package lockredis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

// These tests look inside Redis: the key layout and how it stays bounded, beyond what the port promises.

func testStore(t *testing.T, tg harness.Target, tune ...func(*Config)) *Store {
	t.Helper()
	cfg := DefaultConfig(tg.Prefix)
	for _, f := range tune {
		f(&cfg)
	}
	s, err := New(tg.Client, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustToken(t *testing.T) string {
	t.Helper()
	tok, err := lock.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustTake(t *testing.T, ctx context.Context, s *Store, r lock.Request) []int64 {
	t.Helper()
	a, err := s.Acquire(ctx, r)
	if err != nil || !a.Acquired {
		t.Fatalf("Acquire(%v): %+v, %v", r.Names, a, err)
	}
	return a.Fences
}

// TestFenceStateIsBounded: an idle lock leaves only its fence key, which expires after the retention
// (Redisson #6510: per-name fencing state must not pile up); fences of consecutive grants increase; and a
// fence issued after that state is gone is still larger than every earlier one, because the count restarts
// from the Redis clock in µs and never gained more than one per grant.
func TestFenceStateIsBounded(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		s := testStore(t, tg, func(c *Config) { c.FenceRetention = 3 * time.Second })
		var first int64
		for i := range 50 {
			tok := mustToken(t)
			f := mustTake(t, ctx, s, lock.Request{Names: []string{"idle"}, Token: tok, Mode: lock.Exclusive, TTL: time.Second})[0]
			if f <= first {
				t.Fatalf("grant %d: fence %d, want > %d", i, f, first)
			}
			first = f
			if err := s.Release(ctx, []string{"idle"}, tok); err != nil {
				t.Fatal(err)
			}
		}
		keys := s.keys.lockKeys(nil, "idle")
		for i, k := range keys {
			n, err := tg.Client.Exists(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(map[bool]int{true: 1}[i == 2]); n != want {
				t.Errorf("after release, EXISTS %s = %d, want %d (only the fence key stays)", k, n, want)
			}
		}
		ttl, err := tg.Client.PTTL(ctx, keys[2]).Result()
		if err != nil || ttl <= 0 || ttl > 3*time.Second {
			t.Errorf("fence key PTTL = %s, %v; want (0, 3s]", ttl, err)
		}
		// The fence key gone (expired, or lost in a failover): the next fence still increases.
		if err := tg.Client.Del(ctx, keys[2]).Err(); err != nil {
			t.Fatal(err)
		}
		next := mustTake(t, ctx, s, lock.Request{Names: []string{"idle"}, Token: mustToken(t), Mode: lock.Exclusive, TTL: time.Second})[0]
		if next <= first {
			t.Errorf("fence after the fence state was lost = %d, want > %d", next, first)
		}
	})
}

// TestQueueStateIsBounded: a wait queue whose waiters all died expires by itself.
func TestQueueStateIsBounded(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		s := testStore(t, tg, func(c *Config) { c.WaiterLease = 100 * time.Millisecond })
		holder := mustToken(t)
		mustTake(t, ctx, s, lock.Request{Names: []string{"crowd"}, Token: holder, Mode: lock.Exclusive, TTL: time.Minute})
		for i := 0; i < 3; i++ {
			a, err := s.Acquire(ctx, lock.Request{Names: []string{"crowd"}, Token: mustToken(t), Mode: lock.Exclusive, TTL: time.Minute, Queue: true})
			if err != nil || a.Acquired || a.RetryIn > 100*time.Millisecond/3 {
				t.Fatalf("queue: %+v, %v; want queued with a look-again within a third of the waiter lease", a, err)
			}
		}
		keys := s.keys.lockKeys(nil, "crowd")
		for _, k := range keys[3:] {
			if ttl, err := tg.Client.PTTL(ctx, k).Result(); err != nil || ttl <= 0 || ttl > 200*time.Millisecond {
				t.Errorf("PTTL %s = %s, %v; want (0, 2 x waiter lease]", k, ttl, err)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for tg.Client.Exists(ctx, keys[3], keys[4]).Val() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("queue of dead waiters still there after 5s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestWriterBehindReadersKeepsItsPlace: a hand-over that finds a writer at the head while readers still
// hold the lock leaves the writer first in a queue that still expires by itself; the last reader's release
// hands the lock to the writer, in the reply when the writer waits in this process.
func TestWriterBehindReadersKeepsItsPlace(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		s := testStore(t, tg)
		r1, r2, w := mustToken(t), mustToken(t), mustToken(t)
		for _, r := range []string{r1, r2} {
			mustTake(t, ctx, s, lock.Request{Names: []string{"rw"}, Token: r, Mode: lock.Shared, TTL: time.Minute})
		}
		wakes, stop, err := s.Notify(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if a, err := s.Acquire(ctx, lock.Request{Names: []string{"rw"}, Token: w, Mode: lock.Exclusive, TTL: time.Minute, Queue: true}); err != nil || a.Acquired {
			t.Fatalf("writer: %+v, %v; want queued", a, err)
		}
		if err := s.Release(ctx, []string{"rw"}, r1); err != nil {
			t.Fatal(err)
		}
		keys := s.keys.lockKeys(nil, "rw")
		if head, err := tg.Client.LIndex(ctx, keys[3], 0).Result(); err != nil || head != w {
			t.Errorf("queue head = %q, %v; want the writer", head, err)
		}
		if ttl, err := tg.Client.PTTL(ctx, keys[3]).Result(); err != nil || ttl <= 0 {
			t.Errorf("queue PTTL = %s, %v; want an expiry", ttl, err)
		}
		wait.Nothing(t, 50*time.Millisecond, "writer while a reader holds", wakes)
		published := tg.Client.Subscribe(ctx, s.hub.Channel())
		defer published.Close()
		if _, err := published.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, []string{"rw"}, r2); err != nil {
			t.Fatal(err)
		}
		got := wait.Receive(t, 5*time.Second, "writer", wakes)
		wait.Nothing(t, 50*time.Millisecond, "a message on the process's channel", published.Channel())
		st, err := s.Inspect(ctx, "rw")
		if err != nil || !got.Granted || got.Name != "rw" || st.Mode != lock.Exclusive || got.Fence != st.Fence {
			t.Errorf("writer woken with %+v, lock state %+v, %v; want the exclusive lock and its fence", got, st, err)
		}
	})
}

// TestDeadWaiterIsSkipped: a hand-over skips a queued waiter that stopped looking again.
func TestDeadWaiterIsSkipped(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := context.Background()
		s := testStore(t, tg, func(c *Config) { c.WaiterLease = 80 * time.Millisecond })
		holder, dead, live := mustToken(t), mustToken(t), mustToken(t)
		mustTake(t, ctx, s, lock.Request{Names: []string{"skip"}, Token: holder, Mode: lock.Exclusive, TTL: time.Minute})
		queue := func(tok string) lock.Attempt {
			a, err := s.Acquire(ctx, lock.Request{Names: []string{"skip"}, Token: tok, Mode: lock.Exclusive, TTL: time.Minute, Queue: true})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		queue(dead)
		wakes, stop, err := s.Notify(ctx, live)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		// The live waiter keeps looking again; the dead one does not, and its entry lapses.
		deadline := time.Now().Add(5 * time.Second)
		for {
			queue(live)
			st, err := s.Inspect(ctx, "skip")
			if err != nil {
				t.Fatal(err)
			}
			if st.Waiters == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("dead waiter still counted after 5s: %+v", st)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := s.Release(ctx, []string{"skip"}, holder); err != nil {
			t.Fatal(err)
		}
		select {
		case w := <-wakes:
			if !w.Granted || w.Name != "skip" {
				t.Fatalf("live waiter woken with %+v", w)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the live waiter was not handed the lock")
		}
		if err := s.Release(ctx, []string{"skip"}, dead); err == nil {
			t.Error("the dead waiter holds the lock")
		}
	})
}

// TestSlotOfMatchesRedis: the client-side slot computation agrees with CLUSTER KEYSLOT on the lock keys.
func TestSlotOfMatchesRedis(t *testing.T) {
	tg := harness.Cluster(t)
	ctx := context.Background()
	for _, name := range []string{"a", "orders.42", "user@example.com", "x-y_z", strings.Repeat("n", 128)} {
		for _, k := range newKeys("p").lockKeys(nil, name) {
			want, err := tg.Client.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if got := slotOf(name); int64(got) != want {
				t.Errorf("slotOf(%q) = %d, CLUSTER KEYSLOT %s = %d", name, got, k, want)
			}
		}
	}
}

// sameSlot returns n names that share one hash slot.
func sameSlot(n int) []string {
	bySlot := map[int][]string{}
	for i := 0; ; i++ {
		name := fmt.Sprintf("item.%d", i)
		s := slotOf(name)
		bySlot[s] = append(bySlot[s], name)
		if len(bySlot[s]) == n {
			return bySlot[s]
		}
	}
}

func TestGroupBySlot(t *testing.T) {
	names := []string{"d", "b", "a", "c"}
	if g := groupBySlot(names, false); len(g) != 1 || len(g[0]) != 4 {
		t.Errorf("single node: %v, want one group of all names", g)
	}
	same := sameSlot(3)
	if g := groupBySlot(same, true); len(g) != 1 {
		t.Errorf("names of one slot on a cluster: %v groups, want 1", g)
	}
	g := groupBySlot(names, true)
	var order []string
	seen := 0
	for _, grp := range g {
		seen += len(grp)
		order = append(order, names[grp[0]])
		for _, i := range grp[1:] {
			if slotOf(names[i]) != slotOf(names[grp[0]]) {
				t.Errorf("group %v mixes slots", grp)
			}
		}
	}
	if seen != len(names) || !slices.IsSorted(order) {
		t.Errorf("groups %v: want every name once, groups ordered by their first name", g)
	}
}

// TestMultiLockOneSlotOneScript: on a cluster, names sharing a slot are taken by one script (a script with
// keys of several slots would fail with CROSSSLOT), and names across slots are taken slot by slot.
func TestMultiLockOneSlotOneScript(t *testing.T) {
	tg := harness.Cluster(t)
	ctx := context.Background()
	s := testStore(t, tg)
	same := sameSlot(3)
	tok := mustToken(t)
	mustTake(t, ctx, s, lock.Request{Names: same, Token: tok, Mode: lock.Exclusive, TTL: time.Minute})
	// The same keys in one script, straight: proves they are one slot's.
	keys := s.groupKeys(same, []int{0, 1, 2})
	if err := releaseScript.Run(ctx, tg.Client, keys, tok, 1000, 0).Err(); err != nil {
		t.Fatalf("one script over the group: %v", err)
	}
	mixed := []string{same[0], "elsewhere.1", "elsewhere.2"}
	if err := releaseScript.Run(ctx, tg.Client, s.groupKeys(mixed, []int{0, 1, 2}), tok, 1000, 0).Err(); err == nil ||
		!strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("keys of several slots in one script: %v, want CROSSSLOT (the grouping is what makes multi-locks work)", err)
	}
	mustTake(t, ctx, s, lock.Request{Names: mixed, Token: mustToken(t), Mode: lock.Exclusive, TTL: time.Minute})
}

// TestUnreachable: a store whose Redis is down answers ports.ErrUnavailable.
func TestUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	s, err := New(c, DefaultConfig("down"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	_, err = s.Acquire(ctx, lock.Request{Names: []string{"a"}, Token: mustToken(t), Mode: lock.Exclusive, TTL: time.Second})
	wantUnavailable(t, "Acquire", err)
	_, _, err = s.Notify(ctx, mustToken(t))
	wantUnavailable(t, "Notify", err)
	wantUnavailable(t, "Release", s.Release(ctx, []string{"a"}, mustToken(t)))
	_, err = s.Inspect(ctx, "a")
	wantUnavailable(t, "Inspect", err)
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("%s with Redis down: %v, want ports.ErrUnavailable", what, err)
	}
}
