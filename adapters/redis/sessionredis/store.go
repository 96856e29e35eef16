// Package sessionredis implements ports.SessionStore on Redis: one hash per session and one sorted set per
// user, both under the user's hash tag, changed only by the Lua scripts in lua/ (one round trip each).
package sessionredis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis session store.
type Store struct {
	rdb   redis.UniversalClient
	keys  keys
	clock ports.Clock
}

var _ ports.SessionStore = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix. With a nil clock the scripts read Redis server
// time; a clock (tests) makes them use its time instead, so idle and absolute limits can be simulated.
func New(rdb redis.UniversalClient, prefix string, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), clock: clock}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// Create runs create.lua: one round trip.
func (s *Store) Create(ctx context.Context, tok session.Token, in session.NewSession, p session.Policy) (session.Session, []session.Ended, error) {
	device, err := json.Marshal(in.Device)
	if err != nil {
		return session.Session{}, nil, fmt.Errorf("create session: %w", err)
	}
	shard, id := tok.Shard(), tok.ID()
	res, err := createScript.Run(ctx, s.rdb,
		[]string{s.keys.session(shard, id), s.keys.user(shard, in.UserID)},
		id, in.UserID, in.IP, device, p.IdleTimeout.Milliseconds(), p.AbsoluteLifetime.Milliseconds(),
		p.MaxPerUser, s.keys.sessionPrefix(shard), s.now()).Result()
	if err != nil {
		return session.Session{}, nil, rdb.Wrap("create session", err)
	}
	now, ended, err := createReply(in.UserID, res)
	if err != nil {
		return session.Session{}, nil, err
	}
	return session.Session{
		ID: id, UserID: in.UserID, IP: in.IP, Device: in.Device, Data: map[string]string{},
		CreatedAt: now, LastActivity: now,
		IdleExpiresAt: now.Add(p.IdleTimeout), AbsExpiresAt: now.Add(p.AbsoluteLifetime),
	}, ended, nil
}

// Touch runs touch.lua recording activity: one round trip.
func (s *Store) Touch(ctx context.Context, tok session.Token, p session.Policy) (session.Session, error) {
	return s.read(ctx, tok.Shard(), tok.ID(), "", p.IdleTimeout, true)
}

// Get runs touch.lua without recording activity: one round trip.
func (s *Store) Get(ctx context.Context, userID, id string) (session.Session, error) {
	return s.read(ctx, session.Shard(userID), id, userID, 0, false)
}

func (s *Store) read(ctx context.Context, shard, id, userID string, idle time.Duration, activity bool) (session.Session, error) {
	flag := "0"
	if activity {
		flag = "1"
	}
	res, err := touchScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id)},
		s.now(), idle.Milliseconds(), flag, userID, s.keys.userPrefix(shard), id).Result()
	if err != nil {
		return session.Session{}, rdb.Wrap("read session", err)
	}
	return readReply(id, res)
}

// List runs list.lua: one round trip.
func (s *Store) List(ctx context.Context, userID string) ([]session.Session, []session.Ended, error) {
	res, err := s.list(ctx, userID, true)
	if err != nil {
		return nil, nil, err
	}
	return listReply(userID, res)
}

// Count runs list.lua in count mode: one round trip.
func (s *Store) Count(ctx context.Context, userID string) (int, []session.Ended, error) {
	res, err := s.list(ctx, userID, false)
	if err != nil {
		return 0, nil, err
	}
	return countReply(userID, res)
}

func (s *Store) list(ctx context.Context, userID string, full bool) (any, error) {
	mode := "0"
	if full {
		mode = "1"
	}
	shard := session.Shard(userID)
	res, err := listScript.Run(ctx, s.rdb, []string{s.keys.user(shard, userID)},
		s.now(), s.keys.sessionPrefix(shard), mode).Result()
	if err != nil {
		return nil, rdb.Wrap("list sessions", err)
	}
	return res, nil
}

// Delete runs delete.lua: one round trip.
func (s *Store) Delete(ctx context.Context, userID, id string) error {
	shard := session.Shard(userID)
	n, err := deleteScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id), s.keys.user(shard, userID)},
		id, userID).Int()
	if err != nil {
		return rdb.Wrap("delete session", err)
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

// DeleteAll runs delete_all.lua: one round trip.
func (s *Store) DeleteAll(ctx context.Context, userID, keepID string) ([]string, error) {
	shard := session.Shard(userID)
	ids, err := deleteAllScript.Run(ctx, s.rdb, []string{s.keys.user(shard, userID)},
		keepID, s.keys.sessionPrefix(shard)).StringSlice()
	if err != nil {
		return nil, rdb.Wrap("delete sessions", err)
	}
	return ids, nil
}

// Update runs update.lua: one round trip.
func (s *Store) Update(ctx context.Context, userID, id string, fields map[string]*string) (session.Session, error) {
	shard := session.Shard(userID)
	args := make([]any, 0, 2+3*len(fields))
	args = append(args, userID, s.now())
	for name, v := range fields {
		if v == nil {
			args = append(args, name, "d", "")
		} else {
			args = append(args, name, "s", *v)
		}
	}
	res, err := updateScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id)}, args...).Result()
	if err != nil {
		return session.Session{}, rdb.Wrap("update session", err)
	}
	return foundReply("update session", id, res)
}

// Rotate runs rotate.lua: one round trip. newTok must have been drawn for the same user.
func (s *Store) Rotate(ctx context.Context, userID, id string, newTok session.Token) (session.Session, error) {
	shard := session.Shard(userID)
	if newTok.Shard() != shard {
		return session.Session{}, fmt.Errorf("%w: new token belongs to another user", session.ErrInvalid)
	}
	newID := newTok.ID()
	res, err := rotateScript.Run(ctx, s.rdb,
		[]string{s.keys.session(shard, id), s.keys.session(shard, newID), s.keys.user(shard, userID)},
		userID, id, newID, s.now()).Result()
	if err != nil {
		return session.Session{}, rdb.Wrap("rotate session", err)
	}
	return foundReply("rotate session", newID, res)
}
