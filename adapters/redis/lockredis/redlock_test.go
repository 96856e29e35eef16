package lockredis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestRedlockSurvivesOneMasterDown runs Redlock over three independent redis-server processes: a lock held
// while one master is stopped stays held and can be extended and released (two of three is a quorum); new
// locks are still granted; with a second master down nothing can be granted (and the failure says Redis is
// unavailable, not that someone holds the lock).
func TestRedlockSurvivesOneMasterDown(t *testing.T) {
	t.Parallel()
	servers := []*harness.Server{harness.NewServer(t), harness.NewServer(t), harness.NewServer(t)}
	cfg := lockredis.DefaultConfig(harness.NewPrefix())
	for _, s := range servers {
		cfg.RedlockURLs = append(cfg.RedlockURLs, s.URL())
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rl, clients, err := lockredis.OpenRedlock(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rl.Close()
		for _, c := range clients {
			_ = c.Close()
		}
	})
	ctx := context.Background()
	take := func(name string) (string, lock.Attempt, error) {
		tok := token(t)
		a, err := rl.Acquire(ctx, lock.Request{Names: []string{name}, Token: tok, Mode: lock.Exclusive, TTL: 10 * time.Second})
		return tok, a, err
	}

	holder, a, err := take("job")
	if err != nil || !a.Acquired || a.Fences[0] <= 0 {
		t.Fatalf("all masters up: %+v, %v", a, err)
	}
	// Every master granted it.
	for i, s := range servers {
		if v := s.Client(t).Get(ctx, cfg.Prefix+":lock:{job}").Val(); v != holder {
			t.Errorf("master %d holds %q, want the holder's token", i, v)
		}
	}
	if _, a, err := take("job"); err != nil || a.Acquired {
		t.Fatalf("second owner while held: %+v, %v; want refused", a, err)
	}

	servers[1].Stop(t) // mid-test: the lock is held
	if err := rl.Extend(ctx, []string{"job"}, holder, 10*time.Second); err != nil {
		t.Errorf("Extend with one master down: %v", err)
	}
	if st, err := rl.Inspect(ctx, "job"); err != nil || !st.Held {
		t.Errorf("Inspect with one master down: %+v, %v", st, err)
	}
	if _, a, err := take("job"); err != nil || a.Acquired {
		t.Errorf("second owner with one master down: %+v, %v; want refused", a, err)
	}
	if err := rl.Release(ctx, []string{"job"}, holder); err != nil {
		t.Errorf("Release with one master down: %v", err)
	}
	next, a, err := take("job")
	if err != nil || !a.Acquired {
		t.Fatalf("acquire with one master down: %+v, %v", a, err)
	}
	if err := rl.Release(ctx, []string{"job"}, next); err != nil {
		t.Fatal(err)
	}

	servers[2].Stop(t)
	_, a, err = take("job")
	if a.Acquired || !errors.Is(err, ports.ErrUnavailable) {
		t.Fatalf("acquire with two of three masters down: %+v, %v; want not acquired, ErrUnavailable", a, err)
	}
	// What the one live master granted during the failed attempt was undone.
	if n := servers[0].Client(t).Exists(ctx, cfg.Prefix+":lock:{job}").Val(); n != 0 {
		t.Errorf("the live master still holds the failed attempt's lock")
	}

	servers[1].Start(t)
	if _, a, err := take("job"); err != nil || !a.Acquired {
		t.Errorf("acquire after a master came back: %+v, %v", a, err)
	}
}

// TestRedlockRefusesTooFewMasters: Redlock needs at least three independent masters.
func TestRedlockRefusesTooFewMasters(t *testing.T) {
	cfg := lockredis.DefaultConfig("p")
	cfg.RedlockURLs = []string{"redis://127.0.0.1:1", "redis://127.0.0.1:2"}
	if err := cfg.Validate(); err == nil {
		t.Error("two masters accepted")
	}
	cfg.RedlockURLs = []string{"redis://a:1", "redis://b:1", "redis+cluster://c:1,d:1"}
	if err := cfg.Validate(); err == nil {
		t.Error("a cluster accepted as a Redlock master")
	}
}
