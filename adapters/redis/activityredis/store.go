// Package activityredis implements ports.ActivityStore on Redis Streams: a capped stream per user (with a
// capped stream per session for replays) under the user's hash tag, written with the detector state by one
// Lua script, and a capped global stream written alongside it in the same pipeline.
package activityredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis activity store.
type Store struct {
	rdb    redis.UniversalClient
	keys   keys
	policy activity.Policy
	clock  ports.Clock
}

var _ ports.ActivityStore = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix, keeping what policy says. With a nil clock the
// scripts read Redis server time; a clock (tests) makes them use its time instead.
func New(rdb redis.UniversalClient, prefix string, policy activity.Policy, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), policy: policy, clock: clock}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// Record pipelines record.lua (the user's slot) and global.lua (the global slot): one round trip (on a
// cluster, one per node, in parallel). Each script is atomic and idempotent on its own, so a retry after
// a partial failure completes the missing half without duplicating the other.
func (s *Store) Record(ctx context.Context, a activity.NewActivity, dedupe bool, d *activity.Detector) (activity.Stored, error) {
	props := "{}"
	if len(a.Properties) > 0 {
		raw, err := json.Marshal(a.Properties)
		if err != nil {
			return activity.Stored{}, fmt.Errorf("record activity: %w", err)
		}
		props = string(raw)
	}
	dedupeMs := int64(0)
	if dedupe {
		dedupeMs = max(s.policy.DedupeWindow.Milliseconds(), 1)
	}
	detName, limit, window := "none", 0, int64(0)
	if d != nil {
		detName, limit, window = d.Name, d.Limit, d.Window.Milliseconds()
	}
	sessionKey := s.keys.feed(a.UserID) // any key of the user's slot when there is no session
	if a.SessionID != "" {
		sessionKey = s.keys.session(a.UserID, a.SessionID)
	}
	now := s.now()
	userKeys := []string{s.keys.feed(a.UserID), sessionKey, s.keys.marker(a.UserID, a.ID),
		s.keys.detector(a.UserID, detName), s.keys.fired(a.UserID, detName)}
	userArgs := []any{a.ID, a.Action, a.Object, props, a.SessionID, now, s.policy.FeedMaxLen,
		s.policy.SessionMaxLen, s.policy.Retention.Milliseconds(), dedupeMs, limit, window, a.UserID}
	globalKeys := []string{s.keys.global(), s.keys.globalMarker(a.UserID, a.ID)}
	globalArgs := []any{a.ID, a.UserID, a.Action, a.Object, props, a.SessionID, now, s.policy.GlobalMaxLen, dedupeMs}

	// The two scripts may live on different cluster nodes, so one may run while the other answers NOSCRIPT:
	// only the one that did not run is sent again, in full (EVAL caches it), or the other would record twice.
	var user, global *redis.Cmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { // errors are read per command
		user = recordScript.EvalSha(ctx, p, userKeys, userArgs...)
		global = globalScript.EvalSha(ctx, p, globalKeys, globalArgs...)
		return nil
	})
	if isNoScript(user.Err()) {
		user = recordScript.Eval(ctx, s.rdb, userKeys, userArgs...)
	}
	if isNoScript(global.Err()) {
		global = globalScript.Eval(ctx, s.rdb, globalKeys, globalArgs...)
	}
	gerr := global.Err()
	if errors.Is(gerr, redis.Nil) { // the global script answers nil for a duplicate
		gerr = nil
	}
	if err := errors.Join(user.Err(), gerr); err != nil {
		return activity.Stored{}, rdb.Wrap("record activity", err)
	}
	return recordReply(a, d, user.Val())
}

// recordReply reads record.lua's {0, entry id} (a duplicate) or {1, entry id, fired 0/1, count, first ms}.
func recordReply(a activity.NewActivity, det *activity.Detector, res any) (activity.Stored, error) {
	d := reply.New("record activity")
	head := d.Array(res, 2)
	fresh := d.Bool(head[0])
	entry := d.String(head[1])
	if err := d.Err(); err != nil {
		return activity.Stored{}, err
	}
	at, err := entryTime(entry)
	if err != nil {
		return activity.Stored{}, fmt.Errorf("record activity: %w", err)
	}
	out := activity.Stored{Activity: activity.Activity{ID: a.ID, UserID: a.UserID, Action: a.Action,
		Object: a.Object, Properties: a.Properties, SessionID: a.SessionID, At: at, Cursor: entry}}
	if !fresh {
		out.Duplicate = true
		return out, nil
	}
	rest := d.Exactly(res, 5)
	fired, count, first := d.Bool(rest[2]), d.Int(rest[3]), d.Int64(rest[4])
	if err := d.Err(); err != nil {
		return activity.Stored{}, err
	}
	if fired && det != nil {
		out.Detection = &activity.Detection{Detector: det.Name, UserID: a.UserID, Action: a.Action,
			Count: count, Window: det.Window, FirstAt: time.UnixMilli(first).UTC(), LastAt: at}
	}
	return out, nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// Feed is one XREVRANGE: one round trip.
func (s *Store) Feed(ctx context.Context, userID, before string, limit int) (activity.Page, error) {
	return s.newestFirst(ctx, s.keys.feed(userID), before, limit)
}

// Global is one XREVRANGE: one round trip.
func (s *Store) Global(ctx context.Context, before string, limit int) (activity.Page, error) {
	return s.newestFirst(ctx, s.keys.global(), before, limit)
}

func (s *Store) newestFirst(ctx context.Context, key, before string, limit int) (activity.Page, error) {
	upper := "+"
	if before != "" {
		upper = "(" + before
	}
	msgs, err := s.rdb.XRevRangeN(ctx, key, upper, "-", int64(limit)).Result()
	if err != nil {
		return activity.Page{}, rdb.Wrap("read activity feed", err)
	}
	return page(msgs, limit)
}

// Replay is one XRANGE: one round trip.
func (s *Store) Replay(ctx context.Context, userID, sessionID, after string, limit int) (activity.Page, error) {
	lower := "-"
	if after != "" {
		lower = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.session(userID, sessionID), lower, "+", int64(limit)).Result()
	if err != nil {
		return activity.Page{}, rdb.Wrap("read session replay", err)
	}
	return page(msgs, limit)
}

// Range is one XRANGE on the global feed: one round trip.
func (s *Store) Range(ctx context.Context, from, to time.Time, after string, limit int) (activity.Page, error) {
	lower := strconv.FormatInt(max(from.UnixMilli(), 0), 10)
	if after != "" {
		lower = "(" + after
	}
	end := to.UnixMilli() - 1
	if end < 0 {
		return activity.Page{}, nil
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.global(), lower, strconv.FormatInt(end, 10), int64(limit)).Result()
	if err != nil {
		return activity.Page{}, rdb.Wrap("read activity range", err)
	}
	return page(msgs, limit)
}

// page decodes stream entries; a full page gets the last entry's id as the next cursor.
func page(msgs []redis.XMessage, limit int) (activity.Page, error) {
	p := activity.Page{Items: make([]activity.Activity, 0, len(msgs))}
	for _, m := range msgs {
		a, err := decode(m)
		if err != nil {
			return activity.Page{}, err
		}
		p.Items = append(p.Items, a)
	}
	if len(msgs) == limit && limit > 0 {
		p.Next = msgs[len(msgs)-1].ID
	}
	return p, nil
}

func decode(m redis.XMessage) (activity.Activity, error) {
	d := reply.New("read activity")
	str := func(k string) string { s, _ := d.OptString(m.Values[k]); return s }
	if v := str("v"); v != "1" {
		return activity.Activity{}, fmt.Errorf("activity entry %s: format %q, want 1", m.ID, v)
	}
	at, err := entryTime(m.ID)
	if err != nil {
		return activity.Activity{}, err
	}
	a := activity.Activity{ID: str("i"), UserID: str("u"), Action: str("a"), Object: str("o"),
		SessionID: str("s"), At: at, Cursor: m.ID}
	if p := str("p"); p != "" && p != "{}" {
		if err := json.Unmarshal([]byte(p), &a.Properties); err != nil {
			return activity.Activity{}, fmt.Errorf("activity entry %s: properties: %w", m.ID, err)
		}
	}
	if err := d.Err(); err != nil {
		return activity.Activity{}, err
	}
	return a, nil
}

// entryTime is the millisecond part of a stream entry id.
func entryTime(id string) (time.Time, error) {
	ms, _, ok := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return time.Time{}, fmt.Errorf("stream entry id %q", id)
	}
	return time.UnixMilli(n).UTC(), nil
}
