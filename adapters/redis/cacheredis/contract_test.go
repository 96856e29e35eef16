package cacheredis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/cacheredis"
	"github.com/statekit/statekit/domain/cache"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{}) // the unreachable-Redis test provokes dial errors go-redis would print
	os.Exit(harness.Run(m))
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// env is one contract case's store on its own key prefix.
type env struct {
	ctx   context.Context
	store ports.Cache
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target) env {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return env{ctx: ctx, store: cacheredis.New(tg.Client, tg.Prefix), tg: tg}
}

func (e env) ref(key string) cache.Ref { return cache.Ref{Namespace: "users", Generation: 1, Key: key} }

// contract is the ports.Cache contract suite, observed through the port (and, where the contract speaks of
// TTLs, the keys' PTTL).
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"GetSetDelete", testGetSetDelete},
	{"GenerationsIsolate", testGenerationsIsolate},
	{"GenerationCreateAndBump", testGenerationCreateAndBump},
	{"GenerationNeverGoesBack", testGenerationNeverGoesBack},
	{"AcquireAndFill", testAcquireAndFill},
	{"AcquireSeen", testAcquireSeen},
	{"WriteBeatsLoad", testWriteBeatsLoad},
	{"Release", testRelease},
	{"OneLockHolder", testOneLockHolder},
	{"ConcurrentReads", testConcurrentReads},
	{"RejectsBadInput", testRejectsBadInput},
}

// TestCacheStoreContract runs every case on standalone Redis and on Redis Cluster, in parallel.
func TestCacheStoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func mustGet(t *testing.T, e env, ref cache.Ref, want []byte) {
	t.Helper()
	got, err := e.store.Get(e.ctx, ref)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get(%v) = %q, %v; want %q", ref, got, err, want)
	}
}

func mustMiss(t *testing.T, e env, ref cache.Ref) {
	t.Helper()
	if got, err := e.store.Get(e.ctx, ref); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("Get(%v) = %q, %v; want ErrMiss", ref, got, err)
	}
}

func pttl(t *testing.T, e env, key string) time.Duration {
	t.Helper()
	d, err := e.tg.Client.PTTL(e.ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testGetSetDelete(t *testing.T, e env) {
	ref := e.ref("42")
	mustMiss(t, e, ref)
	val := []byte("\x01\x00binary\x00value")
	if err := e.store.Set(e.ctx, ref, val, time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	mustGet(t, e, ref, val)
	if d := pttl(t, e, cacheredis.EntryKey(e.tg.Prefix, ref)); d <= 50*time.Second || d > time.Minute {
		t.Errorf("PTTL after Set(1m) = %s", d)
	}
	// Overwrite with a shorter TTL: the TTL follows the last write.
	if err := e.store.Set(e.ctx, ref, []byte("x"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	mustGet(t, e, ref, []byte("x"))
	if d := pttl(t, e, cacheredis.EntryKey(e.tg.Prefix, ref)); d <= 0 || d > 2*time.Second {
		t.Errorf("PTTL after Set(2s) = %s", d)
	}
	if err := e.store.Delete(e.ctx, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustMiss(t, e, ref)
	if err := e.store.Delete(e.ctx, ref); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
}

func testGenerationsIsolate(t *testing.T, e env) {
	old := e.ref("7")
	next := old
	next.Generation = 2
	other := old
	other.Namespace = "orders"
	if err := e.store.Set(e.ctx, old, []byte("old"), time.Minute); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, e, next)
	mustMiss(t, e, other)
	if err := e.store.Set(e.ctx, next, []byte("new"), time.Minute); err != nil {
		t.Fatal(err)
	}
	mustGet(t, e, old, []byte("old"))
	mustGet(t, e, next, []byte("new"))
}

func testGenerationCreateAndBump(t *testing.T, e env) {
	before := time.Now().Add(-time.Minute).UnixMilli()
	g1, err := e.store.Generation(e.ctx, "users")
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	if g1 < before {
		t.Errorf("created generation %d, want about the server time in ms (>= %d)", g1, before)
	}
	if again, err := e.store.Generation(e.ctx, "users"); err != nil || again != g1 {
		t.Errorf("Generation again = %d, %v; want %d", again, err, g1)
	}
	g2, err := e.store.BumpGeneration(e.ctx, "users")
	if err != nil || g2 <= g1 {
		t.Fatalf("BumpGeneration = %d, %v; want > %d", g2, err, g1)
	}
	g3, _ := e.store.BumpGeneration(e.ctx, "users")
	if g3 <= g2 {
		t.Errorf("second bump %d, want > %d", g3, g2)
	}
	if now, _ := e.store.Generation(e.ctx, "users"); now != g3 {
		t.Errorf("Generation after bumps = %d, want %d", now, g3)
	}
	if other, _ := e.store.Generation(e.ctx, "orders"); other == 0 {
		t.Error("another namespace has no generation")
	}
	// Bumping a namespace never read creates it above any time-based start.
	if g, err := e.store.BumpGeneration(e.ctx, "fresh-ns"); err != nil || g < before {
		t.Errorf("bump of a new namespace = %d, %v", g, err)
	}
}

// testGenerationNeverGoesBack: when the generation key is lost (evicted, deleted), the next generation is
// still above every one used before, so orphaned entries stay orphaned.
func testGenerationNeverGoesBack(t *testing.T, e env) {
	g1, err := e.store.BumpGeneration(e.ctx, "users")
	if err != nil {
		t.Fatal(err)
	}
	stale := cache.Ref{Namespace: "users", Generation: g1, Key: "1"}
	if err := e.store.Set(e.ctx, stale, []byte("orphan-to-be"), time.Minute); err != nil {
		t.Fatal(err)
	}
	g2, _ := e.store.BumpGeneration(e.ctx, "users")
	if err := e.tg.Client.Del(e.ctx, cacheredis.GenerationKey(e.tg.Prefix, "users")).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // the recreated generation is the server clock in ms
	g3, err := e.store.Generation(e.ctx, "users")
	if err != nil || g3 <= g1 || g3 == g2 && g2 == g1 {
		t.Fatalf("generation after loss = %d, %v; want above %d", g3, err, g1)
	}
	mustMiss(t, e, cache.Ref{Namespace: "users", Generation: g3, Key: "1"})
}

func testAcquireAndFill(t *testing.T, e env) {
	ref := e.ref("k")
	b, locked, err := e.store.Acquire(e.ctx, ref, "tok-a", 5*time.Second, nil)
	if err != nil || !locked || b != nil {
		t.Fatalf("first Acquire = %q, %v, %v; want the lock", b, locked, err)
	}
	if d := pttl(t, e, cacheredis.EntryKey(e.tg.Prefix, ref)+":lk"); d <= 0 || d > 5*time.Second {
		t.Errorf("lock PTTL = %s, want within 5s", d)
	}
	if b, locked, err := e.store.Acquire(e.ctx, ref, "tok-b", 5*time.Second, nil); err != nil || locked || b != nil {
		t.Fatalf("second Acquire = %q, %v, %v; want neither entry nor lock", b, locked, err)
	}
	if ok, err := e.store.Fill(e.ctx, ref, "tok-b", []byte("intruder"), time.Minute); err != nil || ok {
		t.Fatalf("Fill by a non-holder = %v, %v; want false", ok, err)
	}
	mustMiss(t, e, ref)
	if ok, err := e.store.Fill(e.ctx, ref, "tok-a", []byte("loaded"), time.Minute); err != nil || !ok {
		t.Fatalf("Fill by the holder = %v, %v; want true", ok, err)
	}
	mustGet(t, e, ref, []byte("loaded"))
	if d := pttl(t, e, cacheredis.EntryKey(e.tg.Prefix, ref)); d <= 50*time.Second {
		t.Errorf("PTTL after Fill(1m) = %s", d)
	}
	// The lock went with the fill: the next Acquire returns the entry.
	if b, locked, err := e.store.Acquire(e.ctx, ref, "tok-c", time.Second, nil); err != nil || locked || string(b) != "loaded" {
		t.Errorf("Acquire after Fill = %q, %v, %v; want the entry", b, locked, err)
	}
	// A second fill by the old holder (its lock is gone) stores nothing.
	if ok, _ := e.store.Fill(e.ctx, ref, "tok-a", []byte("again"), time.Minute); ok {
		t.Error("Fill after the lock was released stored")
	}
}

func testAcquireSeen(t *testing.T, e env) {
	ref := e.ref("s")
	stale := cache.Entry{Value: []byte("v1"), FreshUntil: time.UnixMilli(1000)}
	if err := e.store.Set(e.ctx, ref, stale.Encode(), time.Minute); err != nil {
		t.Fatal(err)
	}
	// The caller holds this very entry: it does not count, the lock is taken.
	if b, locked, err := e.store.Acquire(e.ctx, ref, "tok", time.Second, stale.Header()); err != nil || !locked || b != nil {
		t.Fatalf("Acquire(seen = stored) = %q, %v, %v; want the lock", b, locked, err)
	}
	// Someone else's caller, who saw an older entry, gets the current one.
	older := cache.Entry{Value: []byte("v0"), FreshUntil: time.UnixMilli(500)}
	if b, locked, err := e.store.Acquire(e.ctx, ref, "tok2", time.Second, older.Header()); err != nil || locked || !bytes.Equal(b, stale.Encode()) {
		t.Fatalf("Acquire(seen = older) = %q, %v, %v; want the stored entry", b, locked, err)
	}
	newer := cache.Entry{Value: []byte("v2"), FreshUntil: time.UnixMilli(2000)}
	if ok, err := e.store.Fill(e.ctx, ref, "tok", newer.Encode(), time.Minute); err != nil || !ok {
		t.Fatalf("Fill = %v, %v", ok, err)
	}
	if b, locked, _ := e.store.Acquire(e.ctx, ref, "tok3", time.Second, stale.Header()); locked || !bytes.Equal(b, newer.Encode()) {
		t.Errorf("Acquire(seen = replaced) = %q, %v; want the new entry", b, locked)
	}
}

// testWriteBeatsLoad: a Set or Delete while a load holds the lock makes the load's Fill store nothing.
func testWriteBeatsLoad(t *testing.T, e env) {
	ref := e.ref("w")
	if _, locked, _ := e.store.Acquire(e.ctx, ref, "loader", 5*time.Second, nil); !locked {
		t.Fatal("no lock")
	}
	if err := e.store.Set(e.ctx, ref, []byte("written"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.store.Fill(e.ctx, ref, "loader", []byte("loaded-before-the-write"), time.Minute); ok {
		t.Error("Fill after a Set stored")
	}
	mustGet(t, e, ref, []byte("written"))

	if _, locked, _ := e.store.Acquire(e.ctx, ref, "loader2", 5*time.Second, []byte("written")); !locked {
		t.Fatal("no lock for the second load")
	}
	if err := e.store.Delete(e.ctx, ref); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.store.Fill(e.ctx, ref, "loader2", []byte("loaded-before-the-delete"), time.Minute); ok {
		t.Error("Fill after a Delete stored")
	}
	mustMiss(t, e, ref)
}

func testRelease(t *testing.T, e env) {
	ref := e.ref("r")
	if _, locked, _ := e.store.Acquire(e.ctx, ref, "a", 5*time.Second, nil); !locked {
		t.Fatal("no lock")
	}
	if err := e.store.Release(e.ctx, ref, "b"); err != nil {
		t.Fatal(err)
	}
	if _, locked, _ := e.store.Acquire(e.ctx, ref, "b", 5*time.Second, nil); locked {
		t.Fatal("a non-holder's Release freed the lock")
	}
	if err := e.store.Release(e.ctx, ref, "a"); err != nil {
		t.Fatal(err)
	}
	if _, locked, _ := e.store.Acquire(e.ctx, ref, "b", 5*time.Second, nil); !locked {
		t.Error("the holder's Release did not free the lock")
	}
}

// testOneLockHolder: of 64 goroutines acquiring one missing entry at once, exactly one gets the lock.
func testOneLockHolder(t *testing.T, e env) {
	ref := e.ref("contended")
	var (
		wg      sync.WaitGroup
		holders atomic.Int32
		start   = make(chan struct{})
	)
	for i := range 64 {
		wg.Go(func() {
			<-start
			_, locked, err := e.store.Acquire(e.ctx, ref, string(rune('A'+i)), 5*time.Second, nil)
			if err != nil {
				t.Error(err)
			}
			if locked {
				holders.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := holders.Load(); n != 1 {
		t.Errorf("%d lock holders, want 1", n)
	}
}

// testConcurrentReads: 64 goroutines reading 100 entries at once (enough to be pipelined together) each get
// their own entry's bytes, and misses stay misses.
func testConcurrentReads(t *testing.T, e env) {
	const n = 100
	for i := range n {
		if err := e.store.Set(e.ctx, e.ref(fmt.Sprint("k", i)), []byte(fmt.Sprint("value-", i)), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for j := range n {
				i := (g + j) % n
				got, err := e.store.Get(e.ctx, e.ref(fmt.Sprint("k", i)))
				if err != nil || string(got) != fmt.Sprint("value-", i) {
					t.Errorf("Get(k%d) = %q, %v", i, got, err)
					return
				}
				if _, err := e.store.Get(e.ctx, e.ref(fmt.Sprint("missing", i))); !errors.Is(err, cache.ErrMiss) {
					t.Errorf("Get(missing%d) = %v, want ErrMiss", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func testRejectsBadInput(t *testing.T, e env) {
	bad := []cache.Ref{{Namespace: "a:b", Key: "k"}, {Namespace: "ns", Key: "k*"}, {Namespace: "ns", Key: "{k}"}, {Namespace: "", Key: "k"}}
	for _, ref := range bad {
		if _, err := e.store.Get(e.ctx, ref); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Get(%v) = %v, want ErrInvalid", ref, err)
		}
		if err := e.store.Set(e.ctx, ref, []byte("v"), time.Second); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Set(%v) = %v, want ErrInvalid", ref, err)
		}
		if _, _, err := e.store.Acquire(e.ctx, ref, "t", time.Second, nil); !errors.Is(err, cache.ErrInvalid) {
			t.Errorf("Acquire(%v) = %v, want ErrInvalid", ref, err)
		}
	}
	if _, err := e.store.BumpGeneration(e.ctx, "x*"); !errors.Is(err, cache.ErrInvalid) {
		t.Errorf("BumpGeneration(x*) = %v, want ErrInvalid", err)
	}
	if err := e.store.Set(e.ctx, e.ref("k"), []byte("v"), 0); !errors.Is(err, cache.ErrInvalid) {
		t.Errorf("Set with TTL 0 = %v, want ErrInvalid", err)
	}
	if n, _ := e.tg.Client.Keys(e.ctx, e.tg.Prefix+"*").Result(); len(n) != 0 && !e.tg.Cluster {
		t.Errorf("rejected input wrote keys %v", n)
	}
}

// TestUnreachableIsUnavailable: a Redis that cannot be reached surfaces as ports.ErrUnavailable.
func TestUnreachableIsUnavailable(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	s := cacheredis.New(c, "statekit")
	ctx := context.Background()
	ref := cache.Ref{Namespace: "ns", Generation: 1, Key: "k"}
	if _, err := s.Get(ctx, ref); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
	if _, err := s.Generation(ctx, "ns"); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Generation = %v, want ErrUnavailable", err)
	}
	if _, _, err := s.Acquire(ctx, ref, "t", time.Second, nil); !errors.Is(err, ports.ErrUnavailable) {
		t.Errorf("Acquire = %v, want ErrUnavailable", err)
	}
}
