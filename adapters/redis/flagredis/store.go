// Package flagredis implements ports.FlagStore on Redis: one hash per flag, a set of flag keys and a
// version number, all under the hash tag {flags} and changed only by the Lua scripts in lua/, each of which
// bumps the version in the same atomic step; audit trails are sorted sets scored by version.
package flagredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
)

// AuditCap is how many audit entries are kept per flag; older ones are dropped as new ones arrive.
const AuditCap = 1000

// Store is the Redis flag store.
type Store struct {
	rdb   redis.UniversalClient
	keys  keys
	clock ports.Clock
}

var _ ports.FlagStore = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix. With a nil clock the scripts read Redis server
// time; a clock (tests) makes them use its time instead.
func New(rdb redis.UniversalClient, prefix string, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), clock: clock}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// All runs all.lua: one round trip.
func (s *Store) All(ctx context.Context) (flag.Set, error) {
	res, err := allScript.Run(ctx, s.rdb, []string{s.keys.version(), s.keys.index()}, s.keys.flagPrefix()).Slice()
	if err != nil {
		return flag.Set{}, rdb.Wrap("load flags", err)
	}
	if len(res) == 0 || len(res)%2 != 1 {
		return flag.Set{}, fmt.Errorf("load flags: unexpected reply of %d items", len(res))
	}
	set := flag.Set{Version: res[0].(int64), Flags: make([]flag.Flag, 0, len(res)/2)}
	for i := 1; i < len(res); i += 2 {
		key, _ := res[i].(string)
		fields, _ := res[i+1].([]any)
		f, err := decode(key, fields)
		if err != nil {
			return flag.Set{}, fmt.Errorf("load flags: %w", err)
		}
		set.Flags = append(set.Flags, f)
	}
	return set, nil
}

// Version is one GET: one round trip.
func (s *Store) Version(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keys.version()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, rdb.Wrap("flag version", err)
	}
	return v, nil
}

// Get is one HMGET: one round trip.
func (s *Store) Get(ctx context.Context, key string) (flag.Flag, error) {
	res, err := s.rdb.HMGet(ctx, s.keys.flag(key), "def", "on", "ver", "by", "at").Result()
	if err != nil {
		return flag.Flag{}, rdb.Wrap("get flag", err)
	}
	if res[0] == nil {
		return flag.Flag{}, flag.ErrNotFound
	}
	return decode(key, res)
}

// Put runs put.lua: one round trip.
func (s *Store) Put(ctx context.Context, f flag.Flag, expect int64, actor string) (flag.Change, error) {
	def, err := encodeDefinition(f)
	if err != nil {
		return flag.Change{}, err
	}
	res, err := putScript.Run(ctx, s.rdb, []string{s.keys.flag(f.Key), s.keys.version(), s.keys.index()},
		f.Key, def, boolArg(f.Enabled), expect, actor, s.now()).Slice()
	if err != nil {
		return flag.Change{}, rdb.Wrap("put flag", err)
	}
	c, err := s.change(f.Key, res, actor, func(_ *flag.Flag, v int64, at time.Time) *flag.Flag {
		after := f
		after.Version, after.UpdatedAt, after.UpdatedBy = v, at, actor
		return &after
	})
	if err != nil {
		return flag.Change{}, err
	}
	c.Kind = flag.ChangeUpdated
	if c.Before == nil {
		c.Kind = flag.ChangeCreated
	}
	return c, nil
}

// SetEnabled runs set_enabled.lua: one round trip.
func (s *Store) SetEnabled(ctx context.Context, key string, enabled bool, actor string) (flag.Change, error) {
	res, err := enableScript.Run(ctx, s.rdb, []string{s.keys.flag(key), s.keys.version()},
		boolArg(enabled), actor, s.now()).Slice()
	if err != nil {
		return flag.Change{}, rdb.Wrap("set flag enabled", err)
	}
	c, err := s.change(key, res, actor, func(before *flag.Flag, v int64, at time.Time) *flag.Flag {
		after := *before
		after.Enabled, after.Version, after.UpdatedAt, after.UpdatedBy = enabled, v, at, actor
		return &after
	})
	if err != nil {
		return flag.Change{}, err
	}
	c.Kind = flag.ChangeDisabled
	if enabled {
		c.Kind = flag.ChangeEnabled
	}
	return c, nil
}

// Delete runs delete.lua: one round trip.
func (s *Store) Delete(ctx context.Context, key string, expect int64, actor string) (flag.Change, error) {
	res, err := deleteScript.Run(ctx, s.rdb,
		[]string{s.keys.flag(key), s.keys.version(), s.keys.index(), s.keys.counts(key)},
		key, expect, s.now()).Slice()
	if err != nil {
		return flag.Change{}, rdb.Wrap("delete flag", err)
	}
	c, err := s.change(key, res, actor, func(*flag.Flag, int64, time.Time) *flag.Flag { return nil })
	if err != nil {
		return flag.Change{}, err
	}
	c.Kind = flag.ChangeDeleted
	return c, nil
}

// change reads the reply shared by the change scripts: {status, version, now, before fields...}. after
// builds the flag after the change from the flag before it (nil when there was none).
func (s *Store) change(key string, res []any, actor string, after func(before *flag.Flag, v int64, at time.Time) *flag.Flag) (flag.Change, error) {
	if len(res) == 0 {
		return flag.Change{}, fmt.Errorf("change flag %s: empty reply", key)
	}
	switch status, _ := res[0].(int64); status {
	case 0:
		return flag.Change{}, flag.ErrNotFound
	case -1:
		cur := int64(0)
		if len(res) > 1 {
			cur, _ = res[1].(int64)
		}
		if cur == 0 {
			return flag.Change{}, fmt.Errorf("%w: flag %s does not exist", flag.ErrVersionConflict, key)
		}
		return flag.Change{}, fmt.Errorf("%w: flag %s is at version %d", flag.ErrVersionConflict, key, cur)
	}
	if len(res) != 8 {
		return flag.Change{}, fmt.Errorf("change flag %s: unexpected reply %v", key, res)
	}
	v, _ := res[1].(int64)
	at, _ := res[2].(int64)
	c := flag.Change{Key: key, Version: v, Actor: actor, At: time.UnixMilli(at).UTC()}
	if res[3] != nil {
		before, err := decode(key, res[3:])
		if err != nil {
			return flag.Change{}, err
		}
		c.Before = &before
	}
	c.After = after(c.Before, v, c.At)
	return c, nil
}

// RecordAudit runs record_audit.lua: one round trip.
func (s *Store) RecordAudit(ctx context.Context, e flag.AuditEntry) (bool, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("record flag audit: %w", err)
	}
	n, err := recordScript.Run(ctx, s.rdb, []string{s.keys.audit(e.Key)}, e.Version, raw, AuditCap).Int()
	if err != nil {
		return false, rdb.Wrap("record flag audit", err)
	}
	return n == 1, nil
}

// Audit is one ZREVRANGEBYSCORE: one round trip.
func (s *Store) Audit(ctx context.Context, key string, before int64, limit int) ([]flag.AuditEntry, error) {
	upper := "+inf"
	if before > 0 {
		upper = "(" + strconv.FormatInt(before, 10)
	}
	raw, err := s.rdb.ZRevRangeByScore(ctx, s.keys.audit(key), &redis.ZRangeBy{
		Max: upper, Min: "-inf", Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, rdb.Wrap("read flag audit", err)
	}
	out := make([]flag.AuditEntry, 0, len(raw))
	for _, r := range raw {
		var e flag.AuditEntry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("read flag audit of %s: %w", key, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// AddCounts pipelines one HINCRBY per count: one round trip.
func (s *Store) AddCounts(ctx context.Context, counts []flag.Count) error {
	if len(counts) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range counts {
			p.HIncrBy(ctx, s.keys.counts(c.Key), c.Variant, c.N)
		}
		return nil
	})
	return rdb.Wrap("add flag counts", err)
}

// Counts is one HGETALL: one round trip.
func (s *Store) Counts(ctx context.Context, key string) (map[string]int64, error) {
	raw, err := s.rdb.HGetAll(ctx, s.keys.counts(key)).Result()
	if err != nil {
		return nil, rdb.Wrap("read flag counts", err)
	}
	out := make(map[string]int64, len(raw))
	for variant, n := range raw {
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read flag counts of %s: %s: %w", key, variant, err)
		}
		out[variant] = v
	}
	return out, nil
}

// encodeDefinition is the stored form of a flag: its JSON without the fields the store keeps itself.
func encodeDefinition(f flag.Flag) (string, error) {
	f.Enabled, f.Version, f.UpdatedAt, f.UpdatedBy = false, 0, time.Time{}, ""
	raw, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("encode flag %s: %w", f.Key, err)
	}
	return string(raw), nil
}

// decode builds a flag from its stored fields {def, on, ver, by, at}.
func decode(key string, fields []any) (flag.Flag, error) {
	if len(fields) < 5 {
		return flag.Flag{}, fmt.Errorf("flag %s: %d stored fields, want 5", key, len(fields))
	}
	str := func(i int) string { s, _ := fields[i].(string); return s }
	var f flag.Flag
	if err := json.Unmarshal([]byte(str(0)), &f); err != nil {
		return flag.Flag{}, fmt.Errorf("flag %s: stored definition: %w", key, err)
	}
	if f.Key != key {
		return flag.Flag{}, fmt.Errorf("flag %s: stored definition names %q", key, f.Key)
	}
	ver, err1 := strconv.ParseInt(str(2), 10, 64)
	at, err2 := strconv.ParseInt(str(4), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return flag.Flag{}, fmt.Errorf("flag %s: stored version or time: %w", key, err)
	}
	f.Enabled, f.Version, f.UpdatedBy, f.UpdatedAt = str(1) == "1", ver, str(3), time.UnixMilli(at).UTC()
	return f, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
