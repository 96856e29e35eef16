package sessionredis_test

import (
	"fmt"
	"testing"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/tests/harness"
)

// TestMemoryPerSession logs what one session costs in Redis memory (MEMORY USAGE of its hash plus its share of
// the user's index). It is a figure for the docs, not a performance assertion: only sanity is checked.
func TestMemoryPerSession(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		const users, perUser = 100, 10 // 1,000 sessions under the default cap
		e := newEnv(t, tg)
		p := session.DefaultPolicy()
		ids := make(map[string][]string, users)
		for u := range users {
			userID := fmt.Sprintf("user-%04d@example.com", u)
			for d := range perUser {
				in := session.NewSession{
					UserID: userID,
					IP:     fmt.Sprintf("198.51.%d.%d", u%256, d),
					Device: map[string]string{"os": "macOS 14.5", "browser": "Firefox 128.0", "type": "desktop"},
				}
				tok := newToken(t, userID)
				if _, ended, err := e.store.Create(e.ctx, tok, in, p); err != nil || len(ended) != 0 {
					t.Fatalf("Create: %v, ended %v", err, ended)
				}
				ids[userID] = append(ids[userID], tok.ID())
			}
		}

		var hashBytes, indexBytes int64
		var sessions int
		encodings := map[string]int{}
		for userID, list := range ids {
			for _, id := range list {
				key := sessionredis.SessionKey(tg.Prefix, userID, id)
				n, err := tg.Client.MemoryUsage(e.ctx, key, 0).Result()
				if err != nil {
					t.Fatalf("MEMORY USAGE %s: %v", key, err)
				}
				hashBytes += n
				sessions++
				enc, err := tg.Client.ObjectEncoding(e.ctx, key).Result()
				if err != nil {
					t.Fatal(err)
				}
				encodings["hash:"+enc]++
			}
			key := sessionredis.IndexKey(tg.Prefix, userID)
			n, err := tg.Client.MemoryUsage(e.ctx, key, 0).Result()
			if err != nil {
				t.Fatalf("MEMORY USAGE %s: %v", key, err)
			}
			indexBytes += n
			enc, err := tg.Client.ObjectEncoding(e.ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			encodings["index:"+enc]++
		}
		if sessions != users*perUser {
			t.Fatalf("measured %d sessions, want %d", sessions, users*perUser)
		}
		hash, index := hashBytes/int64(sessions), indexBytes/int64(sessions)
		t.Logf("bytes per session: hash=%d index=%d total=%d (cluster=%t, %d sessions, %d users, encodings %v)",
			hash, index, hash+index, tg.Cluster, sessions, users, encodings)
		if hash <= 0 || index <= 0 {
			t.Errorf("bytes per session: hash=%d index=%d, want both > 0", hash, index)
		}
	})
}
