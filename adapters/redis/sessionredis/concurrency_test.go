package sessionredis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
)

// TestConcurrentCreateRespectsCap checks "never more than MaxPerUser sessions per user" under contention: many
// goroutines create sessions for one user at once, and every session is either alive or reported evicted.
func TestConcurrentCreateRespectsCap(t *testing.T) {
	t.Parallel()
	clocks := []struct {
		name  string
		clock func() ports.Clock
	}{
		{"simulated", func() ports.Clock { return newFakeClock() }}, // every create in the same millisecond
		{"server", func() ports.Clock { return nil }},
	}
	for _, cl := range clocks {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) {
				concurrentCreate(t, tg, cl.clock())
			})
		})
	}
}

func concurrentCreate(t *testing.T, tg harness.Target, clock ports.Clock) {
	const goroutines = 64
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store := sessionredis.New(tg.Client, tg.Prefix, clock)
	p := session.Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 8 * time.Hour, MaxPerUser: 5}

	var (
		mu      sync.Mutex
		created = map[string]session.Token{}
		evicted []session.Ended
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for range goroutines {
		wg.Go(func() {
			tok, err := session.NewToken("alice")
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			sess, ended, err := store.Create(ctx, tok, session.NewSession{UserID: "alice", IP: "192.0.2.1"}, p)
			if err != nil {
				t.Errorf("Create: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			created[sess.ID] = tok
			evicted = append(evicted, ended...)
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}

	if len(created) != goroutines {
		t.Fatalf("created %d distinct sessions, want %d", len(created), goroutines)
	}
	gone := map[string]bool{}
	for _, e := range evicted {
		if e.Reason != session.EndEvicted || e.UserID != "alice" {
			t.Errorf("ended %+v, want reason evicted for alice", e)
		}
		if _, ok := created[e.SessionID]; !ok {
			t.Errorf("evicted %s, which no Create returned", e.SessionID)
		}
		if gone[e.SessionID] {
			t.Errorf("%s reported evicted twice", e.SessionID)
		}
		gone[e.SessionID] = true
	}

	list, ended, err := store.List(ctx, "alice")
	if err != nil || len(ended) != 0 {
		t.Fatalf("List = %v, %v", ended, err)
	}
	if len(list) != p.MaxPerUser {
		t.Errorf("List has %d sessions, want %d", len(list), p.MaxPerUser)
	}
	if n, err := tg.Client.ZCard(ctx, sessionredis.IndexKey(tg.Prefix, "alice")).Result(); err != nil || n != int64(p.MaxPerUser) {
		t.Errorf("ZCARD index = %d, %v; want %d", n, err, p.MaxPerUser)
	}
	// Accounting: every session is either alive or was reported evicted, never both, never neither.
	if len(list)+len(gone) != goroutines {
		t.Errorf("%d alive + %d reported evicted = %d, want %d created", len(list), len(gone), len(list)+len(gone), goroutines)
	}
	for _, s := range list {
		if gone[s.ID] {
			t.Errorf("%s is in the index but was reported evicted", s.ID)
		}
		if n, err := tg.Client.Exists(ctx, sessionredis.SessionKey(tg.Prefix, "alice", s.ID)).Result(); err != nil || n != 1 {
			t.Errorf("session %s is in the index but its hash EXISTS = %d, %v", s.ID, n, err)
		}
		if _, err := store.Touch(ctx, created[s.ID], p); err != nil {
			t.Errorf("Touch(alive %s): %v", s.ID, err)
		}
	}
	for id := range gone {
		if n, err := tg.Client.Exists(ctx, sessionredis.SessionKey(tg.Prefix, "alice", id)).Result(); err != nil || n != 0 {
			t.Errorf("evicted session %s: hash EXISTS = %d, %v; want 0", id, n, err)
		}
		if _, err := store.Touch(ctx, created[id], p); err == nil {
			t.Errorf("Touch(evicted %s) succeeded", id)
		}
	}
	// Creation order stays strict under contention: no two index entries share a score.
	scores, err := tg.Client.ZRangeWithScores(ctx, sessionredis.IndexKey(tg.Prefix, "alice"), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(scores); i++ {
		if scores[i].Score <= scores[i-1].Score {
			t.Errorf("index scores not strictly increasing: %v", scores)
		}
	}
}
