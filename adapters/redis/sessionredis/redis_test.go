package sessionredis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/tests/harness"
)

// These tests look inside Redis: what the Redis store writes, beyond what the port promises.

// scanKeys returns every key matching pattern, on every master of a cluster.
func scanKeys(t *testing.T, ctx context.Context, tg harness.Target, pattern string) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 200).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := tg.Client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		t.Fatalf("unexpected client %T", tg.Client)
	}
	if err != nil {
		t.Fatalf("SCAN %s: %v", pattern, err)
	}
	return keys
}

// dump returns every string stored in key (hash fields and values, sorted set members and scores).
func dump(t *testing.T, ctx context.Context, c redis.UniversalClient, key string) []string {
	t.Helper()
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatalf("TYPE %s: %v", key, err)
	}
	var out []string
	switch typ {
	case "hash":
		m, err := c.HGetAll(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			out = append(out, k, v)
		}
	case "zset":
		zs, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range zs {
			out = append(out, fmt.Sprint(z.Member), fmt.Sprint(z.Score))
		}
	case "none": // expired between SCAN and TYPE
	default:
		t.Errorf("key %s has unexpected type %s", key, typ)
	}
	return out
}

func TestTokenNeverStored(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		p := testPolicy
		var toks []session.Token
		var live []string
		for range p.MaxPerUser + 1 { // one is evicted
			c := e.mustCreateAny(t, "alice", p)
			toks = append(toks, c.tok)
		}
		b := e.mustCreate(t, "bob", p)
		toks = append(toks, b.tok)
		e.touchOK(t, toks[2], p)
		v := "x"
		if _, err := e.store.Update(e.ctx, "alice", toks[2].ID(), map[string]*string{"k": &v}); err != nil {
			t.Fatal(err)
		}
		rotated := newToken(t, "alice")
		if _, err := e.store.Rotate(e.ctx, "alice", toks[3].ID(), rotated); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, rotated)
		live = append(live, toks[1].ID(), toks[2].ID(), rotated.ID(), b.id())

		keys := scanKeys(t, e.ctx, tg, tg.Prefix+":*")
		if len(keys) != len(live)+2 { // one hash per live session, one index per user
			t.Errorf("keys under the prefix = %v, want %d", keys, len(live)+2)
		}
		var stored strings.Builder
		for _, k := range keys {
			stored.WriteString(k + "\n")
			for _, s := range dump(t, e.ctx, tg.Client, k) {
				stored.WriteString(s + "\n")
			}
		}
		all := stored.String()
		for _, tok := range toks {
			secret := tok.String()[strings.IndexByte(tok.String(), '.')+1:]
			if strings.Contains(all, tok.String()) || strings.Contains(all, secret) {
				t.Errorf("token %s (or its secret) is stored in Redis", tok.String())
			}
		}
		// The check looks at the right data: each live session's id is a key and an index member.
		for _, id := range live {
			if strings.Count(all, id) < 2 {
				t.Errorf("session id %s appears %d times in Redis, want its key and its index entry",
					id, strings.Count(all, id))
			}
		}
	})
}

// mustCreateAny is create when evictions are expected and not the point of the test.
func (e env) mustCreateAny(t *testing.T, userID string, p session.Policy) created {
	t.Helper()
	c, _ := e.create(t, userID, p)
	return c
}

func pttl(t *testing.T, ctx context.Context, c redis.UniversalClient, key string) time.Duration {
	t.Helper()
	d, err := c.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatalf("PTTL %s: %v", key, err)
	}
	return d
}

// wantTTL checks that key expires within (min, max].
func wantTTL(t *testing.T, ctx context.Context, c redis.UniversalClient, what, key string, min, max time.Duration) {
	t.Helper()
	if d := pttl(t, ctx, c, key); d <= min || d > max {
		t.Errorf("PTTL of %s = %s, want in (%s, %s]", what, d, min, max)
	}
}

func TestKeyTTLs(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		ctx, c := e.ctx, tg.Client
		p := session.Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 45 * time.Minute, MaxPerUser: 3}
		slack := time.Minute // real time that passes during the test
		s := e.mustCreate(t, "alice", p)
		hash, index := sessionredis.SessionKey(tg.Prefix, "alice", s.id()), sessionredis.IndexKey(tg.Prefix, "alice")
		wantTTL(t, ctx, c, "new session hash", hash, p.IdleTimeout-slack, p.IdleTimeout)
		wantTTL(t, ctx, c, "index", index, p.AbsoluteLifetime-slack, p.AbsoluteLifetime)

		// At +10m the idle limit (+40m) comes first: the TTL slides back to the full idle timeout.
		e.clock.Advance(10 * time.Minute)
		e.touchOK(t, s.tok, p)
		wantTTL(t, ctx, c, "touched session hash", hash, p.IdleTimeout-slack, p.IdleTimeout)

		// At +35m the absolute limit (+45m) comes before the idle one (+65m) and bounds the TTL.
		e.clock.Advance(25 * time.Minute)
		e.touchOK(t, s.tok, p)
		wantTTL(t, ctx, c, "session hash near its absolute limit", hash, 10*time.Minute-slack, 10*time.Minute)

		// Get and Update do not extend the TTL; Rotate carries it to the new key.
		if _, err := e.store.Get(ctx, "alice", s.id()); err != nil {
			t.Fatal(err)
		}
		v := "1"
		if _, err := e.store.Update(ctx, "alice", s.id(), map[string]*string{"k": &v}); err != nil {
			t.Fatal(err)
		}
		wantTTL(t, ctx, c, "session hash after Get and Update", hash, 10*time.Minute-slack, 10*time.Minute)
		newTok := newToken(t, "alice")
		if _, err := e.store.Rotate(ctx, "alice", s.id(), newTok); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Exists(ctx, hash).Result(); err != nil || n != 0 {
			t.Errorf("EXISTS old hash after Rotate = %d, %v; want 0", n, err)
		}
		newHash := sessionredis.SessionKey(tg.Prefix, "alice", newTok.ID())
		wantTTL(t, ctx, c, "rotated session hash", newHash, 10*time.Minute-slack, 10*time.Minute)
		wantTTL(t, ctx, c, "index after Rotate", index, 0, p.AbsoluteLifetime)

		// A later Create renews the index TTL to cover the newest session's absolute lifetime.
		e.mustCreate(t, "alice", p)
		wantTTL(t, ctx, c, "index after a second Create", index, p.AbsoluteLifetime-slack, p.AbsoluteLifetime)
	})
}

// TestServerTime runs the store without a clock: the scripts read Redis TIME.
func TestServerTime(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		store := sessionredis.New(tg.Client, tg.Prefix, nil)
		p := testPolicy
		var toks []session.Token
		var evicted []session.Ended
		start := time.Now()
		for range p.MaxPerUser + 2 {
			tok := newToken(t, "alice")
			sess, ended, err := store.Create(ctx, tok, session.NewSession{UserID: "alice"}, p)
			if err != nil {
				t.Fatal(err)
			}
			if d := sess.CreatedAt.Sub(start); d < -5*time.Minute || d > 5*time.Minute {
				t.Errorf("CreatedAt = %s, want about now (%s)", sess.CreatedAt, start)
			}
			if !sess.IdleExpiresAt.Equal(sess.CreatedAt.Add(p.IdleTimeout)) {
				t.Errorf("IdleExpiresAt = %s, want CreatedAt + %s", sess.IdleExpiresAt, p.IdleTimeout)
			}
			toks = append(toks, tok)
			evicted = append(evicted, ended...)
		}
		wantEnded(t, "Creates over the cap", evicted, "alice", session.EndEvicted, toks[0].ID(), toks[1].ID())
		got, err := store.Touch(ctx, toks[4], p)
		if err != nil || got.ActivityCount != 1 || got.LastActivity.Before(got.CreatedAt) {
			t.Errorf("Touch = %+v, %v; want activity 1 after creation", got, err)
		}
		list, ended, err := store.List(ctx, "alice")
		if err != nil || len(ended) != 0 {
			t.Fatalf("List = %v, %v", ended, err)
		}
		if want := []string{toks[2].ID(), toks[3].ID(), toks[4].ID()}; !equalStrings(ids(list), want) {
			t.Errorf("List = %v, want %v", ids(list), want)
		}
		hash := sessionredis.SessionKey(tg.Prefix, "alice", toks[4].ID())
		wantTTL(t, ctx, tg.Client, "session hash", hash, p.IdleTimeout-time.Minute, p.IdleTimeout)
	})
}

// TestRotateToSameToken checks that a rotation that changes nothing keeps the session listed: the new entry is
// added to the index before the old one is removed, and here they are one.
func TestRotateToSameToken(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		c := e.mustCreate(t, "alice", testPolicy)
		got, err := e.store.Rotate(e.ctx, "alice", c.id(), c.tok)
		if err != nil || got.ID != c.id() {
			t.Fatalf("Rotate(same token) = %+v, %v", got, err)
		}
		if ids := e.listIDs(t, "alice"); !equalStrings(ids, []string{c.id()}) {
			t.Errorf("List after Rotate(same token) = %v, want [%s]", ids, c.id())
		}
		e.touchOK(t, c.tok, testPolicy)
		wantTTL(t, e.ctx, tg.Client, "index", sessionredis.IndexKey(tg.Prefix, "alice"), 0, testPolicy.AbsoluteLifetime)
	})
}
