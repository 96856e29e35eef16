package harness_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

var prefixRE = regexp.MustCompile(`^t[0-9a-f]{12}$`)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestStandaloneSetGet(t *testing.T) {
	t.Parallel()
	a, b := harness.Standalone(t), harness.Standalone(t)
	if a.Cluster || len(a.Addrs) != 1 {
		t.Fatalf("unexpected target %+v", a)
	}
	if !prefixRE.MatchString(a.Prefix) || a.Prefix == b.Prefix {
		t.Fatalf("bad prefixes %q, %q", a.Prefix, b.Prefix)
	}
	if a.Addrs[0] != b.Addrs[0] {
		t.Fatalf("standalone server not shared: %v vs %v", a.Addrs, b.Addrs)
	}
	c := ctx(t)
	key := a.Prefix + ":k"
	if err := a.Client.Set(c, key, "v1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := a.Client.Get(c, key).Result(); err != nil || v != "v1" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	// The other target sees the same server but its own prefix is untouched.
	if v, err := b.Client.Get(c, key).Result(); err != nil || v != "v1" {
		t.Fatalf("GET via second client = %q, %v", v, err)
	}
	if n, err := b.Client.Exists(c, b.Prefix+":k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS other prefix = %d, %v", n, err)
	}
}

// TestOpenSharesTheStandaloneServer checks the Target that Examples use: the shared server, its own prefix,
// and a client the caller owns.
func TestOpenSharesTheStandaloneServer(t *testing.T) {
	t.Parallel()
	want := harness.Standalone(t)
	got, err := harness.Open()
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { _ = got.Client.Close() })
	if got.Cluster || len(got.Addrs) != 1 || got.Addrs[0] != want.Addrs[0] {
		t.Fatalf("Open() = %+v, want the shared server %v", got, want.Addrs)
	}
	if !prefixRE.MatchString(got.Prefix) || got.Prefix == want.Prefix {
		t.Fatalf("Open() prefix = %q (other %q)", got.Prefix, want.Prefix)
	}
	c := ctx(t)
	if err := got.Client.Set(c, got.Prefix+":k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := want.Client.Get(c, got.Prefix+":k").Result(); err != nil || v != "v" {
		t.Fatalf("GET through Standalone's client = %q, %v", v, err)
	}
}

func TestClusterKeysAcrossSlots(t *testing.T) {
	t.Parallel()
	tg := harness.Cluster(t)
	if !tg.Cluster || len(tg.Addrs) != 3 {
		t.Fatalf("unexpected target %+v", tg)
	}
	cc, ok := tg.Client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("Client is %T, want *redis.ClusterClient", tg.Client)
	}
	c := ctx(t)
	slots := map[int64]bool{}
	for i := range 100 {
		key := fmt.Sprintf("%s:key:%d", tg.Prefix, i)
		if err := cc.Set(c, key, i, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		slot, err := cc.ClusterKeySlot(c, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		slots[slot] = true
	}
	for i := range 100 {
		key := fmt.Sprintf("%s:key:%d", tg.Prefix, i)
		if v, err := cc.Get(c, key).Int(); err != nil || v != i {
			t.Fatalf("GET %s = %d, %v", key, v, err)
		}
	}
	if len(slots) < 50 {
		t.Fatalf("keys landed in only %d slots", len(slots))
	}
	// Every master must own some of the keys.
	var masters atomic.Int32
	err := cc.ForEachMaster(c, func(c context.Context, m *redis.Client) error {
		n, err := m.DBSize(c).Result()
		if err == nil && n > 0 {
			masters.Add(1)
		}
		return err
	})
	if err != nil || masters.Load() != 3 {
		t.Fatalf("masters holding keys = %d, %v", masters.Load(), err)
	}
}

func TestClusterLuaSameHashTag(t *testing.T) {
	t.Parallel()
	tg := harness.Cluster(t)
	c := ctx(t)
	k1 := "{" + tg.Prefix + "}:a"
	k2 := "{" + tg.Prefix + "}:b"
	script := redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('GET', KEYS[1]) .. redis.call('GET', KEYS[2])`)
	got, err := script.Run(c, tg.Client, []string{k1, k2}, "x", "y").Text()
	if err != nil || got != "xy" {
		t.Fatalf("script = %q, %v", got, err)
	}
	if v, err := tg.Client.Get(c, k2).Result(); err != nil || v != "y" {
		t.Fatalf("GET %s = %q, %v", k2, v, err)
	}
	// Without a shared hash tag the cluster must refuse a cross-slot script.
	err = script.Run(c, tg.Client, []string{tg.Prefix + ":a", tg.Prefix + ":b"}, "x", "y").Err()
	if err == nil {
		t.Fatal("cross-slot script unexpectedly succeeded")
	}
}

func TestEach(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		c := ctx(t)
		key := tg.Prefix + ":each"
		if err := tg.Client.Incr(c, key).Err(); err != nil {
			t.Fatal(err)
		}
		if err := tg.Client.Expire(c, key, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := tg.Client.Get(c, key).Int(); err != nil || n != 1 {
			t.Fatalf("GET = %d, %v", n, err)
		}
		if want := t.Name() == "TestEach/cluster"; tg.Cluster != want {
			t.Fatalf("%s: Cluster = %v", t.Name(), tg.Cluster)
		}
	})
}

func TestServerStopStart(t *testing.T) {
	t.Parallel()
	s := harness.NewServer(t)
	if s.URL() != "redis://"+s.Addr() {
		t.Fatalf("URL %q does not match Addr %q", s.URL(), s.Addr())
	}
	cl := s.Client(t)
	c := ctx(t)
	if err := cl.Set(c, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()

	s.Stop(t)
	s.Stop(t) // idempotent
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("server still accepts connections after Stop")
	}

	s.Start(t)
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
	}
	// The old client reconnects, and a new one works too. No persistence is
	// configured, so the data is gone.
	if err := cl.Set(c, "k", "after", 0).Err(); err != nil {
		t.Fatalf("SET after restart via old client: %v", err)
	}
	opts, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	cl2 := redis.NewClient(opts)
	defer cl2.Close()
	if v, err := cl2.Get(c, "k").Result(); err != nil || v != "after" {
		t.Fatalf("GET after restart = %q, %v", v, err)
	}

	// A second full cycle keeps working.
	s.Stop(t)
	s.Start(t)
	if err := s.Client(t).Ping(c).Err(); err != nil {
		t.Fatalf("PING after second restart: %v", err)
	}
}

func TestServerExtraArgs(t *testing.T) {
	t.Parallel()
	s := harness.NewServer(t, "--maxmemory", "12mb")
	got, err := s.Client(t).ConfigGet(ctx(t), "maxmemory").Result()
	if err != nil || got["maxmemory"] != "12582912" {
		t.Fatalf("CONFIG GET maxmemory = %v, %v", got, err)
	}
}
